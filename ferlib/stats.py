"""Honest statistics for test accuracies, with :mod:`scipy.stats` doing the arithmetic.

- :func:`accuracy_interval`: a binomial confidence interval of one accuracy
  (Wilson or Clopper-Pearson), and :func:`accuracy_bounds` of an accuracy that may be missing;
- :func:`above_chance`: is one accuracy better than guessing? (one-sided exact
  binomial test against, e.g., always answering the most frequent class);
- :func:`mcnemar_exact`: are two models' accuracies on the *same* test images
  different? (exact McNemar test on the images where they disagree);
- :func:`bootstrap_accuracy_interval`: an interval that resamples whole groups of
  images (CK+ sequences, whose frames are near-duplicates, or subjects);
- :func:`seed_summary`: mean, spread and t-interval of one result over seeds;
- :func:`paired_seed_test`: two settings compared seed by seed (e.g. fine-tuned vs
  from scratch).

Every function checks its inputs and raises a ``ValueError`` naming the parameter at
fault; results are plain Python (JSON-ready), ``None`` where a quantity is undefined.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats as st

from ferlib.vocabulary import SIGNIFICANCE

#: ``method`` of :func:`accuracy_interval` -> scipy's ``proportion_ci`` method.
INTERVAL_METHODS = {"wilson": "wilson", "clopper-pearson": "exact"}


def _check_level(level):
    level = float(level)
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return level


def _count(value, name):
    try:
        whole = float(value).is_integer()
    except (TypeError, ValueError):
        whole = False
    if isinstance(value, bool) or not whole:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _flags(values, name) -> np.ndarray:
    """A 1-D boolean array from booleans or 0/1 numbers; ValueError naming ``name``."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one entry per test image), got shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name} is empty")
    if array.dtype == bool:
        return array
    if array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold booleans or 0/1 (correct or not per image)")
    return array.astype(bool)


def _numbers(values, name) -> np.ndarray:
    """A non-empty 1-D float array of finite numbers; ValueError naming ``name``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per seed), got shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def _correct_of_n(correct, n) -> tuple:
    """``(correct, n)`` as ints, checked: ``n >= 1`` and ``0 <= correct <= n``."""
    correct, n = _count(correct, "correct"), _count(n, "n")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= correct <= n:
        raise ValueError(f"correct must lie in 0..n ({n}), got {correct}")
    return correct, n


def accuracy_interval(correct, n, level=0.95, method="wilson") -> tuple:
    """Confidence interval of an accuracy of ``correct`` right out of ``n`` test images.

    Args:
        correct: number of correctly classified images, ``0 <= correct <= n``.
        n: number of test images, ``n >= 1``.
        level: confidence level, e.g. 0.95.
        method: ``"wilson"`` (score interval, no continuity correction) or
            ``"clopper-pearson"`` (exact, conservative); both from
            ``scipy.stats.binomtest(correct, n).proportion_ci``.

    Returns:
        ``(low, high)`` floats in ``[0, 1]``.

    The images are treated as independent draws; where they are not (near-duplicate
    frames of one CK+ sequence) use :func:`bootstrap_accuracy_interval`.
    """
    correct, n = _correct_of_n(correct, n)
    level = _check_level(level)
    if method not in INTERVAL_METHODS:
        raise ValueError(f"method must be one of {sorted(INTERVAL_METHODS)}, got {method!r}")
    ci = st.binomtest(correct, n).proportion_ci(confidence_level=level, method=INTERVAL_METHODS[method])
    return float(ci.low), float(ci.high)


def accuracy_bounds(accuracy, n, level: float = 0.95) -> tuple:
    """The Wilson interval ``(low, high)`` of an accuracy (a fraction) measured on ``n``
    test images (:func:`accuracy_interval`); ``(nan, nan)`` when there is no accuracy."""
    if pd.isna(accuracy) or pd.isna(n) or int(n) < 1:
        return (np.nan, np.nan)
    return accuracy_interval(int(round(float(accuracy) * int(n))), int(n), level=level)


def above_chance(correct, n, chance, alpha=SIGNIFICANCE) -> dict:
    """Whether ``correct`` right out of ``n`` test images beats a guess that is right with
    probability ``chance``.

    A one-sided exact binomial test (``scipy.stats.binomtest``). For ``chance`` use the
    share of the test part's most frequent class (what always answering that class
    scores) or one over the number of classes. On 42 JAFFE test images (7 classes,
    ``chance = 1/7``) it takes 11 right (26%) to pass at ``alpha = 0.05``.

    Returns:
        ``{"chance": chance, "p_value": float, "above": p_value < alpha}``.
    """
    correct, n = _correct_of_n(correct, n)
    chance = float(chance)
    if not 0 < chance < 1:
        raise ValueError(f"chance must lie in (0, 1), got {chance}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    p_value = float(st.binomtest(correct, n, chance, alternative="greater").pvalue)
    return {"chance": chance, "p_value": p_value, "above": p_value < alpha}


def mcnemar_exact(correct_a, correct_b) -> dict:
    """Exact McNemar test of two classifiers on the same test images.

    Args:
        correct_a: ``(n,)`` bool (or 0/1), whether classifier A got each image right.
        correct_b: ``(n,)`` bool (or 0/1), classifier B on the same images, same order.

    Returns:
        a dict: ``n``; ``b`` (images A got right and B wrong); ``c`` (A wrong, B
        right); ``accuracy_a``, ``accuracy_b``, ``difference`` (``accuracy_a -
        accuracy_b`` = ``(b - c) / n``); ``p_value``, the two-sided exact binomial
        test of ``b`` out of ``b + c`` discordant images against 1/2
        (``scipy.stats.binomtest``), 1.0 when there are no discordant images.
    """
    a, b_ = _flags(correct_a, "correct_a"), _flags(correct_b, "correct_b")
    if len(a) != len(b_):
        raise ValueError(f"correct_a has {len(a)} images, correct_b {len(b_)}: "
                         "McNemar's test needs the same test images in the same order")
    b = int((a & ~b_).sum())
    c = int((~a & b_).sum())
    p_value = float(st.binomtest(b, b + c, 0.5).pvalue) if b + c else 1.0
    return {
        "n": int(len(a)),
        "b": b,
        "c": c,
        "accuracy_a": float(a.mean()),
        "accuracy_b": float(b_.mean()),
        "difference": float(a.mean() - b_.mean()),
        "p_value": min(p_value, 1.0),
    }


def _group_totals(correct, groups):
    """Per group: number right ``(g,)`` and number of images ``(g,)``."""
    if groups is None:
        return correct.astype(float), np.ones(len(correct))
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != len(correct):
        raise ValueError(f"groups must be 1-D with one entry per image ({len(correct)}), "
                         f"got shape {groups.shape}")
    codes = np.unique(groups, return_inverse=True)[1]
    return (np.bincount(codes, weights=correct.astype(float)),
            np.bincount(codes).astype(float))


def _pooled_accuracy(right, images, axis=-1):
    return right.sum(axis=axis) / images.sum(axis=axis)


def bootstrap_accuracy_interval(correct, groups=None, level=0.95, n_boot=2000, seed=0) -> tuple:
    """Percentile bootstrap interval of the accuracy, resampling whole groups.

    Args:
        correct: ``(n,)`` bool (or 0/1), whether each test image was classified right.
        groups: ``(n,)`` group id per image (e.g. the CK+ sequence or the subject), or
            ``None`` for independent images (each image its own group). At least two
            groups are needed.
        level: confidence level.
        n_boot: number of bootstrap resamples (at least 100).
        seed: seed of the resampling; the same seed gives the same interval.

    Returns:
        ``(low, high)``.

    Method: a cluster bootstrap with ``scipy.stats.bootstrap`` (``paired=True``,
    ``method="percentile"``) on the per-group pairs (images right, images in group):
    each resample draws ``g`` groups with replacement and takes the pooled accuracy
    ``sum(right) / sum(images)`` of those groups. Images of one group therefore move
    together, so near-duplicate frames are not counted as independent evidence.
    """
    correct = _flags(correct, "correct")
    level = _check_level(level)
    n_boot = _count(n_boot, "n_boot")
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100, got {n_boot}")
    right, images = _group_totals(correct, groups)
    if len(right) < 2:
        raise ValueError("groups: the bootstrap needs at least 2 groups, got 1")
    result = st.bootstrap((right, images), _pooled_accuracy, paired=True, vectorized=True,
                          n_resamples=n_boot, confidence_level=level, method="percentile",
                          rng=np.random.default_rng(seed))
    ci = result.confidence_interval
    return float(ci.low), float(ci.high)


def seed_summary(values, level=0.95) -> dict:
    """Summary of one result (e.g. test accuracy) over ``n`` training seeds.

    Args:
        values: ``(n,)`` finite numbers, one per seed.
        level: confidence level of the interval of the mean.

    Returns:
        a dict: ``n``, ``mean``, ``sd`` (``ddof=1``), ``min``, ``max``, ``median`` and
        ``interval``, the t-interval ``mean +/- t(level, n-1) * sd / sqrt(n)`` of the
        mean (``scipy.stats.t``). For ``n == 1`` the spread is unknown: ``sd`` and
        ``interval`` are ``None``. The interval is not clipped: with few, spread-out
        seeds an accuracy's interval can pass 1, which says how little 3 seeds pin down.
    """
    x = _numbers(values, "values")
    level = _check_level(level)
    n, mean = len(x), float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else None
    interval = None
    if sd is not None:
        half = float(st.t.ppf(0.5 + level / 2, df=n - 1)) * sd / math.sqrt(n)
        interval = (mean - half, mean + half)
    return {
        "n": n, "mean": mean, "sd": sd, "min": float(x.min()), "max": float(x.max()),
        "median": float(np.median(x)), "interval": interval,
    }


def paired_seed_test(a, b) -> dict:
    """Compare two settings seed by seed (``a[i]`` and ``b[i]`` share seed ``i``).

    Args:
        a: ``(n,)`` result per seed of setting A (e.g. fine-tuned test accuracy).
        b: ``(n,)`` result per seed of setting B (e.g. from scratch), same seeds in
            the same order.

    Returns:
        a dict: ``n``; ``mean_difference`` and ``sd_difference`` (``ddof=1``) of
        ``a - b``; ``a_greater``, ``b_greater``, ``ties`` (seeds where a > b, a < b,
        a == b); ``t_p_value`` (paired t-test, ``scipy.stats.ttest_rel``, two-sided);
        ``wilcoxon_p_value`` (Wilcoxon signed-rank test, ``scipy.stats.wilcoxon``,
        two-sided, zero differences dropped); ``wilcoxon_min_p``, the smallest
        two-sided p the exact Wilcoxon test can give with this many non-zero
        differences ``d`` (``2 / 2**d``: 0.25 for 3 seeds, so three seeds can never
        reach 0.05); and ``notes`` saying why a value is ``None``.

    Undefined cases give ``None``, not a number: the t-test needs ``n >= 2`` and
    differences that are not all equal (a constant difference has zero spread, so
    ``t`` is infinite or undefined); the Wilcoxon test needs at least one non-zero
    difference.
    """
    x, y = _numbers(a, "a"), _numbers(b, "b")
    if len(x) != len(y):
        raise ValueError(f"a has {len(x)} values, b {len(y)}: a paired test needs one pair per seed")
    d = x - y
    zero = np.abs(d) <= 1e-12 * max(1.0, float(np.abs(d).max()))  # float noise is no difference
    d = np.where(zero, 0.0, d)
    n, notes = len(d), []
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else None
    t_p = None
    if n < 2:
        notes.append("t-test undefined: needs at least 2 seeds")
    elif sd <= 1e-12 * max(1.0, abs(mean)):
        notes.append("t-test undefined: every seed gives the same difference (zero spread)")
    else:
        t_p = float(st.ttest_rel(x, y).pvalue)
    nonzero = int((~zero).sum())
    w_p = None
    if nonzero == 0:
        notes.append("Wilcoxon test undefined: all differences are zero")
    else:
        with warnings.catch_warnings():  # scipy warns about tiny samples; the min p below says it
            warnings.simplefilter("ignore", RuntimeWarning)
            w_p = float(st.wilcoxon(d, zero_method="wilcox").pvalue)
    return {
        "n": n,
        "mean_difference": mean,
        "sd_difference": sd,
        "a_greater": int((d > 0).sum()),
        "b_greater": int((d < 0).sum()),
        "ties": int(zero.sum()),
        "t_p_value": t_p,
        "wilcoxon_p_value": w_p,
        "wilcoxon_min_p": (min(1.0, 2.0 / 2 ** nonzero) if nonzero else None),
        "notes": notes,
    }
