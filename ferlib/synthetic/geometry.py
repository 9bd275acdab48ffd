"""From a face's parameters to the parts a renderer draws.

:func:`face_parts` turns a parameter table (:func:`ferlib.synthetic.face.parameter_table`)
into a list of :class:`Part`\\ s in drawing order, back to front: each part is a set of
polygons per face, in the integer sub-pixel coordinates of the 96x96 canvas that
:mod:`ferlib.synthetic.render` draws on, with its grey tone and how it is drawn.
Everything is vectorised over the ``n`` faces of the table.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ferlib.labels import IMAGE_SIZE

SUPERSAMPLE = 2                     # canvas pixels per output pixel
CANVAS = IMAGE_SIZE * SUPERSAMPLE   # 96
SHIFT = 4                           # OpenCV sub-pixel bits of the points


@dataclasses.dataclass(frozen=True)
class Part:
    """One part of every face of a table (the face outline, the brows, the glasses...).

    Attributes:
        name: what it is, e.g. ``"brows"``.
        points: ``(n, polygons, k, 2)`` int32 canvas points (``SHIFT`` sub-pixel bits).
        tone: ``(n,)`` grey level 0..255.
        width: ``None`` to fill the polygons, else ``(n,)`` int line widths in canvas
            pixels, to draw them as lines.
        shown: ``(n,)`` bool, which faces have the part; ``None``: all of them.
        closed: for lines, whether the last point joins the first.
        smooth: anti-aliased edges (small features); large areas are drawn hard, the
            canvas is averaged down anyway.
    """

    name: str
    points: np.ndarray
    tone: np.ndarray
    width: np.ndarray | None = None
    shown: np.ndarray | None = None
    closed: bool = False
    smooth: bool = True


#: The order parts are drawn in, back to front.
DRAW_ORDER = (
    "bg_obj", "hair_back", "shoulders", "neck", "ears", "face", "hair_cap",
    "sockets", "eyes", "irises", "lids", "brows", "frown", "wrinkles", "nose_line", "folds",
    "nostrils", "lips", "inside", "teeth", "glass_rims", "sunglasses", "bridge", "bar", "blob",
)


def face_parts(t: dict) -> list:
    """The :class:`Part`\\ s of the faces of parameter table ``t``, in :data:`DRAW_ORDER`."""
    to_canvas = _pose(t)
    unit_px = t["scale"] * SUPERSAMPLE
    thin = np.maximum(1, np.rint(0.03 * unit_px)).astype(int)
    lid_width = np.maximum(1, np.rint(0.045 * unit_px)).astype(int)
    parts = [*_head(t, to_canvas), *_eyes(t, to_canvas, lid_width), *_brows(t, to_canvas, thin),
             *_nose(t, to_canvas, thin), *_mouth(t, to_canvas), _folds(t, to_canvas, thin),
             *_accessories(t, to_canvas, lid_width)]
    by_name = {part.name: part for part in parts}
    assert sorted(by_name) == sorted(DRAW_ORDER), "every part is drawn exactly once"
    return [by_name[name] for name in DRAW_ORDER]


# ---------------------------------------------------------------------------- helpers

def _pose(t):
    """Per-image transform face units -> canvas sub-pixel units, as a closure."""
    k = SUPERSAMPLE * (1 << SHIFT)
    rad = np.deg2rad(t["angle"])
    cx, cy, s = t["center_x"], t["center_y"], t["scale"]
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


def _tone(v):
    """Grey fraction 0..1 -> grey level 0..255."""
    return np.clip(v, 0, 1) * 255.0


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


def _quadratic(s, p0, p1, p2):
    """Points of quadratic Bezier curves (one per face) at parameters ``s``."""
    return (1 - s) ** 2 * _col(p0) + 2 * s * (1 - s) * _col(p1) + s ** 2 * _col(p2)


def _pairs(to_canvas, n, x, y):
    """Canvas points of a left and right feature per face from flat (2n, k) arrays."""
    return to_canvas(x.reshape(n, 2, -1), y.reshape(n, 2, -1))


# ------------------------------------------------------------------------------ parts

def _head(t, to_canvas):
    """Background object, hair behind the head, shoulders, neck, ears, face, hair cap."""
    n = len(t["scale"])
    fw, fh, yaw, skin = t["face_w"], t["face_h"], t["yaw"], t["skin"]
    hair = _tone(t["hair"])
    bg_obj = to_canvas(*_rectangle_xy(t["bg_obj_x"], t["bg_obj_y"], t["bg_obj_w"],
                                      t["bg_obj_h"], t["bg_obj_angle"]))[:, None]

    x, y = _ellipse_xy(np.zeros(n), fh + 1.35, 2.3 * fw, np.full(n, 0.9), k=24)
    shoulders = to_canvas(x, y)[:, None]
    nx = 0.42 * fw
    x = np.stack([-nx, nx, nx, -nx], 1)
    y = np.stack([np.full(n, 0.6), np.full(n, 0.6), fh + 0.55, fh + 0.55], 1)
    neck = to_canvas(x + _col(0.3 * yaw), y)[:, None]

    # long hair behind the head
    a = np.linspace(np.pi, 2 * np.pi, 13)
    ax, ay = 1.2 * fw, 1.1 * fh
    top_x = _col(ax) * np.cos(a)
    top_y = _col(ay) * np.sin(a) - 0.05
    length = t["hair_len"]
    flare = 0.12 * fw
    x = np.concatenate([top_x, np.stack([ax + flare, -ax - flare], 1)], 1)
    y = np.concatenate([top_y, np.stack([length, length], 1)], 1)
    hair_back = to_canvas(x, y)[:, None]

    ex = np.stack([-0.98 * fw, 0.98 * fw], 1) + _col(0.1 * yaw)
    x, y = _ellipse_xy(ex.ravel(), np.full(2 * n, -0.05), np.full(2 * n, 0.13),
                       np.full(2 * n, 0.25), k=12)
    ears = _pairs(to_canvas, n, x, y)

    # face outline: an egg, narrower towards the chin by `jaw`
    a = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    narrow = 1 - 0.25 * _col(t["jaw"]) * np.clip(np.sin(a), 0, 1) ** 2
    face = to_canvas(_col(fw) * np.cos(a) * narrow, _col(fh) * np.sin(a))[:, None]

    # hair cap: head outline from one side over the top, back along the hairline
    side = t["hair_side"]
    a = np.linspace(0, 1, 17)
    a = _col(np.pi - side) + a * _col(np.pi + 2 * side)
    cap_x = _col(1.06 * fw) * np.cos(a)
    cap_y = _col(1.04 * fh) * np.sin(a) - 0.04
    u = np.linspace(1, -1, 9)
    line_x = _col(0.8 * fw) * u
    line_y = _col(t["hairline"]) + 0.3 * u ** 2
    cap = to_canvas(np.concatenate([cap_x, line_x], 1), np.concatenate([cap_y, line_y], 1))[:, None]

    hard = dict(smooth=False)
    return [Part("bg_obj", bg_obj, _tone(t["bg_obj_tone"]), shown=t["bg_obj"] > 0.5, **hard),
            Part("hair_back", hair_back, hair, shown=t["hair_long"] > 0.5, **hard),
            Part("shoulders", shoulders, _tone(t["clothes"]), **hard),
            Part("neck", neck, _tone(skin * 0.8), **hard),
            Part("ears", ears, _tone(skin * 0.9), **hard),
            Part("face", face, _tone(skin), **hard),
            Part("hair_cap", cap, hair, **hard)]


def _eye_layout(t):
    """Centres ``(n, 2)``, vertical centres ``(n, 2)`` and half-widths ``(n, 2)`` of the
    left and right eyes."""
    sides = np.array([-1.0, 1.0])
    eye_cx = sides * _col(t["eye_x"]) + _col(0.14 * t["yaw"])
    eye_w = _col(t["eye_w"]) * (1 - 0.3 * sides * _col(t["yaw"]))
    eye_cy = np.repeat(_col(t["eye_y"]), 2, 1)
    return eye_cx, eye_cy, eye_w


def _eyes(t, to_canvas, lid_width):
    """Sockets, whites, irises (clipped to the lids) and upper lid lines."""
    n = len(t["scale"])
    skin = t["skin"]
    eye_cx, eye_cy, eye_w = _eye_layout(t)
    opening = np.clip(t["eye_h"] * (1 + t["eye_open"]), 0.012, None)
    up = np.repeat(_col(opening), 2, 1)
    low = np.repeat(_col(opening * 0.6 * (1 - 0.45 * np.clip(t["cheek_raise"], 0, 1))), 2, 1)
    # both eyes of every face as one flat batch of 2n eyes
    cx, cy, w = eye_cx.ravel(), eye_cy.ravel(), eye_w.ravel()
    upper, lower = up.ravel(), low.ravel()

    sockets = _pairs(to_canvas, n, *_ellipse_xy(cx, cy - 0.02, 1.45 * w, 0.1 + 0.8 * upper, k=16))
    whites = _pairs(to_canvas, n, *_ellipse_xy(cx, cy, w, lower, k=16, ay_top=upper))
    r = np.repeat(t["iris_r"], 2) * w
    x, y = _ellipse_xy(cx + np.repeat(t["gaze_x"], 2) * 0.3 * w, cy, r, r, k=14)
    inside = np.sqrt(1 - np.clip((x - _col(cx)) / _col(w), -1, 1) ** 2)
    y = np.clip(y, _col(cy) - _col(upper) * inside, _col(cy) + _col(lower) * inside)
    irises = _pairs(to_canvas, n, x, y)
    a = np.linspace(np.pi * 1.05, np.pi * 1.95, 9)
    lids = _pairs(to_canvas, n, _col(cx) + _col(w) * np.cos(a), _col(cy) + _col(upper) * np.sin(a))
    return [Part("sockets", sockets, _tone(skin * 0.86)),
            Part("eyes", whites, _tone(np.minimum(0.95, skin * 1.1 + 0.12))),
            Part("irises", irises, _tone(t["iris"])),
            Part("lids", lids, _tone(skin * 0.3), width=lid_width)]


def _brows(t, to_canvas, thin):
    """Brows (tapered bands along a quadratic curve, inner end to outer end) and the
    frown lines between them."""
    skin, yaw = t["skin"], t["yaw"]
    knit = np.clip(t["brow_knit"], 0, 1)
    base = t["eye_y"] - t["brow_h"]
    in_x = t["brow_in_x"] - 0.05 * knit
    out_x = t["eye_x"] + 1.3 * t["eye_w"]
    in_y = base - t["brow_raise"] - t["brow_inner"] + 0.03 * knit
    out_y = base - 0.75 * t["brow_raise"] + 0.02
    mid_x = 0.5 * (in_x + out_x)
    mid_y = 0.5 * (in_y + out_y) - 2 * (t["brow_arch0"] + t["brow_arch"])
    s = np.linspace(0, 1, 7)
    bx, by = _quadratic(s, in_x, mid_x, out_x), _quadratic(s, in_y, mid_y, out_y)
    half = 0.5 * _col(t["brow_th"]) * (1 - 0.5 * s)
    band_x = np.concatenate([bx, bx[:, ::-1]], 1)
    band_y = np.concatenate([by - half, (by + half)[:, ::-1]], 1)
    brows = np.stack([to_canvas(side * band_x + _col(0.14 * yaw), band_y) for side in (-1.0, 1.0)], 1)

    fx = np.stack([-0.045 + 0 * base, 0.045 + 0 * base], 1) + _col(0.16 * yaw)
    y = np.stack([np.repeat(_col(base - 0.02), 2, 1), np.repeat(_col(base + 0.13), 2, 1)], 2)
    frown = to_canvas(np.stack([fx, fx], 2), y)
    return [Part("brows", brows, _tone(skin * t["brow_dark"])),
            Part("frown", frown, _tone(skin * (1 - 0.35 * knit)), width=thin, shown=knit > 0.15)]


def _nose_layout(t):
    """``(nose_x, nostril_y, wrinkle)`` of every face."""
    wrinkle = np.clip(t["nose_wrinkle"], 0, 1)
    return 0.2 * t["yaw"], t["nose_y"] - 0.03 * wrinkle, wrinkle


def _nose(t, to_canvas, thin):
    """Nostrils, a shadow line down one side, wrinkles on the bridge."""
    n = len(t["scale"])
    skin, yaw = t["skin"], t["yaw"]
    nose_x, ny, wrinkle = _nose_layout(t)
    nost_x = np.stack([nose_x - 0.085 - 0.02 * wrinkle, nose_x + 0.085 + 0.02 * wrinkle], 1)
    nostrils = _pairs(to_canvas, n, *_ellipse_xy(nost_x.ravel(), np.repeat(ny, 2), np.full(2 * n, 0.05),
                                                 np.full(2 * n, 0.024), k=10))
    shadow_side = np.where(yaw > 0, 1.0, -1.0)
    x = np.stack([nose_x + 0.07 * shadow_side, nose_x + 0.11 * shadow_side], 1)
    y = np.stack([t["eye_y"] + 0.1, ny - 0.06], 1)
    nose_line = to_canvas(x, y)[:, None]
    u = np.linspace(-1, 1, 5)
    wx = _col(nose_x) + 0.09 * u
    wy = [_col(t["eye_y"] + dy) + 0.02 * u ** 2 for dy in (0.07, 0.13)]
    wrinkles = np.stack([to_canvas(wx, w) for w in wy], 1)
    return [Part("nostrils", nostrils, _tone(skin * 0.42)),
            Part("nose_line", nose_line, _tone(skin * 0.82), width=thin),
            Part("wrinkles", wrinkles, _tone(skin * (1 - 0.4 * wrinkle)), width=thin,
                 shown=wrinkle > 0.1)]


def _mouth_layout(t):
    """``(mouth_x, mouth_y, half_width)`` of every face."""
    return 0.15 * t["yaw"], t["mouth_y"], t["mouth_w"] * np.clip(1 + t["mouth_width"], 0.4, None)


def _mouth(t, to_canvas):
    """Lips and the inside of the mouth (dark, teeth on top when shown)."""
    skin = t["skin"]
    mx, my, half_w = _mouth_layout(t)
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

    def outline(top, bottom):
        return to_canvas(both_x, np.concatenate([top, bottom[:, ::-1]], 1))[:, None]

    teeth_lo = inner_up + np.minimum(0.6 * (inner_lo - inner_up), 0.09)
    return [Part("lips", outline(outer_up, outer_lo), _tone(skin * t["lip_dark"])),
            Part("inside", outline(inner_up, inner_lo), _tone(0.08 + 0.1 * skin)),
            Part("teeth", outline(inner_up, teeth_lo), _tone(np.minimum(0.92, skin * 1.05 + 0.15)),
                 shown=(t["teeth"] > 0.5) & (opening + lift > 0.03))]


def _folds(t, to_canvas, thin):
    """Nasolabial folds: from the nose wings to beyond the mouth corners."""
    nose_x, ny, wrinkle = _nose_layout(t)
    mx, my, half_w = _mouth_layout(t)
    fold = np.clip(t["cheek_raise"] + 0.6 * wrinkle + t["fold_age"], 0, 1)
    s = np.linspace(0, 1, 5)
    folds = []
    for side in (-1.0, 1.0):
        p0x, p0y = nose_x + side * 0.17, ny - 0.04
        p2x, p2y = mx + side * (half_w + 0.06), my + 0.1
        p1x, p1y = mx + side * (0.7 * half_w + 0.16), my - 0.12
        folds.append(to_canvas(_quadratic(s, p0x, p1x, p2x), _quadratic(s, p0y, p1y, p2y)))
    return Part("folds", np.stack(folds, 1), _tone(t["skin"] * (1 - 0.35 * fold)), width=thin)


def _accessories(t, to_canvas, lid_width):
    """Glasses (frames or sunglasses, and a bridge) and an occluder (a bar across the
    image, or a blob: a hand, a microphone)."""
    n = len(t["scale"])
    eye_cx, eye_cy, eye_w = _eye_layout(t)
    rims = _pairs(to_canvas, n, *_ellipse_xy(eye_cx.ravel(), eye_cy.ravel(), 1.55 * eye_w.ravel(),
                                             np.full(2 * n, 0.15), k=16))
    bx = np.stack([eye_cx[:, 0] + 1.55 * eye_w[:, 0], eye_cx[:, 1] - 1.55 * eye_w[:, 1]], 1)
    bridge = to_canvas(bx, np.repeat(_col(t["eye_y"] - 0.03), 2, 1))[:, None]
    ox, oy = t["occ_x"], t["occ_y"]
    bar = to_canvas(*_rectangle_xy(ox, oy, np.full(n, 3.0), 0.5 * t["occ_w"], t["occ_angle"]))[:, None]
    blob = to_canvas(*_ellipse_xy(ox, oy, t["occ_w"], t["occ_h"], k=20))[:, None]
    glasses = np.rint(t["glasses"]).astype(int)
    occluder = np.rint(t["occluder"]).astype(int)
    glass, occ = _tone(t["glass_tone"]), _tone(t["occ_tone"])
    return [Part("glass_rims", rims, glass, width=lid_width, shown=glasses == 1, closed=True),
            Part("sunglasses", rims, glass, shown=glasses == 2),
            Part("bridge", bridge, glass, width=lid_width, shown=glasses != 0),
            Part("bar", bar, occ, shown=occluder == 1, smooth=False),
            Part("blob", blob, occ, shown=occluder == 2, smooth=False)]
