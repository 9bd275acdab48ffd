"""The audit of the paper's numbers: each one beside ours, with its sampling error and a
check of whether the paper's value can come from the test set it states.

Accuracies are fractions 0..1. A test accuracy measured on ``n`` images is an estimate
with binomial standard error ``sqrt(p (1 - p) / n)``; two accuracies measured on
independent test sets of sizes ``n1`` and ``n2`` differ by sampling alone with standard
error ``sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)``. We call a difference *within
sampling error* when it is at most :data:`Z_LIMIT` such standard errors (about a 95 %
two-sided band). That unpaired test is for our numbers against the paper's; our own gains
of fine-tuning, two runs on the same test images, are tested paired (exact McNemar,
:func:`finetune_claims`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ferlib import paper
from ferlib.compare import finetune_comparison
from ferlib.labels import EMOTIONS
from ferlib.results import merged_accuracy
from ferlib.stats import above_chance, accuracy_bounds
from ferlib.vocabulary import SAMPLING_ERROR_Z, SIGNIFICANCE, TARGET_DATASETS

#: Differences up to this many standard errors count as sampling error.
Z_LIMIT = SAMPLING_ERROR_Z
#: The paper's table of each data set's accuracies.
PAPER_TABLES = {"fer2013": "5", "jaffe": "6", "ckplus": "7"}
#: FER2013's PublicTest and PrivateTest parts together: the second test set of its rows.
MERGED_TEST_SET = "PublicTest+PrivateTest"
#: How the book names each test set of :func:`accuracy_claims`.
TEST_SET_TITLES = {"test": "test part", "PrivateTest": "PrivateTest", MERGED_TEST_SET: "PublicTest + PrivateTest"}
#: The number of images in :data:`MERGED_TEST_SET`.
FER2013_MERGED_TEST_N = paper.FER2013_MERGED_TEST_N


def binomial_se(p, n) -> float:
    """Standard error of an accuracy ``p`` measured on ``n`` images (NaN if unknown)."""
    if n is None or not n or p is None or not np.isfinite(p):
        return float("nan")
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"an accuracy must lie in 0..1, got {p!r}")
    return math.sqrt(float(p) * (1 - float(p)) / int(n))


def stated_test_sizes() -> dict:
    """The test-set sizes the paper's text gives: FER2013 3,589, JAFFE 42 (CK+: none)."""
    return {name: sizes["test"] for name, sizes in paper.SPLIT_SIZES.items()}


def _possible(value, n):
    return None if not n else bool(paper.consistent_test_sizes(value, [int(n)]))


def _verdict(row) -> str:
    if row["paper_possible"] is False:
        prefix = "impossible on the stated test set; "
    else:
        prefix = ""
    if not np.isfinite(row["ours"]):
        return prefix + "no run of ours"
    if row["within_sampling_error"]:
        return prefix + "agrees within sampling error"
    return prefix + ("ours higher" if row["difference"] > 0 else "ours lower") + ", beyond sampling error"


def _test_sets(dataset, merged: bool = True) -> list:
    """``[(test_set, stated_n), ...]`` on which an accuracy of ``dataset`` is compared:
    the paper's own test set (and its stated size, None if the paper gives none), and for
    FER2013 also :data:`MERGED_TEST_SET` when ``merged``."""
    sets = [("PrivateTest" if dataset == "fer2013" else "test", stated_test_sizes().get(dataset))]
    if dataset == "fer2013" and merged:
        sets.append((MERGED_TEST_SET, FER2013_MERGED_TEST_N))
    return sets


def _ours_on(run, test_set) -> tuple:
    """``(accuracy, n)`` of ``run`` on ``test_set``; ``(nan, 0)`` without a run."""
    if run is None:
        return float("nan"), 0
    found = merged_accuracy(run) if test_set == MERGED_TEST_SET else run.metrics["test"]
    return found["accuracy"], found["n"]


def accuracy_claims(runs: Mapping, *, merged: bool = True) -> pd.DataFrame:
    """Tables 5-7: every accuracy the paper reports beside ours, the one comparison the
    results and claims pages (and :func:`results_table`) select from.

    Args:
        runs: ``{(model, dataset, source): Run}`` (missing experiments are allowed).
        merged: also compare the FER2013 accuracies on :data:`MERGED_TEST_SET` (which
            needs each FER2013 run's predictions); ``False`` keeps the paper's own
            test sets only, as :func:`main_test_set` does.

    Returns:
        one row per paper accuracy (in the paper's order), and for FER2013 a second
        row on the merged PublicTest + PrivateTest set (:data:`MERGED_TEST_SET`), with
        columns ``table`` (the paper's table: ``"5"``, ``"6"`` or ``"7"``), ``model``,
        ``dataset``, ``training``, ``test_set``, ``paper``, ``ours``, ``ours_low`` and
        ``ours_high`` (its 95% Wilson interval), ``ours_n`` (0 without a run),
        ``ours_se`` (binomial standard error of ours), ``difference`` (ours minus
        paper), ``se`` (of the difference), ``z`` (difference / se),
        ``within_sampling_error`` (``|z| <= Z_LIMIT``), ``stated_n`` (the test-set
        size the paper states, or that set's size), ``paper_possible`` (whether some
        ``k / stated_n`` prints as the paper's value; None when no size is stated) and
        ``verdict``.
    """
    rows = []
    for (model, dataset, source), value in paper.ACCURACY.items():
        run = runs.get((model, dataset, source))
        for test_set, stated_n in _test_sets(dataset, merged):
            ours, ours_n = _ours_on(run, test_set)
            ours_se = binomial_se(ours, ours_n)
            paper_n = stated_n or ours_n
            se = math.sqrt(binomial_se(value, paper_n) ** 2 + ours_se ** 2) if ours_n and paper_n else float("nan")
            difference = ours - value
            low, high = accuracy_bounds(ours, ours_n)
            z = difference / se if se and np.isfinite(se) and se > 0 else float("nan")
            rows.append({
                "table": PAPER_TABLES[dataset], "model": model, "dataset": dataset,
                "training": "scratch" if source is None else "fine-tuned",
                "test_set": test_set, "paper": value, "ours": ours,
                "ours_low": low, "ours_high": high, "ours_n": ours_n, "ours_se": ours_se,
                "difference": difference, "se": se, "z": z,
                "within_sampling_error": bool(abs(z) <= Z_LIMIT) if np.isfinite(z) else None,
                "stated_n": stated_n, "paper_possible": _possible(value, stated_n),
            })
    table = pd.DataFrame(rows)
    table["stated_n"] = table["stated_n"].astype("Int64")
    table["verdict"] = table.apply(_verdict, axis=1)
    return table


def main_test_set(accuracy: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`accuracy_claims` on the paper's own test sets, one per paper
    accuracy in the paper's order (FER2013's :data:`MERGED_TEST_SET` rows left out)."""
    return accuracy[accuracy["test_set"] != MERGED_TEST_SET]


def count_claims(summaries: Mapping) -> pd.DataFrame:
    """Table 1: the paper's image counts per class beside ours.

    Args:
        summaries: ``{name: summary}`` from :func:`ferlib.results.summarize_datasets`
            (or ``datasets.json``).

    Returns:
        one row per data set and class (the 7 classes, ``contempt``, ``total``):
        ``dataset``, ``class``, ``paper``, ``ours``, ``difference`` and ``note``. CK+
        is the seven-class ``ckplus7`` where the summaries have it (one peak and one
        neutral frame per labelled sequence), else CK+48 compared by *sequences* (the
        paper counts one peak frame per sequence); our contempt sequences are counted
        in disgust.
    """
    rows = []
    for name, counts in paper.TABLE_1.items():
        summary = summaries.get(name)
        column = "sequences" if name == "ckplus" else "all"
        if name == "ckplus" and "ckplus7" in summaries:
            summary, column = summaries["ckplus7"], "all"
        ours_counts = summary["counts"].get(column) if summary else None
        for label in list(EMOTIONS) + ["contempt", "total"]:
            theirs = sum(counts.values()) if label == "total" else counts.get(label, 0)
            if ours_counts is None:
                ours = np.nan
            elif label == "contempt":
                ours = 0 if name != "ckplus" else np.nan
            else:
                ours = ours_counts[label]
            rows.append({"dataset": name, "class": label, "paper": theirs, "ours": ours,
                         "note": _count_note(name, label, theirs, ours)})
    table = pd.DataFrame(rows)
    table["difference"] = table["ours"] - table["paper"]
    return table[["dataset", "class", "paper", "ours", "difference", "note"]]


def _count_note(name, label, theirs, ours) -> str:
    if not np.isfinite(ours):
        if name == "ckplus" and label == "contempt":
            return "counted in disgust, as the paper's section 5B says it did"
        return "no data summary"
    if name == "fer2013" and label == "angry" and theirs != ours:
        return f"the paper's {int(theirs):,} is the official {int(ours):,} with two digits swapped"
    if name == "ckplus" and label == "neutral" and theirs != ours:
        return "CK+48 has no neutral frames; the paper counts each sequence's first frame"
    if name == "ckplus" and label == "disgust" and theirs != ours:
        return f"ours includes the {paper.TABLE_1['ckplus']['contempt']} contempt sequences"
    if name == "ckplus" and label == "total" and theirs != ours:
        return "no neutral frames in CK+48"
    if name == "jaffe" and theirs != ours:
        return "the files differ from Table 1"
    return ""


def range_claims(runs: Mapping) -> pd.DataFrame:
    """The ranges the abstract and section 10 quote (over the three models) beside ours.

    Returns one row per quoted range: ``dataset``, ``training``, ``paper_low``,
    ``paper_high``, ``ours_low``, ``ours_high``, ``models`` (how many of our runs
    the range covers) and ``overlaps`` (whether the two ranges share any value;
    None without runs).
    """
    results = results_table(runs)
    table = range_table(results)
    table["models"] = [int(((results["dataset"] == d) & (results["training"] == t)
                            & results["ours"].notna()).sum())
                       for d, t in zip(table["dataset"], table["training"])]
    table["overlaps"] = [None if n == 0 else bool(lo <= ph and pl <= hi) for n, lo, hi, pl, ph in
                         zip(table["models"], table["ours_low"], table["ours_high"],
                             table["paper_low"], table["paper_high"])]
    return table


def at_majority_class(run, *, level: float = SIGNIFICANCE) -> bool:
    """Whether a run's test accuracy is no better than always answering its test part's
    most frequent class (one-sided exact binomial test at ``level``,
    :func:`ferlib.stats.above_chance`): such a run has learned nothing it shows."""
    test = run.predictions[run.predictions["part"] == "test"]
    majority = float(test["true"].value_counts(normalize=True).max())
    right = int((test["true"] == test["predicted"]).sum())
    return not above_chance(right, len(test), majority, alpha=level)["above"]


def finetune_claims(runs: Mapping, *, level: float = SIGNIFICANCE) -> pd.DataFrame:
    """The paper's main claim, per model and target: fine-tuning from FER2013 beats
    training from scratch. The accuracies are those of :func:`results_table`
    (:func:`scratch_vs_finetuned`), so both pages compare the same numbers.

    Our two runs of a pair are tested on the same test images, so their gain is tested
    paired, as on the results page (:func:`ferlib.compare.finetune_comparison`, exact
    McNemar). The paper's gains cannot be tested: it gives no image-level results.

    Returns one row per (model, target): ``model``, ``dataset``, ``paper_gain``,
    ``ours_scratch``, ``ours_fine_tuned``, ``ours_gain`` (NaN unless both runs
    exist), ``p_value`` (the exact McNemar test of our pair; NaN without both runs),
    ``significant`` (a gain with ``p_value`` below ``level``; None without both runs) and
    ``scratch_at_majority`` (:func:`at_majority_class` of our run from scratch: a gain over
    it shows that the fine-tune learned, not that the transfer helped; None without it).
    """
    results = results_table(runs)
    paired = finetune_comparison(runs).set_index(["model", "dataset"])["p_value"]
    rows = []
    for dataset in TARGET_DATASETS:
        for model, pair in scratch_vs_finetuned(results, dataset).iterrows():
            gain = pair["ours_gain"]
            p_value = float(paired.get((int(model), dataset), np.nan)) if np.isfinite(gain) else np.nan
            rows.append({
                "model": int(model), "dataset": dataset, "paper_gain": pair["paper_gain"],
                "ours_scratch": pair["ours_scratch"], "ours_fine_tuned": pair["ours_fine_tuned"],
                "ours_gain": gain, "p_value": p_value,
                "significant": (bool(p_value < level and gain > 0) if np.isfinite(gain) else None),
                "scratch_at_majority": (at_majority_class(runs[(int(model), dataset, None)], level=level)
                                        if (int(model), dataset, None) in runs else None),
            })
    return pd.DataFrame(rows)


def claims_summary(accuracy: pd.DataFrame) -> dict:
    """Counts for the claims page's prose, from :func:`accuracy_claims`: ``reported``
    (paper accuracies), ``compared`` (those with a run of ours, on the stated test set),
    ``agree`` (within sampling error), ``impossible`` (no ``k / n`` on the stated
    test set) and ``fit_merged`` (FER2013 values that fit the merged 7,178 images)."""
    main = main_test_set(accuracy)
    merged = accuracy[accuracy["test_set"] == MERGED_TEST_SET]
    compared = main[np.isfinite(main["ours"])]
    return {
        "reported": int(len(main)),
        "compared": int(len(compared)),
        "agree": int(compared["within_sampling_error"].fillna(False).astype(bool).sum()),
        "impossible": int((main["paper_possible"] == False).sum()),  # noqa: E712 (None stays out)
        "fit_merged": int((merged["paper_possible"] == True).sum()),  # noqa: E712
    }


# --------------------------------------------------------------------------- the book's tables of them


#: The columns of :func:`results_table`, in order.
RESULTS_COLUMNS = ["model", "dataset", "training", "paper", "ours", "ours_low", "ours_high", "difference",
                   "ours_se", "test_n"]


def results_table(runs: Mapping) -> pd.DataFrame:
    """Our test accuracy beside the paper's for every experiment (Tables 5-7): the rows of
    :func:`accuracy_claims` on the paper's own test sets (``merged=False``).

    Args:
        runs: ``{(model, dataset, source): Run}`` from :func:`ferlib.protocol.reproduction_runs`.

    Returns:
        one row per experiment of the paper (in the paper's order) with columns
        ``model``, ``dataset``, ``training``, ``paper``, ``ours``, ``ours_low`` and
        ``ours_high`` (its 95% Wilson interval, :func:`accuracy_bounds`),
        ``difference`` (ours minus paper), ``ours_se`` (binomial standard error of
        ours) and ``test_n``; ``ours`` is NaN and ``test_n`` ``<NA>`` for experiments
        not in ``runs``.
    """
    table = accuracy_claims(runs, merged=False).rename(columns={"ours_n": "test_n"})
    table["test_n"] = table["test_n"].where(table["test_n"] > 0).astype("Int64")
    return table[RESULTS_COLUMNS].reset_index(drop=True)


def scratch_vs_finetuned(results: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """For one target data set, one row per model: ``scratch`` and ``fine-tuned``
    accuracy, paper's and ours, and the gain of fine-tuning (fine-tuned minus scratch).

    Args:
        results: :func:`results_table` output.
        dataset: ``"jaffe"`` or ``"ckplus"``.
    """
    part = results[results["dataset"] == dataset]
    if part.empty or set(part["training"]) != {"scratch", "fine-tuned"}:
        raise ValueError(f"results hold no scratch and fine-tuned rows for {dataset!r}")
    table = part.pivot(index="model", columns="training", values=["paper", "ours"])
    out = pd.DataFrame(index=table.index)
    for who in ("paper", "ours"):
        out[f"{who}_scratch"] = table[(who, "scratch")]
        out[f"{who}_fine_tuned"] = table[(who, "fine-tuned")]
        out[f"{who}_gain"] = out[f"{who}_fine_tuned"] - out[f"{who}_scratch"]
    return out


def finetune_summary(results: pd.DataFrame) -> dict:
    """How often fine-tuning beat training from scratch, ours and the paper's.

    Args:
        results: :func:`results_table` output.

    Returns:
        ``{"compared": int, "helped": int, "ours_mean_gain": float,
        "paper_mean_gain": float}``: over the (model, target data set) pairs where we
        have both runs, how many fine-tuned runs had a higher test accuracy, and the
        mean gain (fine-tuned minus scratch accuracy); the paper's mean is over all
        its pairs, and ``paper_same_gain`` over the paper's pairs that we compared too.
        ``ours_mean_gain`` and ``paper_same_gain`` are NaN when nothing can be compared.
    """
    ours, theirs, theirs_same = [], [], []
    for dataset in TARGET_DATASETS:
        table = scratch_vs_finetuned(results, dataset)
        ours.extend(table["ours_gain"].dropna().tolist())
        theirs.extend(table["paper_gain"].dropna().tolist())
        theirs_same.extend(table.dropna(subset=["ours_gain"])["paper_gain"].dropna().tolist())
    return {"compared": len(ours), "helped": int(sum(g > 0 for g in ours)),
            "ours_mean_gain": float(np.mean(ours)) if ours else float("nan"),
            "paper_mean_gain": float(np.mean(theirs)),
            "paper_same_gain": float(np.mean(theirs_same)) if theirs_same else float("nan")}


def _with_values(results: pd.DataFrame, dataset: str, training: str, column: str = "ours") -> pd.DataFrame:
    """The rows of ``results`` for one data set and training that have a ``column`` value."""
    return results[(results["dataset"] == dataset) & (results["training"] == training)].dropna(subset=[column])


def accuracy_range(results: pd.DataFrame, dataset: str, training: str, column: str = "ours") -> tuple:
    """``(low, high)`` of ``column`` over the models for one data set and training."""
    part = _with_values(results, dataset, training, column)[column]
    if part.empty:
        raise ValueError(f"no {column!r} accuracies for {dataset!r} {training!r}")
    return float(part.min()), float(part.max())


def range_table(results: pd.DataFrame) -> pd.DataFrame:
    """The ranges the paper quotes (:data:`ferlib.paper.QUOTED_RANGES`) beside ours.

    Returns:
        one row per quoted range: ``dataset``, ``training``, ``paper_low``,
        ``paper_high``, ``ours_low``, ``ours_high`` (accuracy fractions over the
        models in ``results``; NaN when we have none) and ``ours_models`` (how many of
        the three networks have a run of ours in the range).
    """
    rows = []
    for (dataset, training), (low, high) in paper.QUOTED_RANGES.items():
        ours = _with_values(results, dataset, training)
        rows.append({"dataset": dataset, "training": training, "paper_low": low, "paper_high": high,
                     "ours_low": float(ours["ours"].min()) if len(ours) else np.nan,
                     "ours_high": float(ours["ours"].max()) if len(ours) else np.nan,
                     "ours_models": int(ours["model"].nunique())})
    return pd.DataFrame(rows)


def test_size_audit(*, search=range(20, 400)) -> pd.DataFrame:
    """Which test-set sizes can produce each accuracy the paper prints: the paper's side
    of :func:`accuracy_claims` on its own test sets (the sizes its text
    states: FER2013 3,589, JAFFE 42; none for CK+), with the smallest size that fits.

    Args:
        search: candidate sizes to try.

    Returns:
        one row per experiment: ``model``, ``dataset``, ``training``, ``paper``,
        ``stated_n``, ``stated_n_possible`` (bool, None when no size is stated) and
        ``smallest_possible_n`` (the smallest size in ``search`` that fits).
    """
    table = accuracy_claims({}, merged=False).rename(columns={"paper_possible": "stated_n_possible"})
    table["smallest_possible_n"] = [next(iter(paper.consistent_test_sizes(value, search)), None)
                                    for value in table["paper"]]
    return table[["model", "dataset", "training", "paper", "stated_n", "stated_n_possible",
                  "smallest_possible_n"]].reset_index(drop=True)
