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

Crop release with a neutral class (:func:`load_ckplus_crops`)::

    CK+/<folder>/S<subject>_<sequence>_<frame>.png        face crops (e.g. 128x128 grey)

with emotion folders (``anger contempt disgust fear happiness sadness surprise``, any
spelling of :mod:`ferlib.labels`) holding the peak frame of each labelled sequence, a
``neutral`` folder holding frame 1 of every sequence (labelled or not), and ``err``,
which is not a class and is skipped. This gives the paper's seven-class CK+ (data set
name ``ckplus7``): the peak frame and the neutral first frame of each of the 327
labelled sequences. Where the release's face detector fired more than once on a frame,
every box was saved with a crop digit appended to the 8-digit frame field
(``S032_003_000000010.png``, ``S032_003_000000011.png``: two crops of frame 1); the
loader keeps one crop per frame by :data:`MULTI_CROP_RULE`.

CK+ has an eighth class, contempt, which the paper lists apart in its Table 1 and, by its
section 5B, turns into disgust for its seven-output networks: ``contempt="disgust"``
(default, as the paper does) maps it to disgust, ``contempt="drop"`` drops those images.
``notes`` says which.
Subjects are ``"S010"`` and sequences ``"S010_004"``.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from ferlib.excerpt import excerpt
from ferlib.datasets.base import FaceDataset, make_dataset
from ferlib.datasets.faces import (
    CENTRAL_CROP_FRACTION,
    DEFAULT_MARGIN,
    crop_notes,
    face_cropper,
    read_grey,
    resize_48,
)
from ferlib.datasets.folders import list_class_folders, list_images, match_name, relative_name
from ferlib.labels import EMOTIONS, IMAGE_SIZE, label_index

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
#: File name in a crop release: 3-digit subject and sequence, 8-digit frame, and a crop
#: digit where the face detector fired more than once (``S032_003_000000010.png``).
CROP_NAME_PATTERN = re.compile(
    r"^(?P<subject>S\d{3})_(?P<sequence>\d{3})_(?P<frame>\d{8})(?P<crop>\d)?\.png$",
    re.IGNORECASE,
)
#: Folders of a crop release that are not emotion classes.
NEUTRAL_FOLDER = "neutral"
ERR_FOLDER = "err"
#: The emotion folders of the crop release with a neutral class (for messages).
CROP_RELEASE_FOLDERS = ("anger", "contempt", "disgust", "fear", "happiness", "neutral",
                        "sadness", "surprise")
#: Largest side (pixels) of an image accepted in a crop release (the release's crops are
#: 128x128); a larger file is reported as not a face crop before it is decoded.
MAX_CROP_SIDE = 1024
#: How one crop of a multi-crop group is chosen (also part of the cache key).
MULTI_CROP_RULE = (
    "in each multi-crop group the crop kept is the one whose 48x48 resize (INTER_AREA) has "
    "the highest Pearson correlation with any single-crop image of the same subject "
    "(every class folder, neutral included, err excluded); ties go to the lower crop "
    "digit; a subject without single-crop images is compared with the mean of all "
    "single-crop images of the release"
)


def parse_frame_name(name) -> tuple:
    """``(subject, sequence, frame)`` of a CK+ frame file (name or path).

    ``"S010_004_00000017.png"`` -> ``("S010", "S010_004", 17)``. Raises ``ValueError``
    naming the file when it does not match ``S<subject>_<sequence>_<frame>.png``.
    """
    match = match_name(FRAME_PATTERN, name,
                       "CK+ pattern S<subject>_<sequence>_<frame>.png (e.g. S010_004_00000017.png)")
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


def _counted(n: int, noun: str) -> str:
    """``"1 image"``, ``"18 images"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _contempt_note(contempt: str, n_images: int, n_sequences: int) -> str:
    counts = f"{_counted(n_images, 'image')}, {_counted(n_sequences, 'sequence')}"
    if contempt == "disgust":
        return f"contempt mapped to disgust (as the paper's section 5B does): {counts}"
    return f"contempt dropped (the paper maps it to disgust): {counts}"


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
            f"{path}: emotion code {excerpt(text)} is not valid; expected one number 0..7 "
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
                         relative_to=None, name="ckplus") -> FaceDataset:
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
        name: the data set name (``"ckplus7"`` for the paper's seven-class task, the
            peak frame and the neutral first frame: ``last_frames=1,
            include_neutral=True``).

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
        *crop_notes(crop, fallbacks, len(labels), margin=margin, fallback_fraction=fallback_fraction),
    ]
    return make_dataset(name, np.stack(images), labels, subject=subjects,
                        sequence=sequences, source=source, notes=notes)


def parse_crop_name(name) -> tuple:
    """``(subject, sequence, frame, crop)`` of a file in a CK+ crop release.

    ``"S010_004_00000017.png"`` -> ``("S010", "S010_004", 17, None)``;
    ``"S032_003_000000011.png"`` -> ``("S032", "S032_003", 1, 1)`` (crop 1 of frame 1).
    Raises ``ValueError`` naming the file when it does not match :data:`CROP_NAME_PATTERN`.
    """
    match = match_name(CROP_NAME_PATTERN, name,
                       "CK+ crop-release pattern S<subject>_<sequence>_<frame>.png with a 3-digit subject "
                       "and sequence and an 8-digit frame, optionally followed by one crop digit (e.g. "
                       "S010_004_00000017.png, S032_003_000000010.png)")
    subject = match.group("subject").upper()
    crop = match.group("crop")
    return (subject, f"{subject}_{match.group('sequence')}", int(match.group("frame")),
            None if crop is None else int(crop))


def _unit(image) -> np.ndarray:
    """``image`` flattened, centred and scaled to unit norm (zeros when constant), so that
    the dot product of two such vectors is their Pearson correlation."""
    vector = np.asarray(image, dtype=np.float64).ravel()
    vector = vector - vector.mean()
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def choose_crop(candidates, references) -> tuple:
    """Index of the face among a multi-crop group's ``candidates`` and their scores.

    Every image is first resized to 48x48 (:func:`~ferlib.datasets.faces.resize_48`,
    a copy when it is 48x48 already). A candidate's score is its highest Pearson
    correlation with any of ``references`` (images of the same subject); the highest
    score wins, ties the first candidate. Returns ``(index, scores)``.
    """
    refs = np.stack([_unit(resize_48(r)) for r in references])
    scores = [float((refs @ _unit(resize_48(c))).max()) for c in candidates]
    return int(np.argmax(scores)), scores


def _read_crop_release(path: Path) -> dict:
    """Read a crop release's class folders; choose one crop per multi-crop group.

    Returns ``emotion`` (``{folder: [(sequence, frame, file, image48, n_crops)]}``, one
    entry per frame, ``n_crops`` the files of that frame), ``neutral`` (the same list),
    ``neutral_dir``, ``err_files``, ``groups`` (one dict per multi-crop group: folder,
    subject, sequence, frame, files, chosen, scores), ``files`` (files read), ``sizes``
    (``Counter`` of image sizes) and ``fallback_subjects`` (subjects compared with the
    release's mean face).
    """
    if not path.is_dir():
        raise FileNotFoundError(
            f"CK+ crop release not found: {path}; expected <release>/<emotion>/S*_*_*.png "
            f"with folders {' '.join(CROP_RELEASE_FOLDERS)}"
        )
    emotion_dirs, neutral_dir, err_files = [], None, 0
    for folder in list_class_folders(path):
        key = folder.name.lower()
        if key == ERR_FOLDER:
            err_files = sum(1 for f in folder.rglob("*") if f.is_file())
        elif key == NEUTRAL_FOLDER:
            neutral_dir = folder
        elif key == "contempt":
            emotion_dirs.append(folder)
        else:
            try:
                if label_index(key) == label_index("neutral"):
                    raise ValueError
            except ValueError:
                raise ValueError(
                    f"{folder}: unknown folder {folder.name!r} in a CK+ crop release; "
                    f"expected the folders {' '.join(CROP_RELEASE_FOLDERS)} (any spelling "
                    f"of ferlib.labels, e.g. happy) and err/ (skipped)"
                ) from None
            emotion_dirs.append(folder)
    if neutral_dir is None:
        raise FileNotFoundError(
            f"{path}: no {NEUTRAL_FOLDER}/ folder; a CK+ crop release for the seven-class "
            f"task needs {NEUTRAL_FOLDER}/ holding frame 1 of the sequences beside the "
            f"emotion folders (CK+48 has no neutral frames: load it as 'ckplus')"
        )
    if not emotion_dirs:
        raise ValueError(f"{path}: no emotion folder; expected "
                         f"{' '.join(f for f in CROP_RELEASE_FOLDERS if f != NEUTRAL_FOLDER)}")

    # (folder, sequence, frame) -> [(crop, file, subject, image48)]
    frames, sizes = defaultdict(list), Counter()
    for folder in [*emotion_dirs, neutral_dir]:
        files = list_images(folder)
        if not files:
            raise ValueError(f"{folder}: empty folder; expected S*_*_*.png face crops")
        for file in files:
            subject, sequence, frame, crop = parse_crop_name(file)
            grey = read_grey(file, max_side=MAX_CROP_SIDE)
            sizes[grey.shape[::-1]] += 1
            frames[(folder, sequence, frame)].append((crop, file, subject, resize_48(grey)))

    singles = defaultdict(list)
    for members in frames.values():
        if len(members) == 1:
            singles[members[0][2]].append(members[0][3])
    mean_face = (np.mean([img for imgs in singles.values() for img in imgs], axis=0)
                 if singles else None)
    chosen, groups, fallback_subjects = {}, [], set()
    for key, members in frames.items():
        members.sort(key=lambda m: (-1 if m[0] is None else m[0], m[1].name))
        if len(members) == 1:
            chosen[key] = members[0]
            continue
        folder, sequence, frame = key
        subject = members[0][2]
        references = singles.get(subject)
        if not references:
            if mean_face is None:
                raise ValueError(
                    f"{members[0][1]}: cannot choose among {len(members)} crops of "
                    f"{sequence} frame {frame}: the release has no single-crop image to "
                    f"compare them with"
                )
            references = [mean_face]
            fallback_subjects.add(subject)
        index, scores = choose_crop([m[3] for m in members], references)
        chosen[key] = members[index]
        groups.append(dict(folder=folder.name, subject=subject, sequence=sequence,
                           frame=frame, files=[m[1] for m in members],
                           chosen=members[index][1], scores=scores))

    emotion, neutral = defaultdict(list), []
    for (folder, sequence, frame), (_, file, _, image) in sorted(
            chosen.items(), key=lambda item: (item[0][1], item[0][2], item[0][0].name)):
        target = neutral if folder == neutral_dir else emotion[folder]
        target.append((sequence, frame, file, image, len(frames[(folder, sequence, frame)])))
    return dict(emotion=emotion, neutral=neutral, neutral_dir=neutral_dir,
                err_files=err_files, groups=groups, files=sum(sizes.values()), sizes=sizes,
                fallback_subjects=sorted(fallback_subjects))


def multi_crop_choices(path) -> list:
    """The crop :data:`MULTI_CROP_RULE` keeps in every multi-crop group of a crop release.

    One dict per group (all class folders, neutral included, whether or not the loader
    keeps that frame): ``folder``, ``subject``, ``sequence``, ``frame``, ``files`` (names),
    ``chosen`` (name) and ``scores`` (one per file).
    """
    release = _read_crop_release(Path(path))
    return [dict(group, files=[f.name for f in group["files"]], chosen=group["chosen"].name)
            for group in release["groups"]]


def load_ckplus_crops(path, *, contempt="disgust", relative_to=None) -> FaceDataset:
    """Load a CK+ crop release with a ``neutral`` folder as the seven-class CK+ (``ckplus7``).

    Keeps, for each labelled sequence (one found in an emotion folder), its peak frame
    (the highest frame number there: the release holds one) with the folder's label, and
    its first frame from ``neutral/`` as neutral, so both rows share the sequence id
    ``"S010_004"`` (subject ``"S010"``). Neutral frames of sequences without an emotion
    label are dropped; ``err/`` is skipped; one crop per multi-crop group is kept
    (:data:`MULTI_CROP_RULE`); images are resized to 48x48 with ``cv2.INTER_AREA``.
    ``notes`` count what was kept and dropped.

    Args:
        path: the release folder (``CK+``).
        contempt: ``"disgust"`` maps contempt to disgust, ``"drop"`` drops those peak
            frames (their neutral first frames are kept).
        relative_to: ``source`` paths are relative to this folder (default: the parent
            of ``path``).

    Raises ``FileNotFoundError`` when the folder or its ``neutral/`` folder is missing and
    ``ValueError`` naming the folder or file for an unknown or empty folder, a file name
    that does not parse, an unreadable image or one over :data:`MAX_CROP_SIDE` pixels, or a
    sequence found in two emotion folders.
    """
    _check_options(contempt, None)
    path = Path(path)
    relative_to = path.parent if relative_to is None else Path(relative_to)
    release = _read_crop_release(path)

    peak, class_of_sequence, extra_peaks = {}, {}, 0
    for folder, entries in release["emotion"].items():
        name = folder.name.lower()
        for sequence, frame, file, image, _ in entries:
            if class_of_sequence.setdefault(sequence, name) != name:
                raise ValueError(
                    f"{file}: sequence {sequence} is also in the emotion folder "
                    f"{class_of_sequence[sequence]!r}; a sequence has one label"
                )
            if sequence in peak:
                extra_peaks += 1
                if frame < peak[sequence][0]:
                    continue
            peak[sequence] = (frame, file, image, name)
    first, neutral_frames, neutral_files = {}, Counter(), Counter()
    for sequence, frame, file, image, n_crops in release["neutral"]:
        neutral_frames[sequence] += 1
        neutral_files[sequence] += n_crops
        if sequence not in first or frame < first[sequence][0]:
            first[sequence] = (frame, file, image)
    unlabelled = sorted(set(first) - set(peak))
    no_neutral = sorted(set(peak) - set(first))
    extra_neutral = sum(neutral_frames[s] - 1 for s in peak if s in first)

    images, labels, subjects, sequences, source = [], [], [], [], []
    contempt_sequences = set()

    def add(file, image, label, sequence):
        images.append(image)
        labels.append(label)
        subjects.append(sequence.split("_")[0])
        sequences.append(sequence)
        source.append(relative_name(file, relative_to))

    for sequence in sorted(peak):
        frame, file, image, name = peak[sequence]
        if sequence in first:
            add(first[sequence][1], first[sequence][2], label_index("neutral"), sequence)
        if name == "contempt":
            contempt_sequences.add(sequence)
        label = _class_of(name, contempt)
        if label is not None:
            add(file, image, label, sequence)
    if not labels:
        raise ValueError(f"{path}: no images left after contempt={contempt!r}")

    kept_files = set(source)
    kept_groups = [g for g in release["groups"]
                   if relative_name(g["chosen"], relative_to) in kept_files]
    margins = [(sorted(g["scores"])[-1] - sorted(g["scores"])[-2], g) for g in kept_groups]
    per_class = Counter(labels)
    folders = sorted(f.name for f in release["emotion"])
    notes = [
        f"CK+ crop release {relative_name(path, relative_to)}: {release['files']} images in "
        f"{' '.join(folders)} {release['neutral_dir'].name}; kept {len(labels)} images of "
        f"{len(peak)} labelled sequences, {len(set(subjects))} subjects: "
        + ", ".join(f"{EMOTIONS[k]} {per_class[k]}" for k in sorted(per_class)),
        f"{ERR_FOLDER}/ skipped, not a class: {release['err_files']} files",
        f"peak frames: one per labelled sequence (the highest frame number in its emotion "
        f"folder), {len(peak)} sequences"
        + (f"; {extra_peaks} earlier frames dropped" if extra_peaks else ""),
        f"neutral: the first frame in {release['neutral_dir'].name}/ of each labelled "
        f"sequence, {len(peak) - len(no_neutral)} of {len(peak)}; dropped the neutral "
        f"frames of {len(unlabelled)} sequences without an emotion label "
        f"({sum(neutral_files[s] for s in unlabelled)} files, extra crops included)"
        + (f" and {extra_neutral} later frames of labelled sequences" if extra_neutral else "")
        + (f"; no neutral frame for {len(no_neutral)} labelled sequences: "
           + ", ".join(no_neutral) if no_neutral else ""),
        "class folders mapped anger->angry, happiness->happy, sadness->sad, disgust, fear, "
        "surprise as named; the neutral frame and the peak frame of a sequence share its "
        "sequence id (a sequence-grouped split keeps them together)",
        _contempt_note(contempt, len(contempt_sequences), len(contempt_sequences)),
        f"multi-crop groups (the release's face detector fired more than once; a crop digit "
        f"follows the 8-digit frame): {len(release['groups'])} groups, "
        f"{sum(len(g['files']) for g in release['groups'])} files in the release, "
        f"{len(kept_groups)} groups among the kept frames "
        f"({sum(len(g['files']) - 1 for g in kept_groups)} extra crops dropped there); "
        f"our rule, the release ships no list: {MULTI_CROP_RULE}",
    ]
    if margins:
        margin, group = min(margins, key=lambda m: m[0])
        notes.append(
            f"multi-crop choice: smallest lead of the chosen crop over the next among the "
            f"kept frames {margin:.3f} ({group['folder']}/{group['chosen'].name})"
        )
    if release["fallback_subjects"]:
        notes.append("multi-crop choice against the release's mean face (no single-crop "
                     "image of the subject): " + ", ".join(release["fallback_subjects"]))
    sizes = release["sizes"]
    notes.append(
        "images read at "
        + ", ".join(f"{w}x{h} ({n})" for (w, h), n in sorted(sizes.items()))
        + f", resized to {IMAGE_SIZE}x{IMAGE_SIZE} with cv2.INTER_AREA"
    )
    return make_dataset("ckplus7", np.stack(images), labels, subject=subjects,
                        sequence=sequences, source=source, notes=notes)


def is_crop_release(path) -> bool:
    """Whether ``path`` is a CK+ crop release with a neutral class (a ``neutral/`` folder
    beside at least one emotion folder)."""
    path = Path(path)
    return (path / NEUTRAL_FOLDER).is_dir() and any(
        entry.is_dir() and entry.name.lower() not in (NEUTRAL_FOLDER, ERR_FOLDER)
        and not entry.name.startswith(".") for entry in path.iterdir())


def ckplus_layout(path) -> str:
    """``"original"``, ``"crops"`` or ``"ck+48"`` for a CK+ folder, or ``FileNotFoundError``.

    ``path`` may be a folder holding ``cohn-kanade-images/`` (original), a crop release
    with a ``neutral/`` folder (:func:`is_crop_release`), the ``CK+48`` folder itself, or
    a folder holding ``CK+48/`` (or ``CK+/``, a crop release).
    """
    path = Path(path)
    if (path / IMAGES_FOLDER).is_dir():
        return "original"
    if path.is_dir() and is_crop_release(path):
        return "crops"
    if path.is_dir() and any((path / name).is_dir() for name in
                             ("anger", "contempt", "disgust", "fear", "happy", "sadness",
                              "surprise")):
        return "ck+48"
    raise FileNotFoundError(
        f"{path}: not a CK+ folder; expected CK+48/<emotion>/S*_*_*.png, a crop release "
        f"CK+/<emotion>/S*_*_*.png with CK+/{NEUTRAL_FOLDER}/, or "
        f"ROOT/{IMAGES_FOLDER}/Sxxx/yyy/*.png with ROOT/Emotion/"
    )


def load_ckplus(path, **options) -> FaceDataset:
    """Load CK+ from any layout (see :func:`ckplus_layout`), passing ``options`` on.

    A folder holding ``CK+48/`` loads that; one holding only ``CK+/`` (a crop release)
    loads it with :func:`load_ckplus_crops`. Options of the original release
    (``include_neutral``, ``crop``...) given for CK+48 or a crop release raise
    ``ValueError``.
    """
    path = Path(path)
    if not (path / IMAGES_FOLDER).is_dir():
        if (path / "CK+48").is_dir():
            path = path / "CK+48"
        elif (path / "CK+").is_dir():
            path = path / "CK+"
    layout = ckplus_layout(path)
    if layout == "original":
        return load_ckplus_original(path, **options)
    if layout == "crops":
        allowed, what = {"contempt", "relative_to"}, "a CK+ crop release (one peak frame " \
            "and one neutral frame per sequence, faces already cropped)"
    else:
        allowed, what = {"last_frames", "contempt", "relative_to"}, "the CK+48 release " \
            "(it has 48x48 face crops and no neutral frames)"
    extra = sorted(set(options) - allowed)
    if extra:
        raise ValueError(
            f"{path}: option(s) {extra} do not apply to {what}; accepted: {sorted(allowed)}"
        )
    if layout == "crops":
        return load_ckplus_crops(path, **options)
    return load_ckplus48(path, **options)


#: The two kinds of image of seven-class CK+ (``ckplus7``): each labelled sequence gives
#: its expression's peak frame and its neutral first frame.
FRAME_KINDS = ("peak", "neutral")


def frame_kind(source) -> str:
    """``"neutral"`` or ``"peak"``: which frame of its sequence a seven-class CK+ image is,
    read from its ``source`` name alone (as :func:`load_ckplus_crops` and
    :func:`load_ckplus_original` write it).

    A neutral frame is a file in a crop release's :data:`NEUTRAL_FOLDER` folder
    (``ckplus-neutral/CK+/neutral/S010_002_00000001.png``, also when its name carries a
    crop digit) or, in the original release, frame 1 of its sequence
    (``cohn-kanade-images/S005/001/S005_001_00000001.png``), the first frame that
    :func:`load_ckplus_original` takes as neutral. Every other frame is a peak frame (the
    last frame of a labelled sequence, in its emotion folder). Raises ``ValueError``
    naming the source when it is not a CK+ frame name.
    """
    path = Path(str(source))
    if any(part.lower() == NEUTRAL_FOLDER for part in path.parent.parts):
        return "neutral"
    match = FRAME_PATTERN.match(path.name)
    if match is None:
        raise ValueError(f"{source}: not a CK+ frame (expected S<subject>_<sequence>_<frame>.png)")
    return "neutral" if int(match.group("frame")) == 1 else "peak"
