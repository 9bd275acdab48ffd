"""Test-set metrics with scikit-learn: accuracy, balanced accuracy, macro-F1,
per-class recall, confusion matrices, and per-image probabilities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ferlib.labels import EMOTIONS, NUM_CLASSES


def classification_metrics(y_true, probabilities) -> dict:
    """Metrics of predicted class probabilities against true labels.

    Args:
        y_true: ``(n,)`` int true class, 0..6.
        probabilities: ``(n, 7)`` float predicted probabilities (rows sum to 1).

    Returns:
        a JSON-ready dict: ``n``, ``accuracy``, ``accuracy_se`` (binomial standard
        error of the accuracy), ``balanced_accuracy``, ``macro_f1``,
        ``per_class_recall`` (class name -> recall, ``None`` when a class has no
        test image), ``confusion`` (rows = true class, columns = predicted, counts)
        and ``confusion_normalized`` (each row divided by its total).
    """
    y_true = np.asarray(y_true, dtype=int)
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or probabilities.shape != (len(y_true), NUM_CLASSES):
        raise ValueError(
            f"probabilities must have shape ({len(y_true)}, {NUM_CLASSES}), got {probabilities.shape}"
        )
    if len(y_true) == 0:
        raise ValueError("cannot evaluate on an empty test set")
    y_pred = probabilities.argmax(axis=1)
    labels = list(range(NUM_CLASSES))
    confusion = skm.confusion_matrix(y_true, y_pred, labels=labels)
    totals = confusion.sum(axis=1, keepdims=True)
    normalized = np.divide(confusion, totals, out=np.zeros(confusion.shape), where=totals > 0)
    present = np.unique(y_true)
    accuracy = float(skm.accuracy_score(y_true, y_pred))
    return {
        "n": int(len(y_true)),
        "accuracy": accuracy,
        "accuracy_se": math.sqrt(accuracy * (1 - accuracy) / len(y_true)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(skm.f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        "per_class_recall": {
            name: (float(normalized[i, i]) if totals[i, 0] else None) for i, name in enumerate(EMOTIONS)
        },
        "confusion": confusion.tolist(),
        "confusion_normalized": normalized.round(6).tolist(),
    }


def predictions_frame(y_true, probabilities, source=None) -> pd.DataFrame:
    """One row per test image: ``true``, ``predicted``, the 7 probabilities
    (columns ``p_angry`` ... ``p_neutral``) and, if given, the ``source`` of the image."""
    probabilities = np.asarray(probabilities, dtype=float)
    frame = pd.DataFrame({
        "true": np.asarray(y_true, dtype=int),
        "predicted": probabilities.argmax(axis=1),
    })
    for i, name in enumerate(EMOTIONS):
        frame[f"p_{name}"] = probabilities[:, i].round(6)
    if source is not None:
        frame["source"] = np.asarray(source, dtype=str)
    return frame


def metrics_from_predictions(frame: pd.DataFrame) -> dict:
    """Recompute :func:`classification_metrics` from a predictions table."""
    probs = frame[[f"p_{name}" for name in EMOTIONS]].to_numpy()
    return classification_metrics(frame["true"].to_numpy(), probs)


def confusion_frame(confusion, normalized=False) -> pd.DataFrame:
    """A labelled confusion matrix (rows: true class, columns: predicted class)."""
    table = pd.DataFrame(np.asarray(confusion), index=list(EMOTIONS), columns=list(EMOTIONS))
    table.index.name, table.columns.name = "true", "predicted"
    return table.round(3) if normalized else table
