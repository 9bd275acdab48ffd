"""The verdicts the book states, as data, each decided by a rule at the thresholds of
:mod:`ferlib.vocabulary` (:data:`~ferlib.vocabulary.SIGNIFICANCE`,
:data:`~ferlib.vocabulary.CONFIDENCE`, :data:`~ferlib.vocabulary.LEARNED_BALANCED`).

- Does a FER2013 start help? :class:`VerdictRule` (:data:`VERDICT_RULE`) and
  :func:`finetune_verdicts`, one verdict of :data:`VERDICTS` per network and small data
  set from three strands of paired evidence: training seeds on the paper's split
  (:func:`judge_pairs`), the subject folds pooled, and other split seeds
  (:func:`split_seed_comparison`, :func:`split_seed_spread`, beside HOG's accuracy on
  the same splits, :func:`hog_accuracy`); :func:`combine_strands` gives the verdict of
  the strands' states, :func:`blocking_strands` the strands that kept a gain from
  holding;
- the smaller verdicts on the tables of :mod:`ferlib.compare`: :func:`at_majority`,
  :func:`finetune_gain_counts`, :func:`against_hog`, :func:`hog_counts`,
  :func:`hog_verdicts`, :func:`paired_verdict`, :func:`learned_over_seeds`;
- the runs a sentence shows: :func:`best_run`, :func:`finetune_rate_evidence`.

The pairs themselves come from :mod:`ferlib.finetune_pairs`; :mod:`ferlib.findings` and
:mod:`ferlib.summary` put the verdicts in words.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ferlib import stats
from ferlib.finetune_pairs import (
    aligned_pair,
    finetune_pairs,
    frame_kinds,
    paired_stats,
    pooled_subject_pair,
    prediction_rows,
)
from ferlib.protocol import experiment_config
from ferlib.results import protocol_seed_runs
from ferlib.vocabulary import (
    CONFIDENCE,
    LEARNED_BALANCED,
    PAPER_MODELS,
    REFERENCE_EXPERIMENT,
    SIGNIFICANCE,
    SOURCE_DATASET,
    TARGET_DATASETS,
    TARGET_RUN_DATASETS,
)


# --------------------------------------------------------------------------- the verdict per network
# The rule below was written, with its numbers, before any fine-tune on a subject fold or
# on another split seed was trained: the runs that can test it cannot have shaped it.

#: The verdicts of :func:`finetune_verdicts`, one per model and small data set.
GAIN_HOLDS = "the gain holds"
NO_EVIDENCE = "no evidence of a gain"
LOSS = "a loss"
UNTESTED = "untested"
VERDICTS = (GAIN_HOLDS, NO_EVIDENCE, LOSS, UNTESTED)
#: What one strand of evidence says: a significant gain, a significant loss, neither, or
#: no runs to say anything (:class:`VerdictRule`).
STRAND_STATES = ("gain", "loss", "neither", "missing")


@dataclasses.dataclass(frozen=True)
class VerdictRule:
    """Does a network that first learned FER2013 beat the same network trained from
    scratch on a small data set? The rule that answers it, per model and small data set
    (JAFFE, seven-class CK+), fixed before the runs it judges.

    Three strands of evidence, each a paired comparison (fine-tuned against from scratch
    on the same test images, the pair differing only in its starting weights):

    1. **Training seeds** (the anchor): on the paper's split (split seed 0), each seed's
       fine-tune against the run from scratch of the same seed; the gain is the difference
       of their test accuracies. With at least :attr:`min_seeds` pairs, the
       :attr:`confidence` t-interval of the mean gain decides: wholly above 0 is a
       ``"gain"``, wholly below 0 a ``"loss"``, else ``"neither"``. Where every seed gives
       the same gain (no spread: the t-interval is undefined) the strand is a gain or a loss
       only if every seed's own exact McNemar test rejects at :attr:`level` in that
       direction. Fewer pairs: ``"missing"``.
    2. **Subject folds**: every fold of the subject-independent evaluation (JAFFE: leave
       one subject out, 10 folds; CK+: 10 folds grouped by subject), fine-tuned and from
       scratch, training seed :attr:`subject_seed`, pooled: each image is tested once, by
       the fold that holds its person out, and the two networks are paired image by image
       (exact McNemar test). p below :attr:`level` is a ``"gain"`` or a ``"loss"`` by the
       sign of the pooled gain, else ``"neither"``. Not every fold of both:
       ``"missing"`` (a partial set is not the pooled evaluation).
    3. **Split seeds**: the paper's split drawn again with each of :attr:`split_seeds`. On
       each split seed present, its pairs are judged as in 1 (t-interval with at least
       :attr:`min_seeds` pairs; a single pair by its exact McNemar test). The strand is a
       ``"gain"`` when every split seed present is one, a ``"loss"`` when every one is one,
       else ``"neither"``; no pair on any of them: ``"missing"``.

    The verdict:

    - ``"untested"`` when the anchor is missing (fewer than :attr:`min_seeds` pairs on
      the paper's split: no FER2013 run of the model, or too few fine-tunes), whatever
      else exists: the rule has nothing to stand on;
    - ``"the gain holds"`` when the anchor is a gain and every other strand present is a
      gain too (a strand that is missing does not block it; the ``complete`` column says
      whether all three strands were there, ``missing`` which were not);
    - ``"a loss"``, the mirror: the anchor is a loss and every other strand present is a
      loss;
    - ``"no evidence of a gain"`` otherwise: no strand shows a significant difference,
      or the strands disagree.

    Every strand must agree, so the rule is conservative: a gain that holds on the
    paper's split but not on new people, or not on another draw of the split, is no
    evidence of a gain. Six verdicts (three models, two data sets) are given at once and
    each needs up to six tests to agree; no correction for multiplicity is made beyond
    that agreement. The rule judges accuracy, the paper's measure; balanced accuracy (the
    mean recall over classes) is reported beside it, and on seven-class CK+ the gain on
    the peak (expression) frames and on the neutral first frames apart, neither of them
    entering the verdict.
    """

    level: float = SIGNIFICANCE
    confidence: float = CONFIDENCE
    min_seeds: int = 2
    split_seeds: tuple = (1, 2)
    subject_seed: int = 0


#: The rule of :func:`finetune_verdicts`.
VERDICT_RULE = VerdictRule()


# --------------------------------------------------------------------------- over split seeds


def judge_pairs(results, rule: VerdictRule = VERDICT_RULE, *, single: bool = True) -> dict:
    """The state of one strand of :class:`VerdictRule` from its pairs'
    :func:`ferlib.finetune_pairs.paired_stats`.

    Args:
        results: one dict of :func:`ferlib.finetune_pairs.paired_stats` per training seed.
        rule: the rule (level, confidence, fewest seeds).
        single: judge a single pair by its exact McNemar test (split seeds); ``False``
            makes a single pair ``"missing"`` (the anchor needs ``rule.min_seeds``).

    Returns:
        ``{"state", "pairs", "gain" (mean), "low", "high" (t-interval; NaN without one),
        "p_value", "test"}``: ``test`` names the test behind ``p_value`` (``"t over
        seeds"``, ``"McNemar"`` or, where every seed's gain is the same, ``"McNemar, every
        seed"``, its largest p).
    """
    gains = np.array([r["gain"] for r in results], dtype=float)
    found = {"state": "missing", "pairs": len(results), "gain": float(gains.mean()) if len(gains) else np.nan,
             "low": np.nan, "high": np.nan, "p_value": np.nan, "test": None}
    if len(results) >= max(rule.min_seeds, 2):
        summary = stats.seed_summary(gains, level=rule.confidence)
        if summary["sd"] <= 1e-12 * max(1.0, abs(summary["mean"])):  # no spread: the t-interval is undefined
            p_values = [r["p_value"] for r in results]
            worst = float(max(p_values))
            state = ("gain" if worst < rule.level and summary["mean"] > 0 else
                     "loss" if worst < rule.level and summary["mean"] < 0 else "neither")
            return {**found, "state": state, "p_value": worst, "test": "McNemar, every seed"}
        low, high = summary["interval"]
        paired = stats.paired_seed_test([r["fine_tuned"] for r in results], [r["scratch"] for r in results])
        state = "gain" if low > 0 else "loss" if high < 0 else "neither"
        return {**found, "state": state, "low": low, "high": high,
                "p_value": np.nan if paired["t_p_value"] is None else paired["t_p_value"], "test": "t over seeds"}
    if len(results) == 1 and single:
        result = results[0]
        state = ("gain" if result["p_value"] < rule.level and result["gain"] > 0 else
                 "loss" if result["p_value"] < rule.level and result["gain"] < 0 else "neither")
        return {**found, "state": state, "p_value": result["p_value"], "test": "McNemar"}
    return found


SPLIT_SEED_COLUMNS = ["model", "dataset", "split_seed", "seeds", "scratch", "fine_tuned", "gain", "gain_low",
                      "gain_high", "p_value", "test", "state", "scratch_balanced", "fine_tuned_balanced",
                      "hog_logistic", "by_seed"]


def split_seed_comparison(runs, report=None, *, models=PAPER_MODELS, rule: VerdictRule = VERDICT_RULE) -> pd.DataFrame:
    """Fine-tuned against from scratch on each draw of the paper's split: split seed 0 (the
    protocol's runs) and every other split seed with runs, beside HOG + logistic regression
    on the same split.

    Args:
        runs: finished runs, e.g. every committed one
            (:func:`ferlib.finetune_pairs.finetune_pairs`).
        report: the paper-split baselines report (:func:`ferlib.compare.read_baselines`)
            for HOG's accuracy on each split seed, or ``None``.
        models: the models.
        rule: judges each split seed's pairs (:func:`judge_pairs`).

    Returns:
        one row per model, data set (``jaffe``, ``ckplus7``) and split seed with at least one
        pair, columns :data:`SPLIT_SEED_COLUMNS`: ``seeds`` (training seeds paired), mean
        ``scratch`` and ``fine_tuned`` accuracies and balanced accuracies, mean ``gain`` with
        its t-interval (two seeds or more), ``p_value`` and ``test``, ``state`` (the rule's
        reading of this split seed), ``hog_logistic`` (NaN without the report or that split)
        and ``by_seed`` (``{seed: (gain, McNemar p)}``).
    """
    grouped = {}
    for (model, dataset, split_seed, seed), (scratch, tuned) in finetune_pairs(runs, models=models).items():
        result = paired_stats(aligned_pair(prediction_rows(scratch), prediction_rows(tuned)))
        grouped.setdefault((model, dataset, split_seed), []).append((seed, result))
    rows = []
    for (model, dataset, split_seed), found in grouped.items():
        results = [result for _, result in found]
        judged = judge_pairs(results, rule)
        rows.append({"model": model, "dataset": dataset, "split_seed": split_seed, "seeds": len(results),
                     "scratch": float(np.mean([r["scratch"] for r in results])),
                     "fine_tuned": float(np.mean([r["fine_tuned"] for r in results])),
                     "gain": judged["gain"], "gain_low": judged["low"], "gain_high": judged["high"],
                     "p_value": judged["p_value"], "test": judged["test"], "state": judged["state"],
                     "scratch_balanced": float(np.mean([r["scratch_balanced"] for r in results])),
                     "fine_tuned_balanced": float(np.mean([r["fine_tuned_balanced"] for r in results])),
                     "hog_logistic": hog_accuracy(report, dataset, split_seed),
                     "by_seed": {seed: (float(r["gain"]), float(r["p_value"])) for seed, r in found}})
    return pd.DataFrame(rows, columns=SPLIT_SEED_COLUMNS)


def hog_accuracy(report, dataset: str, split_seed: int) -> float:
    """HOG + logistic regression's test accuracy on one paper split of ``dataset`` in a
    baselines report; NaN without the report or that split."""
    if report is None:
        return float("nan")
    row = next((r for r in report["results"] if r["dataset"] == dataset and r["baseline"] == "hog_logistic"
                and split_seed in r["split_seeds"]), None)
    return float(row["test"]["accuracy"]) if row else float("nan")


SPLIT_SPREAD_COLUMNS = ["model", "dataset", "split_seeds", "gains", "gain_spread", "hog", "hog_spread",
                        "hog_spread_all", "hog_split_seeds"]


def split_seed_spread(table: pd.DataFrame, report=None) -> pd.DataFrame:
    """The spread over split seeds of the fine-tune gain beside HOG's on the same split seeds.

    Args:
        table: :func:`split_seed_comparison`.
        report: the paper-split baselines report, or ``None``.

    Returns:
        one row per model and data set, columns :data:`SPLIT_SPREAD_COLUMNS`:
        ``split_seeds`` (with a pair, a list), ``gains`` (``{split seed: mean gain}``),
        ``gain_spread`` (largest minus smallest; NaN for one split seed), ``hog``
        (``{split seed: accuracy}`` on the same split seeds), ``hog_spread`` (its largest
        minus smallest there), and ``hog_spread_all`` over every split seed of the report
        (``hog_split_seeds``).
    """
    rows = []
    for (model, dataset), found in table.groupby(["model", "dataset"], sort=True):
        seeds = [int(s) for s in found["split_seed"]]
        gains = {int(s): float(g) for s, g in zip(found["split_seed"], found["gain"])}
        hog = {s: hog_accuracy(report, dataset, s) for s in seeds}
        every = sorted({s for r in (report or {}).get("results", []) if r["dataset"] == dataset
                        and r["baseline"] == "hog_logistic" for s in r["split_seeds"]})
        hog_all = [hog_accuracy(report, dataset, s) for s in every]
        known = [v for v in hog.values() if np.isfinite(v)]
        rows.append({"model": int(model), "dataset": dataset, "split_seeds": seeds, "gains": gains,
                     "gain_spread": max(gains.values()) - min(gains.values()) if len(gains) > 1 else np.nan,
                     "hog": hog, "hog_spread": max(known) - min(known) if len(known) > 1 else np.nan,
                     "hog_spread_all": max(hog_all) - min(hog_all) if len(hog_all) > 1 else np.nan,
                     "hog_split_seeds": every})
    return pd.DataFrame(rows, columns=SPLIT_SPREAD_COLUMNS)


# --------------------------------------------------------------------------- the verdicts

VERDICT_COLUMNS = ["model", "dataset", "verdict", "complete", "missing", "reason",
                   "seeds", "scratch", "fine_tuned", "gain", "gain_low", "gain_high", "seeds_p", "seeds_test",
                   "seeds_state", "scratch_balanced", "fine_tuned_balanced", "balanced_gain",
                   "folds", "fold_n", "fold_gain", "fold_p", "fold_scratch_balanced", "fold_fine_tuned_balanced",
                   "folds_state", "split_seeds", "split_gains", "split_p", "splits_state", "split_gain_spread",
                   "hog_spread", "peak_gain", "neutral_gain", "blocked_by"]
#: The strands of :class:`VerdictRule` as :func:`blocking_strands` names them.
STRANDS = ("seeds", "folds", "split")


def combine_strands(seeds: str, folds: str, splits: str) -> str:
    """The verdict of :class:`VerdictRule` from the states of its three strands (each one
    of :data:`STRAND_STATES`): the anchor ``seeds``, then ``folds`` and ``splits``."""
    for name, state in (("seeds", seeds), ("folds", folds), ("splits", splits)):
        if state not in STRAND_STATES:
            raise ValueError(f"{name} must be one of {list(STRAND_STATES)}, got {state!r}")
    if seeds == "missing":
        return UNTESTED
    others = [state for state in (folds, splits) if state != "missing"]
    if seeds == "gain" and all(state == "gain" for state in others):
        return GAIN_HOLDS
    if seeds == "loss" and all(state == "loss" for state in others):
        return LOSS
    return NO_EVIDENCE


def blocking_strands(verdict: str, *, seeds_state: str, seeds_p: float, folds_state: str, fold_p: float,
                     split_states: dict, split_p: dict) -> list:
    """The strands that kept a verdict of :func:`combine_strands` from being
    :data:`GAIN_HOLDS`: for :data:`NO_EVIDENCE`, every strand present whose state is not a
    gain (the anchor, the pooled subject folds, and each split seed of the third strand on
    its own); for any other verdict, none.

    Args:
        verdict: the verdict the states gave.
        seeds_state, seeds_p: the anchor's state and p-value (:func:`judge_pairs`).
        folds_state, fold_p: the subject folds' state and pooled McNemar p.
        split_states, split_p: ``{split seed: state}`` and ``{split seed: p}`` of the split
            seeds with a pair (a split seed absent from them has no runs and blocks nothing).

    Returns:
        ``[{"strand", "split_seed", "state", "p_value"}, ...]`` in the rule's order of
        strands (:data:`STRANDS`; ``split_seed`` is None but for ``"split"``), each state
        ``"neither"`` or ``"loss"``; never empty for :data:`NO_EVIDENCE`.
    """
    if verdict != NO_EVIDENCE:
        return []
    found = []
    if seeds_state != "gain":
        found.append({"strand": "seeds", "split_seed": None, "state": seeds_state, "p_value": float(seeds_p)})
    if folds_state not in ("gain", "missing"):
        found.append({"strand": "folds", "split_seed": None, "state": folds_state, "p_value": float(fold_p)})
    for split_seed in sorted(split_states):
        if split_states[split_seed] not in ("gain", "missing"):
            found.append({"strand": "split", "split_seed": int(split_seed), "state": split_states[split_seed],
                          "p_value": float(split_p[split_seed])})
    if not found:
        raise ValueError(f"{NO_EVIDENCE!r} with every strand present a gain: the states given "
                         f"(seeds {seeds_state!r}, folds {folds_state!r}, split seeds {split_states}) "
                         f"do not give that verdict")
    return found


def finetune_verdicts(runs, report=None, *, models=PAPER_MODELS, datasets=TARGET_RUN_DATASETS,
                      rule: VerdictRule = VERDICT_RULE) -> pd.DataFrame:
    """Does a FER2013 start help? One verdict per model and small data set, by
    :class:`VerdictRule` (:data:`VERDICT_RULE`), with the evidence behind it.

    Args:
        runs: finished runs, e.g. every committed one (:func:`ferlib.results.committed_runs`):
            the protocol's runs on the paper's split, its subject-independent folds (from
            scratch and fine-tuned) and its runs on other split seeds are picked from them.
        report: the paper-split baselines report (``results/paper/baselines.json``) for
            HOG's spread over the same split seeds, or ``None``.
        models: the models.
        datasets: the small data sets, by the names the protocol runs (``jaffe``, ``ckplus7``).
        rule: the rule.

    Returns:
        one row per model and data set, columns :data:`VERDICT_COLUMNS`: ``verdict`` (one of
        :data:`VERDICTS`), ``complete`` (all three strands present), ``missing`` (the
        strands absent, in words) and ``reason`` (why a verdict is ``"untested"``); the
        anchor: ``seeds`` paired on the paper's split, mean ``scratch`` and ``fine_tuned``
        accuracies, mean ``gain`` with its t-interval ``gain_low``, ``gain_high``,
        ``seeds_p`` and ``seeds_test`` (:func:`judge_pairs`), ``seeds_state``, mean balanced
        accuracies and ``balanced_gain``; the subject folds: ``folds`` (paired ``"k of n"``),
        ``fold_n`` images, pooled ``fold_gain``, ``fold_p`` (exact McNemar), pooled balanced
        accuracies, ``folds_state``; the split seeds: ``split_seeds`` (of the rule's, with a
        pair), ``split_gains`` and ``split_p`` (``{split seed: value}``), ``splits_state``,
        ``split_gain_spread`` (largest minus smallest mean gain over split seed 0 and those)
        and ``hog_spread`` (HOG's on the same split seeds, NaN without the report); on
        seven-class CK+, ``peak_gain`` and ``neutral_gain``, the mean gain over the anchor's
        seeds on the expression frames and on the neutral frames apart (NaN elsewhere);
        ``blocked_by``: for :data:`NO_EVIDENCE`, the strands that kept the gain from
        holding, each with its state and p-value (:func:`blocking_strands`), else ``[]``.
    """
    runs = list(runs)
    pairs = finetune_pairs(runs, models=models)
    per_split = split_seed_comparison(runs, report, models=models, rule=rule)
    have = protocol_seed_runs(runs, models=models)
    rows = []
    for model in models:
        for dataset in datasets:
            anchor = [(seed, aligned_pair(prediction_rows(s), prediction_rows(t)))
                      for (m, d, split_seed, seed), (s, t) in pairs.items()
                      if (m, d, split_seed) == (model, dataset, 0)]
            results = [paired_stats(pair) for _, pair in anchor]
            seeds = judge_pairs(results, rule, single=False)
            row = {"model": model, "dataset": dataset, "seeds": len(results), "seeds_state": seeds["state"],
                   "gain": seeds["gain"], "gain_low": seeds["low"], "gain_high": seeds["high"],
                   "seeds_p": seeds["p_value"], "seeds_test": seeds["test"]}
            for name in ("scratch", "fine_tuned", "scratch_balanced", "fine_tuned_balanced"):
                row[name] = float(np.mean([r[name] for r in results])) if results else np.nan
            row["balanced_gain"] = row["fine_tuned_balanced"] - row["scratch_balanced"]
            row["peak_gain"] = row["neutral_gain"] = np.nan
            if dataset == "ckplus7" and anchor:
                for part in ("peak", "neutral"):
                    row[f"{part}_gain"] = float(np.mean(
                        [paired_stats(pair, frame_kinds(pair["source"], pair["true"]) == part)["gain"]
                         for _, pair in anchor]))
            pooled = pooled_subject_pair(runs, model=model, dataset=dataset, seed=rule.subject_seed)
            fold = paired_stats(pooled["pair"]) if pooled["complete"] else None
            folds_state = "missing" if fold is None else (
                "gain" if fold["p_value"] < rule.level and fold["gain"] > 0 else
                "loss" if fold["p_value"] < rule.level and fold["gain"] < 0 else "neither")
            row.update(folds=f"{len(pooled['folds'])} of {pooled['of']}", fold_n=len(pooled["pair"]),
                       fold_gain=np.nan if fold is None else fold["gain"],
                       fold_p=np.nan if fold is None else fold["p_value"],
                       fold_scratch_balanced=np.nan if fold is None else fold["scratch_balanced"],
                       fold_fine_tuned_balanced=np.nan if fold is None else fold["fine_tuned_balanced"],
                       folds_state=folds_state)
            mine = per_split[(per_split["model"] == model) & (per_split["dataset"] == dataset)]
            extra = mine[mine["split_seed"].isin(rule.split_seeds)]
            states = list(extra["state"])
            splits_state = ("missing" if not states else "gain" if all(s == "gain" for s in states)
                            else "loss" if all(s == "loss" for s in states) else "neither")
            used = mine[mine["split_seed"].isin((0, *rule.split_seeds))]
            hog = [hog_accuracy(report, dataset, int(s)) for s in used["split_seed"]]
            hog = [value for value in hog if np.isfinite(value)]
            row.update(split_seeds=len(extra), splits_state=splits_state,
                       split_gains={int(s): float(g) for s, g in zip(extra["split_seed"], extra["gain"])},
                       split_p={int(s): float(p) for s, p in zip(extra["split_seed"], extra["p_value"])},
                       split_gain_spread=(float(used["gain"].max() - used["gain"].min()) if len(used) > 1
                                          else np.nan),
                       hog_spread=max(hog) - min(hog) if len(hog) > 1 and len(used) > 1 else np.nan)
            row["verdict"] = combine_strands(seeds["state"], folds_state, splits_state)
            row["blocked_by"] = blocking_strands(
                row["verdict"], seeds_state=seeds["state"], seeds_p=seeds["p_value"], folds_state=folds_state,
                fold_p=row["fold_p"], split_states={int(s): state for s, state in zip(extra["split_seed"], extra["state"])},
                split_p=row["split_p"])
            absent = [what for what, state in (
                (f"paired seeds on the paper's split ({len(results)} of the {rule.min_seeds} needed)",
                 seeds["state"]),
                (f"subject folds ({len(pooled['folds'])} of {pooled['of']} paired)", folds_state),
                (f"split seeds {', '.join(str(s) for s in rule.split_seeds)}", splits_state)) if state == "missing"]
            row["complete"] = not absent
            row["missing"] = "; ".join(absent)
            row["reason"] = ""
            if row["verdict"] == UNTESTED:
                row["reason"] = (f"Model {model} has no FER2013 run to start from"
                                 if (model, "fer2013", None) not in have else
                                 f"no fine-tune of Model {model} on this data set yet" if not results else
                                 f"{len(results)} paired seed{'s' if len(results) != 1 else ''} on the paper's "
                                 f"split, {rule.min_seeds} needed")
            rows.append(row)
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


# --------------------------------------------------------------------------- the smaller verdicts
# The decisions the book states, as data: each reads a table of ferlib.compare (or runs)
# and returns counts, flags or rows, decided at the thresholds of ferlib.vocabulary.


def at_majority(row, *, level: float = SIGNIFICANCE) -> bool:
    """Whether a run (a row of :func:`ferlib.compare.baseline_comparison`: ``accuracy``,
    ``n``, ``majority``) is no better than always answering the test part's most frequent
    class (one-sided exact binomial test at ``level``); False where the majority share is
    unknown."""
    majority = getattr(row, "majority", np.nan)
    if not 0 < majority < 1:
        return False
    return not stats.above_chance(round(row.accuracy * row.n), int(row.n), majority, alpha=level)["above"]


def finetune_gain_counts(paired: pd.DataFrame, beside: pd.DataFrame | None = None, *,
                         level: float = SIGNIFICANCE) -> dict:
    """How many fine-tuning gains of :func:`ferlib.compare.finetune_comparison` are
    significant, and over what: ``{"pairs", "significant", "against_majority"}``, the pairs,
    the gains whose exact McNemar p is below ``level``, and those of them whose run from
    scratch is no better than the majority class (:func:`at_majority` of its row in
    ``beside``, a :func:`ferlib.compare.baseline_comparison`; 0 without it): a gain over
    such a run shows that the fine-tune learned, not that the transfer helped."""
    significant = paired[(paired["p_value"] < level) & (paired["gain"] > 0)] if len(paired) else paired
    at_floor = set()
    if beside is not None and len(beside):
        at_floor = {row.run for row in beside.itertuples() if at_majority(row, level=level)}
    against = int(significant["scratch_run"].isin(at_floor).sum()) if len(significant) else 0
    return {"pairs": int(len(paired)), "significant": int(len(significant)), "against_majority": against}


def against_hog(table: pd.DataFrame, *, level: float = SIGNIFICANCE) -> pd.Series:
    """Each network of ``table`` against HOG + logistic regression on the same test images
    (rows of :func:`ferlib.compare.baseline_comparison` or
    :func:`ferlib.compare.subject_cnn_comparison`, with ``cnn_minus_hog`` and
    ``p_vs_hog``): ``"above"`` or ``"below"`` where the exact McNemar p is below ``level``
    with the network ahead or behind, else ``"same"`` (a missing p included); a
    ``(len(table),)`` str Series on the index of ``table``."""
    significant = table["p_vs_hog"] < level
    states = np.where(significant & (table["cnn_minus_hog"] > 0), "above",
                      np.where(significant & (table["cnn_minus_hog"] < 0), "below", "same"))
    return pd.Series(states, index=table.index, dtype=object)


def hog_counts(table: pd.DataFrame, *, level: float = SIGNIFICANCE) -> dict:
    """How the networks of ``table`` fare against HOG + logistic regression
    (:func:`against_hog`): ``{"runs", "above", "below"}``, the rows, and those significantly
    ahead of it, or behind."""
    states = against_hog(table, level=level)
    return {"runs": int(len(table)), "above": int((states == "above").sum()),
            "below": int((states == "below").sum())}


def hog_verdicts(beside: pd.DataFrame, *, level: float = SIGNIFICANCE) -> dict:
    """:func:`hog_counts` of the protocol's runs of a
    :func:`ferlib.compare.baseline_comparison` (its rows with ``protocol`` true; none
    without that column)."""
    protocol = beside[beside["protocol"].astype(bool)] if "protocol" in beside else beside.iloc[:0]
    return hog_counts(protocol, level=level)


def paired_verdict(difference, p_value, *, level: float = SIGNIFICANCE) -> str:
    """A paired test's verdict: ``"same"`` (p at least ``level``), else ``"better"`` or
    ``"worse"`` by the sign of ``difference``."""
    if p_value >= level:
        return "same"
    return "better" if difference > 0 else "worse"


def best_run(overview: pd.DataFrame) -> pd.Series:
    """The run with the highest test accuracy among the rows of ``overview`` (one per run,
    with ``accuracy``, e.g. :func:`ferlib.tables.runs_overview`): its row, the first of a
    tie. Raises ``ValueError`` when no row has an accuracy."""
    accuracy = pd.to_numeric(overview["accuracy"], errors="coerce") if len(overview) else pd.Series(dtype=float)
    if accuracy.notna().sum() == 0:
        raise ValueError("no run with a test accuracy to choose from")
    return overview.loc[accuracy.idxmax()]


def learned_over_seeds(seeds: pd.DataFrame, *, bar: float = LEARNED_BALANCED) -> pd.DataFrame:
    """The experiments from scratch on the small data sets (:data:`ferlib.vocabulary.TARGET_DATASETS`)
    of a :func:`ferlib.compare.seed_table`, with ``learned``: whether the median balanced
    test accuracy over seeds reaches ``bar`` (always answering one class scores one over
    the classes)."""
    part = seeds[(seeds["training"] == "scratch") & seeds["dataset"].isin(list(TARGET_DATASETS))].copy()
    part["learned"] = part["balanced_median"].astype(float) >= bar
    return part


def finetune_rate_evidence(runs, *, model: int = 2) -> dict:
    """The runs that show what the fine-tuning rate did, among ``runs`` (e.g. every
    committed run; empty for a build without them).

    Returns:
        ``{"one_pass_augmented": [Run], "one_pass_augmented_lower_rate": [Run],
        "targets": {name: {...}}, "above_zero_shot": bool}``: the fine-tunes of ``model`` on
        the data set of :data:`ferlib.vocabulary.REFERENCE_EXPERIMENT` (JAFFE) with augmentation on and one pass per epoch, at the protocol's learning rate
        and at a lower one, oldest first; for each data set of :data:`ferlib.vocabulary.TARGET_DATASETS`,
        ``rate`` (the protocol's fine-tuning rate), ``runs`` (its fine-tunes, every seed in
        order), ``tested`` (their test accuracies) and ``zero_shot`` (their FER2013 networks on
        the same images before fine-tuning; NaN where not recorded); ``above_zero_shot``:
        whether every one of those fine-tunes beats its network before fine-tuning.
    """
    _, dataset, _ = REFERENCE_EXPERIMENT
    rate = experiment_config("paper", (model, dataset, None), data="real").learning_rate
    one_pass = [run for run in runs
             if run.config.model == model and run.config.dataset == dataset and run.config.is_finetune
             and run.config.data == "real" and run.config.augment and run.config.min_epoch_images is None]
    protocol = protocol_seed_runs(runs, models=(model,))
    targets, above = {}, True
    for name in TARGET_DATASETS:
        tuned = protocol.get((model, name, SOURCE_DATASET), [])
        tested = [run.metrics["test"]["accuracy"] for run in tuned]
        zero_shot = [run.metrics.get("zero_shot", {}).get("test", {}).get("accuracy", np.nan) for run in tuned]
        above = above and all(t > z for t, z in zip(tested, zero_shot))  # NaN compares False
        targets[name] = {"rate": experiment_config("paper", (model, name, SOURCE_DATASET)).learning_rate,
                         "runs": tuned, "tested": tested, "zero_shot": zero_shot}
    return {"one_pass_augmented": [run for run in one_pass if run.config.learning_rate == rate],
            "one_pass_augmented_lower_rate": [run for run in one_pass if run.config.learning_rate < rate],
            "targets": targets, "above_zero_shot": above}
