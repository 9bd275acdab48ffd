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
from ferlib.labels import EMOTIONS, NUM_CLASSES
from ferlib.store import training_seconds

PARTS = ("train", "val", "test")


def class_split_table(dataset, split, *, paper_counts: Mapping | None = None) -> pd.DataFrame:
    """Images per class and split part of one data set (Table 1, per split).

    Args:
        dataset: a :class:`~ferlib.datasets.base.FaceDataset`.
        split: ``(n,)`` str array of ``"train"`` / ``"val"`` / ``"test"`` per row.
        paper_counts: optional ``{class: count}`` from the paper's Table 1, shown in
            a ``paper`` column.

    Returns:
        rows: the 7 classes then ``total``; columns ``train``, ``val``, ``test``,
        ``all`` (int counts), ``sequences`` when the data set has sequence ids
        (labelled sequences per class, what the paper counts for CK+), and
        ``paper`` when ``paper_counts`` is given.
    """
    split = np.asarray(split)
    if split.shape != (len(dataset),):
        raise ValueError(f"split must have shape ({len(dataset)},), got {split.shape}")
    labels = np.asarray(dataset.labels)
    table = pd.DataFrame(index=pd.Index(list(EMOTIONS), name="class"))
    for part in PARTS:
        table[part] = np.bincount(labels[split == part], minlength=NUM_CLASSES)
    table["all"] = np.bincount(labels, minlength=NUM_CLASSES)
    sequences = np.asarray(dataset.sequence)
    if (sequences != "").any():
        table["sequences"] = [len(set(sequences[(labels == c) & (sequences != "")]))
                              for c in range(NUM_CLASSES)]
    if paper_counts is not None:
        table["paper"] = [int(paper_counts.get(c, 0)) for c in EMOTIONS]
    table.loc["total"] = table.sum()
    return table.astype(int)


def architecture_table(model_id: int) -> pd.DataFrame:
    """Our model's layers beside the paper's table, row by row (section 3).

    Returns:
        one row per layer: ``layer``, ``type``, ``output_shape``, ``params`` (ours),
        ``paper_output_shape``, ``paper_params`` and ``matches`` (True when name,
        shape and parameter count all agree).
    """
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


def parameter_table(models=(1, 2, 3)) -> pd.DataFrame:
    """Total and non-trainable parameter counts of our models and the paper's.

    Returns:
        one row per model: ``model``, ``params``, ``trainable``, ``non_trainable``,
        ``paper_params``, ``paper_non_trainable`` and ``matches`` (both counts equal).
    """
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


def run_label(model, training=None, seed=None) -> str:
    """``"Model 2, fine-tuned, seed 1"``: a run as the book's tables name it."""
    parts = [f"Model {int(model)}"]
    if training is not None:
        parts.append(str(training))
    if seed is not None:
        parts.append(f"seed {int(seed)}")
    return ", ".join(parts)


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


def accuracy_bounds(accuracy, n, level: float = 0.95) -> tuple:
    """The Wilson interval ``(low, high)`` of an accuracy measured on ``n`` test images
    (:func:`ferlib.stats.accuracy_interval`); ``(nan, nan)`` when there is no accuracy."""
    from ferlib.stats import accuracy_interval

    if pd.isna(accuracy) or pd.isna(n) or int(n) < 1:
        return (np.nan, np.nan)
    return accuracy_interval(int(round(float(accuracy) * int(n))), int(n), level=level)


#: The columns of :func:`results_table`, in order.
RESULTS_COLUMNS = ["model", "dataset", "training", "paper", "ours", "ours_low", "ours_high", "difference",
                   "ours_se", "test_n"]


def results_table(runs: Mapping) -> pd.DataFrame:
    """Our test accuracy beside the paper's for every experiment (Tables 5-7): the rows of
    :func:`ferlib.claims.accuracy_claims` on the paper's own test sets (``merged=False``).

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
    from ferlib.claims import accuracy_claims

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
    for dataset in ("jaffe", "ckplus"):
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
    of :func:`ferlib.claims.accuracy_claims` on its own test sets (the sizes its text
    states: FER2013 3,589, JAFFE 42; none for CK+), with the smallest size that fits.

    Args:
        search: candidate sizes to try.

    Returns:
        one row per experiment: ``model``, ``dataset``, ``training``, ``paper``,
        ``stated_n``, ``stated_n_possible`` (bool, None when no size is stated) and
        ``smallest_possible_n`` (the smallest size in ``search`` that fits).
    """
    from ferlib.claims import accuracy_claims

    table = accuracy_claims({}, merged=False).rename(columns={"paper_possible": "stated_n_possible"})
    table["smallest_possible_n"] = [next(iter(paper.consistent_test_sizes(value, search)), None)
                                    for value in table["paper"]]
    return table[["model", "dataset", "training", "paper", "stated_n", "stated_n_possible",
                  "smallest_possible_n"]].reset_index(drop=True)


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


def training_updates(train_counts: Mapping, *, batch_size: int, epochs: int,
                     balance: str = "oversample", min_epoch_images: int | None = None) -> dict:
    """How much training a run gets: images per epoch and optimiser updates.

    Args:
        train_counts: ``{class: training images}`` (classes with 0 images are absent
            from training; a ``"total"`` entry is ignored).
        batch_size: images per update; the last, smaller batch of an epoch counts.
        epochs: epochs trained.
        balance: ``"oversample"`` (every present class drawn up to the largest, as
            :func:`ferlib.augment.balanced_indices` does) or ``"none"``.
        min_epoch_images: an epoch shorter than this is drawn up to this many images
            (:func:`ferlib.training.epoch_indices`); ``None``: one pass.

    Returns:
        ``{"train_images", "epoch_images", "updates_per_epoch", "updates"}``.
    """
    counts = [int(n) for name, n in train_counts.items() if name != "total" and int(n) > 0]
    if not counts:
        raise ValueError("train_counts has no class with training images")
    if batch_size < 1 or epochs < 1:
        raise ValueError(f"batch_size and epochs must be at least 1, got {batch_size} and {epochs}")
    if balance not in ("oversample", "none"):
        raise ValueError(f"balance must be 'oversample' or 'none', got {balance!r}")
    epoch_images = len(counts) * max(counts) if balance == "oversample" else sum(counts)
    if min_epoch_images is not None:
        epoch_images = max(epoch_images, int(min_epoch_images))
    per_epoch = -(-epoch_images // batch_size)
    return {"train_images": sum(counts), "epoch_images": epoch_images,
            "updates_per_epoch": per_epoch, "updates": per_epoch * epochs}


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
    from ferlib.config import PROFILES, RunConfig

    preset = PROFILES[profile]
    balance = preset.get("balance", RunConfig.balance)
    rows = [{"dataset": name, **training_updates(summary["counts"]["train"], batch_size=preset["batch_size"],
                                                 epochs=preset["epochs"], balance=balance,
                                                 min_epoch_images=preset.get("min_epoch_images"))}
            for name, summary in summaries.items()]
    return pd.DataFrame(rows, columns=["dataset", "train_images", "epoch_images", "updates_per_epoch", "updates"])
