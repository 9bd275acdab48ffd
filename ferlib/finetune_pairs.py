"""Fine-tuned against from scratch, image by image: the pairs, the CK+ frames apart, the
subject folds pooled.

A fine-tune and its run from scratch of the same training seed, on the same split, test
the same images; lined up image by image (:func:`aligned_pair`), the two are compared with
an exact McNemar test on the images only one of them got right (:func:`paired_stats`).

- :func:`finetune_pairs`: every fine-tune with its run from scratch, on the paper's split
  and on other split seeds;
- :func:`frame_kinds`: which seven-class CK+ images are peak (expression) frames and which
  neutral first frames; :func:`ckplus_frame_accuracy`: each CK+ run on the two apart;
  :func:`ckplus_finetune_frames`: each CK+ pair tested on the two apart;
- :func:`pooled_subject_pair`: the subject-independent folds of both pooled, each image
  tested once; :func:`subject_finetune_comparison`: those pooled folds compared, and fold
  by fold.

:mod:`ferlib.verdicts` judges these pairs by its rule.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score

from ferlib import stats
from ferlib.datasets.ckplus import frame_kind
from ferlib.labels import label_index
from ferlib.protocol import SUBJECT_EXPERIMENTS, protocol_dataset, subject_protocol
from ferlib.results import (
    protocol_seed_runs,
    split_seed_runs,
    subject_finetune_fold_runs,
    subject_fold_runs,
)
from ferlib.vocabulary import PAPER_MODELS, SUBJECT_PROTOCOL_TITLES


# --------------------------------------------------------------------------- paired fine-tunes, frame by frame


def _balanced(true, predicted) -> float:
    """Balanced accuracy (mean recall over the classes present in ``true``); NaN when empty."""
    if len(true) == 0:
        return float("nan")
    with warnings.catch_warnings():  # a class predicted but absent from true: its recall is dropped
        warnings.simplefilter("ignore")
        return float(balanced_accuracy_score(true, predicted))


def prediction_rows(run) -> pd.DataFrame:
    """A run's test rows: ``source``, ``true``, ``predicted``."""
    test = run.predictions[run.predictions["part"] == "test"]
    return test[["source", "true", "predicted"]].astype({"source": str}).reset_index(drop=True)


def aligned_pair(scratch_rows: pd.DataFrame, tuned_rows: pd.DataFrame) -> pd.DataFrame:
    """Two networks' test rows (:func:`prediction_rows`, or several folds' concatenated) lined up
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
        test = prediction_rows(run)
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
            rows += _frame_rows(aligned_pair(prediction_rows(scratch), prediction_rows(tuned)),
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
    pairs = [aligned_pair(prediction_rows(a), prediction_rows(b)).assign(fold=fold) for fold, (a, b) in folds.items()]
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
