"""Clear errors, never a crash: a full disk names the destination and leaves nothing
half-written; numeric options and notebook parameters have bounds; an error quotes at
most 200 characters of a file; Ctrl-C gives one line saying how to resume."""

import errno
import json
import shutil
from pathlib import Path

import pytest

from ferlib import atomic
from ferlib.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["--profile", "smoke", "--quiet"]
FULL = OSError(errno.ENOSPC, "No space left on device")


# --------------------------------------------------------------------------- a full disk


def test_a_full_disk_names_the_destination_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out" / "metrics.json"
    target.parent.mkdir()
    target.write_text("old")
    with pytest.raises(OSError) as error:
        with atomic.replacing(target) as tmp:
            tmp.write_text("half")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert error.value.errno == errno.ENOSPC and error.value.filename == str(target)
    assert target.read_text() == "old" and sorted(p.name for p in target.parent.iterdir()) == ["metrics.json"]
    folder = tmp_path / "out" / "0123456789abcdef"
    with pytest.raises(OSError) as error:
        with atomic.replacing_folder(folder) as tmp:
            (tmp / "config.json").write_text("{}")
            # shutil's fast copy names the source file, not the destination
            raise OSError(errno.ENOSPC, "No space left on device", "/elsewhere/source.csv", None, str(tmp))
    assert error.value.filename == str(folder) and "nothing of it was written" in str(error.value)
    assert sorted(p.name for p in target.parent.iterdir()) == ["metrics.json"]


def test_export_onto_a_full_disk_names_the_destination(tmp_path, capsys, monkeypatch):
    from ferlib import results

    store = tmp_path / "store"
    run = results.committed_runs(ROOT / results.PAPER_RESULTS)[0]
    shutil.copytree(run.path, store / run.id)

    def full(source, destination, **_):
        raise OSError(errno.ENOSPC, "No space left on device", str(source), None, str(destination))

    monkeypatch.setattr(results.shutil, "copy2", full)
    assert main(["export", "--store", str(store), "--to", str(tmp_path / "to")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'to' / run.id}: No space left on device; nothing of it was written")
    assert len(err.splitlines()) == 1 and "source" not in err
    assert list((tmp_path / "to").iterdir()) == []


def test_train_onto_a_full_disk_stops_before_training_naming_the_store(tmp_path, capsys, monkeypatch):
    from ferlib import training

    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(100, 100, 2**20))
    monkeypatch.setattr(training, "fit", lambda *a, **k: pytest.fail("trained onto a full disk"))
    store = tmp_path / "store"
    assert main(["train", "--model", "2", "--dataset", "jaffe", "--store", str(store), *SMOKE]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {store}: No space left on device: 1 MiB free, run ") and len(err.splitlines()) == 1
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_a_full_disk_during_training_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    """The checkpoint's weights cannot be written (h5py on a full disk): one line naming
    the checkpoint file, and no run folder, no temporary and no empty checkpoint folder."""
    import keras

    def full(self, path, *a, **k):
        Path(path).write_bytes(b"half")
        raise OSError(f"Unable to synchronously create file (file write failed: errno = 28, error message = "
                      f"'No space left on device')")

    monkeypatch.setattr(keras.Model, "save_weights", full)
    store = tmp_path / "store"
    assert main(["train", "--model", "2", "--dataset", "jaffe", "--store", str(store), *SMOKE]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {store / '.partial'}/") and "last-0001.weights.h5: No space left on device" in err
    assert [p for p in store.rglob("*") if p.is_file()] == []
    assert not [p for p in (store / ".partial").iterdir()], "an empty checkpoint folder was left"


# --------------------------------------------------------------------------- bounded options


@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "2", "--seed", "9" * 400], "argument --seed: expected a seed 0..4,294,967,295, got a "
                                                       "number of 400 characters"),
    (["train", "--model", "2", "--seed", str(2**32)], "argument --seed: expected a seed 0..4,294,967,295"),
    (["train", "--model", "2", "--seed", "-1"], "argument --seed: expected a seed"),
    (["train", "--model", "2", "--batch-size", "9" * 400], "argument --batch-size: expected a batch size 1..65,536"),
    (["train", "--model", "2", "--batch-size", "0"], "argument --batch-size: expected a batch size 1..65,536, got 0"),
    (["train", "--model", "2", "--epochs", "99999999999999999999999"],
     "argument --epochs: expected a number of epochs 1..10,000, got 99999999999999999999999"),
    (["book", "--epochs", "100000"], "argument --epochs: expected a number of epochs 1..10,000"),
    (["leakage", "--seeds", "0-50000000"], "argument --seeds: at most 1,000 seeds, got 0-50000000"),
    (["baselines", "--seeds", "0,1,99999999999"], "argument --seeds: expected seeds like 0,1,2 or 0-3"),
    (["study", "--seeds", "4294967290-4294967299"], "argument --seeds: seeds must be below 2**32"),
    (["probe", "--model", "2", "--steps", "0"], "argument --steps: expected a number of steps 1..10,000,000"),
    (["campaign", "--pack", "p", "--store", "s", "--out", "o", "--budget-s", "inf"],
     "argument --budget-s: expected a number of seconds in (0, 2.592e+06], got inf"),
    (["train", "--model", "2", "--fold", "1e9"], "argument --fold: expected a fold 0..999, got 1e9"),
])
def test_numeric_options_are_bounded(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("name, value, message", [
    ("seed", 10**400, "parameter 'seed' must be a whole number 0..4294967295"),
    ("seed", "9" * 400, "parameter 'seed' must be a whole number 0..4294967295"),
    ("seed", 2**32, "got 4294967296"),
    ("profile", ["smoke"], "parameter 'profile' must be one of ['paper', 'quick', 'smoke']; got ['smoke']"),
    ("profile", {"a": 1}, "parameter 'profile' must be one of"),
    ("epochs", 10**30, "parameter 'epochs' must be None (the profile's epochs) or a whole number 1..10,000"),
    ("faces", float("inf"), "parameter 'faces' must be a whole number 1..100,000; got inf"),
    ("models", [[2]], "parameter 'models' must be"),
])
def test_notebook_parameters_are_checked_for_type_and_range(name, value, message):
    from ferlib.chapter import validate_parameters

    with pytest.raises(ValueError) as error:
        validate_parameters(**{name: value})
    assert message in str(error.value) and len(str(error.value)) < 300


# --------------------------------------------------------------------------- quoting files


def test_a_csv_with_bare_cr_line_ends_gives_a_short_error(tmp_path):
    from ferlib.datasets.fer2013 import load_fer2013_csv

    rows = ["emotion,pixels,Usage"] + [f"0,{' '.join(['7'] * 2304)},Training"] * 100
    path = tmp_path / "fer2013.csv"
    path.write_bytes("\r".join(rows).encode())
    assert path.stat().st_size > 400_000
    with pytest.raises(ValueError) as error:
        load_fer2013_csv(path)
    message = str(error.value)
    assert len(message) < 600, len(message)
    assert "bare CR (old Mac line ends): save it with LF or CRLF line ends" in message
    assert f"of {path.stat().st_size:,} characters" in message


def test_a_huge_malformed_value_is_quoted_in_200_characters(tmp_path):
    from ferlib.datasets.fer2013 import parse_fer2013_csv

    for row, expected in ((f"0,{'x' * 100_000},Training", "non-numeric value 'xxxx"),
                          (f"{'9' * 100_000},{' '.join(['7'] * 2304)},Training", "emotion '9999"),
                          (f"0,{' '.join(['7'] * 2304)},{'T' * 100_000}", "Usage 'TTTT")):
        with pytest.raises(ValueError) as error:
            parse_fer2013_csv(f"emotion,pixels,Usage\n{row}\n".encode())
        assert expected in str(error.value) and len(str(error.value)) < 500, str(error.value)[:600]


def test_a_garbled_checksum_file_is_quoted_in_200_characters(tmp_path):
    from ferlib.store import BrokenRun, read_checksums

    (tmp_path / "sha256.txt").write_text("z" * 1_000_000 + "\n")
    with pytest.raises(BrokenRun) as error:
        read_checksums(tmp_path)
    assert len(str(error.value)) < 500 and "first 200 of 1,000,000 characters" in str(error.value)


@pytest.mark.parametrize("content, message", [
    ('{"runs": [{"key": [2, "jaffe"', "missing.json: not valid JSON"),
    ("[]", "missing.json: expected an object with a 'runs' list, got []"),
    ('{"runs": {"a": 1}}', "missing.json: expected an object with a 'runs' list"),
    ('{"runs": ["x"]}', "missing.json: runs[0].key must be"),
    ('{"runs": [{"key": ["%s"]}]}' % ("y" * 10_000), "first 200 of"),
])
def test_a_truncated_or_malformed_missing_json_names_the_file(content, message, tmp_path, capsys):
    from ferlib.results import read_missing

    (tmp_path / "missing.json").write_text(content)
    with pytest.raises(ValueError) as error:
        read_missing(tmp_path)
    assert str(error.value).startswith(str(tmp_path / "missing.json")) and message in str(error.value)
    assert len(str(error.value)) < 600
    assert main(["missing", "--results", str(tmp_path)]) in (0, 2)  # never a traceback
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_gives_one_line_saying_how_to_resume(monkeypatch, capsys):
    from ferlib import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "train", interrupted)
    argv = ["train", "--model", "2", "--dataset", "jaffe", "--store", "my runs"]
    assert cli.main(argv) == 130
    err = capsys.readouterr().err
    assert err.splitlines() == ["interrupted: nothing half-written is kept; run `python -m ferlib train --model 2 "
                                "--dataset jaffe --store 'my runs'` again to resume (finished runs are reused and a "
                                "training goes on from its last finished epoch)"]


def _press_ctrl_c_swallowed():
    """Send this process SIGINT and swallow the ``KeyboardInterrupt``, as Python does when
    the signal lands in a finaliser inside a library."""
    import signal

    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt:
        pass


def test_a_swallowed_ctrl_c_still_stops_the_training_at_its_first_batch_end():
    import numpy as np

    from ferlib import interrupt
    from ferlib.models import build_model
    from ferlib.training import fit

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (32, 48, 48), dtype=np.uint8), np.arange(32) % 7
    epochs_done = []
    with interrupt.watch():
        _press_ctrl_c_swallowed()
        assert interrupt.requested()
        with pytest.raises(KeyboardInterrupt):
            fit(build_model(1, seed=0), images, labels, images[:8], labels[:8], epochs=50, batch_size=8,
                learning_rate=1e-3, seed=0, augment=False, log=epochs_done.append)
    assert epochs_done == []  # stopped inside the first epoch, not after 50
    assert not interrupt.requested()  # the next command starts afresh


def test_a_ctrl_c_swallowed_in_a_garbage_collector_callback_prints_no_traceback(monkeypatch):
    """JAX runs a Python callback at every garbage collection: a Ctrl-C handled there raises
    where Python can only print it ("Exception ignored in ... Traceback") and go on. It
    stays recorded and is not printed; any other such exception still is."""
    import gc
    import signal
    import sys

    from ferlib import interrupt

    printed = []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)  # Python's default prints them
    pressed = []

    def like_jax_gc_callback(phase, info):
        if not pressed:
            pressed.append(phase)
            signal.raise_signal(signal.SIGINT)  # the handler raises inside this callback

    def broken_callback(phase, info):
        raise ValueError("a bug in a callback")

    recorded = []
    for callback in (like_jax_gc_callback, broken_callback):
        with interrupt.watch():
            gc.callbacks.append(callback)
            try:
                gc.collect()
            finally:
                gc.callbacks.remove(callback)
            recorded.append(interrupt.requested())
    assert pressed == ["start"] and recorded == [True, False]  # the Ctrl-C is recorded: a training stops
    assert {error.exc_type for error in printed} == {ValueError}
    assert sys.unraisablehook == printed.append  # the hook that was there is back


def test_after_ctrl_c_the_process_leaves_with_130_and_no_exit_hook_prints(tmp_path):
    """Once the interrupted command's line is printed, the libraries' exit hooks (JAX's,
    TensorFlow's) do not run: none can print a traceback or change the exit status."""
    import subprocess
    import sys

    code = ("import atexit, runpy, sys\n"
            "from ferlib import cli\n"
            "atexit.register(lambda: print('Traceback: an exit hook ran', file=sys.stderr))\n"
            "def interrupted(args):\n"
            "    raise KeyboardInterrupt\n"
            "cli.COMMANDS['runs'] = interrupted\n"
            "sys.argv = ['ferlib', 'runs', '--store', sys.argv[1]]\n"
            "runpy.run_module('ferlib', run_name='__main__', alter_sys=True)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 130, done.stderr[-2000:]
    assert done.stderr.splitlines()[-1].startswith("interrupted: nothing half-written is kept; run `python -m ferlib "
                                                   "runs --store")
    assert "Traceback" not in done.stderr


def test_ctrl_c_inside_a_deferred_block_waits_for_its_safe_point_and_a_second_one_does_not():
    import signal

    from ferlib import interrupt

    reached = []
    with interrupt.watch():
        with pytest.raises(KeyboardInterrupt):
            with interrupt.deferred():
                signal.raise_signal(signal.SIGINT)  # recorded only
                reached.append("after the first Ctrl-C")
                interrupt.raise_if_requested()
                reached.append("after the safe point")
        assert reached == ["after the first Ctrl-C"]
    with interrupt.watch():  # a new command: the first Ctrl-C is recorded afresh
        with pytest.raises(KeyboardInterrupt):
            with interrupt.deferred():
                signal.raise_signal(signal.SIGINT)
                reached.append("after the first Ctrl-C")
                signal.raise_signal(signal.SIGINT)  # a second Ctrl-C: at once
                reached.append("after the second Ctrl-C")
    assert reached == ["after the first Ctrl-C"] * 2


def test_an_error_that_ctrl_c_caused_is_reported_as_the_interrupt(monkeypatch, capsys):
    import signal

    from ferlib import cli

    def interrupted_then_broken(args):
        _press_ctrl_c_swallowed()
        raise TypeError("Exception encountered when calling RandomTranslation.call()")  # what Keras raised

    def broken(args):
        raise TypeError("a bug")

    handler = signal.getsignal(signal.SIGINT)
    monkeypatch.setitem(cli.COMMANDS, "train", interrupted_then_broken)
    assert cli.main(["train", "--model", "2", "--dataset", "jaffe"]) == 130
    assert [line[:12] for line in capsys.readouterr().err.splitlines()] == ["interrupted:"]
    assert signal.getsignal(signal.SIGINT) is handler  # Python's own handler is back
    monkeypatch.setitem(cli.COMMANDS, "train", broken)
    with pytest.raises(TypeError, match="a bug"):  # without Ctrl-C a bug stays a bug
        cli.main(["train", "--model", "2", "--dataset", "jaffe"])


def test_ctrl_c_in_a_real_process_prints_no_traceback(tmp_path):
    """SIGINT to ``python -m ferlib train`` (a long smoke run) once it trains: one line,
    exit 130."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    store = tmp_path / "s"
    process = subprocess.Popen([sys.executable, "-m", "ferlib", "train", "--model", "2", "--dataset", "jaffe",
                                "--store", str(store), "--epochs", "500", *SMOKE],
                               stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    deadline = time.monotonic() + 600
    while not (store / ".partial").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)  # until it holds the run's lock: training has begun
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err[-2000:]
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("WARNING", "I0000", "E0000",
                                                                                         "W0000"))]
    assert lines[-1].startswith("interrupted: nothing half-written is kept; run `python -m ferlib train")
    assert "Traceback" not in err
