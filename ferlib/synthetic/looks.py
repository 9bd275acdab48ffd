"""How the people and pictures of each synthetic domain look.

Three samplers, each drawing arrays of :data:`~ferlib.synthetic.face.FACE_DEFAULTS`
parameters for many faces at once:

- :func:`sample_identity`: who a person is (face shape, hair, skin and tones);
- :func:`sample_style`: how a picture is taken (pose, framing, background,
  accessories, lighting, blur and noise);
- :func:`sample_actions`: the expression on a face (the label's actions at some
  intensity, a little of another expression, and personal variation).

Identity and style differ by domain; the expressions are the same everywhere.
"""

from __future__ import annotations

import numpy as np

from ferlib.labels import EMOTIONS, NUM_CLASSES
from ferlib.synthetic.face import ACTION_SPREAD, ACTIONS, EXPRESSION_ACTIONS, SHOWS_TEETH


def _u(rng, lo, hi, n):
    return rng.uniform(lo, hi, n)


def sample_identity(domain, m, rng):
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


def sample_actions(labels, intensity, rng, spread, blend):
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


def _studio_pose(rng, n, *, scale, center, shift, angle_sd, yaw_sd, background):
    """Framing of a posed studio picture (CK+, JAFFE): scale and background grey uniform
    in their ranges, the face centre ``center`` moved by up to ``shift`` pixels (x, y),
    small rotation and yaw, the gaze near the camera."""
    return {
        "scale": _u(rng, *scale, n),
        "center_x": center[0] + _u(rng, -shift[0], shift[0], n),
        "center_y": center[1] + _u(rng, -shift[1], shift[1], n),
        "angle": rng.normal(0, angle_sd, n), "yaw": rng.normal(0, yaw_sd, n),
        "gaze_x": rng.normal(0, 0.1, n),
        "background": _u(rng, *background, n),
    }


def sample_style(domain, n, rng):
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
            **_studio_pose(rng, n, scale=(19.5, 21.5), center=(24, 25.5), shift=(0.7, 1), angle_sd=2,
                           yaw_sd=0.04, background=(0.12, 0.35)),
            "light": _u(rng, 0.0, 0.1, n), "light_angle": _u(rng, 0, 360, n),
            "contrast": _u(rng, 0.9, 1.1, n), "brightness": rng.normal(0, 0.03, n),
            "gamma": np.exp(rng.normal(0, 0.05, n)), "blur": _u(rng, 0.3, 0.6, n),
            "noise": np.full(n, 0.008),
        }
    # jaffe: one studio, the same strong light from the upper left for everyone
    return {
        **_studio_pose(rng, n, scale=(10.5, 12.0), center=(24, 25), shift=(1.2, 1.2), angle_sd=3,
                       yaw_sd=0.08, background=(0.45, 0.6)),
        "light": _u(rng, 0.38, 0.45, n), "light_angle": 200 + rng.normal(0, 5, n),
        "contrast": _u(rng, 1.15, 1.3, n), "brightness": rng.normal(0, 0.02, n),
        "gamma": np.full(n, 1.1), "blur": np.full(n, 0.35), "noise": np.full(n, 0.005),
    }
