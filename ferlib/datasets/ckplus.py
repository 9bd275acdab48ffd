"""CK+ loaders: the CK+48 face-crop release and the original Extended Cohn-Kanade release.

CK+48 (:func:`load_ckplus48`)::

    CK+48/<emotion>/S<subject>_<sequence>_<frame>.png     48x48 grey face crops

with folders ``anger contempt disgust fear happy sadness surprise`` holding the last
three frames of each of the 327 labelled sequences. It has no neutral images.

Original release (:func:`load_ckplus_original`)::

    ROOT/cohn-kanade-images/S005/001/S005_001_00000001.png ...   640x490-ish frames
    ROOT/Emotion/S005/001/S005_001_00000011_emotion.txt           one float code

with codes 0 neutral, 1 anger, 2 contempt, 3 disgust, 4 fear, 5 happy, 6 sadness,
7 surprise for the labelled sequences (327 of 593). The last ``last_frames`` frames of a
labelled sequence take its label, its first frame can be added as neutral, and every
frame goes through the face detector of :mod:`ferlib.datasets.faces`.

CK+ has an eighth class, contempt, which the paper lists in its Table 1 but does not say
how it used with seven-output networks: ``contempt="disgust"`` (default, ours) maps it
to disgust, ``contempt="drop"`` drops those images. ``notes`` says which.
Subjects are ``"S010"`` and sequences ``"S010_004"``.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from ferlib.datasets.base import FaceDataset, make_dataset
from ferlib.datasets.faces import (
    CENTRAL_CROP_FRACTION,
    DEFAULT_MARGIN,
    detector_description,
    face_cropper,
    read_grey,
    resize_48,
)
from ferlib.datasets.folders import list_class_folders, list_images, relative_name
from ferlib.labels import EMOTIONS, label_index

#: CK+ emotion code -> class name (``"contempt"`` is not a canonical class).
EMOTION_CODES = {0: "neutral", 1: "angry", 2: "contempt", 3: "disgust", 4: "fear",
                 5: "happy", 6: "sad", 7: "surprise"}
#: Accepted values of the ``contempt`` option.
CONTEMPT_CHOICES = ("disgust", "drop")
#: CK+ frame file name, e.g. ``S010_004_00000017.png``.
FRAME_PATTERN = re.compile(
    r"^(?P<subject>S\d+)_(?P<sequence>\d+)_(?P<frame>\d+)\.png$", re.IGNORECASE
)
#: Folder names of the original release.
IMAGES_FOLDER = "cohn-kanade-images"
EMOTION_FOLDERS = ("Emotion", "Emotion_labels/Emotion")


def parse_frame_name(name) -> tuple:
    """``(subject, sequence, frame)`` of a CK+ frame file (name or path).

    ``"S010_004_00000017.png"`` -> ``("S010", "S010_004", 17)``. Raises ``ValueError``
    naming the file when it does not match ``S<subject>_<sequence>_<frame>.png``.
    """
    match = FRAME_PATTERN.match(Path(name).name)
    if not match:
        raise ValueError(
            f"{name}: file name does not match the CK+ pattern "
            f"S<subject>_<sequence>_<frame>.png (e.g. S010_004_00000017.png)"
        )
    subject = match.group("subject").upper()
    return subject, f"{subject}_{match.group('sequence')}", int(match.group("frame"))


def _check_options(contempt, last_frames, *, allow_none=True):
    if contempt not in CONTEMPT_CHOICES:
        raise ValueError(f"contempt must be one of {CONTEMPT_CHOICES}, got {contempt!r}")
    if last_frames is None and allow_none:
        return
    if isinstance(last_frames, bool) or not isinstance(last_frames, (int, np.integer)) \
            or last_frames < 1:
        raise ValueError(f"last_frames must be a positive integer or None, got {last_frames!r}")


def _class_of(name: str, contempt: str):
    """Canonical label of a class name or ``None`` when it is contempt to be dropped."""
    if name.strip().lower() == "contempt":
        return None if contempt == "drop" else label_index("disgust")
    return label_index(name)


def _contempt_note(contempt: str, n_images: int, n_sequences: int) -> str:
    if contempt == "disgust":
        return (f"contempt mapped to disgust (our choice; the paper does not say): {n_images} images, "
                f"{n_sequences} sequences")
    return f"contempt dropped: {n_images} images, {n_sequences} sequences"


def load_ckplus48(path, *, last_frames=None, contempt="disgust",
                  relative_to=None) -> FaceDataset:
    """Load the CK+48 release (``CK+48/<emotion>/S*_*_*.png``, 48x48 grey).

    Args:
        path: the ``CK+48`` folder.
        last_frames: keep only the last N frames of each sequence (by frame number);
            ``None`` keeps all available (3 per sequence in the release).
        contempt: ``"disgust"`` maps contempt to disgust, ``"drop"`` drops it.
        relative_to: ``source`` paths are relative to this folder (default: the parent
            of ``path``).

    Raises ``ValueError`` for an unknown class folder, an empty one, a file name that
    does not match the pattern or a sequence found in two class folders.
    """
    _check_options(contempt, last_frames)
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(
            f"CK+48 folder not found: {path}; expected CK+48/<emotion>/S*_*_*.png"
        )
    relative_to = path.parent if relative_to is None else Path(relative_to)

    frames = defaultdict(list)  # sequence -> [(frame, file, class name)]
    class_of_sequence = {}
    for class_dir in list_class_folders(path):
        name = class_dir.name.lower()
        if name != "contempt":
            try:
                label_index(name)
            except ValueError:
                raise ValueError(
                    f"{class_dir}: unknown CK+48 class folder {class_dir.name!r}; expected "
                    f"anger contempt disgust fear happy sadness surprise (or neutral)"
                ) from None
        files = list_images(class_dir)
        if not files:
            raise ValueError(f"{class_dir}: empty class folder; expected S*_*_*.png frames")
        for file in files:
            subject, sequence, frame = parse_frame_name(file)
            if class_of_sequence.setdefault(sequence, name) != name:
                raise ValueError(
                    f"{file}: sequence {sequence} is also in the class folder "
                    f"{class_of_sequence[sequence]!r}; a sequence has one label"
                )
            frames[sequence].append((frame, file, name))

    images, labels, subjects, sequences, source = [], [], [], [], []
    contempt_images, contempt_sequences, resized, total = 0, set(), 0, 0
    for sequence in sorted(frames):
        kept = sorted(frames[sequence])
        total += len(kept)
        if last_frames is not None:
            kept = kept[-last_frames:]
        for _, file, name in kept:
            if name == "contempt":
                contempt_images += 1
                contempt_sequences.add(sequence)
            label = _class_of(name, contempt)
            if label is None:
                continue
            grey = read_grey(file)
            if grey.shape != (48, 48):
                resized += 1
                grey = resize_48(grey)
            images.append(grey)
            labels.append(label)
            subjects.append(sequence.split("_")[0])
            sequences.append(sequence)
            source.append(relative_name(file, relative_to))

    per_class = Counter(labels)
    notes = [
        f"CK+48 {relative_name(path, relative_to)}: {total} frames of {len(frames)} "
        f"sequences; kept {len(labels)} images of {len(set(sequences))} sequences, "
        f"{len(set(subjects))} subjects: "
        + ", ".join(f"{EMOTIONS[k]} {per_class[k]}" for k in sorted(per_class)),
        "frames kept per sequence: "
        + ("all available" if last_frames is None else f"the last {last_frames}"),
        "class folders mapped anger->angry, sadness->sad, happy, fear, disgust, surprise "
        "as named",
        _contempt_note(contempt, contempt_images, len(contempt_sequences)),
        "CK+48 has no neutral class (the paper's CK+ neutral images are the first frames "
        "of the original release's sequences)",
    ]
    if resized:
        notes.append(f"{resized} images were not 48x48 and were resized (INTER_AREA)")
    if not labels:
        raise ValueError(f"{path}: no images left after contempt={contempt!r}")
    return make_dataset("ckplus", np.stack(images), labels, subject=subjects,
                        sequence=sequences, source=source, notes=notes)


def read_emotion_code(path) -> int:
    """The integer emotion code (0..7) in a CK+ ``*_emotion.txt`` file.

    The file holds one float, e.g. ``"   3.0000000e+00"``. Raises ``ValueError``
    naming the file for anything else.
    """
    path = Path(path)
    text = path.read_text(errors="replace").strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer() or int(value) not in EMOTION_CODES:
        raise ValueError(
            f"{path}: emotion code {text!r} is not valid; expected one number 0..7 "
            f"(0 neutral, 1 anger, 2 contempt, 3 disgust, 4 fear, 5 happy, 6 sadness, "
            f"7 surprise)"
        )
    return int(value)


def find_emotion_folder(root) -> Path:
    """The ``Emotion`` label folder of an original CK+ release under ``root``."""
    root = Path(root)
    for name in EMOTION_FOLDERS:
        if (root / name).is_dir():
            return root / name
    raise FileNotFoundError(
        f"{root}: no emotion label folder; looked for "
        + ", ".join(str(root / n) for n in EMOTION_FOLDERS)
    )


def load_ckplus_original(path, *, last_frames=1, include_neutral=False,
                         contempt="disgust", crop="detect", margin=DEFAULT_MARGIN,
                         fallback_fraction=CENTRAL_CROP_FRACTION,
                         relative_to=None) -> FaceDataset:
    """Load the original CK+ release under ``path`` as 48x48 face crops.

    Args:
        path: folder holding ``cohn-kanade-images/`` and ``Emotion/``.
        last_frames: the last N frames of each labelled sequence take its label
            (default 1, the peak frame; ``None`` takes every frame).
        include_neutral: also take the first frame of each labelled sequence as neutral
            (unless it is already one of the last frames).
        contempt: ``"disgust"`` maps contempt to disgust, ``"drop"`` drops those frames
            (their neutral first frames are kept when ``include_neutral``).
        crop, margin, fallback_fraction: see :func:`ferlib.datasets.faces.face_cropper`.
        relative_to: ``source`` paths are relative to this folder (default: ``path``'s
            parent).

    Sequences without an emotion file are unlabelled and skipped (counted in notes).
    """
    _check_options(contempt, last_frames)
    path = Path(path)
    image_root = path / IMAGES_FOLDER
    if not image_root.is_dir():
        raise FileNotFoundError(
            f"CK+ image folder not found: {image_root}; expected "
            f"ROOT/{IMAGES_FOLDER}/Sxxx/yyy/*.png and ROOT/Emotion/Sxxx/yyy/*_emotion.txt"
        )
    emotion_root = find_emotion_folder(path)
    relative_to = path.parent if relative_to is None else Path(relative_to)
    cropper = face_cropper(crop, margin=margin, fallback_fraction=fallback_fraction)

    sequence_dirs = sorted(d for d in image_root.glob("*/*") if d.is_dir()
                           and not d.name.startswith(".") and not d.parent.name.startswith("."))
    images, labels, subjects, sequences, source = [], [], [], [], []
    fallbacks, unlabelled, contempt_images, contempt_sequences = [], 0, 0, set()
    for seq_dir in sequence_dirs:
        label_dir = emotion_root / seq_dir.parent.name / seq_dir.name
        label_files = sorted(label_dir.glob("*_emotion.txt")) if label_dir.is_dir() else []
        if not label_files:
            unlabelled += 1
            continue
        if len(label_files) > 1:
            raise ValueError(f"{label_dir}: {len(label_files)} emotion files; expected one")
        code = read_emotion_code(label_files[0])
        frames = list_images(seq_dir)
        if not frames:
            raise ValueError(f"{seq_dir}: labelled sequence without image frames")
        parsed = sorted((parse_frame_name(f), f) for f in frames)
        subject, sequence, _ = parsed[0][0]
        chosen = parsed if last_frames is None else parsed[-last_frames:]
        picks = [(f, _class_of(EMOTION_CODES[code], contempt)) for _, f in chosen]
        if EMOTION_CODES[code] == "contempt":
            contempt_images += len(chosen)
            contempt_sequences.add(sequence)
        if include_neutral and len(parsed) > len(chosen):
            picks.insert(0, (parsed[0][1], label_index("neutral")))
        for file, label in picks:
            if label is None:
                continue
            face, found = cropper(read_grey(file))
            if crop == "detect" and not found:
                fallbacks.append(relative_name(file, relative_to))
            images.append(face)
            labels.append(label)
            subjects.append(subject)
            sequences.append(sequence)
            source.append(relative_name(file, relative_to))
    if not labels:
        raise ValueError(f"{path}: no labelled CK+ sequence found under {emotion_root}")

    per_class = Counter(labels)
    notes = [
        f"CK+ original release {relative_name(path, relative_to)}: "
        f"{len(sequence_dirs) - unlabelled} labelled sequences of {len(sequence_dirs)}; "
        f"{unlabelled} without an emotion file skipped; kept {len(labels)} images of "
        f"{len(set(subjects))} subjects: "
        + ", ".join(f"{EMOTIONS[k]} {per_class[k]}" for k in sorted(per_class)),
        "frames per sequence: "
        + ("every frame" if last_frames is None else f"the last {last_frames}")
        + " with the sequence's label"
        + ("; the first frame as neutral" if include_neutral else "; no neutral frames"),
        "emotion codes mapped 0 neutral, 1 anger->angry, 2 contempt, 3 disgust, 4 fear, "
        "5 happy, 6 sadness->sad, 7 surprise",
        _contempt_note(contempt, contempt_images, len(contempt_sequences)),
        "faces: " + detector_description(crop, margin=margin,
                                          fallback_fraction=fallback_fraction),
    ]
    if crop == "detect":
        notes.append(
            f"central-crop fallback (no face found): {len(fallbacks)} of {len(labels)}"
            + (": " + ", ".join(fallbacks) if fallbacks else "")
        )
    return make_dataset("ckplus", np.stack(images), labels, subject=subjects,
                        sequence=sequences, source=source, notes=notes)


def ckplus_layout(path) -> str:
    """``"original"`` or ``"ck+48"`` for a CK+ folder, or ``FileNotFoundError``.

    ``path`` may be a folder holding ``cohn-kanade-images/`` (original), the ``CK+48``
    folder itself, or a folder holding ``CK+48/``.
    """
    path = Path(path)
    if (path / IMAGES_FOLDER).is_dir():
        return "original"
    if path.is_dir() and any((path / name).is_dir() for name in
                             ("anger", "contempt", "disgust", "fear", "happy", "sadness",
                              "surprise")):
        return "ck+48"
    raise FileNotFoundError(
        f"{path}: not a CK+ folder; expected CK+48/<emotion>/S*_*_*.png or "
        f"ROOT/{IMAGES_FOLDER}/Sxxx/yyy/*.png with ROOT/Emotion/"
    )


def load_ckplus(path, **options) -> FaceDataset:
    """Load CK+ from either layout (see :func:`ckplus_layout`), passing ``options`` on.

    Options of the original release (``include_neutral``, ``crop``...) given for CK+48
    raise ``ValueError``.
    """
    path = Path(path)
    if not (path / IMAGES_FOLDER).is_dir() and (path / "CK+48").is_dir():
        path = path / "CK+48"
    if ckplus_layout(path) == "original":
        return load_ckplus_original(path, **options)
    allowed = {"last_frames", "contempt", "relative_to"}
    extra = sorted(set(options) - allowed)
    if extra:
        raise ValueError(
            f"{path}: option(s) {extra} do not apply to the CK+48 release (it has 48x48 "
            f"face crops and no neutral frames); accepted: {sorted(allowed)}"
        )
    return load_ckplus48(path, **options)
