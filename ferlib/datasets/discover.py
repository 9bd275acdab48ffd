"""Finding the data sets under a data root, and the one entry point :func:`load_dataset`.

Accepted layouts under ``data_dir`` (the first match wins, in this order):

- ``fer2013``: ``fer2013/fer2013.csv``, ``fer2013/fer2013.csv.gz``,
  ``fer2013/fer2013.tar.gz`` (or ``.tgz``), ``fer2013/fer2013/fer2013.csv`` (an
  unpacked tar.gz), the same files directly in ``data_dir``, then the image-folder
  release ``fer2013/train/`` + ``fer2013/test/``;
- ``jaffe``: a folder of ``*.tiff`` named ``jaffe``, ``jaffedbase`` or ``JAFFE``
  (also one level deeper, ``jaffe/jaffe`` or ``jaffe/jaffedbase``);
- ``ckplus``: the original release (``cohn-kanade-images/`` + ``Emotion/``) in
  ``ckplus/`` or ``data_dir``, then CK+48 in ``ckplus/CK+48`` or ``CK+48``;
  ``layout="ck+48"`` or ``layout="original"`` picks one when both are there.
"""

from __future__ import annotations

from pathlib import Path

from ferlib.datasets.base import FaceDataset
from ferlib.datasets.cache import cached, fingerprint_path
from ferlib.datasets.ckplus import (
    EMOTION_FOLDERS,
    IMAGES_FOLDER,
    ckplus_layout,
    load_ckplus48,
    load_ckplus_original,
)
from ferlib.datasets.faces import (
    CENTRAL_CROP_FRACTION,
    DEFAULT_MARGIN,
    detector_description,
)
from ferlib.datasets.fer2013 import load_fer2013
from ferlib.datasets.folders import load_folders, relative_name
from ferlib.datasets.jaffe import load_jaffe

#: Names :func:`load_dataset` accepts.
DATASET_NAMES = ("fer2013", "jaffe", "ckplus", "folders")

_FER_FILES = ("fer2013.csv", "fer2013.csv.gz", "fer2013.tar.gz", "fer2013.tgz")
_FER_CANDIDATES = (
    *(f"fer2013/{name}" for name in _FER_FILES),
    "fer2013/fer2013/fer2013.csv",
    *_FER_FILES,
)
_JAFFE_CANDIDATES = ("jaffe", "jaffedbase", "JAFFE", "jaffe/jaffe", "jaffe/jaffedbase")
_CK_ORIGINAL_CANDIDATES = ("ckplus", ".")
_CK48_CANDIDATES = ("ckplus/CK+48", "CK+48")
_CK_LAYOUTS = (None, "original", "ck+48")

_ACCEPTED = {
    "fer2013": "fer2013/fer2013.csv[.gz], fer2013/fer2013.tar.gz, fer2013.csv[.gz] or "
               "fer2013.tar.gz in the data folder, or fer2013/train/<emotion>/Training_*.png "
               "with fer2013/test/",
    "jaffe": "jaffe/ (or jaffedbase/) holding SUBJECT.EXPRn.ID.tiff files",
    "ckplus": f"ckplus/{IMAGES_FOLDER}/Sxxx/yyy/*.png with ckplus/Emotion/ (original "
              f"release), or ckplus/CK+48/<emotion>/S*_*_*.png",
}


def _check_data_dir(data_dir) -> Path:
    if data_dir is None:
        raise FileNotFoundError("no data folder given; pass the folder holding "
                                "fer2013/, jaffe/ and ckplus/")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"data folder not found: {data_dir}; expected a folder holding fer2013/, "
            f"jaffe/ and ckplus/ (see ferlib.datasets.discover)"
        )
    return data_dir


def _fer_folder_release(path: Path) -> bool:
    return (path / "train").is_dir() or (path / "test").is_dir()


def _has_tiffs(path: Path) -> bool:
    return path.is_dir() and any(p.suffix.lower() in (".tif", ".tiff") for p in path.iterdir())


def _candidates(name: str, data_dir: Path, layout=None) -> list:
    """``(path, accepted)`` pairs looked at for ``name``, in order of preference."""
    if name == "fer2013":
        return ([(data_dir / c, Path.is_file) for c in _FER_CANDIDATES]
                + [(data_dir / "fer2013", _fer_folder_release)])
    if name == "jaffe":
        return [(data_dir / c, _has_tiffs) for c in _JAFFE_CANDIDATES]
    if name == "ckplus":
        if layout not in _CK_LAYOUTS:
            raise ValueError(f"layout must be one of {_CK_LAYOUTS}, got {layout!r}")
        original = [(data_dir / c if c != "." else data_dir,
                     lambda p: (p / IMAGES_FOLDER).is_dir()) for c in _CK_ORIGINAL_CANDIDATES]
        ck48 = [(data_dir / c, Path.is_dir) for c in _CK48_CANDIDATES]
        return {None: original + ck48, "original": original, "ck+48": ck48}[layout]
    raise ValueError(f"unknown data set {name!r}; expected one of {DATASET_NAMES}")


def find_dataset(name: str, data_dir, *, layout=None) -> Path:
    """The file or folder of data set ``name`` under ``data_dir``.

    ``name`` is ``"fer2013"``, ``"jaffe"`` or ``"ckplus"``; ``layout`` (CK+ only) is
    ``"original"``, ``"ck+48"`` or ``None`` (the original release when present).
    Raises ``FileNotFoundError`` listing the paths looked at and the accepted layouts.
    """
    data_dir = _check_data_dir(data_dir)
    candidates = _candidates(name, data_dir, layout)
    for path, accepted in candidates:
        if accepted(path):
            return path
    looked = ", ".join(str(path) for path, _ in candidates)
    raise FileNotFoundError(
        f"no {name} data under {data_dir}; looked at {looked}; accepted layouts: "
        f"{_ACCEPTED[name]}"
    )


def find_datasets(data_dir) -> dict:
    """``{name: path}`` for each of fer2013, jaffe and ckplus found under ``data_dir``.

    Raises ``FileNotFoundError`` when ``data_dir`` is not a folder.
    """
    data_dir = _check_data_dir(data_dir)
    found = {}
    for name in ("fer2013", "jaffe", "ckplus"):
        try:
            found[name] = find_dataset(name, data_dir)
        except FileNotFoundError:
            continue
    return found


def _fingerprint(name: str, path: Path) -> str:
    if name == "ckplus" and (path / IMAGES_FOLDER).is_dir():
        emotion = next(e for e in EMOTION_FOLDERS if (path / e).is_dir())
        return fingerprint_path(path, subfolders=[IMAGES_FOLDER, emotion])
    return fingerprint_path(path)


def load_dataset(name: str, data_dir, *, cache_dir=None, layout=None,
                 **options) -> FaceDataset:
    """Find and load data set ``name`` under ``data_dir``, optionally through a cache.

    Args:
        name: ``"fer2013"``, ``"jaffe"``, ``"ckplus"``, or ``"folders"`` (then
            ``data_dir`` is the folder of class sub-folders itself).
        data_dir: the data root (for ``"folders"``: the image folder).
        cache_dir: folder for parsed ``.npz`` files (:mod:`ferlib.datasets.cache`);
            ``None`` means no caching.
        layout: CK+ only, ``"original"``, ``"ck+48"`` or ``None`` (auto).
        options: passed to the loader (:func:`~ferlib.datasets.fer2013.load_fer2013`,
            :func:`~ferlib.datasets.jaffe.load_jaffe`, :func:`load_ckplus48`,
            :func:`load_ckplus_original`, :func:`load_folders`).

    ``source`` paths are relative to ``data_dir`` (for ``"folders"``: its parent).
    Raises ``FileNotFoundError`` when ``data_dir`` or the data set is missing.
    """
    if name not in DATASET_NAMES:
        raise ValueError(f"unknown data set {name!r}; expected one of {DATASET_NAMES}")
    if layout is not None and name != "ckplus":
        raise ValueError(f"layout applies to ckplus only, got layout={layout!r} for {name}")
    if name == "folders":
        if data_dir is None or not Path(data_dir).is_dir():
            raise FileNotFoundError(
                f"image folder not found: {data_dir}; expected ROOT/<class>/*.png or "
                f"ROOT/train|val|test/<class>/*.png"
            )
        path = Path(data_dir)
        relative_to = options.pop("relative_to", path.parent)
        loader = load_folders
    else:
        data_dir = _check_data_dir(data_dir)
        path = find_dataset(name, data_dir, layout=layout)
        relative_to = options.pop("relative_to", data_dir)
        if name == "fer2013":
            loader = load_fer2013
        elif name == "jaffe":
            loader = load_jaffe
        elif ckplus_layout(path) == "original":
            loader = load_ckplus_original
        else:
            loader = load_ckplus48
    def load():
        return loader(path, relative_to=relative_to, **options)

    if cache_dir is None:
        return load()
    key_options = {
        "location": relative_name(path, relative_to),
        **options,
    }
    if loader in (load_jaffe, load_ckplus_original):
        key_options["faces"] = detector_description(
            options.get("crop", "detect"),
            margin=options.get("margin", DEFAULT_MARGIN),
            fallback_fraction=options.get("fallback_fraction", CENTRAL_CROP_FRACTION),
        )
    return cached(cache_dir, name, _fingerprint(name, path), key_options, load)
