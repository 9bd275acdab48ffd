"""sha256 fingerprints of loaded data and configs: the keys of the run store."""

from __future__ import annotations

import hashlib
import json

import numpy as np


def _update_array(digest, name, array):
    array = np.ascontiguousarray(array)
    if array.dtype.kind == "U":  # str columns: hash their UTF-8 text, not numpy's UCS-4
        payload = "\x1f".join(array.tolist()).encode("utf-8")
        dtype = "str"
    else:
        payload = array.tobytes()
        dtype = array.dtype.str
    header = f"{name}|{dtype}|{array.shape}|{len(payload)}\n".encode()
    digest.update(header)
    digest.update(payload)


def fingerprint_arrays(**arrays) -> str:
    """sha256 hex digest over named arrays (name, dtype, shape and bytes of each).

    The order of keyword arguments does not matter; their names do.
    """
    digest = hashlib.sha256()
    for name in sorted(arrays):
        _update_array(digest, name, np.asarray(arrays[name]))
    return digest.hexdigest()


def dataset_fingerprint(dataset, split=None) -> str:
    """sha256 over a :class:`~ferlib.datasets.FaceDataset`'s images, labels and splits.

    Args:
        dataset: the loaded data set.
        split: optional ``(n,)`` str array of split parts that replaces
            ``dataset.split`` (e.g. from :func:`ferlib.splits.paper_split`).

    Subject and sequence ids are included because grouped splits depend on them;
    the ``source`` column (where files lay on disk) is not.
    """
    return fingerprint_arrays(
        images=dataset.images,
        labels=dataset.labels,
        split=dataset.split if split is None else np.asarray(split, dtype=str),
        subject=dataset.subject,
        sequence=dataset.sequence,
    )


def fingerprint_json(obj) -> str:
    """sha256 of a JSON-serialisable object in canonical form (sorted keys)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path) -> str:
    """The sha256 hex digest of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
