"""The "what we found" sentences (ferlib.findings) say what the numbers given say."""

import dataclasses
import types

import numpy as np
import pandas as pd
import pytest

from ferlib import claims, findings, paper, study, tables


def fake_run(accuracy, n):
    correct = round(accuracy * n)
    true = np.arange(n) % 7
    predicted = np.where(np.arange(n) < correct, true, (true + 1) % 7)
    predictions = pd.DataFrame({"part": "test", "true": true, "predicted": predicted})
    confusion = np.zeros((7, 7), dtype=int)
    np.add.at(confusion, (true, predicted), 1)
    return types.SimpleNamespace(metrics={"test": {"accuracy": correct / n, "n": n, "confusion": confusion.tolist()},
                                          "val": {"accuracy": 0.5, "n": n}},
                                 predictions=predictions, path="fake")


def test_accuracy_findings_give_interval_and_verdict_per_run():
    close = paper.ACCURACY[(1, "jaffe", None)]
    runs = {(1, "jaffe", None): fake_run(close, 42), (2, "jaffe", None): fake_run(0.1, 42)}
    lines = findings.accuracy_findings(claims.accuracy_claims(runs))
    assert len(lines) == 2
    first, second = lines
    assert first.startswith("Model 1 on JAFFE (from scratch): 73.8% [") and "within sampling error" in first
    assert second.startswith("Model 2 on JAFFE (from scratch): 9.5% [") and "below it beyond sampling error" in second
    assert "74.4%" in second  # the paper's value for Model 2
    assert "(z = " in first and "counting the sampling error of both test sets" in second


def test_the_z_exercise_gets_its_numbers_and_reading_from_the_accuracy_row():
    """The solution's numbers are those of the row of ``claims.accuracy_claims`` (the
    paper's own test set): the paper's and our standard errors, the difference, its error,
    z and whether |z| is within 1.96; without a run, dashes and a reading that says so."""
    paper_value = paper.ACCURACY[(2, "fer2013", None)]
    far = findings.z_exercise_glues(claims.accuracy_claims({(2, "fer2013", None): fake_run(0.55, 3589)},
                                                           merged=False))
    se_paper, se_ours = np.sqrt(paper_value * (1 - paper_value) / 3589), np.sqrt(0.55 * 0.45 / 3589)
    z = (round(0.55 * 3589) / 3589 - paper_value) / np.hypot(se_paper, se_ours)
    assert far["exercise_z_paper"] == "61.58%" and far["exercise_z_paper_se"] == f"{100 * se_paper:.2f}"
    assert far["exercise_z_ours"] == "55.00%" and far["exercise_z_ours_se"] == f"{100 * se_ours:.2f}"
    assert far["exercise_z_z"] == f"{z:.2f}" and z < -1.96
    assert far["exercise_z_reading"].startswith("beyond 1.96 in size")
    close = findings.z_exercise_glues(claims.accuracy_claims({(2, "fer2013", None): fake_run(0.61, 3589)},
                                                             merged=False))
    assert close["exercise_z_reading"].startswith("within 1.96 in size")
    none = findings.z_exercise_glues(claims.accuracy_claims({}, merged=False))
    assert none["exercise_z_z"] == "–" and none["exercise_z_reading"] == "no run of ours of Model 2 on FER2013 to compare"


def test_finetune_sentence_without_and_with_pairs():
    results = tables.results_table({(2, "jaffe", None): fake_run(0.5, 42)})
    assert "none of our runs can test this" in findings.finetune_sentence(tables.finetune_summary(results))
    results = tables.results_table({(2, "jaffe", None): fake_run(0.5, 42),
                                    (2, "jaffe", "fer2013"): fake_run(0.6, 42)})
    sentence = findings.finetune_sentence(tables.finetune_summary(results))
    assert "in 1 of 1 comparisons" in sentence and "(+9.5 points on average)" in sentence  # the words: snapshot


def _paired(*pairs):
    """A finetune_comparison table: one row per (gain, McNemar p, scratch run id)."""
    return pd.DataFrame([{"model": 2, "dataset": name, "gain": gain, "p_value": p, "scratch_run": run}
                         for name, (gain, p, run) in zip(("jaffe", "ckplus"), pairs)])


def _two_pairs():
    """``(summary, paired, beside)``: two fine-tune pairs of Model 2, the CK+ one
    significant and against a run from scratch at the majority class (66 of 132)."""
    summary = {"compared": 2, "helped": 2, "ours_mean_gain": 0.26}
    beside = pd.DataFrame([
        {"run": "ck-scratch", "model": 2, "dataset": "ckplus7", "training": "scratch", "seed": 0, "n": 132,
         "accuracy": 66 / 132, "majority": 0.5},
        {"run": "jaffe-scratch", "model": 2, "dataset": "jaffe", "training": "scratch", "seed": 0, "n": 42,
         "accuracy": 29 / 42, "majority": 6 / 42},
    ])
    return summary, _paired((0.119, 0.125, "jaffe-scratch"), (0.402, 2e-16, "ck-scratch")), beside


#: Other pairs for :func:`_two_pairs`'s summary: a significant loss, and two significant gains.
LOST = _paired((0.119, 0.125, "jaffe-scratch"), (-0.402, 2e-16, "ck-scratch"))
BOTH = _paired((0.119, 0.01, "jaffe-scratch"), (0.402, 2e-16, "ck-scratch"))


def test_finetune_sentence_reports_the_paired_tests_and_a_scratch_run_at_the_majority_class():
    summary, paired, beside = _two_pairs()
    sentence = findings.finetune_sentence(summary, paired, beside)
    assert "in 2 of 2 comparisons (+26.0 points on average)" in sentence
    assert "(exact McNemar, p < 0.05) in 1, and that one is against" in sentence and "majority class" in sentence
    # the same significant gain over a run from scratch that learned is just significant
    learned = beside.assign(accuracy=[85 / 132, 29 / 42])
    assert findings.finetune_sentence(summary, paired, learned).endswith("(exact McNemar, p < 0.05) in 1")
    # a significant loss is no significant gain
    assert findings.finetune_sentence(summary, LOST, beside).endswith("in 0")
    assert "in 2, and 1 of them is against" in findings.finetune_sentence(summary, BOTH, beside)


def test_results_findings_give_the_paired_tests_of_fine_tuning():
    summary = {"compared": 1, "helped": 1, "ours_mean_gain": 0.4, "paper_mean_gain": 0.05}
    beside = pd.DataFrame([{"run": "ck-scratch", "model": 2, "dataset": "ckplus7", "training": "scratch",
                            "seed": 0, "n": 132, "accuracy": 66 / 132, "majority": 0.5, "protocol": True,
                            "p_vs_hog": 1e-9, "cnn_minus_hog": -0.35}])
    lines = findings.results_findings(claims.accuracy_claims({}), summary, beside,
                                      paired=_paired((0.4, 1e-9, "ck-scratch")))
    assert any(line.startswith("Fine-tuning scored higher") and "majority class" in line for line in lines)


CLAIMS_SUMMARY = {"compared": 2, "reported": 15, "agree": 1, "impossible": 3, "fit_merged": 2}
#: Two fine-tune pairs with both runs (the second significant) and one without.
CLAIMS_FINETUNE = pd.DataFrame({"ours_gain": [0.12, 0.40, np.nan], "significant": [False, True, None]})


def test_claims_findings_count_the_paired_significant_gains():
    first, merged, line = findings.claims_findings(CLAIMS_SUMMARY, CLAIMS_FINETUNE)
    assert first.startswith("2 of the paper's 15 accuracies have a run of ours") and "1 of those agree" in first
    assert merged.startswith("3 of the paper's accuracies") and "2 of its 3 FER2013 accuracies" in merged
    assert f"({paper.FER2013_MERGED_TEST_N:,} images)" in merged
    assert "p < 0.05) in 1 of 2 (model, data set) pairs with both runs." in line
    # the significant gain over a run from scratch that stayed at the majority class is said to be one
    floor = CLAIMS_FINETUNE.assign(scratch_at_majority=[False, True, None])
    assert findings.claims_findings(CLAIMS_SUMMARY, floor)[-1].startswith(line[:-1] + ", and that one is against")
    # a run at the majority class whose pair is not significant changes nothing
    unchanged = CLAIMS_FINETUNE.assign(scratch_at_majority=[True, False, None])
    assert findings.claims_findings(CLAIMS_SUMMARY, unchanged)[-1] == line


def test_range_glues_use_dashes_where_no_run_covers_a_range():
    results = tables.results_table({(2, "jaffe", None): fake_run(0.5, 42), (3, "jaffe", None): fake_run(0.6, 42)})
    values = findings.range_glues(tables.range_table(results), results, quoted_fer2013=0.62)
    assert values["ours_jaffe_scratch_range"] == "50.0% to 59.5% (Models 2 and 3)"
    assert values["ours_ckplus_scratch_range"] == "–" and values["ours_fer2013_range"] == "–"
    every = tables.results_table({(m, "fer2013", None): fake_run(0.5 + m / 100, 3589) for m in (1, 2, 3)})
    values = findings.range_glues(tables.range_table(every), every, quoted_fer2013=0.62)
    assert values["ours_fer2013_range"] == "51.0% to 53.0%", "all three networks need no note"
    one = tables.results_table({(2, "fer2013", None): fake_run(0.596, 3589)})
    assert findings.range_glues(tables.range_table(one), one, quoted_fer2013=0.62)["ours_fer2013_range"] == (
        "59.6% (Model 2 only)")
    assert values["paper_fer2013_quoted"] == "about 62%"
    assert values["paper_jaffe_scratch_range"] == "60.5% to 74.4%"


def test_confusion_findings_name_the_most_frequent_mistake():
    run = fake_run(0.5, 42)
    lines = findings.confusion_findings({"jaffe": ((2, "jaffe", None), run), "ckplus": None})
    assert lines[0].startswith("JAFFE (Model 2, scratch): 50.0% of 42 test images right")
    assert "angry taken for disgust" in lines[0]
    assert lines[1] == "CK+: no run to show."


def test_box_is_a_titled_admonition():
    box = findings.box(["a line"])
    assert box.data.startswith(":::{admonition} What we found") and "- a line" in box.data
    linked = findings.box(["balanced accuracy 63.5% (exact McNemar, p < 0.05)", "balanced accuracy again"]).data
    assert "- {term}`balanced accuracy` 63.5% (exact {term}`McNemar <McNemar test>`, p < 0.05)" in linked
    assert "- balanced accuracy again" in linked  # the first use only


def test_a_run_at_the_majority_class_is_called_out():
    beside = pd.DataFrame([
        {"model": 2, "dataset": "ckplus7", "training": "scratch", "seed": 0, "n": 132, "accuracy": 66 / 132,
         "majority": 0.5},
        {"model": 2, "dataset": "ckplus7", "training": "scratch", "seed": 1, "n": 132, "accuracy": 85 / 132,
         "majority": 0.5},
        {"model": 1, "dataset": "jaffe", "training": "scratch", "seed": 0, "n": 42, "accuracy": 12 / 42,
         "majority": 6 / 42},
    ])
    lines = findings.majority_findings(beside)
    assert len(lines) == 1
    assert "seed 0" in lines[0] and "50.0%" in lines[0] and "most frequent class" in lines[0]


#: Median balanced accuracies over seeds: two experiments from scratch on the small data sets.
LEARNING_SEEDS = pd.DataFrame({"model": [1, 2, 2, 2], "dataset": ["jaffe", "ckplus", "jaffe", "fer2013"],
                               "training": ["scratch", "scratch", "fine-tuned", "scratch"],
                               "balanced_median": [0.30, 0.60, 0.95, 0.10], "seeds": [3, 5, 1, 1]})


def test_learning_glues_count_the_small_scratch_experiments_over_the_bar():
    seeds = LEARNING_SEEDS
    values = findings.learning_glues(seeds)
    assert values["small_scratch_runs"] == 2 and values["small_scratch_above_bar"] == 1
    assert values["small_scratch_balanced_range"] == "30.0% to 60.0%"
    below = values["small_scratch_below_bar_text"]
    assert "Model 1 on JAFFE (from scratch), 30.0% over 3 seeds" in below and "Model 2" not in below
    assert findings.learning_glues(seeds, bar=0.2)["small_scratch_below_bar_text"] == "No experiment falls below it."
    assert findings.learning_glues(seeds, bar=0.2)["small_scratch_above_bar"] == 2
    assert findings.learning_glues(seeds.iloc[2:])["small_scratch_balanced_range"] == findings.DASH


def _emotion_picked():
    """A JAFFE run of Model 3 whose two test images give the true class 0.6 and 0.0 (a
    validation image does not count), and no CK+ run."""
    from ferlib.labels import EMOTIONS

    rows = []
    for true, probabilities in ((0, [0.6, 0.4, 0, 0, 0, 0, 0]), (1, [0.5, 0.0, 0.3, 0.2, 0, 0, 0])):
        rows.append({"part": "test", "true": true, **{f"p_{n}": p for n, p in zip(EMOTIONS, probabilities)}})
    rows.append({"part": "val", "true": 2, **{f"p_{n}": 1 / 7 for n in EMOTIONS}})
    run = types.SimpleNamespace(predictions=pd.DataFrame(rows))
    return {"jaffe": ((3, "jaffe", None), run), "ckplus": None}


def test_emotion_findings_give_the_true_class_probability_and_top_two_share():
    lines = findings.emotion_findings(_emotion_picked())
    # the true class gets 0.6 and 0.0 (mean 30%); it is among the two most probable for 1 of 2
    assert lines[0].startswith("JAFFE (Model 3): the true class gets 30.0%")
    assert "two most probable classes for 50.0% of the test images" in lines[0]
    assert lines[1] == "CK+: no run to show."


def _subject_rows():
    """Model 2 on subject-independent folds: JAFFE complete (100 of 213 right, below HOG
    with p 0.0036, 2 folds at one class), CK+ (7 classes) 4 of 10 folds, CK+48 none."""
    from ferlib import compare

    base = {"model": 2, "seed": 0, "paper_split": np.nan, "majority": 0.15, "logistic_pixels": 0.5, "n": 213}
    return pd.DataFrame([
        dict(base, dataset="jaffe", protocol="loso", split="leave one subject out, 10 of 10 folds", folds=10,
             of=10, complete=True, correct=100, accuracy=100 / 213, low=0.40, high=0.54, paper_split_mean=0.635,
             paper_seeds=3, hog_logistic=0.5634, cnn_minus_hog=100 / 213 - 0.5634, only_cnn=12, only_hog=32,
             p_vs_hog=0.0036, one_class_folds=2),
        dict(base, dataset="ckplus7", protocol="subject-kfold", split="folds grouped by subject, 4 of 10 folds",
             folds=4, of=10, complete=False, correct=200, accuracy=np.nan, low=np.nan, high=np.nan,
             paper_split_mean=0.7, paper_seeds=3, hog_logistic=0.88, cnn_minus_hog=np.nan, only_cnn=np.nan,
             only_hog=np.nan, p_vs_hog=np.nan, one_class_folds=0),
        dict(base, dataset="ckplus", protocol="subject-kfold", split="", folds=0, of=10, complete=False,
             correct=0, accuracy=np.nan, low=np.nan, high=np.nan, paper_split_mean=np.nan, paper_seeds=0,
             hog_logistic=0.9, cnn_minus_hog=np.nan, only_cnn=np.nan, only_hog=np.nan, p_vs_hog=np.nan,
             one_class_folds=0),
    ], columns=[c for c in compare.SUBJECT_CNN_COLUMNS])


def test_subject_cnn_sentences_give_a_complete_set_its_test_and_a_partial_one_its_count():
    rows = _subject_rows()
    jaffe, ck, none = findings.subject_cnn_sentences(rows)
    assert "none of the 10 subject-independent folds of Model 2" in none and none.endswith("has a run yet.")
    assert jaffe.startswith("JAFFE: Model 2 tested on people it has never seen")
    assert "scores 46.9% [40.0%, 54.0%], against 63.5%" in jaffe and "paper's split" in jaffe
    assert "(mean over 3 seeds)" in jaffe
    assert "HOG with logistic regression scores 56.3%" in jaffe and "significantly worse" in jaffe
    assert "12 images right only by the network, 32 only by HOG" in jaffe and "p = 0.004" in jaffe
    assert "In 2 of the 10 folds" in jaffe and "same class" in jaffe
    assert "4 of the 10 subject-independent folds" in ck and "waits for the other 6" in ck
    even = rows.iloc[:1].assign(p_vs_hog=0.2, one_class_folds=0)
    assert "not significantly different" in findings.subject_cnn_sentences(even)[0]
    assert "same class" not in findings.subject_cnn_sentences(even)[0]
    assert findings.subject_cnn_sentences(rows.iloc[2:]) == []


def _committed(rid, *, model=2, dataset="jaffe", source=None, augment=False, min_epoch_images=1024,
               learning_rate=1e-3, accuracy=0.5, zero_shot=None):
    from ferlib.protocol import experiment_config

    config = experiment_config("paper", (model, "ckplus" if dataset == "ckplus7" else dataset, None), data="real")
    config = dataclasses.replace(config, source=source, source_run="r" if source else None, augment=augment,
                                 min_epoch_images=min_epoch_images, learning_rate=learning_rate)
    metrics = {"test": {"accuracy": accuracy}}
    if zero_shot is not None:
        metrics["zero_shot"] = {"test": {"accuracy": zero_shot}}
    return types.SimpleNamespace(id=rid, config=config, metrics=metrics)


def test_finetune_rate_glues_set_the_one_pass_augmented_fine_tunes_beside_the_protocol():
    runs = [_committed("fast", source="fer2013", augment=True, min_epoch_images=None, accuracy=9 / 42),
            _committed("slow", source="fer2013", augment=True, min_epoch_images=None, learning_rate=1e-4,
                       accuracy=31 / 42),
            _committed("scratch", augment=True, min_epoch_images=None, accuracy=0.9),  # not a fine-tune
            _committed("jaffe", source="fer2013", accuracy=34 / 42, zero_shot=18 / 42),
            _committed("ck", dataset="ckplus7", source="fer2013", learning_rate=1e-4, accuracy=119 / 132,
                       zero_shot=79 / 132),
            # at the profile's rate: before Model 2's CK+ deviation, so no fine-tune of the protocol
            _committed("ck fast", dataset="ckplus7", source="fer2013", accuracy=0.5, zero_shot=0.6)]
    values = findings.finetune_rate_glues(runs)
    assert values == {"finetune_one_pass_augmented": "21.4%", "finetune_one_pass_augmented_lower_rate": "73.8%",
                      "finetune_protocol_jaffe": "81.0%", "finetune_protocol_jaffe_zero_shot": "42.9%",
                      "finetune_protocol_ckplus": "90.2%", "finetune_protocol_ckplus_zero_shot": "59.8%",
                      "finetune_protocol_jaffe_with_start": "81.0% (before fine-tuning: 42.9%)",
                      "finetune_protocol_ckplus_with_start": "90.2% (before fine-tuning: 59.8%)",
                      "finetune_protocol_jaffe_rate": "0.001", "finetune_protocol_ckplus_rate": "0.0001",
                      "finetune_protocol_vs_zero_shot": "above"}
    empty = findings.finetune_rate_glues([])
    assert set(empty.values()) - {"above", "0.001", "0.0001"} == {findings.DASH}
    # with a second seed each list follows the seeds, and one fine-tune below its start is said
    second = dataclasses.replace(_committed("jaffe1", source="fer2013", accuracy=0.3, zero_shot=0.4).config, seed=1)
    runs.append(types.SimpleNamespace(id="jaffe1", config=second,
                                      metrics={"test": {"accuracy": 0.3}, "zero_shot": {"test": {"accuracy": 0.4}}}))
    values = findings.finetune_rate_glues(runs)
    assert values["finetune_protocol_jaffe"] == "81.0% and 30.0% (seeds 0 and 1)"
    assert values["finetune_protocol_jaffe_zero_shot"] == "42.9% and 40.0%"
    assert values["finetune_protocol_jaffe_with_start"] == (
        f"{values['finetune_protocol_jaffe'][:-1]}; before fine-tuning: {values['finetune_protocol_jaffe_zero_shot']})")
    assert values["finetune_protocol_ckplus"] == "90.2%"
    assert values["finetune_protocol_vs_zero_shot"] == "not always above"


def _probes():
    """Four probes of Model 2 on FER2013 at 0.001 without augmentation, 300 steps: three
    answer one class; seed 1 keeps the most units (264 of 1,024 in dense_2)."""
    return pd.DataFrame({"model": 2, "dataset": "fer2013", "seed": [0, 1, 2, 3], "learning_rate": 1e-3,
                           "batch_size": 64, "augment": False, "steps": 300, "collapsed": False,
                           "val_predicted_classes": [1, 3, 1, 1], "min_live": [3, 264, 11, 1],
                           "min_live_units": [1024, 1024, 1024, 128],
                           "min_live_layer": ["dense_1", "dense_2", "dense_1", "conv2d_5"]})


def test_probe_sentences_count_the_seeds_at_one_class_and_name_the_liveliest():
    from ferlib import diagnostics

    probes = _probes()
    (line,) = findings.probe_sentences(diagnostics.collapse_summary(probes), probes)
    assert line.startswith("Model 2 at 0.001, without augmentation: after 300 steps")
    assert "3 of 4 seeds answered a single class" in line and "0.3% to 25.8%" in line
    assert "(the most: seed 1, 264 of 1,024 in dense_2)" in line
    assert findings.probe_sentences(diagnostics.collapse_summary(probes), probes, model=3) == []


def test_the_dying_sentence_counts_probes_that_lost_most_of_a_layer_and_the_rate_that_keeps_them():
    """At the highest rate: probes whose weakest layer kept under half its units, and those
    that answered one class; at a lower rate the least live share. "Dies" needs most probes
    to do both; no probe, no claim."""
    slow = _probes().assign(seed=[0, 1, 0, 1], learning_rate=1e-4, augment=True, val_predicted_classes=5,
                            min_live=[752, 734, 800, 900], min_live_units=1024)
    sentence = findings.dying_sentence(pd.concat([_probes(), slow.iloc[:2]], ignore_index=True))
    assert sentence.startswith("Model 2 dies on FER2013 at Adam's default learning rate of 0.001: after 300 steps")
    assert "no longer fire for any image in 4 of 4 probes (4 seeds, without augmentation; at most 25.8% stay live)" \
        in sentence
    assert "and 3 of them answer one class for every face" in sentence
    assert sentence.endswith("; at 0.0001 the weakest layer of each of 2 probes keeps 71.7% or more of its units live")
    lively = _probes().assign(min_live=[3, 600, 700, 100])
    assert findings.dying_sentence(lively).startswith("Model 2 keeps learning"), "1 of 4 loses most units: not most"
    assert "in 1 of 4 probes" in findings.dying_sentence(lively)
    assert findings.dying_sentence(_probes(), model=3) == "No probe of Model 3 on FER2013 is part of the results"
    assert "at a learning rate of 0.002" in findings.dying_sentence(_probes().assign(learning_rate=2e-3))


def _ckplus_verdicts(peak, neutral, balanced=(0.738, 0.748)):
    """Rows of ``verdicts.finetune_verdicts``: Model 2 on JAFFE, and on CK+ (7 classes)
    with a gain of +9.3 points, ``peak`` and ``neutral`` on each kind of frame."""
    return pd.DataFrame([
        {"model": 2, "dataset": "jaffe", "gain": 0.159, "peak_gain": np.nan, "neutral_gain": np.nan,
         "scratch_balanced": 0.635, "fine_tuned_balanced": 0.794, "balanced_gain": 0.159},
        {"model": 2, "dataset": "ckplus7", "gain": 0.093, "peak_gain": peak, "neutral_gain": neutral,
         "scratch_balanced": balanced[0], "fine_tuned_balanced": balanced[1],
         "balanced_gain": balanced[1] - balanced[0]},
        {"model": 1, "dataset": "ckplus7", "gain": np.nan, "peak_gain": np.nan, "neutral_gain": np.nan,
         "scratch_balanced": np.nan, "fine_tuned_balanced": np.nan, "balanced_gain": np.nan}])


def test_the_ckplus_frames_sentence_says_which_frames_the_gain_comes_from():
    sentence = findings.ckplus_frames_sentence(_ckplus_verdicts(-0.030, 0.217))
    assert sentence == ("On CK+ (7 classes) the fine-tune gain of Model 2, +9.3 points, is +21.7 on the neutral "
                        "first frames and -3.0 on the expression (peak) frames: it comes from the neutral faces, "
                        "and its balanced accuracy moves only from 73.8% to 74.8%")
    assert "it comes from the expressions" in findings.ckplus_frames_sentence(_ckplus_verdicts(0.2, -0.01))
    both = findings.ckplus_frames_sentence(_ckplus_verdicts(0.08, 0.1, balanced=(0.70, 0.78)))
    assert "it holds on both" in both and "moves from 70.0% to 78.0%" in both, "a large move is not 'only'"
    assert "no gain on either" in findings.ckplus_frames_sentence(_ckplus_verdicts(-0.02, 0.0))
    assert findings.ckplus_frames_sentence(_ckplus_verdicts(np.nan, np.nan)) == "", "no paired seeds, nothing said"


def test_subject_glues_give_each_baseline_on_both_splits_in_percent():
    subject = pd.DataFrame({"dataset": ["jaffe", "ckplus7"], "baseline": ["hog_logistic", "logistic_pixels"],
                            "paper_split": [32 / 42, 106 / 132], "subject_independent": [120 / 213, 256 / 327]})
    values = findings.subject_glues(subject)
    assert values["subject_jaffe_hog_logistic_paper_split"] == pytest.approx(100 * 32 / 42)
    assert values["subject_jaffe_hog_logistic_independent"] == pytest.approx(100 * 120 / 213)
    assert values["subject_ckplus7_logistic_pixels_independent"] == pytest.approx(100 * 256 / 327)
    assert len(values) == 4


def _study_table():
    """A study table of Model 2: three cells on JAFFE, the protocol alone on CK+ (7 classes)."""
    def row(cell, val_median, seeds, learned, dataset="jaffe", model=2):
        return {"model": model, "dataset": dataset, "cell": cell, "seeds": seeds, "val_mean": val_median,
                "val_sd": np.nan, "val_median": val_median, "test_mean": 0.5, "test_sd": np.nan,
                "test_median": 0.5, "learned": learned, "test_by_seed": {}}

    return pd.DataFrame([row("protocol", 0.786, 3, 3), row("one pass per epoch", 0.143, 3, 0),
                         row("no class balancing", 0.738, 1, 1), row("protocol", 0.9, 3, 3, dataset="ckplus7")])


def test_study_sentence_lists_every_cell_against_the_protocol_largest_change_first():
    table = _study_table()
    text = findings.study_sentence(table, study.study_verdicts(table), model=2, dataset="jaffe")
    assert text.startswith("Model 2 on JAFFE: the protocol reaches") and "accuracy of 78.6%" in text
    assert "(3 of 3 seeds beat the majority class on test)" in text
    assert text.index("one pass per epoch 14.3% (-64.3 points;") < text.index("no class balancing 73.8% (-4.8 points;")
    assert "0 of 3 seeds beat the majority class" in text and "1 of 1 seed beat the majority class" in text
    alone = findings.study_sentence(table, study.study_verdicts(table), model=2, dataset="ckplus7")
    assert alone.endswith("; no other cell has a run yet.") and "CK+ (7 classes)" in alone
    assert findings.study_sentence(table, study.study_verdicts(table), model=3, dataset="jaffe") == ""


def _verdicts(*rows):
    """A study_verdicts table of Model 2 from ``(dataset, cell, seeds, validation change)``."""
    return pd.DataFrame([{"model": 2, "dataset": d, "cell": c, "seeds": n, "val_change": v, "test_change": 0.0}
                         for d, c, n, v in rows])


#: A change that raises one data set and lowers the other; and one that raises both.
MIXED = _verdicts(("jaffe", "no class balancing", 3, -0.024), ("ckplus7", "no class balancing", 3, 0.031),
                  ("jaffe", "augmentation", 3, -0.6), ("ckplus7", "augmentation", 3, -0.34))
BOTH_RISE = _verdicts(("jaffe", "2,048 images per epoch", 3, 0.07), ("ckplus7", "2,048 images per epoch", 3, 0.02))


def test_study_both_sentence_asks_for_a_change_that_helps_every_data_set():
    text = findings.study_both_sentence(MIXED)
    assert text.startswith("With 3 or more seeds per cell, no single change raises")
    assert "lowers it on the other: no class balancing (" in text
    assert "(-2.4 points on JAFFE, +3.1 points on CK+" in text
    assert "augmentation" not in text
    rises = findings.study_both_sentence(BOTH_RISE)
    assert "accuracy rises on both JAFFE and CK+" in rises
    assert "with: 2,048 images per epoch (+7.0 points on JAFFE" in rises
    assert rises.endswith("+2.0 points on CK+ (7 classes)).")
    few = _verdicts(("jaffe", "2,048 images per epoch", 3, 0.07), ("ckplus7", "2,048 images per epoch", 1, 0.02))
    assert findings.study_both_sentence(few) == ""
    apart = _verdicts(("jaffe", "learning rate 0.0001", 3, -0.1), ("ckplus7", "learning rate 0.001", 5, -0.27))
    assert findings.study_both_sentence(apart) == "", "no cell is on both data sets"
    worse = _verdicts(("jaffe", "augmentation", 3, -0.6), ("ckplus7", "augmentation", 3, -0.34))
    assert findings.study_both_sentence(worse).endswith("on both JAFFE and CK+ (7 classes).")


def test_seed_range_glues_give_the_range_of_means_and_the_seeds_behind_them():
    accuracy = pd.DataFrame([
        {"model": 1, "dataset": "jaffe", "training": "scratch", "seeds": 3, "ours": 0.635},
        {"model": 2, "dataset": "jaffe", "training": "scratch", "seeds": 1, "ours": 0.786},
        {"model": 3, "dataset": "jaffe", "training": "scratch", "seeds": 2, "ours": 0.7},
        {"model": 2, "dataset": "ckplus", "training": "fine-tuned", "seeds": 2, "ours": 0.9},
        {"model": 1, "dataset": "ckplus", "training": "fine-tuned", "seeds": 0, "ours": np.nan},
        {"model": 2, "dataset": "fer2013", "training": "scratch", "seeds": 0, "ours": np.nan},
    ])
    values = findings.seed_range_glues(accuracy)
    assert values["ours_jaffe_scratch_seeds_range"] == "63.5% to 78.6% (1 to 3 seeds)"
    assert values["ours_ckplus_fine_tuned_seeds_range"] == "90.0% (Model 2 only, 2 seeds)"
    assert values["ours_ckplus_scratch_seeds_range"] == "–" and values["ours_fer2013_seeds_range"] == "–"
    assert set(values) == {f"ours_{key}_seeds_range" for key in
                           ("fer2013", "jaffe_scratch", "jaffe_fine_tuned", "ckplus_scratch", "ckplus_fine_tuned")}


#: Fine-tunes over seeds: Model 2 on JAFFE over two seeds, on CK+ over one.
OVER_SEEDS = pd.DataFrame([
        {"model": 2, "dataset": "jaffe", "seeds": 2, "gain_mean": 0.095, "significant_gains": 0,
         "t_p_value": 0.21, "by_seed": {1: (0.071, 0.5), 0: (0.119, 0.125)}},
        {"model": 2, "dataset": "ckplus", "seeds": 1, "gain_mean": 0.402, "significant_gains": 1,
         "t_p_value": np.nan, "by_seed": {0: (0.402, 2e-16)}},
])


def test_finetune_seeds_sentence_gives_the_repeated_pairs_and_says_when_there_are_none():
    over = OVER_SEEDS
    sentence = findings.finetune_seeds_sentence(over)
    assert "Model 2 on JAFFE gains +9.5 points on average over 2 seeds" in sentence
    assert "(each seed: +11.9, +7.1)" in sentence
    assert "in 0 of 2, paired t-test over seeds p = 0.210." in sentence and "CK+" not in sentence
    assert findings.finetune_seeds_sentence(over[over["seeds"] < 2]).startswith("No fine-tune has more than one seed")
    assert findings.finetune_seeds_sentence(over.iloc[:0]).startswith("No fine-tune has more than one seed")


def _rate_table(ck_protocol, ck_other, jaffe_protocol=0.8, jaffe_other=0.7, ck_first=None):
    """A study table with both rate cells of Model 2 on CK+7 (trained at 0.0001, its
    'learning rate 0.001' cell the other rate) and on JAFFE (at 0.001). Each cell's
    seeds all score its median, but for CK+7 at 0.001 with ``ck_first``, the score of
    seeds 0-2 (seeds 3 and 4 then score ``ck_other``, which stays the median only if
    ``ck_first`` is not given)."""
    def seeds(value, n=3):
        return {seed: value for seed in range(n)}

    ck_seeds = seeds(ck_other, 5) if ck_first is None else {**seeds(ck_first), 3: ck_other, 4: ck_other}
    return pd.DataFrame([
        {"model": 2, "dataset": "ckplus7", "cell": "protocol", "seeds": 5, "learned": 5,
         "val_median": ck_protocol, "val_mean": ck_protocol, "val_by_seed": seeds(ck_protocol, 5)},
        {"model": 2, "dataset": "ckplus7", "cell": "learning rate 0.001", "seeds": 5, "learned": 2,
         "val_median": float(np.median(list(ck_seeds.values()))), "val_mean": ck_other - 0.1,
         "val_by_seed": ck_seeds},
        {"model": 2, "dataset": "jaffe", "cell": "protocol", "seeds": 3, "learned": 3,
         "val_median": jaffe_protocol, "val_mean": jaffe_protocol, "val_by_seed": seeds(jaffe_protocol)},
        {"model": 2, "dataset": "jaffe", "cell": "learning rate 0.0001", "seeds": 3, "learned": 3,
         "val_median": jaffe_other, "val_mean": jaffe_other, "val_by_seed": seeds(jaffe_other)},
        {"model": 2, "dataset": "jaffe", "cell": "augmentation", "seeds": 3, "learned": 1,
         "val_median": 0.2, "val_mean": 0.2, "val_by_seed": seeds(0.2)},
    ])


def test_rate_choices_put_each_experiments_rate_beside_the_other_by_the_median_rule():
    choices = study.rate_choices(_rate_table(0.85, 0.5))
    assert list(choices.columns) == study.RATE_CHOICE_COLUMNS
    ck, jaffe = choices.set_index("dataset").loc["ckplus7"], choices.set_index("dataset").loc["jaffe"]
    assert (ck["protocol_rate"], ck["other_rate"], ck["rule_rate"], ck["agrees"]) == (1e-4, 1e-3, 1e-4, True)
    assert (ck["protocol_learned"], ck["other_seeds"], ck["other_val_mean"]) == (5, 5, pytest.approx(0.4))
    assert ck["study_seeds_rule_rate"] == 1e-4 and ck["study_seeds_other_val_median"] == 0.5
    turned = study.rate_choices(_rate_table(0.85, 0.5, ck_first=0.9)).set_index("dataset").loc["ckplus7"]
    assert turned["other_val_median"] == 0.9 and turned["rule_rate"] == 1e-3, "3 of 5 seeds at 0.9"
    turned = study.rate_choices(_rate_table(0.85, 0.5, ck_first=0.9).assign(
        val_median=lambda t: t["val_median"].where(t["cell"] != "learning rate 0.001", 0.5))).set_index("dataset")
    assert turned.loc["ckplus7", "rule_rate"] == 1e-4 and turned.loc["ckplus7", "study_seeds_rule_rate"] == 1e-3
    assert (jaffe["protocol_rate"], jaffe["rule_rate"], jaffe["agrees"]) == (1e-3, 1e-3, True)
    flipped = study.rate_choices(_rate_table(0.5, 0.85, jaffe_other=0.9)).set_index("dataset")
    assert flipped.loc["ckplus7", "rule_rate"] == 1e-3 and not flipped.loc["ckplus7", "agrees"]
    assert flipped.loc["jaffe", "rule_rate"] == 1e-4 and not flipped.loc["jaffe", "agrees"]
    tie = study.rate_choices(_rate_table(0.7, 0.7)).set_index("dataset")
    assert tie.loc["ckplus7", "agrees"], "a tie keeps the protocol's rate"
    alone = _rate_table(0.85, 0.5)
    assert study.rate_choices(alone[alone["cell"] != "learning rate 0.001"])["dataset"].tolist() == ["jaffe"]
    assert study.rate_choices(alone.iloc[:0]).empty


def _turned_rate_table():
    """:func:`_rate_table` where CK+'s 0.001 cell wins over seeds 0-2 but not over all five."""
    return _rate_table(0.85, 0.5, ck_first=0.9).assign(
        val_median=lambda t: t["val_median"].where(t["cell"] != "learning rate 0.001", 0.5))


def test_rate_choice_sentences_say_where_the_protocol_deviates_and_where_the_rule_disagrees():
    lines = findings.rate_choice_sentences(study.rate_choices(_rate_table(0.85, 0.5)))
    deviates, kept = lines
    assert deviates.startswith("Model 2 on CK+ (7 classes) ended above the majority class")
    assert "in 5 of 5 seeds at 0.0001 and in 2 of 5 seeds at 0.001" in deviates
    assert "0.0001 scores 85.0% and 0.001 50.0%" in deviates and "85.0% and 40.0%" in deviates
    assert deviates.endswith("at 0.0001, a stated deviation from the 0.001 of the other experiments.")
    assert "0.001 scores 80.0% and 0.0001 70.0%" in kept and "80.0% and 70.0%" in kept
    assert kept.endswith("so this experiment keeps the 0.001 of the other experiments.")
    wrong = findings.rate_choice_sentences(study.rate_choices(_rate_table(0.5, 0.85)))
    assert wrong[0].endswith("at 0.0001: the rule picks 0.001.")
    assert "the study's usual seeds" not in " ".join(lines + wrong)
    (ck, _) = findings.rate_choice_sentences(study.rate_choices(_turned_rate_table()))
    assert "Over seeds 0, 1 and 2 alone" in ck and "the rule would pick 0.001 (90.0% against 85.0%)" in ck
    assert ck.endswith("over every seed it picks 0.0001, and the choice rests on every seed: which rate wins depends "
                       "on which seeds are counted.")
    assert findings.rate_choice_sentences(study.rate_choices(_rate_table(0.5, 0.85).iloc[:0])) == []


def _training_inputs():
    """``(overview, runs)``: Model 2 on CK+ at the majority share (6 of 42) and on JAFFE
    learned (30 of 42)."""
    import dataclasses as dc

    from ferlib.protocol import experiment_config

    def with_config(run, key):
        run.config = dc.replace(experiment_config("paper", key, data="real"), seed=0)
        return run

    # fake_run's test part holds each of the 7 classes 6 times in 42: 6 right is the majority share
    stuck = with_config(fake_run(6 / 42, 42), (2, "ckplus", None))
    learned = with_config(fake_run(30 / 42, 42), (2, "jaffe", None))
    runs = {(2, "ckplus", None): stuck, (2, "jaffe", None): learned}
    overview = pd.DataFrame({"train_time_s": [60.0, 60.0], "accuracy": [6 / 42, 30 / 42], "model": [2, 2],
                             "dataset": ["ckplus", "jaffe"], "training": ["scratch", "scratch"], "test_n": [42, 42]})
    return overview, runs


def test_training_findings_call_out_a_run_at_the_majority_class():
    overview, runs = _training_inputs()
    lines = findings.training_findings(overview, pd.DataFrame(), 15, runs)
    called = [line for line in lines if "most frequent class" in line]
    assert len(called) == 1 and called[0].startswith("Model 2 on CK+ (from scratch), seed 0: no better than")
    assert not [line for line in findings.training_findings(overview, pd.DataFrame(), 15) if "most frequent" in line]


def test_the_sentences_of_these_cases_match_their_snapshot(snapshot):
    """The words of every case above, in one file (tests/snapshots/findings_cases.md): the
    tests above check the numbers and verdicts each sentence carries, this one its wording."""
    from ferlib import diagnostics

    summary, paired, beside = _two_pairs()
    one_pair = tables.results_table({(2, "jaffe", None): fake_run(0.5, 42), (2, "jaffe", "fer2013"): fake_run(0.6, 42)})
    probes = _probes()
    table = _study_table()
    overview, runs = _training_inputs()
    snapshot("findings_cases", {
        "Fine-tuning, one pair": findings.finetune_sentence(tables.finetune_summary(one_pair)),
        "Fine-tuning, a significant gain against a run at the majority class":
            findings.finetune_sentence(summary, paired, beside),
        "Fine-tuning, a significant loss": findings.finetune_sentence(summary, LOST, beside),
        "Fine-tuning, two significant gains": findings.finetune_sentence(summary, BOTH, beside),
        "Claims": findings.claims_findings(CLAIMS_SUMMARY, CLAIMS_FINETUNE),
        "Claims, the significant gain against a run at the majority class": findings.claims_findings(
            CLAIMS_SUMMARY, CLAIMS_FINETUNE.assign(scratch_at_majority=[False, True, None]))[-1:],
        "Below the learning bar": findings.learning_glues(LEARNING_SEEDS)["small_scratch_below_bar_text"],
        "Emotions": findings.emotion_findings(_emotion_picked()),
        "New people": findings.subject_cnn_sentences(_subject_rows()),
        "Probes": findings.probe_sentences(diagnostics.collapse_summary(probes), probes),
        "Runs that die": findings.dying_sentence(probes),
        "CK+ frames": findings.ckplus_frames_sentence(_ckplus_verdicts(-0.030, 0.217)),
        "Study, JAFFE": findings.study_sentence(table, study.study_verdicts(table), model=2, dataset="jaffe"),
        "Study, CK+ alone": findings.study_sentence(table, study.study_verdicts(table), model=2, dataset="ckplus7"),
        "Study, one data set against the other": findings.study_both_sentence(MIXED),
        "Study, both rise": findings.study_both_sentence(BOTH_RISE),
        "Fine-tunes over seeds": findings.finetune_seeds_sentence(OVER_SEEDS),
        "Learning rate": findings.rate_choice_sentences(study.rate_choices(_rate_table(0.85, 0.5))),
        "Learning rate, the rule disagrees": findings.rate_choice_sentences(study.rate_choices(_rate_table(0.5, 0.85))),
        "Learning rate, the seeds added turned it":
            findings.rate_choice_sentences(study.rate_choices(_turned_rate_table())),
        "Training": findings.training_findings(overview, pd.DataFrame(), 15, runs),
    })
