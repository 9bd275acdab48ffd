"""Learning rate per epoch and early stopping, decided from the validation history alone.

The training loop (:func:`ferlib.training.fit`) runs one Keras ``fit`` per epoch, so
the rate of epoch ``e`` is set before it starts, from the validation accuracies of
epochs ``0 .. e-1`` and nothing else: a run resumed from a checkpoint (whose history
holds those accuracies) gets the same rates as one that went straight through, and the
test part never takes part in any decision.

- ``"constant"``: the paper's training, one rate throughout.
- ``"plateau"``: the rate is multiplied by ``factor`` once ``patience`` epochs in a row
  bring no better validation accuracy (then the count starts again), never below
  ``min_rate``: Keras' ``ReduceLROnPlateau`` on ``val_accuracy`` with ``min_delta=0``
  and no cool-down. usef-kh/fer (Khaireddin and Chen 2021, arXiv:2105.03588) use factor
  0.75 and patience 5, on the accuracy of PrivateTest; here it is PublicTest, our
  validation part, and PrivateTest is only tested once at the end.
- ``"cosine"``: ``min_rate + (rate - min_rate) * (1 + cos(pi * e / epochs)) / 2``, from
  ``rate`` at epoch 0 down towards ``min_rate`` (Loshchilov and Hutter 2017, SGDR,
  without restarts), one value per epoch.

Early stopping: a run stops once ``patience`` epochs in a row bring no better
validation accuracy (Keras' ``EarlyStopping`` on ``val_accuracy``); the best epoch is
kept either way.
"""

from __future__ import annotations

import math

#: The schedules :func:`epoch_learning_rate` knows (:data:`ferlib.config.SCHEDULES`).
SCHEDULES = ("constant", "plateau", "cosine")


def plateau_rates(val_scores, *, rate: float, factor: float, patience: int, min_rate: float = 0.0) -> list:
    """The plateau schedule's rate for each epoch ``0 .. len(val_scores)``.

    Args:
        val_scores: validation accuracy of each finished epoch, in order.
        rate: the first epoch's rate.
        factor: in (0, 1): what the rate is multiplied by on a plateau.
        patience: epochs without a better score before the rate drops (at least 1).
        min_rate: the rate never drops below this.

    Returns:
        ``len(val_scores) + 1`` rates: entry ``e`` is the rate epoch ``e`` trains with,
        decided from ``val_scores[:e]``.
    """
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
        raise ValueError(f"patience must be a positive int, got {patience!r}")
    rates, best, wait = [float(rate)], -math.inf, 0
    for score in val_scores:
        if score > best:
            best, wait = score, 0
        else:
            wait += 1
            if wait >= patience:
                rate, wait = max(rate * factor, min_rate), 0
        rates.append(float(rate))
    return rates


def cosine_rate(epoch: int, *, rate: float, epochs: int, min_rate: float = 0.0) -> float:
    """The cosine schedule's rate for 0-based ``epoch`` of ``epochs``."""
    if not 0 <= epoch < epochs:
        raise ValueError(f"epoch must be in 0..{epochs - 1}, got {epoch!r}")
    return float(min_rate + (rate - min_rate) * 0.5 * (1 + math.cos(math.pi * epoch / epochs)))


def epoch_learning_rate(schedule: str, epoch: int, val_scores, *, rate: float, epochs: int,
                        factor: float = 0.75, patience: int = 5, min_rate: float = 0.0) -> float:
    """The rate of 0-based ``epoch`` under ``schedule``, from the validation accuracies of
    the epochs before it (``val_scores``, at least ``epoch`` of them)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {list(SCHEDULES)}, got {schedule!r}")
    scores = list(val_scores)[:epoch]
    if len(scores) < epoch:
        raise ValueError(f"epoch {epoch} needs the validation scores of the {epoch} epochs before it, "
                         f"got {len(scores)}")
    if schedule == "constant":
        return float(rate)
    if schedule == "cosine":
        return cosine_rate(epoch, rate=rate, epochs=epochs, min_rate=min_rate)
    return plateau_rates(scores, rate=rate, factor=factor, patience=patience, min_rate=min_rate)[epoch]


def should_stop(val_scores, patience: int | None) -> bool:
    """Whether training stops after the epochs of ``val_scores``: ``patience`` epochs in a
    row since the best one (the first of equal bests) brought no better score. ``None``:
    never."""
    if patience is None:
        return False
    scores = list(val_scores)
    if not scores:
        return False
    best = scores.index(max(scores))
    return len(scores) - 1 - best >= patience
