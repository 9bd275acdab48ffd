"""Long fixture builds that run beside the tests, on the machine's other core.

The slow tier's longest builds that run on one core (the published book by
``jupyter-book build .``, which waits on one notebook kernel at a time; the real data
pack, whose time is xz compressing FER2013) need nothing from the tests before them. The
session fixture ``background_builds`` (conftest.py) starts those that the selected tests
use when the run begins; a test that needs one takes its result with :func:`result`,
waiting if it is not done yet. A build started here gives what the same build run in
the test would give: its result, or the exception it raised, which the test raises in turn.
"""

import subprocess
import threading

_JOBS = {}
_PROCESSES = []


def start(name: str, build) -> None:
    """Run ``build()`` in a background thread under ``name``, unless ``name`` was started."""
    if name in _JOBS:
        return
    job = {"done": threading.Event()}

    def run():
        try:
            job["value"] = build()
        except BaseException as error:  # given to the test that takes the result
            job["error"] = error
        finally:
            job["done"].set()

    _JOBS[name] = job
    threading.Thread(target=run, name=f"background {name}", daemon=True).start()


def result(name: str, build=None):
    """What ``build()`` returned (or raise what it raised), run as job ``name``: started now
    if no one started it (``build`` is needed then), waited for if it is still running."""
    start(name, build)
    job = _JOBS[name]
    job["done"].wait()
    if "error" in job:
        raise job["error"]
    return job["value"]


def run_process(command, *, timeout: float, **options) -> subprocess.CompletedProcess:
    """:func:`subprocess.run` with ``capture_output`` and ``text``, whose process
    :func:`stop` ends if the session ends before it does."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **options) as process:
        _PROCESSES.append(process)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            raise subprocess.TimeoutExpired(command, timeout, output=stdout, stderr=stderr) from None
        finally:
            _PROCESSES.remove(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def stop() -> None:
    """End the processes of builds still running (a session stopped early: ``-x``, Ctrl-C)."""
    for process in list(_PROCESSES):
        process.kill()
