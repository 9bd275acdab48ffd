"""Deterministic synthetic faces: the project's embedded default data.

Every image is a 48x48 grey face drawn from a handful of numbers. The expression
comes from facial geometry only (brows, eyes, nose, mouth), the same in every domain;
identity, pose, framing, lighting and noise come from the *domain*, which imitates
how one of the paper's three data sets looks:

``"fer2013"``
    in the wild: every image a new person, varied pose, scale, lighting, blur and
    noise, some occlusions and glasses, some low-contrast images; FER2013's class
    imbalance and its official train / val / test proportions (28709 : 3589 : 3589).
``"ckplus"``
    lab: frontal, even lighting, tightly cropped; many subjects with several
    sequences each, one expression per sequence, three near-duplicate frames per
    sequence (intensities just below the peak), like the CK+48 release; no split.
``"jaffe"``
    ten posed subjects, strong light always from the same side, the face smaller
    in the frame with long dark hair around it; about three images per subject and
    expression; no split.

How a face is made (each step is a public function, so the book can show it):

1. :data:`FACE_DEFAULTS` lists every parameter of a face (units below) with the
   value of a plain frontal neutral face;
2. :func:`apply_expression` adds an expression's geometry
   (:data:`EXPRESSION_ACTIONS`) at some intensity;
3. :func:`render_face` / :func:`render_faces` draw the geometry with OpenCV
   polygons on a 96x96 canvas, average it down to 48x48 (``INTER_AREA``) and apply
   lighting, contrast, gamma, blur and noise.

Units: geometry is in *face units*, the origin at the centre of the face, ``x`` to
the viewer's right, ``y`` down, the face's half-width about 1 (eyes at ``y`` about
-0.18, mouth at about +0.6, chin at about +1.3). ``center_x``, ``center_y`` and
``scale`` (output pixels per face unit) place the face in the 48x48 image. Grey
tones are fractions 0 (black) .. 1 (white) before lighting.

:func:`sample_params` draws the labels and parameters of a whole domain, and
:func:`make_synthetic` renders them into a data set; the same ``seed`` gives
byte-identical images, a different one different images. :func:`prototype_faces`
shows one person's seven expressions for a figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from ferlib.datasets.base import FaceDataset, make_dataset
from ferlib.labels import EMOTIONS, IMAGE_SIZE, NUM_CLASSES

DOMAINS = ("fer2013", "ckplus", "jaffe")

#: Number of images :func:`make_synthetic` draws when ``n`` is None.
DEFAULT_SIZES = {"fer2013": 3000, "ckplus": 981, "jaffe": 213}

#: FER2013 training counts per class (canonical order), used as class proportions.
FER2013_CLASS_COUNTS = (3995, 436, 4097, 7215, 4830, 3171, 4965)
#: FER2013 official split sizes: Training, PublicTest (val), PrivateTest (test).
FER2013_SPLIT_COUNTS = {"train": 28709, "val": 3589, "test": 3589}
#: CK+ labelled sequences per class (contempt 18 merged into disgust 59); neutral is
#: absent from CK+48, here given a modest share so that all 7 classes occur.
CKPLUS_SEQUENCE_COUNTS = (45, 77, 25, 69, 28, 83, 30)
#: CK+ has 118 subjects for its 327 labelled sequences.
CKPLUS_SUBJECTS_PER_SEQUENCE = 118 / 327
#: JAFFE images per class (canonical order) and its ten subjects.
JAFFE_CLASS_COUNTS = (30, 29, 32, 31, 31, 30, 30)
JAFFE_SUBJECTS = ("KA", "KL", "KM", "KR", "MK", "NA", "NM", "TM", "UY", "YM")

#: Names of the expression parameters ("actions"), all 0 on a neutral face.
ACTIONS = (
    "brow_raise",    # whole brows up (face units; negative = lowered)
    "brow_inner",    # inner brow ends up (negative = pulled down, the angry "V")
    "brow_knit",     # 0..1, brows pulled together, frown lines between them
    "brow_arch",     # extra arch of the brows (face units)
    "eye_open",      # relative change of eye opening (-0.3 = 30 % narrower)
    "cheek_raise",   # 0..1, cheeks up: lower lids pushed up, nasolabial folds
    "nose_wrinkle",  # 0..1, wrinkles on the nose bridge, nostrils pulled up
    "upper_lip",     # upper lip raised (face units)
    "mouth_curve",   # mouth corners up (face units; negative = down)
    "mouth_open",    # lips apart (face units)
    "mouth_width",   # relative change of mouth width
    "lip_press",     # 0..1, lips pressed thin
    "mouth_asym",    # one mouth corner up (signed, face units x 10)
)

#: Each expression's actions at full intensity (missing actions are 0).
EXPRESSION_ACTIONS = {
    "angry": dict(brow_raise=-0.07, brow_inner=-0.09, brow_knit=1.0, eye_open=-0.12,
                  mouth_curve=-0.03, mouth_width=-0.12, lip_press=0.9),
    "disgust": dict(brow_raise=-0.05, brow_inner=-0.04, brow_knit=0.5, eye_open=-0.35,
                    cheek_raise=0.3, nose_wrinkle=1.0, upper_lip=0.06, mouth_curve=-0.06,
                    mouth_open=0.03, mouth_width=-0.05, mouth_asym=0.5),
    "fear": dict(brow_raise=0.08, brow_inner=0.07, brow_knit=0.4, brow_arch=-0.02,
                 eye_open=0.55, mouth_curve=-0.04, mouth_open=0.10, mouth_width=0.25,
                 lip_press=0.2),
    "happy": dict(brow_raise=0.02, eye_open=-0.3, cheek_raise=1.0, mouth_curve=0.16,
                  mouth_open=0.06, mouth_width=0.35),
    "sad": dict(brow_raise=-0.01, brow_inner=0.10, brow_arch=-0.02, eye_open=-0.25,
                mouth_curve=-0.10, mouth_width=-0.05, lip_press=0.3),
    "surprise": dict(brow_raise=0.16, brow_inner=0.03, brow_arch=0.05, eye_open=0.75,
                     mouth_open=0.30, mouth_width=-0.25),
    "neutral": {},
}

#: Expressions whose open mouth shows the upper teeth.
SHOWS_TEETH = ("happy", "disgust")

#: Person-to-person spread of each action around the expression (standard deviation
#: at domain variability 1): makes neighbouring classes overlap a little.
ACTION_SPREAD = dict(brow_raise=0.03, brow_inner=0.025, brow_knit=0.2, brow_arch=0.015,
                     eye_open=0.12, cheek_raise=0.15, nose_wrinkle=0.12, upper_lip=0.015,
                     mouth_curve=0.025, mouth_open=0.025, mouth_width=0.07,
                     lip_press=0.15, mouth_asym=0.15)

#: Every parameter of a face with the value of a plain frontal neutral face.
FACE_DEFAULTS = {
    # identity: shape (face units)
    "face_w": 1.0, "face_h": 1.32, "jaw": 0.5,
    "eye_x": 0.38, "eye_y": -0.18, "eye_w": 0.19, "eye_h": 0.085, "iris_r": 0.45,
    "gaze_x": 0.0,
    "brow_h": 0.24, "brow_th": 0.065, "brow_in_x": 0.13, "brow_arch0": 0.03,
    "nose_y": 0.28, "mouth_y": 0.62, "mouth_w": 0.30, "lip_th": 0.055, "fold_age": 0.1,
    # identity: hair (hair_long 0/1; hairline y in face units; hair_side radians)
    "hair_long": 0.0, "hairline": -0.72, "hair_side": 0.3, "hair_len": 1.5,
    # identity: tones (0 black .. 1 white)
    "skin": 0.68, "hair": 0.15, "brow_dark": 0.4, "iris": 0.12, "lip_dark": 0.72,
    "clothes": 0.3, "background": 0.5,
    # expression actions (see ACTIONS), and whether teeth show when the mouth is open
    **{name: 0.0 for name in ACTIONS}, "teeth": 0.0,
    # accessories: glasses 0 none / 1 frames / 2 sunglasses; occluder 0 none /
    # 1 bar / 2 blob at (occ_x, occ_y) face units, size occ_w x occ_h, angle occ_angle
    "glasses": 0.0, "glass_tone": 0.1,
    "occluder": 0.0, "occ_x": 0.0, "occ_y": 0.6, "occ_w": 0.5, "occ_h": 0.35,
    "occ_angle": 0.0, "occ_tone": 0.5,
    # pose: face centre (output pixels), scale (output px per face unit),
    # in-plane rotation (degrees), yaw (-1..1, turned towards the viewer's right)
    "center_x": 24.0, "center_y": 25.0, "scale": 16.0, "angle": 0.0, "yaw": 0.0,
    # background: an object behind the head (0/1), a rectangle centred at
    # (bg_obj_x, bg_obj_y) face units, half-size bg_obj_w x bg_obj_h, rotated
    "bg_obj": 0.0, "bg_obj_x": 1.5, "bg_obj_y": -1.0, "bg_obj_w": 0.8, "bg_obj_h": 1.5,
    "bg_obj_angle": 0.0, "bg_obj_tone": 0.3,
    # photometry: light gradient strength and direction (degrees), contrast about
    # the image mean, brightness offset, gamma, Gaussian blur sigma (output px),
    # noise standard deviation (fraction of 255)
    "light": 0.0, "light_angle": 0.0, "contrast": 1.0,
    "brightness": 0.0, "gamma": 1.0, "blur": 0.0, "noise": 0.0,
}

_SUPERSAMPLE = 2                     # canvas pixels per output pixel
_CANVAS = IMAGE_SIZE * _SUPERSAMPLE  # 96
_SHIFT = 4                           # OpenCV sub-pixel bits
_CHUNK = 1024                        # images rendered per vectorised block


# --------------------------------------------------------------------------- params

def apply_expression(params: Mapping, emotion: str, intensity: float = 1.0) -> dict:
    """Return a copy of ``params`` with ``emotion``'s actions added at ``intensity``.

    ``params`` maps parameter names (see :data:`FACE_DEFAULTS`) to floats; missing
    ones take their defaults. ``intensity`` 0 leaves the face as it is, 1 adds the
    full expression of :data:`EXPRESSION_ACTIONS`.
    """
    if emotion not in EXPRESSION_ACTIONS:
        raise ValueError(f"unknown emotion {emotion!r}; expected one of {EMOTIONS}")
    out = {**FACE_DEFAULTS, **params}
    for name, value in EXPRESSION_ACTIONS[emotion].items():
        out[name] = out[name] + intensity * value
    if emotion in SHOWS_TEETH and intensity > 0.5:
        out["teeth"] = 1.0
    return out


def _as_table(params: Mapping) -> dict:
    """Broadcast a parameter mapping to float64 arrays of one length, with defaults."""
    unknown = set(params) - set(FACE_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown face parameters {sorted(unknown)}; "
                         f"expected names from FACE_DEFAULTS")
    n = max([np.size(v) for v in params.values()] + [1])
    table = {}
    for name, default in FACE_DEFAULTS.items():
        value = np.asarray(params.get(name, default), dtype=np.float64).reshape(-1)
        if value.size not in (1, n):
            raise ValueError(f"face parameter {name!r} has {value.size} values, expected 1 or {n}")
        if not np.isfinite(value).all():
            raise ValueError(f"face parameter {name!r} must be finite, got {value}")
        table[name] = np.broadcast_to(value, (n,)).copy()
    return table


# ------------------------------------------------------------------------- geometry

def _pose(table):
    """Per-image transform face units -> canvas sub-pixel units, as a closure."""
    k = _SUPERSAMPLE * (1 << _SHIFT)
    rad = np.deg2rad(table["angle"])
    cx, cy, s = table["center_x"], table["center_y"], table["scale"]
    c, sn = np.cos(rad) * s, np.sin(rad) * s

    def to_canvas(x, y):
        shape = (-1,) + (1,) * (np.ndim(x) - 1)
        x, y = np.broadcast_arrays(x, y)
        px = cx.reshape(shape) + c.reshape(shape) * x - sn.reshape(shape) * y
        py = cy.reshape(shape) + sn.reshape(shape) * x + c.reshape(shape) * y
        return np.rint(np.stack([px, py], axis=-1) * k).astype(np.int32)

    return to_canvas


def _col(a):
    return a[:, None]


def _ellipse_xy(cx, cy, ax, ay, k=20, ay_top=None):
    """Points (n, k) of ellipses; ``ay_top`` gives a different upper half-height."""
    t = np.linspace(0, 2 * np.pi, k, endpoint=False)
    sin_t = np.sin(t)
    x = _col(cx) + _col(ax) * np.cos(t)
    if ay_top is None:
        y = _col(cy) + _col(ay) * sin_t
    else:
        y = _col(cy) + np.where(sin_t < 0, _col(ay_top), _col(ay)) * sin_t
    return x, y


def _rectangle_xy(cx, cy, half_w, half_h, angle_deg):
    """Corner points (n, 4) of rectangles rotated by ``angle_deg``."""
    rad = np.deg2rad(angle_deg)
    lx = np.array([-1.0, 1.0, 1.0, -1.0])
    ly = np.array([-1.0, -1.0, 1.0, 1.0])
    dx, dy = _col(half_w) * lx, _col(half_h) * ly
    cos, sin = _col(np.cos(rad)), _col(np.sin(rad))
    return _col(cx) + cos * dx - sin * dy, _col(cy) + sin * dx + cos * dy


def _face_geometry(t):
    """Polygons and polylines of every face part, as canvas sub-pixel int32 arrays.

    ``t`` is a parameter table (see :func:`_as_table`). Returns a dict of
    ``(n, parts, k, 2)`` int32 point arrays (keys ending ``_pts``), ``(n,)`` float
    tones 0..255 (``_tone``), ``(n,)`` bool switches (``_on``) and ``(n,)`` int line
    thicknesses in canvas pixels (``thin``, ``lid_th``).
    """
    n = len(t["scale"])
    to_canvas = _pose(t)
    g = {}
    fw, fh, yaw = t["face_w"], t["face_h"], t["yaw"]
    skin = t["skin"]

    # shoulders and neck
    x, y = _ellipse_xy(np.zeros(n), fh + 1.35, 2.3 * fw, np.full(n, 0.9), k=24)
    g["shoulders_pts"] = to_canvas(x, y)[:, None]
    nx = 0.42 * fw
    x = np.stack([-nx, nx, nx, -nx], 1)
    y = np.stack([np.full(n, 0.6), np.full(n, 0.6), fh + 0.55, fh + 0.55], 1)
    g["neck_pts"] = to_canvas(x + _col(0.3 * yaw), y)[:, None]

    # long hair behind the head
    a = np.linspace(np.pi, 2 * np.pi, 13)
    ax, ay = 1.2 * fw, 1.1 * fh
    top_x = _col(ax) * np.cos(a)
    top_y = _col(ay) * np.sin(a) - 0.05
    length = t["hair_len"]
    flare = 0.12 * fw
    x = np.concatenate([top_x, np.stack([ax + flare, -ax - flare], 1)], 1)
    y = np.concatenate([top_y, np.stack([length, length], 1)], 1)
    g["hair_back_pts"] = to_canvas(x, y)[:, None]

    # ears
    ex = np.stack([-0.98 * fw, 0.98 * fw], 1) + _col(0.1 * yaw)
    x, y = _ellipse_xy(ex.ravel(), np.full(2 * n, -0.05), np.full(2 * n, 0.13),
                       np.full(2 * n, 0.25), k=12)
    g["ears_pts"] = to_canvas(x.reshape(n, 2, -1), y.reshape(n, 2, -1))

    # face outline: an egg, narrower towards the chin by `jaw`
    a = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    narrow = 1 - 0.25 * _col(t["jaw"]) * np.clip(np.sin(a), 0, 1) ** 2
    x = _col(fw) * np.cos(a) * narrow
    y = _col(fh) * np.sin(a)
    g["face_pts"] = to_canvas(x, y)[:, None]

    # hair cap: head outline from one side over the top, back along the hairline
    side = t["hair_side"]
    a = np.linspace(0, 1, 17)
    a = _col(np.pi - side) + a * _col(np.pi + 2 * side)
    cap_x = _col(1.06 * fw) * np.cos(a)
    cap_y = _col(1.04 * fh) * np.sin(a) - 0.04
    u = np.linspace(1, -1, 9)
    line_x = _col(0.8 * fw) * u
    line_y = _col(t["hairline"]) + 0.3 * u ** 2
    g["hair_cap_pts"] = to_canvas(np.concatenate([cap_x, line_x], 1),
                                  np.concatenate([cap_y, line_y], 1))[:, None]

    # eyes: sockets, whites, irises (clipped to the lids), upper lid lines
    sides = np.array([-1.0, 1.0])
    eye_cx = sides * _col(t["eye_x"]) + _col(0.14 * yaw)            # (n, 2)
    eye_w = _col(t["eye_w"]) * (1 - 0.3 * sides * _col(yaw))
    eye_cy = np.repeat(_col(t["eye_y"]), 2, 1)
    opening = np.clip(t["eye_h"] * (1 + t["eye_open"]), 0.012, None)
    up = np.repeat(_col(opening), 2, 1)
    low = np.repeat(_col(opening * 0.6 * (1 - 0.45 * np.clip(t["cheek_raise"], 0, 1))), 2, 1)

    # both eyes of every face as one flat batch of 2n eyes
    cx, cy, w = eye_cx.ravel(), eye_cy.ravel(), eye_w.ravel()
    upper, lower = up.ravel(), low.ravel()

    def both_eyes(x, y):
        return to_canvas(x.reshape(n, 2, -1), y.reshape(n, 2, -1))

    g["sockets_pts"] = both_eyes(*_ellipse_xy(cx, cy - 0.02, 1.45 * w, 0.1 + 0.8 * upper, k=16))
    g["eyes_pts"] = both_eyes(*_ellipse_xy(cx, cy, w, lower, k=16, ay_top=upper))
    r = np.repeat(t["iris_r"], 2) * w
    x, y = _ellipse_xy(cx + np.repeat(t["gaze_x"], 2) * 0.3 * w, cy, r, r, k=14)
    inside = np.sqrt(1 - np.clip((x - _col(cx)) / _col(w), -1, 1) ** 2)
    y = np.clip(y, _col(cy) - _col(upper) * inside, _col(cy) + _col(lower) * inside)
    g["irises_pts"] = both_eyes(x, y)                    # iris clipped by the lids
    a = np.linspace(np.pi * 1.05, np.pi * 1.95, 9)
    g["lids_pts"] = both_eyes(_col(cx) + _col(w) * np.cos(a), _col(cy) + _col(upper) * np.sin(a))

    # brows: tapered bands along a quadratic curve, inner end to outer end
    raise_, inner = t["brow_raise"], t["brow_inner"]
    knit = np.clip(t["brow_knit"], 0, 1)
    base = t["eye_y"] - t["brow_h"]
    in_x = t["brow_in_x"] - 0.05 * knit
    out_x = t["eye_x"] + 1.3 * t["eye_w"]
    in_y = base - raise_ - inner + 0.03 * knit
    out_y = base - 0.75 * raise_ + 0.02
    mid_x = 0.5 * (in_x + out_x)
    mid_y = 0.5 * (in_y + out_y) - 2 * (t["brow_arch0"] + t["brow_arch"])
    s = np.linspace(0, 1, 7)
    bx = (1 - s) ** 2 * _col(in_x) + 2 * s * (1 - s) * _col(mid_x) + s ** 2 * _col(out_x)
    by = (1 - s) ** 2 * _col(in_y) + 2 * s * (1 - s) * _col(mid_y) + s ** 2 * _col(out_y)
    half = 0.5 * _col(t["brow_th"]) * (1 - 0.5 * s)
    band_x = np.concatenate([bx, bx[:, ::-1]], 1)
    band_y = np.concatenate([by - half, (by + half)[:, ::-1]], 1)
    brows = [to_canvas(sd * band_x + _col(0.14 * yaw), band_y) for sd in sides]
    g["brows_pts"] = np.stack(brows, 1)

    # frown lines between the brows (visible with brow_knit)
    fx = np.stack([-0.045 + 0 * base, 0.045 + 0 * base], 1) + _col(0.16 * yaw)
    x = np.stack([fx, fx], 2)
    y = np.stack([np.repeat(_col(base - 0.02), 2, 1), np.repeat(_col(base + 0.13), 2, 1)], 2)
    g["frown_pts"] = to_canvas(x, y)

    # nose: nostrils, a shadow line down one side, wrinkles on the bridge
    wrinkle = np.clip(t["nose_wrinkle"], 0, 1)
    nose_x = 0.2 * yaw
    ny = t["nose_y"] - 0.03 * wrinkle
    nost_x = np.stack([nose_x - 0.085 - 0.02 * wrinkle, nose_x + 0.085 + 0.02 * wrinkle], 1)
    x, y = _ellipse_xy(nost_x.ravel(), np.repeat(ny, 2), np.full(2 * n, 0.05),
                       np.full(2 * n, 0.024), k=10)
    g["nostrils_pts"] = to_canvas(x.reshape(n, 2, -1), y.reshape(n, 2, -1))
    shadow_side = np.where(yaw > 0, 1.0, -1.0)
    x = np.stack([nose_x + 0.07 * shadow_side, nose_x + 0.11 * shadow_side], 1)
    y = np.stack([t["eye_y"] + 0.1, ny - 0.06], 1)
    g["nose_line_pts"] = to_canvas(x, y)[:, None]
    u = np.linspace(-1, 1, 5)
    wx = _col(nose_x) + 0.09 * u
    wy = [_col(t["eye_y"] + dy) + 0.02 * u ** 2 for dy in (0.07, 0.13)]
    g["wrinkles_pts"] = np.stack([to_canvas(wx, w) for w in wy], 1)

    # mouth: lips and the inside (dark, teeth on top when shown)
    mx = 0.15 * yaw
    my = t["mouth_y"]
    half_w = t["mouth_w"] * np.clip(1 + t["mouth_width"], 0.4, None)
    u = np.linspace(-1, 1, 13)
    profile = (1 - u ** 2) ** 0.6
    mid = _col(my) - _col(t["mouth_curve"]) * u ** 2 + _col(0.05 * t["mouth_asym"]) * u
    opening = np.clip(t["mouth_open"], 0, None)
    lift = np.clip(t["upper_lip"], 0, None)
    # an open smile is a crescent: the lower lip drops more in the middle
    crescent = 0.8 * np.clip(t["mouth_curve"], 0, None) * np.clip(opening / 0.04, 0, 1)
    inner_up = mid - (_col(0.25 * opening + 0.8 * lift) + 0.012) * profile
    inner_lo = mid + (_col(0.75 * opening + crescent) + 0.012) * profile
    press = 1 - 0.7 * _col(np.clip(t["lip_press"], 0, 1))
    outer_up = inner_up - _col(t["lip_th"]) * press * (0.35 + 0.65 * profile)
    outer_lo = inner_lo + _col(1.2 * t["lip_th"]) * press * (0.3 + 0.7 * profile)
    mouth_x = _col(mx) + _col(half_w) * u
    both_x = np.concatenate([mouth_x, mouth_x[:, ::-1]], 1)
    g["lips_pts"] = to_canvas(both_x, np.concatenate([outer_up, outer_lo[:, ::-1]], 1))[:, None]
    g["inside_pts"] = to_canvas(both_x, np.concatenate([inner_up, inner_lo[:, ::-1]], 1))[:, None]
    teeth_lo = inner_up + np.minimum(0.6 * (inner_lo - inner_up), 0.09)
    g["teeth_pts"] = to_canvas(both_x, np.concatenate([inner_up, teeth_lo[:, ::-1]], 1))[:, None]
    g["teeth_on"] = (t["teeth"] > 0.5) & (opening + lift > 0.03)

    # nasolabial folds: nose wings to beyond the mouth corners
    fold = np.clip(t["cheek_raise"] + 0.6 * wrinkle + t["fold_age"], 0, 1)
    s = np.linspace(0, 1, 5)
    folds = []
    for sd in sides:
        p0x, p0y = nose_x + sd * 0.17, ny - 0.04
        p2x, p2y = mx + sd * (half_w + 0.06), my + 0.1
        p1x, p1y = mx + sd * (0.7 * half_w + 0.16), my - 0.12
        fx = (1 - s) ** 2 * _col(p0x) + 2 * s * (1 - s) * _col(p1x) + s ** 2 * _col(p2x)
        fy = (1 - s) ** 2 * _col(p0y) + 2 * s * (1 - s) * _col(p1y) + s ** 2 * _col(p2y)
        folds.append(to_canvas(fx, fy))
    g["folds_pts"] = np.stack(folds, 1)

    # glasses: two rims and a bridge
    x, y = _ellipse_xy(eye_cx.ravel(), eye_cy.ravel(), 1.55 * eye_w.ravel(),
                       np.full(2 * n, 0.15), k=16)
    g["glasses_pts"] = to_canvas(x.reshape(n, 2, -1), y.reshape(n, 2, -1))
    bx = np.stack([eye_cx[:, 0] + 1.55 * eye_w[:, 0], eye_cx[:, 1] - 1.55 * eye_w[:, 1]], 1)
    g["bridge_pts"] = to_canvas(bx, np.repeat(_col(t["eye_y"] - 0.03), 2, 1))[:, None]

    # occluder: a bar across the image or a blob (a hand, a microphone)
    ox, oy = t["occ_x"], t["occ_y"]
    g["bar_pts"] = to_canvas(*_rectangle_xy(ox, oy, np.full(n, 3.0), 0.5 * t["occ_w"],
                                            t["occ_angle"]))[:, None]
    x, y = _ellipse_xy(ox, oy, t["occ_w"], t["occ_h"], k=20)
    g["blob_pts"] = to_canvas(x, y)[:, None]
    g["bg_obj_pts"] = to_canvas(*_rectangle_xy(t["bg_obj_x"], t["bg_obj_y"], t["bg_obj_w"],
                                               t["bg_obj_h"], t["bg_obj_angle"]))[:, None]

    # tones (0..255) and line thicknesses (canvas pixels)
    def tone(v):
        return np.clip(v, 0, 1) * 255.0

    g["skin_tone"] = tone(skin)
    g["hair_tone"] = tone(t["hair"])
    g["clothes_tone"] = tone(t["clothes"])
    g["neck_tone"] = tone(skin * 0.8)
    g["ear_tone"] = tone(skin * 0.9)
    g["socket_tone"] = tone(skin * 0.86)
    g["white_tone"] = tone(np.minimum(0.95, skin * 1.1 + 0.12))
    g["iris_tone"] = tone(t["iris"])
    g["lid_tone"] = tone(skin * 0.3)
    g["brow_tone"] = tone(skin * t["brow_dark"])
    g["frown_tone"] = tone(skin * (1 - 0.35 * knit))
    g["frown_on"] = knit > 0.15
    g["nostril_tone"] = tone(skin * 0.42)
    g["nose_line_tone"] = tone(skin * 0.82)
    g["wrinkle_tone"] = tone(skin * (1 - 0.4 * wrinkle))
    g["wrinkle_on"] = wrinkle > 0.1
    g["fold_tone"] = tone(skin * (1 - 0.35 * fold))
    g["lip_tone"] = tone(skin * t["lip_dark"])
    g["inside_tone"] = tone(0.08 + 0.1 * skin)
    g["teeth_tone"] = tone(np.minimum(0.92, skin * 1.05 + 0.15))
    g["glass_tone"] = tone(t["glass_tone"])
    g["occ_tone"] = tone(t["occ_tone"])
    g["bg_obj_tone"] = tone(t["bg_obj_tone"])
    unit_px = t["scale"] * _SUPERSAMPLE
    g["thin"] = np.maximum(1, np.rint(0.03 * unit_px)).astype(int)
    g["lid_th"] = np.maximum(1, np.rint(0.045 * unit_px)).astype(int)
    return g


# -------------------------------------------------------------------------- drawing

def _rasterise(g, t, canvas):
    """Draw the parts of :func:`_face_geometry` onto ``canvas`` (n, 96, 96) uint8.

    Large areas are drawn without anti-aliasing (the 2x canvas is averaged down
    anyway), small features with it.
    """
    fill, lines = cv2.fillPoly, cv2.polylines
    aa, hard, sh = cv2.LINE_AA, cv2.LINE_8, _SHIFT
    # plain Python lists: indexing them is much faster than numpy scalars in the loop
    tone = {k[:-5]: v.tolist() for k, v in g.items() if k.endswith("_tone")}
    on = {k[:-3]: np.asarray(v).tolist() for k, v in g.items() if k.endswith("_on")}
    thin, lid_th = g["thin"].tolist(), g["lid_th"].tolist()
    hair_long = (t["hair_long"] > 0.5).tolist()
    bg_obj = (t["bg_obj"] > 0.5).tolist()
    glasses = np.rint(t["glasses"]).astype(int).tolist()
    occluder = np.rint(t["occluder"]).astype(int).tolist()
    (bg_pts, hair_back, shoulders, neck, ears, face, cap, sockets, eyes, irises, lids, brows,
     frown, wrinkles, nose_line, folds, nostrils, lips, inside, teeth, rims, bridge, bar,
     blob) = (g[k + "_pts"] for k in (
        "bg_obj", "hair_back", "shoulders", "neck", "ears", "face", "hair_cap", "sockets",
        "eyes", "irises", "lids", "brows", "frown", "wrinkles", "nose_line", "folds",
        "nostrils", "lips", "inside", "teeth", "glasses", "bridge", "bar", "blob"))
    for i in range(canvas.shape[0]):
        c = canvas[i]
        if bg_obj[i]:
            fill(c, bg_pts[i], tone["bg_obj"][i], hard, sh)
        if hair_long[i]:
            fill(c, hair_back[i], tone["hair"][i], hard, sh)
        fill(c, shoulders[i], tone["clothes"][i], hard, sh)
        fill(c, neck[i], tone["neck"][i], hard, sh)
        fill(c, ears[i], tone["ear"][i], hard, sh)
        fill(c, face[i], tone["skin"][i], hard, sh)
        fill(c, cap[i], tone["hair"][i], hard, sh)
        fill(c, sockets[i], tone["socket"][i], aa, sh)
        fill(c, eyes[i], tone["white"][i], aa, sh)
        fill(c, irises[i], tone["iris"][i], aa, sh)
        lines(c, lids[i], False, tone["lid"][i], lid_th[i], aa, sh)
        fill(c, brows[i], tone["brow"][i], aa, sh)
        if on["frown"][i]:
            lines(c, frown[i], False, tone["frown"][i], thin[i], aa, sh)
        if on["wrinkle"][i]:
            lines(c, wrinkles[i], False, tone["wrinkle"][i], thin[i], aa, sh)
        lines(c, nose_line[i], False, tone["nose_line"][i], thin[i], aa, sh)
        lines(c, folds[i], False, tone["fold"][i], thin[i], aa, sh)
        fill(c, nostrils[i], tone["nostril"][i], aa, sh)
        fill(c, lips[i], tone["lip"][i], aa, sh)
        fill(c, inside[i], tone["inside"][i], aa, sh)
        if on["teeth"][i]:
            fill(c, teeth[i], tone["teeth"][i], aa, sh)
        if glasses[i] == 1:
            lines(c, rims[i], True, tone["glass"][i], lid_th[i], aa, sh)
        elif glasses[i] == 2:
            fill(c, rims[i], tone["glass"][i], aa, sh)
        if glasses[i]:
            lines(c, bridge[i], False, tone["glass"][i], lid_th[i], aa, sh)
        if occluder[i] == 1:
            fill(c, bar[i], tone["occ"][i], hard, sh)
        elif occluder[i] == 2:
            fill(c, blob[i], tone["occ"][i], hard, sh)


def _photometry(images, t, rng):
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
        params: maps names of :data:`FACE_DEFAULTS` to floats or (n,) arrays (missing
            names take their defaults).
        rng: generator of the pixel noise (default: a generator seeded with 0, so
            the output is deterministic).

    Returns:
        (n, 48, 48) uint8 grey images.
    """
    table = _as_table(params)
    rng = np.random.default_rng(0) if rng is None else rng
    n = len(table["scale"])
    out = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        part = {k: v[start:start + _CHUNK] for k, v in table.items()}
        m = len(part["scale"])
        level = np.rint(np.clip(part["background"], 0, 1) * 255).astype(np.uint8)
        canvas = np.empty((m, _CANVAS, _CANVAS), dtype=np.uint8)
        canvas[:] = level[:, None, None]
        _rasterise(_face_geometry(part), part, canvas)
        # INTER_AREA on the stacked canvases: a 2x2 mean never crosses two images
        small = cv2.resize(canvas.reshape(m * _CANVAS, _CANVAS), (IMAGE_SIZE, m * IMAGE_SIZE),
                           interpolation=cv2.INTER_AREA)
        small = small.reshape(m, IMAGE_SIZE, IMAGE_SIZE).astype(np.float32)
        out[start:start + m] = _photometry(small, part, rng)
    return out


def render_face(params: Mapping | None = None, *, seed: int = 0) -> np.ndarray:
    """Draw one face; ``params`` maps names of :data:`FACE_DEFAULTS` to floats.

    Returns a (48, 48) uint8 grey image; ``seed`` seeds its pixel noise.
    """
    params = {} if params is None else dict(params)
    for name, value in params.items():
        if np.ndim(value) != 0:
            raise ValueError(f"render_face: parameter {name!r} must be a scalar; "
                             f"use render_faces for arrays")
    return render_faces(params, np.random.default_rng(seed))[0]


# ------------------------------------------------------------------------- sampling

def _u(rng, lo, hi, n):
    return rng.uniform(lo, hi, n)


def _sample_identity(domain, m, rng):
    """Identity parameters (shape, hair, tones) of ``m`` people in ``domain``."""
    p = {
        "face_w": _u(rng, 0.9, 1.08, m), "face_h": _u(rng, 1.22, 1.42, m),
        "jaw": _u(rng, 0.0, 1.0, m),
        "eye_x": _u(rng, 0.34, 0.42, m), "eye_y": _u(rng, -0.24, -0.12, m),
        "eye_w": _u(rng, 0.16, 0.22, m), "eye_h": _u(rng, 0.07, 0.1, m),
        "iris_r": _u(rng, 0.4, 0.52, m),
        "brow_h": _u(rng, 0.2, 0.28, m), "brow_th": _u(rng, 0.045, 0.09, m),
        "brow_in_x": _u(rng, 0.1, 0.17, m), "brow_arch0": _u(rng, 0.0, 0.05, m),
        "nose_y": _u(rng, 0.22, 0.32, m), "mouth_y": _u(rng, 0.55, 0.68, m),
        "mouth_w": _u(rng, 0.26, 0.34, m), "lip_th": _u(rng, 0.04, 0.07, m),
        "lip_dark": _u(rng, 0.55, 0.85, m), "fold_age": _u(rng, 0.0, 0.3, m),
        "brow_dark": _u(rng, 0.25, 0.55, m), "iris": _u(rng, 0.05, 0.25, m),
        "hair_side": _u(rng, 0.1, 0.5, m), "hair_len": _u(rng, 0.9, 2.6, m),
        "clothes": _u(rng, 0.05, 0.9, m),
    }
    hairline = _u(rng, -0.8, -0.55, m)
    if domain == "fer2013":
        p["skin"] = _u(rng, 0.35, 0.9, m)
        light_hair = rng.random(m) < 0.3
        p["hair"] = np.where(light_hair, _u(rng, 0.4, 0.8, m), _u(rng, 0.03, 0.25, m))
        style = rng.choice(4, size=m, p=[0.4, 0.3, 0.2, 0.1])  # short, long, bangs, bald
        p["hair_long"] = (style == 1).astype(float)
        hairline = np.where(style == 2, _u(rng, -0.62, -0.52, m), hairline)
        p["hairline"] = np.where(style == 3, -1.4, hairline)
    elif domain == "ckplus":
        p["skin"] = _u(rng, 0.58, 0.85, m)
        p["hair"] = _u(rng, 0.05, 0.4, m)
        p["hair_long"] = (rng.random(m) < 0.3).astype(float)
        p["hairline"] = hairline
    else:  # jaffe: dark long hair, often bangs
        p["skin"] = _u(rng, 0.62, 0.78, m)
        p["hair"] = _u(rng, 0.03, 0.1, m)
        p["hair_long"] = np.ones(m)
        p["hair_len"] = _u(rng, 1.6, 2.6, m)
        p["hair_side"] = _u(rng, 0.4, 0.6, m)
        p["hairline"] = np.where(rng.random(m) < 0.5, _u(rng, -0.64, -0.56, m), hairline)
    return p


def _sample_actions(labels, intensity, rng, spread, blend):
    """Expression actions of each image: the label's prototype at ``intensity``, a
    little of another expression (weight up to ``blend``) and personal variation
    (``spread`` times :data:`ACTION_SPREAD`)."""
    n = len(labels)
    proto = np.array([[EXPRESSION_ACTIONS[e].get(a, 0.0) for a in ACTIONS] for e in EMOTIONS])
    other = rng.integers(0, NUM_CLASSES, n)
    weight = rng.uniform(0, blend, n)
    sd = np.array([ACTION_SPREAD[a] for a in ACTIONS])
    values = (intensity[:, None] * proto[labels] + weight[:, None] * proto[other]
              + spread * sd * rng.standard_normal((n, len(ACTIONS))))
    out = {a: values[:, j] for j, a in enumerate(ACTIONS)}
    for name in ("brow_knit", "cheek_raise", "nose_wrinkle", "lip_press"):
        out[name] = np.clip(out[name], 0, 1)
    for name in ("mouth_open", "upper_lip"):
        out[name] = np.clip(out[name], 0, None)
    out["mouth_asym"] = out["mouth_asym"] * rng.choice([-1.0, 1.0], n)
    # some angry faces shout, some fearful ones gasp: mouth open with teeth
    angry = labels == EMOTIONS.index("angry")
    shout = angry & (rng.random(n) < 0.3)
    out["mouth_open"] = out["mouth_open"] + shout * intensity * 0.16
    teeth = np.isin(labels, [EMOTIONS.index(e) for e in SHOWS_TEETH])
    out["teeth"] = ((teeth & (rng.random(n) < 0.8)) | shout).astype(float)
    return out


def _sample_style(domain, n, rng):
    """Pose, framing, accessories and photometry of ``n`` images in ``domain``."""
    if domain == "fer2013":
        low_contrast = rng.random(n) < 0.1
        accessory = rng.random(n)
        occluder = rng.choice(3, size=n, p=[0.9, 0.05, 0.05])
        return {
            "scale": _u(rng, 14.0, 19.0, n),
            "center_x": 24 + _u(rng, -3, 3, n), "center_y": 25 + _u(rng, -3, 3, n),
            "angle": np.clip(rng.normal(0, 7, n), -18, 18), "yaw": _u(rng, -0.4, 0.4, n),
            "gaze_x": _u(rng, -0.5, 0.5, n),
            "background": _u(rng, 0.05, 0.95, n),
            "bg_obj": (rng.random(n) < 0.6).astype(float),
            "bg_obj_x": rng.choice([-1.0, 1.0], n) * _u(rng, 1.1, 2.0, n),
            "bg_obj_y": _u(rng, -2.0, 1.0, n), "bg_obj_w": _u(rng, 0.3, 1.2, n),
            "bg_obj_h": _u(rng, 0.5, 2.5, n), "bg_obj_angle": rng.normal(0, 15, n),
            "bg_obj_tone": _u(rng, 0.0, 1.0, n),
            "light": _u(rng, 0.0, 0.6, n), "light_angle": _u(rng, 0, 360, n),
            "contrast": np.where(low_contrast, _u(rng, 0.35, 0.6, n), _u(rng, 0.6, 1.3, n)),
            "brightness": rng.normal(0, 0.08, n), "gamma": np.exp(rng.normal(0, 0.25, n)),
            "blur": np.where(rng.random(n) < 0.5, _u(rng, 0.0, 1.0, n), 0.0),
            "noise": _u(rng, 0.005, 0.03, n),
            "glasses": np.where(accessory < 0.07, 1.0, np.where(accessory < 0.09, 2.0, 0.0)),
            "glass_tone": _u(rng, 0.02, 0.35, n),
            "occluder": occluder.astype(float),
            "occ_x": _u(rng, -0.8, 0.8, n), "occ_y": _u(rng, -0.2, 1.2, n),
            "occ_w": _u(rng, 0.2, 0.6, n), "occ_h": _u(rng, 0.2, 0.5, n),
            "occ_angle": _u(rng, 0, 180, n), "occ_tone": _u(rng, 0.05, 0.95, n),
        }
    if domain == "ckplus":
        return {
            "scale": _u(rng, 19.5, 21.5, n),
            "center_x": 24 + _u(rng, -0.7, 0.7, n), "center_y": 25.5 + _u(rng, -1, 1, n),
            "angle": rng.normal(0, 2, n), "yaw": rng.normal(0, 0.04, n),
            "gaze_x": rng.normal(0, 0.1, n),
            "background": _u(rng, 0.12, 0.35, n),
            "light": _u(rng, 0.0, 0.1, n), "light_angle": _u(rng, 0, 360, n),
            "contrast": _u(rng, 0.9, 1.1, n), "brightness": rng.normal(0, 0.03, n),
            "gamma": np.exp(rng.normal(0, 0.05, n)), "blur": _u(rng, 0.3, 0.6, n),
            "noise": np.full(n, 0.008),
        }
    # jaffe: one studio, the same strong light from the upper left for everyone
    return {
        "scale": _u(rng, 10.5, 12.0, n),
        "center_x": 24 + _u(rng, -1.2, 1.2, n), "center_y": 25 + _u(rng, -1.2, 1.2, n),
        "angle": rng.normal(0, 3, n), "yaw": rng.normal(0, 0.08, n),
        "gaze_x": rng.normal(0, 0.1, n),
        "background": _u(rng, 0.45, 0.6, n),
        "light": _u(rng, 0.38, 0.45, n), "light_angle": 200 + rng.normal(0, 5, n),
        "contrast": _u(rng, 1.15, 1.3, n), "brightness": rng.normal(0, 0.02, n),
        "gamma": np.full(n, 1.1), "blur": np.full(n, 0.35), "noise": np.full(n, 0.005),
    }


def _largest_remainder(total, weights):
    """Split integer ``total`` in proportion to ``weights`` (sums exactly)."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _at_least_one_each(counts):
    """Move single items from the largest classes so every class has one (if possible)."""
    counts = counts.copy()
    if counts.sum() >= len(counts):
        for j in np.flatnonzero(counts == 0):
            counts[np.argmax(counts)] -= 1
            counts[j] += 1
    return counts


def _fer2013(n, rng):
    split_sizes = _largest_remainder(n, list(FER2013_SPLIT_COUNTS.values()))
    counts = np.stack([_at_least_one_each(_largest_remainder(size, FER2013_CLASS_COUNTS))
                       for size in split_sizes])                    # (split, class)
    # parts smaller than 7 cannot hold every class: make sure the whole set does
    for missing in np.flatnonzero(counts.sum(axis=0) == 0):
        donor = np.argmax(counts.sum(axis=0))
        part = np.argmax(counts[:, donor])
        counts[part, donor] -= 1
        counts[part, missing] += 1
    labels = np.concatenate([rng.permutation(np.repeat(np.arange(NUM_CLASSES), c))
                             for c in counts])
    split = np.repeat(list(FER2013_SPLIT_COUNTS), split_sizes)
    intensity = rng.uniform(0.45, 1.0, n)
    params = {**_sample_identity("fer2013", n, rng), **_sample_style("fer2013", n, rng),
              **_sample_actions(labels, intensity, rng, spread=0.8, blend=0.2)}
    columns = dict(split=split, subject=np.full(n, ""), sequence=np.full(n, ""))
    return labels, params, columns


def _ckplus(n, rng):
    n_seq = max(-(-n // 3), NUM_CLASSES)
    frames = np.full(n_seq, n // n_seq)
    frames[: n - frames.sum()] += 1                     # 3 each when n = 3 * n_seq
    seq_counts = _at_least_one_each(_largest_remainder(n_seq, CKPLUS_SEQUENCE_COUNTS))
    seq_labels = np.repeat(np.arange(NUM_CLASSES), seq_counts)  # grouped by class
    n_subj = int(np.clip(round(n_seq * CKPLUS_SUBJECTS_PER_SEQUENCE), 1, n_seq))
    capacity = 1 + rng.multinomial(n_seq - n_subj, np.full(n_subj, 1 / n_subj))
    # give each sequence (commonest class first) to the subject with the most room
    # left that does not show that expression yet: a subject's sequences differ
    seq_subject = np.empty(n_seq, dtype=int)
    room, shows = capacity.copy(), np.zeros((n_subj, NUM_CLASSES), dtype=bool)
    jitter = rng.random(n_subj)
    by_frequency = np.argsort(-seq_counts[seq_labels], kind="stable")
    for j in by_frequency:
        c = seq_labels[j]
        free = room > 0
        candidates = free & ~shows[:, c] if (free & ~shows[:, c]).any() else free
        s = np.argmax(np.where(candidates, room + jitter, -np.inf))
        seq_subject[j] = s
        room[s] -= 1
        shows[s, c] = True
    numbers = np.sort(rng.choice(np.arange(5, 1000), n_subj, replace=False))
    subj_ids = np.array([f"S{k:03d}" for k in numbers])
    seq_ids = np.empty(n_seq, dtype=object)
    for s in range(n_subj):
        mine = np.flatnonzero(seq_subject == s)
        nums = np.sort(rng.choice(np.arange(1, len(mine) + 4), len(mine), replace=False))
        for j, k in zip(mine, nums):
            seq_ids[j] = f"{subj_ids[s]}_{k:03d}"
    # per-image rows, sequences in order of subject then sequence id
    seq_order = np.lexsort((seq_ids.astype(str), seq_subject))
    seq_of_image = np.repeat(seq_order, frames[seq_order])
    frame_of_image = np.concatenate([np.arange(frames[j]) for j in seq_order])
    labels = seq_labels[seq_of_image]

    identity = _sample_identity("ckplus", n_subj, rng)
    style = _sample_style("ckplus", n_seq, rng)
    peak = rng.uniform(0.75, 1.0, n_seq)
    step = rng.uniform(0.03, 0.07, n_seq)
    seq_actions = _sample_actions(seq_labels, peak, rng, spread=0.6, blend=0.1)
    params = {k: v[seq_subject[seq_of_image]] for k, v in identity.items()}
    params.update({k: v[seq_of_image] for k, v in style.items()})
    # last three frames: intensity climbs to the peak, the head moves a hair
    behind = (frames[seq_of_image] - 1 - frame_of_image).astype(float)
    ratio = 1 - behind * step[seq_of_image] / peak[seq_of_image]
    for name, value in seq_actions.items():
        value = value[seq_of_image]
        params[name] = value if name == "teeth" else value * ratio
    for name, sd in (("center_x", 0.15), ("center_y", 0.15), ("angle", 0.3)):
        params[name] = params[name] + rng.normal(0, sd, n)
    columns = dict(split=np.full(n, ""), subject=subj_ids[seq_subject[seq_of_image]],
                   sequence=seq_ids[seq_of_image].astype(str))
    return labels, params, columns


def _jaffe(n, rng):
    counts = _at_least_one_each(_largest_remainder(n, JAFFE_CLASS_COUNTS))
    labels = np.repeat(np.arange(NUM_CLASSES), counts)
    # within each class the subjects take turns: about 3 images per subject and class
    subject = np.concatenate([(np.arange(c) + rng.integers(10)) % len(JAFFE_SUBJECTS)
                              for c in counts])
    order = np.lexsort((labels, subject))
    labels, subject = labels[order], subject[order]
    identity = _sample_identity("jaffe", len(JAFFE_SUBJECTS), rng)
    params = {k: v[subject] for k, v in identity.items()}
    params.update(_sample_style("jaffe", n, rng))
    intensity = rng.uniform(0.45, 0.95, n)
    params.update(_sample_actions(labels, intensity, rng, spread=0.8, blend=0.15))
    columns = dict(split=np.full(n, ""), subject=np.array(JAFFE_SUBJECTS)[subject],
                   sequence=np.full(n, ""))
    return labels, params, columns


_SAMPLERS = {"fer2013": _fer2013, "ckplus": _ckplus, "jaffe": _jaffe}


def _check_args(domain, seed):
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, got {domain!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _domain_rng(domain, seed, stream):
    return np.random.default_rng([int(seed), DOMAINS.index(domain), stream])


def _check_n(domain, n):
    if n is None:
        return DEFAULT_SIZES[domain]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < NUM_CLASSES:
        raise ValueError(f"n must be an integer >= {NUM_CLASSES} (one image per class), "
                         f"got {n!r}")
    return int(n)


def sample_params(domain: str, n: int | None = None, *, seed: int = 0):
    """The labels and face parameters behind ``make_synthetic(domain, n, seed=seed)``.

    Returns ``(labels, params)``: labels (n,) int64 and a dict mapping every name of
    :data:`FACE_DEFAULTS` that the domain varies to an (n,) float array, ready for
    :func:`render_faces`. Arguments as in :func:`make_synthetic`.
    """
    _check_args(domain, seed)
    n = _check_n(domain, n)
    labels, params, _ = _SAMPLERS[domain](n, _domain_rng(domain, seed, 0))
    return labels.astype(np.int64), params


def make_synthetic(domain: str, n: int | None = None, *, seed: int = 0) -> FaceDataset:
    """Sample a synthetic data set in the style of ``domain``.

    Args:
        domain: one of :data:`DOMAINS`.
        n: number of images, at least 7 (so every class occurs); None takes
            :data:`DEFAULT_SIZES` (fer2013 3000, ckplus 981, jaffe 213).
        seed: non-negative integer; the same seed gives byte-identical output.

    Returns:
        A :class:`~ferlib.datasets.base.FaceDataset` named ``"synthetic-<domain>"``:
        images (n, 48, 48) uint8, labels (n,) int64 in the canonical order, split
        (fer2013: train / val / test in FER2013's proportions; others ""), subject
        (ckplus "S010"-style, jaffe "KA"-style, fer2013 ""), sequence (ckplus
        "S010_004"-style, 3 frames each when n is a multiple of 3 and n >= 21),
        source ``"synthetic:<domain>:seed<seed>:<row>"``.
    """
    _check_args(domain, seed)
    n = _check_n(domain, n)
    labels, params, columns = _SAMPLERS[domain](n, _domain_rng(domain, seed, 0))
    images = render_faces(params, _domain_rng(domain, seed, 1))
    source = np.array([f"synthetic:{domain}:seed{seed}:{i}" for i in range(n)])
    notes = (
        f"synthetic data (ferlib.synthetic), domain {domain!r}, seed {seed}, {n} images: "
        "drawn faces, not photographs of people",
        "expressions come from facial geometry (brows, eyes, nose, mouth) shared by all "
        "synthetic domains; identity, pose, lighting and noise follow the domain's style",
    )
    if domain == "ckplus":
        notes += ("ckplus: contempt counted as disgust; a modest neutral class is added "
                  "(the CK+48 release has none)",)
    return make_dataset(f"synthetic-{domain}", images, labels, source=source,
                        notes=notes, **columns)


def prototype_faces(domain: str = "fer2013", seed: int = 0) -> np.ndarray:
    """One face per class, (7, 48, 48) uint8, canonical order, for a figure.

    The same person (sampled from ``domain`` with ``seed``) shows each expression at
    full intensity, frontal, in the domain's framing and lighting, without
    occlusion or personal variation.
    """
    _check_args(domain, seed)
    rng = _domain_rng(domain, seed, 2)
    identity = {k: v[0] for k, v in _sample_identity(domain, 1, rng).items()}
    style = {k: v[0] for k, v in _sample_style(domain, 1, rng).items()}
    style.update(angle=0.0, yaw=0.0, gaze_x=0.0, glasses=0.0, occluder=0.0,
                 center_x=24.0, center_y=25.5 if domain == "ckplus" else 25.0)
    if domain == "fer2013":
        style.update(contrast=1.0, light=0.2, blur=0.3, noise=0.01, gamma=1.0,
                     brightness=0.0, scale=16.0)
    base = {**identity, **style}
    faces = [apply_expression(base, e, 1.0) for e in EMOTIONS]
    table = {k: np.array([f[k] for f in faces]) for k in FACE_DEFAULTS}
    return render_faces(table, _domain_rng(domain, seed, 3))
