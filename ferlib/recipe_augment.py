"""The modern recipe's augmentation, and its ten-crop averaging at test time.

Training (:func:`make_recipe_augmenter`, a ``keras.Sequential`` run inside the training
model like :func:`ferlib.augment.make_augmenter`):

- a left-right flip with probability 1/2;
- a random crop: the image reflected at its border by ``padding`` pixels, then a
  48x48 window at a random offset, i.e. a shift of up to ``padding`` pixels each way
  (the "random crops with padding" of CIFAR-style training; usef-kh/fer crop 40x40
  windows of their 48x48 images and train their network on 40x40, while the paper's
  networks take 48x48, so the window keeps that size and the border is reflected);
- a rotation by up to ``rotation_degrees`` either way (border reflected);
- random erasing (Zhong et al. 2020, AAAI; torchvision's ``RandomErasing`` defaults):
  with probability ``erasing`` a rectangle of 2% to 33% of the image, aspect ratio
  0.3 to 3.3, is filled with the image's mean grey level (torchvision fills with 0 after
  normalisation, the data set's mean; a rectangle too large for the image is clipped
  to it, where torchvision draws again).

These are the steps of usef-kh/fer (Khaireddin and Chen 2021, arXiv:2105.03588), which
reach 73.28% on FER2013's PrivateTest with a VGG network; oarriaga/face_classification
(mini-Xception, about 66%) uses flips, rotation of 10 degrees, shifts and zoom of 10%.

Test (:func:`ten_crop_views`, :func:`ten_crop_proba`): each image reflected by
``padding`` pixels gives five 48x48 windows (the four corners and the centre, which is
the image itself) and their mirror images; the network's ten probability vectors are
averaged. These are usef-kh/fer's ten crops (40x40 windows at the corners and centre of
48x48 images, i.e. shifts of 4 pixels) for networks that take the whole 48x48 image.

Only Keras layers and ``keras.ops`` are used, so training runs on every backend.
"""

from __future__ import annotations

import numbers

import keras
import numpy as np

from ferlib.augment import ClipToRange, VALUE_RANGE, _check_seed, _faces_as_batch, _layer_seeds, _to_uint8
from ferlib.labels import IMAGE_SIZE

#: Random erasing's share of the image area and aspect ratio (torchvision's defaults).
ERASING_SCALE = (0.02, 0.33)
ERASING_RATIO = (0.3, 3.3)


def _reflect(index, size):
    """Indices reflected into ``0 .. size - 1`` (NumPy's ``"reflect"`` padding; no
    more than ``size - 1`` outside)."""
    index = keras.ops.abs(index)
    return keras.ops.where(index > size - 1, 2 * (size - 1) - index, index)


@keras.saving.register_keras_serializable(package="ferlib")
class RandomReflectCrop(keras.layers.Layer):
    """Shift each image by a random whole number of pixels in ``-padding .. padding``
    along each axis, the border filled by reflection: a random 48x48 window of the image
    reflected by ``padding`` pixels. Active only in training.

    The window is taken with one-hot selection matrices (``rows @ image @ cols``), which
    copy pixels exactly on every backend.
    """

    def __init__(self, padding: int, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, bool) or not isinstance(padding, numbers.Integral) or padding < 0:
            raise ValueError(f"padding must be a non-negative int, got {padding!r}")
        self.padding = int(padding)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _selection(self, size, batch):
        offsets = keras.random.randint((batch,), 0, 2 * self.padding + 1, seed=self.seed_generator)
        index = offsets[:, None] + keras.ops.arange(size)[None, :] - self.padding
        return keras.ops.one_hot(_reflect(index, size), size, dtype=self.compute_dtype)  # (batch, size, size)

    def call(self, inputs, training=True):
        if not training or self.padding == 0:
            return inputs
        images = keras.ops.cast(inputs, self.compute_dtype)
        batch = keras.ops.shape(images)[0]
        rows = self._selection(images.shape[1], batch)
        cols = self._selection(images.shape[2], batch)
        return keras.ops.einsum("bij,bjkc,blk->bilc", rows, images, cols)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "seed": self.seed}


@keras.saving.register_keras_serializable(package="ferlib")
class RandomErasing(keras.layers.Layer):
    """With probability ``rate`` per image, fill a random rectangle with the image's mean
    (area ``ERASING_SCALE`` of the image, aspect ratio ``ERASING_RATIO``). Active only in
    training."""

    def __init__(self, rate: float, seed=None, **kwargs):
        super().__init__(**kwargs)
        rate = float(rate)
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be in [0, 1], got {rate!r}")
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=True):
        if not training or self.rate == 0:
            return inputs
        images = keras.ops.cast(inputs, self.compute_dtype)
        dtype = self.compute_dtype
        batch = keras.ops.shape(images)[0]
        height, width = images.shape[1], images.shape[2]

        def uniform(low, high):
            return keras.random.uniform((batch,), minval=low, maxval=high, dtype=dtype, seed=self.seed_generator)

        area = uniform(*ERASING_SCALE) * (height * width)
        ratio = keras.ops.exp(uniform(float(np.log(ERASING_RATIO[0])), float(np.log(ERASING_RATIO[1]))))
        box_h = keras.ops.minimum(keras.ops.round(keras.ops.sqrt(area * ratio)), height)
        box_w = keras.ops.minimum(keras.ops.round(keras.ops.sqrt(area / ratio)), width)
        top = keras.ops.floor(uniform(0.0, 1.0) * (height - box_h + 1))
        left = keras.ops.floor(uniform(0.0, 1.0) * (width - box_w + 1))
        apply = uniform(0.0, 1.0) < self.rate
        y = keras.ops.arange(height, dtype=dtype)[None, :]
        x = keras.ops.arange(width, dtype=dtype)[None, :]
        both = keras.ops.logical_and
        in_rows = both(y >= top[:, None], y < (top + box_h)[:, None])  # (batch, height)
        in_cols = both(x >= left[:, None], x < (left + box_w)[:, None])  # (batch, width)
        mask = both(both(in_rows[:, :, None, None], in_cols[:, None, :, None]), apply[:, None, None, None])
        fill = keras.ops.mean(images, axis=(1, 2, 3), keepdims=True)
        return keras.ops.where(mask, fill, images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def make_recipe_augmenter(*, flip: bool = True, crop_padding: int = 4, rotation_degrees: float = 10.0,
                          erasing: float = 0.5, seed=None):
    """The recipe's training augmenter (see the module docstring).

    Args:
        flip: mirror each image left-right with probability 1/2.
        crop_padding: the largest shift of the random crop, in pixels (0: no crops).
        rotation_degrees: the largest rotation either way, in degrees (0: none).
        erasing: the probability that an image gets a rectangle erased (0: never).
        seed: seeds every random layer, in a fixed order, so that switching one step off
            leaves the random stream of the others as it was.

    Returns:
        a ``keras.Sequential`` taking ``(batch, 48, 48, 1)`` floats in 0..255 and
        returning the same shape, clipped to 0..255; unchanged with ``training=False``.
    """
    if not isinstance(flip, (bool, np.bool_)):
        raise ValueError(f"flip must be True or False, got {flip!r}")
    if not 0 <= float(rotation_degrees) < 180:
        raise ValueError(f"rotation_degrees must be in [0, 180), got {rotation_degrees!r}")
    flip_seed, crop_seed, rotation_seed, erasing_seed = _layer_seeds(seed, 4)
    layers = [keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="image")]
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=flip_seed, name="flip"))
    if crop_padding:
        layers.append(RandomReflectCrop(crop_padding, seed=crop_seed, name="crop"))
    if rotation_degrees:
        layers.append(keras.layers.RandomRotation(float(rotation_degrees) / 360.0, fill_mode="reflect",
                                                  seed=rotation_seed, name="rotation"))
    if erasing:
        layers.append(RandomErasing(erasing, seed=erasing_seed, name="erasing"))
    layers.append(ClipToRange(*VALUE_RANGE, name="clip"))
    return keras.Sequential(layers, name="recipe_augmenter")


def recipe_training_model(model, *, seed: int, flip: bool = True, crop_padding: int = 4,
                          rotation_degrees: float = 10.0, erasing: float = 0.5):
    """``model`` behind the recipe's augmenter (active only while training), as
    :func:`ferlib.training.training_model` does with the paper's."""
    inputs = keras.Input(model.input_shape[1:], name="image")
    augmenter = make_recipe_augmenter(flip=flip, crop_padding=crop_padding, rotation_degrees=rotation_degrees,
                                      erasing=erasing, seed=seed)
    return keras.Model(inputs, model(augmenter(inputs)), name=f"train_{model.name}")


def ten_crop_views(images, padding: int = 4) -> np.ndarray:
    """The ten test views of each image: ``(10, n, 48, 48)`` uint8.

    Views 0-4 are the 48x48 windows at the top-left, top-right, bottom-left and
    bottom-right corners and the centre of the image reflected by ``padding`` pixels
    (the centre is the image itself); views 5-9 are their mirror images.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"images must have shape (n, {IMAGE_SIZE}, {IMAGE_SIZE}[, 1]), got {images.shape}")
    if isinstance(padding, bool) or not isinstance(padding, numbers.Integral) or not 0 <= padding < IMAGE_SIZE:
        raise ValueError(f"padding must be an int in 0..{IMAGE_SIZE - 1}, got {padding!r}")
    p, side = int(padding), IMAGE_SIZE
    padded = np.pad(images, ((0, 0), (p, p), (p, p)), mode="reflect")
    corners = [(0, 0), (0, 2 * p), (2 * p, 0), (2 * p, 2 * p), (p, p)]
    views = [padded[:, y:y + side, x:x + side] for y, x in corners]
    views += [view[:, :, ::-1] for view in views]
    return np.ascontiguousarray(np.stack(views))


def ten_crop_proba(model, images, *, padding: int = 4, batch_size: int = 256) -> np.ndarray:
    """``(n, classes)`` float32 probabilities: the mean of ``model``'s probabilities over
    the ten views of :func:`ten_crop_views` (rows sum to 1)."""
    views = ten_crop_views(images, padding)
    tens, n = views.shape[:2]
    flat = views.reshape(tens * n, IMAGE_SIZE, IMAGE_SIZE, 1)
    probs = np.asarray(model.predict(flat, batch_size=batch_size, verbose=0), dtype=np.float64)
    mean = probs.reshape(tens, n, -1).mean(axis=0)
    return (mean / mean.sum(axis=1, keepdims=True)).astype(np.float32)


# --------------------------------------------------------------------------- the figures' grids

#: The panels of :func:`recipe_augmentation_grid`, in order.
RECIPE_GRID_KEYS = ("original", "flip", "crop", "rotation", "erasing", "all together")
#: The five windows of :func:`ten_crop_views`, in order (views 5-9 are their mirror images).
TEN_CROP_WINDOWS = ("top left", "top right", "bottom left", "bottom right", "centre")


def recipe_augmentation_grid(images, seed: int = 0, *, crop_padding: int = 4, rotation_degrees: float = 10.0,
                             erasing: float = 0.5) -> dict:
    """Each step of the recipe's augmentation alone, and all of them together, on the
    same faces.

    Args:
        images: ``(k, 48, 48)`` or ``(k, 48, 48, 1)`` faces, values in 0..255.
        seed: seeds every augmenter, so the figure is reproducible.
        crop_padding, rotation_degrees, erasing: the recipe's magnitudes
            (:func:`make_recipe_augmenter`).

    Returns:
        ``{panel: (k, 48, 48) uint8}`` with the keys of :data:`RECIPE_GRID_KEYS` in that
        order. So that every panel shows its step, the flip and erasing panels apply them
        to every face, where training does so with probability 1/2 and ``erasing``;
        ``"all together"`` is the training augmenter itself.
    """
    batch = _faces_as_batch(images)
    seed = _check_seed(seed)
    if seed is None:
        raise ValueError("recipe_augmentation_grid needs an int seed, got None")
    off = dict(flip=False, crop_padding=0, rotation_degrees=0.0, erasing=0.0)
    settings = {
        "crop": {**off, "crop_padding": crop_padding},
        "rotation": {**off, "rotation_degrees": rotation_degrees},
        "erasing": {**off, "erasing": 1.0},
        "all together": dict(flip=True, crop_padding=crop_padding, rotation_degrees=rotation_degrees,
                             erasing=erasing),
    }
    grid = {"original": _to_uint8(batch), "flip": _to_uint8(batch[:, :, ::-1, :])}
    for name, kwargs in settings.items():
        grid[name] = _to_uint8(make_recipe_augmenter(seed=seed, **kwargs)(batch, training=True))
    return {key: grid[key] for key in RECIPE_GRID_KEYS}


def ten_crop_grid(image, padding: int = 4) -> dict:
    """The ten test views of one face (:func:`ten_crop_views`) as
    ``{window: (2, 48, 48) uint8}``: for each window of :data:`TEN_CROP_WINDOWS`, the view
    and its mirror image."""
    face = np.asarray(image)
    if face.ndim == 3 and face.shape[-1] == 1:
        face = face[..., 0]
    if face.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"image must have shape ({IMAGE_SIZE}, {IMAGE_SIZE}[, 1]), got {np.shape(image)}")
    views = ten_crop_views(face[None], padding)[:, 0]
    half = len(TEN_CROP_WINDOWS)
    return {name: np.stack([views[i], views[i + half]]).astype(np.uint8) for i, name in enumerate(TEN_CROP_WINDOWS)}
