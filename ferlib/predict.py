"""A stored run's network on any photo: find the faces, crop them as the loaders do, and
give the seven class probabilities of each (the paper's Fig. 10, on your own images).

    model = load_run_model("0123456789abcdef", "runs")     # a seven-class run with weights
    found = predict_images(["me.jpg"], model)               # [ImagePrediction]
    found[0].probabilities                                  # (faces, 7), rows sum to 1
    write_annotated(found[0], "me.predicted.png")           # boxes and top labels

Faces are found with the detector of the data loaders (:mod:`ferlib.datasets.faces`:
OpenCV's Haar cascade ``haarcascade_frontalface_default.xml``, faces of at least a fifth
of the shorter image side), each box grown by the loaders' margin into a square and
resized to 48x48 with the same function. The loaders keep the largest face of an image
and fall back to a central crop when they find none; here every face found is
predicted, and an image without one is an error: a central crop of a photo without a
face would still get seven probabilities, which would mean nothing.

Every input is checked before anything is predicted or written: an unknown run id, a
run without weights, a run of the six-class CK+48 task, an unreadable image or an image
without a face stops with one line naming the run or the file, and no file is written.
Annotated images are written through a temporary file renamed into place
(:mod:`ferlib.atomic`).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ferlib import atomic
from ferlib.datasets.faces import (DEFAULT_MARGIN, detect_faces, haar_detector, read_grey, resize_48,
                                   square_crop_box)
from ferlib.labels import EMOTIONS, IMAGE_SIZE, NUM_CLASSES, label_index
from ferlib.store import MODEL_FILE, RunStore
from ferlib.synthetic import prototype_faces

#: What a run id looks like (:func:`ferlib.identity.run_id`): 16 hex digits.
RUN_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
#: Data sets whose task is not the seven classes of :data:`ferlib.labels.EMOTIONS`:
#: CK+48 has no neutral frames (six classes).
SIX_CLASS_DATASETS = ("ckplus",)
#: File endings ``write_annotated`` writes (Pillow picks the format from them).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
#: What names an annotated image written into a folder: ``<stem>.predicted<suffix>``, in
#: the input's format where it is one of :data:`IMAGE_SUFFIXES`, else PNG.
ANNOTATED_TAG = ".predicted"


class PredictionError(ValueError):
    """Bad input to :func:`predict_images` or :func:`load_run_model`: a one-line message
    naming the run or the file and what was expected."""


@dataclasses.dataclass(frozen=True)
class ImagePrediction:
    """The faces of one image and their predicted probabilities.

    Attributes:
        path: the image file.
        image_shape: ``(height, width)`` of the image in pixels.
        boxes: ``(k, 4)`` int pixel bounds ``(x0, y0, x1, y1)`` (x1, y1 exclusive) of the
            square crop of each face, left to right.
        faces: ``(k, 48, 48)`` uint8, the crops the network saw.
        probabilities: ``(k, 7)`` float32, one row per face in the order of
            :data:`ferlib.labels.EMOTIONS`, each summing to 1.
    """

    path: Path
    image_shape: tuple
    boxes: np.ndarray
    faces: np.ndarray
    probabilities: np.ndarray

    @property
    def labels(self) -> list:
        """The most probable class of each face, e.g. ``["happy"]``."""
        return [EMOTIONS[i] for i in self.probabilities.argmax(axis=1)]


#: How much :func:`synthetic_picture` enlarges a 48x48 synthetic face: the Haar cascade
#: looks for faces of at least 24x24 pixels and misses most drawn at 48x48.
PICTURE_UPSCALE = 4


def synthetic_picture(emotion: str, *, domain: str = "jaffe", seed: int = 0, upscale: int = PICTURE_UPSCALE,
                      border: int = 24) -> np.ndarray:
    """A synthetic face to try :func:`predict_images` on: the face of ``emotion`` drawn by
    :func:`ferlib.synthetic.prototype_faces` (one person of ``domain``, frontal, full
    expression), enlarged ``upscale`` times and set on a plain border of ``border``
    pixels (wider on the right), so that the Haar cascade finds it.

    Returns a ``(48 * upscale + 2 * border, 48 * upscale + 4 * border)`` uint8 grey image."""
    if isinstance(upscale, bool) or not isinstance(upscale, int) or upscale < 1:
        raise ValueError(f"upscale must be a positive int, got {upscale!r}")
    if isinstance(border, bool) or not isinstance(border, int) or border < 0:
        raise ValueError(f"border must be a non-negative int, got {border!r}")
    face = prototype_faces(domain, seed=seed)[label_index(emotion)]
    side = IMAGE_SIZE * upscale
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((side + 2 * border, side + 4 * border), int(np.median(face[:, 0])), dtype=np.uint8)
    canvas[border:border + side, border:border + side] = big
    return canvas


def check_run_id(run_id) -> str:
    """``run_id`` if it looks like a run id (16 hex digits), else :class:`PredictionError`."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise PredictionError(f"run id {run_id!r}: expected 16 hex digits, as `python -m ferlib runs` lists them")
    return run_id


def predictable_run(run_id: str, store):
    """The finished run ``run_id`` of ``store`` (a folder or a :class:`~ferlib.store.RunStore`)
    if its network can predict the seven classes, checked without loading it.

    Raises :class:`PredictionError` for a malformed or unknown id, a broken run folder, a
    run without weights or a run of a six-class task (:data:`SIX_CLASS_DATASETS`)."""
    store = store if isinstance(store, RunStore) else RunStore(store)
    check_run_id(run_id)
    run, problems = store.inspect(run_id)
    if problems:
        raise PredictionError(f"run {run_id} in {store.root} is broken: {'; '.join(problems)}")
    if run is None:
        raise PredictionError(f"run {run_id}: no such run in {store.root} "
                              f"(`python -m ferlib runs --store {store.root}` lists them)")
    if run.config.dataset in SIX_CLASS_DATASETS:
        raise PredictionError(f"run {run_id} ({run.config.label()}) is trained for CK+48, a six-class task "
                              f"without neutral; predict needs a run of a seven-class task "
                              f"(fer2013, jaffe or ckplus7)")
    if not run.has_model:
        raise PredictionError(f"run {run_id}: {run.path / MODEL_FILE} is absent: this run keeps no weights "
                              f"(committed results have none); train it into a local store to get them")
    return run


def load_run_model(run_id: str, store):
    """The network of run ``run_id`` (its best epoch), loaded with ``safe_mode=True``
    after :func:`predictable_run` checked the run; a weights file Keras cannot read is
    :class:`ferlib.store.BrokenRun` naming it."""
    # saves start-up time: Keras loads TensorFlow
    import ferlib.models  # noqa: F401  (registers the Standardize layer of standardised runs)

    return predictable_run(run_id, store).load_model()


def find_faces(grey: np.ndarray, *, margin: float = DEFAULT_MARGIN) -> tuple:
    """Every face the Haar cascade finds in ``grey``, cropped as the loaders crop one.

    Args:
        grey: ``(h, w)`` uint8 image.
        margin: border around each detected box, fraction of its side (the loaders').

    Returns:
        ``(boxes, faces)``: ``(k, 4)`` int64 square crop bounds ``(x0, y0, x1, y1)``, left
        to right, and ``(k, 48, 48)`` uint8 crops (k may be 0).
    """
    haar_detector()  # a clear error where OpenCV has no cascade
    found = detect_faces(grey)
    boxes = np.array([square_crop_box(box, grey.shape, margin) for box in found], dtype=np.int64).reshape(-1, 4)
    boxes = boxes[np.lexsort((boxes[:, 1], boxes[:, 0]))]
    faces = np.stack([resize_48(grey[y0:y1, x0:x1]) for x0, y0, x1, y1 in boxes]) if len(boxes) else \
        np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    return boxes, faces


def image_faces(path) -> tuple:
    """``(image_shape, boxes, faces)`` of the image file ``path`` (:func:`find_faces`).

    Raises ``FileNotFoundError`` for a missing file, ``ValueError`` naming it for one that
    is not a readable image (or too large to decode) and :class:`PredictionError` for an
    image in which no face is found."""
    grey = read_grey(path)
    boxes, faces = find_faces(grey)
    if not len(faces):
        height, width = grey.shape
        raise PredictionError(f"{path}: no face found ({width}x{height} pixels; the Haar cascade finds frontal "
                              f"faces of at least a fifth of the shorter side); expected a photo of a face")
    return grey.shape, boxes, faces


def predict_images(paths, model) -> list:
    """The faces of each image file of ``paths`` and the seven probabilities ``model``
    gives each.

    Args:
        paths: image files (any format Pillow reads: PNG, JPEG, TIFF...).
        model: a seven-class network (:func:`load_run_model`) taking ``(n, 48, 48, 1)``
            images in 0..255.

    Returns:
        one :class:`ImagePrediction` per path, in order. Every image is read and its faces
        found before any is predicted, so a bad file stops the whole call.
    """
    # saves start-up time: Keras loads TensorFlow
    from ferlib.training import predict_proba

    paths = [Path(p) for p in paths]
    if not paths:
        raise PredictionError("no image given; expected at least one image file")
    found = [image_faces(path) for path in paths]
    outputs = int(model.output_shape[-1])
    if outputs != NUM_CLASSES:
        raise PredictionError(f"the network has {outputs} outputs; expected {NUM_CLASSES} (a seven-class run)")
    faces = np.concatenate([f for _, _, f in found])
    probabilities = predict_proba(model, faces)
    results, start = [], 0
    for path, (shape, boxes, crops) in zip(paths, found):
        results.append(ImagePrediction(path=path, image_shape=tuple(shape), boxes=boxes, faces=crops,
                                       probabilities=probabilities[start:start + len(crops)]))
        start += len(crops)
    return results


def prediction_rows(predictions) -> list:
    """One dict per face of ``predictions``: ``image``, ``face`` (1-based, left to right),
    ``box`` ``[x0, y0, x1, y1]``, ``predicted`` and the seven probabilities by class name."""
    rows = []
    for item in predictions:
        for number, (box, probs) in enumerate(zip(item.boxes, item.probabilities), 1):
            rows.append({"image": str(item.path), "face": number, "box": [int(v) for v in box],
                         "predicted": EMOTIONS[int(np.argmax(probs))],
                         **{name: round(float(p), 4) for name, p in zip(EMOTIONS, probs)}})
    return rows


def annotated_image(prediction: ImagePrediction):
    """The image of ``prediction`` in colour (a PIL image) with each face's box and its
    most probable class and probability written above it."""
    with Image.open(prediction.path) as image:
        picture = image.convert("RGB")
    draw = ImageDraw.Draw(picture)
    for (x0, y0, x1, y1), probs in zip(prediction.boxes, prediction.probabilities):
        side = int(x1 - x0)
        width = max(2, side // 60)
        best = int(np.argmax(probs))
        text = f"{EMOTIONS[best]} {probs[best]:.2f}"
        font = ImageFont.load_default(size=max(12, side // 8))
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=(255, 200, 0), width=width)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        height = bottom - top + 2 * width
        top_y = y0 - height if y0 - height >= 0 else y0
        draw.rectangle([x0, top_y, x0 + right - left + 2 * width, top_y + height], fill=(255, 200, 0))
        draw.text((x0 + width - left, top_y + width - top), text, fill=(0, 0, 0), font=font)
    return picture


def annotated_suffix(path) -> str:
    """The suffix of ``path``'s annotated copy: its own (lower case) when Pillow writes
    it (:data:`IMAGE_SUFFIXES`), else ``.png``."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in IMAGE_SUFFIXES else ".png"


def annotated_paths(predictions, out) -> list:
    """Where :func:`write_annotated` puts each image of ``predictions``: ``out`` itself
    when it ends in an image suffix (:data:`IMAGE_SUFFIXES`) and is not a folder (one
    image only), else ``<out>/<stem>.predicted<suffix>`` per image (the input's suffix, or
    ``.png`` where Pillow would not write it). Raises
    :class:`PredictionError` when several images would share a file or a file would
    replace one of the input images."""
    out = Path(out)
    predictions = list(predictions)
    if out.suffix.lower() in IMAGE_SUFFIXES and not out.is_dir():
        if len(predictions) != 1:
            raise PredictionError(f"--out {out}: names one image file but {len(predictions)} images were "
                                  f"given; give a folder for several")
        targets = [out]
    else:
        if out.exists() and not out.is_dir():
            raise PredictionError(f"--out {out}: is a file without an image suffix; expected a folder or "
                                  f"a file ending in one of {', '.join(IMAGE_SUFFIXES)}")
        targets = [out / f"{item.path.stem}{ANNOTATED_TAG}{annotated_suffix(item.path)}" for item in predictions]
    if len(set(targets)) != len(targets):
        raise PredictionError(f"--out {out}: two images have the same name; annotate them into "
                              f"different folders")
    inputs = {item.path.resolve() for item in predictions}
    for target in targets:
        if target.resolve() in inputs:
            raise PredictionError(f"--out {target}: would replace an input image; choose another name")
    return targets


def write_annotated(predictions, out) -> list:
    """Write each image of ``predictions`` (an :class:`ImagePrediction` or a list) with
    its faces annotated (:func:`annotated_image`) to the files :func:`annotated_paths`
    names, each through a temporary file renamed into place; returns their paths. Every
    target is checked before the first is written."""
    predictions = [predictions] if isinstance(predictions, ImagePrediction) else list(predictions)
    targets = annotated_paths(predictions, out)
    pictures = [annotated_image(item) for item in predictions]
    for target, picture in zip(targets, pictures):
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic.replacing(target, keep_suffix=target.suffix) as tmp:
            picture.save(tmp)
    return targets
