"""The one structure every loader returns."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np

from ferlib.labels import EMOTIONS, IMAGE_SIZE, NUM_CLASSES

#: Names a split part may take. ``""`` means the release itself assigns no split.
SPLIT_NAMES = ("train", "val", "test")


@dataclasses.dataclass(frozen=True, eq=False)
class FaceDataset:
    """Faces of one data set, all arrays aligned on the first axis.

    Attributes:
        name: data set name, e.g. ``"fer2013"``, ``"jaffe"``, ``"ckplus"``,
            ``"synthetic-fer2013"``.
        images: ``(n, 48, 48)`` uint8 grey levels 0..255.
        labels: ``(n,)`` int64, canonical class index 0..6 (see :mod:`ferlib.labels`).
        split: ``(n,)`` str, ``"train"``, ``"val"``, ``"test"``, or ``""`` where the
            release has no official split (JAFFE, CK+): use :mod:`ferlib.splits`.
        subject: ``(n,)`` str, subject id, ``""`` where unknown (FER2013).
        sequence: ``(n,)`` str, sequence id unique across subjects (CK+:
            ``"S010_004"``), ``""`` where the data has none.
        source: ``(n,)`` str, the file (relative to the data root) or CSV row each
            image came from, e.g. ``"fer2013/fer2013.csv.gz:row 17"``.
        notes: human-readable lines saying what was mapped, dropped or repaired.
    """

    name: str
    images: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    subject: np.ndarray
    sequence: np.ndarray
    source: np.ndarray
    notes: tuple = ()

    def __post_init__(self):
        n = len(self.labels)
        if self.images.dtype != np.uint8 or self.images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"{self.name}: images must be uint8 of shape (n, {IMAGE_SIZE}, {IMAGE_SIZE}), "
                f"got {self.images.dtype} {self.images.shape}"
            )
        for field in ("images", "split", "subject", "sequence", "source"):
            if len(getattr(self, field)) != n:
                raise ValueError(
                    f"{self.name}: {field} has {len(getattr(self, field))} entries, labels {n}"
                )
        if n and (self.labels.min() < 0 or self.labels.max() >= NUM_CLASSES):
            raise ValueError(f"{self.name}: labels must lie in 0..{NUM_CLASSES - 1}")
        bad = set(np.unique(self.split)) - set(SPLIT_NAMES) - {""}
        if bad:
            raise ValueError(f"{self.name}: unknown split names {sorted(bad)}")

    def __len__(self):
        return len(self.labels)

    def subset(self, mask_or_index) -> "FaceDataset":
        """Return the rows selected by a boolean mask or an index array."""
        idx = np.asarray(mask_or_index)
        return dataclasses.replace(
            self,
            images=self.images[idx],
            labels=self.labels[idx],
            split=self.split[idx],
            subject=self.subject[idx],
            sequence=self.sequence[idx],
            source=self.source[idx],
        )

    def with_split(self, split) -> "FaceDataset":
        """Return a copy whose ``split`` column is replaced by ``split`` (n,) str."""
        return dataclasses.replace(self, split=np.asarray(split, dtype=str))

    def class_counts(self, part: str | None = None) -> dict:
        """Count images per class name (all of them, or one split part)."""
        labels = self.labels if part is None else self.labels[self.split == part]
        counts = Counter(int(v) for v in labels)
        return {name: counts.get(i, 0) for i, name in enumerate(EMOTIONS)}

    def summary(self) -> dict:
        """Counts per class and per split, subjects and sequences, as plain Python."""
        parts = [p for p in SPLIT_NAMES if (self.split == p).any()]
        return {
            "name": self.name,
            "images": len(self),
            "subjects": int(len(set(self.subject) - {""})),
            "sequences": int(len(set(self.sequence) - {""})),
            "per_class": self.class_counts(),
            "per_split": {p: int((self.split == p).sum()) for p in parts},
            "per_class_and_split": {p: self.class_counts(p) for p in parts},
            "notes": list(self.notes),
        }


def make_dataset(name, images, labels, *, split=None, subject=None, sequence=None,
                 source=None, notes=()) -> FaceDataset:
    """Build a :class:`FaceDataset`, filling absent string columns with ``""``."""
    images = np.ascontiguousarray(images, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)

    def column(values):
        if values is None:
            return np.full(n, "", dtype=str) if n else np.array([], dtype=str)
        return np.asarray(values, dtype=str)

    return FaceDataset(name=name, images=images, labels=labels, split=column(split),
                       subject=column(subject), sequence=column(sequence),
                       source=column(source), notes=tuple(notes))
