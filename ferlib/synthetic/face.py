"""A synthetic face's parameters: what every number means, and the expressions.

:data:`FACE_DEFAULTS` lists every parameter of a face with the value of a plain frontal
neutral face. An expression is a set of *actions* (:data:`ACTIONS`: brows up, eyes
wider, mouth corners down...) added to a face at some intensity
(:data:`EXPRESSION_ACTIONS`, :func:`apply_expression`); the same geometry in every
domain.

Units: geometry is in *face units*, the origin at the centre of the face, ``x`` to the
viewer's right, ``y`` down, the face's half-width about 1 (eyes at ``y`` about -0.18,
mouth at about +0.6, chin at about +1.3). ``center_x``, ``center_y`` and ``scale``
(output pixels per face unit) place the face in the 48x48 image. Grey tones are
fractions 0 (black) .. 1 (white) before lighting.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ferlib.labels import EMOTIONS

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


def parameter_table(params: Mapping) -> dict:
    """Every parameter of :data:`FACE_DEFAULTS` as a float64 array of one length ``n``:
    the given values (a float or an ``(n,)`` array each), the defaults for the rest."""
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
