"""``python -m ferlib ...``: see :mod:`ferlib.cli`."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out

if __name__ == "__main__":
    try:
        from ferlib.cli import main

        raise SystemExit(main())
    except KeyboardInterrupt:  # outside main's own handler (start-up, argument parsing)
        import sys

        from ferlib.cli import interrupted_line

        print(interrupted_line(), file=sys.stderr)
        raise SystemExit(130) from None
