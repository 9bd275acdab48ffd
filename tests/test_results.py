"""The committed reference results (results/paper): complete, honest and still current.

These tests fail when a committed run's files were edited, when the training code
changed its numbers since the run was made (its numerics version no longer matches), when a metric
does not follow from the stored predictions, when one of the paper's experiments is
neither committed nor explained, and (with the real data) when the data's
fingerprint differs or a run trained again leaves its stated tolerance.
"""

import dataclasses
import json
import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ferlib import results
from ferlib.book import project_root
from ferlib.identity import NUMERICS_VERSION
from ferlib.store import (LEGACY_PREDICTIONS_FILE, MODEL_FILE, PREDICTIONS_FILE, RunStore, predictions_bytes, read_run,
                          training_seconds)

RESULTS = project_root() / results.PAPER_RESULTS


def committed():
    return results.committed_runs(RESULTS)


def test_results_folder_holds_committed_runs_and_a_data_summary():
    assert RESULTS.is_dir(), f"{RESULTS} is missing"
    assert committed(), f"{RESULTS} holds no finished run"
    summaries = results.read_dataset_summaries(RESULTS)
    assert set(summaries) == {"fer2013", "ckplus", "ckplus7", "jaffe"}


def test_no_committed_run_folder_is_broken():
    """A broken folder is left out of committed_runs (and so of the per-run audit): it
    must not exist at all."""
    runs, broken = RunStore(RESULTS).scan()
    assert runs and broken == [], broken


@pytest.mark.parametrize("run", committed(), ids=lambda run: run.id)
def test_committed_run_passes_the_audit(run):
    """Id = hash(config, data, numerics); numerics version = today's; metrics follow from
    predictions.csv.gz; no weights; relative image names."""
    assert results.audit_run(run) == []


@pytest.mark.parametrize("run", committed(), ids=lambda run: run.id)
def test_committed_run_records_where_and_how_it_ran(run):
    manifest = run.manifest
    for key in ("backend", "device", "hardware", "versions", "wall_time_s", "finished_at",
                "git_commit", "data_fingerprint", "numerics_version", "precision"):
        assert key in manifest, f"{run.path}: manifest.json lacks {key}"
    assert manifest["backend"] == run.config.backend
    assert manifest["wall_time_s"] > 0
    assert not manifest["git_commit"].endswith("-dirty"), f"{run.path}: made from uncommitted code"
    assert run.config.data == "real"


def test_every_paper_experiment_is_committed_or_explained():
    have = results.paper_results(RESULTS)
    explained = {tuple(entry["key"]) for entry in results.read_missing(RESULTS)}
    for key in results.paper_experiments():
        is_committed, is_explained = key in have, key in explained
        assert not (is_committed and is_explained), f"experiment {key}: committed and also listed in missing.json"
        assert is_committed or is_explained, f"experiment {key}: neither committed nor listed in missing.json"
    assert explained <= set(results.paper_experiments()), "missing.json lists unknown experiments"


def test_fine_tuned_runs_start_from_a_committed_source_run():
    have = results.paper_results(RESULTS)
    ids = {run.id for run in committed()}
    for (model, dataset, source), run in have.items():
        if source is not None:
            assert run.config.source_run in ids, f"{run.id}: its source run {run.config.source_run} is not committed"


def test_the_committed_study_supports_every_learning_rate_the_protocol_chose():
    """Each experiment's learning rate (stated deviations included) is the one the study's
    rule picks on the committed runs: the higher median validation accuracy of the two
    rate cells, on every data set where both are committed."""
    from ferlib import study

    table = study.study_table(study.study_runs(committed()))
    choices = study.rate_choices(table)
    assert set(choices["dataset"]) == {"jaffe", "ckplus7"}, "both data sets have runs at both rates"
    wrong = choices[~choices["agrees"]]
    assert wrong.empty, f"the study's rule picks another rate for {wrong[['dataset', 'rule_rate']].to_dict('records')}"
    assert (choices["protocol_seeds"] >= 3).all() and (choices["other_seeds"] >= 3).all()


# --------------------------------------------------------------------------- the audit can fail


@pytest.fixture
def copied_run(tmp_path):
    run = committed()[0]
    target = tmp_path / run.id
    shutil.copytree(run.path, target)
    return target


def test_audit_catches_an_edited_metric(copied_run):
    metrics = json.loads((copied_run / "metrics.json").read_text())
    metrics["test"]["accuracy"] += 0.01
    (copied_run / "metrics.json").write_text(json.dumps(metrics))
    problems = results.audit_run(read_run(copied_run))
    assert any("test.accuracy" in p for p in problems)


def test_audit_catches_an_edited_config(copied_run):
    config = json.loads((copied_run / "config.json").read_text())
    config["epochs"] += 1
    (copied_run / "config.json").write_text(json.dumps(config))
    problems = results.audit_run(read_run(copied_run))
    assert any("a file was edited" in p for p in problems)


def test_audit_catches_a_numerics_change_and_weights(copied_run):
    (copied_run / MODEL_FILE).write_bytes(b"weights")
    problems = results.audit_run(read_run(copied_run), numerics=NUMERICS_VERSION + 1)
    assert any(MODEL_FILE in p for p in problems)
    assert any(f"numerics version {NUMERICS_VERSION}," in p for p in problems)


def test_audit_catches_an_edited_numerics_version(copied_run):
    manifest = json.loads((copied_run / "manifest.json").read_text())
    manifest["numerics_version"] += 1
    (copied_run / "manifest.json").write_text(json.dumps(manifest))
    problems = results.audit_run(read_run(copied_run), numerics=manifest["numerics_version"])
    assert any("a file was edited" in p for p in problems)


def test_rekey_keeps_the_numbers_and_relinks_fine_tunes(tmp_path):
    """Re-keying under another numerics version renames every run, points each fine-tune
    at its source's new id, and copies predictions and metrics byte for byte."""
    copy = tmp_path / "paper"
    shutil.copytree(RESULTS, copy)
    before = {run.id: run for run in results.committed_runs(copy)}
    files = ("predictions.csv.gz", "metrics.json", "history.csv")
    content = {rid: {name: (run.path / name).read_bytes() for name in files} for rid, run in before.items()}
    renamed = results.rekey_results(copy, numerics=NUMERICS_VERSION + 1)
    assert set(renamed) == set(before) and len(set(renamed.values())) == len(before)
    after = {run.id: run for run in results.committed_runs(copy)}
    assert set(after) == set(renamed.values())
    for old, new in renamed.items():
        run = after[new]
        assert results.audit_run(run, numerics=NUMERICS_VERSION + 1) == []
        assert run.manifest["rekeyed_from"][-1] == old
        for name in files:
            assert (run.path / name).read_bytes() == content[old][name]
        if before[old].config.source_run is not None:
            assert run.config.source_run == renamed[before[old].config.source_run]


def test_audit_catches_a_flipped_prediction(copied_run):
    predictions = pd.read_csv(copied_run / "predictions.csv.gz")
    row = predictions.index[predictions["part"] == "test"][0]
    predictions.loc[row, "predicted"] = (predictions.loc[row, "true"] + 1) % 7
    predictions.to_csv(copied_run / "predictions.csv.gz", index=False)
    assert results.audit_run(read_run(copied_run)) != []


def test_export_drops_weights_and_refuses_absolute_paths(copied_run, tmp_path):
    (copied_run / MODEL_FILE).write_bytes(b"weights")
    out = results.export_run(read_run(copied_run), tmp_path / "exported")
    assert sorted(p.name for p in out.iterdir()) == sorted([*results.REQUIRED_FILES, results.CHECKSUMS_FILE])
    assert not list((tmp_path / "exported").glob(".tmp-*"))
    predictions = pd.read_csv(copied_run / "predictions.csv.gz")
    predictions["source"] = "/home/someone/data/" + predictions["source"].astype(str)
    predictions.to_csv(copied_run / "predictions.csv.gz", index=False)
    with pytest.raises(ValueError, match="absolute path"):
        results.export_run(read_run(copied_run), tmp_path / "again")
    assert not (tmp_path / "again").exists() or not list((tmp_path / "again").iterdir())


def test_missing_json_entries_are_validated(tmp_path):
    (tmp_path / results.MISSING_FILE).write_text(json.dumps({"runs": [{"key": [4, "jaffe", None], "reason": "x"}]}))
    with pytest.raises(ValueError, match=r"runs\[0\]"):
        results.read_missing(tmp_path)
    (tmp_path / results.MISSING_FILE).write_text(json.dumps({"runs": [{"key": [1, "jaffe", None], "reason": " "}]}))
    with pytest.raises(ValueError, match="no reason"):
        results.read_missing(tmp_path)
    entry = {"key": [1, "jaffe", None], "reason": "x"}
    for seconds in ({"avx2": -1.0}, {"avx2": "1 hour"}, {}, [3600.0], {"avx2": True}, {"avx2": float("inf")}):
        (tmp_path / results.MISSING_FILE).write_text(json.dumps({"runs": [{**entry, "cpu_seconds": seconds}]}))
        with pytest.raises(ValueError, match=r"runs\[0\]\.cpu_seconds"):
            results.read_missing(tmp_path)
    for seconds in (None, {"avx2": 3600.0, "avx512": 720}):
        (tmp_path / results.MISSING_FILE).write_text(json.dumps({"runs": [{**entry, "cpu_seconds": seconds}]}))
        assert results.read_missing(tmp_path)[0]["cpu_seconds"] == seconds
    (tmp_path / results.MISSING_FILE).write_text(json.dumps({"runs": [entry]}))
    assert results.read_missing(tmp_path) == [entry], "a file written before the times reads as it was"


def test_merged_accuracy_counts_both_parts():
    run = committed()[0]
    merged = results.merged_accuracy(run)
    val, test = run.metrics["val"], run.metrics["test"]
    assert merged["n"] == val["n"] + test["n"]
    expected = (round(val["accuracy"] * val["n"]) + round(test["accuracy"] * test["n"])) / merged["n"]
    assert merged["accuracy"] == pytest.approx(expected)


# --------------------------------------------------------------------------- against the real data


@pytest.mark.realdata
def test_data_summary_and_run_fingerprints_match_the_real_data(data_dir, tmp_path):
    from ferlib.experiment import load_data, prepare
    from ferlib.fingerprint import dataset_fingerprint

    summaries = results.read_dataset_summaries(RESULTS)
    again = results.summarize_datasets(data_dir, cache_dir=tmp_path)
    for name, summary in summaries.items():
        assert again[name]["fingerprint"] == summary["fingerprint"], f"{name}: the data differ from the committed summary"
        assert again[name]["counts"] == summary["counts"]
    loaded = {}
    for run in committed():
        name = run.config.dataset
        loaded.setdefault(name, load_data(name, data_dir=data_dir, cache_dir=tmp_path))
        data, part = prepare(run.config, loaded[name])
        assert dataset_fingerprint(data, split=part) == run.manifest["data_fingerprint"], run.id


@pytest.mark.realdata
@pytest.mark.slow
def test_cheapest_committed_run_reproduces_within_tolerance(data_dir, tmp_path):
    """Train the committed run with the shortest training again, from nothing: same
    run id, and a test accuracy within REPRODUCE_TOLERANCE_SE standard errors. The
    shortest is by the seconds of all its epochs: a run resumed from its checkpoint
    records only the last process's seconds in its manifest."""
    import keras

    from ferlib.experiment import train_run

    candidates = [run for run in committed() if not run.config.is_finetune
                  and run.config.backend == keras.backend.backend()]
    if not candidates:
        pytest.skip(f"no committed from-scratch run on the {keras.backend.backend()} backend")
    run = min(candidates, key=training_seconds)
    again = train_run(run.config, RunStore(tmp_path / "store"), data_dir=data_dir,
                      cache_dir=tmp_path / "cache", verbose=0)
    assert again.id == run.id
    committed_test, new_test = run.metrics["test"], again.metrics["test"]
    assert new_test["n"] == committed_test["n"]
    tolerance = results.REPRODUCE_TOLERANCE_SE * max(committed_test["accuracy_se"], 1 / committed_test["n"])
    assert abs(new_test["accuracy"] - committed_test["accuracy"]) <= tolerance, (
        f"{run.id}: test accuracy {new_test['accuracy']:.4f} now, {committed_test['accuracy']:.4f} committed "
        f"(tolerance {tolerance:.4f})")
    assert np.isfinite(again.history["loss"]).all()


def test_numerics_version_is_the_one_the_results_claim():
    """A readable failure for the most common cause of a red audit."""
    claimed = {run.manifest["numerics_version"] for run in committed()}
    assert claimed == {NUMERICS_VERSION}, (
        f"committed results were made at numerics version {sorted(claimed)}, the code is now "
        f"at {NUMERICS_VERSION}: train them again (python -m ferlib train ... --profile paper) and "
        f"export them (python -m ferlib export)")


# --------------------------------------------------------------------------- tamper evidence


def _edit_json(path, change):
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def _edit_csv(path, change):
    frame = pd.read_csv(path)
    change(frame)
    frame.to_csv(path, index=False)


def _bump_probability(frame):
    frame.loc[frame.index[-1], "p_angry"] += 0.001


MUTATIONS = {
    "config.json": lambda p: _edit_json(p, lambda c: c.update(batch_size=c["batch_size"] + 1)),
    "manifest.json": lambda p: _edit_json(p, lambda m: m.update(wall_time_s=m["wall_time_s"] + 1)),
    "history.csv": lambda p: _edit_csv(p, lambda h: h.__setitem__("loss", h["loss"] * 0.99)),
    "metrics.json": lambda p: _edit_json(p, lambda m: m["test"].update(macro_f1=m["test"]["macro_f1"] + 0.01)),
    "predictions.csv.gz": lambda p: _edit_csv(p, _bump_probability),
    "sha256.txt": lambda p: p.write_text(p.read_text().replace("config.json", "config.jsn", 1)),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_any_edit_of_any_file_of_a_committed_run_fails_the_audit_naming_it(copied_run, name):
    assert results.audit_run(read_run(copied_run)) == []
    MUTATIONS[name](copied_run / name)
    problems = results.audit_run(read_run(copied_run))
    assert problems, f"an edit of {name} went unnoticed"
    named = "config.json" if name == "sha256.txt" else name
    assert any(named in p for p in problems), problems


@pytest.mark.parametrize("field", ["balanced_accuracy", "macro_f1", "accuracy_se"])
def test_an_edited_metric_with_a_matching_checksum_is_still_caught(copied_run, field):
    """Recomputed from predictions.csv.gz: a re-sealed edit of any metric still fails."""
    _edit_json(copied_run / "metrics.json", lambda m: m["val"].update({field: m["val"][field] * 0.9 + 0.01}))
    results.seal_run(copied_run)
    problems = results.audit_run(read_run(copied_run))
    assert any(f"val.{field}" in p for p in problems), problems


def test_probabilities_must_sum_to_one_and_peak_at_the_prediction(copied_run):
    def shift(frame):
        row = frame.index[frame["part"] == "test"][0]
        frame.loc[row, "p_angry"] += 0.5

    _edit_csv(copied_run / "predictions.csv.gz", shift)
    results.seal_run(copied_run)
    problems = results.audit_run(read_run(copied_run))
    assert any("do not sum to 1" in p for p in problems), problems
    def swap(frame):
        row = frame.index[frame["part"] == "test"][0]
        p = [f"p_{name}" for name in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")]
        values = frame.loc[row, p].to_numpy()
        frame.loc[row, p] = values[::-1]

    shutil.rmtree(copied_run)
    shutil.copytree(committed()[0].path, copied_run)
    _edit_csv(copied_run / "predictions.csv.gz", swap)
    results.seal_run(copied_run)
    problems = results.audit_run(read_run(copied_run))
    assert any("not the largest" in p for p in problems), problems


def test_committed_runs_with_plain_predictions_are_compressed_read_back_equal(tmp_path, legacy_copier):
    """compress_committed_predictions rewrites every run under a results folder (at any
    depth) that keeps a plain predictions.csv: the same id and numbers, sealed, passing the
    audit; the bytes a run's writer gives; nothing to do a second time. A run edited after
    it was sealed is refused and left as it was."""
    runs = committed()[:2]
    folders = [legacy_copier(run, tmp_path / "results" / profile / run.id)
               for run, profile in zip(runs, ("paper", "quick"))]
    assert all(results.audit_run(read_run(f)) != [] for f in folders), "a plain predictions.csv is no committed run's"
    assert results.compress_committed_predictions(tmp_path / "results") == sorted(folders)
    for run, folder in zip(runs, folders):
        assert sorted(p.name for p in folder.iterdir()) == sorted([*results.REQUIRED_FILES, results.CHECKSUMS_FILE])
        again = read_run(folder)
        assert results.same_run(again, run) and again.id == folder.name
        assert results.audit_run(again) == []
        assert (folder / PREDICTIONS_FILE).read_bytes() == predictions_bytes(run.predictions)
    assert results.compress_committed_predictions(tmp_path / "results") == []
    edited = legacy_copier(runs[0], tmp_path / "edited" / runs[0].id)
    plain = edited / LEGACY_PREDICTIONS_FILE
    plain.write_bytes(plain.read_bytes().replace(b"\ntest,", b"\nval,", 1))
    before = plain.read_bytes()
    with pytest.raises(ValueError, match=f"{edited}: not converted, the run is not whole: .*changed since"):
        results.compress_committed_predictions(tmp_path / "edited")
    assert plain.read_bytes() == before and not (edited / PREDICTIONS_FILE).exists()


def test_export_seals_every_run(tmp_path):
    run = committed()[0]
    out = results.export_run(run, tmp_path / "out")
    assert (out / results.CHECKSUMS_FILE).exists()
    assert results.check_checksums(out) == []
    (out / results.CHECKSUMS_FILE).unlink()
    assert any("no sha256.txt" in p for p in results.audit_run(read_run(out)))


# --------------------------------------------------------------------------- subject-independent folds


def test_a_committed_fold_is_neither_a_protocol_run_nor_outside_the_protocol(tmp_path, fold_copier):
    """A fold of the subject-independent evaluation is recognised as such: it is not the
    protocol run of its experiment (other test images), nor a departure from the protocol;
    a newer run of the same fold replaces the older."""
    protocol_run = results.paper_results(RESULTS)[(2, "jaffe", None)]
    fold = fold_copier(protocol_run, 3, tmp_path)
    assert results.audit_run(fold) == []
    runs = [protocol_run, fold]
    assert results.protocol_runs(runs) == {(2, "jaffe", None): protocol_run}
    assert [r.id for rs in results.protocol_seed_runs(runs).values() for r in rs] == [protocol_run.id]
    assert results.runs_outside_protocol(runs) == []
    assert results.subject_fold_runs(runs) == {(2, "jaffe", 0): {3: fold}}
    assert results.subject_fold_runs(runs, models=(1, 3)) == {}
    newer = SimpleNamespace(id="newer", config=fold.config)
    assert results.subject_fold_runs([fold, newer])[(2, "jaffe", 0)][3] is newer
    other = SimpleNamespace(id="aug", config=dataclasses.replace(fold.config, augment=True))
    assert results.runs_outside_protocol([other]) == [other], "a fold at other settings departs"
    assert results.subject_fold_runs([other]) == {}


# --------------------------------------------------------------------------- resealed edits and malformed rows


@pytest.fixture
def beside_summary(tmp_path):
    """A committed protocol run copied with the data summary (datasets.json) beside it."""
    run = results.paper_results(RESULTS)[(2, "ckplus", None)]
    shutil.copy2(RESULTS / results.DATASETS_FILE, tmp_path / results.DATASETS_FILE)
    shutil.copytree(run.path, tmp_path / run.id)
    return tmp_path / run.id


def _reseal_with_metrics(folder, frame):
    """Write ``frame`` as predictions.csv.gz, recompute every metric from it and reseal: an
    edit that every checksum and metric agrees with."""
    frame.to_csv(folder / "predictions.csv.gz", index=False)
    _edit_json(folder / "metrics.json", lambda m: m.update(
        {part: results.metrics_from_labels(frame.loc[frame["part"] == part, "true"],
                                           frame.loc[frame["part"] == part, "predicted"])
         for part in ("val", "test")}))
    results.seal_run(folder)


def test_removed_misclassified_rows_resealed_are_caught_against_the_data_summary(beside_summary, capsys):
    from ferlib.cli import main

    frame = pd.read_csv(beside_summary / "predictions.csv.gz")
    test = frame["part"] == "test"
    wrong = test & (frame["true"] != frame["predicted"])
    _reseal_with_metrics(beside_summary, frame[~wrong])
    run = read_run(beside_summary)
    assert run.metrics["test"]["accuracy"] == 1.0
    problems = results.audit_run(run)
    expected = (f"{beside_summary}: predictions.csv.gz holds {int(test.sum() - wrong.sum())} test rows, but the "
                f"ckplus7 split 'paper seed 0' has {int(test.sum())} test images (datasets.json)")
    assert problems == [expected]
    assert main(["check", "--results", str(beside_summary.parent)]) == 1
    assert f"problem: {expected}" in capsys.readouterr().out


def test_a_relabelled_row_resealed_is_caught(beside_summary):
    frame = pd.read_csv(beside_summary / "predictions.csv.gz")
    row = frame.index[(frame["part"] == "val") & (frame["true"] != frame["predicted"])][0]
    frame.loc[row, "true"] = frame.loc[row, "predicted"]
    _reseal_with_metrics(beside_summary, frame)
    problems = results.audit_run(read_run(beside_summary))
    assert problems == [f"{beside_summary}: predictions.csv.gz's val rows are not the images and labels of the ckplus7 "
                        f"split 'paper seed 0' (datasets.json records another sha256 of them): an image or a label "
                        f"was changed"]


def test_a_data_summary_without_the_runs_split_is_a_problem(beside_summary):
    summaries = json.loads((beside_summary.parent / results.DATASETS_FILE).read_text())
    del summaries["ckplus7"]["parts"]["paper seed 0"]
    problems = results.audit_run(read_run(beside_summary), summaries=summaries)
    assert len(problems) == 1 and "records no val and test rows for ckplus7 split 'paper seed 0'" in problems[0]


def test_nan_probabilities_resealed_are_caught(beside_summary):
    frame = pd.read_csv(beside_summary / "predictions.csv.gz")
    columns = [c for c in frame.columns if c.startswith("p_")]
    frame.loc[frame["part"] == "test", columns] = np.nan
    frame.to_csv(beside_summary / "predictions.csv.gz", index=False)
    results.seal_run(beside_summary)
    problems = results.audit_run(read_run(beside_summary))
    first = int(frame.index[frame["part"] == "test"][0])
    assert len(problems) == len(columns)
    assert problems[0].startswith(f"{beside_summary}: predictions.csv.gz p_angry is not a finite probability in 0..1 "
                                  f"in row {first} (line {first + 2}) 'nan'")


def test_a_prediction_out_of_range_is_named_not_a_crash(beside_summary, capsys):
    """``predicted=7`` crashed the whole audit (IndexError); now the run and row are named."""
    from ferlib.cli import main

    frame = pd.read_csv(beside_summary / "predictions.csv.gz")
    frame.loc[3, "predicted"] = 7
    frame.to_csv(beside_summary / "predictions.csv.gz", index=False)
    results.seal_run(beside_summary)
    expected = f"{beside_summary}: predictions.csv.gz predicted is not a class 0..6 in row 3 (line 5) '7'"
    assert results.audit_run(read_run(beside_summary)) == [expected]
    assert main(["check", "--results", str(beside_summary.parent)]) == 1
    assert f"problem: {expected}" in capsys.readouterr().out


@pytest.mark.parametrize("column, value, expected", [
    ("part", "train2", "part is not 'val' or 'test'"),
    ("true", "abc", "true is not a class 0..6"),
    ("true", "-1", "true is not a class 0..6"),
    ("predicted", "3.5", "predicted is not a class 0..6"),
    ("p_fear", "x", "p_fear is not a finite probability in 0..1"),
    ("p_fear", "-0.1", "p_fear is not a finite probability in 0..1"),
    ("p_sad", "inf", "p_sad is not a finite probability in 0..1"),
    ("p_sad", "1.5", "p_sad is not a finite probability in 0..1"),
])
def test_every_kind_of_malformed_row_is_named_with_its_line(column, value, expected, beside_summary):
    frame = pd.read_csv(beside_summary / "predictions.csv.gz", dtype=str)
    frame.loc[10, column] = value
    frame.to_csv(beside_summary / "predictions.csv.gz", index=False)
    results.seal_run(beside_summary)
    problems = results.audit_run(read_run(beside_summary))
    assert problems == [f"{beside_summary}: predictions.csv.gz {expected} in row 10 (line 12) {value!r}"]


def test_metrics_json_of_the_wrong_shape_is_a_problem_not_a_crash(beside_summary):
    _edit_json(beside_summary / "metrics.json", lambda m: m.update(val=[0.5]))
    results.seal_run(beside_summary)
    problems = results.audit_run(read_run(beside_summary))
    assert f"{beside_summary}: metrics.json val is a list, not a table of metrics" in problems


def test_the_data_summary_records_every_split_the_protocol_s_runs_make():
    """JAFFE's rows are recorded for the paper's split of every split seed the transfer runs
    use and for each leave-one-subject-out fold; FER2013, with one official split, for
    split seed 0 only. Two draws of JAFFE's split differ, so their digests do too."""
    from ferlib.protocol import EXTRA_SPLIT_SEEDS, LOSO_FOLDS
    from ferlib.synthetic import make_synthetic

    # the summary is made of real data sets, which carry their plain names
    jaffe = results.split_parts(dataclasses.replace(make_synthetic("jaffe", 140, seed=0), name="jaffe"))
    assert set(jaffe) == ({f"paper seed {seed}" for seed in (0, *EXTRA_SPLIT_SEEDS)}
                          | {f"loso fold {fold} seed 0" for fold in range(LOSO_FOLDS["jaffe"])})
    assert jaffe["paper seed 1"]["test"]["sha256"] != jaffe["paper seed 0"]["test"]["sha256"]
    fer2013 = dataclasses.replace(make_synthetic("fer2013", 420, seed=0), name="fer2013")
    assert set(results.split_parts(fer2013)) == {"paper seed 0"}


def test_a_fine_tune_from_another_start_is_no_protocol_run(tmp_path, run_copier):
    """A fine-tune of the protocol's settings that starts from the modern recipe's network
    (``finetune --recipe``) has the protocol fine-tune's config but another source run: it
    must not replace the protocol's fine-tune, nor count as a fold, but be kept apart."""
    from ferlib.protocol import subject_finetune_config
    from ferlib.recipe import recipe_config

    runs = results.committed_runs(RESULTS)
    tuned = results.protocol_runs(runs)[(2, "jaffe", "fer2013")]
    start = next(run for run in runs if run.id == tuned.config.source_run)
    recipe_start = run_copier(start, recipe_config("recipe", model=2, seed=tuned.config.seed,
                                                   backend=start.config.backend), tmp_path)
    other = run_copier(tuned, dataclasses.replace(tuned.config, source_run=recipe_start.id), tmp_path)
    fold_config = subject_finetune_config("paper", 2, "jaffe", 3, seed=0, backend=tuned.config.backend,
                                          source="fer2013", source_run=recipe_start.id)
    fold = run_copier(tuned, fold_config, tmp_path)
    assert results.is_paper_config(other.config) and results.is_subject_finetune_fold(fold.config), (
        "by its config alone each looks like the protocol's")
    every = runs + [recipe_start, other, fold]
    assert results.other_starts(every) >= {other.id, fold.id}
    assert results.protocol_runs(every)[(2, "jaffe", "fer2013")].id == tuned.id
    assert fold.id not in {run.id for folds in results.subject_finetune_fold_runs(every).values()
                           for run in folds.values()}
    assert {other.id, fold.id} <= {run.id for run in results.runs_outside_protocol(every)}
    # without its start among the runs, a fine-tune is judged by its config
    assert results.protocol_runs(runs + [other])[(2, "jaffe", "fer2013")].id == other.id
