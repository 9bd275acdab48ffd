"""campaign-import is a gate: only the files campaign.json lists, each of its size and
sha256; bounded extraction; every run checked and audited in a staging folder before
results/ changes at all; conflicting duplicates refused; a replacement shown; weights
checked before they are sealed; only real-data runs of the protocol's kinds."""

import dataclasses
import gzip
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from ferlib import campaign_files as files
from ferlib.campaign_import import import_files
from ferlib.cli import main
from ferlib.fingerprint import file_sha256
from ferlib.identity import run_id
from ferlib.results import paper_results, seal_run
from ferlib.store import PREDICTIONS_FILE, read_run

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "paper"


@pytest.fixture(scope="module")
def committed():
    """Model 2's committed protocol run on JAFFE."""
    return paper_results(RESULTS)[(2, "jaffe", None)]


@pytest.fixture
def results(tmp_path, committed):
    """A small results folder: the data summary, missing.json and one other committed run."""
    folder = tmp_path / "results"
    folder.mkdir()
    for name in ("datasets.json", "missing.json"):
        shutil.copy2(RESULTS / name, folder / name)
    other = paper_results(RESULTS)[(2, "ckplus", None)]
    shutil.copytree(other.path, folder / other.id)
    return folder


def snapshot(folder) -> dict:
    """``{relative path: sha256}`` of every file under ``folder``."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def edited_copy(run, folder, *, metrics=None, manifest=None, config=None, predictions=None) -> Path:
    """A copy of ``run`` in ``folder/<id>`` with edits, resealed (``sha256.txt`` recomputed);
    a changed config gets the id it hashes to, so that the audit's id check passes."""
    target = folder / "tmp-copy"
    shutil.copytree(run.path, target)
    values = json.loads((target / "manifest.json").read_text())
    if config is not None:
        (target / "config.json").write_text(config.to_json() + "\n")
        values["run_id"] = run_id(config, values["data_fingerprint"], values["numerics_version"])
    if manifest:
        values.update(manifest)
    (target / "manifest.json").write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")
    if metrics is not None:
        (target / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    if predictions is not None:
        predictions.to_csv(target / "predictions.csv.gz", index=False)
    seal_run(target)
    final = folder / values["run_id"]
    target.rename(final)
    return final


def campaign_folder(folder, run_folders, *, weights=None, log=None) -> Path:
    """A campaign's output folder holding ``run_folders`` in ``runs.tar.gz`` (and
    ``weights``: ``{file name: bytes}``), with its campaign.json."""
    folder.mkdir(parents=True)
    archive = folder / files.RUNS_ARCHIVE
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="runs", recursive=False)
        for run_folder in run_folders:
            tar.add(run_folder, arcname=f"runs/{Path(run_folder).name}")
    for name, data in (weights or {}).items():
        (folder / name).write_bytes(data)
    record = {"jobs": [], "archives": {files.RUNS_ARCHIVE: files.archive_contents(archive)},
              "out_files": {p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
                            for p in sorted(folder.iterdir())}}
    record.update(log or {})
    (folder / files.LOG_FILE).write_text(json.dumps(record))
    return folder


def test_a_returned_run_comes_in_audited_and_missing_json_follows(tmp_path, results, committed, capsys):
    out = campaign_folder(tmp_path / "out", [committed.path])
    before = json.loads((results / "missing.json").read_text())
    before["runs"].append({"key": [2, "jaffe", None], "reason": "pretend it is missing"})
    (results / "missing.json").write_text(json.dumps(before))
    assert main(["campaign-import", *map(str, sorted(out.iterdir())), "--to", str(results),
                 "--store", str(tmp_path / "store")]) == 0
    assert f"imported 1 runs into {results}: {committed.id}" in capsys.readouterr().out
    assert snapshot(results / committed.id) == snapshot(committed.path)
    assert [2, "jaffe", None] not in [e["key"] for e in json.loads((results / "missing.json").read_text())["runs"]]
    again = import_files([out / files.RUNS_ARCHIVE], results_dir=results, store_dir=tmp_path / "store")
    assert again["kept"] == [committed.id] and not again["imported"] and not again["notes"]


def test_a_returned_run_of_an_older_ferlib_comes_in_compressed(tmp_path, results, committed, legacy_copier):
    """A campaign trained by code from before predictions were compressed returns a plain
    predictions.csv: it is imported as predictions.csv.gz, byte for byte the committed
    run's. Compared with a committed run, the predictions count by their CSV, not by how
    gzip compressed them."""
    legacy = legacy_copier(committed, tmp_path / "returned" / committed.id)
    out = campaign_folder(tmp_path / "out", [legacy])
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert report["problems"] == [] and report["imported"] == [committed.id]
    assert snapshot(results / committed.id) == snapshot(committed.path)
    packed = results / committed.id / PREDICTIONS_FILE
    packed.write_bytes(gzip.compress(gzip.decompress(packed.read_bytes()), compresslevel=1, mtime=1))
    seal_run(results / committed.id)
    again = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert again["kept"] == [committed.id] and not again["imported"] and not again["notes"]


def test_only_files_the_log_lists_are_taken(tmp_path, results, committed):
    out = campaign_folder(tmp_path / "out", [committed.path])
    record = json.loads((out / files.LOG_FILE).read_text())
    del record["out_files"][files.RUNS_ARCHIVE]
    (out / files.LOG_FILE).write_text(json.dumps(record))
    before = snapshot(results)
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert report["problems"] == [f"{out / files.RUNS_ARCHIVE}: not listed in {out / files.LOG_FILE}; only the "
                                  f"files a campaign lists (with their size and sha256) are taken"]
    (out / files.LOG_FILE).unlink()
    with pytest.raises(ValueError, match=r"runs\.tar\.gz: no campaign\.json given or beside it"):
        import_files([out / files.RUNS_ARCHIVE], results_dir=results, store_dir=tmp_path / "store")
    assert snapshot(results) == before and not report["imported"]


def test_a_file_of_another_size_or_sha256_is_refused(tmp_path, results, committed):
    out = campaign_folder(tmp_path / "out", [committed.path])
    archive = out / files.RUNS_ARCHIVE
    data = archive.read_bytes()
    archive.write_bytes(data[:-10] + b"0123456789")
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert len(report["problems"]) == 1 and "the file is corrupt" in report["problems"][0]
    archive.write_bytes(data[:-10])
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert report["problems"][0].startswith(f"{archive}: {len(data) - 10} bytes;")


def test_a_run_that_fails_the_audit_leaves_results_untouched(tmp_path, results, committed, capsys):
    """Two runs in one archive, one of them with an edited metric (resealed): neither comes in."""
    metrics = dict(committed.metrics, test=dict(committed.metrics["test"], accuracy=0.99))
    bad = edited_copy(committed, tmp_path, metrics=metrics)
    other = paper_results(RESULTS)[(1, "jaffe", None)]
    out = campaign_folder(tmp_path / "out", [other.path, bad])
    before = snapshot(results)
    argv = ["campaign-import", *map(str, sorted(out.iterdir())), "--to", str(results), "--store", str(tmp_path / "s")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"problem: {out / files.RUNS_ARCHIVE}:runs/{committed.id}: metrics.json test.accuracy = 0.99" in err
    assert f"nothing imported: 1 problems; {results} is unchanged" in err
    assert snapshot(results) == before and not (tmp_path / "s").exists()


def test_conflicting_duplicates_are_refused(tmp_path, results, committed):
    """The same run id from two campaigns with different contents (both pass the audit)."""
    changed = edited_copy(committed, tmp_path, manifest={"wall_time_s": 1.0})
    first = campaign_folder(tmp_path / "a", [committed.path])
    second = campaign_folder(tmp_path / "b", [changed])
    before = snapshot(results)
    given = [*sorted(first.iterdir()), *sorted(second.iterdir())]
    report = import_files(given, results_dir=results, store_dir=tmp_path / "store")
    assert report["problems"] == [f"{second / files.RUNS_ARCHIVE}:runs/{committed.id}: run {committed.id} is also "
                                  f"in {first / files.RUNS_ARCHIVE}:runs/{committed.id} with other contents (its "
                                  f"files' sha256 differ); which one is right cannot be told: import one"]
    assert snapshot(results) == before
    same = campaign_folder(tmp_path / "c", [committed.path])  # the same run twice is one run
    report = import_files([*sorted(first.iterdir()), *sorted(same.iterdir())], results_dir=results,
                          store_dir=tmp_path / "store")
    assert report["imported"] == [committed.id] and not report["problems"]


def test_replace_shows_the_difference_and_is_never_silent(tmp_path, results, committed, capsys):
    """A fabricated run of a committed id (every test image right, metrics recomputed,
    resealed) is kept out without --replace and replaces with the difference printed."""
    from ferlib.results import metrics_from_labels

    shutil.copytree(committed.path, results / committed.id)
    predictions = committed.predictions.copy()
    columns = [c for c in predictions.columns if c.startswith("p_")]
    test = predictions["part"] == "test"
    predictions.loc[test, "predicted"] = predictions.loc[test, "true"]
    predictions.loc[test, columns] = 0.0
    for row in predictions.index[test]:
        predictions.loc[row, columns[predictions.loc[row, "true"]]] = 1.0
    rows = predictions[test]
    metrics = dict(committed.metrics, test=metrics_from_labels(rows["true"], rows["predicted"]))
    fake = edited_copy(committed, tmp_path, metrics=metrics, predictions=predictions)
    out = campaign_folder(tmp_path / "out", [fake])
    argv = ["campaign-import", *map(str, sorted(out.iterdir())), "--to", str(results), "--store", str(tmp_path / "s")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    old = committed.metrics["test"]["accuracy"]
    assert f"already there, kept: {committed.id}" in printed
    assert f"note: {committed.id}: kept the committed run; the returned one ({out / files.RUNS_ARCHIVE}:runs/" \
           f"{committed.id}) differs: metrics.json, predictions.csv.gz differ; test accuracy {old!r} -> 1.0" in printed
    assert read_run(results / committed.id).metrics["test"]["accuracy"] == old
    assert main(argv + ["--replace"]) == 0
    printed = capsys.readouterr().out
    assert f"replaced {committed.id}: metrics.json, predictions.csv.gz differ; test accuracy {old!r} -> 1.0" in printed
    assert read_run(results / committed.id).metrics["test"]["accuracy"] == 1.0


def test_extraction_is_bounded_by_the_log_and_by_hard_limits(tmp_path, results, committed, monkeypatch):
    out = campaign_folder(tmp_path / "out", [committed.path])
    record = json.loads((out / files.LOG_FILE).read_text())
    declared = record["archives"][files.RUNS_ARCHIVE]
    for field, value, message in (("bytes", declared["bytes"] - 1, "its members come to more than"),
                                  ("members", declared["members"] - 1, "holds more than")):
        record["archives"][files.RUNS_ARCHIVE] = dict(declared, **{field: value})
        (out / files.LOG_FILE).write_text(json.dumps(record))
        report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
        assert len(report["problems"]) == 1 and message in report["problems"][0]
        assert report["problems"][0].startswith(f"{out / files.RUNS_ARCHIVE}: ")
    del record["archives"]  # a campaign before bounds were recorded: the hard limits hold
    (out / files.LOG_FILE).write_text(json.dumps(record))
    monkeypatch.setattr(files, "MAX_ARCHIVE_BYTES", 1000)
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert "more than 1,000 bytes" in report["problems"][0]
    assert not (results / committed.id).exists()


def test_a_zip_bomb_member_is_refused_from_its_header(tmp_path, results):
    """A small archive with a member of 400 MiB of zeros, and a log that records no bounds:
    refused from the member's header, before its bytes are read."""
    import io

    class Zeros(io.RawIOBase):
        def __init__(self, size):
            self.left = size

        def readable(self):
            return True

        def readinto(self, buffer):
            n = min(len(buffer), self.left)
            buffer[:n] = bytes(n)
            self.left -= n
            return n

    out = tmp_path / "out"
    out.mkdir()
    archive = out / files.RUNS_ARCHIVE
    member = tarfile.TarInfo("runs/0123456789abcdef/predictions.csv.gz")
    member.size = 400 * 2**20
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.addfile(member, io.BufferedReader(Zeros(member.size), 1 << 20))
    assert archive.stat().st_size < 2 * 2**20
    log = {"jobs": [], "out_files": {archive.name: {"bytes": archive.stat().st_size, "sha256": file_sha256(archive)}}}
    (out / files.LOG_FILE).write_text(json.dumps(log))
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert report["problems"] == [f"{archive}: member runs/0123456789abcdef/predictions.csv.gz of 419,430,400 bytes, "
                                  f"more than the 16,777,216 bytes a run's file may have; not extracted"]


@pytest.mark.parametrize("content, why", [(b"", "empty file"), (b"not gzip at all", "not a complete gzip"),
                                          ("truncated", "not a complete gzip")])
def test_empty_truncated_and_non_gzip_archives_give_one_clear_problem(content, why, tmp_path, results, committed):
    if content == "truncated":
        whole = campaign_folder(tmp_path / "whole", [committed.path]) / files.RUNS_ARCHIVE
        content = whole.read_bytes()[: whole.stat().st_size // 2]
    out = tmp_path / "out"
    out.mkdir()
    archive = out / files.RUNS_ARCHIVE
    archive.write_bytes(content)
    log = {"jobs": [], "out_files": {archive.name: {"bytes": len(content), "sha256": file_sha256(archive)}}}
    (out / files.LOG_FILE).write_text(json.dumps(log))
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert len(report["problems"]) == 1, report
    assert report["problems"][0].startswith(f"{archive}: not a complete gzip-compressed tar archive")
    assert why in report["problems"][0] and "ferlib-import-" not in report["problems"][0]


@pytest.mark.parametrize("log, message", [
    ("[]", "expected a JSON object (a campaign's log), got list"),
    ('{"jobs": []', "not valid JSON"),
    ('{"jobs": []}', "has no 'out_files' table"),
    ('{"out_files": {"runs.tar.gz": {"sha256": "%s"}}}' % ("0" * 64), "out_files['runs.tar.gz']: 'bytes' must be"),
    ('{"out_files": {"runs.tar.gz": {"bytes": 10, "sha256": "x"}}}', "'sha256' must be 64 hex digits"),
    ('{"out_files": {"../x.tar.gz": {"bytes": 10, "sha256": "%s"}}}' % ("0" * 64), "not a name a campaign writes"),
    ('{"out_files": {}, "archives": {"runs.tar.gz": {"members": -1, "bytes": 1}}}', "must be {'members': int"),
])
def test_a_malformed_campaign_json_is_named_with_its_entry(log, message, tmp_path, results, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / files.RUNS_ARCHIVE).write_bytes(b"x")
    (out / files.LOG_FILE).write_text(log)
    assert main(["campaign-import", str(out / files.RUNS_ARCHIVE), "--to", str(results),
                 "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out / files.LOG_FILE}: ") and message in err and len(err.splitlines()) == 1


def test_a_broken_run_inside_an_archive_fails_the_import_naming_it(tmp_path, results, committed):
    broken = tmp_path / "broken" / committed.id
    shutil.copytree(committed.path, broken)
    (broken / "metrics.json").write_text('{"test": {"accur')
    out = campaign_folder(tmp_path / "out", [broken])
    before = snapshot(results)
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert len(report["problems"]) == 1 and not report["imported"]
    assert report["problems"][0].startswith(f"{out / files.RUNS_ARCHIVE}:runs/{committed.id}/metrics.json: "
                                            f"not valid JSON")
    assert snapshot(results) == before


def test_only_real_data_runs_of_the_protocols_kinds_come_in(tmp_path, results, committed):
    synthetic = edited_copy(committed, tmp_path, config=dataclasses.replace(committed.config, data="synthetic",
                                                                                 synthetic_size=140))
    longer = edited_copy(committed, tmp_path, config=dataclasses.replace(committed.config, epochs=3))
    fold = dataclasses.replace(committed.config, protocol="loso", fold=3)
    subject = edited_copy(committed, tmp_path, config=fold)  # a subject-independent fold: accepted
    out = campaign_folder(tmp_path / "out", [synthetic, longer, subject])
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    refused = sorted(p.split(":runs/")[1][:16] for p in report["problems"] if "is not a run a paper campaign" in p)
    assert refused == sorted([synthetic.name, longer.name]), report["problems"]
    assert "(synthetic data)" in " ".join(report["problems"])
    assert not (results / subject.name).exists(), "all or nothing"


def test_the_runs_that_test_the_fine_tune_gain_come_in(tmp_path, results):
    """The campaign's transfer phase trains fine-tuned subject folds and runs on other
    split seeds: the gate takes them (it refused them as not of the protocol's kinds)."""
    from ferlib.results import committed_runs, is_split_seed_run, is_subject_finetune_fold

    runs = committed_runs(RESULTS)
    fold = next(run for run in runs if is_subject_finetune_fold(run.config))
    split = next(run for run in runs if is_split_seed_run(run.config) and run.config.is_finetune)
    off = edited_copy(fold, tmp_path, config=dataclasses.replace(fold.config, learning_rate=0.5))
    out = campaign_folder(tmp_path / "out", [fold.path, split.path])
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert not report["problems"], report["problems"]
    assert sorted(report["imported"]) == sorted([fold.id, split.id])
    # a fine-tuned fold at other settings is still refused
    out = campaign_folder(tmp_path / "out2", [off])
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert any("is not a run a paper campaign" in p for p in report["problems"]), report["problems"]


def test_weights_are_checked_before_they_are_sealed(tmp_path, results, committed):
    import keras

    from ferlib.models import build_model

    name = f"{committed.id}{files.WEIGHTS_SUFFIX}"
    tiny = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    tiny.save(tmp_path / "tiny.keras")
    right = build_model(2, input_scaling=committed.config.input_scaling)
    right.save(tmp_path / "right.keras")
    for data, message in ((b"garbage weights", "not a complete Keras archive"),
                          ((tmp_path / "tiny.keras").read_bytes(), "these are not the run's weights")):
        out = campaign_folder(tmp_path / f"out-{len(data)}", [committed.path], weights={name: data})
        report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
        assert len(report["problems"]) == 1 and report["problems"][0].startswith(f"{out / name}: ")
        assert message in report["problems"][0]
        assert not (tmp_path / "store").exists() and not (results / committed.id).exists()
    out = campaign_folder(tmp_path / "good", [committed.path], weights={name: (tmp_path / "right.keras").read_bytes()})
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert report["weights"] == [committed.id] and not report["problems"]
    assert read_run(tmp_path / "store" / committed.id).has_model


def test_a_lone_part0_of_weights_is_refused(tmp_path, results, committed):
    name = f"{committed.id}{files.WEIGHTS_SUFFIX}"
    out = campaign_folder(tmp_path / "out", [committed.path], weights={f"{name}.part0": b"first half"})
    with pytest.raises(ValueError, match=r"\.part0: parts \[0\] of .*\(at least two\)"):
        import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")


def test_a_returned_run_is_audited_against_the_committed_data_summary(tmp_path, results, committed):
    """Misclassified test rows removed, metrics recomputed, resealed: refused at the gate."""
    from ferlib.results import metrics_from_labels

    frame = committed.predictions
    kept = frame[~((frame["part"] == "test") & (frame["true"] != frame["predicted"]))]
    metrics = dict(committed.metrics, **{part: metrics_from_labels(kept.loc[kept["part"] == part, "true"],
                                                                   kept.loc[kept["part"] == part, "predicted"])
                                         for part in ("val", "test")})
    fake = edited_copy(committed, tmp_path, metrics=metrics, predictions=kept)
    out = campaign_folder(tmp_path / "out", [fake])
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert len(report["problems"]) == 1 and not (results / committed.id).exists()
    assert report["problems"][0].startswith(f"{out / files.RUNS_ARCHIVE}:runs/{committed.id}: predictions.csv.gz holds "
                                            f"{int((kept['part'] == 'test').sum())} test rows, but the jaffe split")
