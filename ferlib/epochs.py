"""How much training a run gets, counted from the class counts of its training part: the
images one epoch draws (one class-balanced pass, or at least a minimum) and the optimiser
updates they make. It counts what :func:`ferlib.training.epoch_indices` draws, without
drawing, so the book and the protocol's prose can say it without Keras or the data.
"""

from __future__ import annotations

from collections.abc import Mapping


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
