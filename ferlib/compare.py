"""Our CNN runs beside the baselines and across seeds: intervals and paired tests.

- :func:`baseline_comparison`: every run's test accuracy with its 95% Wilson interval,
  beside the majority class, pixel and HOG logistic regression on the *same* test
  images, with an exact McNemar test of the CNN against the HOG baseline
  (:func:`baseline_accuracies`: the baselines alone, per data set);
- :func:`finetune_comparison`: each fine-tuned run against the same model trained from
  scratch, on the same test images, with an exact McNemar test;
  :func:`finetune_over_seeds`: the same pairs over training seeds;
- :func:`seed_table`: each protocol experiment over its seeds: mean, sd, t-interval;
- :func:`subject_comparison`: the baselines tested on people they have never seen, beside
  the paper's split; :func:`subject_cnn_comparison`: a CNN's subject-independent folds
  pooled, beside its paper-split accuracy and those baselines;
- :func:`accuracy_summary`: Tables 5-7 of the paper with ours over seeds and the
  baselines beside them.

The verdicts the book draws from these tables are in :mod:`ferlib.verdicts`; the
fine-tunes paired image by image (CK+ frames apart, subject folds pooled) in
:mod:`ferlib.finetune_pairs`.

They read finished runs (committed, or trained by a profile) and, for the baselines, the
report of :func:`ferlib.baselines.baseline_table` (``results/paper/baselines.json``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ferlib import paper, stats
from ferlib.baselines import paired_correctness
from ferlib.config import check_choice
from ferlib.protocol import (
    SUBJECT_EXPERIMENTS,
    departure_text,
    protocol_dataset,
    subject_protocol,
)
from ferlib.results import (
    is_paper_config,
    protocol_seed_runs,
    subject_finetune_fold_runs,
    subject_fold_runs,
)
from ferlib.vocabulary import (
    BASELINES,
    MODEL_IDS,
    SIGNIFICANCE,
    SOURCE_DATASET,
    SUBJECT_PROTOCOL_TITLES,
)

#: A CK+ image's sequence in its file name: ``S010_004_00000017.png`` -> ``S010_004``.
_SEQUENCE = re.compile(r"(S\d+_\d+)_\d+")


def sequence_groups(sources):
    """The CK+ sequence of each image named in ``sources`` (``(n,)`` str array), or
    ``None`` when some name carries none (JAFFE, FER2013)."""
    groups = []
    for source in sources:
        found = _SEQUENCE.search(Path(str(source)).name)
        if found is None:
            return None
        groups.append(found.group(1))
    return np.array(groups)


def read_baselines(path) -> dict:
    """A baselines report (``python -m ferlib baselines --save PATH``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no baselines report; make it with "
                                f"`python -m ferlib baselines --data-dir DATA --save {path}`")
    return json.loads(path.read_text())


def _baselines_for(report, dataset, split_seed) -> dict:
    """``{baseline: (sources, correct)}`` of one data set and split seed."""
    split = next((s for s in report["splits"]
                  if s["dataset"] == dataset and split_seed in s["split_seeds"]), None)
    if split is None:
        return {}
    found = {}
    for row in report["results"]:
        if row["dataset"] == dataset and split_seed in row["split_seeds"]:
            found[row["baseline"]] = (split["sources"], row["test_correct"])
    return found


def baseline_comparison(runs, report) -> pd.DataFrame:
    """One row per run: its test accuracy and 95% Wilson interval, the three baselines'
    accuracies on the same test images, and the exact McNemar p-value of the run
    against HOG + logistic regression.

    Args:
        runs: finished runs (e.g. the committed ones) on the paper's split protocol.
        report: a baselines report (:func:`read_baselines`).

    Returns:
        columns ``run``, ``model``, ``dataset``, ``training``, ``seed``, ``n``,
        ``accuracy``, ``low``, ``high``, ``seq_low`` and ``seq_high`` (a bootstrap
        interval that resamples whole CK+ sequences; NaN where images have no
        sequence), ``zero_shot`` (a fine-tune's source network on
        the same test images before fine-tuning; NaN otherwise), one accuracy column per baseline,
        ``cnn_minus_hog``, ``p_vs_hog``, ``protocol`` (whether the run is one of the
        protocol's, :func:`ferlib.results.is_paper_config`, with any seed) and
        ``setting`` (``"protocol"``, else how the run's settings depart from it,
        :func:`ferlib.protocol.departure_text`); runs whose test images have no baseline
        (another split) are left out.
    """
    rows = []
    for run in runs:
        config = run.config
        if config.protocol != "paper":
            continue
        found = _baselines_for(report, config.dataset, config.split_seed)
        if "hog_logistic" not in found:
            continue
        test = run.predictions[run.predictions["part"] == "test"]
        right = int((test["true"] == test["predicted"]).sum())
        low, high = stats.accuracy_interval(right, len(test))
        groups = sequence_groups(test["source"].to_numpy(dtype=str))
        seq_low = seq_high = np.nan
        if groups is not None and len(set(groups)) > 1:
            seq_low, seq_high = stats.bootstrap_accuracy_interval(
                (test["true"] == test["predicted"]).to_numpy(), groups)
        row = {"run": run.id, "model": config.model, "dataset": config.dataset,
               "training": "fine-tuned" if config.is_finetune else "scratch", "seed": config.seed,
               "n": len(test), "accuracy": right / len(test), "low": low, "high": high,
               "seq_low": seq_low, "seq_high": seq_high,
               "zero_shot": run.metrics.get("zero_shot", {}).get("test", {}).get("accuracy", np.nan)}
        for name in BASELINES:
            if name in found:
                sources, correct = found[name]
                base, cnn = paired_correctness(sources, correct, run.predictions)
                row[name] = float(base.mean())
                if name == "hog_logistic":
                    test_result = stats.mcnemar_exact(cnn, base)
                    row["cnn_minus_hog"] = float(cnn.mean() - base.mean())
                    row["p_vs_hog"] = test_result["p_value"]
        row["protocol"] = is_paper_config(config, seed=None)
        row["setting"] = "protocol" if row["protocol"] else departure_text(config, with_protocol=False)
        rows.append(row)
    columns = ["run", "model", "dataset", "training", "seed", "n", "accuracy", "low", "high", "seq_low",
               "seq_high", "zero_shot",
               *BASELINES, "cnn_minus_hog", "p_vs_hog", "protocol", "setting"]
    return pd.DataFrame(rows, columns=columns)


def baseline_accuracies(report, *, split_seed: int = 0) -> pd.DataFrame:
    """The baselines of a report (:func:`read_baselines`) on one split seed, one row per
    data set: ``dataset``, ``n`` (test images), then for each of :data:`BASELINES` its
    accuracy and 95% Wilson interval (``<name>``, ``<name>_low``, ``<name>_high``)."""
    found = {}
    for row in report["results"]:
        if split_seed not in row["split_seeds"] or row["baseline"] not in BASELINES:
            continue
        entry = found.setdefault(row["dataset"], {"dataset": row["dataset"], "n": row["test"]["n"]})
        low, high = row["test"]["accuracy_wilson95"]
        entry.update({row["baseline"]: row["test"]["accuracy"], f"{row['baseline']}_low": low,
                      f"{row['baseline']}_high": high})
    columns = ["dataset", "n", *[f"{name}{end}" for name in BASELINES for end in ("", "_low", "_high")]]
    return pd.DataFrame(list(found.values()), columns=columns)


def test_correctness(run) -> tuple:
    """``(sources, correct)`` of a run's test images: their ``source`` names and whether
    the run classified each right, in the order of its predictions."""
    test = run.predictions[run.predictions["part"] == "test"]
    return test["source"].to_numpy(dtype=str), (test["true"] == test["predicted"]).to_numpy()


FINETUNE_COLUMNS = ["model", "dataset", "n", "scratch", "fine_tuned", "gain", "only_fine_tuned",
                    "only_scratch", "p_value", "zero_shot", "scratch_run", "fine_tuned_run"]


def finetune_comparison(runs) -> pd.DataFrame:
    """Fine-tuned against from scratch, paired on the same test images.

    For every fine-tuned run in ``runs`` whose model also has a run from scratch on the
    same target data set (and so, the same split, the same test images), the exact McNemar
    test (:func:`ferlib.stats.mcnemar_exact`) asks whether the two classify those images
    differently by more than chance. Pairing makes it far more sensitive than comparing
    two accuracies: only the images where the two runs disagree count.

    Args:
        runs: ``{(model, dataset, source): Run}`` (``source`` None from scratch), as
            :func:`ferlib.protocol.reproduction_runs` returns them.

    Returns:
        one row per pair, columns :data:`FINETUNE_COLUMNS`: ``n`` test images,
        ``scratch`` and ``fine_tuned`` accuracies, ``gain`` (fine-tuned minus scratch),
        ``only_fine_tuned`` and ``only_scratch`` (images only that run got right),
        ``p_value`` (two-sided) and ``zero_shot`` (the source network on the same
        images before fine-tuning; NaN if not recorded), ``scratch_run`` and
        ``fine_tuned_run`` (the two run ids; None for a run without one). Raises
        ``ValueError`` when a pair's test images differ.
    """
    rows = []
    for (model, dataset, source), tuned in sorted(runs.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        scratch = runs.get((model, dataset, None))
        if source is None or scratch is None:
            continue
        sources, scratch_right = test_correctness(scratch)
        _, tuned_right = paired_correctness(sources, scratch_right, tuned.predictions)
        result = stats.mcnemar_exact(tuned_right, scratch_right)
        rows.append({"model": model, "dataset": dataset, "n": result["n"],
                     "scratch": result["accuracy_b"], "fine_tuned": result["accuracy_a"],
                     "gain": result["difference"], "only_fine_tuned": result["b"],
                     "only_scratch": result["c"], "p_value": result["p_value"],
                     "zero_shot": tuned.metrics.get("zero_shot", {}).get("test", {}).get("accuracy", np.nan),
                     "scratch_run": getattr(scratch, "id", None), "fine_tuned_run": getattr(tuned, "id", None)})
    return pd.DataFrame(rows, columns=FINETUNE_COLUMNS)


FINETUNE_SEED_COLUMNS = ["model", "dataset", "seeds", "scratch_mean", "fine_tuned_mean", "gain_mean", "gain_sd",
                         "fine_tuned_better", "significant_gains", "significant_losses", "t_p_value",
                         "wilcoxon_p_value", "wilcoxon_min_p", "by_seed"]


def finetune_over_seeds(seed_runs: dict, *, level: float = SIGNIFICANCE) -> pd.DataFrame:
    """Fine-tuned against from scratch over seeds, each seed paired with the run from
    scratch of the same seed (same split, same test images).

    Each seed's pair is tested image by image (:func:`finetune_comparison`, exact
    McNemar); the seeds' gains are then tested together (:func:`ferlib.stats.paired_seed_test`:
    paired t-test and exact Wilcoxon signed-rank test over seeds).

    Args:
        seed_runs: ``{(model, dataset, source): [Run, ...]}`` as
            :func:`ferlib.results.protocol_seed_runs` gives them.
        level: the significance level for counting the seeds whose McNemar test rejects.

    Returns:
        one row per (model, target data set) with a fine-tune and a run from scratch of at
        least one same seed, columns :data:`FINETUNE_SEED_COLUMNS`: ``seeds`` paired;
        ``scratch_mean``, ``fine_tuned_mean`` (test accuracy), ``gain_mean`` and
        ``gain_sd`` (NaN for one seed) of fine-tuned minus scratch; ``fine_tuned_better``
        (seeds with a positive gain); ``significant_gains`` and ``significant_losses``
        (seeds whose McNemar p is below ``level``, by the sign of the gain);
        ``t_p_value``, ``wilcoxon_p_value`` (NaN where undefined, and for one seed) and
        ``wilcoxon_min_p`` (the smallest p the exact Wilcoxon test can give with these
        seeds: 0.25 for three); ``by_seed``, ``{seed: (gain, McNemar p)}``.
    """
    rows = []
    for (model, dataset, source), tuned_runs in sorted(seed_runs.items(),
                                                       key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        if source is None:
            continue
        scratch_of = {run.config.seed: run for run in seed_runs.get((model, dataset, None), [])}
        pairs = []
        for tuned in tuned_runs:
            scratch = scratch_of.get(tuned.config.seed)
            if scratch is not None:
                result = finetune_comparison({(model, dataset, None): scratch,
                                              (model, dataset, source): tuned}).iloc[0]
                pairs.append((int(tuned.config.seed), result))
        if not pairs:
            continue
        gains = np.array([result["gain"] for _, result in pairs])
        p_values = np.array([result["p_value"] for _, result in pairs])
        paired = stats.paired_seed_test([r["fine_tuned"] for _, r in pairs], [r["scratch"] for _, r in pairs])
        rows.append({"model": model, "dataset": dataset, "seeds": len(pairs),
                     "scratch_mean": float(np.mean([r["scratch"] for _, r in pairs])),
                     "fine_tuned_mean": float(np.mean([r["fine_tuned"] for _, r in pairs])),
                     "gain_mean": float(gains.mean()),
                     "gain_sd": float(gains.std(ddof=1)) if len(gains) > 1 else np.nan,
                     "fine_tuned_better": int((gains > 0).sum()),
                     "significant_gains": int(((p_values < level) & (gains > 0)).sum()),
                     "significant_losses": int(((p_values < level) & (gains < 0)).sum()),
                     "t_p_value": np.nan if paired["t_p_value"] is None else paired["t_p_value"],
                     "wilcoxon_p_value": (np.nan if paired["wilcoxon_p_value"] is None or len(pairs) < 2
                                          else paired["wilcoxon_p_value"]),
                     "wilcoxon_min_p": np.nan if paired["wilcoxon_min_p"] is None else paired["wilcoxon_min_p"],
                     "by_seed": {seed: (float(r["gain"]), float(r["p_value"])) for seed, r in pairs}})
    return pd.DataFrame(rows, columns=FINETUNE_SEED_COLUMNS)


def seed_table(seed_runs: dict) -> pd.DataFrame:
    """Each experiment over its seeds (``{key: [Run, ...]}`` as
    :func:`ferlib.results.protocol_seed_runs` gives them): ``seeds``, ``mean``, ``sd``,
    ``t_low``, ``t_high`` (95% t-interval of the mean, clipped to 0..1, the range an
    accuracy can take; None for one seed), ``median``
    and ``by_seed`` (``{seed: accuracy}``, unrounded, so that a seed reads as the mean
    of one seed does) of the test accuracy, and
    ``balanced_median``, the median over seeds of the balanced test accuracy (the mean
    recall over classes, so always answering one class scores 1/7)."""
    rows = []
    for (model, dataset, source), runs in sorted(seed_runs.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        accuracies = [run.metrics["test"]["accuracy"] for run in runs]
        summary = stats.seed_summary(accuracies)
        interval = summary.get("interval") or (None, None)
        rows.append({"model": model, "dataset": dataset,
                     "training": "scratch" if source is None else "fine-tuned",
                     "seeds": len(runs), "mean": summary["mean"], "sd": summary["sd"],
                     "t_low": None if interval[0] is None else max(0.0, interval[0]),
                     "t_high": None if interval[1] is None else min(1.0, interval[1]), "median": float(np.median(accuracies)),
                     "balanced_median": float(np.median([run.metrics["test"]["balanced_accuracy"] for run in runs])),
                     "by_seed": {int(r.config.seed): float(a) for r, a in zip(runs, accuracies)}})
    return pd.DataFrame(rows, columns=["model", "dataset", "training", "seeds", "mean", "sd", "t_low",
                                       "t_high", "median", "balanced_median", "by_seed"])


def subject_comparison(subject_report, paper_report, *, split_seed: int = 0) -> pd.DataFrame:
    """The baselines tested on people they have never seen beside the same baselines on
    the paper's split.

    Args:
        subject_report: ``python -m ferlib baselines --subject-independent`` output
            (``results/paper/baselines_subject.json``).
        paper_report: the paper-split report (:func:`read_baselines`).
        split_seed: the paper split to compare with.

    Returns:
        one row per data set and baseline: ``dataset``, ``baseline``, ``protocol``,
        ``folds``, ``split`` (the protocol and folds in words), ``subject_independent``, ``low``, ``high`` (its 95% Wilson interval)
        and ``paper_split`` (the same baseline on the paper's split; NaN without one).
    """
    rows = []
    for found in subject_report["protocols"]:
        for row in found["results"]:
            same = next((r for r in paper_report["results"] if r["dataset"] == found["dataset"]
                         and r["baseline"] == row["baseline"] and split_seed in r["split_seeds"]), None)
            title = SUBJECT_PROTOCOL_TITLES.get(found["protocol"], found["protocol"])
            rows.append({"dataset": found["dataset"], "baseline": row["baseline"],
                         "protocol": found["protocol"], "folds": found["folds"],
                         "split": f"{title}, {found['folds']} folds",
                         "subject_independent": row["accuracy"], "low": row["low"], "high": row["high"],
                         "paper_split": same["test"]["accuracy"] if same else np.nan})
    return pd.DataFrame(rows, columns=["dataset", "baseline", "protocol", "folds", "split", "subject_independent",
                                       "low", "high", "paper_split"])


SUBJECT_CNN_COLUMNS = ["model", "seed", "dataset", "protocol", "split", "folds", "of", "complete", "n", "correct",
                       "accuracy", "low", "high", "paper_split", "paper_split_mean", "paper_seeds", *BASELINES,
                       "cnn_minus_hog", "only_cnn", "only_hog", "p_vs_hog", "one_class_folds"]


def pooled_folds(fold_runs: dict) -> dict:
    """The test parts of a data set's fold runs (``{fold: Run}``) pooled:
    ``{"n", "correct", "right"}``, ``right`` mapping each tested image (``source``) to
    whether its fold classified it right.

    Each image is tested by exactly one fold (its subject's), so the pooled accuracy is
    ``correct / n``. Raises ``ValueError`` naming the image when two folds test the same
    image (runs of different splits mixed together)."""
    seen, right_of = {}, {}
    for fold, run in fold_runs.items():
        sources, right = test_correctness(run)
        for source, flag in zip(sources, right):
            if source in seen:
                raise ValueError(f"{source} is tested by fold {seen[source]} and fold {fold}: these runs "
                                 f"are not the folds of one subject-independent split")
            seen[source], right_of[source] = fold, bool(flag)
    return {"n": len(right_of), "correct": sum(right_of.values()), "right": right_of}


def paired_with_folds(sources, correct, right_of: dict):
    """Line a subject-independent baseline up with a CNN's pooled folds, image by image.

    Args:
        sources: ``(m,)`` the baseline report's images (its ``sources``, row order).
        correct: ``(m,)`` a string of ``0``/``1``: the baseline right or not, same order.
        right_of: ``{source: bool}``, the CNN's pooled folds (:func:`pooled_folds`).

    Returns:
        ``(cnn_correct, baseline_correct)``, two ``(m,)`` bool arrays in the report's
        order. Raises ``ValueError`` naming an image that only one side tested.
    """
    sources = [str(source) for source in sources]
    if len(correct) != len(sources):
        raise ValueError(f"the baseline has {len(correct)} flags for {len(sources)} images")
    only_baseline = sorted(set(sources) - set(right_of))
    only_cnn = sorted(set(right_of) - set(sources))
    if only_baseline or only_cnn:
        first = (f"{only_baseline[0]} only in the baseline's folds" if only_baseline
                 else f"{only_cnn[0]} only in the CNN's folds")
        raise ValueError(f"the CNN's folds and the baseline's test other images: {first}")
    return (np.array([right_of[source] for source in sources]),
            np.array([flag == "1" for flag in correct]))


def _subject_entry(subject_report, dataset, protocol, folds, split_seed) -> dict | None:
    """The entry of a subject-independent baselines report for exactly these folds (data
    set, protocol, number of folds, split seed), or ``None``."""
    return next((found for found in subject_report.get("protocols", [])
                 if (found["dataset"], found["protocol"], found["folds"], found.get("seed", 0))
                 == (dataset, protocol, folds, split_seed)), None)


def subject_cnn_comparison(runs, subject_report, *, model: int = 2, seed: int = 0,
                           fine_tuned: bool = False) -> pd.DataFrame:
    """A CNN tested on people it has never seen: its subject-independent folds pooled per
    data set, beside its own accuracy on the paper's split and the baselines' on the same
    subject-independent folds; trained from scratch, or with ``fine_tuned`` the same folds
    fine-tuned from FER2013 (:func:`ferlib.results.subject_finetune_fold_runs`, beside the
    fine-tune on the paper's split).

    Args:
        runs: finished runs, e.g. every committed one: the folds are those of
            :func:`ferlib.results.subject_fold_runs`, the paper-split runs those of
            :func:`ferlib.results.protocol_seed_runs`.
        subject_report: ``results/paper/baselines_subject.json`` (:func:`read_baselines`).
        model: the model.
        seed: the training seed of the folds, and of the paper-split run set beside them.
        fine_tuned: the fine-tuned folds (and fine-tunes on the paper's split) instead of
            the folds from scratch.

    Returns:
        one row per data set of :data:`ferlib.protocol.SUBJECT_EXPERIMENTS` (named as the
        protocol runs it: ``jaffe``, ``ckplus7``), columns :data:`SUBJECT_CNN_COLUMNS`:
        ``protocol``, ``split`` (in words, with the folds present), ``folds`` (present)
        ``of`` the total, ``complete``; ``n`` and ``correct``, the test images of the folds
        present and those classified right; ``accuracy`` (``correct / n``) and ``low``,
        ``high`` (95% Wilson interval) only when every fold is present, NaN otherwise, so
        that a partial set is never read as the pooled accuracy; ``paper_split`` (the
        protocol run with ``seed``, NaN without), ``paper_split_mean`` and ``paper_seeds``
        (over every committed seed); one column per baseline of :data:`BASELINES`, its
        pooled accuracy on the same folds (NaN where the report has not these folds); for a
    complete set whose report names its images (``sources``), the paired comparison with
    HOG + logistic regression on the same images: ``cnn_minus_hog`` (accuracy
    difference), ``only_cnn`` and ``only_hog`` (images only one of the two got right)
    and ``p_vs_hog`` (exact McNemar), NaN otherwise; ``one_class_folds``, the folds
    present whose network gave every test image the same class (a run that collapsed).

    Raises ``ValueError`` when two folds test the same image, or when a complete set
    tests another number of images than the baselines' folds.
    """
    check_choice("model", model, MODEL_IDS)
    folds_of = (subject_finetune_fold_runs if fine_tuned else subject_fold_runs)(runs, models=(model,))
    paper_runs = protocol_seed_runs(runs, models=(model,))
    source = SOURCE_DATASET if fine_tuned else None
    rows = []
    for paper_name in SUBJECT_EXPERIMENTS:
        dataset = protocol_dataset(paper_name, "real")
        protocol, total = subject_protocol(dataset)
        found = folds_of.get((model, dataset, seed), {})
        pooled = pooled_folds(found)
        row = {"model": model, "seed": seed, "dataset": dataset, "protocol": protocol, "folds": len(found), "of": total,
               "complete": len(found) == total, "n": pooled["n"], "correct": pooled["correct"],
               "split": f"{SUBJECT_PROTOCOL_TITLES[protocol]}, {len(found)} of {total} folds",
               "accuracy": np.nan, "low": np.nan, "high": np.nan}
        split_seed = next(iter(found.values())).config.split_seed if found else 0
        entry = _subject_entry(subject_report, dataset, protocol, total, split_seed)
        if row["complete"]:
            if entry is not None and pooled["n"] != entry["images"]:
                raise ValueError(f"{dataset}: the {total} folds of model {model} test {pooled['n']} images, "
                                 f"the baselines' folds {entry['images']}: not the same data")
            low, high = stats.accuracy_interval(pooled["correct"], pooled["n"])
            row.update(accuracy=pooled["correct"] / pooled["n"], low=low, high=high)
        by_seed = paper_runs.get((model, paper_name, source), [])
        same_seed = [run for run in by_seed if run.config.seed == seed]
        accuracies = [run.metrics["test"]["accuracy"] for run in by_seed]
        row.update(paper_split=same_seed[-1].metrics["test"]["accuracy"] if same_seed else np.nan,
                   paper_split_mean=float(np.mean(accuracies)) if accuracies else np.nan,
                   paper_seeds=len(accuracies))
        accuracy = {result["baseline"]: result["accuracy"] for result in (entry or {}).get("results", [])}
        row.update({name: accuracy.get(name, np.nan) for name in BASELINES})
        hog = next((result for result in (entry or {}).get("results", [])
                    if result["baseline"] == "hog_logistic"), None)
        row.update(cnn_minus_hog=np.nan, only_cnn=np.nan, only_hog=np.nan, p_vs_hog=np.nan,
                   one_class_folds=sum(run.predictions.loc[run.predictions["part"] == "test", "predicted"].nunique()
                                       == 1 for run in found.values()))
        if row["complete"] and hog is not None and "sources" in entry:
            cnn, base = paired_with_folds(entry["sources"], hog["correct"], pooled["right"])
            test = stats.mcnemar_exact(cnn, base)
            row.update(cnn_minus_hog=test["difference"], only_cnn=test["b"], only_hog=test["c"],
                       p_vs_hog=test["p_value"])
        rows.append(row)
    return pd.DataFrame(rows, columns=SUBJECT_CNN_COLUMNS)


def accuracy_summary(seed_runs: dict, baselines: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tables 5-7 with intervals: for every experiment of the paper, its value, ours
    over the seeds we have, and the baselines on the same data set.

    Args:
        seed_runs: ``{(model, dataset, source): [Run, ...]}`` (as
            :func:`ferlib.results.protocol_seed_runs` gives them; one run per key is fine).
        baselines: :func:`baseline_accuracies` of the runs' split, or ``None`` (no
            baselines, e.g. for synthetic runs).

    Returns:
        one row per experiment of :data:`ferlib.paper.ACCURACY`, in its order: ``model``,
        ``dataset``, ``training``, ``paper``, ``seeds`` (0 without a run), ``ours`` (mean
        test accuracy over seeds), ``low`` and ``high`` (the 95% t-interval of the mean
        over seeds, clipped to 0..1, with two seeds or more; the Wilson interval of the
        single run with one), ``interval`` (``"over seeds"``, ``"Wilson"`` or None),
        ``by_seed`` (each run's test accuracy, a list) and one column per baseline of :data:`BASELINES` (the accuracy on the data set the
        protocol trains on; NaN without one).
    """
    rows = []
    for (model, dataset, source), value in paper.ACCURACY.items():
        runs = seed_runs.get((model, dataset, source), [])
        accuracies = [run.metrics["test"]["accuracy"] for run in runs]
        row = {"model": model, "dataset": dataset, "training": "scratch" if source is None else "fine-tuned",
               "paper": value, "seeds": len(runs), "ours": np.nan, "low": np.nan, "high": np.nan,
               "interval": None, "by_seed": [float(a) for a in accuracies]}
        if len(runs) == 1:
            low, high = stats.accuracy_bounds(accuracies[0], runs[0].metrics["test"]["n"])
            row.update(ours=accuracies[0], low=low, high=high, interval="Wilson")
        elif runs:
            summary = stats.seed_summary(accuracies)
            low, high = summary["interval"]
            row.update(ours=summary["mean"], low=max(0.0, low), high=min(1.0, high), interval="over seeds")
        found = None
        if baselines is not None and len(baselines):
            data = baselines[baselines["dataset"] == protocol_dataset(dataset, "real")]
            found = data.iloc[0] if len(data) else None
        for name in BASELINES:
            row[name] = float(found[name]) if found is not None and not pd.isna(found[name]) else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["model", "dataset", "training", "paper", "seeds", "ours", "low", "high",
                                       "interval", "by_seed", *BASELINES])
