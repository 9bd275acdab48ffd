"""Non-CNN baselines: they learn, choose C on val only, and line up with CNN runs' test rows."""

import json

import numpy as np
import pandas as pd
import pytest

from ferlib import baselines, splits, stats
from ferlib.book import project_root
from ferlib.cli import main
from ferlib.datasets import make_dataset
from ferlib.evaluation import predictions_frame
from ferlib.experiment import load_data
from ferlib.labels import NUM_CLASSES


@pytest.fixture(scope="module")
def jaffe():
    """Synthetic JAFFE (213 faces, learnable) and its paper split, seed 0."""
    dataset = load_data("jaffe", synthetic_size=None, data_seed=0)
    return dataset, splits.make_split(dataset, "paper", seed=0)


@pytest.fixture(scope="module")
def fitted(jaffe):
    dataset, split = jaffe
    return {name: baselines.fit_baseline(name, dataset, split) for name in baselines.BASELINES}


def test_logistic_regressions_beat_the_majority_class(jaffe, fitted):
    dataset, split = jaffe
    majority = fitted["majority"]["test"]["accuracy"]
    train_counts = np.bincount(dataset.labels[split == "train"], minlength=NUM_CLASSES)
    test_labels = dataset.labels[split == "test"]
    assert majority == pytest.approx((test_labels == train_counts.argmax()).mean())
    for name in ("logistic_pixels", "hog_logistic"):
        assert fitted[name]["test"]["accuracy"] > majority + 0.15, name
        assert fitted[name]["C"] in baselines.C_GRID and fitted[name]["converged"]


def test_chosen_c_is_the_best_on_val_and_its_model_is_the_one_tested(fitted):
    for name in ("logistic_pixels", "hog_logistic"):
        result = fitted[name]
        scores = result["val_accuracy_by_C"]
        best = max(scores.values())
        assert result["C"] == min(c for c, v in scores.items() if v == best)  # ties: smaller C
        assert result["val"]["accuracy"] == pytest.approx(scores[result["C"]])


def test_ties_on_val_go_to_the_most_regularised_c():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    x = rng.normal(size=(40, 5)) + 10 * y[:, None]  # every C separates these perfectly
    C, _, scores, converged = baselines.select_c(x[::2], y[::2], x[1::2], y[1::2], grid=(1.0, 0.01, 0.1))
    assert set(scores.values()) == {1.0} and C == 0.01 and converged


def test_the_test_part_is_never_used_to_fit_or_choose(jaffe, monkeypatch):
    dataset, split = jaffe
    fits = []
    real_model = baselines.logistic_model

    def spying_model(C, seed=0):
        model = real_model(C, seed)
        fit = model.fit

        def recording_fit(x, y):
            fits.append(len(x))
            return fit(x, y)

        model.fit = recording_fit
        return model

    monkeypatch.setattr(baselines, "logistic_model", spying_model)
    baselines.fit_baseline("hog_logistic", dataset, split)
    assert fits == [int((split == "train").sum())] * len(baselines.C_GRID)


def test_scrambling_the_test_part_changes_nothing_but_the_test_metrics(jaffe, fitted):
    dataset, split = jaffe
    test = split == "test"
    images, labels = dataset.images.copy(), dataset.labels.copy()
    rng = np.random.default_rng(1)
    images[test] = rng.integers(0, 256, images[test].shape, dtype=np.uint8)
    labels[test] = (labels[test] + 1) % NUM_CLASSES
    scrambled = make_dataset(dataset.name, images, labels, subject=dataset.subject, source=dataset.source)
    for name in ("logistic_pixels", "hog_logistic"):
        before, after = fitted[name], baselines.fit_baseline(name, scrambled, split)
        assert after["C"] == before["C"] and after["val_accuracy_by_C"] == before["val_accuracy_by_C"]
        assert after["val"] == before["val"]
        assert after["test"]["accuracy"] != before["test"]["accuracy"]


def test_test_predictions_keep_the_data_sets_row_order(jaffe, fitted):
    dataset, split = jaffe
    rows = np.flatnonzero(split == "test")
    for result in fitted.values():
        frame = result["test_predictions"]
        assert (frame["row"].to_numpy() == rows).all()
        assert (frame["source"].to_numpy() == dataset.source[rows]).all()
        assert (frame["true"].to_numpy() == dataset.labels[rows]).all()
        assert (frame["correct"] == (frame["true"] == frame["predicted"])).all()
        assert result["test"]["accuracy"] == pytest.approx(frame["correct"].mean())


def _cnn_like_predictions(dataset, split, seed=0):
    """A predictions table laid out as train_run writes it: val rows, then test rows,
    each in the data set's row order, with random probabilities."""
    rng = np.random.default_rng(seed)
    frames = []
    for part in ("val", "test"):
        rows = split == part
        probs = rng.dirichlet(np.ones(NUM_CLASSES), rows.sum())
        frame = predictions_frame(dataset.labels[rows], probs, source=dataset.source[rows])
        frame.insert(0, "part", part)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_paired_correctness_lines_up_with_a_run_and_refuses_other_rows(jaffe, fitted):
    dataset, split = jaffe
    predictions = _cnn_like_predictions(dataset, split)
    frame = fitted["hog_logistic"]["test_predictions"]
    mine, theirs = baselines.paired_correctness(frame["source"], frame["correct"], predictions)
    test = predictions[predictions["part"] == "test"]
    assert (theirs == (test["true"] == test["predicted"]).to_numpy()).all()
    assert (mine == frame["correct"].to_numpy()).all()
    as_text = "".join("1" if c else "0" for c in frame["correct"])
    assert (baselines.paired_correctness(frame["source"], as_text, predictions)[0] == mine).all()
    assert stats.mcnemar_exact(mine, theirs)["n"] == len(frame)
    other = splits.make_split(dataset, "paper", seed=1)
    with pytest.raises(ValueError, match="test rows differ"):
        baselines.paired_correctness(frame["source"], frame["correct"], _cnn_like_predictions(dataset, other))
    with pytest.raises(ValueError, match="differ in size"):
        baselines.paired_correctness(frame["source"][:-1], frame["correct"][:-1], predictions)


@pytest.mark.slow
def test_lines_up_with_a_real_train_run(tmp_path):
    """A (tiny) CNN run of train_run on split seed 1: its predictions.csv.gz test rows are
    the baseline's test rows on make_split(seed=1), in the same order."""
    from ferlib.config import RunConfig
    from ferlib.experiment import train_run

    config = RunConfig(model=2, dataset="jaffe", data="synthetic", synthetic_size=140, epochs=1,
                       batch_size=32, limit_train=64, split_seed=1)
    run = train_run(config, tmp_path, verbose=0)
    dataset = load_data("jaffe", synthetic_size=140, data_seed=0)
    result = baselines.fit_baseline("majority", dataset, splits.make_split(dataset, "paper", seed=1))
    frame = result["test_predictions"]
    mine, theirs = baselines.paired_correctness(frame["source"], frame["correct"], run.predictions)
    assert len(theirs) == run.metrics["test"]["n"] and theirs.mean() == pytest.approx(run.metrics["test"]["accuracy"])


def test_max_train_cuts_only_the_train_part_stratified(jaffe, fitted):
    dataset, split = jaffe
    result = baselines.fit_baseline("logistic_pixels", dataset, split, max_train=70)
    assert result["train_n_available"] == 129 and 63 <= result["train_n"] <= 77
    assert (result["test_predictions"]["row"] == fitted["majority"]["test_predictions"]["row"]).all()
    assert result["test"]["n"] == fitted["logistic_pixels"]["test"]["n"]


def test_hog_features():
    assert baselines.hog_features(np.zeros((3, 48, 48), np.uint8)).shape == (3, 900)
    assert not baselines.hog_features(np.full((1, 48, 48), 128, np.uint8)).any()  # no gradient, no HOG
    edge = np.zeros((1, 48, 48), np.uint8)
    edge[:, :, 24:] = 255  # a vertical edge
    vertical = baselines.hog_features(edge)
    horizontal = baselines.hog_features(edge.transpose(0, 2, 1).copy())
    assert vertical.any() and not np.allclose(vertical, horizontal)
    with pytest.raises(ValueError, match="images must be uint8"):
        baselines.hog_features(np.zeros((2, 32, 32), np.uint8))


def test_bad_arguments(jaffe):
    dataset, split = jaffe
    with pytest.raises(ValueError, match="baseline must be one of"):
        baselines.fit_baseline("svm", dataset, split)
    with pytest.raises(ValueError, match="split must have shape"):
        baselines.fit_baseline("majority", dataset, split[:-1])
    with pytest.raises(ValueError, match="no 'val' rows"):
        baselines.fit_baseline("majority", dataset, np.where(split == "val", "train", split))


def test_baseline_table_report_is_small_consistent_json():
    report = baselines.baseline_table(None, ("jaffe", "fer2013"), seeds=(0, 1), synthetic_size=140,
                                      train_caps={"fer2013": {"logistic_pixels": 50}})
    json.dumps(report)  # JSON-ready
    assert [(s["dataset"], s["split_seeds"]) for s in report["splits"]] == [
        ("synthetic-jaffe", [0]), ("synthetic-jaffe", [1]), ("synthetic-fer2013", [0, 1])]
    assert len(report["results"]) == 3 * len(baselines.BASELINES)
    for record in report["results"]:
        split = next(s for s in report["splits"]
                     if (s["dataset"], s["split_seeds"]) == (record["dataset"], record["split_seeds"]))
        correct, predicted = record["test_correct"], record["test_predicted"]
        assert len(correct) == len(predicted) == len(split["sources"]) == len(split["labels"]) == record["test"]["n"]
        assert correct == "".join("1" if p == t else "0" for p, t in zip(predicted, split["labels"]))
        k = correct.count("1")
        assert record["test"]["accuracy"] == pytest.approx(k / len(correct))
        assert record["test"]["accuracy_wilson95"] == pytest.approx(list(stats.accuracy_interval(k, len(correct))))
    fer = [r for r in report["results"] if r["dataset"] == "synthetic-fer2013"]
    train = {r["baseline"]: r["train_n"] for r in fer}
    assert 45 <= train["logistic_pixels"] <= 55 and train["hog_logistic"] == train["majority"] > 100


def test_cli_prints_and_saves_the_table(tmp_path, capsys):
    path = tmp_path / "out" / "baselines.json"
    assert main(["baselines", "--datasets", "jaffe", "--seeds", "0,2", "--synthetic-size", "140",
                 "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hog_logistic" in out and "95% Wilson" in out and "saved to" in out
    report = json.loads(path.read_text())
    assert [r["split_seeds"] for r in report["results"]] == [[0]] * 3 + [[2]] * 3
    assert [p.name for p in path.parent.iterdir()] == ["baselines.json"]  # no temporary file left
    assert main(["baselines", "--seeds", "x"]) == 2
    assert "--seeds" in capsys.readouterr().err


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("name", ["baselines.json", "leakage.json"])
def test_committed_reports_hold_no_machine_paths(name):
    path = project_root() / "results" / "paper" / name
    if not path.exists():
        pytest.skip(f"{name} not committed yet")
    text = path.read_text()
    assert len(text) < 2_000_000
    for value in _strings(json.loads(text)):
        assert not value.startswith(("/", "~")) and ":\\" not in value, value


@pytest.mark.realdata
@pytest.mark.slow
def test_real_jaffe_one_seed_pairs_with_the_committed_cnn_runs(data_dir, tmp_path):
    from ferlib import results

    dataset = load_data("jaffe", data_dir=data_dir, cache_dir=tmp_path)
    split = splits.make_split(dataset, "paper", seed=0)
    got = {name: baselines.fit_baseline(name, dataset, split) for name in baselines.BASELINES}
    assert {r["test"]["n"] for r in got.values()} == {42}
    assert got["hog_logistic"]["test"]["accuracy"] > got["majority"]["test"]["accuracy"]
    runs = [run for run in results.committed_runs(project_root() / results.PAPER_RESULTS)
            if run.config.dataset == "jaffe" and run.config.protocol == "paper"
            and run.config.split_seed == 0 and run.config.data == "real"]
    if not runs:
        pytest.skip("no committed real-data JAFFE run on split seed 0")
    frame = got["hog_logistic"]["test_predictions"]
    for run in runs:
        mine, theirs = baselines.paired_correctness(frame["source"], frame["correct"], run.predictions)
        assert theirs.mean() == pytest.approx(run.metrics["test"]["accuracy"]), run.id
        assert 0 < stats.mcnemar_exact(mine, theirs)["p_value"] <= 1
    committed = project_root() / "results" / "paper" / "baselines.json"
    if committed.exists():  # the committed numbers come back (lbfgs is deterministic)
        report = json.loads(committed.read_text())
        for name, result in got.items():
            record = next(r for r in report["results"]
                          if r["dataset"] == "jaffe" and r["split_seeds"] == [0] and r["baseline"] == name)
            assert record["C"] == result["C"], name
            assert abs(record["test"]["accuracy"] - result["test"]["accuracy"]) <= 1 / 42 + 1e-9, name


def test_cross_validated_baselines_test_every_image_once_with_its_subject_held_out(jaffe, monkeypatch):
    from ferlib import baselines as module

    jaffe, _ = jaffe
    seen = []
    real_fit = module.fit_baseline

    def spy(name, dataset, split, **kwargs):
        test_subjects = set(dataset.subject[split == "test"])
        assert not test_subjects & set(dataset.subject[split == "train"]), "a test subject is in training"
        seen.append((name, tuple(sorted(test_subjects))))
        return real_fit(name, dataset, split, **kwargs)

    monkeypatch.setattr(module, "fit_baseline", spy)
    report = module.cross_validated_baselines(jaffe, "loso", baselines=("majority", "hog_logistic"))
    subjects = sorted(set(jaffe.subject))
    assert report["folds"] == len(subjects) == 10
    assert report["sources"] == [str(s) for s in jaffe.source] and len(set(report["sources"])) == len(jaffe)
    assert sorted(s for name, (s,) in seen if name == "majority") == subjects
    for row in report["results"]:
        assert len(row["correct"]) == len(jaffe) and len(row["fold_accuracy"]) == 10
        assert row["accuracy"] == pytest.approx(row["correct"].count("1") / len(jaffe))
        assert row["low"] <= row["accuracy"] <= row["high"]
    with pytest.raises(ValueError, match="protocol"):
        module.cross_validated_baselines(jaffe, "paper")
