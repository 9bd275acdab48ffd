"""Drawing faces: parts onto a 2x canvas, down to 48x48, then a camera's photometry.

:func:`render_faces` draws the :func:`~ferlib.synthetic.geometry.face_parts` of a
parameter table with OpenCV polygons on a 96x96 canvas, averages it down to 48x48
(``INTER_AREA``) and applies lighting, contrast, blur, noise and gamma
(:func:`photometry`). The same parameters and noise generator give byte-identical images.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from ferlib.labels import IMAGE_SIZE
from ferlib.synthetic.face import parameter_table
from ferlib.synthetic.geometry import CANVAS, SHIFT, face_parts

CHUNK = 1024  # images rendered per vectorised block


def rasterise(parts, canvas) -> None:
    """Draw ``parts`` (:func:`~ferlib.synthetic.geometry.face_parts`) onto ``canvas``,
    ``(n, 96, 96)`` uint8, in order, face by face."""
    # plain Python lists: indexing them is much faster than numpy scalars in the loop
    plan = [(part.width is None, part.points, part.tone.tolist(),
             None if part.shown is None else np.asarray(part.shown).tolist(),
             None if part.width is None else part.width.tolist(),
             cv2.LINE_AA if part.smooth else cv2.LINE_8, part.closed) for part in parts]
    fill, lines = cv2.fillPoly, cv2.polylines
    for i in range(canvas.shape[0]):
        c = canvas[i]
        for filled, points, tone, shown, width, line_type, closed in plan:
            if shown is not None and not shown[i]:
                continue
            if filled:
                fill(c, points[i], tone[i], line_type, SHIFT)
            else:
                lines(c, points[i], closed, tone[i], width[i], line_type, SHIFT)


def photometry(images, t, rng):
    """Light, contrast, blur, noise and gamma on (n, 48, 48) float32 grey 0..255.

    Works in place on ``images``; returns (n, 48, 48) uint8. The order follows a
    camera: scene light, then optics (blur), sensor noise, and last the gamma curve.
    """
    f32 = np.float32
    coords = (np.arange(IMAGE_SIZE, dtype=f32) - (IMAGE_SIZE - 1) / 2) / (IMAGE_SIZE / 2)
    rad = np.deg2rad(t["light_angle"])
    along_x = (np.cos(rad) * t["light"]).astype(f32)[:, None, None] * coords[None, None, :]
    along_y = (np.sin(rad) * t["light"]).astype(f32)[:, None, None] * coords[None, :, None]
    images *= 1 + along_x + along_y
    mean = images.mean(axis=(1, 2), keepdims=True)
    contrast = t["contrast"].astype(f32)[:, None, None]
    offset = mean * (1 - contrast) + 255 * t["brightness"].astype(f32)[:, None, None]
    images *= contrast
    images += offset
    for i in np.flatnonzero(t["blur"] > 0.05):
        cv2.GaussianBlur(images[i], (0, 0), float(t["blur"][i]), dst=images[i],
                         borderType=cv2.BORDER_REFLECT)
    # sensor noise: the sum of two uniform bytes (triangular, sd 104.5 before
    # scaling) is several times faster to draw than Gaussian noise
    raw = np.frombuffer(rng.bytes(2 * images.size), dtype=np.uint8).reshape((2,) + images.shape)
    noise = raw[0].astype(f32)
    noise += raw[1]
    noise -= 255
    noise *= (255 / 104.5 * t["noise"]).astype(f32)[:, None, None]
    images += noise
    images += 0.5
    np.clip(images, 0, 255, out=images)
    out = images.astype(np.uint8)
    curved = np.flatnonzero(np.abs(t["gamma"] - 1) > 1e-3)
    luts = np.rint(255 * (np.arange(256) / 255.0) ** t["gamma"][curved, None]).astype(np.uint8)
    for i, lut in zip(curved, luts):
        cv2.LUT(out[i], lut, dst=out[i])
    return out


def render_faces(params: Mapping, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw faces from a parameter table.

    Args:
        params: maps names of :data:`~ferlib.synthetic.face.FACE_DEFAULTS` to floats or
            (n,) arrays (missing names take their defaults).
        rng: generator of the pixel noise (default: a generator seeded with 0, so
            the output is deterministic).

    Returns:
        (n, 48, 48) uint8 grey images.
    """
    table = parameter_table(params)
    rng = np.random.default_rng(0) if rng is None else rng
    n = len(table["scale"])
    out = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for start in range(0, n, CHUNK):
        part = {k: v[start:start + CHUNK] for k, v in table.items()}
        m = len(part["scale"])
        level = np.rint(np.clip(part["background"], 0, 1) * 255).astype(np.uint8)
        canvas = np.empty((m, CANVAS, CANVAS), dtype=np.uint8)
        canvas[:] = level[:, None, None]
        rasterise(face_parts(part), canvas)
        # INTER_AREA on the stacked canvases: a 2x2 mean never crosses two images
        small = cv2.resize(canvas.reshape(m * CANVAS, CANVAS), (IMAGE_SIZE, m * IMAGE_SIZE),
                           interpolation=cv2.INTER_AREA)
        small = small.reshape(m, IMAGE_SIZE, IMAGE_SIZE).astype(np.float32)
        out[start:start + m] = photometry(small, part, rng)
    return out


def render_face(params: Mapping | None = None, *, seed: int = 0) -> np.ndarray:
    """Draw one face; ``params`` maps names of
    :data:`~ferlib.synthetic.face.FACE_DEFAULTS` to floats.

    Returns a (48, 48) uint8 grey image; ``seed`` seeds its pixel noise.
    """
    params = {} if params is None else dict(params)
    for name, value in params.items():
        if np.ndim(value) != 0:
            raise ValueError(f"render_face: parameter {name!r} must be a scalar; "
                             f"use render_faces for arrays")
    return render_faces(params, np.random.default_rng(seed))[0]
