"""A cache of parsed data sets in a user-chosen folder, as uncompressed ``.npz`` files.

An entry is keyed by a sha256 over

- a fingerprint of the source files: the sha256 of a file's bytes, or for a folder the
  sha256 over its sorted relative file paths and each file's sha256,
- the loader name, its options and :data:`LOADER_FORMAT_VERSION`.

Changing any of them gives a new key, so a stale entry is never read. Entries are
written to a temporary file in the cache folder and renamed into place, so a crash
leaves no half-written entry under the final name; the temporary files of killed
writes are removed on the next use of the cache (:mod:`ferlib.atomic`). The arrays
are stored without pickling (strings as fixed-width unicode arrays).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ferlib import atomic
from ferlib.datasets.base import FaceDataset

#: Bump when a loader's output changes for the same input files and options.
LOADER_FORMAT_VERSION = 2

_CHUNK = 1 << 20
_COLUMNS = ("images", "labels", "split", "subject", "sequence", "source")


def fingerprint_file(path) -> str:
    """sha256 hex digest of the bytes of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_tree(root, *, subfolders=None) -> str:
    """sha256 over the sorted relative paths and contents of the files under ``root``.

    Each file adds the line ``"<relative path>\\t<sha256 of its bytes>\\n"``. With
    ``subfolders`` only the files under those sub-folders of ``root`` count.
    """
    root = Path(root)
    tops = [root] if subfolders is None else [root / s for s in subfolders]
    files = sorted(
        (f.relative_to(root).as_posix(), f)
        for top in tops for f in top.rglob("*") if f.is_file()
    )
    digest = hashlib.sha256()
    for relative, file in files:
        digest.update(f"{relative}\t{fingerprint_file(file)}\n".encode())
    return digest.hexdigest()


def fingerprint_path(path, *, subfolders=None) -> str:
    """:func:`fingerprint_file` for a file, :func:`fingerprint_tree` for a folder."""
    path = Path(path)
    if path.is_file():
        return fingerprint_file(path)
    if path.is_dir():
        return fingerprint_tree(path, subfolders=subfolders)
    raise FileNotFoundError(f"cannot fingerprint {path}: no such file or folder")


def cache_key(loader: str, fingerprint: str, options: dict) -> str:
    """sha256 hex key of a loader name, a source fingerprint and the loader options.

    ``options`` must be JSON-serialisable after ``str()`` of non-basic values
    (``Path`` objects and the like are written as strings).
    """
    material = {
        "loader": loader,
        "format_version": LOADER_FORMAT_VERSION,
        "fingerprint": fingerprint,
        "options": options,
    }
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def cache_path(cache_dir, loader: str, key: str) -> Path:
    """The ``.npz`` file of an entry: ``<cache_dir>/<loader>-<first 20 hex of key>.npz``."""
    return Path(cache_dir) / f"{loader}-{key[:20]}.npz"


def save_dataset(dataset: FaceDataset, path, *, key: str = "") -> Path:
    """Write ``dataset`` to ``path`` (uncompressed ``.npz``) atomically; return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {column: getattr(dataset, column) for column in _COLUMNS}
    arrays["name"] = np.array(dataset.name)
    arrays["notes"] = np.array(list(dataset.notes), dtype=str)
    arrays["key"] = np.array(key)
    with atomic.replacing(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def load_saved_dataset(path, *, key: str | None = None) -> FaceDataset | None:
    """Read a dataset written by :func:`save_dataset`.

    Returns ``None`` when the file is absent or was written under another ``key``; a
    file that cannot be read is reported with a warning and treated as absent.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            if key is not None and str(stored["key"]) != key:
                return None
            columns = {column: stored[column] for column in _COLUMNS}
            name = str(stored["name"])
            notes = tuple(str(line) for line in stored["notes"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        warnings.warn(f"ignoring unreadable cache entry {path}: {err}", stacklevel=2)
        return None
    return FaceDataset(name=name, notes=notes, **columns)


def check_cache_dir(cache_dir) -> Path:
    """``cache_dir`` as a path; ``NotADirectoryError`` naming it when it is a file (it is
    made when missing, before anything is loaded)."""
    path = Path(cache_dir)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(20, "is a file; expected a cache folder (made if missing)", str(path))
    return path


def cached(cache_dir, loader: str, fingerprint: str, options: dict, load) -> FaceDataset:
    """Return the cached dataset for the key, or call ``load()`` and cache its result.

    ``cache_dir=None`` means no caching: ``load()`` is called every time.
    """
    if cache_dir is None:
        return load()
    check_cache_dir(cache_dir)
    atomic.remove_stale_temporaries(cache_dir)
    key = cache_key(loader, fingerprint, options)
    path = cache_path(cache_dir, loader, key)
    dataset = load_saved_dataset(path, key=key)
    if dataset is None:
        dataset = load()
        save_dataset(dataset, path, key=key)
    return dataset
