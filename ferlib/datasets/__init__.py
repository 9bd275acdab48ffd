"""Loaders for the paper's data sets; every one returns a :class:`FaceDataset`.

Start with :func:`load_dataset` (finds the data under a data root, optional cache) or
call a loader on a path: :func:`load_fer2013`, :func:`load_jaffe`, :func:`load_ckplus`
(:func:`load_ckplus48`, :func:`load_ckplus_original`, :func:`load_ckplus_crops`),
:func:`load_folders`. Data set names: ``fer2013``, ``jaffe``, ``ckplus`` (CK+48 or the
original release's emotion frames; six classes from CK+48) and ``ckplus7`` (the paper's
seven-class CK+, with the neutral first frames). Each is registered with
:func:`register_loader` (:mod:`ferlib.datasets.registry`): a new data set is its loader,
with that registration, in a module named after it (``ferlib/datasets/<name>.py``, found
by name), and its entry in :data:`ferlib.vocabulary.DATASET_INFO`.
"""

from ferlib.datasets.base import SPLIT_NAMES, FaceDataset, make_dataset
from ferlib.datasets.ckplus import (
    load_ckplus,
    load_ckplus48,
    load_ckplus_crops,
    load_ckplus_original,
    multi_crop_choices,
)
from ferlib.datasets.discover import (
    dataset_names,
    find_dataset,
    find_datasets,
    load_dataset,
    unrecognised_folders,
)
from ferlib.datasets.faces import FaceDetectorUnavailable
from ferlib.datasets.fer2013 import load_fer2013, load_fer2013_csv, load_fer2013_folders
from ferlib.datasets.folders import load_folders
from ferlib.datasets.jaffe import load_jaffe
from ferlib.datasets.registry import LOADERS, register_loader

__all__ = [
    "SPLIT_NAMES",
    "FaceDataset",
    "make_dataset",
    "LOADERS",
    "dataset_names",
    "register_loader",
    "FaceDetectorUnavailable",
    "find_dataset",
    "find_datasets",
    "load_dataset",
    "unrecognised_folders",
    "load_fer2013",
    "load_fer2013_csv",
    "load_fer2013_folders",
    "load_jaffe",
    "load_ckplus",
    "load_ckplus48",
    "load_ckplus_original",
    "load_ckplus_crops",
    "multi_crop_choices",
    "load_folders",
]
