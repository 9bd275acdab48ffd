"""The paper's data generator (section 6): augmentation and class balancing.

The paper balances the training classes and generates more training images by
"flipping, rotation, cropping, blurring, and adding noise". Here that is split in two:

- :func:`make_augmenter` builds a ``keras.Sequential`` of Keras preprocessing layers
  (horizontal flip, rotation, zoom, translation, Gaussian blur, Gaussian noise; the
  last two are small layers defined here with ``keras.ops``) that
  runs on the accelerator inside training, so every epoch sees new random variants;
  cropping is done by zoom and translation, which keep the 48x48 size.
- :func:`balanced_indices` repeats minority-class examples (seeded) so that every
  class is seen equally often; together with the random augmenter the repeats are
  new images, which is the paper's "generate more images to balance the classes".

:func:`augmentation_grid` and :func:`class_balance_table` produce the book's
figure 6 and class-count table.

Only Keras layers and ``keras.ops`` are used, so the augmenter runs on every Keras
backend (TensorFlow, JAX, PyTorch).
"""

import numbers

import keras
import numpy as np
import pandas as pd

from ferlib.labels import EMOTIONS, IMAGE_SIZE, NUM_CLASSES

#: Range of the Gaussian blur's standard deviation, in pixels (drawn per image).
BLUR_SIGMA = (0.5, 1.5)
#: Intensity range of the images the augmenter takes and returns.
VALUE_RANGE = (0.0, 255.0)

#: Keys of :func:`augmentation_grid`'s result, in display order.
GRID_KEYS = ("original", "flip", "rotation", "zoom", "translation", "blur", "noise", "combined")


@keras.saving.register_keras_serializable(package="ferlib")
class ClipToRange(keras.layers.Layer):
    """Clip values to ``[low, high]`` (keeps augmented images in ``0..255``).

    Weightless; the same in training and inference (a no-op on in-range input).
    """

    def __init__(self, low=VALUE_RANGE[0], high=VALUE_RANGE[1], **kwargs):
        super().__init__(**kwargs)
        if not float(low) < float(high):
            raise ValueError(f"ClipToRange needs low < high, got low={low!r}, high={high!r}")
        self.low = float(low)
        self.high = float(high)

    def call(self, inputs):
        return keras.ops.clip(inputs, self.low, self.high)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}


@keras.saving.register_keras_serializable(package="ferlib")
class RandomBlur(keras.layers.Layer):
    """Blur each image, with probability ``rate``, by a Gaussian of random width.

    For every image a standard deviation is drawn uniformly in ``sigma`` (pixels)
    and the image is convolved, separably along rows and columns, with that
    Gaussian. The convolution is written as multiplication by a per-image
    ``(H, H)`` and ``(W, W)`` blur matrix whose rows are renormalized to sum to 1,
    so borders are not darkened (``keras.layers.RandomGaussianBlur`` pads with
    zeros, darkens a band at the border of 48x48 faces, and draws one sigma per
    batch). Only ``keras.ops`` are used, so it runs on every backend. Like Keras'
    image preprocessing layers it augments unless called with ``training=False``.

    Input and output: ``(batch, H, W, channels)`` floats; the intensity range is
    kept (each output pixel is a weighted mean of input pixels).
    """

    def __init__(self, rate=0.5, sigma=BLUR_SIGMA, seed=None, **kwargs):
        super().__init__(**kwargs)
        rate = float(rate)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {rate!r}")
        low, high = (float(v) for v in sigma)
        if not 0.0 < low <= high or not np.isfinite(high):
            raise ValueError(f"sigma must be (low, high) with 0 < low <= high, got {sigma!r}")
        self.rate = rate
        self.sigma = (low, high)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @staticmethod
    def _blur_matrices(size, sigmas, dtype):
        """(batch, size, size) row-normalized Gaussian weights, one matrix per sigma."""
        positions = keras.ops.arange(size, dtype=dtype)
        distance = positions[:, None] - positions[None, :]
        weights = keras.ops.exp(
            -0.5 * keras.ops.square(distance[None, :, :] / sigmas[:, None, None])
        )
        return weights / keras.ops.sum(weights, axis=-1, keepdims=True)

    def call(self, inputs, training=True):
        if not training or self.rate == 0.0:
            return inputs
        images = keras.ops.cast(inputs, self.compute_dtype)
        batch = keras.ops.shape(images)[0]
        height, width = images.shape[1], images.shape[2]
        sigmas = keras.random.uniform(
            (batch,), minval=self.sigma[0], maxval=self.sigma[1],
            dtype=self.compute_dtype, seed=self.seed_generator,
        )
        rows = self._blur_matrices(height, sigmas, self.compute_dtype)
        cols = self._blur_matrices(width, sigmas, self.compute_dtype)
        blurred = keras.ops.einsum("bij,bjkc,blk->bilc", rows, images, cols)
        apply = keras.random.uniform(
            (batch,), dtype=self.compute_dtype, seed=self.seed_generator
        ) < self.rate
        return keras.ops.where(apply[:, None, None, None], blurred, images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "sigma": self.sigma,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="ferlib")
class RandomGaussianNoise(keras.layers.Layer):
    """Add zero-mean Gaussian noise of ``stddev`` intensity units in training.

    ``keras.layers.GaussianNoise`` only takes ``stddev <= 1`` (images scaled to
    0..1); this layer works on the 0..255 images the augmenter takes. Like Keras'
    image preprocessing layers it adds noise unless called with ``training=False``.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        stddev = float(stddev)
        if not np.isfinite(stddev) or stddev < 0:
            raise ValueError(f"stddev must be a finite number >= 0, got {stddev!r}")
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=True):
        if not training or self.stddev == 0:
            return inputs
        noise = keras.random.normal(
            keras.ops.shape(inputs),
            stddev=self.stddev,
            dtype=self.compute_dtype,
            seed=self.seed_generator,
        )
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


def _check_fraction(name, value, *, upper=1.0, upper_inclusive=False):
    """Check that ``value`` is a real number in ``[0, upper)`` (or ``[0, upper]``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    too_big = value > upper if upper_inclusive else value >= upper
    if not np.isfinite(value) or value < 0 or too_big:
        bracket = "]" if upper_inclusive else ")"
        raise ValueError(f"{name} must be in [0, {upper}{bracket}, got {value!r}")
    return value


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"seed must be an int or None, got {seed!r}")
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed!r}")
    return None if seed is None else int(seed)


def _layer_seeds(seed, count):
    """``count`` distinct integer seeds derived from ``seed`` (or Nones)."""
    if seed is None:
        return [None] * count
    rng = np.random.default_rng(seed)
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=count)]


#: The augmenter's magnitudes at ``augment_scale=1`` (see :func:`make_augmenter`):
#: rotation up to 36 degrees, zoom and shift up to 10%, blur on half the images, noise of
#: 12.8 grey levels. The paper names the kinds (its Fig. 6), not their magnitudes.
MAGNITUDES = dict(rotation=0.1, zoom=0.1, translation=0.1, blur=0.5, noise=0.05)


def augment_magnitudes(scale: float = 1.0) -> dict:
    """:data:`MAGNITUDES` times ``scale`` (0 < scale <= 2), as keywords of
    :func:`make_augmenter`; flipping stays on at every scale."""
    scale = float(scale)
    if not 0 < scale <= 2:
        raise ValueError(f"augmentation scale must be in (0, 2], got {scale!r}")
    return {name: value * scale for name, value in MAGNITUDES.items()}


def make_augmenter(
    *,
    flip=True,
    rotation=0.1,
    zoom=0.1,
    translation=0.1,
    blur=0.5,
    noise=0.05,
    seed=None,
):
    """Build the training-time augmenter as a ``keras.Sequential``.

    Parameters
    ----------
    flip : bool
        Mirror each image left-right with probability 1/2.
    rotation : float in [0, 0.5)
        Largest rotation as a fraction of a full turn (Keras' convention):
        0.1 rotates by a random angle in [-36, 36] degrees.
    zoom : float in [0, 1)
        Largest zoom in or out as a fraction of the image side (0.1: 90%..110%);
        zooming in crops the face.
    translation : float in [0, 1)
        Largest shift, vertical and horizontal, as a fraction of the image side.
    blur : float in [0, 1]
        Probability that an image is blurred by a Gaussian whose sigma is drawn
        per image in ``BLUR_SIGMA`` pixels (:class:`RandomBlur`).
    noise : float in [0, 1)
        Standard deviation of added Gaussian noise as a fraction of 255
        (0.05: about 12.8 grey levels).
    seed : int or None
        Seeds every random layer; two augmenters built with the same seed give the
        same outputs on the same sequence of inputs.

    Returns
    -------
    keras.Sequential taking ``(batch, 48, 48, 1)`` floats in ``0..255`` and returning
    the same shape, float32, clipped to ``0..255``. Call it with ``training=True``
    to augment; with ``training=False`` (as in ``predict``/``evaluate``) it returns
    its input unchanged. Geometric transforms fill the border by reflection. A
    parameter of 0 (or ``flip=False``) leaves that layer out.
    """
    if not isinstance(flip, (bool, np.bool_)):
        raise ValueError(f"flip must be True or False, got {flip!r}")
    rotation = _check_fraction("rotation", rotation, upper=0.5)
    zoom = _check_fraction("zoom", zoom)
    translation = _check_fraction("translation", translation)
    blur = _check_fraction("blur", blur, upper_inclusive=True)
    noise = _check_fraction("noise", noise)
    seed = _check_seed(seed)

    seeds = iter(_layer_seeds(seed, 6))
    layers = [keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="image")]
    # Draw every seed in a fixed order so that switching one layer off does not
    # change the random stream of the others.
    flip_seed, rotation_seed, zoom_seed, translation_seed, blur_seed, noise_seed = seeds
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=flip_seed, name="flip"))
    if rotation > 0:
        layers.append(keras.layers.RandomRotation(rotation, seed=rotation_seed, name="rotation"))
    if zoom > 0:
        layers.append(keras.layers.RandomZoom((-zoom, zoom), seed=zoom_seed, name="zoom"))
    if translation > 0:
        layers.append(
            keras.layers.RandomTranslation(
                translation, translation, seed=translation_seed, name="translation"
            )
        )
    if blur > 0:
        layers.append(RandomBlur(blur, BLUR_SIGMA, seed=blur_seed, name="blur"))
    if noise > 0:
        layers.append(
            RandomGaussianNoise(noise * VALUE_RANGE[1], seed=noise_seed, name="noise")
        )
    layers.append(ClipToRange(*VALUE_RANGE, name="clip"))
    return keras.Sequential(layers, name="augmenter")


def _faces_as_batch(images):
    """Validate ``images`` ((k,48,48) or (k,48,48,1), values 0..255) -> float32 (k,48,48,1)."""
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 1) or array.shape[0] == 0:
        raise ValueError(
            f"images must have shape (k, {IMAGE_SIZE}, {IMAGE_SIZE}) or "
            f"(k, {IMAGE_SIZE}, {IMAGE_SIZE}, 1) with k >= 1, got {np.shape(images)}"
        )
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"images must be numeric, got dtype {array.dtype}")
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 255:
        raise ValueError("images must hold finite values in 0..255")
    return array


def _to_uint8(batch):
    return np.clip(np.rint(keras.ops.convert_to_numpy(batch)), 0, 255).astype(np.uint8)[..., 0]


def augmentation_grid(
    images,
    seed=0,
    *,
    rotation=0.1,
    zoom=0.1,
    translation=0.1,
    noise=0.05,
):
    """Apply each augmentation alone, and all together, to the same faces (Fig. 6).

    Parameters
    ----------
    images : array (k, 48, 48) or (k, 48, 48, 1), values in 0..255
    seed : int
        Seeds every augmenter, so the figure is reproducible.
    rotation, zoom, translation, noise :
        Magnitudes as in :func:`make_augmenter`.

    Returns
    -------
    dict with the keys of ``GRID_KEYS`` in that order: ``"original"`` and one entry
    per augmentation, each a ``(k, 48, 48)`` uint8 array. So that every panel shows
    its operation, the flip and blur panels apply them to every face (probability 1),
    where training flips and blurs each face with probability 1/2 and ``blur``;
    ``"combined"`` is the training augmenter itself (:func:`make_augmenter` with
    these magnitudes).
    """
    batch = _faces_as_batch(images)
    seed = _check_seed(seed)
    if seed is None:
        raise ValueError("augmentation_grid needs an int seed, got None")
    off = dict(flip=False, rotation=0.0, zoom=0.0, translation=0.0, blur=0.0, noise=0.0)
    settings = {
        "rotation": {**off, "rotation": rotation},
        "zoom": {**off, "zoom": zoom},
        "translation": {**off, "translation": translation},
        "blur": {**off, "blur": 1.0},
        "noise": {**off, "noise": noise},
        "combined": dict(rotation=rotation, zoom=zoom, translation=translation, noise=noise),
    }
    grid = {
        "original": _to_uint8(batch),
        "flip": _to_uint8(batch[:, :, ::-1, :]),
    }
    for name, kwargs in settings.items():
        augmenter = make_augmenter(seed=seed, **kwargs)
        grid[name] = _to_uint8(augmenter(batch, training=True))
    return {key: grid[key] for key in GRID_KEYS}


def _check_labels(labels, name="labels"):
    array = np.asarray(labels)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class indices, got dtype {array.dtype}")
    if array.min() < 0:
        raise ValueError(f"{name} must be >= 0, got minimum {array.min()}")
    return array.astype(np.int64)


def balanced_indices(labels, *, seed=0, strategy="oversample", target=None):
    """Seeded indices that make every class present in ``labels`` equally frequent.

    Parameters
    ----------
    labels : 1-D int array (n,)
        Class index of each training example.
    seed : int
        Seed of the NumPy generator; the result is a pure function of the inputs.
    strategy : "oversample" or "undersample"
        ``"oversample"`` (the paper's: minority classes are augmented up): every
        class is brought up to ``target`` (default: the largest class count,
        must be >= it) and every original index appears at least once.
        ``"undersample"``: every class is cut down to ``target`` (default: the
        smallest class count, must be <= it) by drawing without repeats.
    target : int or None
        Examples per class in the result.

    Returns
    -------
    int64 array (n_classes_present * target,) of indices into ``labels``, shuffled.
    When a class of ``c`` examples is raised to ``target``, each example appears
    ``target // c`` times and a random ``target % c`` of them once more.
    """
    labels = _check_labels(labels)
    seed = _check_seed(seed)
    if seed is None:
        raise ValueError("balanced_indices needs an int seed, got None")
    if strategy not in ("oversample", "undersample"):
        raise ValueError(
            f"strategy must be 'oversample' or 'undersample', got {strategy!r}"
        )
    classes, counts = np.unique(labels, return_counts=True)
    if target is None:
        target = int(counts.max() if strategy == "oversample" else counts.min())
    if isinstance(target, bool) or not isinstance(target, numbers.Integral) or target < 1:
        raise ValueError(f"target must be a positive int or None, got {target!r}")
    target = int(target)
    if strategy == "oversample" and target < counts.max():
        raise ValueError(
            f"oversample target {target} is below the largest class count "
            f"{int(counts.max())}; use strategy='undersample' or a larger target"
        )
    if strategy == "undersample" and target > counts.min():
        raise ValueError(
            f"undersample target {target} is above the smallest class count "
            f"{int(counts.min())}; use strategy='oversample' or a smaller target"
        )

    rng = np.random.default_rng(seed)
    chosen = []
    for cls in classes:
        members = np.flatnonzero(labels == cls)
        repeats, remainder = divmod(target, members.size)
        chosen.append(np.tile(members, repeats))
        chosen.append(rng.choice(members, size=remainder, replace=False))
    indices = np.concatenate(chosen).astype(np.int64)
    rng.shuffle(indices)
    return indices


def class_balance_table(labels_before, labels_after) -> pd.DataFrame:
    """Per-class counts and shares before and after balancing, for the book.

    Parameters
    ----------
    labels_before, labels_after : 1-D int arrays with values in 0..6

    Returns
    -------
    DataFrame with one row per class of ``ferlib.labels.EMOTIONS`` (in that order)
    and columns ``emotion``, ``before``, ``after`` (int counts) and
    ``before_percent``, ``after_percent`` (float, share of all examples, 0..100).
    """
    columns = {}
    for name, labels in (("before", labels_before), ("after", labels_after)):
        labels = _check_labels(labels, name=f"labels_{name}")
        if labels.max() >= NUM_CLASSES:
            raise ValueError(
                f"labels_{name} must be in 0..{NUM_CLASSES - 1}, got maximum {labels.max()}"
            )
        counts = np.bincount(labels, minlength=NUM_CLASSES).astype(np.int64)
        columns[name] = counts
        columns[f"{name}_percent"] = 100.0 * counts / counts.sum()
    return pd.DataFrame(
        {
            "emotion": list(EMOTIONS),
            "before": columns["before"],
            "after": columns["after"],
            "before_percent": columns["before_percent"],
            "after_percent": columns["after_percent"],
        }
    )
