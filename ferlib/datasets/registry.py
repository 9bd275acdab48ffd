"""The loaders of the data sets, by name: how each is found under a data root and read.

A data set is an entry of :data:`ferlib.vocabulary.DATASET_INFO` (its name, title and
classes) plus a loader registered here, in a module of its own named after it
(``ferlib/datasets/mine.py``, which :mod:`ferlib.datasets.discover` imports when the
package loads)::

    @register_loader("mine", accepted="mine/<emotion>/*.png")
    def load_mine(path, *, relative_to=None) -> FaceDataset:
        ...

:func:`ferlib.datasets.load_dataset` then finds ``DATA/mine`` (the default place; give
``candidates`` for others), loads it through the cache and, like every data set, it can
be packed, trained on and audited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from ferlib.vocabulary import DATASET_INFO


@dataclasses.dataclass(frozen=True)
class Loader:
    """How one data set is found and read.

    Attributes:
        name: the data set (a key of :data:`ferlib.vocabulary.DATASET_INFO`).
        load: ``load(path, *, relative_to, **options) -> FaceDataset``.
        candidates: ``candidates(data_dir, layout) -> [(path, accepts)]``: the places
            looked at under a data root, in order of preference, each with a test
            ``accepts(path) -> bool``.
        accepted: the accepted layouts in words, for the error that says none was found.
        layouts: the ``layout`` values :func:`ferlib.datasets.load_dataset` accepts.
        cache_key: ``cache_key(path, options) -> dict`` of what else decides the loaded
            arrays (e.g. the face detector), added to the cache key; ``None``: nothing.
        fingerprint_subfolders: ``subfolders(path)`` to fingerprint instead of the whole
            folder (``None``: all of it).
    """

    name: str
    load: Callable
    candidates: Callable
    accepted: str
    layouts: tuple = (None,)
    cache_key: Callable | None = None
    fingerprint_subfolders: Callable | None = None


#: ``{name: Loader}``, in the order registered.
LOADERS = {}


def folder_named(name: str) -> Callable:
    """The default ``candidates``: the folder ``DATA/<name>``."""
    return lambda data_dir, layout=None: [(Path(data_dir) / name, Path.is_dir)]


def register_loader(name: str, *, accepted: str, candidates: Callable | None = None, layouts=(None,),
                    cache_key: Callable | None = None, fingerprint_subfolders: Callable | None = None):
    """Register the decorated function as the loader of data set ``name`` (see :class:`Loader`
    for the other arguments; ``candidates`` defaults to :func:`folder_named`). Raises
    ``ValueError`` when ``name`` is not in the vocabulary or already has a loader."""
    if name not in DATASET_INFO:
        raise ValueError(f"data set {name!r} is not in ferlib.vocabulary.DATASET_INFO "
                         f"({', '.join(DATASET_INFO)}); add it there")
    if name in LOADERS:
        raise ValueError(f"data set {name!r} has a loader already")

    def register(load):
        LOADERS[name] = Loader(name, load, candidates or folder_named(name), accepted, tuple(layouts), cache_key,
                               fingerprint_subfolders)
        return load

    return register
