"""Tests of ferlib.augment: the augmenter, the Fig. 6 grid and class balancing."""

import keras
import numpy as np
import pytest

import jax_session
from ferlib import augment
from ferlib.labels import EMOTIONS

ALL_OFF = dict(flip=False, rotation=0.0, zoom=0.0, translation=0.0, blur=0.0, noise=0.0)


def _faces(count=8):
    """Smooth, left-right asymmetric test images in 10..245, float32 (count,48,48,1)."""
    yy, xx = np.mgrid[0:48, 0:48].astype(np.float32)
    images = []
    for k in range(count):
        blob = np.exp(-((xx - 14 - k) ** 2 + (yy - 18) ** 2) / 40.0)
        wave = np.sin(xx / 4.0 + k) * np.cos(yy / 6.0)
        images.append(128 + 80 * blob + 30 * wave + 1.5 * (xx - 24))
    return np.clip(np.stack(images), 10, 245)[..., np.newaxis].astype(np.float32)


def _run(augmenter, images, training=True):
    return keras.ops.convert_to_numpy(augmenter(images, training=training))


def _roughness(images):
    """Mean absolute difference between horizontal neighbours."""
    return float(np.abs(np.diff(images, axis=2)).mean())


def test_output_shape_dtype_and_range():
    images = _faces(6)
    images[0] = 0.0
    images[1] = 255.0
    out = _run(augment.make_augmenter(seed=0, noise=0.2), images)
    assert out.shape == images.shape
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 255.0
    assert np.all(np.isfinite(out))


def test_identity_at_inference():
    images = _faces(4)
    out = _run(augment.make_augmenter(seed=0, blur=1.0, noise=0.2), images, training=False)
    np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize(
    "setting",
    [
        {"flip": True},
        {"rotation": 0.1},
        {"zoom": 0.2},
        {"translation": 0.1},
        {"blur": 1.0},
        {"noise": 0.05},
    ],
    ids=lambda s: next(iter(s)),
)
def test_each_augmentation_changes_images(setting):
    images = _faces(8)
    out = _run(augment.make_augmenter(seed=3, **{**ALL_OFF, **setting}), images)
    changed = np.abs(out - images).reshape(len(images), -1).max(axis=1) > 1.0
    assert changed.any()


def test_flip_mirrors_or_keeps_each_image():
    images = _faces(16)
    out = _run(augment.make_augmenter(seed=1, **{**ALL_OFF, "flip": True}), images)
    mirrored = images[:, :, ::-1, :]
    for before, after, mirror in zip(images, out, mirrored):
        assert np.allclose(after, before) or np.allclose(after, mirror)
    assert any(np.allclose(a, m) for a, m in zip(out, mirrored))


def test_blur_smooths():
    images = _faces(8)
    out = _run(augment.make_augmenter(seed=0, **{**ALL_OFF, "blur": 1.0}), images)
    assert _roughness(out) < 0.95 * _roughness(images)
    assert abs(out.mean() - images.mean()) < 2.0


def test_blur_keeps_flat_images_flat_up_to_the_border():
    images = np.full((3, 48, 48, 1), 200.0, dtype=np.float32)
    out = _run(augment.make_augmenter(seed=0, **{**ALL_OFF, "blur": 1.0}), images)
    np.testing.assert_allclose(out, images, rtol=1e-5)


def test_blur_rate_and_sigma_are_validated():
    with pytest.raises(ValueError, match="rate"):
        augment.RandomBlur(rate=1.5)
    with pytest.raises(ValueError, match="sigma"):
        augment.RandomBlur(sigma=(0.0, 1.0))


def test_noise_has_the_requested_spread():
    images = np.full((4, 48, 48, 1), 128.0, dtype=np.float32)
    out = _run(augment.make_augmenter(seed=0, **{**ALL_OFF, "noise": 0.05}), images)
    residual = out - images
    assert residual.std() == pytest.approx(0.05 * 255, rel=0.1)
    assert abs(residual.mean()) < 1.0


def test_nothing_enabled_is_identity_even_in_training():
    images = _faces(3)
    np.testing.assert_array_equal(_run(augment.make_augmenter(**ALL_OFF), images), images)


def test_same_seed_same_output_other_seed_other_output():
    images = _faces(8)
    first = _run(augment.make_augmenter(seed=11, blur=1.0), images)
    again = _run(augment.make_augmenter(seed=11, blur=1.0), images)
    other = _run(augment.make_augmenter(seed=12, blur=1.0), images)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rotation": -0.1},
        {"rotation": 0.5},
        {"zoom": 1.0},
        {"translation": -0.2},
        {"blur": 1.5},
        {"noise": -0.01},
        {"noise": float("nan")},
        {"flip": "yes"},
        {"seed": 1.5},
        {"seed": True},
        {"seed": -1},
    ],
)
def test_bad_augmenter_parameters_raise(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        augment.make_augmenter(**kwargs)


def test_augmentation_grid():
    images = _faces(3).round().astype(np.uint8)
    grid = augment.augmentation_grid(images[..., 0], seed=0)
    assert tuple(grid) == augment.GRID_KEYS
    for key in ("original", "flip", "rotation", "zoom", "blur", "noise", "combined"):
        assert key in grid
    for key, panel in grid.items():
        assert panel.shape == (3, 48, 48) and panel.dtype == np.uint8, key
    np.testing.assert_array_equal(grid["original"], images[..., 0])
    np.testing.assert_array_equal(grid["flip"], images[:, :, ::-1, 0])
    for key in augment.GRID_KEYS[1:]:
        assert not np.array_equal(grid[key], grid["original"]), key
    again = augment.augmentation_grid(images, seed=0)
    for key in augment.GRID_KEYS:
        np.testing.assert_array_equal(grid[key], again[key])


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, 48, 47)), np.zeros((0, 48, 48)), np.full((1, 48, 48), 300.0), np.zeros((48, 48))],
)
def test_augmentation_grid_rejects_bad_images(bad):
    with pytest.raises(ValueError, match="images"):
        augment.augmentation_grid(bad)


def _imbalanced_labels():
    # 3 classes present (0, 1, 6), counts 10, 3, 7; others absent.
    return np.array([0] * 10 + [1] * 3 + [6] * 7)[np.random.default_rng(5).permutation(20)]


def test_balanced_indices_oversample():
    labels = _imbalanced_labels()
    indices = augment.balanced_indices(labels, seed=0)
    assert indices.dtype == np.int64
    classes, counts = np.unique(labels[indices], return_counts=True)
    assert classes.tolist() == [0, 1, 6]
    assert counts.tolist() == [10, 10, 10]
    assert set(indices.tolist()) == set(range(len(labels)))
    # Minority examples repeat as evenly as possible: 10 = 3 * 3 + 1.
    repeats = np.bincount(indices, minlength=len(labels))[labels == 1]
    assert sorted(repeats.tolist()) == [3, 3, 4]
    # Shuffled, not grouped by class.
    assert not np.all(np.diff(labels[indices]) >= 0)


def test_balanced_indices_is_deterministic_by_seed():
    labels = _imbalanced_labels()
    first = augment.balanced_indices(labels, seed=1)
    np.testing.assert_array_equal(first, augment.balanced_indices(labels, seed=1))
    assert not np.array_equal(first, augment.balanced_indices(labels, seed=2))


def test_balanced_indices_target_and_undersample():
    labels = _imbalanced_labels()
    up = augment.balanced_indices(labels, seed=0, target=25)
    assert np.bincount(labels[up])[[0, 1, 6]].tolist() == [25, 25, 25]
    assert set(up.tolist()) == set(range(len(labels)))
    down = augment.balanced_indices(labels, seed=0, strategy="undersample")
    assert np.bincount(labels[down])[[0, 1, 6]].tolist() == [3, 3, 3]
    assert len(set(down.tolist())) == len(down)


@pytest.mark.parametrize(
    "labels, kwargs, match",
    [
        (_imbalanced_labels(), {"strategy": "smote"}, "strategy"),
        (_imbalanced_labels(), {"target": 5}, "target"),
        (_imbalanced_labels(), {"strategy": "undersample", "target": 4}, "target"),
        (_imbalanced_labels(), {"target": 0}, "target"),
        (_imbalanced_labels(), {"seed": None}, "seed"),
        (np.zeros((2, 3), dtype=int), {}, "1-D"),
        (np.array([], dtype=int), {}, "1-D"),
        (np.array([0.0, 1.0]), {}, "integer"),
        (np.array([0, -1]), {}, ">= 0"),
    ],
)
def test_balanced_indices_bad_input_raises(labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        augment.balanced_indices(labels, **kwargs)


def test_class_balance_table():
    labels = _imbalanced_labels()
    after = labels[augment.balanced_indices(labels, seed=0)]
    table = augment.class_balance_table(labels, after)
    assert table["emotion"].tolist() == list(EMOTIONS)
    assert table["before"].tolist() == np.bincount(labels, minlength=7).tolist()
    assert table["after"].tolist() == [10, 10, 0, 0, 0, 0, 10]
    assert table["before_percent"].sum() == pytest.approx(100.0)
    assert table["after_percent"].sum() == pytest.approx(100.0)
    assert table.loc[table["emotion"] == "disgust", "before_percent"].item() == pytest.approx(15.0)
    with pytest.raises(ValueError, match="labels_after"):
        augment.class_balance_table(labels, np.array([0, 7]))


@pytest.mark.slow
def test_augmenter_runs_on_jax_backend(jax_checks):
    result = jax_session.result(jax_checks, "augmenter")
    assert result["shape"] == [4, 48, 48, 1]
    assert 0.0 <= result["min"] and result["max"] <= 255.0
    assert result["changed"] > 1.0
    assert result["deterministic"]
    assert result["identity_at_inference"]
