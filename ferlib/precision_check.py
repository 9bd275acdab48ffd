"""Is bfloat16 training equivalent to float32 for these networks? The rule, fixed first.

Keras' ``mixed_bfloat16`` policy computes convolutions and products in bfloat16 and
keeps the weights in float32. On a processor with bfloat16 units (AVX512_BF16, AMX)
it trains Model 1 about 2.4 times as fast as float32, so the long FER2013 runs could
use it. Whether it changes what the networks learn is an empirical question; this
module states the test and its margin *before* any bfloat16 run is looked at, and
:func:`precision_verdict` applies it.

The check (:data:`CHECK_CELLS`): each cell is one model on one data set, trained from
scratch under the protocol (the paper profile with its stated deviations) with the
seeds :data:`CHECK_SEEDS`, once in ``float32`` (the committed protocol runs) and once in
``mixed_bfloat16``, everything else equal, the same seed giving the same initial
weights and batch order. FER2013 is checked on Model 2, whose three float32 seeds are
committed, with one bfloat16 seed (:data:`FER2013_CHECK_SEEDS`).

The margin (:data:`MARGIN_POINTS`): a cell *passes* when the mean test accuracy of its
bfloat16 seeds is within 2 percentage points of the mean of its float32 seeds, **or**
lies inside the float32 seeds' range (their lowest to their highest accuracy). The
second arm is there because a seed's accuracy on 42 JAFFE test faces moves by 2.4
points per face: a difference smaller than the float32 runs' own spread over seeds is
no evidence that the precision matters.

The verdict: bfloat16 is *validated for a model* when every cell of that model passes
and the FER2013 cell passes (the only check at FER2013's scale); it is then allowed
for that model's long FER2013 run, stated as a deviation of the protocol with this
check as its evidence. A model with a failing cell trains in float32. Fine-tunes and
runs on JAFFE and CK+ stay in float32 whatever the verdict: they are cheap.

    precision_verdict([0.62, 0.55, 0.60], [0.60, 0.57, 0.58])   # {"passes": True, ...}
"""

from __future__ import annotations

import math

#: The models checked on the small data sets, and the data sets (the protocol's names).
CHECK_MODELS = (1, 2, 3)
CHECK_DATASETS = ("jaffe", "ckplus7")
#: Training seeds of every small-data cell, in both precisions.
CHECK_SEEDS = (0, 1, 2)
#: The FER2013 cell: Model 2, float32 seeds 0-2 (committed) against bfloat16 seed 0.
FER2013_CHECK_MODEL = 2
FER2013_CHECK_SEEDS = (0,)
#: The precision under test and the reference.
CHECKED_PRECISION = "mixed_bfloat16"
REFERENCE_PRECISION = "float32"
#: Largest difference of mean test accuracy that counts as equivalent, in percentage
#: points, unless the bfloat16 mean is inside the float32 seeds' range anyway.
MARGIN_POINTS = 2.0


def precision_verdict(reference, checked, *, margin_points: float = MARGIN_POINTS) -> dict:
    """Apply the rule to one cell.

    Args:
        reference: test accuracies (fractions in [0, 1]) of the float32 seeds, at least one.
        checked: test accuracies of the bfloat16 seeds, at least one.
        margin_points: the margin, in percentage points.

    Returns:
        ``{"reference_mean", "checked_mean", "difference_points", "reference_range",
        "within_margin", "within_range", "passes"}``: means as fractions, the difference
        (bfloat16 minus float32) in points, the float32 ``(lowest, highest)``.
    """
    reference, checked = _accuracies(reference, "reference"), _accuracies(checked, "checked")
    if not (isinstance(margin_points, (int, float)) and margin_points >= 0):
        raise ValueError(f"margin_points must be a number >= 0, got {margin_points!r}")
    reference_mean = sum(reference) / len(reference)
    checked_mean = sum(checked) / len(checked)
    difference = 100.0 * (checked_mean - reference_mean)
    low, high = min(reference), max(reference)
    within_margin = abs(difference) <= margin_points + 1e-9
    within_range = low - 1e-12 <= checked_mean <= high + 1e-12
    return {"reference_mean": reference_mean, "checked_mean": checked_mean, "difference_points": difference,
            "reference_range": (low, high), "within_margin": within_margin, "within_range": within_range,
            "passes": within_margin or within_range}


def _accuracies(values, name: str) -> list:
    values = list(values)
    if not values:
        raise ValueError(f"{name}: no accuracies; the rule needs at least one seed")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0.0 <= value <= 1.0) \
                or math.isnan(value):
            raise ValueError(f"{name}: accuracies are fractions in [0, 1], got {value!r}")
    return [float(value) for value in values]
