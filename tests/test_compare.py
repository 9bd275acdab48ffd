"""CNN runs beside baselines on the same test images, and over seeds."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score
from scipy import stats as st

from ferlib import compare
from ferlib.config import RunConfig

SOURCES = [f"img{i}.png" for i in range(10)]


def _run(rid, correct, *, seed=0, split_seed=0, source=None):
    config = RunConfig(model=2, dataset="jaffe", data="real", seed=seed, split_seed=split_seed,
                       source=source, source_run="s" if source else None)
    true = [i % 7 for i in range(10)]
    predicted = [t if c else (t + 1) % 7 for t, c in zip(true, correct)]
    predictions = pd.DataFrame({"part": ["val"] * 2 + ["test"] * 10,
                                "true": [0, 1] + true, "predicted": [0, 1] + predicted,
                                "source": ["v0", "v1"] + SOURCES})
    accuracy = sum(correct) / len(correct)
    balanced = balanced_accuracy_score(true, predicted)
    return SimpleNamespace(id=rid, config=config, predictions=predictions,
                           metrics={"test": {"accuracy": accuracy, "balanced_accuracy": balanced}})


REPORT = {
    "splits": [{"dataset": "jaffe", "split_seeds": [0], "sources": SOURCES}],
    "results": [
        {"dataset": "jaffe", "split_seeds": [0], "baseline": "majority", "test_correct": "1000000100"},
        {"dataset": "jaffe", "split_seeds": [0], "baseline": "logistic_pixels", "test_correct": "1111100000"},
        {"dataset": "jaffe", "split_seeds": [0], "baseline": "hog_logistic", "test_correct": "1111111111"},
    ],
}


def test_baseline_comparison_pairs_the_same_images():
    cnn = _run("a", [True, True, False, False, False, False, False, False, False, False])
    other_split = _run("b", [True] * 10, split_seed=1)
    table = compare.baseline_comparison([cnn, other_split], REPORT)
    assert list(table["run"]) == ["a"], "a run on another split has no baseline to pair with"
    row = table.iloc[0]
    assert row["accuracy"] == 0.2 and row["hog_logistic"] == 1.0 and row["majority"] == 0.2
    assert row["logistic_pixels"] == 0.5 and row["cnn_minus_hog"] == pytest.approx(-0.8)
    # HOG right and the CNN wrong on 8 images, never the reverse: exact binomial p of 8 of 8
    assert row["p_vs_hog"] == pytest.approx(st.binomtest(0, 8, 0.5).pvalue)
    assert row["low"] < 0.2 < row["high"]
    assert pd.isna(row["zero_shot"])
    tuned = _run("t", [True] * 10, source="fer2013")
    tuned.metrics["zero_shot"] = {"test": {"accuracy": 0.3}}
    assert compare.baseline_comparison([tuned], REPORT).iloc[0]["zero_shot"] == 0.3


def test_baseline_comparison_refuses_test_images_that_do_not_line_up():
    cnn = _run("a", [True] * 10)
    cnn.predictions.loc[cnn.predictions.index[-1], "source"] = "elsewhere.png"
    with pytest.raises(ValueError, match="test rows differ"):
        compare.baseline_comparison([cnn], REPORT)


def test_seed_table_summarises_each_experiment_over_seeds():
    runs = [_run(f"r{s}", [True] * k + [False] * (10 - k), seed=s) for s, k in ((0, 6), (1, 7), (2, 8))]
    table = compare.seed_table({(2, "jaffe", None): runs, (2, "jaffe", "fer2013"): runs[:1]})
    scratch = table[table["training"] == "scratch"].iloc[0]
    assert scratch["seeds"] == 3 and scratch["mean"] == pytest.approx(0.7)
    assert scratch["sd"] == pytest.approx(0.1)
    half = st.t.ppf(0.975, 2) * 0.1 / 3 ** 0.5
    assert scratch["t_low"] == pytest.approx(0.7 - half) and scratch["t_high"] == pytest.approx(0.7 + half)
    assert scratch["by_seed"] == {0: 0.6, 1: 0.7, 2: 0.8}
    balanced = sorted(run.metrics["test"]["balanced_accuracy"] for run in runs)
    assert balanced[0] < balanced[2]  # the seeds differ, so the median is the middle one
    assert scratch["balanced_median"] == pytest.approx(balanced[1])
    single = table[table["training"] == "fine-tuned"].iloc[0]
    assert single["seeds"] == 1 and single["sd"] is None or pd.isna(single["sd"])


def test_seed_table_keeps_each_seed_unrounded_so_it_reads_as_the_mean_does():
    from ferlib import formatting as fmt

    run = _run("r0", [True] * 10)
    run.metrics["test"]["accuracy"] = 119 / 132  # 0.90151..., 0.9015 rounded to 4 decimals
    row = compare.seed_table({(2, "ckplus", "fer2013"): [run]}).iloc[0]
    assert row["by_seed"] == {0: 119 / 132}
    shown = fmt.to_markdown(pd.DataFrame([row]), [fmt.percent("mean"), fmt.by_seed()])
    assert "| 90.2% | 0: 90.2% |" in shown


def test_read_baselines_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m ferlib baselines"):
        compare.read_baselines(tmp_path / "baselines.json")


def test_sequence_intervals_resample_whole_ck_plus_sequences():
    names = [f"ckplus/CK+48/happy/S{i // 3:03d}_001_0000000{i % 3}.png" for i in range(30)]
    groups = compare.sequence_groups(names)
    assert len(set(groups)) == 10 and groups[0] == "S000_001"
    assert compare.sequence_groups(["jaffe/KA.AN1.39.tiff"]) is None
    # whole sequences right or wrong: the sequence interval is wider than the image one
    correct = np.repeat([True, False, True, True, False, True, True, False, True, True], 3)
    from ferlib import stats

    seq_low, seq_high = stats.bootstrap_accuracy_interval(correct, groups)
    low, high = stats.accuracy_interval(int(correct.sum()), len(correct))
    assert seq_high - seq_low > high - low


def test_baseline_accuracies_and_subject_comparison():
    report = {"results": [
        {"dataset": "jaffe", "split_seeds": [0], "baseline": "hog_logistic",
         "test": {"n": 42, "accuracy": 0.75, "accuracy_wilson95": [0.6, 0.86]}},
        {"dataset": "jaffe", "split_seeds": [1], "baseline": "hog_logistic",
         "test": {"n": 42, "accuracy": 0.9, "accuracy_wilson95": [0.8, 0.96]}},
        {"dataset": "jaffe", "split_seeds": [0], "baseline": "majority",
         "test": {"n": 42, "accuracy": 0.14, "accuracy_wilson95": [0.07, 0.28]}}]}
    table = compare.baseline_accuracies(report)
    assert len(table) == 1 and table.loc[0, "n"] == 42
    assert table.loc[0, "hog_logistic"] == 0.75 and table.loc[0, "hog_logistic_high"] == 0.86
    assert table.loc[0, "majority_low"] == 0.07 and pd.isna(table.loc[0, "logistic_pixels"])
    subject = {"protocols": [{"dataset": "jaffe", "protocol": "loso", "folds": 10, "results": [
        {"baseline": "hog_logistic", "accuracy": 0.56, "low": 0.5, "high": 0.63},
        {"baseline": "logistic_pixels", "accuracy": 0.5, "low": 0.44, "high": 0.57}]}]}
    rows = compare.subject_comparison(subject, report).set_index("baseline")
    assert rows.loc["hog_logistic", "paper_split"] == 0.75  # split seed 0, not 1
    assert rows.loc["hog_logistic", "subject_independent"] == 0.56
    assert pd.isna(rows.loc["logistic_pixels", "paper_split"])
    assert rows.loc["hog_logistic", "split"] == "leave one subject out, 10 folds"


def test_finetune_comparison_pairs_each_fine_tune_with_its_scratch_run():
    scratch = _run("s", [True] * 3 + [False] * 7)
    tuned = _run("t", [True] * 9 + [False], source="fer2013")
    tuned.metrics["zero_shot"] = {"test": {"accuracy": 0.4}}
    lone = _run("u", [True] * 10, source="fer2013")  # its scratch run is missing
    runs = {(2, "jaffe", None): scratch, (2, "jaffe", "fer2013"): tuned, (3, "jaffe", "fer2013"): lone}
    table = compare.finetune_comparison(runs)
    assert len(table) == 1, "a fine-tune without its scratch run is not compared"
    row = table.iloc[0]
    assert (row["model"], row["dataset"], row["n"]) == (2, "jaffe", 10)
    assert (row["scratch"], row["fine_tuned"]) == (0.3, 0.9) and row["gain"] == pytest.approx(0.6)
    # only the fine-tune right on images 3..8 (6), never the reverse
    assert (row["only_fine_tuned"], row["only_scratch"]) == (6, 0)
    assert row["p_value"] == pytest.approx(st.binomtest(6, 6, 0.5).pvalue)
    assert row["zero_shot"] == 0.4
    assert (row["scratch_run"], row["fine_tuned_run"]) == ("s", "t")


def test_finetune_comparison_needs_the_same_test_images():
    scratch, tuned = _run("s", [True] * 10), _run("t", [True] * 10, source="fer2013")
    tuned.predictions.loc[tuned.predictions.index[-1], "source"] = "elsewhere.png"
    with pytest.raises(ValueError, match="test rows differ"):
        compare.finetune_comparison({(2, "jaffe", None): scratch, (2, "jaffe", "fer2013"): tuned})


def test_finetune_over_seeds_pairs_each_seed_and_tests_the_gains_together():
    key, tuned_key = (2, "jaffe", None), (2, "jaffe", "fer2013")
    scratch = [_run(f"s{k}", [i < 5 for i in range(10)], seed=k) for k in range(3)]
    gains = {0: 3, 1: 1, 2: -1}  # fine-tuned right on 5 + gain images
    tuned = [_run(f"t{k}", [i < 5 + gains[k] for i in range(10)], seed=k, source="fer2013") for k in range(3)]
    unpaired = _run("t3", [True] * 10, seed=3, source="fer2013")  # no scratch run of seed 3
    table = compare.finetune_over_seeds({key: scratch, tuned_key: [*tuned, unpaired]})
    assert list(table.columns) == compare.FINETUNE_SEED_COLUMNS and len(table) == 1
    row = table.iloc[0]
    assert (row["model"], row["dataset"], row["seeds"]) == (2, "jaffe", 3)
    assert row["scratch_mean"] == pytest.approx(0.5) and row["fine_tuned_mean"] == pytest.approx(0.6)
    assert row["gain_mean"] == pytest.approx(0.1) and row["gain_sd"] == pytest.approx(np.std([.3, .1, -.1], ddof=1))
    assert (row["fine_tuned_better"], row["significant_gains"], row["significant_losses"]) == (2, 0, 0)
    assert row["t_p_value"] == pytest.approx(st.ttest_rel([.8, .6, .4], [.5, .5, .5]).pvalue)
    assert row["wilcoxon_min_p"] == pytest.approx(0.25), "three seeds can never reach 0.05"
    assert row["by_seed"][0] == (0.8 - 0.5, pytest.approx(st.binomtest(3, 3, 0.5).pvalue)), "unrounded"
    assert 3 not in row["by_seed"]
    strong = [_run(f"u{k}", [True] * 10, seed=k, source="fer2013") for k in range(3)]
    none_right = [_run(f"z{k}", [False] * 10, seed=k) for k in range(3)]
    row = compare.finetune_over_seeds({key: none_right, tuned_key: strong}).iloc[0]
    assert row["significant_gains"] == 3 and pd.isna(row["t_p_value"]), "a constant gain has no t-test"
    one = compare.finetune_over_seeds({key: scratch[:1], tuned_key: tuned[:1]}).iloc[0]
    assert one["seeds"] == 1 and pd.isna(one["gain_sd"]) and pd.isna(one["t_p_value"])
    assert pd.isna(one["wilcoxon_p_value"]), "one seed is no test over seeds"
    assert compare.finetune_over_seeds({key: scratch}).empty


# --------------------------------------------------------------------------- a CNN on subject-independent folds


def _fold_run(fold, correct, *, dataset="jaffe", model=2, seed=0):
    """A fake fold run of the subject-independent evaluation: its test part is the images
    ``<dataset>-f<fold>-<i>``, right where ``correct`` says."""
    from ferlib.protocol import subject_fold_config

    config = subject_fold_config("paper", model, dataset, fold, seed=seed, backend="tensorflow")
    true = [i % 7 for i in range(len(correct))]
    predicted = [t if c else (t + 1) % 7 for t, c in zip(true, correct)]
    predictions = pd.DataFrame({"part": ["val"] + ["test"] * len(correct), "true": [0] + true,
                                "predicted": [0] + predicted,
                                "source": ["v"] + [f"{dataset}-f{fold}-{i}" for i in range(len(correct))]})
    return SimpleNamespace(id=f"{dataset}{fold}", config=config, predictions=predictions,
                           metrics={"test": {"accuracy": sum(correct) / len(correct)}})


def _paper_run(accuracy, *, seed=0, dataset="jaffe"):
    from ferlib.protocol import experiment_config

    config = experiment_config("paper", (2, dataset, None), data="real", seed=seed, backend="tensorflow")
    return SimpleNamespace(id=f"p{seed}", config=config, metrics={"test": {"accuracy": accuracy}})


#: 10 JAFFE folds of 2, 3 or 4 test images (29 in all), fold f getting f % 3 right (9 in
#: all): pooled 9 / 29, not the mean of the fold accuracies (0.25).
JAFFE_FOLDS = [_fold_run(f, [i < f % 3 for i in range(2 + f % 3)]) for f in range(10)]
SUBJECT_REPORT = {"protocols": [
    {"dataset": "jaffe", "protocol": "loso", "folds": 10, "k": 10, "seed": 0, "images": 29, "results": [
        {"baseline": "majority", "accuracy": 0.15}, {"baseline": "hog_logistic", "accuracy": 0.56},
        {"baseline": "logistic_pixels", "accuracy": 0.5}]},
    {"dataset": "ckplus7", "protocol": "subject-kfold", "folds": 5, "k": 5, "seed": 0, "images": 654,
     "results": [{"baseline": "hog_logistic", "accuracy": 0.88}]}]}


def test_subject_cnn_comparison_pools_every_fold_once():
    from ferlib import stats

    runs = [*JAFFE_FOLDS, _paper_run(0.9, seed=0), _paper_run(0.7, seed=1), _fold_run(0, [True] * 3, model=3)]
    table = compare.subject_cnn_comparison(runs, SUBJECT_REPORT).set_index("dataset")
    assert list(table.index) == ["jaffe", "ckplus7"]
    assert list(table.columns) == [c for c in compare.SUBJECT_CNN_COLUMNS if c != "dataset"]
    jaffe = table.loc["jaffe"]
    assert (jaffe["folds"], jaffe["of"], jaffe["complete"]) == (10, 10, True)
    assert (jaffe["n"], jaffe["correct"]) == (29, 9)
    assert jaffe["accuracy"] == pytest.approx(9 / 29), "pooled over images, not the mean of fold accuracies"
    assert (jaffe["low"], jaffe["high"]) == pytest.approx(stats.accuracy_interval(9, 29))
    assert jaffe["split"] == "leave one subject out, 10 of 10 folds"
    assert jaffe["paper_split"] == 0.9 and jaffe["paper_split_mean"] == pytest.approx(0.8)
    assert jaffe["paper_seeds"] == 2 and jaffe["seed"] == 0
    assert (jaffe["hog_logistic"], jaffe["majority"], jaffe["logistic_pixels"]) == (0.56, 0.15, 0.5)
    assert jaffe["one_class_folds"] == 0
    collapsed = _fold_run(4, [False] * 3)
    collapsed.predictions.loc[collapsed.predictions["part"] == "test", "predicted"] = 6
    other_folds = [run for run in JAFFE_FOLDS if run.config.fold != 4]
    one_class = compare.subject_cnn_comparison([*other_folds, collapsed], SUBJECT_REPORT).set_index("dataset")
    assert one_class.loc["jaffe", "one_class_folds"] == 1, "fold 4 answers class 6 for every image"
    ck = table.loc["ckplus7"]
    assert (ck["folds"], ck["of"], ck["n"], ck["complete"]) == (0, 10, 0, False) and pd.isna(ck["accuracy"])
    assert pd.isna(ck["hog_logistic"]), "the report's CK+ folds are 5, not the runs' 10"
    assert pd.isna(ck["paper_split"]) and ck["paper_seeds"] == 0
    other = compare.subject_cnn_comparison(runs, SUBJECT_REPORT, model=3).set_index("dataset").loc["jaffe"]
    assert (other["folds"], other["correct"]) == (1, 3) and pd.isna(other["paper_split"])
    assert pd.isna(other["accuracy"]), "one fold of ten is no pooled accuracy"


def _with_sources(entry, hog_correct):
    """A report entry's results with the HOG baseline right where ``hog_correct`` (a
    string of 0/1 in the entry's ``sources`` order) says."""
    return [dict(r, correct=hog_correct) if r["baseline"] == "hog_logistic" else r for r in entry["results"]]


def test_subject_cnn_comparison_pairs_a_complete_set_with_hog_image_by_image():
    import scipy.stats as st

    # the report lists the 29 images in the reverse of the runs' order and HOG gets the
    # first 20 of them right: the pairing must follow the names, not the positions
    sources = [f"jaffe-f{f}-{i}" for f in range(10) for i in range(2 + f % 3)][::-1]
    hog = "1" * 20 + "0" * 9
    entry = dict(SUBJECT_REPORT["protocols"][0], sources=sources)
    entry["results"] = _with_sources(entry, hog)
    cnn_right = {run.predictions["source"].iloc[1 + i]: c
                 for run in JAFFE_FOLDS for i, c in enumerate(run.predictions["true"].iloc[1:]
                                                              == run.predictions["predicted"].iloc[1:])}
    cnn = [cnn_right[s] for s in sources]
    base = [c == "1" for c in hog]
    only_cnn = sum(a and not b for a, b in zip(cnn, base))
    only_hog = sum(b and not a for a, b in zip(cnn, base))
    assert only_cnn + only_hog > 0 and (only_cnn, only_hog) != (0, 20 - 9)
    jaffe = compare.subject_cnn_comparison(JAFFE_FOLDS, {"protocols": [entry]}).set_index("dataset").loc["jaffe"]
    assert (jaffe["only_cnn"], jaffe["only_hog"]) == (only_cnn, only_hog)
    assert jaffe["cnn_minus_hog"] == pytest.approx(9 / 29 - 20 / 29)
    assert jaffe["p_vs_hog"] == pytest.approx(st.binomtest(only_cnn, only_cnn + only_hog, 0.5).pvalue)
    partial = compare.subject_cnn_comparison(JAFFE_FOLDS[:9], {"protocols": [entry]}).set_index("dataset")
    assert pd.isna(partial.loc["jaffe", "p_vs_hog"]), "a partial set is never tested"
    without = compare.subject_cnn_comparison(JAFFE_FOLDS, SUBJECT_REPORT).set_index("dataset")
    assert pd.isna(without.loc["jaffe", "p_vs_hog"]), "a report without image names cannot be paired"
    other = dict(entry, sources=[*sources[:-1], "elsewhere.png"])
    with pytest.raises(ValueError, match="elsewhere.png only in the baseline's folds"):
        compare.subject_cnn_comparison(JAFFE_FOLDS, {"protocols": [other]})


def test_subject_cnn_comparison_never_pools_a_partial_set():
    partial = [run for run in JAFFE_FOLDS if run.config.fold not in (2, 7)]
    jaffe = compare.subject_cnn_comparison(partial, SUBJECT_REPORT).set_index("dataset").loc["jaffe"]
    assert (jaffe["folds"], jaffe["of"], jaffe["complete"]) == (8, 10, False)
    assert (jaffe["n"], jaffe["correct"]) == (29 - 4 - 3, 9 - 2 - 1)
    assert pd.isna(jaffe["accuracy"]) and pd.isna(jaffe["low"]) and pd.isna(jaffe["high"])
    assert jaffe["split"] == "leave one subject out, 8 of 10 folds"
    other_seed = compare.subject_cnn_comparison(JAFFE_FOLDS, SUBJECT_REPORT, seed=1).set_index("dataset")
    assert other_seed.loc["jaffe", "folds"] == 0


def test_subject_cnn_comparison_reads_the_fine_tuned_folds_when_asked():
    """``fine_tuned=True``: the same folds fine-tuned from FER2013, beside the fine-tune on
    the paper's split; the folds from scratch are left out, and the other way round."""
    from ferlib.protocol import experiment_config, subject_finetune_config

    tuned = []
    for run in JAFFE_FOLDS:
        config = subject_finetune_config("paper", 2, "jaffe", run.config.fold, source="fer2013", source_run="src",
                                         backend="tensorflow")
        tuned.append(SimpleNamespace(id=f"t{run.config.fold}", config=config,
                                     predictions=run.predictions.assign(predicted=run.predictions["true"]),
                                     metrics={"test": {"accuracy": 1.0}}))
    paper_tuned = SimpleNamespace(id="pt", metrics={"test": {"accuracy": 0.95}}, config=experiment_config(
        "paper", (2, "jaffe", "fer2013"), data="real", source="fer2013", source_run="src", backend="tensorflow"))
    runs = [*JAFFE_FOLDS, *tuned, _paper_run(0.9), paper_tuned]
    fine = compare.subject_cnn_comparison(runs, SUBJECT_REPORT, fine_tuned=True).set_index("dataset").loc["jaffe"]
    assert (fine["folds"], fine["complete"], fine["n"], fine["correct"]) == (10, True, 29, 29)
    assert fine["accuracy"] == 1.0 and fine["paper_split"] == 0.95 and fine["paper_seeds"] == 1
    assert fine["hog_logistic"] == 0.56, "the same folds, so the same baselines"
    scratch = compare.subject_cnn_comparison(runs, SUBJECT_REPORT).set_index("dataset").loc["jaffe"]
    assert scratch["accuracy"] == pytest.approx(9 / 29) and scratch["paper_split"] == 0.9
    only_scratch = compare.subject_cnn_comparison(JAFFE_FOLDS, SUBJECT_REPORT, fine_tuned=True)
    assert (only_scratch["folds"] == 0).all()


def test_subject_cnn_comparison_refuses_folds_that_test_an_image_twice_or_other_data():
    twice = _fold_run(5, [True] * 3)
    twice.predictions.loc[twice.predictions.index[-1], "source"] = "jaffe-f4-0"  # fold 4's first image
    with pytest.raises(ValueError, match="jaffe-f4-0 is tested by fold 4 and fold 5"):
        compare.subject_cnn_comparison([*JAFFE_FOLDS[:5], twice], SUBJECT_REPORT)
    bigger = dict(SUBJECT_REPORT["protocols"][0], images=213)
    with pytest.raises(ValueError, match="test 29 images, the baselines' folds 213"):
        compare.subject_cnn_comparison(JAFFE_FOLDS, {"protocols": [bigger]})
    with pytest.raises(ValueError, match="model must be one of"):
        compare.subject_cnn_comparison(JAFFE_FOLDS, SUBJECT_REPORT, model=99)
