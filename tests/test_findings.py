"""The "what we found" sentences (ferlib.findings) say what the numbers given say."""

import types

import numpy as np
import pandas as pd

from ferlib import claims, findings, paper, tables


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


def test_finetune_sentence_without_and_with_pairs():
    results = tables.results_table({(2, "jaffe", None): fake_run(0.5, 42)})
    assert "none of our runs can test this" in findings.finetune_sentence(tables.finetune_summary(results))
    results = tables.results_table({(2, "jaffe", None): fake_run(0.5, 42),
                                    (2, "jaffe", "fer2013"): fake_run(0.6, 42)})
    sentence = findings.finetune_sentence(tables.finetune_summary(results))
    assert sentence == "fine-tuning beat training from scratch in 1 of 1 comparisons, by +9.5 points on average"


def test_range_glues_use_dashes_where_no_run_covers_a_range():
    results = tables.results_table({(2, "jaffe", None): fake_run(0.5, 42), (3, "jaffe", None): fake_run(0.6, 42)})
    values = findings.range_glues(tables.range_table(results), results, quoted_fer2013=0.62)
    assert values["ours_jaffe_scratch_range"] == "50.0% to 59.5%"
    assert values["ours_ckplus_scratch_range"] == "–" and values["ours_fer2013_range"] == "–"
    assert values["paper_fer2013_quoted"] == "about 62%"
    assert values["paper_jaffe_scratch_range"] == "60.5% to 74.4%"


def test_confusion_findings_name_the_most_frequent_mistake():
    run = fake_run(0.5, 42)
    lines = findings.confusion_findings({"jaffe": ((2, "jaffe", None), run), "ckplus": None})
    assert lines[0].startswith("JAFFE (Model 2, scratch): 50.0% of 42 test images right")
    assert "angry taken for disgust" in lines[0]
    assert lines[1] == "CK+: no run to show in this build."


def test_box_is_a_titled_admonition():
    box = findings.box(["a line"])
    assert box.data.startswith(":::{admonition} What we found") and "- a line" in box.data


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


def test_learning_glues_count_the_small_scratch_experiments_over_the_bar():
    seeds = pd.DataFrame({"model": [1, 2, 2, 2], "dataset": ["jaffe", "ckplus", "jaffe", "fer2013"],
                          "training": ["scratch", "scratch", "fine-tuned", "scratch"],
                          "balanced_median": [0.30, 0.60, 0.95, 0.10]})
    values = findings.learning_glues(seeds)
    assert values["small_scratch_runs"] == 2 and values["small_scratch_above_bar"] == 1
    assert values["small_scratch_balanced_range"] == "30.0% to 60.0%"
    assert findings.learning_glues(seeds, bar=0.2)["small_scratch_above_bar"] == 2
    assert findings.learning_glues(seeds.iloc[2:])["small_scratch_balanced_range"] == findings.DASH


def test_emotion_findings_give_the_true_class_probability_and_top_two_share():
    from ferlib.labels import EMOTIONS

    rows = []
    for true, probabilities in ((0, [0.6, 0.4, 0, 0, 0, 0, 0]), (1, [0.5, 0.0, 0.3, 0.2, 0, 0, 0])):
        rows.append({"part": "test", "true": true, **{f"p_{n}": p for n, p in zip(EMOTIONS, probabilities)}})
    rows.append({"part": "val", "true": 2, **{f"p_{n}": 1 / 7 for n in EMOTIONS}})
    run = types.SimpleNamespace(predictions=pd.DataFrame(rows))
    lines = findings.emotion_findings({"jaffe": ((3, "jaffe", None), run), "ckplus": None})
    # the true class gets 0.6 and 0.0 (mean 30%); it is among the two most probable for 1 of 2
    assert lines[0] == ("JAFFE (Model 3): the true class gets 30.0% of the probability on average, and is "
                        "among the two most probable classes for 50.0% of the test images.")
    assert lines[1] == "CK+: no run to show in this build."


def test_subject_cnn_sentences_give_a_complete_set_its_test_and_a_partial_one_its_count():
    from ferlib import compare

    base = {"model": 2, "paper_split": np.nan, "majority": 0.15, "logistic_pixels": 0.5, "n": 213}
    rows = pd.DataFrame([
        dict(base, dataset="jaffe", protocol="loso", split="leave one subject out, 10 of 10 folds", folds=10,
             of=10, complete=True, correct=100, accuracy=100 / 213, low=0.40, high=0.54, paper_split_mean=0.635,
             paper_seeds=3, hog_logistic=0.5634, cnn_minus_hog=100 / 213 - 0.5634, only_cnn=12, only_hog=32,
             p_vs_hog=0.0036),
        dict(base, dataset="ckplus7", protocol="subject-kfold", split="folds grouped by subject, 4 of 10 folds",
             folds=4, of=10, complete=False, correct=200, accuracy=np.nan, low=np.nan, high=np.nan,
             paper_split_mean=0.7, paper_seeds=3, hog_logistic=0.88, cnn_minus_hog=np.nan, only_cnn=np.nan,
             only_hog=np.nan, p_vs_hog=np.nan),
        dict(base, dataset="ckplus", protocol="subject-kfold", split="", folds=0, of=10, complete=False,
             correct=0, accuracy=np.nan, low=np.nan, high=np.nan, paper_split_mean=np.nan, paper_seeds=0,
             hog_logistic=0.9, cnn_minus_hog=np.nan, only_cnn=np.nan, only_hog=np.nan, p_vs_hog=np.nan),
    ], columns=[c for c in compare.SUBJECT_CNN_COLUMNS])
    jaffe, ck = findings.subject_cnn_sentences(rows)
    assert jaffe.startswith("JAFFE: Model 2 tested on people it has never seen (leave one subject out) "
                            "scores 46.9% [40.0%, 54.0%], against 63.5% on the paper's split (mean over 3 seeds)")
    assert "HOG with logistic regression scores 56.3%" in jaffe and "significantly worse" in jaffe
    assert "12 images right only by the network, 32 only by HOG; exact McNemar p = 0.004" in jaffe
    assert "4 of the 10 subject-independent folds" in ck and "waits for the other 6" in ck
    even = rows.iloc[:1].assign(p_vs_hog=0.2)
    assert "not significantly different" in findings.subject_cnn_sentences(even)[0]
    assert findings.subject_cnn_sentences(rows.iloc[2:]) == []
