"""The book's tables: pandas DataFrames built from data sets, models and finished runs,
with the paper's numbers (:mod:`ferlib.paper`) beside ours.

Accuracies are fractions 0..1; counts are ints. Every function returns a new
DataFrame and changes nothing it is given.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ferlib import paper
from ferlib.claims import (  # noqa: F401 (the book's pages read these tables from here)
    RESULTS_COLUMNS,
    accuracy_range,
    finetune_summary,
    range_table,
    results_table,
    scratch_vs_finetuned,
    test_size_audit,
)
from ferlib.config import PROFILES, RunConfig
from ferlib.epochs import training_updates
from ferlib.labels import EMOTIONS, NUM_CLASSES
from ferlib.stats import accuracy_bounds
from ferlib.store import training_seconds
from ferlib.vocabulary import PAPER_MODELS

def architecture_table(model_id: int) -> pd.DataFrame:
    """Our model's layers beside the paper's table, row by row (section 3).

    Returns:
        one row per layer: ``layer``, ``type``, ``output_shape``, ``params`` (ours),
        ``paper_output_shape``, ``paper_params`` and ``matches`` (True when name,
        shape and parameter count all agree).
    """
    # saves start-up time: Keras loads TensorFlow
    from ferlib.models import layer_table, paper_layer_table

    ours = layer_table(model_id).reset_index(drop=True)
    theirs = paper_layer_table(model_id).reset_index(drop=True)
    rows = max(len(ours), len(theirs))
    ours, theirs = ours.reindex(range(rows)), theirs.reindex(range(rows))
    table = ours.copy()
    table["paper_output_shape"] = theirs["output_shape"]
    table["paper_params"] = theirs["params"]
    table["matches"] = ((ours["layer"] == theirs["layer"])
                        & (ours["output_shape"] == theirs["output_shape"])
                        & (ours["params"] == theirs["params"]))
    return table


def parameter_table(models=PAPER_MODELS) -> pd.DataFrame:
    """Total and non-trainable parameter counts of our models and the paper's.

    Returns:
        one row per model: ``model``, ``params``, ``trainable``, ``non_trainable``,
        ``paper_params``, ``paper_non_trainable`` and ``matches`` (both counts equal).
    """
    # saves start-up time: Keras loads TensorFlow
    from ferlib.models import build_model, param_counts

    rows = []
    for model_id in models:
        total, trainable, frozen = param_counts(build_model(int(model_id)))
        paper_total, paper_frozen = paper.PARAM_COUNTS[int(model_id)]
        rows.append({"model": int(model_id), "params": total, "trainable": trainable,
                     "non_trainable": frozen, "paper_params": paper_total,
                     "paper_non_trainable": paper_frozen,
                     "matches": total == paper_total and frozen == paper_frozen})
    return pd.DataFrame(rows)


def training_label(source) -> str:
    """``None`` -> ``"scratch"``; a source data set -> ``"fine-tuned"``."""
    return "scratch" if source is None else "fine-tuned"


def runs_overview(runs: Mapping) -> pd.DataFrame:
    """One row per run of :func:`ferlib.protocol.reproduction_runs`: ``model``, ``dataset``,
    ``training``, ``run_id``, ``seed``, ``epochs``, ``learning_rate``, ``best_epoch``,
    ``train_images``, ``test_n``, ``accuracy`` (test), ``accuracy_low`` and
    ``accuracy_high`` (its 95% Wilson interval), ``train_time_s`` and ``resumed_from_epoch``.

    ``train_time_s`` is :func:`ferlib.store.training_seconds`: the seconds of all its epochs, also
    for a run that was stopped and resumed (the manifest's ``wall_time_s`` covers only
    the last process, which started after epoch ``resumed_from_epoch``)."""
    rows = []
    for (model, dataset, source), run in runs.items():
        rows.append({
            "model": model, "dataset": dataset, "training": training_label(source),
            "run_id": run.id, "seed": run.config.seed, "epochs": run.config.epochs,
            "learning_rate": run.config.learning_rate,
            "best_epoch": run.metrics.get("best_epoch"),
            "train_images": run.manifest.get("split_sizes", {}).get("train"),
            "test_n": run.metrics["test"]["n"], "accuracy": run.metrics["test"]["accuracy"],
            **dict(zip(("accuracy_low", "accuracy_high"),
                       accuracy_bounds(run.metrics["test"]["accuracy"], run.metrics["test"]["n"]))),
            "train_time_s": training_seconds(run),
            "resumed_from_epoch": run.manifest.get("resumed_from_epoch", 0),
        })
    columns = ["model", "dataset", "training", "run_id", "seed", "epochs", "learning_rate", "best_epoch",
               "train_images", "test_n", "accuracy", "accuracy_low", "accuracy_high", "train_time_s",
               "resumed_from_epoch"]
    return pd.DataFrame(rows, columns=columns)


def confused_pairs(confusion, *, top: int = 5) -> pd.DataFrame:
    """The most frequent mistakes in a confusion matrix.

    Args:
        confusion: ``(7, 7)`` counts, rows = true class, columns = predicted.
        top: how many pairs to return.

    Returns:
        up to ``top`` rows, most frequent first, of off-diagonal cells with a count
        above zero: ``true``, ``predicted``, ``count`` and ``share_of_true`` (the
        fraction of the true class's images predicted as ``predicted``).
    """
    confusion = np.asarray(confusion)
    if confusion.shape != (NUM_CLASSES, NUM_CLASSES):
        raise ValueError(f"confusion must have shape ({NUM_CLASSES}, {NUM_CLASSES}), got {confusion.shape}")
    totals = confusion.sum(axis=1)
    rows = [
        {"true": EMOTIONS[i], "predicted": EMOTIONS[j], "count": int(confusion[i, j]),
         "share_of_true": float(confusion[i, j] / totals[i])}
        for i in range(NUM_CLASSES) for j in range(NUM_CLASSES)
        if i != j and confusion[i, j] > 0
    ]
    table = pd.DataFrame(rows, columns=["true", "predicted", "count", "share_of_true"])
    return table.sort_values(["count", "share_of_true"], ascending=False).head(int(top)).reset_index(drop=True)


def default_training(dataset: str) -> str:
    """The training whose runs a section shows: FER2013 is only trained from scratch;
    JAFFE and CK+ show the fine-tuned runs, the paper's proposal."""
    return "scratch" if dataset == "fer2013" else "fine-tuned"


def select_run(runs: Mapping, dataset: str, *, training: str | None = None, model=None):
    """The run a section shows for one data set.

    Args:
        runs: ``{(model, dataset, source): Run}``.
        dataset: ``"fer2013"``, ``"ckplus"`` or ``"jaffe"``.
        training: ``"scratch"`` or ``"fine-tuned"``; default :func:`default_training`.
        model: a model id; ``None`` picks the model with the best *validation*
            accuracy (never the test accuracy), the lowest id on ties.

    Returns:
        ``((model, dataset, source), run)``.
    """
    training = default_training(dataset) if training is None else training
    candidates = {key: run for key, run in runs.items()
                  if key[1] == dataset and training_label(key[2]) == training
                  and (model is None or key[0] == int(model))}
    if not candidates:
        raise ValueError(f"no {training} run of {dataset!r}"
                         + (f" for model {model}" if model is not None else "")
                         + f" among {sorted(map(str, runs))}")
    return max(candidates.items(), key=lambda item: (item[1].metrics["val"]["accuracy"], -item[0][0]))


def histories_for(runs: Mapping, dataset: str) -> dict:
    """``{"Model m, training": history DataFrame}`` of every run on ``dataset``, by model."""
    found = {key: run for key, run in runs.items() if key[1] == dataset}
    if not found:
        raise ValueError(f"no runs of {dataset!r}")
    ordered = sorted(found, key=lambda key: (key[0], key[2] is not None))
    return {f"Model {key[0]}, {training_label(key[2])}": found[key].history for key in ordered}


def recall_table(runs: Mapping) -> pd.DataFrame:
    """Per-class test recall of every run: one row per run (``model``, ``dataset``,
    ``training``, ``accuracy``) and one column per class (NaN when the test set has
    none of that class)."""
    rows = []
    for (model, dataset, source), run in runs.items():
        test = run.metrics["test"]
        row = {"model": model, "dataset": dataset, "training": training_label(source),
               "accuracy": test["accuracy"]}
        row.update({name: (np.nan if value is None else value)
                    for name, value in test["per_class_recall"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def example_indices(labels, *, n: int = 4, seed: int = 0) -> np.ndarray:
    """``n`` row indices of distinct classes where possible, in class order (seeded).

    Classes are drawn at random among those present, one row each; when fewer
    than ``n`` classes are present the remaining rows come from any class.
    """
    labels = np.asarray(labels)
    if int(n) < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    if len(labels) == 0:
        raise ValueError("labels is empty")
    n = min(int(n), len(labels))
    rng = np.random.default_rng(seed)
    present = np.unique(labels)
    classes = rng.choice(present, size=min(n, len(present)), replace=False)
    chosen = [int(rng.choice(np.flatnonzero(labels == c))) for c in sorted(classes)]
    rest = np.setdiff1d(np.arange(len(labels)), chosen)
    chosen += [int(i) for i in rng.choice(rest, size=n - len(chosen), replace=False)]
    return np.array(chosen, dtype=int)


def pick_examples(predictions: pd.DataFrame, *, n: int = 4, part: str = "test",
                  seed: int = 0) -> pd.DataFrame:
    """``n`` rows of a run's predictions to show in the emotion analysis (Fig. 10):
    faces of ``part`` with distinct true classes where possible (:func:`example_indices`)."""
    if "part" in predictions.columns:
        predictions = predictions[predictions["part"] == part]
    if predictions.empty:
        raise ValueError(f"the predictions hold no {part!r} rows")
    return predictions.iloc[example_indices(predictions["true"].to_numpy(), n=n, seed=seed)]


def images_for_sources(dataset, sources) -> np.ndarray:
    """The images of ``dataset`` whose ``source`` equals each of ``sources``, in order.

    Raises ``ValueError`` naming the first source not found (the run was made from
    other data than the data given).
    """
    index = {s: i for i, s in enumerate(np.asarray(dataset.source))}
    rows = []
    for source in sources:
        if source not in index:
            raise ValueError(f"{dataset.name}: no image with source {source!r}; was the run "
                             f"trained on other data?")
        rows.append(index[source])
    return dataset.images[np.array(rows, dtype=int)]


def probability_columns(predictions: pd.DataFrame) -> np.ndarray:
    """The ``(n, 7)`` float probabilities of a predictions table (``p_<class>`` columns)."""
    return predictions[[f"p_{name}" for name in EMOTIONS]].to_numpy(dtype=float)


def updates_table(summaries: Mapping, *, profile: str = "paper") -> pd.DataFrame:
    """:func:`training_updates` of each data set under a profile's batch size, epochs
    and balancing (the profile's own settings; the runs' learning rates do not matter
    here).

    Args:
        summaries: ``{name: summary}`` with ``summary["counts"]["train"]`` as
            :func:`ferlib.results.dataset_summary` makes it.

    Returns:
        one row per data set: ``dataset`` and the keys of :func:`training_updates`.
    """
    preset = PROFILES[profile]
    balance = preset.get("balance", RunConfig.balance)
    rows = [{"dataset": name, **training_updates(summary["counts"]["train"], batch_size=preset["batch_size"],
                                                 epochs=preset["epochs"], balance=balance,
                                                 min_epoch_images=preset.get("min_epoch_images"))}
            for name, summary in summaries.items()]
    return pd.DataFrame(rows, columns=["dataset", "train_images", "epoch_images", "updates_per_epoch", "updates"])


def precision_check_table(cells) -> pd.DataFrame:
    """The bfloat16 equivalence check as a table, one row per cell of
    :func:`ferlib.precision_check.check_cells` (in its order).

    Columns: ``model``, ``dataset``; ``float32_seeds`` and ``bfloat16_seeds`` (how many
    runs of each precision); ``float32_mean``, ``float32_low``, ``float32_high`` (mean test
    accuracy and the seeds' range, fractions); ``bfloat16_mean``; ``difference`` (bfloat16
    minus float32, percentage points); ``seeds_by_seed`` (``"seed: float32 / bfloat16"``
    accuracies in percent, for the seeds with both); ``bfloat16_by_seed`` (the bfloat16
    accuracies in percent, seeds in order, e.g. ``"71.4, 69.0"``); ``verdict``: ``"equivalent"`` (within
    the margin), ``"equivalent (within the seed range)"``, ``"differs"``, or ``"waiting for
    N runs"``. Means and differences are missing (NaN) where a precision has no run.
    """
    rows = []
    for cell in cells:
        reference = {seed: run.metrics["test"]["accuracy"] for seed, run in cell["reference"].items()}
        checked = {seed: run.metrics["test"]["accuracy"] for seed, run in cell["checked"].items()}
        reference_mean = float(np.mean(list(reference.values()))) if reference else np.nan
        checked_mean = float(np.mean(list(checked.values()))) if checked else np.nan
        verdict = cell["verdict"]
        if verdict is None:
            words = f"waiting for {cell['waiting']} run" + ("s" if cell["waiting"] != 1 else "")
        elif verdict["within_margin"]:
            words = "equivalent"
        elif verdict["within_range"]:
            words = "equivalent (within the seed range)"
        else:
            words = "differs"
        paired = [f"{seed}: {100 * reference[seed]:.1f} / {100 * checked[seed]:.1f}"
                  for seed in sorted(set(reference) & set(checked))]
        by_seed = ", ".join(f"{100 * checked[seed]:.1f}" for seed in sorted(checked))
        rows.append({"model": cell["model"], "dataset": cell["dataset"],
                     "float32_seeds": len(reference), "bfloat16_seeds": len(checked),
                     "float32_mean": reference_mean,
                     "float32_low": min(reference.values()) if reference else np.nan,
                     "float32_high": max(reference.values()) if reference else np.nan,
                     "bfloat16_mean": checked_mean, "difference": 100 * (checked_mean - reference_mean),
                     "seeds_by_seed": "; ".join(paired), "bfloat16_by_seed": by_seed, "verdict": words})
    columns = ["model", "dataset", "float32_seeds", "bfloat16_seeds", "float32_mean", "float32_low",
               "float32_high", "bfloat16_mean", "difference", "seeds_by_seed", "bfloat16_by_seed", "verdict"]
    return pd.DataFrame(rows, columns=columns)
