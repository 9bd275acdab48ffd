"""JAFFE loader: 213 uncropped 256x256 TIFFs named ``SUBJECT.EXPRn.ID.tiff``.

Subject and expression come from the file name, e.g. ``KA.AN1.39.tiff`` is subject
``KA``, expression ``AN`` (angry), take 1, image 39. Expression codes: AN angry,
DI disgust, FE fear, HA happy, NE neutral, SA sad, SU surprise. Palette (``P``) images
are converted to grey through their colour table. The faces are not cropped in the
files: each image goes through :func:`ferlib.datasets.faces.face_cropper` (Haar cascade,
largest face, small margin, 48x48 INTER_AREA; fixed central crop when no face is found,
counted in ``notes``).

``JAFFE_labels.txt`` (the semantic rating table) is ignored silently; other non-image
files are skipped with a warning; an image file whose name does not match the pattern
is an error.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from ferlib.datasets.base import FaceDataset, make_dataset
from ferlib.datasets.faces import (
    CENTRAL_CROP_FRACTION,
    DEFAULT_MARGIN,
    crop_notes,
    face_cropper,
    read_grey_with_mode,
)
from ferlib.datasets.folders import list_images, match_name, relative_name
from ferlib.labels import label_index

#: JAFFE expression code -> canonical class name.
EXPRESSIONS = {"AN": "angry", "DI": "disgust", "FE": "fear", "HA": "happy",
               "NE": "neutral", "SA": "sad", "SU": "surprise"}
#: ``SUBJECT.EXPRn.ID.tiff``; the take number n and the extension's case may vary.
NAME_PATTERN = re.compile(
    r"^(?P<subject>[A-Za-z]{2})\.(?P<code>[A-Za-z]{2})(?P<take>\d*)\.(?P<id>\d+)\.tiff?$",
    re.IGNORECASE,
)
#: Files that ship with JAFFE and are not images; skipped without a warning.
KNOWN_EXTRAS = ("JAFFE_labels.txt",)


def parse_jaffe_name(name) -> tuple:
    """``(subject, label)`` of a JAFFE file (name or path): ``"KA.AN1.39.tiff"`` -> ``("KA", 0)``.

    Raises ``ValueError`` naming the file when it does not match ``SUBJECT.EXPRn.ID.tiff``
    or the expression code is not one of :data:`EXPRESSIONS`.
    """
    match = match_name(NAME_PATTERN, name, "JAFFE pattern SUBJECT.EXPRn.ID.tiff (e.g. KA.AN1.39.tiff)")
    code = match.group("code").upper()
    if code not in EXPRESSIONS:
        raise ValueError(
            f"{name}: unknown JAFFE expression code {code!r}; expected one of "
            f"{sorted(EXPRESSIONS)}"
        )
    return match.group("subject").upper(), label_index(EXPRESSIONS[code])


def load_jaffe(path, *, crop="detect", margin=DEFAULT_MARGIN,
               fallback_fraction=CENTRAL_CROP_FRACTION, relative_to=None) -> FaceDataset:
    """Load the JAFFE folder at ``path`` as 48x48 face crops.

    Args:
        path: folder holding the ``*.tiff`` files.
        crop: ``"detect"`` (Haar cascade, central crop when no face is found) or
            ``"center"`` (always the central crop).
        margin: border around a detected face, fraction of the box side.
        fallback_fraction: side of the central crop, fraction of the shorter side.
        relative_to: ``source`` paths are relative to this folder (default: the parent
            of ``path``).

    Returns a :class:`FaceDataset` with ``split`` ``""`` (JAFFE has no official split)
    and ``subject`` the two-letter subject code.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(
            f"JAFFE folder not found: {path}; expected a folder of SUBJECT.EXPRn.ID.tiff"
        )
    relative_to = path.parent if relative_to is None else Path(relative_to)
    files = list_images(path, ignore_names=KNOWN_EXTRAS)
    if not files:
        raise ValueError(f"{path}: no image files; expected the 213 JAFFE TIFFs")
    parsed = [parse_jaffe_name(f) for f in files]  # all names checked before reading
    cropper = face_cropper(crop, margin=margin, fallback_fraction=fallback_fraction)

    images, fallbacks, modes = [], [], Counter()
    for file in files:
        grey, mode = read_grey_with_mode(file)
        modes[mode] += 1
        face, found = cropper(grey)
        images.append(face)
        if not found:
            fallbacks.append(file.name)
    subjects = [subject for subject, _ in parsed]
    labels = [label for _, label in parsed]

    notes = [
        f"JAFFE {relative_name(path, relative_to)}: {len(files)} images, "
        f"{len(set(subjects))} subjects; subject and expression from the file name "
        "(SUBJECT.EXPRn.ID.tiff), codes " + ", ".join(f"{c}->{n}" for c, n in
                                                     EXPRESSIONS.items()),
        "image modes: " + ", ".join(f"{m} {k}" for m, k in sorted(modes.items()))
        + ("; palette (P) images converted to grey (L) through their colour table"
           if modes.get("P") else ""),
        *crop_notes(crop, fallbacks, len(files), margin=margin, fallback_fraction=fallback_fraction),
    ]
    return make_dataset(
        "jaffe", np.stack(images), labels, subject=subjects,
        source=[relative_name(f, relative_to) for f in files], notes=notes,
    )
