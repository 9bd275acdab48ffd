"""Non-CNN baselines on exactly the splits the CNNs use.

Three baselines, by name (:data:`BASELINES`):

- ``"majority"``: always the most frequent class of the training part;
- ``"logistic_pixels"``: standardised raw pixels (48 x 48 = 2,304 features) into a
  multinomial logistic regression;
- ``"hog_logistic"``: HOG features (:func:`hog_features`, 900 per image) into the same
  logistic regression.

The logistic regressions choose their inverse regularisation ``C`` from
:data:`C_GRID` by accuracy on the *val* part of the split (fitted on the train part
only); the model fitted on train with that ``C`` is then evaluated once on the test
part. The test part is never seen while choosing.

    dataset = load_data("jaffe", data_dir="data")
    split = splits.make_split(dataset, "paper", seed=0)
    result = fit_baseline("hog_logistic", dataset, split)
    result["test"]["accuracy"], result["test_predictions"]

:func:`baseline_table` runs all three on several data sets and split seeds and returns
the JSON-ready report that ``python -m ferlib baselines --save`` writes.
"""

from __future__ import annotations

import time
import warnings

import cv2
import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ferlib import splits, stats
from ferlib.evaluation import classification_metrics
from ferlib.experiment import limit_rows, load_data
from ferlib.labels import EMOTIONS, NUM_CLASSES
from ferlib.vocabulary import AUDIT_DATASETS, BASELINES, SUBJECT_PROTOCOLS

#: Inverse regularisation strengths tried on the val part.
C_GRID = (0.0001, 0.001, 0.01, 0.1, 1.0)
#: lbfgs iterations allowed; a fit that needs more is reported as not converged.
MAX_ITER = 3000
#: The HOG configuration for 48 x 48 faces (OpenCV ``cv2.HOGDescriptor``): 8 x 8-pixel
#: cells, 16 x 16-pixel blocks (2 x 2 cells) moved 8 pixels at a time (5 x 5 blocks),
#: 9 unsigned orientation bins, L2-Hys block normalisation: 5 * 5 * 4 * 9 = 900 features.
HOG = {"win_size": (48, 48), "block_size": (16, 16), "block_stride": (8, 8),
       "cell_size": (8, 8), "nbins": 9}
#: Data set -> baseline -> at most this many training images (stratified by class,
#: seeded by the split seed; val and test are never cut). On the 2-core development
#: machine (shared with a training job, one thread per fit) the pixel logistic
#: regression on all 28,709 FER2013 training images would take about 8 minutes over the
#: C grid (lbfgs needs 2,000+ iterations at C = 1); on 10,000 it took 143 s. HOG
#: features (900) on all of FER2013 took 42 s, so they are not cut.
TRAIN_CAPS = {"fer2013": {"logistic_pixels": 10000}}


def hog_features(images) -> np.ndarray:
    """HOG descriptors of ``(n, 48, 48)`` uint8 images: ``(n, 900)`` float32 (see :data:`HOG`)."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != tuple(HOG["win_size"]) or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 of shape (n, 48, 48), got {images.dtype} {images.shape}")
    hog = cv2.HOGDescriptor(HOG["win_size"], HOG["block_size"], HOG["block_stride"],
                            HOG["cell_size"], HOG["nbins"])
    out = np.empty((len(images), hog.getDescriptorSize()), np.float32)
    for i, image in enumerate(images):
        out[i] = hog.compute(np.ascontiguousarray(image)).ravel()
    return out


def pixel_features(images) -> np.ndarray:
    """Raw grey levels of ``(n, 48, 48)`` images as ``(n, 2304)`` float32."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32)


FEATURES = {"logistic_pixels": pixel_features, "hog_logistic": hog_features}


def logistic_model(C, seed=0):
    """StandardScaler then a multinomial (lbfgs) logistic regression with inverse
    regularisation ``C``."""
    return make_pipeline(StandardScaler(),
                         LogisticRegression(C=C, max_iter=MAX_ITER, random_state=seed))


def class_probabilities(model, x) -> np.ndarray:
    """``(n, 7)`` probabilities: the model's ``predict_proba`` placed in the columns of
    its classes (classes absent from training get 0)."""
    probs = np.zeros((len(x), NUM_CLASSES))
    probs[:, model.classes_] = model.predict_proba(x)
    return probs


def select_c(x_train, y_train, x_val, y_val, *, grid=C_GRID, seed=0, threads=1):
    """Fit one logistic model per ``C`` on train, score it on val.

    Args:
        x_train, y_train: ``(n_train, d)`` features, ``(n_train,)`` labels.
        x_val, y_val: ``(n_val, d)``, ``(n_val,)``: the val part, never the test part.

    Returns:
        ``(C, model, val_accuracy_by_C, converged)``: the ``C`` with the highest val
        accuracy (ties: the smaller, more regularised ``C``), its model fitted on train,
        ``{C: val accuracy}``, and whether lbfgs converged for that model.

    ``threads`` caps the BLAS and OpenMP threads of the fits (``threadpoolctl``;
    ``None``: the libraries' default). One thread is the default because these fits
    are small: on the 2-core development machine, busy with other work, lbfgs with the
    default 2 threads ran about 100 times slower than with one.
    """
    best, scores = None, {}
    for C in sorted(grid):
        model = logistic_model(C, seed)
        with warnings.catch_warnings(record=True) as caught, threadpool_limits(threads):
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(x_train, y_train)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        scores[C] = float((model.predict(x_val) == y_val).mean())
        if best is None or scores[C] > scores[best[0]]:
            best = (C, model, converged)
    return best[0], best[1], scores, best[2]


def _check_inputs(name, dataset, split):
    if name not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {name!r}")
    split = np.asarray(split)
    if split.shape != (len(dataset),):
        raise ValueError(f"split must have shape ({len(dataset)},) like the data set, got {split.shape}")
    for part in ("train", "val", "test"):
        if not (split == part).any():
            raise ValueError(f"split has no {part!r} rows")
    return split


def fit_baseline(name, dataset, split, seed=0, *, max_train=None, c_grid=C_GRID, threads=1) -> dict:
    """Fit baseline ``name`` on the train part, choose ``C`` on val, evaluate on test.

    Args:
        name: one of :data:`BASELINES`.
        dataset: a :class:`~ferlib.datasets.FaceDataset` with ``n`` rows.
        split: ``(n,)`` str ``"train"`` / ``"val"`` / ``"test"`` aligned with the rows,
            e.g. from :func:`ferlib.splits.make_split` or :func:`ferlib.experiment.prepare`.
        seed: seeds the stratified cut of the train part (``max_train``) and the
            model's ``random_state`` (lbfgs itself is deterministic).
        max_train: use at most this many training rows, stratified by class
            (:func:`ferlib.experiment.limit_rows`); ``None`` uses them all.
        c_grid: the ``C`` values tried on val.
        threads: BLAS / OpenMP threads of the fits (see :func:`select_c`).

    Returns:
        a dict: ``baseline``, ``dataset``, ``train_n`` (rows fitted),
        ``train_n_available``, ``C`` (``None`` for ``majority``), ``val_accuracy_by_C``,
        ``converged``, ``seconds``, ``val`` and ``test``
        (:func:`~ferlib.evaluation.classification_metrics`), and ``test_predictions``,
        a DataFrame with one row per test image: ``row`` (index in ``dataset``),
        ``source``, ``true``, ``predicted``, ``correct``.

    The test rows keep the data set's row order, as ``train_run`` writes them in a
    CNN run's ``predictions.csv.gz`` (its rows with ``part == "test"``, after the val
    rows): with the same data set and split the two line up row for row, which
    :func:`paired_correctness` checks through ``source``.
    """
    split = _check_inputs(name, dataset, split)
    started = time.perf_counter()
    rows = {part: np.flatnonzero(split == part) for part in ("train", "val", "test")}
    available = len(rows["train"])
    if max_train is not None:
        keep = limit_rows(dataset.labels, split, int(max_train), seed)
        rows["train"] = rows["train"][keep[rows["train"]]]
    y = {part: dataset.labels[idx] for part, idx in rows.items()}
    chosen, scores, converged = None, {}, None
    if name == "majority":
        majority = int(np.bincount(y["train"], minlength=NUM_CLASSES).argmax())
        probs = {part: np.tile(np.eye(NUM_CLASSES)[majority], (len(idx), 1)) for part, idx in rows.items()}
    else:
        x = {part: FEATURES[name](dataset.images[idx]) for part, idx in rows.items()}
        chosen, model, scores, converged = select_c(x["train"], y["train"], x["val"], y["val"],
                                                    grid=c_grid, seed=seed, threads=threads)
        probs = {part: class_probabilities(model, x[part]) for part in ("val", "test")}
    predicted = probs["test"].argmax(axis=1)
    return {
        "baseline": name,
        "dataset": dataset.name,
        "train_n": int(len(rows["train"])),
        "train_n_available": int(available),
        "C": chosen,
        "val_accuracy_by_C": scores,
        "converged": converged,
        "seconds": round(time.perf_counter() - started, 3),
        "val": classification_metrics(y["val"], probs["val"]),
        "test": classification_metrics(y["test"], probs["test"]),
        "test_predictions": pd.DataFrame({
            "row": rows["test"], "source": dataset.source[rows["test"]], "true": y["test"],
            "predicted": predicted, "correct": predicted == y["test"],
        }),
    }


def paired_correctness(sources, correct, predictions: pd.DataFrame):
    """Line a baseline's test images up with a CNN run's and return both correctness arrays.

    Args:
        sources: ``(m,)`` the baseline's test images (``source`` names, in order).
        correct: ``(m,)`` bool (or a string of ``0``/``1``), the baseline right or not.
        predictions: a CNN run's ``predictions.csv.gz`` (``part``, ``true``,
            ``predicted``, ``source``); its ``part == "test"`` rows are used.

    Returns:
        ``(baseline_correct, cnn_correct)``, two ``(m,)`` bool arrays in the same order,
        ready for :func:`ferlib.stats.mcnemar_exact`. Raises ``ValueError`` when the two
        test sets are not the same images in the same order.
    """
    if isinstance(correct, str):
        correct = np.array([c == "1" for c in correct])
    correct = np.asarray(correct, dtype=bool)
    sources = np.asarray(sources, dtype=str)
    test = predictions[predictions["part"] == "test"]
    if len(test) != len(sources) or len(correct) != len(sources):
        raise ValueError(f"test sets differ in size: baseline {len(sources)} sources and "
                         f"{len(correct)} flags, CNN run {len(test)} test rows")
    mismatch = np.flatnonzero(test["source"].to_numpy(dtype=str) != sources)
    if len(mismatch):
        raise ValueError(f"test rows differ: first at row {mismatch[0]} "
                         f"(baseline {sources[mismatch[0]]!r}, CNN {test['source'].iloc[mismatch[0]]!r})")
    return correct, (test["true"].to_numpy() == test["predicted"].to_numpy())


# --------------------------------------------------------------------------- the table


def _short_metrics(metrics) -> dict:
    return {k: metrics[k] for k in ("n", "accuracy", "balanced_accuracy", "macro_f1")}


def baseline_record(result, split_seeds) -> dict:
    """The JSON form of a :func:`fit_baseline` result: metrics, the Wilson 95% interval
    of the test accuracy, and test correctness as a string of ``0``/``1`` per test row."""
    test = result["test"]
    correct = result["test_predictions"]["correct"].to_numpy()
    return {
        "dataset": result["dataset"],
        "split_seeds": list(split_seeds),
        "baseline": result["baseline"],
        "C": result["C"],
        "val_accuracy_by_C": {f"{c:g}": v for c, v in result["val_accuracy_by_C"].items()},
        "converged": result["converged"],
        "train_n": result["train_n"],
        "train_n_available": result["train_n_available"],
        "seconds": result["seconds"],
        "val": _short_metrics(result["val"]),
        "test": {**{k: v for k, v in test.items() if k != "confusion_normalized"},
                 "accuracy_wilson95": list(stats.accuracy_interval(int(correct.sum()), len(correct)))},
        "test_correct": "".join("1" if c else "0" for c in correct),
        "test_predicted": "".join(str(int(p)) for p in result["test_predictions"]["predicted"]),
    }


def baseline_table(data_dir=None, datasets=AUDIT_DATASETS, seeds=(0, 1, 2),
                   protocol="paper", *, baselines=BASELINES, cache_dir=None, synthetic_size=None,
                   train_caps=TRAIN_CAPS, threads=1, log=None) -> dict:
    """Every baseline on every data set and split seed: a JSON-ready report.

    Args:
        data_dir: root of the real data sets; ``None``: synthetic stand-ins
            (:func:`ferlib.experiment.load_data` with ``synthetic_size``, data seed 0).
        datasets: data set names.
        seeds: split seeds (``split_seed`` of a run config). A seed whose split equals
            an earlier seed's (FER2013's official split) is not run again: its record
            lists all the seeds it stands for in ``split_seeds``.
        protocol: split protocol (:func:`ferlib.splits.make_split`).
        baselines: names from :data:`BASELINES`.
        train_caps: data set name -> baseline -> most training rows
            (:data:`TRAIN_CAPS`); ``{}`` uses every training row everywhere.
        threads: BLAS / OpenMP threads of the fits (see :func:`select_c`).
        log: called with a line per fit (e.g. ``print``), or ``None``.

    Returns:
        ``{"protocol", "data", "c_grid", "hog", "train_caps", "classes", "versions",
        "datasets", "splits", "results"}``: ``datasets`` has per data set its size,
        classes present and loader notes; ``splits`` per data set and split the
        ``split_seeds``, part sizes, test
        ``sources`` (relative to the data root, as the loaders give them) and test
        ``labels`` (a string of class digits); ``results`` one :func:`baseline_record`
        per data set, split and baseline, whose ``test_correct`` lines up with the
        split's ``sources``.
    """
    report = {"protocol": protocol, "data": "synthetic" if data_dir is None else "real",
              "c_grid": list(C_GRID), "hog": {k: list(v) if isinstance(v, tuple) else v for k, v in HOG.items()},
              "train_caps": dict(train_caps), "classes": list(EMOTIONS), "versions": _versions(),
              "datasets": {}, "splits": [], "results": []}
    for name in datasets:
        dataset = load_data(name, data_dir=data_dir, synthetic_size=synthetic_size, data_seed=0,
                            cache_dir=cache_dir)
        report["datasets"][dataset.name] = {
            "images": len(dataset), "classes_present": [EMOTIONS[i] for i in np.unique(dataset.labels)],
            "notes": list(dataset.notes)}
        for split_seeds, split in splits.distinct_splits(dataset, protocol, seeds):
            test = split == "test"
            report["splits"].append({
                "dataset": dataset.name, "split_seeds": list(split_seeds),
                "sizes": {p: int((split == p).sum()) for p in ("train", "val", "test")},
                "sources": dataset.source[test].tolist(),
                "labels": "".join(str(int(v)) for v in dataset.labels[test]),
            })
            for baseline in baselines:
                cap = train_caps.get(splits.base_name(name), {}).get(baseline)
                result = fit_baseline(baseline, dataset, split, seed=split_seeds[0], max_train=cap,
                                      threads=threads)
                record = baseline_record(result, split_seeds)
                report["results"].append(record)
                if log is not None:
                    log(f"{dataset.name} split seed {','.join(map(str, split_seeds))} {baseline}: "
                        f"test accuracy {record['test']['accuracy']:.4f} (C={result['C']}, "
                        f"{result['train_n']} training rows, {result['seconds']:.1f} s)")
    return report


def _versions() -> dict:
    return {"numpy": np.__version__, "scikit-learn": sklearn.__version__, "scipy": scipy.__version__,
            "opencv": cv2.__version__}


def baseline_frame(report) -> pd.DataFrame:
    """One row per record of a :func:`baseline_table` report, for printing."""
    rows = []
    for r in report["results"]:
        low, high = r["test"]["accuracy_wilson95"]
        rows.append({
            "dataset": r["dataset"], "seeds": ",".join(map(str, r["split_seeds"])),
            "baseline": r["baseline"], "C": "" if r["C"] is None else f"{r['C']:g}",
            "train n": r["train_n"], "test n": r["test"]["n"], "accuracy": r["test"]["accuracy"],
            "95% Wilson": f"[{low:.3f}, {high:.3f}]", "balanced": r["test"]["balanced_accuracy"],
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- subject-independent


def cross_validated_baselines(dataset, protocol: str, *, k: int | None = None, seed: int = 0,
                              baselines=BASELINES, threads: int = 1) -> dict:
    """Every baseline over every fold of a subject-independent protocol; each image is
    tested exactly once, by the fold that holds its subject out.

    Args:
        dataset: a loaded data set with subject ids.
        protocol: ``"loso"`` or ``"subject-kfold"`` (:mod:`ferlib.splits`).
        k: folds of ``"subject-kfold"`` (ignored for ``"loso"``).
        seed: the split seed (order of subjects).

    Returns:
        ``{"protocol", "k", "folds", "images", "sources": [...], "results": [{"baseline",
        "accuracy", "low", "high", "fold_accuracy": [...], "correct": "0101..."}]}``:
        ``accuracy`` pooled over all images (each tested once) with its 95% Wilson
        interval; ``correct`` in the data set's row order, which ``sources`` names (so
        that a CNN's folds can be paired with a baseline image by image).
    """
    if protocol == "loso":
        folds = splits.leave_one_subject_out(dataset, seed=seed)
    elif protocol == "subject-kfold":
        folds = splits.subject_kfold(dataset, int(k), seed=seed)
    else:
        raise ValueError(f"protocol must be 'loso' or 'subject-kfold', got {protocol!r}")
    results = []
    for baseline in baselines:
        correct = np.zeros(len(dataset), dtype=bool)
        tested = np.zeros(len(dataset), dtype=int)
        per_fold = []
        for split in folds:
            result = fit_baseline(baseline, dataset, split, seed=seed, threads=threads)
            rows = np.flatnonzero(split == "test")
            correct[rows] = result["test_predictions"]["correct"].to_numpy(dtype=bool)
            tested[rows] += 1
            per_fold.append(round(float(result["test"]["accuracy"]), 4))
        if not (tested == 1).all():
            raise ValueError(f"{dataset.name} {protocol}: every image must be tested once, "
                             f"counts {np.bincount(tested).tolist()}")
        low, high = stats.accuracy_interval(int(correct.sum()), len(correct))
        results.append({"baseline": baseline, "accuracy": float(correct.mean()), "low": low, "high": high,
                        "fold_accuracy": per_fold, "correct": "".join("1" if c else "0" for c in correct)})
    return {"dataset": dataset.name, "protocol": protocol, "k": len(folds), "folds": len(folds),
            "images": len(dataset), "seed": seed, "sources": [str(s) for s in dataset.source],
            "results": results}
