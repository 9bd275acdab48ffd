"""Our CNN runs beside the baselines and across seeds: intervals and paired tests.

- :func:`baseline_comparison`: every run's test accuracy with its 95% Wilson interval,
  beside the majority class, pixel and HOG logistic regression on the *same* test
  images, with an exact McNemar test of the CNN against the HOG baseline;
- :func:`finetune_comparison`: each fine-tuned run against the same model trained from
  scratch, on the same test images, with an exact McNemar test;
- :func:`seed_table`: each protocol experiment over its seeds: mean, sd, t-interval;
- :func:`subject_comparison`: the baselines tested on people they have never seen, beside
  the paper's split; :func:`subject_cnn_comparison`: a CNN's subject-independent folds
  pooled, beside its paper-split accuracy and those baselines;
- the verdicts the book states, as data (:func:`finetune_verdicts` per network,
  :func:`finetune_gain_counts`, :func:`against_hog`, :func:`hog_counts`, :func:`hog_verdicts`,
  :func:`paired_verdict`, :func:`at_majority`, :func:`learned_over_seeds`,
  :func:`finetune_rate_evidence`), each decided at :data:`ferlib.vocabulary.SIGNIFICANCE`
  or :data:`ferlib.vocabulary.LEARNED_BALANCED`, and the runs it shows (:func:`best_run`);
  :mod:`ferlib.findings` and :mod:`ferlib.summary` put them in words.

They read finished runs (committed, or trained by a profile) and, for the baselines, the
report of :func:`ferlib.baselines.baseline_table` (``results/paper/baselines.json``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score

from ferlib import paper, stats
from ferlib.baselines import paired_correctness
from ferlib.config import check_choice
from ferlib.datasets.ckplus import frame_kind
from ferlib.labels import label_index
from ferlib.protocol import (
    SUBJECT_EXPERIMENTS,
    departure_text,
    experiment_config,
    protocol_dataset,
    subject_protocol,
)
from ferlib.results import (
    is_paper_config,
    protocol_seed_runs,
    split_seed_runs,
    subject_finetune_fold_runs,
    subject_fold_runs,
)
from ferlib.vocabulary import (
    BASELINE_TITLES,
    BASELINES,
    CONFIDENCE,
    LEARNED_BALANCED,
    MODEL_IDS,
    PAPER_MODELS,
    REFERENCE_EXPERIMENT,
    SIGNIFICANCE,
    SOURCE_DATASET,
    SUBJECT_PROTOCOL_TITLES,
    TARGET_DATASETS,
    TARGET_RUN_DATASETS,
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


# --------------------------------------------------------------------------- paired fine-tunes, frame by frame


def _balanced(true, predicted) -> float:
    """Balanced accuracy (mean recall over the classes present in ``true``); NaN when empty."""
    if len(true) == 0:
        return float("nan")
    with warnings.catch_warnings():  # a class predicted but absent from true: its recall is dropped
        warnings.simplefilter("ignore")
        return float(balanced_accuracy_score(true, predicted))


def _test_rows(run) -> pd.DataFrame:
    """A run's test rows: ``source``, ``true``, ``predicted``."""
    test = run.predictions[run.predictions["part"] == "test"]
    return test[["source", "true", "predicted"]].astype({"source": str}).reset_index(drop=True)


def aligned_pair(scratch_rows: pd.DataFrame, tuned_rows: pd.DataFrame) -> pd.DataFrame:
    """Two networks' test rows (:func:`_test_rows`, or several folds' concatenated) lined up
    image by image: ``source``, ``true``, ``scratch`` and ``fine_tuned`` (the predicted
    classes), in the order of ``scratch_rows``. Raises ``ValueError`` naming an image that
    one side tests twice, that only one side tests, or whose label the two disagree on."""
    for name, rows in (("the run from scratch", scratch_rows), ("the fine-tune", tuned_rows)):
        twice = rows["source"][rows["source"].duplicated()]
        if len(twice):
            raise ValueError(f"{twice.iloc[0]} is tested twice by {name}: not the test part of one split")
    only_scratch = sorted(set(scratch_rows["source"]) - set(tuned_rows["source"]))
    only_tuned = sorted(set(tuned_rows["source"]) - set(scratch_rows["source"]))
    if only_scratch or only_tuned:
        first = (f"{only_scratch[0]} only in the run from scratch" if only_scratch
                 else f"{only_tuned[0]} only in the fine-tune")
        raise ValueError(f"the fine-tune and the run from scratch test other images: {first}")
    merged = scratch_rows.merge(tuned_rows, on="source", suffixes=("_scratch", "_tuned"), sort=False)
    clash = merged[merged["true_scratch"] != merged["true_tuned"]]
    if len(clash):
        raise ValueError(f"{clash['source'].iloc[0]}: labelled {clash['true_scratch'].iloc[0]} by the run "
                         f"from scratch and {clash['true_tuned'].iloc[0]} by the fine-tune")
    return pd.DataFrame({"source": merged["source"], "true": merged["true_scratch"].astype(int),
                         "scratch": merged["predicted_scratch"].astype(int),
                         "fine_tuned": merged["predicted_tuned"].astype(int)})


def paired_stats(pair: pd.DataFrame, mask=None) -> dict:
    """Fine-tuned against from scratch on the images of ``pair`` (:func:`aligned_pair`),
    or on those where ``mask`` (``(n,)`` bool) is true: ``n``, ``scratch`` and
    ``fine_tuned`` (accuracies), ``gain`` (fine-tuned minus scratch), ``only_fine_tuned``
    and ``only_scratch`` (images only that network got right), ``p_value`` (two-sided exact
    McNemar test, :func:`ferlib.stats.mcnemar_exact`), ``scratch_balanced`` and
    ``fine_tuned_balanced`` (balanced accuracies over the classes of these images). All NaN
    (``n`` 0) on no image."""
    rows = pair if mask is None else pair[np.asarray(mask, dtype=bool)]
    if rows.empty:
        return {"n": 0, **{name: np.nan for name in ("scratch", "fine_tuned", "gain", "only_fine_tuned",
                                                      "only_scratch", "p_value", "scratch_balanced",
                                                      "fine_tuned_balanced")}}
    tuned = (rows["true"] == rows["fine_tuned"]).to_numpy()
    scratch = (rows["true"] == rows["scratch"]).to_numpy()
    test = stats.mcnemar_exact(tuned, scratch)
    return {"n": test["n"], "scratch": test["accuracy_b"], "fine_tuned": test["accuracy_a"],
            "gain": test["difference"], "only_fine_tuned": test["b"], "only_scratch": test["c"],
            "p_value": test["p_value"], "scratch_balanced": _balanced(rows["true"], rows["scratch"]),
            "fine_tuned_balanced": _balanced(rows["true"], rows["fine_tuned"])}


def frame_kinds(sources, true) -> np.ndarray:
    """``(n,)`` ``"peak"`` or ``"neutral"``: which frame of its sequence each seven-class CK+
    image is, from its ``source`` name (:func:`ferlib.datasets.ckplus.frame_kind`: the crop
    release's ``neutral/`` folder, or frame 1 of the original release), checked against its
    label: every neutral frame must be labelled neutral and no peak frame may be. Raises
    ``ValueError`` naming the first image that breaks this."""
    neutral = label_index("neutral")
    kinds = np.array([frame_kind(source) for source in sources], dtype=object)
    labelled = np.asarray(true, dtype=int) == neutral
    wrong = np.flatnonzero((kinds == "neutral") != labelled)
    if len(wrong):
        source = list(sources)[wrong[0]]
        raise ValueError(f"{source}: a {kinds[wrong[0]]} frame by its name, but labelled "
                         f"{'neutral' if labelled[wrong[0]] else 'with an expression'}")
    return kinds.astype(str)


#: The parts of a seven-class CK+ test set reported apart: every image, the expression
#: (peak) frames, the neutral first frames.
FRAME_PARTS = ("all", "peak", "neutral")

CKPLUS_FRAME_COLUMNS = ["model", "training", "seed", "split_seed", "frames", "n", "correct", "accuracy", "low",
                        "high", "balanced_accuracy", "run"]


def ckplus_frame_accuracy(runs) -> pd.DataFrame:
    """Each seven-class CK+ run's test accuracy on its peak frames and on its neutral frames
    apart (:func:`frame_kinds`), beside every image.

    Half of a seven-class CK+ test part is neutral first frames, all of one class, so an
    accuracy over every image mixes two tasks: naming an expression, and telling a face
    at rest from one that is not.

    Args:
        runs: finished runs; those on ``ckplus7`` are used, in the order given.

    Returns:
        three rows per run (``frames``: ``"all"``, ``"peak"``, ``"neutral"``), columns
        :data:`CKPLUS_FRAME_COLUMNS`: ``n`` images, ``correct``, ``accuracy`` and ``low``,
        ``high`` (95% Wilson interval), ``balanced_accuracy`` (over the classes of that
        part: on neutral frames, one class, it equals the accuracy), ``run`` (the id).
    """
    rows = []
    for run in runs:
        config = run.config
        if config.dataset != "ckplus7":
            continue
        test = _test_rows(run)
        kinds = frame_kinds(test["source"], test["true"])
        for part in FRAME_PARTS:
            chosen = test if part == "all" else test[kinds == part]
            right = int((chosen["true"] == chosen["predicted"]).sum())
            low, high = stats.accuracy_interval(right, len(chosen)) if len(chosen) else (np.nan, np.nan)
            rows.append({"model": config.model, "training": "fine-tuned" if config.is_finetune else "scratch",
                         "seed": config.seed, "split_seed": config.split_seed, "frames": part, "n": len(chosen),
                         "correct": right, "accuracy": right / len(chosen) if len(chosen) else np.nan,
                         "low": low, "high": high,
                         "balanced_accuracy": _balanced(chosen["true"], chosen["predicted"]),
                         "run": getattr(run, "id", None)})
    return pd.DataFrame(rows, columns=CKPLUS_FRAME_COLUMNS)


def finetune_pairs(runs, *, models=PAPER_MODELS) -> dict:
    """Every fine-tune among ``runs`` (oldest first, e.g. the committed ones) with its run
    from scratch of the same training seed on the same split: the protocol's runs on the
    paper's split (:func:`ferlib.results.protocol_seed_runs`, split seed 0) and on other
    split seeds (:func:`ferlib.results.split_seed_runs`).

    Returns:
        ``{(model, dataset, split_seed, seed): (scratch Run, fine-tuned Run)}``, ``dataset``
        the name the runs trained on (``"jaffe"``, ``"ckplus7"``), sorted.
    """
    runs = list(runs)
    by_split = {(model, dataset, source, 0): found
                for (model, dataset, source), found in protocol_seed_runs(runs, models=models).items()}
    by_split.update(split_seed_runs(runs, models=models))
    pairs = {}
    for (model, dataset, source, split_seed), tuned_runs in by_split.items():
        if source is None:
            continue
        scratch_of = {run.config.seed: run for run in by_split.get((model, dataset, None, split_seed), [])}
        for tuned in tuned_runs:
            scratch = scratch_of.get(tuned.config.seed)
            if scratch is not None:
                pairs[(model, tuned.config.dataset, split_seed, tuned.config.seed)] = (scratch, tuned)
    return dict(sorted(pairs.items()))


CKPLUS_FINETUNE_FRAME_COLUMNS = ["model", "split", "split_seed", "seed", "frames", "n", "scratch", "fine_tuned",
                                 "gain", "only_fine_tuned", "only_scratch", "p_value", "scratch_balanced",
                                 "fine_tuned_balanced"]


def ckplus_finetune_frames(runs, *, models=PAPER_MODELS, subject_seed: int = 0) -> pd.DataFrame:
    """Fine-tuned against from scratch on seven-class CK+, on the peak frames and on the
    neutral frames apart, each part paired image by image with its own exact McNemar test.

    Args:
        runs: finished runs, e.g. every committed one.
        models: the models.
        subject_seed: the training seed of the subject-independent folds pooled.

    Returns:
        rows for each pair of :func:`finetune_pairs` on ``ckplus7`` (``split`` ``"paper"``,
        its ``split_seed`` and ``seed``) and for each model's complete set of fine-tuned and
        scratch subject folds pooled (``split`` ``"subject folds"``, every image tested
        once), three per comparison (``frames``: ``"all"``, ``"peak"``, ``"neutral"``),
        columns :data:`CKPLUS_FINETUNE_FRAME_COLUMNS` (:func:`paired_stats`).
    """
    rows = []
    for (model, dataset, split_seed, seed), (scratch, tuned) in finetune_pairs(runs, models=models).items():
        if dataset == "ckplus7":
            rows += _frame_rows(aligned_pair(_test_rows(scratch), _test_rows(tuned)),
                                model=model, split="paper", split_seed=split_seed, seed=seed)
    for model in models:
        pooled = pooled_subject_pair(runs, model=model, dataset="ckplus7", seed=subject_seed)
        if pooled["complete"]:
            rows += _frame_rows(pooled["pair"], model=model, split="subject folds", split_seed=np.nan,
                                seed=subject_seed)
    return pd.DataFrame(rows, columns=CKPLUS_FINETUNE_FRAME_COLUMNS)


def _frame_rows(pair, **keys) -> list:
    kinds = frame_kinds(pair["source"], pair["true"])
    return [{**keys, "frames": part, **paired_stats(pair, None if part == "all" else kinds == part)}
            for part in FRAME_PARTS]


# --------------------------------------------------------------------------- fine-tuned against scratch on the subject folds


def pooled_subject_pair(runs, *, model: int, dataset: str, seed: int = 0) -> dict:
    """One model's fine-tuned and scratch subject-independent folds of one data set
    (:func:`ferlib.results.subject_finetune_fold_runs`, :func:`ferlib.results.subject_fold_runs`)
    paired fold by fold and pooled.

    Returns:
        ``{"protocol", "of" (the folds of the evaluation), "folds" (paired folds present:
        ``{fold: (scratch, fine-tuned)}``), "complete" (every fold of both), "pair"}``:
        ``pair`` the pooled :func:`aligned_pair` of the folds present (every image tested
        once). Raises ``ValueError`` when two folds test one image or a fold's two runs test
        other images.
    """
    runs = list(runs)
    protocol, total = subject_protocol(dataset)
    scratch = subject_fold_runs(runs, models=(model,)).get((model, dataset, seed), {})
    tuned = subject_finetune_fold_runs(runs, models=(model,)).get((model, dataset, seed), {})
    folds = {fold: (scratch[fold], tuned[fold]) for fold in sorted(set(scratch) & set(tuned))}
    pairs = [aligned_pair(_test_rows(a), _test_rows(b)).assign(fold=fold) for fold, (a, b) in folds.items()]
    pair = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(
        columns=["source", "true", "scratch", "fine_tuned", "fold"])
    twice = pair["source"][pair["source"].duplicated()]
    if len(twice):
        raise ValueError(f"{twice.iloc[0]} is tested by two folds: these runs are not the folds of one "
                         f"subject-independent split")
    return {"protocol": protocol, "of": total, "folds": folds, "complete": len(folds) == total, "pair": pair}


SUBJECT_FINETUNE_COLUMNS = ["model", "seed", "dataset", "protocol", "split", "folds", "of", "complete",
                            "scratch_folds", "fine_tuned_folds", "n", "scratch", "fine_tuned", "gain",
                            "only_fine_tuned", "only_scratch", "p_value", "scratch_balanced",
                            "fine_tuned_balanced", "by_fold"]


def subject_finetune_comparison(runs, *, models=(2,), seed: int = 0) -> pd.DataFrame:
    """Fine-tuned against from scratch on people the networks have never seen: every
    subject-independent fold of both, pooled (each image tested once, by the fold that
    holds its person out) and paired image by image (exact McNemar test), and fold by fold.

    Args:
        runs: finished runs, e.g. every committed one.
        models: the models.
        seed: the training seed of the folds.

    Returns:
        one row per model and data set of :data:`ferlib.protocol.SUBJECT_EXPERIMENTS`
        (``jaffe``, ``ckplus7``), columns :data:`SUBJECT_FINETUNE_COLUMNS`: ``folds``
        (paired folds present) ``of`` the total, ``complete``, ``scratch_folds`` and
        ``fine_tuned_folds`` (committed of each); ``n`` the images of the paired folds;
        the pooled :func:`paired_stats` only when every fold of both is present (NaN
        otherwise, so a partial set is never read as the pooled result); ``by_fold``,
        ``{fold: (gain, McNemar p)}`` of each paired fold.
    """
    runs = list(runs)
    scratch_of, tuned_of = subject_fold_runs(runs, models=models), subject_finetune_fold_runs(runs, models=models)
    rows = []
    for model in models:
        for name in SUBJECT_EXPERIMENTS:
            dataset = protocol_dataset(name, "real")
            pooled = pooled_subject_pair(runs, model=model, dataset=dataset, seed=seed)
            by_fold = {}
            for fold, (scratch, tuned) in pooled["folds"].items():
                result = paired_stats(pooled["pair"], (pooled["pair"]["fold"] == fold).to_numpy())
                by_fold[fold] = (float(result["gain"]), float(result["p_value"]))
            row = {"model": model, "seed": seed, "dataset": dataset, "protocol": pooled["protocol"],
                   "split": f"{SUBJECT_PROTOCOL_TITLES[pooled['protocol']]}, {len(pooled['folds'])} of "
                            f"{pooled['of']} folds",
                   "folds": len(pooled["folds"]), "of": pooled["of"], "complete": pooled["complete"],
                   "scratch_folds": len(scratch_of.get((model, dataset, seed), {})),
                   "fine_tuned_folds": len(tuned_of.get((model, dataset, seed), {})), "by_fold": by_fold}
            result = paired_stats(pooled["pair"])
            if not pooled["complete"]:
                result = {name: np.nan for name in result}
            row.update(result, n=len(pooled["pair"]))
            rows.append(row)
    return pd.DataFrame(rows, columns=SUBJECT_FINETUNE_COLUMNS)


# --------------------------------------------------------------------------- over split seeds


def judge_pairs(results, rule: VerdictRule = VERDICT_RULE, *, single: bool = True) -> dict:
    """The state of one strand of :class:`VerdictRule` from its pairs' :func:`paired_stats`.

    Args:
        results: one dict of :func:`paired_stats` per training seed.
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
        runs: finished runs, e.g. every committed one (:func:`finetune_pairs`).
        report: the paper-split baselines report (:func:`read_baselines`) for HOG's accuracy
            on each split seed, or ``None``.
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
        result = paired_stats(aligned_pair(_test_rows(scratch), _test_rows(tuned)))
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
            anchor = [(seed, aligned_pair(_test_rows(s), _test_rows(t)))
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


# --------------------------------------------------------------------------- verdicts
# The decisions the book states, as data: each reads a table above (or runs) and returns
# counts, flags or rows, decided at the thresholds of ferlib.vocabulary.


def at_majority(row, *, level: float = SIGNIFICANCE) -> bool:
    """Whether a run (a row of :func:`baseline_comparison`: ``accuracy``, ``n``,
    ``majority``) is no better than always answering the test part's most frequent class
    (one-sided exact binomial test at ``level``); False where the majority share is unknown."""
    majority = getattr(row, "majority", np.nan)
    if not 0 < majority < 1:
        return False
    return not stats.above_chance(round(row.accuracy * row.n), int(row.n), majority, alpha=level)["above"]


def finetune_gain_counts(paired: pd.DataFrame, beside: pd.DataFrame | None = None, *,
                         level: float = SIGNIFICANCE) -> dict:
    """How many fine-tuning gains of :func:`finetune_comparison` are significant, and over
    what: ``{"pairs", "significant", "against_majority"}``, the pairs, the gains whose exact
    McNemar p is below ``level``, and those of them whose run from scratch is no better than
    the majority class (:func:`at_majority` of its row in ``beside``, a
    :func:`baseline_comparison`; 0 without it): a gain over such a run shows that the
    fine-tune learned, not that the transfer helped."""
    significant = paired[(paired["p_value"] < level) & (paired["gain"] > 0)] if len(paired) else paired
    at_floor = set()
    if beside is not None and len(beside):
        at_floor = {row.run for row in beside.itertuples() if at_majority(row, level=level)}
    against = int(significant["scratch_run"].isin(at_floor).sum()) if len(significant) else 0
    return {"pairs": int(len(paired)), "significant": int(len(significant)), "against_majority": against}


def against_hog(table: pd.DataFrame, *, level: float = SIGNIFICANCE) -> pd.Series:
    """Each network of ``table`` against HOG + logistic regression on the same test images
    (rows of :func:`baseline_comparison` or :func:`subject_cnn_comparison`, with
    ``cnn_minus_hog`` and ``p_vs_hog``): ``"above"`` or ``"below"`` where the exact McNemar
    p is below ``level`` with the network ahead or behind, else ``"same"`` (a missing p
    included); a ``(len(table),)`` str Series on the index of ``table``."""
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
    """:func:`hog_counts` of the protocol's runs of a :func:`baseline_comparison` (its rows
    with ``protocol`` true; none without that column)."""
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
    of a :func:`seed_table`, with ``learned``: whether the median balanced test accuracy over
    seeds reaches ``bar`` (always answering one class scores one over the classes)."""
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
