"""Does a FER2013 start help? The CK+ frames apart, the subject folds pooled, the split
seeds, and the verdict per network by its rule, on synthetic run records."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from ferlib import compare, protocol
from ferlib.datasets.ckplus import frame_kind
from ferlib.labels import label_index

NEUTRAL = label_index("neutral")
HAPPY = label_index("happy")


def record(config, sources, true, right, rid=None):
    """A finished run as the comparisons read it: its config and test predictions, each
    image right where ``right`` says (else the next class)."""
    true = np.asarray(true, dtype=int)
    predicted = np.where(right, true, (true + 1) % 7)
    predictions = pd.DataFrame({"part": ["val"] + ["test"] * len(true), "true": [0, *true],
                                "predicted": [0, *predicted], "source": ["val.png", *sources]})
    return SimpleNamespace(id=rid or f"r{id(predictions) % 10**8}", config=config, predictions=predictions,
                           metrics={"test": {"accuracy": float(np.mean(right))}})


def first(n, k):
    """``(n,)`` bool: the first ``k`` right."""
    return np.arange(n) < k


def paper(model, dataset, source=None, *, seed=0, split_seed=0):
    if split_seed:
        return protocol.split_seed_config("paper", (model, dataset, source), split_seed, seed=seed,
                                          source=source, source_run="src" if source else None)
    return protocol.experiment_config("paper", (model, dataset, source), data="real", seed=seed, source=source,
                                      source_run="src" if source else None)


JAFFE = [f"jaffe/KA.HA{i}.{i}.tiff" for i in range(42)]
JAFFE_TRUE = [i % 7 for i in range(42)]


def jaffe_pair(model, k_scratch, k_tuned, *, seed=0, split_seed=0):
    return [record(paper(model, "jaffe", seed=seed, split_seed=split_seed), JAFFE, JAFFE_TRUE, first(42, k_scratch)),
            record(paper(model, "jaffe", "fer2013", seed=seed, split_seed=split_seed), JAFFE, JAFFE_TRUE,
                   first(42, k_tuned))]


def fer2013(model, seed=0):
    return record(paper(model, "fer2013", seed=seed), ["f.png"], [0], [True])


def jaffe_folds(model, k_scratch, k_tuned, *, folds=10, per_fold=4):
    """Every leave-one-subject-out fold of JAFFE, from scratch and fine-tuned: fold f tests
    ``per_fold`` images of its subject, the first k of each right."""
    runs = []
    for fold in range(folds):
        sources = [f"jaffe/S{fold}.{i}.tiff" for i in range(per_fold)]
        true = [i % 7 for i in range(per_fold)]
        scratch = protocol.subject_fold_config("paper", model, "jaffe", fold)
        tuned = protocol.subject_finetune_config("paper", model, "jaffe", fold, source="fer2013", source_run="src")
        runs += [record(scratch, sources, true, first(per_fold, k_scratch)),
                 record(tuned, sources, true, first(per_fold, k_tuned))]
    return runs


# --------------------------------------------------------------------------- CK+ frames


@pytest.mark.parametrize("source, kind", [
    ("ckplus-neutral/CK+/neutral/S010_002_00000001.png", "neutral"),
    ("ckplus-neutral/CK+/neutral/S032_003_000000011.png", "neutral"),   # a second crop of frame 1
    ("ckplus-neutral/CK+/surprise/S010_002_00000014.png", "peak"),
    ("ckplus-neutral/CK+/anger/S032_003_000000151.png", "peak"),
    ("ck/cohn-kanade-images/S005/001/S005_001_00000001.png", "neutral"),
    ("ck/cohn-kanade-images/S005/001/S005_001_00000011.png", "peak"),
])
def test_a_ck_plus_frame_is_neutral_by_its_folder_or_as_frame_one(source, kind):
    assert frame_kind(source) == kind


def test_frame_kinds_are_checked_against_the_labels():
    sources = ["CK+/neutral/S010_002_00000001.png", "CK+/happiness/S010_002_00000014.png"]
    assert list(compare.frame_kinds(sources, [NEUTRAL, HAPPY])) == ["neutral", "peak"]
    with pytest.raises(ValueError, match="S010_002_00000014.png: a peak frame by its name, but labelled neutral"):
        compare.frame_kinds(sources, [NEUTRAL, NEUTRAL])
    with pytest.raises(ValueError, match="not a CK\\+ frame"):
        frame_kind("jaffe/KA.HA1.29.tiff")


def ckplus_images(n):
    """``n`` sequences: each its neutral first frame, then its peak frame (happy)."""
    sources, true = [], []
    for i in range(n):
        sources += [f"CK+/neutral/S{i:03d}_001_00000001.png", f"CK+/happiness/S{i:03d}_001_00000012.png"]
        true += [NEUTRAL, HAPPY]
    return sources, np.array(true)


def test_ck_plus_accuracy_on_peak_and_neutral_frames_apart():
    sources, true = ckplus_images(10)
    right = (true == NEUTRAL) | (np.arange(20) < 6)  # every neutral frame, 3 of 10 peak frames
    table = compare.ckplus_frame_accuracy([record(paper(2, "ckplus"), sources, true, right),
                                           record(paper(2, "jaffe"), JAFFE, JAFFE_TRUE, first(42, 3))])
    assert list(table["frames"]) == ["all", "peak", "neutral"], "a JAFFE run has no CK+ frames"
    by = table.set_index("frames")
    assert by.loc["all", "accuracy"] == 13 / 20 and by.loc["peak", "accuracy"] == 0.3
    assert by.loc["neutral", "accuracy"] == 1.0 and by.loc["neutral", "n"] == 10
    assert by.loc["neutral", "balanced_accuracy"] == 1.0, "one class: balanced is the accuracy"
    assert by.loc["peak", "low"] < 0.3 < by.loc["peak", "high"]


def test_a_ck_plus_gain_is_tested_on_each_kind_of_frame():
    sources, true = ckplus_images(20)
    neutral = true == NEUTRAL
    scratch_right = ~neutral                     # scratch: every peak frame, no neutral frame
    tuned_right = neutral | (np.arange(40) < 10)  # fine-tuned: every neutral frame, 5 of 20 peak frames
    runs = [record(paper(2, "ckplus"), sources, true, scratch_right),
            record(paper(2, "ckplus", "fer2013"), sources, true, tuned_right)]
    table = compare.ckplus_finetune_frames(runs).set_index("frames")
    assert table.loc["all", "gain"] == pytest.approx(5 / 40)
    assert table.loc["peak", "gain"] == pytest.approx(-15 / 20) and table.loc["neutral", "gain"] == 1.0
    assert table.loc["peak", "p_value"] == pytest.approx(st.binomtest(0, 15, 0.5).pvalue)
    assert table.loc["neutral", "p_value"] == pytest.approx(st.binomtest(20, 20, 0.5).pvalue)
    assert table.loc["all", "p_value"] == pytest.approx(st.binomtest(20, 35, 0.5).pvalue)
    assert set(table["split"]) == {"paper"} and set(table["seed"]) == {0}


def test_pairs_must_test_the_same_images_with_the_same_labels():
    a = record(paper(2, "jaffe"), JAFFE, JAFFE_TRUE, first(42, 3))
    b = record(paper(2, "jaffe", "fer2013"), JAFFE[:-1] + ["other.tiff"], JAFFE_TRUE, first(42, 3))
    with pytest.raises(ValueError, match="test other images: jaffe/KA.HA41.41.tiff only in the run from scratch"):
        compare.aligned_pair(compare._test_rows(a), compare._test_rows(b))
    c = record(paper(2, "jaffe", "fer2013"), JAFFE, [(t + 1) % 7 for t in JAFFE_TRUE], first(42, 3))
    with pytest.raises(ValueError, match="labelled 0 by the run from scratch and 1 by the fine-tune"):
        compare.aligned_pair(compare._test_rows(a), compare._test_rows(c))
    shuffled = record(paper(2, "jaffe", "fer2013"), JAFFE[::-1], JAFFE_TRUE[::-1], first(42, 3)[::-1])
    pair = compare.aligned_pair(compare._test_rows(a), compare._test_rows(shuffled))
    assert list(pair["source"]) == JAFFE and compare.paired_stats(pair)["gain"] == 0


# --------------------------------------------------------------------------- subject folds


def test_subject_folds_are_pooled_only_when_every_fold_of_both_is_there():
    runs = jaffe_folds(2, 1, 3)
    table = compare.subject_finetune_comparison(runs).set_index("dataset")
    row = table.loc["jaffe"]
    assert row["complete"] and row["n"] == 40 and row["folds"] == 10
    assert row["scratch"] == 0.25 and row["fine_tuned"] == 0.75 and row["gain"] == 0.5
    assert row["p_value"] == pytest.approx(st.binomtest(20, 20, 0.5).pvalue)
    assert row["by_fold"][3] == (0.5, pytest.approx(st.binomtest(2, 2, 0.5).pvalue))
    assert not table.loc["ckplus7", "complete"] and table.loc["ckplus7", "n"] == 0
    partial = compare.subject_finetune_comparison(runs[:-1]).set_index("dataset").loc["jaffe"]
    assert partial["folds"] == 9 and partial["scratch_folds"] == 10 and partial["fine_tuned_folds"] == 9
    assert np.isnan(partial["gain"]) and np.isnan(partial["p_value"]) and partial["n"] == 36
    clash = runs + [record(protocol.subject_fold_config("paper", 2, "jaffe", 0), ["jaffe/S1.0.tiff"], [0], [True])]
    with pytest.raises(ValueError, match="jaffe/S1.0.tiff"):
        compare.subject_finetune_comparison(clash)


# --------------------------------------------------------------------------- the rule's strands


def _result(gain, p=0.5):
    return {"gain": gain, "p_value": p, "fine_tuned": 0.5 + gain, "scratch": 0.5}


def test_a_strand_is_judged_by_the_t_interval_over_seeds_else_mcnemar():
    rule = compare.VERDICT_RULE
    gains = [0.10, 0.12, 0.14]
    judged = compare.judge_pairs([_result(g) for g in gains], rule)
    half = st.t.ppf(0.975, 2) * np.std(gains, ddof=1) / np.sqrt(3)
    assert judged["state"] == "gain" and judged["low"] == pytest.approx(0.12 - half)
    assert judged["p_value"] == pytest.approx(st.ttest_1samp(gains, 0).pvalue) and judged["test"] == "t over seeds"
    assert compare.judge_pairs([_result(-g) for g in gains], rule)["state"] == "loss"
    assert compare.judge_pairs([_result(g) for g in (0.2, -0.05, 0.1)], rule)["state"] == "neither"
    # the same gain on every seed: no spread, so every seed's own McNemar test must reject
    assert compare.judge_pairs([_result(0.1, 0.01)] * 2, rule)["state"] == "gain"
    assert compare.judge_pairs([_result(0.1, 0.01), _result(0.1, 0.2)], rule)["state"] == "neither"
    assert compare.judge_pairs([_result(0.3, 0.001)], rule)["state"] == "gain"
    assert compare.judge_pairs([_result(0.3, 0.001)], rule, single=False)["state"] == "missing"
    assert compare.judge_pairs([_result(-0.3, 0.2)], rule)["state"] == "neither"
    assert compare.judge_pairs([], rule)["state"] == "missing"


@pytest.mark.parametrize("seeds, folds, splits, verdict", [
    ("gain", "gain", "gain", compare.GAIN_HOLDS),
    ("gain", "missing", "missing", compare.GAIN_HOLDS),
    ("gain", "neither", "gain", compare.NO_EVIDENCE),
    ("gain", "gain", "loss", compare.NO_EVIDENCE),
    ("neither", "gain", "gain", compare.NO_EVIDENCE),
    ("loss", "loss", "missing", compare.LOSS),
    ("loss", "gain", "loss", compare.NO_EVIDENCE),
    ("missing", "gain", "gain", compare.UNTESTED),
])
def test_the_strands_combine_as_the_rule_says(seeds, folds, splits, verdict):
    assert compare.combine_strands(seeds, folds, splits) == verdict


def test_the_rules_split_seeds_and_subject_seed_are_the_protocols():
    assert compare.VERDICT_RULE.split_seeds == protocol.EXTRA_SPLIT_SEEDS
    assert compare.VERDICT_RULE.subject_seed == protocol.SUBJECT_SEED
    with pytest.raises(ValueError, match="folds must be one of"):
        compare.combine_strands("gain", "significant", "gain")


# --------------------------------------------------------------------------- the verdicts


REPORT = {"results": [{"dataset": "jaffe", "baseline": "hog_logistic", "split_seeds": [s],
                       "test": {"accuracy": acc}} for s, acc in ((0, 0.70), (1, 0.90), (2, 0.80))]}


def evidence(model=2, *, seeds=((10, 20), (11, 23), (12, 25)), folds=(1, 3), splits=((10, 30), (12, 30))):
    runs = [fer2013(model)]
    for seed, (a, b) in enumerate(seeds):
        runs += jaffe_pair(model, a, b, seed=seed)
    if folds:
        runs += jaffe_folds(model, *folds)
    for split_seed, (a, b) in zip((1, 2), splits):
        runs += jaffe_pair(model, a, b, split_seed=split_seed)
    return runs


def test_the_gain_holds_when_every_strand_shows_it():
    row = compare.finetune_verdicts(evidence(), REPORT, models=(2,), datasets=("jaffe",)).iloc[0]
    assert row["verdict"] == compare.GAIN_HOLDS and row["complete"] and row["missing"] == ""
    assert row["seeds"] == 3 and row["gain"] == pytest.approx(np.mean([10, 12, 13]) / 42)
    assert row["seeds_state"] == "gain" and row["folds_state"] == "gain" and row["splits_state"] == "gain"
    assert row["folds"] == "10 of 10" and row["fold_n"] == 40 and row["fold_gain"] == 0.5
    assert row["split_gains"] == {1: pytest.approx(20 / 42), 2: pytest.approx(18 / 42)}
    assert row["split_p"][1] == pytest.approx(st.binomtest(20, 20, 0.5).pvalue)
    assert row["split_gain_spread"] == pytest.approx(20 / 42 - np.mean([10, 12, 13]) / 42), "split seed 0 counts"
    assert row["hog_spread"] == pytest.approx(0.2)
    assert row["balanced_gain"] == pytest.approx(row["fine_tuned_balanced"] - row["scratch_balanced"])
    assert np.isfinite(row["scratch_balanced"]) and np.isnan(row["peak_gain"])


def test_a_strand_that_shows_nothing_or_the_opposite_blocks_the_verdict():
    flat_folds = compare.finetune_verdicts(evidence(folds=(2, 2)), REPORT, models=(2,)).iloc[0]
    assert flat_folds["folds_state"] == "neither" and flat_folds["verdict"] == compare.NO_EVIDENCE
    lost_split = compare.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), models=(2,)).iloc[0]
    assert lost_split["splits_state"] == "neither" and lost_split["verdict"] == compare.NO_EVIDENCE
    loss = compare.finetune_verdicts(evidence(seeds=((20, 10), (23, 11), (25, 12)), folds=(3, 1),
                                              splits=((30, 10), (30, 12))), models=(2,)).iloc[0]
    assert loss["verdict"] == compare.LOSS and loss["gain_high"] < 0


def test_a_verdict_from_the_paper_split_alone_says_what_is_missing():
    row = compare.finetune_verdicts(evidence(folds=None, splits=()), models=(2,), datasets=("jaffe",)).iloc[0]
    assert row["verdict"] == compare.GAIN_HOLDS and not row["complete"]
    assert row["missing"] == "subject folds (0 of 10 paired); split seeds 1, 2"
    assert np.isnan(row["hog_spread"]) and np.isnan(row["split_gain_spread"])


def test_untested_without_a_fer2013_run_or_with_too_few_seeds():
    table = compare.finetune_verdicts(evidence(), models=(1, 2), datasets=("jaffe",)).set_index("model")
    assert table.loc[1, "verdict"] == compare.UNTESTED
    assert table.loc[1, "reason"] == "Model 1 has no FER2013 run to start from"
    one = evidence(seeds=((10, 30),))
    row = compare.finetune_verdicts(one, models=(2,), datasets=("jaffe",)).iloc[0]
    assert row["verdict"] == compare.UNTESTED and row["reason"] == "1 paired seed on the paper's split, 2 needed"
    bare = compare.finetune_verdicts([fer2013(2)], models=(2,), datasets=("jaffe",)).iloc[0]
    assert bare["reason"] == "no fine-tune of Model 2 on this data set yet"


def test_a_ck_plus_verdict_gives_the_gain_on_peak_and_neutral_frames():
    sources, true = ckplus_images(20)
    neutral = true == NEUTRAL
    runs = [fer2013(2)]
    for seed, extra in enumerate((0, 2, 4)):
        peak_right = ~neutral & (np.arange(40) < 20 + extra)
        runs += [record(paper(2, "ckplus", seed=seed), sources, true, peak_right),
                 record(paper(2, "ckplus", "fer2013", seed=seed), sources, true, peak_right | neutral)]
    row = compare.finetune_verdicts(runs, models=(2,), datasets=("ckplus7",)).iloc[0]
    assert row["neutral_gain"] == 1.0 and row["peak_gain"] == 0.0
    assert row["gain"] == pytest.approx(0.5) and row["seeds_test"] == "McNemar, every seed"
    assert row["verdict"] == compare.GAIN_HOLDS


def test_split_seeds_are_compared_beside_hogs_spread_on_the_same_split_seeds():
    runs = evidence(folds=None, splits=((10, 30),))
    table = compare.split_seed_comparison(runs, REPORT, models=(2,))
    assert list(table["split_seed"]) == [0, 1] and list(table["seeds"]) == [3, 1]
    assert list(table["test"]) == ["t over seeds", "McNemar"] and list(table["state"]) == ["gain", "gain"]
    assert list(table["hog_logistic"]) == [0.70, 0.90]
    assert table.iloc[1]["by_seed"] == {0: (pytest.approx(20 / 42), pytest.approx(st.binomtest(20, 20, 0.5).pvalue))}
    spread = compare.split_seed_spread(table, REPORT).iloc[0]
    assert spread["split_seeds"] == [0, 1] and spread["gain_spread"] == pytest.approx((20 - 35 / 3) / 42)
    assert spread["hog_spread"] == pytest.approx(0.2) and spread["hog_spread_all"] == pytest.approx(0.2)
    assert spread["hog_split_seeds"] == [0, 1, 2]
    assert np.isnan(compare.split_seed_comparison(runs, None, models=(2,))["hog_logistic"]).all()


# --------------------------------------------------------------------------- in words


def test_the_verdicts_in_words_give_the_evidence_and_what_is_missing(snapshot):
    """The numbers and verdicts each line carries; the words are in the snapshot
    tests/snapshots/transfer_cases.md."""
    from ferlib import findings

    table = compare.finetune_verdicts(evidence(folds=None), REPORT, models=(1, 2), datasets=("jaffe",))
    lines = findings.transfer_findings(table)
    assert lines[0].startswith(f"Model 2 on JAFFE: {compare.GAIN_HOLDS}.") and "scores +27.8 points" in lines[0]
    assert "the mean over 3 paired seeds (95% interval" in lines[0] and "paired t-test p = " in lines[0]
    assert "balanced accuracy" in lines[0] and "split seed 1 +47.6 points (p < 0.001)" in lines[0]
    assert lines[0].endswith("Not yet tested: subject folds (0 of 10 paired).")
    assert lines[1].startswith("Model 1 on JAFFE: untested (") and "no FER2013 run" in lines[1]
    glues = findings.transfer_glues(table)
    assert glues["transfer_2_jaffe_verdict"] == compare.GAIN_HOLDS
    assert glues["transfer_2_jaffe_gain"] == pytest.approx(100 * 35 / 3 / 42)
    assert np.isnan(glues["transfer_1_jaffe_gain"]) and glues["transfer_1_jaffe_seeds"] == 0
    assert findings.transfer_findings(table.iloc[:0]) == ["No fine-tune has been trained: every network is untested."]
    rows = [{"model": 2, "what": "fine-tunes of the subject-independent folds", "runs": 20, "images": 1_970_000,
             "cpu": "about 3 CPU-hours", "needs": "the weights of Model 2's FER2013 run of seed 0"}]
    (still,) = findings.transfer_missing_sentences(rows)
    assert still.startswith("Model 2: 20 fine-tunes of the subject-independent folds")
    assert "2.0 million training images" in still
    assert "about 3 CPU-hours" in still and still.endswith(f"they need {rows[0]['needs']}.")
    blocked = compare.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), REPORT, models=(2,),
                                        datasets=("jaffe",))
    more = findings.transfer_missing_sentences([{**rows[0], "what": "runs on split seeds 1 and 2, from scratch and "
                                                 "fine-tuned", "runs": 16, "training_seeds": [1, 2], "adds_seeds": True}])
    snapshot("transfer_cases", {"Verdicts": lines, "No fine-tune": findings.transfer_findings(table.iloc[:0]),
                                "A verdict blocked by a split seed": findings.transfer_findings(blocked),
                                "Still to train": [still, *more]})


# --------------------------------------------------------------------------- what blocked a gain


@pytest.mark.parametrize("seeds, folds, splits, blocked", [
    ("gain", "gain", {1: "gain", 2: "gain"}, []),
    ("gain", "missing", {}, []),
    ("gain", "gain", {1: "gain", 2: "neither"}, [("split", 2, "neither")]),
    ("gain", "neither", {1: "loss", 2: "gain"}, [("folds", None, "neither"), ("split", 1, "loss")]),
    ("neither", "gain", {1: "gain"}, [("seeds", None, "neither")]),
    ("loss", "gain", {1: "loss", 2: "loss"}, [("seeds", None, "loss"), ("split", 1, "loss"), ("split", 2, "loss")]),
    ("loss", "loss", {2: "loss"}, []),
    ("missing", "neither", {1: "neither"}, []),
])
def test_a_verdict_names_each_strand_present_that_kept_the_gain_from_holding(seeds, folds, splits, blocked):
    """What blocks "the gain holds": every strand present that is not a gain, a split seed
    on its own; a missing strand blocks nothing, and only "no evidence of a gain" is blocked."""
    splits_state = ("missing" if not splits else "gain" if all(s == "gain" for s in splits.values())
                    else "loss" if all(s == "loss" for s in splits.values()) else "neither")
    verdict = compare.combine_strands(seeds, folds, splits_state)
    found = compare.blocking_strands(verdict, seeds_state=seeds, seeds_p=0.051, folds_state=folds, fold_p=0.3,
                                     split_states=splits, split_p={s: 0.01 * s for s in splits})
    assert [(b["strand"], b["split_seed"], b["state"]) for b in found] == blocked
    assert bool(found) == (verdict == compare.NO_EVIDENCE)
    p_of = {"seeds": 0.051, "folds": 0.3}
    assert all(b["p_value"] == (0.01 * b["split_seed"] if b["strand"] == "split" else p_of[b["strand"]]) for b in found)
    with pytest.raises(ValueError, match="every strand present a gain"):
        compare.blocking_strands(compare.NO_EVIDENCE, seeds_state="gain", seeds_p=0.01, folds_state="gain",
                                 fold_p=0.01, split_states={1: "gain"}, split_p={1: 0.01})


def test_the_verdicts_carry_the_strands_that_blocked_them():
    held = compare.finetune_verdicts(evidence(), REPORT, models=(2,), datasets=("jaffe",)).iloc[0]
    assert held["verdict"] == compare.GAIN_HOLDS and held["blocked_by"] == []
    flat = compare.finetune_verdicts(evidence(folds=(2, 2)), REPORT, models=(2,), datasets=("jaffe",)).iloc[0]
    assert [(b["strand"], b["state"]) for b in flat["blocked_by"]] == [("folds", "neither")]
    assert flat["blocked_by"][0]["p_value"] == flat["fold_p"]
    lost = compare.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), models=(2,), datasets=("jaffe",)).iloc[0]
    assert [(b["strand"], b["split_seed"], b["state"]) for b in lost["blocked_by"]] == [("split", 2, "loss")]
    assert lost["blocked_by"][0]["p_value"] == lost["split_p"][2]
    unsure = compare.finetune_verdicts(evidence(seeds=((10, 30), (20, 10), (12, 25))), models=(2,),
                                       datasets=("jaffe",)).iloc[0]
    assert unsure["seeds_state"] == "neither" and unsure["verdict"] == compare.NO_EVIDENCE
    assert [b["strand"] for b in unsure["blocked_by"]] == ["seeds"]
    assert unsure["blocked_by"][0]["p_value"] == unsure["seeds_p"]
    loss = compare.finetune_verdicts(evidence(seeds=((20, 10), (23, 11), (25, 12)), folds=(3, 1),
                                              splits=((30, 10), (30, 12))), models=(2,)).iloc[0]
    assert loss["verdict"] == compare.LOSS and loss["blocked_by"] == []


def test_the_committed_verdicts_name_exactly_the_strands_that_are_not_gains():
    """On the committed runs: each "no evidence of a gain" names every strand present that
    is not a gain (the split seeds one by one, as split_seed_comparison reads them), and
    nothing else."""
    from ferlib import book, results

    folder = book.project_root() / results.PAPER_RESULTS
    runs = results.committed_runs(folder)
    report = compare.read_baselines(folder / "baselines.json")
    table = compare.finetune_verdicts(runs, report)
    splits = compare.split_seed_comparison(runs, report)
    assert (table["verdict"] == compare.NO_EVIDENCE).any(), "the committed runs have a blocked verdict to check"
    for row in table.itertuples():
        if row.verdict != compare.NO_EVIDENCE:
            assert row.blocked_by == []
            continue
        mine = splits[(splits["model"] == row.model) & (splits["dataset"] == row.dataset)
                      & splits["split_seed"].isin(compare.VERDICT_RULE.split_seeds)]
        expected = ([("seeds", None)] if row.seeds_state != "gain" else []) + \
                   ([("folds", None)] if row.folds_state not in ("gain", "missing") else []) + \
                   [("split", int(s)) for s, state in zip(mine["split_seed"], mine["state"]) if state != "gain"]
        assert [(b["strand"], b["split_seed"]) for b in row.blocked_by] == expected
        p_of = {"seeds": row.seeds_p, "folds": row.fold_p}
        for b in row.blocked_by:
            assert b["p_value"] == (row.split_p[b["split_seed"]] if b["strand"] == "split" else p_of[b["strand"]])


def test_a_blocked_verdict_in_words_names_its_strands_and_p_values():
    from ferlib import findings

    split = [{"strand": "split", "split_seed": 2, "state": "neither", "p_value": 0.0617}]
    both = [{"strand": "seeds", "split_seed": None, "state": "neither", "p_value": 0.051},
            {"strand": "split", "split_seed": 1, "state": "loss", "p_value": 0.0004}]
    assert findings.verdict_text(compare.NO_EVIDENCE, split) == "no evidence of a gain (split seed 2: p = 0.062)"
    assert findings.verdict_text(compare.NO_EVIDENCE, both) == (
        "no evidence of a gain (training seeds: p = 0.051, split seed 1: a loss, p < 0.001)")
    assert findings.verdict_text(compare.GAIN_HOLDS, []) == compare.GAIN_HOLDS
    assert findings.verdict_text(None, float("nan")) == "not decided yet"
    assert findings.blocker_phrase(both) == "the training seeds (p = 0.051) and split seed 1 (a loss, p < 0.001)"
    no_p = [{"strand": "folds", "split_seed": None, "state": "neither", "p_value": float("nan")}]
    assert findings.blocker_text(no_p) == "subject folds" and findings.blocker_phrase(no_p) == "the subject folds"
    table = compare.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), models=(2,), datasets=("jaffe",))
    (line,) = findings.transfer_findings(table)
    p = findings.blocker_phrase(table.iloc[0]["blocked_by"])
    assert p.startswith("split seed 2 (a loss, p ")
    assert line.startswith(f"Model 2 on JAFFE: {compare.NO_EVIDENCE}, blocked by {p}. Fine-tuned")


def test_runs_that_only_add_seeds_to_a_complete_strand_say_so():
    from ferlib import findings

    row = {"model": 2, "what": "runs on split seeds 1 and 2, from scratch and fine-tuned", "runs": 16,
           "images": 1_600_000, "cpu": "about 50 min", "needs": "the weights of Model 2's FER2013 runs",
           "training_seeds": [1, 2], "adds_seeds": True}
    more, new = findings.transfer_missing_sentences([row, {**row, "adds_seeds": False, "training_seeds": [0, 1, 2],
                                                           "runs": 24}])
    assert more.startswith("Model 2: 16 more runs on split seeds 1 and 2, from scratch and fine-tuned "
                           "(training seeds 1 and 2), would add seeds to a strand that is complete: ")
    assert more.endswith(f"they need {row['needs']}.") and "1.6 million training images" in more
    assert new.startswith("Model 2: 24 runs on split seeds 1 and 2") and "more" not in new and "complete" not in new
    (one,) = findings.transfer_missing_sentences([{**row, "training_seeds": [2], "runs": 8}])
    assert "(training seed 2), would add seeds" in one
