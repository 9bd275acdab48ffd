"""Does a FER2013 start help? The rule's strands, the split seeds and the verdict per
network, on made-up run records; and the smaller verdicts the book states."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from ferlib import compare, protocol, verdicts
from pair_records import NEUTRAL, ckplus_images, fer2013, jaffe_folds, jaffe_pair, paper, record


# --------------------------------------------------------------------------- the rule's strands


def _result(gain, p=0.5):
    return {"gain": gain, "p_value": p, "fine_tuned": 0.5 + gain, "scratch": 0.5}


def test_a_strand_is_judged_by_the_t_interval_over_seeds_else_mcnemar():
    rule = verdicts.VERDICT_RULE
    gains = [0.10, 0.12, 0.14]
    judged = verdicts.judge_pairs([_result(g) for g in gains], rule)
    half = st.t.ppf(0.975, 2) * np.std(gains, ddof=1) / np.sqrt(3)
    assert judged["state"] == "gain" and judged["low"] == pytest.approx(0.12 - half)
    assert judged["p_value"] == pytest.approx(st.ttest_1samp(gains, 0).pvalue) and judged["test"] == "t over seeds"
    assert verdicts.judge_pairs([_result(-g) for g in gains], rule)["state"] == "loss"
    assert verdicts.judge_pairs([_result(g) for g in (0.2, -0.05, 0.1)], rule)["state"] == "neither"
    # the same gain on every seed: no spread, so every seed's own McNemar test must reject
    assert verdicts.judge_pairs([_result(0.1, 0.01)] * 2, rule)["state"] == "gain"
    assert verdicts.judge_pairs([_result(0.1, 0.01), _result(0.1, 0.2)], rule)["state"] == "neither"
    assert verdicts.judge_pairs([_result(0.3, 0.001)], rule)["state"] == "gain"
    assert verdicts.judge_pairs([_result(0.3, 0.001)], rule, single=False)["state"] == "missing"
    assert verdicts.judge_pairs([_result(-0.3, 0.2)], rule)["state"] == "neither"
    assert verdicts.judge_pairs([], rule)["state"] == "missing"


@pytest.mark.parametrize("seeds, folds, splits, verdict", [
    ("gain", "gain", "gain", verdicts.GAIN_HOLDS),
    ("gain", "missing", "missing", verdicts.GAIN_HOLDS),
    ("gain", "neither", "gain", verdicts.NO_EVIDENCE),
    ("gain", "gain", "loss", verdicts.NO_EVIDENCE),
    ("neither", "gain", "gain", verdicts.NO_EVIDENCE),
    ("loss", "loss", "missing", verdicts.LOSS),
    ("loss", "gain", "loss", verdicts.NO_EVIDENCE),
    ("missing", "gain", "gain", verdicts.UNTESTED),
])
def test_the_strands_combine_as_the_rule_says(seeds, folds, splits, verdict):
    assert verdicts.combine_strands(seeds, folds, splits) == verdict


def test_the_rules_split_seeds_and_subject_seed_are_the_protocols():
    assert verdicts.VERDICT_RULE.split_seeds == protocol.EXTRA_SPLIT_SEEDS
    assert verdicts.VERDICT_RULE.subject_seed == protocol.SUBJECT_SEED
    with pytest.raises(ValueError, match="folds must be one of"):
        verdicts.combine_strands("gain", "significant", "gain")


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
    row = verdicts.finetune_verdicts(evidence(), REPORT, models=(2,), datasets=("jaffe",)).iloc[0]
    assert row["verdict"] == verdicts.GAIN_HOLDS and row["complete"] and row["missing"] == ""
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
    flat_folds = verdicts.finetune_verdicts(evidence(folds=(2, 2)), REPORT, models=(2,)).iloc[0]
    assert flat_folds["folds_state"] == "neither" and flat_folds["verdict"] == verdicts.NO_EVIDENCE
    lost_split = verdicts.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), models=(2,)).iloc[0]
    assert lost_split["splits_state"] == "neither" and lost_split["verdict"] == verdicts.NO_EVIDENCE
    loss = verdicts.finetune_verdicts(evidence(seeds=((20, 10), (23, 11), (25, 12)), folds=(3, 1),
                                              splits=((30, 10), (30, 12))), models=(2,)).iloc[0]
    assert loss["verdict"] == verdicts.LOSS and loss["gain_high"] < 0


def test_a_verdict_from_the_paper_split_alone_says_what_is_missing():
    row = verdicts.finetune_verdicts(evidence(folds=None, splits=()), models=(2,), datasets=("jaffe",)).iloc[0]
    assert row["verdict"] == verdicts.GAIN_HOLDS and not row["complete"]
    assert row["missing"] == "subject folds (0 of 10 paired); split seeds 1, 2"
    assert np.isnan(row["hog_spread"]) and np.isnan(row["split_gain_spread"])


def test_untested_without_a_fer2013_run_or_with_too_few_seeds():
    table = verdicts.finetune_verdicts(evidence(), models=(1, 2), datasets=("jaffe",)).set_index("model")
    assert table.loc[1, "verdict"] == verdicts.UNTESTED
    assert table.loc[1, "reason"] == "Model 1 has no FER2013 run to start from"
    one = evidence(seeds=((10, 30),))
    row = verdicts.finetune_verdicts(one, models=(2,), datasets=("jaffe",)).iloc[0]
    assert row["verdict"] == verdicts.UNTESTED and row["reason"] == "1 paired seed on the paper's split, 2 needed"
    bare = verdicts.finetune_verdicts([fer2013(2)], models=(2,), datasets=("jaffe",)).iloc[0]
    assert bare["reason"] == "no fine-tune of Model 2 on this data set yet"


def test_a_ck_plus_verdict_gives_the_gain_on_peak_and_neutral_frames():
    sources, true = ckplus_images(20)
    neutral = true == NEUTRAL
    runs = [fer2013(2)]
    for seed, extra in enumerate((0, 2, 4)):
        peak_right = ~neutral & (np.arange(40) < 20 + extra)
        runs += [record(paper(2, "ckplus", seed=seed), sources, true, peak_right),
                 record(paper(2, "ckplus", "fer2013", seed=seed), sources, true, peak_right | neutral)]
    row = verdicts.finetune_verdicts(runs, models=(2,), datasets=("ckplus7",)).iloc[0]
    assert row["neutral_gain"] == 1.0 and row["peak_gain"] == 0.0
    assert row["gain"] == pytest.approx(0.5) and row["seeds_test"] == "McNemar, every seed"
    assert row["verdict"] == verdicts.GAIN_HOLDS


def test_split_seeds_are_compared_beside_hogs_spread_on_the_same_split_seeds():
    runs = evidence(folds=None, splits=((10, 30),))
    table = verdicts.split_seed_comparison(runs, REPORT, models=(2,))
    assert list(table["split_seed"]) == [0, 1] and list(table["seeds"]) == [3, 1]
    assert list(table["test"]) == ["t over seeds", "McNemar"] and list(table["state"]) == ["gain", "gain"]
    assert list(table["hog_logistic"]) == [0.70, 0.90]
    assert table.iloc[1]["by_seed"] == {0: (pytest.approx(20 / 42), pytest.approx(st.binomtest(20, 20, 0.5).pvalue))}
    spread = verdicts.split_seed_spread(table, REPORT).iloc[0]
    assert spread["split_seeds"] == [0, 1] and spread["gain_spread"] == pytest.approx((20 - 35 / 3) / 42)
    assert spread["hog_spread"] == pytest.approx(0.2) and spread["hog_spread_all"] == pytest.approx(0.2)
    assert spread["hog_split_seeds"] == [0, 1, 2]
    assert np.isnan(verdicts.split_seed_comparison(runs, None, models=(2,))["hog_logistic"]).all()


# --------------------------------------------------------------------------- in words


def test_the_verdicts_in_words_give_the_evidence_and_what_is_missing(snapshot):
    """The numbers and verdicts each line carries; the words are in the snapshot
    tests/snapshots/transfer_cases.md."""
    from ferlib import findings

    table = verdicts.finetune_verdicts(evidence(folds=None), REPORT, models=(1, 2), datasets=("jaffe",))
    lines = findings.transfer_findings(table)
    assert lines[0].startswith(f"Model 2 on JAFFE: {verdicts.GAIN_HOLDS}.") and "scores +27.8 points" in lines[0]
    assert "the mean over 3 paired seeds (95% interval" in lines[0] and "paired t-test p = " in lines[0]
    assert "balanced accuracy" in lines[0] and "split seed 1 +47.6 points (p < 0.001)" in lines[0]
    assert lines[0].endswith("Not yet tested: subject folds (0 of 10 paired).")
    assert lines[1].startswith("Model 1 on JAFFE: untested (") and "no FER2013 run" in lines[1]
    glues = findings.transfer_glues(table)
    assert glues["transfer_2_jaffe_verdict"] == verdicts.GAIN_HOLDS
    assert glues["transfer_2_jaffe_gain"] == pytest.approx(100 * 35 / 3 / 42)
    assert np.isnan(glues["transfer_1_jaffe_gain"]) and glues["transfer_1_jaffe_seeds"] == 0
    assert findings.transfer_findings(table.iloc[:0]) == ["No fine-tune has been trained: every network is untested."]
    rows = [{"model": 2, "what": "fine-tunes of the subject-independent folds", "runs": 20, "images": 1_970_000,
             "cpu": "about 3 CPU-hours", "needs": "the weights of Model 2's FER2013 run of seed 0"}]
    (still,) = findings.transfer_missing_sentences(rows)
    assert still.startswith("Model 2: 20 fine-tunes of the subject-independent folds")
    assert "2.0 million training images" in still
    assert "about 3 CPU-hours" in still and still.endswith(f"they need {rows[0]['needs']}.")
    blocked = verdicts.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), REPORT, models=(2,),
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
    verdict = verdicts.combine_strands(seeds, folds, splits_state)
    found = verdicts.blocking_strands(verdict, seeds_state=seeds, seeds_p=0.051, folds_state=folds, fold_p=0.3,
                                     split_states=splits, split_p={s: 0.01 * s for s in splits})
    assert [(b["strand"], b["split_seed"], b["state"]) for b in found] == blocked
    assert bool(found) == (verdict == verdicts.NO_EVIDENCE)
    p_of = {"seeds": 0.051, "folds": 0.3}
    assert all(b["p_value"] == (0.01 * b["split_seed"] if b["strand"] == "split" else p_of[b["strand"]]) for b in found)
    with pytest.raises(ValueError, match="every strand present a gain"):
        verdicts.blocking_strands(verdicts.NO_EVIDENCE, seeds_state="gain", seeds_p=0.01, folds_state="gain",
                                 fold_p=0.01, split_states={1: "gain"}, split_p={1: 0.01})


def test_the_verdicts_carry_the_strands_that_blocked_them():
    held = verdicts.finetune_verdicts(evidence(), REPORT, models=(2,), datasets=("jaffe",)).iloc[0]
    assert held["verdict"] == verdicts.GAIN_HOLDS and held["blocked_by"] == []
    flat = verdicts.finetune_verdicts(evidence(folds=(2, 2)), REPORT, models=(2,), datasets=("jaffe",)).iloc[0]
    assert [(b["strand"], b["state"]) for b in flat["blocked_by"]] == [("folds", "neither")]
    assert flat["blocked_by"][0]["p_value"] == flat["fold_p"]
    lost = verdicts.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), models=(2,), datasets=("jaffe",)).iloc[0]
    assert [(b["strand"], b["split_seed"], b["state"]) for b in lost["blocked_by"]] == [("split", 2, "loss")]
    assert lost["blocked_by"][0]["p_value"] == lost["split_p"][2]
    unsure = verdicts.finetune_verdicts(evidence(seeds=((10, 30), (20, 10), (12, 25))), models=(2,),
                                       datasets=("jaffe",)).iloc[0]
    assert unsure["seeds_state"] == "neither" and unsure["verdict"] == verdicts.NO_EVIDENCE
    assert [b["strand"] for b in unsure["blocked_by"]] == ["seeds"]
    assert unsure["blocked_by"][0]["p_value"] == unsure["seeds_p"]
    loss = verdicts.finetune_verdicts(evidence(seeds=((20, 10), (23, 11), (25, 12)), folds=(3, 1),
                                              splits=((30, 10), (30, 12))), models=(2,)).iloc[0]
    assert loss["verdict"] == verdicts.LOSS and loss["blocked_by"] == []


def test_the_committed_verdicts_name_exactly_the_strands_that_are_not_gains():
    """On the committed runs: each "no evidence of a gain" names every strand present that
    is not a gain (the split seeds one by one, as split_seed_comparison reads them), and
    nothing else."""
    from ferlib import book, results

    folder = book.project_root() / results.PAPER_RESULTS
    runs = results.committed_runs(folder)
    report = compare.read_baselines(folder / "baselines.json")
    table = verdicts.finetune_verdicts(runs, report)
    splits = verdicts.split_seed_comparison(runs, report)
    assert (table["verdict"] == verdicts.NO_EVIDENCE).any(), "the committed runs have a blocked verdict to check"
    for row in table.itertuples():
        if row.verdict != verdicts.NO_EVIDENCE:
            assert row.blocked_by == []
            continue
        mine = splits[(splits["model"] == row.model) & (splits["dataset"] == row.dataset)
                      & splits["split_seed"].isin(verdicts.VERDICT_RULE.split_seeds)]
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
    assert findings.verdict_text(verdicts.NO_EVIDENCE, split) == "no evidence of a gain (split seed 2: p = 0.062)"
    assert findings.verdict_text(verdicts.NO_EVIDENCE, both) == (
        "no evidence of a gain (training seeds: p = 0.051, split seed 1: a loss, p < 0.001)")
    assert findings.verdict_text(verdicts.GAIN_HOLDS, []) == verdicts.GAIN_HOLDS
    assert findings.verdict_text(None, float("nan")) == "not decided yet"
    assert findings.blocker_phrase(both) == "the training seeds (p = 0.051) and split seed 1 (a loss, p < 0.001)"
    no_p = [{"strand": "folds", "split_seed": None, "state": "neither", "p_value": float("nan")}]
    assert findings.blocker_text(no_p) == "subject folds" and findings.blocker_phrase(no_p) == "the subject folds"
    table = verdicts.finetune_verdicts(evidence(splits=((10, 30), (30, 10))), models=(2,), datasets=("jaffe",))
    (line,) = findings.transfer_findings(table)
    p = findings.blocker_phrase(table.iloc[0]["blocked_by"])
    assert p.startswith("split seed 2 (a loss, p ")
    assert line.startswith(f"Model 2 on JAFFE: {verdicts.NO_EVIDENCE}, blocked by {p}. Fine-tuned")


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


# --------------------------------------------------------------------------- the smaller verdicts


def test_at_majority_is_the_one_sided_binomial_test_at_the_vocabulary_level():
    from ferlib.vocabulary import SIGNIFICANCE

    def row(right, n, majority):
        return SimpleNamespace(accuracy=right / n, n=n, majority=majority)

    # 66 of 132 at a majority share of one half: p = 0.53, no better than the majority
    assert verdicts.at_majority(row(66, 132, 0.5))
    # 80 of 132: p = 0.009 below 0.05, above it; a level below that p turns the verdict
    assert not verdicts.at_majority(row(80, 132, 0.5))
    p = st.binomtest(80, 132, 0.5, alternative="greater").pvalue
    assert p < SIGNIFICANCE and verdicts.at_majority(row(80, 132, 0.5), level=p / 2)
    assert not verdicts.at_majority(row(1, 132, float("nan"))), "an unknown majority share decides nothing"


def test_finetune_gain_counts_count_significant_gains_and_those_over_a_run_at_the_majority():
    paired = pd.DataFrame({"gain": [0.3, 0.2, -0.3, 0.1], "p_value": [0.001, 0.01, 0.001, 0.2],
                           "scratch_run": ["s1", "s2", "s3", "s4"]})
    assert verdicts.finetune_gain_counts(paired) == {"pairs": 4, "significant": 2, "against_majority": 0}
    beside = pd.DataFrame([{"run": "s1", "accuracy": 66 / 132, "n": 132, "majority": 0.5},
                           {"run": "s2", "accuracy": 100 / 132, "n": 132, "majority": 0.5}])
    assert verdicts.finetune_gain_counts(paired, beside) == {"pairs": 4, "significant": 2, "against_majority": 1}
    assert verdicts.finetune_gain_counts(paired, beside, level=0.005)["significant"] == 1
    assert verdicts.finetune_gain_counts(paired.iloc[:0]) == {"pairs": 0, "significant": 0, "against_majority": 0}


def test_hog_verdicts_count_the_protocol_runs_above_and_below_hog():
    beside = pd.DataFrame({"protocol": [True, True, True, False], "cnn_minus_hog": [0.1, -0.2, 0.05, -0.3],
                           "p_vs_hog": [0.01, 0.001, 0.4, 0.001]})
    assert verdicts.hog_verdicts(beside) == {"runs": 3, "above": 1, "below": 1}
    assert verdicts.hog_verdicts(beside, level=0.005) == {"runs": 3, "above": 0, "below": 1}
    assert verdicts.hog_verdicts(beside.iloc[:0]) == {"runs": 0, "above": 0, "below": 0}


def test_against_hog_decides_each_row_and_hog_counts_count_them():
    table = pd.DataFrame({"cnn_minus_hog": [0.1, -0.2, 0.05, -0.3, -0.1],
                          "p_vs_hog": [0.01, 0.001, 0.4, float("nan"), 0.05]}, index=[5, 6, 7, 8, 9])
    states = verdicts.against_hog(table)
    assert list(states.index) == [5, 6, 7, 8, 9]
    assert list(states) == ["above", "below", "same", "same", "same"], "a missing p and p = level decide nothing"
    assert list(verdicts.against_hog(table, level=0.1)) == ["above", "below", "same", "same", "below"]
    assert verdicts.hog_counts(table) == {"runs": 5, "above": 1, "below": 1}
    assert verdicts.hog_counts(table.iloc[:0]) == {"runs": 0, "above": 0, "below": 0}


def test_the_verdict_rule_decides_at_the_vocabularys_level_and_confidence():
    from ferlib.vocabulary import CONFIDENCE, SIGNIFICANCE

    assert (verdicts.VERDICT_RULE.level, verdicts.VERDICT_RULE.confidence) == (SIGNIFICANCE, CONFIDENCE)
    assert CONFIDENCE == 0.95 and SIGNIFICANCE == 0.05


def test_best_run_is_the_first_row_with_the_highest_accuracy():
    overview = pd.DataFrame({"run": ["a", "b", "c", "d"], "accuracy": [0.5, 0.8, float("nan"), 0.8]},
                            index=[3, 1, 4, 2])
    assert verdicts.best_run(overview)["run"] == "b"
    assert verdicts.best_run(overview.iloc[2:])["run"] == "d", "a missing accuracy is never the best"
    with pytest.raises(ValueError, match="no run with a test accuracy"):
        verdicts.best_run(overview.iloc[2:3])
    with pytest.raises(ValueError, match="no run with a test accuracy"):
        verdicts.best_run(overview.iloc[:0])


def test_paired_verdict_reads_the_sign_only_below_the_level():
    assert verdicts.paired_verdict(0.2, 0.01) == "better"
    assert verdicts.paired_verdict(-0.2, 0.01) == "worse"
    assert verdicts.paired_verdict(0.2, 0.05) == "same" and verdicts.paired_verdict(-0.2, 0.3) == "same"
    assert verdicts.paired_verdict(0.2, 0.05, level=0.1) == "better"


def test_learned_over_seeds_keeps_the_small_scratch_experiments_and_applies_the_bar():
    from ferlib.vocabulary import LEARNED_BALANCED

    seeds = pd.DataFrame({"model": [1, 2, 2, 2], "dataset": ["jaffe", "ckplus", "jaffe", "fer2013"],
                          "training": ["scratch", "scratch", "fine-tuned", "scratch"],
                          "balanced_median": [0.30, 0.60, 0.95, 0.10]})
    table = verdicts.learned_over_seeds(seeds)
    assert list(zip(table["model"], table["dataset"], table["learned"])) == [(1, "jaffe", False), (2, "ckplus", True)]
    assert LEARNED_BALANCED == 0.40
    assert verdicts.learned_over_seeds(seeds, bar=0.2)["learned"].all()
