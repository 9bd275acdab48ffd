"""Is bfloat16 training equivalent to float32 for these networks? The rule, fixed first.

Keras' ``mixed_bfloat16`` policy computes convolutions and products in bfloat16 and
keeps the weights in float32 (and the networks keep their softmax output in float32:
:func:`ferlib.models.build_model`). On a processor with bfloat16 units (AVX512_BF16, AMX)
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
    check_plan()                   # the bfloat16 configs the check trains
    check_cells(committed_runs())  # each cell's runs and verdict (or what it waits for)
    validated_models(committed_runs())   # {1, 2}: models allowed bfloat16 on FER2013
"""

from __future__ import annotations

import math

from ferlib.protocol import FINETUNE_SOURCE, experiment_config, experiment_key, paper_dataset
from ferlib.results import is_paper_config

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


def check_keys() -> list:
    """The check's cells as ``(model, dataset, bfloat16 seeds, float32 seeds)``, data sets by
    the protocol's names (``"jaffe"``, ``"ckplus7"``, ``"fer2013"``), in table order."""
    cells = [(model, dataset, CHECK_SEEDS, CHECK_SEEDS) for model in CHECK_MODELS for dataset in CHECK_DATASETS]
    cells.append((FER2013_CHECK_MODEL, FINETUNE_SOURCE, FER2013_CHECK_SEEDS, CHECK_SEEDS))
    return cells


def check_config(model: int, dataset: str, seed: int, *, precision: str = CHECKED_PRECISION,
                 backend: str = "tensorflow"):
    """The config of one run of the check: the protocol's run from scratch of ``model`` on
    ``dataset`` (real data, its stated deviations) with ``seed`` and ``precision``."""
    return experiment_config("paper", (int(model), dataset, None), data="real", seed=seed, backend=backend,
                             precision=precision)


def check_plan(*, backend: str = "tensorflow") -> list:
    """The bfloat16 configs the check trains, cell by cell (:func:`check_keys`); the float32
    runs it compares them with are the protocol's."""
    return [check_config(model, dataset, seed, backend=backend)
            for model, dataset, seeds, _ in check_keys() for seed in seeds]


def _cell_of(config):
    """``(model, dataset)`` of the check cell whose run ``config`` is, in either precision
    (the protocol's run of a checked seed in float32, the check's run in bfloat16), or ``None``."""
    if config.data != "real" or config.is_finetune or config.precision not in (REFERENCE_PRECISION,
                                                                               CHECKED_PRECISION):
        return None
    model, dataset, _ = experiment_key(config)
    for cell_model, cell_dataset, checked_seeds, reference_seeds in check_keys():
        if (cell_model, paper_dataset(cell_dataset)) != (model, dataset):
            continue
        if config.precision == REFERENCE_PRECISION:
            ok = config.seed in reference_seeds and is_paper_config(config, seed=None)
        else:
            ok = config.seed in checked_seeds and config == check_config(
                model, cell_dataset, config.seed, backend=config.backend)
        return (cell_model, cell_dataset) if ok else None
    return None


def check_cells(runs) -> list:
    """Each cell of the check with its runs among ``runs`` (oldest first, e.g.
    :func:`ferlib.results.committed_runs`; a newer run of a seed replaces an older one)
    and, once both precisions have every seed, its verdict.

    Returns:
        one dict per cell of :func:`check_keys`, in order: ``model``, ``dataset``,
        ``reference`` and ``checked`` (``{seed: Run}``, float32 and bfloat16), ``waiting``
        (how many runs are still missing) and ``verdict`` (:func:`precision_verdict`, or
        ``None`` while runs are missing).
    """
    found = {}
    for run in runs:
        cell = _cell_of(run.config)
        if cell is not None:
            side = "reference" if run.config.precision == REFERENCE_PRECISION else "checked"
            found.setdefault((cell, side), {})[run.config.seed] = run
    cells = []
    for model, dataset, checked_seeds, reference_seeds in check_keys():
        reference = dict(sorted(found.get(((model, dataset), "reference"), {}).items()))
        checked = dict(sorted(found.get(((model, dataset), "checked"), {}).items()))
        waiting = (len(set(reference_seeds) - set(reference)) + len(set(checked_seeds) - set(checked)))
        verdict = None if waiting else precision_verdict(
            [run.metrics["test"]["accuracy"] for run in reference.values()],
            [run.metrics["test"]["accuracy"] for run in checked.values()])
        cells.append({"model": model, "dataset": dataset, "reference": reference, "checked": checked,
                      "waiting": waiting, "verdict": verdict})
    return cells


def validated_models(runs) -> set:
    """The models for which bfloat16 passes the check among ``runs``: every cell of the model
    and the FER2013 cell have their runs and pass (the rule in the module docstring)."""
    cells = check_cells(runs)
    fer2013 = [cell for cell in cells if cell["dataset"] == FINETUNE_SOURCE]
    if not all(cell["verdict"] and cell["verdict"]["passes"] for cell in fer2013):
        return set()
    return {model for model in CHECK_MODELS
            if all(cell["verdict"] and cell["verdict"]["passes"] for cell in cells
                   if cell["model"] == model and cell["dataset"] != FINETUNE_SOURCE)}


def missing_check_runs(runs) -> list:
    """The bfloat16 runs of :func:`check_plan` that ``runs`` lack (on any backend), in plan
    order, as ``(model, dataset, seed)``; the float32 runs are the protocol's, which
    ``python -m ferlib missing`` lists with the paper's experiments."""
    have = set()
    for cell in check_cells(runs):
        have |= {(cell["model"], cell["dataset"], seed) for seed in cell["checked"]}
    return [(config.model, config.dataset, config.seed) for config in check_plan()
            if (config.model, config.dataset, config.seed) not in have]
