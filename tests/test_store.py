"""The run store never serves a broken run: truncated, missing or edited files are
reported by folder and file, left out of the listing, and treated as absent; temporary
files of killed writes are removed. No training: the runs are copies of committed ones."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from ferlib import results
from ferlib.atomic import host_token
from ferlib.book import project_root
from ferlib.cli import main
from ferlib import store as store_module
from ferlib.store import (CHECKSUMS_FILE, LEGACY_PREDICTIONS_FILE, MODEL_FILE, PREDICTIONS_FILE, REQUIRED_FILES,
                          BrokenRun, RunStore, gzip_bytes, predictions_bytes, read_run, seal_files)

RESULTS = project_root() / results.PAPER_RESULTS


def smallest_committed_run():
    """The committed run with the fewest predictions (quick to read and copy)."""
    return min(results.committed_runs(RESULTS), key=lambda run: len(run.predictions))


@pytest.fixture
def store(tmp_path):
    """A store holding a copy of one committed run, sealed with a (complete) model.keras."""
    run = smallest_committed_run()
    folder = tmp_path / "store" / run.id
    shutil.copytree(run.path, folder)
    with zipfile.ZipFile(folder / MODEL_FILE, "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\0" * 4096)
    seal_files(folder, (*REQUIRED_FILES, MODEL_FILE))
    return RunStore(tmp_path / "store")


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def edit_metric(path):
    metrics = json.loads(path.read_text())
    metrics["test"]["accuracy"] = min(1.0, metrics["test"]["accuracy"] + 0.05)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


#: ``{fault: (file it names, how to make it, words of the message)}``
FAULTS = {
    "truncated config.json": ("config.json", truncate, "not valid JSON"),
    "truncated manifest.json": ("manifest.json", truncate, "not valid JSON"),
    "truncated metrics.json": ("metrics.json", truncate, "not valid JSON"),
    "empty history.csv": ("history.csv", lambda p: p.write_text(""), "not a readable CSV"),
    "truncated predictions.csv.gz": ("predictions.csv.gz", truncate, "not complete gzip-compressed CSV"),
    "predictions.csv.gz of no columns": ("predictions.csv.gz", lambda p: p.write_bytes(gzip_bytes(b"a,b\n1,2\n")),
                                         "lacks the column"),
    "missing history.csv": ("history.csv", lambda p: p.unlink(), "missing history.csv"),
    "hand-edited metrics.json": ("metrics.json", edit_metric, "sha256 differs"),
    "invalid config value": ("config.json",
                             lambda p: p.write_text(p.read_text().replace('"model": ', '"model": 9', 1)),
                             "not a valid run config"),
    "truncated model.keras": ("model.keras", truncate, "model.keras"),
    "garbled sha256.txt": ("sha256.txt", lambda p: p.write_text("not a checksum line\n"), "is not '<sha256>"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_broken_run_folder_is_reported_by_name_left_out_and_never_served(store, fault):
    (rid,) = [p.name for p in store.root.iterdir()]
    assert [run.id for run in store.runs()] == [rid] and store.get(rid) is not None
    name, make, words = FAULTS[fault]
    make(store.path(rid) / name)
    found, broken = store.scan()
    assert found == [] and len(broken) == 1
    folder, problems = broken[0]
    assert folder == store.path(rid)
    assert any(name in p and words in p for p in problems), problems
    with pytest.warns(UserWarning, match=f"skipped the broken run folder .*{rid}"):
        assert store.runs() == []
    with pytest.warns(UserWarning, match=f"ignoring the broken run .*{name}"):
        assert store.get(rid) is None


def test_an_edited_metric_of_a_run_the_store_wrote_is_caught(tmp_path):
    """The store seals every run it writes, so a hand edit of any file is caught."""
    run = smallest_committed_run()
    store = RunStore(tmp_path / "store")
    saved = store.save(run.id, config=run.config, manifest=run.manifest, history=run.history,
                       metrics=run.metrics, predictions=run.predictions)
    assert (saved.path / CHECKSUMS_FILE).exists() and store.get(run.id) is not None
    edit_metric(saved.path / "metrics.json")
    with pytest.warns(UserWarning, match="metrics.json: changed since the run was written"):
        assert store.get(run.id) is None


def test_metrics_are_written_on_one_line_and_read_back_equal(tmp_path):
    """metrics.json is one line (indented, the metrics were a tenth of the results a GPU
    call carries: tests/test_transfer_runs.py counts them) and reads back as written."""
    run = smallest_committed_run()
    saved = RunStore(tmp_path / "store").save(run.id, config=run.config, manifest=run.manifest,
                                              history=run.history, metrics=run.metrics,
                                              predictions=run.predictions)
    text = (saved.path / "metrics.json").read_text()
    assert text.count("\n") == 1 and len(text) < len(json.dumps(run.metrics, sort_keys=True))
    assert saved.metrics == run.metrics


def _saved_predictions(root, run) -> bytes:
    """The bytes of predictions.csv.gz that a store at ``root`` writes for ``run``."""
    saved = RunStore(root).save(run.id, config=run.config, manifest=run.manifest, history=run.history,
                                metrics=run.metrics, predictions=run.predictions)
    assert sorted(p.name for p in saved.path.iterdir()) == sorted([*REQUIRED_FILES, CHECKSUMS_FILE])
    return (saved.path / PREDICTIONS_FILE).read_bytes()


def test_predictions_are_written_gzip_compressed_the_same_bytes_for_the_same_predictions(tmp_path, monkeypatch):
    """The same predictions give the same bytes (no time stamp, no file name in the
    gzip header), so their sha256 is the same whenever and wherever a run is written;
    the CSV inside is the one pandas writes, and reads back equal."""
    import time

    run = smallest_committed_run()
    first = _saved_predictions(tmp_path / "a", run)
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)  # another clock: gzip would stamp it
    second = _saved_predictions(tmp_path / "b", run)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    assert first[:2] == b"\x1f\x8b" and first[3] == 0 and first[4:8] == bytes(4), "gzip, no name, mtime 0"
    text = gzip.decompress(first)
    assert text == run.predictions.to_csv(index=False).encode() and len(first) < len(text) / 3
    assert read_run(tmp_path / "a" / run.id).predictions.equals(run.predictions)
    edited = run.predictions.copy()
    edited.loc[edited.index[0], "predicted"] = (edited.loc[edited.index[0], "predicted"] + 1) % 7
    assert predictions_bytes(edited) != first and predictions_bytes(run.predictions) == first


def test_a_run_with_a_plain_predictions_csv_still_loads_and_exports_compressed(tmp_path, legacy_copier):
    """A store written by an older ferlib (a training still running from an older
    commit) keeps predictions.csv: it is read, and exported as predictions.csv.gz, the
    same bytes as the committed run's, sealed and passing the audit."""
    run = smallest_committed_run()
    legacy = legacy_copier(run, tmp_path / "store" / run.id)
    (found,) = RunStore(tmp_path / "store").runs()
    assert found.id == run.id and found.predictions.equals(run.predictions)
    assert results.export_store(tmp_path / "store", tmp_path / "results") == [run.id]
    out = tmp_path / "results" / run.id
    assert sorted(p.name for p in out.iterdir()) == sorted([*REQUIRED_FILES, CHECKSUMS_FILE])
    assert (out / PREDICTIONS_FILE).read_bytes() == (run.path / PREDICTIONS_FILE).read_bytes()
    exported = read_run(out)
    assert exported.predictions.equals(run.predictions) and results.audit_run(exported) == []
    assert (legacy / LEGACY_PREDICTIONS_FILE).exists(), "the store's run is left as it is"
    plain = legacy / LEGACY_PREDICTIONS_FILE
    plain.write_bytes(plain.read_bytes() + plain.read_bytes().splitlines(keepends=True)[-1])  # a row added
    assert any(f"{LEGACY_PREDICTIONS_FILE}: changed since the run was written" in p
               for p in RunStore(tmp_path / "store").inspect(run.id)[1])


def test_a_run_with_indented_metrics_exports_them_on_one_line_read_back_equal(tmp_path, legacy_copier):
    """A store written before metrics.json was one line (an older commit's training)
    exports it on one line, the same JSON, sealed and passing the audit: the committed
    run's exact bytes."""
    run = smallest_committed_run()
    legacy = legacy_copier(run, tmp_path / "store" / run.id)
    (legacy / "metrics.json").write_text(json.dumps(run.metrics, indent=2, sort_keys=True) + "\n")
    seal_files(legacy, [LEGACY_PREDICTIONS_FILE if name == PREDICTIONS_FILE else name for name in REQUIRED_FILES])
    assert results.export_store(tmp_path / "store", tmp_path / "results") == [run.id]
    out = tmp_path / "results" / run.id
    assert (out / "metrics.json").read_bytes() == (run.path / "metrics.json").read_bytes()
    assert (out / "metrics.json").read_text().count("\n") == 1
    exported = read_run(out)
    assert exported.metrics == run.metrics and results.audit_run(exported) == []
    assert (legacy / "metrics.json").read_text().count("\n") > 1, "the store's run is left as it is"


def test_predictions_that_decompress_too_far_are_refused_unread(tmp_path, monkeypatch):
    """A gzip bomb (a few KiB that decompress to much more than any run's predictions)
    is refused by name after reading at most MAX_PREDICTIONS_BYTES of it."""
    run = smallest_committed_run()
    folder = tmp_path / run.id
    shutil.copytree(run.path, folder)
    size = len(gzip.decompress((folder / PREDICTIONS_FILE).read_bytes()))
    monkeypatch.setattr(store_module, "MAX_PREDICTIONS_BYTES", size)
    assert read_run(folder).predictions.equals(run.predictions), "exactly the limit is read"
    monkeypatch.setattr(store_module, "MAX_PREDICTIONS_BYTES", size - 1)
    with pytest.raises(BrokenRun, match=f"{PREDICTIONS_FILE}: holds more than {size - 1:,} bytes once decompressed"):
        read_run(folder)


def test_runs_command_names_the_broken_folder_and_lists_the_others(store, tmp_path, capsys):
    (rid,) = [p.name for p in store.root.iterdir()]
    other = store.root / "0123456789abcdef"
    shutil.copytree(store.path(rid), other)
    truncate(other / "metrics.json")
    assert main(["runs", "--store", str(store.root)]) == 0
    out, err = capsys.readouterr()
    assert rid in out and "0123456789abcdef" not in out
    assert f"warning: skipped the broken run folder {other}: {other / 'metrics.json'}: not valid JSON" in err


def test_check_reports_a_truncated_committed_file_by_name(tmp_path, capsys):
    run = smallest_committed_run()
    shutil.copytree(run.path, tmp_path / "results" / run.id)
    truncate(tmp_path / "results" / run.id / "manifest.json")
    assert main(["check", "--results", str(tmp_path / "results")]) == 1
    out = capsys.readouterr().out
    assert f"problem: {tmp_path / 'results' / run.id / 'manifest.json'}: not valid JSON" in out


def test_load_model_names_a_weights_file_keras_cannot_read(store):
    (run,) = store.runs()
    with pytest.raises(BrokenRun, match=f"{MODEL_FILE}: not a readable Keras model"):
        run.load_model()
    truncate(run.path / MODEL_FILE)
    with pytest.raises(BrokenRun, match=f"{MODEL_FILE}: changed since the run was written"):
        run.load_model()
    (run.path / CHECKSUMS_FILE).unlink()  # unsealed (an older run): the archive itself is checked
    with pytest.raises(BrokenRun, match=f"{MODEL_FILE}: not a complete Keras archive"):
        run.load_model()


def test_read_run_names_the_file_that_cannot_be_read(store):
    (rid,) = [p.name for p in store.root.iterdir()]
    (store.path(rid) / "metrics.json").write_text("[1, 2]")
    with pytest.raises(BrokenRun, match="metrics.json: expected a JSON object, got list"):
        read_run(store.path(rid))
    (store.path(rid) / "predictions.csv.gz").unlink()
    with pytest.raises(FileNotFoundError, match="missing predictions.csv.gz"):
        read_run(store.path(rid))


def test_a_store_path_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "runs"
    path.write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="expected a run store folder"):
        RunStore(path).runs()
    with pytest.raises(NotADirectoryError):
        RunStore(path).writer("abc")


def dead_pid() -> int:
    """The id of a process that has ended."""
    out = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(out.stdout)


def test_taking_the_writer_lock_removes_what_killed_writes_left(tmp_path):
    store = RunStore(tmp_path)
    host, dead = host_token(), dead_pid()
    killed_save = tmp_path / f".abc.tmp.{dead}@{host}.0badc0de"
    live_save = tmp_path / f".def.tmp.{os.getpid()}@{host}.0badc0de"
    old_style = tmp_path / ".tmp-abc-12345678"
    for folder in (killed_save, live_save, old_style):
        folder.mkdir()
        (folder / "metrics.json").write_text("{}")
    os.utime(old_style, (0, 0))  # an untagged temporary folder from long ago
    partial = store.partial_dir("abc")
    partial.mkdir(parents=True)
    killed_weights = partial / f".last-0002.weights.h5.tmp.{dead}@{host}.0badc0de.weights.h5"
    killed_weights.write_bytes(b"\0" * 1024)
    with store.writer("abc"):
        left = sorted(p.name for p in tmp_path.iterdir()) + sorted(p.name for p in partial.iterdir())
    assert killed_save.name not in left and old_style.name not in left and killed_weights.name not in left
    assert live_save.name in left  # a live writer's temporary folder is left alone
