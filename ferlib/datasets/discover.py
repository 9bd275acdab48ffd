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
  ``layout="ck+48"`` or ``layout="original"`` picks one when both are there. CK+48 has
  no neutral frames: ``ckplus`` from it is a six-class task;
- ``ckplus7``: the paper's seven-class CK+ (peak frame and neutral first frame of each
  labelled sequence): the original release as for ``ckplus`` (loaded with
  ``last_frames=1, include_neutral=True``), then a crop release with a ``neutral/``
  folder in ``ckplus-neutral/CK+``, ``ckplus/CK+``, ``CK+`` or ``ckplus-neutral``
  (:func:`~ferlib.datasets.ckplus.load_ckplus_crops`); ``layout="original"`` or
  ``layout="crops"`` picks one.

:func:`unrecognised_folders` lists the folders under the data root that none of these
layouts accounts for, with what was expected.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ferlib.datasets.base import FaceDataset
from ferlib.datasets.cache import cached, fingerprint_path
from ferlib.datasets.ckplus import (
    EMOTION_FOLDERS,
    IMAGES_FOLDER,
    MULTI_CROP_RULE,
    NEUTRAL_FOLDER,
    is_crop_release,
    load_ckplus48,
    load_ckplus_crops,
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
from ferlib.datasets.registry import LOADERS, register_loader
from ferlib.vocabulary import DATASET_INFO
# the module, not its names: ferlib.pack reads FaceDataset from this package, so when it
# is imported first it is still loading while this module is
from ferlib import pack

#: The original-release options that make the seven-class task.
CKPLUS7_ORIGINAL_OPTIONS = {"last_frames": 1, "include_neutral": True}

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
_CK_CROPS_CANDIDATES = ("ckplus-neutral/CK+", "ckplus/CK+", "CK+", "ckplus-neutral")
_CK7_LAYOUTS = (None, "original", "crops")



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


def _fer2013_candidates(data_dir: Path, layout=None) -> list:
    return ([(data_dir / c, Path.is_file) for c in _FER_CANDIDATES]
            + [(data_dir / "fer2013", _fer_folder_release)])


def _jaffe_candidates(data_dir: Path, layout=None) -> list:
    return [(data_dir / c, _has_tiffs) for c in _JAFFE_CANDIDATES]


def _ck_original_candidates(data_dir: Path) -> list:
    return [(data_dir / c if c != "." else data_dir,
             lambda p: (p / IMAGES_FOLDER).is_dir()) for c in _CK_ORIGINAL_CANDIDATES]


def _ckplus_candidates(data_dir: Path, layout=None) -> list:
    original = _ck_original_candidates(data_dir)
    ck48 = [(data_dir / c, Path.is_dir) for c in _CK48_CANDIDATES]
    return {None: original + ck48, "original": original, "ck+48": ck48}[layout]


def _ckplus7_candidates(data_dir: Path, layout=None) -> list:
    original = _ck_original_candidates(data_dir)
    crops = [(data_dir / c, lambda p: p.is_dir() and is_crop_release(p)) for c in _CK_CROPS_CANDIDATES]
    return {None: original + crops, "original": original, "crops": crops}[layout]


def _faces_key(path, options) -> dict:
    """How the faces were found: part of the cache key of the loaders that detect them."""
    return {"faces": detector_description(options.get("crop", "detect"),
                                          margin=options.get("margin", DEFAULT_MARGIN),
                                          fallback_fraction=options.get("fallback_fraction", CENTRAL_CROP_FRACTION))}


def _ck_original(path: Path) -> bool:
    return (path / IMAGES_FOLDER).is_dir()


def _ck_subfolders(path: Path):
    """The original CK+ release is fingerprinted by its images and its emotion labels."""
    if not _ck_original(path):
        return None
    return [IMAGES_FOLDER, next(e for e in EMOTION_FOLDERS if (path / e).is_dir())]


@register_loader(
    "fer2013", candidates=_fer2013_candidates,
    accepted="fer2013/fer2013.csv[.gz], fer2013/fer2013.tar.gz, fer2013.csv[.gz] or fer2013.tar.gz in the data "
             "folder, or fer2013/train/<emotion>/Training_*.png with fer2013/test/")
def _load_fer2013(path, **options) -> FaceDataset:
    """FER2013 from its CSV, its tar.gz or its image folders (:func:`load_fer2013`)."""
    return load_fer2013(path, **options)


@register_loader("jaffe", candidates=_jaffe_candidates, cache_key=_faces_key,
                 accepted="jaffe/ (or jaffedbase/) holding SUBJECT.EXPRn.ID.tiff files")
def _load_jaffe(path, **options) -> FaceDataset:
    """JAFFE's TIFF files, each face cropped (:func:`load_jaffe`)."""
    return load_jaffe(path, **options)


@register_loader(
    "ckplus", candidates=_ckplus_candidates, layouts=_CK_LAYOUTS, fingerprint_subfolders=_ck_subfolders,
    cache_key=lambda path, options: _faces_key(path, options) if _ck_original(path) else {},
    accepted=f"ckplus/{IMAGES_FOLDER}/Sxxx/yyy/*.png with ckplus/Emotion/ (original release), or "
             f"ckplus/CK+48/<emotion>/S*_*_*.png")
def _load_ckplus(path, **options) -> FaceDataset:
    """CK+ from the original release (its emotion frames) or from CK+48 (six classes)."""
    return (load_ckplus_original if _ck_original(path) else load_ckplus48)(path, **options)


@register_loader(
    "ckplus7", candidates=_ckplus7_candidates, layouts=_CK7_LAYOUTS, fingerprint_subfolders=_ck_subfolders,
    cache_key=lambda path, options: (_faces_key(path, options) if _ck_original(path)
                                     else {"multi_crop_rule": MULTI_CROP_RULE}),
    accepted=f"ckplus/{IMAGES_FOLDER}/Sxxx/yyy/*.png with ckplus/Emotion/ (original release), or a crop release "
             f"with a {NEUTRAL_FOLDER}/ folder: ckplus-neutral/CK+/<emotion>/S*_*_*.png (or ckplus/CK+/, CK+/) "
             f"with {NEUTRAL_FOLDER}/ beside anger contempt disgust fear happiness sadness surprise")
def _load_ckplus7(path, **options) -> FaceDataset:
    """The paper's seven-class CK+: the original release (with :data:`CKPLUS7_ORIGINAL_OPTIONS`,
    which :func:`load_dataset` sets) or a crop release with a ``neutral/`` folder."""
    return (load_ckplus_original if _ck_original(path) else load_ckplus_crops)(path, **options)


def _register_own_modules() -> None:
    """Import the module ``ferlib/datasets/<name>.py`` of each data set of
    :data:`ferlib.vocabulary.DATASET_INFO` that has no loader registered above, so that a
    new data set is that one module (its loader, registered with :func:`register_loader`)
    plus its entry in the vocabulary. Raises ``ImportError`` naming a data set that still
    has no loader."""
    for name in DATASET_INFO:
        if name not in LOADERS:
            try:
                importlib.import_module(f"{__package__}.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"{__package__}.{name}":
                    raise
    missing = [name for name in DATASET_INFO if name not in LOADERS]
    if missing:
        raise ImportError(f"data sets {missing} of ferlib.vocabulary.DATASET_INFO have no loader: register one "
                          f"with @register_loader in ferlib/datasets/<name>.py")


_register_own_modules()


def dataset_names() -> tuple:
    """The data sets with a loader (:func:`~ferlib.datasets.registry.register_loader`), in
    the order registered: those :func:`find_datasets` looks for under a data root."""
    return tuple(LOADERS)


def _candidates(name: str, data_dir: Path, layout=None) -> list:
    """``(path, accepted)`` pairs looked at for ``name``, in order of preference."""
    if name not in LOADERS:
        raise ValueError(f"unknown data set {name!r}; expected one of {(*dataset_names(), 'folders')}")
    layouts = LOADERS[name].layouts
    if layout not in layouts:
        raise ValueError(f"layout must be one of {layouts} for {name}, got {layout!r}")
    return LOADERS[name].candidates(data_dir, layout)


def find_dataset(name: str, data_dir, *, layout=None) -> Path:
    """The file or folder of data set ``name`` under ``data_dir``.

    ``name`` is ``"fer2013"``, ``"jaffe"``, ``"ckplus"`` or ``"ckplus7"``; ``layout``
    (CK+ only) is ``"original"``, ``"ck+48"`` (``ckplus``), ``"crops"`` (``ckplus7``) or
    ``None`` (the original release when present).
    Raises ``FileNotFoundError`` listing the paths looked at and the accepted layouts.
    """
    data_dir = _check_data_dir(data_dir)
    if pack.is_pack(data_dir):
        return _packed_path(name, data_dir)
    candidates = _candidates(name, data_dir, layout)
    for path, accepted in candidates:
        if accepted(path):
            return path
    looked = ", ".join(str(path) for path, _ in candidates)
    raise FileNotFoundError(
        f"no {name} data under {data_dir}; looked at {looked}; accepted layouts: "
        f"{LOADERS[name].accepted}"
    )


def find_datasets(data_dir) -> dict:
    """``{name: path}`` for each of fer2013, jaffe, ckplus and ckplus7 found under
    ``data_dir``.

    Raises ``FileNotFoundError`` when ``data_dir`` is not a folder.
    """
    data_dir = _check_data_dir(data_dir)
    if pack.is_pack(data_dir):
        return {name: _packed_path(name, data_dir) for name in pack.packed_names(data_dir) if name in LOADERS}
    found = {}
    for name in dataset_names():
        try:
            found[name] = find_dataset(name, data_dir)
        except FileNotFoundError:
            continue
    return found


def unrecognised_folders(data_dir) -> list:
    """Folders under ``data_dir`` that no data set layout accounts for.

    A folder is accounted for when some layout of :func:`dataset_names` accepts it (not
    only the first one found), lies inside one that is, or holds one. The folders
    holding a data set are searched one level further, so ``ckplus/junk`` beside
    ``ckplus/CK+48`` is reported too; hidden folders are ignored. Returns
    ``[(path, message)]`` in sorted order, the message naming the accepted layouts.
    """
    data_dir = _check_data_dir(data_dir)
    if pack.is_pack(data_dir):
        return []
    accepted = set()
    for name in dataset_names():
        for path, accepts in _candidates(name, data_dir):
            if accepts(path):
                accepted.add(path.resolve())
                if (path / IMAGES_FOLDER).is_dir():
                    accepted.update((path / sub).resolve() for sub in
                                    (IMAGES_FOLDER, *EMOTION_FOLDERS) if (path / sub).is_dir())
    holders = {parent for path in accepted for parent in path.parents}
    expected = "; ".join(f"{name}: {loader.accepted}" for name, loader in LOADERS.items())
    report = []

    def visit(folder):
        for entry in sorted(folder.iterdir()):
            if not entry.is_dir() or entry.name.startswith("."):
                continue
            resolved = entry.resolve()
            if resolved in accepted:
                continue
            if resolved in holders:
                visit(entry)
                continue
            report.append((entry, f"{entry}: no data set loader recognises this folder; "
                                  f"expected under {data_dir}: {expected}"))
    visit(data_dir)
    return report


def _packed_path(name: str, pack_dir: Path) -> Path:
    """The images file of data set ``name`` in a pack (:mod:`ferlib.pack`)."""
    datasets = pack.read_pack(pack_dir)["datasets"]
    if name not in datasets:
        raise FileNotFoundError(f"no {name} data in the pack {pack_dir}: it holds "
                                f"{', '.join(datasets) or 'nothing'}")
    return pack_dir / datasets[name]["files"]["images"]["name"]


def _fingerprint(name: str, path: Path) -> str:
    subfolders = LOADERS[name].fingerprint_subfolders
    return fingerprint_path(path, subfolders=subfolders(path) if subfolders else None)


def load_dataset(name: str, data_dir, *, cache_dir=None, layout=None,
                 **options) -> FaceDataset:
    """Find and load data set ``name`` under ``data_dir``, optionally through a cache.

    Args:
        name: ``"fer2013"``, ``"jaffe"``, ``"ckplus"`` (CK+48 or the original release's
            emotion frames: six classes from CK+48), ``"ckplus7"`` (the paper's seven
            classes: peak and neutral first frame of each labelled sequence), or
            ``"folders"`` (then ``data_dir`` is the folder of class sub-folders itself).
        data_dir: the data root (for ``"folders"``: the image folder).
        cache_dir: folder for parsed ``.npz`` files (:mod:`ferlib.datasets.cache`);
            ``None`` means no caching.
        layout: CK+ only: for ``ckplus`` ``"original"`` or ``"ck+48"``, for ``ckplus7``
            ``"original"`` or ``"crops"``; ``None`` (auto) prefers the original release.
        options: passed to the loader (:func:`~ferlib.datasets.fer2013.load_fer2013`,
            :func:`~ferlib.datasets.jaffe.load_jaffe`, :func:`load_ckplus48`,
            :func:`load_ckplus_original`, :func:`load_ckplus_crops`,
            :func:`load_folders`). ``ckplus7`` from the original release is
            :func:`load_ckplus_original` with :data:`CKPLUS7_ORIGINAL_OPTIONS`.

    ``source`` paths are relative to ``data_dir`` (for ``"folders"``: its parent).
    ``data_dir`` may also be a pack (:mod:`ferlib.pack`): the data set is then read from
    it, exactly as it was loaded when the pack was made (no cache, layout or options).
    Raises ``FileNotFoundError`` when ``data_dir`` or the data set is missing.
    """
    names = (*dataset_names(), "folders")
    if name not in names:
        raise ValueError(f"unknown data set {name!r}; expected one of {names}")
    if name != "folders" and pack.is_pack(data_dir):
        if layout is not None or options:
            raise ValueError(f"{data_dir} is a data pack: its {name} was loaded when the pack was "
                             f"made; layout and loader options do not apply (got layout={layout!r}, "
                             f"options={sorted(options)})")
        return pack.load_packed(name, data_dir)
    with_layouts = [other for other, loader in LOADERS.items() if loader.layouts != (None,)]
    if layout is not None and name not in with_layouts:
        raise ValueError(f"layout applies to {' and '.join(with_layouts)} only, got layout={layout!r} "
                         f"for {name}")
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
        loader = LOADERS[name].load
        if name == "ckplus7" and _ck_original(path):  # the options that make the seven classes
            for option, value in CKPLUS7_ORIGINAL_OPTIONS.items():
                if options.setdefault(option, value) != value:
                    raise ValueError(
                        f"ckplus7 is the peak frame and the neutral first frame of each "
                        f"sequence: {option}={options[option]!r} does not apply (it is "
                        f"{value!r}); use 'ckplus' with include_neutral/last_frames "
                        f"for other selections"
                    )
            options["name"] = "ckplus7"

    def load():
        return loader(path, relative_to=relative_to, **options)

    if cache_dir is None:
        return load()
    key_options = {
        "location": relative_name(path, relative_to),
        **options,
    }
    if name != "folders" and LOADERS[name].cache_key is not None:
        key_options.update(LOADERS[name].cache_key(path, options))
    return cached(cache_dir, name, _fingerprint(name, path), key_options, load)


def pack_data(data_dir, out_dir, *, names=None, cache_dir=None, log=None) -> dict:
    """Load data sets from a data root and write them as a pack (:func:`ferlib.pack.write_pack`).

    ``names``: the data sets to pack; ``None`` packs those of :data:`ferlib.pack.PACK_NAMES` found
    under ``data_dir`` (a named data set that is not there is an error).
    """
    pack.check_replaceable_pack(out_dir)  # before hours of loading
    if names is None:
        found = find_datasets(data_dir)
        names = [name for name in pack.PACK_NAMES if name in found]
        if not names:
            raise FileNotFoundError(f"{data_dir}: none of {', '.join(pack.PACK_NAMES)} found")
    datasets = {name: load_dataset(name, data_dir, cache_dir=cache_dir) for name in names}
    return pack.write_pack(datasets, out_dir, log=log)
