"""Reading images as grey levels, finding the face, cropping and resizing it to 48x48.

Face detection uses OpenCV's Haar cascade ``haarcascade_frontalface_default.xml``,
which ships inside the ``opencv-python-headless`` wheels of the 4.x series
(``cv2.data.haarcascades``). OpenCV 5 moved the cascade classifier out of its main
module and its wheels ship no cascade files; with such a build the detector is
unavailable and :func:`haar_detector` raises :class:`FaceDetectorUnavailable`, saying to
install ``opencv-python-headless<5`` (or to load with ``crop="center"``).

A face is cropped as the largest detected box, grown by ``margin`` (a fraction of the
box side) on every side and kept square. When no face is found the documented fallback
is a fixed central square crop (:func:`central_box`); callers count these and list them
in the data set's notes.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ferlib.labels import IMAGE_SIZE

#: The Haar cascade file used for faces (from ``cv2.data.haarcascades``).
CASCADE_FILE = "haarcascade_frontalface_default.xml"
#: Extra border added around a detected face, as a fraction of the box side.
DEFAULT_MARGIN = 0.1
#: Side of the fallback central crop, as a fraction of the shorter image side.
CENTRAL_CROP_FRACTION = 0.7
#: ``crop`` values the loaders accept.
CROP_MODES = ("detect", "center")
#: The largest image, in pixels, that any loader decodes (50 megapixels, far above any
#: face data set; Pillow's own decompression-bomb limits are higher). Checked from the
#: file's header before its pixels are decoded.
MAX_IMAGE_PIXELS = 50_000_000


class FaceDetectorUnavailable(RuntimeError):
    """The installed OpenCV has no Haar cascade classifier or no cascade file."""


class _Oversized(Exception):
    """An image larger than the caller's ``max_side`` (raised as ``ValueError``)."""


def read_grey(path, *, max_side=None) -> np.ndarray:
    """Read the image file at ``path`` as an ``(h, w)`` uint8 grey-level array, as the
    image shows (:func:`grey_levels` says how each mode becomes 8-bit grey, and which are
    refused).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file for
    one that is not a readable image (wrong format, truncated or corrupt), one of a mode
    that cannot be read as grey levels (the message names the mode), one of more than
    :data:`MAX_IMAGE_PIXELS` pixels (Pillow's decompression-bomb error included) or,
    when ``max_side`` is given, one wider or taller than ``max_side`` pixels (both
    checked from the header, before the pixels are decoded).
    """
    return read_grey_with_mode(path, max_side=max_side)[0]


def read_grey_with_mode(path, *, max_side=None) -> tuple:
    """Like :func:`read_grey`, also returning the file's PIL mode (e.g. ``"P"``, ``"L"``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if max_side is not None and max(image.size) > max_side:
                raise _Oversized(
                    f"{path}: image is {width}x{height} pixels, larger than {max_side} on a "
                    f"side; expected a face crop"
                )
            if width * height > MAX_IMAGE_PIXELS:
                raise _Oversized(_too_large(path, f"{width}x{height} pixels"))
            image.load()
            mode = image.mode
            array = grey_levels(ImageOps.exif_transpose(image))
    except _Oversized as err:
        raise ValueError(str(err)) from None
    except _Refused as err:
        raise ValueError(f"{path}: {err}") from None
    except Image.DecompressionBombError as err:
        raise ValueError(_too_large(path, f"refused by Pillow: {err}")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"{path}: not a readable image ({err})") from err
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{path}: expected a 2-D image, got shape {array.shape}")
    return array, mode


class _Refused(Exception):
    """An image whose mode cannot be read as grey levels (raised as ``ValueError``)."""


#: Modes read as Pillow converts them to ``L`` (colour by luminance, ``P`` through its
#: colour table, CMYK through RGB); each with an alpha band must be opaque.
_CONVERTED = {"1": "L", "L": "L", "P": "L", "RGB": "L", "RGBX": "L", "YCbCr": "L", "HSV": "RGB",
              "CMYK": "RGB", "LA": "LA", "PA": "RGBA", "RGBA": "RGBA", "La": "LA", "RGBa": "RGBA"}
_SIXTEEN_BITS = ("I;16", "I;16L", "I;16B", "I;16N")


def grey_levels(image) -> np.ndarray:
    """The ``(h, w)`` uint8 grey levels of a loaded Pillow image (EXIF orientation already
    applied), for every mode a loader meets:

    - ``1``, ``L``, ``P`` (through its colour table), ``RGB``, ``RGBX``, ``YCbCr``,
      ``HSV``, ``CMYK`` (through RGB): Pillow's conversion to ``L`` (luminance);
    - with an alpha band (``LA``, ``PA``, ``RGBA``, ``P`` with a transparent colour): the
      same when every pixel is opaque; transparent pixels are refused, since what they
      show depends on a background the file does not give;
    - 16-bit (``I;16``, ``I;16B``, ...) and 32-bit integers (``I``) within 0..65535:
      ``round(v / 257)``, so that 65535 is white (a 16-bit image made from an 8-bit one
      by ``v * 257`` reads back exactly); ``I`` outside 0..65535 is refused;
    - floats (``F``): values within 0..1 are read as fractions of white (``round(255 v)``),
      other values within 0..255 as grey levels (``round(v)``); values outside 0..255,
      NaN and infinities are refused.

    Any other mode (``LAB``, ``I;16S``...) is refused; a refusal raises ``_Refused`` with
    the mode (the callers add the file).
    """
    mode = image.mode
    if mode == "P" and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in _CONVERTED:
        target = _CONVERTED[mode]
        converted = image.convert(target) if target != mode else image
        if "A" in converted.mode:
            alpha = np.asarray(converted.getchannel("A"))
            if alpha.min() < 255:
                raise _Refused(f"mode {image.mode} with {int((alpha < 255).sum()):,} of {alpha.size:,} pixels "
                               f"transparent; expected an opaque image (flatten it onto a background first)")
        return np.asarray(converted.convert("L"), dtype=np.uint8)
    if mode in _SIXTEEN_BITS or mode == "I":
        values = np.asarray(image).astype(np.int64)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise _Refused(f"mode {mode} with values from {values.min()} to {values.max()}; expected 0..65535 "
                           f"(16-bit grey levels)")
        return np.rint(values / 257.0).astype(np.uint8)
    if mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if not np.isfinite(values).all():
            raise _Refused("mode F (floating point) with NaN or infinite values; expected grey levels")
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
        if low < 0 or high > 255:
            raise _Refused(f"mode F (floating point) with values from {low:g} to {high:g}; expected 0..1 "
                           f"(fractions of white) or 0..255 (grey levels)")
        scale = 255.0 if high <= 1.0 else 1.0
        return np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
    raise _Refused(f"mode {mode} cannot be read as grey levels; expected a grey, colour, palette, CMYK, 16-bit "
                   f"or floating-point image")


def _too_large(path, what: str) -> str:
    """The message for an image over :data:`MAX_IMAGE_PIXELS`."""
    return (f"{path}: image too large to decode ({what}); expected at most {MAX_IMAGE_PIXELS:,} "
            f"pixels (a face image); resize it first")


def resize_48(grey: np.ndarray) -> np.ndarray:
    """Resize an ``(h, w)`` uint8 image to ``(48, 48)`` with ``cv2.INTER_AREA``."""
    grey = np.ascontiguousarray(grey, dtype=np.uint8)
    if grey.shape == (IMAGE_SIZE, IMAGE_SIZE):
        return grey.copy()
    return cv2.resize(grey, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)


def haar_cascade_path() -> Path:
    """Path of :data:`CASCADE_FILE` in the installed OpenCV, or raise if absent."""
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = Path(folder or "") / CASCADE_FILE
    if not hasattr(cv2, "CascadeClassifier") or not folder or not path.is_file():
        raise FaceDetectorUnavailable(
            f"OpenCV {cv2.__version__} has no Haar cascade classifier or no {CASCADE_FILE} "
            f"(OpenCV 5 wheels ship neither). Install opencv-python-headless<5, e.g. "
            f"pip install 'opencv-python-headless>=4.8,<5', or load with crop='center'"
        )
    return path


@functools.lru_cache(maxsize=1)
def _haar_classifier():
    classifier = cv2.CascadeClassifier(str(haar_cascade_path()))
    if classifier.empty():
        raise FaceDetectorUnavailable(f"OpenCV could not load {haar_cascade_path()}")
    return classifier


def haar_detector():
    """Return the detector function ``detect(grey) -> (k, 4) int boxes`` (x, y, w, h).

    Raises :class:`FaceDetectorUnavailable` when OpenCV lacks the Haar cascade.
    """
    _haar_classifier()
    return detect_faces


def detect_faces(grey: np.ndarray, *, scale_factor=1.1, min_neighbors=5,
                 min_size_fraction=0.2) -> np.ndarray:
    """Detect frontal faces in an ``(h, w)`` uint8 image with the Haar cascade.

    Boxes smaller than ``min_size_fraction`` of the shorter image side are ignored.
    Returns a ``(k, 4)`` int array of ``(x, y, width, height)`` in pixels (k may be 0).
    """
    grey = np.ascontiguousarray(grey, dtype=np.uint8)
    if grey.ndim != 2:
        raise ValueError(f"detect_faces expects a 2-D grey image, got shape {grey.shape}")
    side = int(min(grey.shape) * min_size_fraction)
    boxes = _haar_classifier().detectMultiScale(
        grey, scaleFactor=scale_factor, minNeighbors=min_neighbors, minSize=(side, side)
    )
    return np.asarray(boxes, dtype=np.int64).reshape(-1, 4)


def largest_box(boxes) -> tuple | None:
    """The ``(x, y, w, h)`` box of largest area among ``boxes``, or ``None`` if empty."""
    if boxes is None:
        return None
    boxes = np.asarray(boxes).reshape(-1, 4)
    if not len(boxes):
        return None
    x, y, w, h = boxes[int(np.argmax(boxes[:, 2] * boxes[:, 3]))]
    return int(x), int(y), int(w), int(h)


def square_crop_box(box, image_shape, margin=DEFAULT_MARGIN) -> tuple:
    """Grow an ``(x, y, w, h)`` box by ``margin`` per side into a square inside the image.

    The square's side is ``max(w, h) * (1 + 2 * margin)``, capped at the shorter image
    side; it is centred on the box and shifted to lie inside the image.
    Returns ``(x0, y0, x1, y1)`` pixel bounds (x1, y1 exclusive).
    """
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    height, width = image_shape[:2]
    x, y, w, h = box
    side = int(round(max(w, h) * (1 + 2 * margin)))
    side = max(1, min(side, height, width))
    centre_x, centre_y = x + w / 2, y + h / 2
    x0 = int(round(min(max(centre_x - side / 2, 0), width - side)))
    y0 = int(round(min(max(centre_y - side / 2, 0), height - side)))
    return x0, y0, x0 + side, y0 + side


def central_box(image_shape, fraction=CENTRAL_CROP_FRACTION) -> tuple:
    """The fixed central square, ``fraction`` of the shorter side: ``(x0, y0, x1, y1)``."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    height, width = image_shape[:2]
    side = max(1, int(round(min(height, width) * fraction)))
    x0, y0 = (width - side) // 2, (height - side) // 2
    return x0, y0, x0 + side, y0 + side


def crop_face(grey: np.ndarray, *, detect=None, margin=DEFAULT_MARGIN,
              fallback_fraction=CENTRAL_CROP_FRACTION) -> tuple:
    """Crop the largest face of ``grey`` and resize it to 48x48.

    Args:
        grey: ``(h, w)`` uint8 image.
        detect: function ``grey -> (k, 4)`` boxes; default the Haar detector
            (:func:`haar_detector`). ``None`` boxes or ``k == 0`` means no face.
        margin: border around the face, fraction of the box side.
        fallback_fraction: side of the central crop used when no face is found.

    Returns ``(face, found)``: the ``(48, 48)`` uint8 crop and whether a face was found
    (``False`` means the central-crop fallback was used).
    """
    detect = haar_detector() if detect is None else detect
    box = largest_box(detect(grey))
    if box is None:
        x0, y0, x1, y1 = central_box(grey.shape, fallback_fraction)
    else:
        x0, y0, x1, y1 = square_crop_box(box, grey.shape, margin)
    return resize_48(grey[y0:y1, x0:x1]), box is not None


def face_cropper(crop="detect", *, margin=DEFAULT_MARGIN,
                 fallback_fraction=CENTRAL_CROP_FRACTION):
    """Return ``cropper(grey) -> (face48, found)`` for a loader's ``crop`` option.

    ``crop="detect"`` finds the face with the Haar cascade (central crop when none is
    found); ``crop="center"`` always takes the central crop (``found`` is ``False``).
    """
    if crop not in CROP_MODES:
        raise ValueError(f"crop must be one of {CROP_MODES}, got {crop!r}")
    if crop == "center":
        def center(grey):
            return crop_face(grey, detect=lambda _: None,
                             fallback_fraction=fallback_fraction)
        return center
    detect = haar_detector()

    def detect_and_crop(grey):
        return crop_face(grey, detect=detect, margin=margin,
                         fallback_fraction=fallback_fraction)
    return detect_and_crop


def detector_description(crop="detect", *, margin=DEFAULT_MARGIN,
                         fallback_fraction=CENTRAL_CROP_FRACTION) -> str:
    """A line naming the crop method and its settings (for notes and cache keys)."""
    if crop == "center":
        return f"central square crop, {fallback_fraction:g} of the shorter side"
    return (f"OpenCV {cv2.__version__} Haar cascade {CASCADE_FILE}, largest face, "
            f"margin {margin:g}; fallback central square crop {fallback_fraction:g}")


def crop_notes(crop, fallbacks, total: int, *, margin=DEFAULT_MARGIN,
               fallback_fraction=CENTRAL_CROP_FRACTION) -> list:
    """A loader's notes on its face crops: the method (:func:`detector_description`) and,
    with ``crop="detect"``, the files among ``total`` images that fell back to the central
    crop (``fallbacks``, their names)."""
    notes = ["faces: " + detector_description(crop, margin=margin, fallback_fraction=fallback_fraction)]
    if crop == "detect":
        notes.append(f"central-crop fallback (no face found): {len(fallbacks)} of {total}"
                     + (": " + ", ".join(fallbacks) if fallbacks else ""))
    return notes
