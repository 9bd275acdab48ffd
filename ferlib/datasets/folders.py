"""Any folder of class sub-folders (a user's own data), and the file-listing helpers.

Accepted layouts::

    ROOT/<class>/*.png                   no split (split column "")
    ROOT/train/<class>/*.png             split from the top folder:
    ROOT/val/<class>/*.png               train/, val/ or validation/, test/
    ROOT/test/<class>/*.png

Class folder names are mapped through :func:`ferlib.labels.label_index` (``angry``,
``anger``, ``happiness``... any spelling in :data:`ferlib.labels.ALIASES`). Images of
any size and mode are converted to grey and resized to 48x48 with ``cv2.INTER_AREA``.
Files that are not images by their suffix (``.DS_Store``, ``README.txt``...) are skipped
with a warning; a file with an image suffix that cannot be read is an error.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from ferlib.datasets.base import FaceDataset, make_dataset
from ferlib.datasets.faces import read_grey, resize_48
from ferlib.labels import ALIASES, EMOTIONS, label_index

#: File suffixes read as images (lower case).
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".pgm", ".ppm", ".pbm",
     ".webp"}
)
#: Top-level folder name -> split.
SPLIT_FOLDERS = {"train": "train", "val": "val", "validation": "val", "test": "test"}


def is_image_name(path) -> bool:
    """Whether ``path`` has an image suffix and is not a hidden file."""
    path = Path(path)
    return not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder, *, ignore_names=()) -> list:
    """Sorted image files directly in ``folder``.

    Other entries (non-image files, hidden files, sub-folders) are skipped with a
    ``warnings.warn`` naming them, except names in ``ignore_names`` (skipped silently).
    Raises ``FileNotFoundError`` when ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder not found: {folder}")
    images = []
    for entry in sorted(folder.iterdir()):
        if entry.name in ignore_names:
            continue
        if entry.is_file() and is_image_name(entry):
            images.append(entry)
        else:
            kind = "folder" if entry.is_dir() else "non-image file"
            warnings.warn(f"skipping {entry}: {kind} where image files were expected",
                          stacklevel=2)
    return images


def list_class_folders(folder) -> list:
    """Sorted class sub-folders of ``folder``; stray files and hidden folders are skipped
    with a warning. Raises ``ValueError`` when there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder not found: {folder}")
    classes = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            classes.append(entry)
        else:
            warnings.warn(f"skipping {entry}: expected only class sub-folders in {folder}",
                          stacklevel=2)
    if not classes:
        raise ValueError(f"{folder}: no class sub-folders; expected one folder per emotion")
    return classes


def class_label(folder) -> int:
    """Canonical label of a class folder, or ``ValueError`` naming the folder."""
    try:
        return label_index(Path(folder).name)
    except ValueError:
        raise ValueError(
            f"{folder}: unknown class folder name {Path(folder).name!r}; expected one of "
            f"{sorted(set(ALIASES) - {'an', 'di', 'fe', 'ha', 'ne', 'sa', 'su'})}"
        ) from None


def relative_name(path, relative_to) -> str:
    """``path`` relative to ``relative_to`` as a POSIX string (the bare name if outside)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path(relative_to).resolve()).as_posix()
    except ValueError:
        return path.name


def match_name(pattern, name, expected: str):
    """The match of ``pattern`` (a compiled regex) on the file name of ``name`` (a name
    or a path); ``ValueError`` naming the file and ``expected`` (the pattern in words,
    with an example) when it does not match."""
    match = pattern.match(Path(name).name)
    if not match:
        raise ValueError(f"{name}: file name does not match the {expected}")
    return match


def load_folders(root, *, name=None, relative_to=None) -> FaceDataset:
    """Load a folder of class sub-folders, with optional train/val/test top folders.

    Args:
        root: the folder (see the module docstring for the layouts).
        name: the data set name (default: the folder's name).
        relative_to: ``source`` paths are relative to this folder (default: the parent
            of ``root``).

    Returns a :class:`FaceDataset` with ``split`` from the top folders (``""`` without
    them). Raises ``FileNotFoundError`` for a missing folder and ``ValueError`` for an
    unknown class name, an empty class folder or an unreadable image.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"image folder not found: {root}; expected ROOT/<class>/*.png or "
            f"ROOT/train|val|test/<class>/*.png"
        )
    relative_to = root.parent if relative_to is None else Path(relative_to)
    subfolders = [p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    split_folders = [p for p in subfolders if p.name.lower() in SPLIT_FOLDERS]
    if split_folders and len(split_folders) != len(subfolders):
        others = [p.name for p in subfolders if p not in split_folders]
        raise ValueError(
            f"{root}: mixes split folders {[p.name for p in split_folders]} with other "
            f"folders {others}; expected either class folders or train/val/test folders"
        )
    parts = ([(SPLIT_FOLDERS[p.name.lower()], p) for p in split_folders]
             if split_folders else [("", root)])

    images, labels, split, source = [], [], [], []
    resized = 0
    for part, part_dir in parts:
        for class_dir in list_class_folders(part_dir):
            label = class_label(class_dir)
            files = list_images(class_dir)
            if not files:
                raise ValueError(f"{class_dir}: empty class folder; expected image files")
            for file in files:
                grey = read_grey(file)
                if grey.shape != (48, 48):
                    resized += 1
                images.append(resize_48(grey))
                labels.append(label)
                split.append(part)
                source.append(relative_name(file, relative_to))
    per_class = Counter(labels)
    notes = [
        f"class folders of {relative_name(root, relative_to)}: {len(labels)} images; "
        + ", ".join(f"{EMOTIONS[k]} {per_class[k]}" for k in sorted(per_class)),
    ]
    if split_folders:
        notes.append("split from the top folders " + ", ".join(
            f"{p.name}->{SPLIT_FOLDERS[p.name.lower()]}" for p in split_folders))
    if resized:
        notes.append(f"{resized} images were not 48x48 and were resized (INTER_AREA)")
    return make_dataset(name or root.name, np.stack(images), labels, split=split,
                        source=source, notes=notes)
