"""``python -m ferlib ...``: see :mod:`ferlib.cli`."""

import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out

#: The exit status of a command stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
INTERRUPTED = 130


def _leave_interrupted() -> None:
    """End the process at once with exit status 130, after Ctrl-C.

    Called once the interrupted command has cleaned up (its ``finally`` blocks removed what
    it had half-written; finished files are only ever renamed into place whole) and its
    one line is printed. A normal exit would still run the libraries' exit hooks and
    garbage collection (JAX's, TensorFlow's, tf.data's threads), any of which can print a
    traceback, most of all when a second Ctrl-C lands in one of them, and change the exit
    status. Nothing of ferlib's waits for them (a notebook kernel that a book build started
    stops by itself when its parent is gone), so further Ctrl-Cs are ignored, the output is
    flushed, and the process leaves with ``os._exit``, which runs no hook."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said
            pass
    os._exit(INTERRUPTED)


if __name__ == "__main__":
    try:
        from ferlib.cli import main

        status = main()
    except KeyboardInterrupt:  # outside main's own handler (start-up, argument parsing)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the line short

        from ferlib.cli import interrupted_line

        print(interrupted_line(), file=sys.stderr)
        status = INTERRUPTED
    if status == INTERRUPTED:  # main printed its line
        _leave_interrupted()
    raise SystemExit(status)
