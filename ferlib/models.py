"""The paper's three custom CNNs (Borgalli & Surve 2022, section 3), in Keras 3.

Every model takes a batch of grey faces of shape ``(batch, 48, 48, 1)`` in the raw
``0..255`` intensity range (any float or integer dtype) and returns class
probabilities of shape ``(batch, num_classes)`` (float32, rows sum to 1). The first
layer is a ``Rescaling(1/255)`` layer, so callers never scale images themselves; it
has no weights and leaves the parameter counts equal to the paper's.

The paper gives each model as a Keras ``model.summary()`` table (layer, output shape,
parameter count) but leaves kernel sizes, padding, pool sizes, strides and dropout
rates implicit. The choices below are the ones that reproduce *every* output shape and
parameter count of the tables; they are listed in each builder's docstring. Dropout
rates do not change shapes or counts, so they are the one free choice; where they
could be traced to the public Keras code these architectures are widely shared as,
that code's rates are used, otherwise 0.5.

Layers are named as in the paper's tables (``conv2d_1``, ``max_pooling2d_1``, ...),
so :func:`layer_table` and :func:`paper_layer_table` can be compared row by row.

Only Keras layers are used, so the models run on every Keras backend
(TensorFlow, JAX, PyTorch).

Each model is one function that lists its layers, registered under its id with
:func:`register_model`; a new model is such a function, its registration and its id in
:data:`ferlib.vocabulary.MODELS`.
"""

import keras
import numpy as np
import pandas as pd

from ferlib.labels import IMAGE_SIZE, NUM_CLASSES
from ferlib.paper import LAYER_TABLES
from ferlib.vocabulary import MODEL_IDS, check_dropout_scale

#: ``{model id: layers(num_classes, seeds) -> [keras layers]}``, filled by :func:`register_model`.
MODEL_BUILDERS = {}

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)

TABLE_COLUMNS = ("layer", "type", "output_shape", "params")


def register_model(model_id: int):
    """Register the decorated function as the layers of model ``model_id``.

    The function takes ``(num_classes, seeds)`` and returns the model's layers after the
    input scaling (:func:`build_model` adds that). ``model_id`` must be an id of
    :data:`ferlib.vocabulary.MODELS`, registered once.
    """
    if isinstance(model_id, bool) or model_id not in MODEL_IDS:
        raise ValueError(f"model {model_id!r} is not in ferlib.vocabulary.MODELS ({list(MODEL_IDS)}); add it there")
    if model_id in MODEL_BUILDERS:
        raise ValueError(f"model {model_id} is registered twice")

    def register(layers):
        MODEL_BUILDERS[model_id] = layers
        return layers

    return register


def _check_model_id(model_id):
    """Return ``model_id`` as an int, or raise ``ValueError`` listing the registered ids."""
    if isinstance(model_id, bool) or model_id not in MODEL_BUILDERS:
        raise ValueError(
            f"unknown model_id {model_id!r}; expected one of {sorted(MODEL_BUILDERS)}"
        )
    return int(model_id)


class _LayerSeeds:
    """Hands out one distinct integer seed per layer (or None for Keras defaults)."""

    def __init__(self, seed):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an int or None, got {seed!r}")
        self.seed = seed
        self.count = 0

    def next(self):
        if self.seed is None:
            return None
        self.count += 1
        return self.seed * 1000 + self.count

    def kernel_initializer(self):
        seed = self.next()
        if seed is None:
            return "glorot_uniform"
        return keras.initializers.GlorotUniform(seed=seed)


def _conv(filters, kernel_size, padding, name, seeds):
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        padding=padding,
        activation="relu",
        kernel_initializer=seeds.kernel_initializer(),
        name=name,
    )


def _dense(units, activation, name, seeds, *, dtype=None):
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=seeds.kernel_initializer(),
        name=name,
        dtype=dtype,
    )


def _output(num_classes, name, seeds):
    """The softmax output layer, computed in float32 whatever the dtype policy: under
    ``mixed_bfloat16`` a bfloat16 softmax gives probabilities that sum to 1 only within
    about 0.2%, and the loss would be taken on them (Keras' mixed-precision guide keeps
    the output layer in float32). Under float32 it is the same layer."""
    return _dense(num_classes, "softmax", name, seeds, dtype="float32")


def _dropout(rate, name, seeds):
    return keras.layers.Dropout(rate, seed=seeds.next(), name=name)


@keras.saving.register_keras_serializable(package="ferlib")
class Standardize(keras.layers.Layer):
    """``(x - mean) / std`` per pixel, with ``mean`` and ``std`` of shape ``(48, 48, 1)``
    held as non-trainable weights (saved with the model).

    They start at 0 and 255 (the same as ``Rescaling(1/255)``) until
    :func:`set_input_statistics` sets them from training images.
    """

    def build(self, input_shape):
        shape = tuple(input_shape[1:])
        self.mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
        self.std = self.add_weight(shape=shape, initializer=keras.initializers.Constant(255.0),
                                   trainable=False, name="std")

    def call(self, inputs):
        inputs = keras.ops.cast(inputs, self.compute_dtype)
        return (inputs - keras.ops.cast(self.mean, self.compute_dtype)) / keras.ops.cast(
            self.std, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


#: The smallest per-pixel standard deviation :func:`set_input_statistics` uses, in grey
#: levels (a pixel that never varies would otherwise be divided by zero).
MIN_PIXEL_STD = 1.0


def set_input_statistics(model, images) -> bool:
    """Set a ``"standardize"`` model's per-pixel mean and std from ``(n, 48, 48)`` training
    images (0..255). Returns False (and changes nothing) for a ``"unit"`` model."""
    layer = next((l for l in model.layers if isinstance(l, Standardize)), None)
    if layer is None:
        return False
    images = np.asarray(images, dtype=np.float64).reshape((-1,) + INPUT_SHAPE)
    if len(images) < 2:
        raise ValueError(f"need at least 2 training images for input statistics, got {len(images)}")
    layer.mean.assign(images.mean(axis=0).astype("float32"))
    layer.std.assign(np.maximum(images.std(axis=0), MIN_PIXEL_STD).astype("float32"))
    return True


def _input_layers(input_scaling="unit"):
    if input_scaling == "unit":
        scaling = keras.layers.Rescaling(1.0 / 255.0, name="rescaling")
    elif input_scaling == "standardize":
        scaling = Standardize(name="standardize")
    else:
        raise ValueError(f"input_scaling must be 'unit' or 'standardize', got {input_scaling!r}")
    return [keras.Input(shape=INPUT_SHAPE, name="image"), scaling]


def _dense_head(num_classes, dropout, seeds):
    """Models 1 and 2 end alike: flatten, two dense layers of 1024 units each followed by
    dropout at rate ``dropout``, then the softmax layer."""
    return [
        keras.layers.Flatten(name="flatten_1"),
        _dense(1024, "relu", "dense_1", seeds),
        _dropout(dropout, "dropout_1", seeds),
        _dense(1024, "relu", "dense_2", seeds),
        _dropout(dropout, "dropout_2", seeds),
        _output(num_classes, "dense_3", seeds),
    ]


@register_model(1)
def _model_1_layers(num_classes, seeds):
    """Model 1: 2 conv, 2 max-pool, 3 dense (20,007,687 parameters).

    Choices that reproduce the paper's table:

    - conv2d_1: 64 filters 5x5, 'same' padding -> 48x48x64, 1*25*64 + 64 = 1,664;
    - max_pooling2d_1/2: 2x2, stride 2 -> 24x24, then 12x12;
    - conv2d_2: 128 filters 3x3, 'same' -> 24x24x128, 64*9*128 + 128 = 73,856;
    - dense 1024 -> 1024 -> num_classes (softmax);
    - dropout rate 0.5 after each hidden dense layer (not given in the paper).
    """
    return [
        _conv(64, 5, "same", "conv2d_1", seeds),
        keras.layers.MaxPooling2D(2, strides=2, name="max_pooling2d_1"),
        _conv(128, 3, "same", "conv2d_2", seeds),
        keras.layers.MaxPooling2D(2, strides=2, name="max_pooling2d_2"),
        *_dense_head(num_classes, 0.5, seeds),
    ]


@register_model(2)
def _model_2_layers(num_classes, seeds):
    """Model 2: 5 conv, 1 max-pool, 2 average-pool, 3 dense (1,485,831 parameters).

    Choices that reproduce the paper's table (all convolutions 'valid'):

    - conv2d_1: 64 filters 5x5 -> 44x44x64 (1,664);
    - max_pooling2d_1: 5x5, stride 2 -> floor((44-5)/2)+1 = 20 -> 20x20x64;
    - conv2d_2, conv2d_3: 64 filters 3x3 -> 18x18, 16x16 (36,928 each);
    - average_pooling2d_1: 3x3, stride 2 -> floor((16-3)/2)+1 = 7 -> 7x7x64;
    - conv2d_4, conv2d_5: 128 filters 3x3 -> 5x5 (73,856), 3x3 (147,584);
    - average_pooling2d_2: 3x3, stride 2 -> 1x1x128;
    - dense 1024 -> 1024 -> num_classes (softmax);
    - dropout rate 0.2 after each hidden dense layer (not given in the paper; the
      rate of the public Keras FER2013 model with this exact layout).
    """
    return [
        _conv(64, 5, "valid", "conv2d_1", seeds),
        keras.layers.MaxPooling2D(5, strides=2, name="max_pooling2d_1"),
        _conv(64, 3, "valid", "conv2d_2", seeds),
        _conv(64, 3, "valid", "conv2d_3", seeds),
        keras.layers.AveragePooling2D(3, strides=2, name="average_pooling2d_1"),
        _conv(128, 3, "valid", "conv2d_4", seeds),
        _conv(128, 3, "valid", "conv2d_5", seeds),
        keras.layers.AveragePooling2D(3, strides=2, name="average_pooling2d_2"),
        *_dense_head(num_classes, 0.2, seeds),
    ]


@register_model(3)
def _model_3_layers(num_classes, seeds):
    """Model 3: 8 conv, 7 batch-norm, 4 max-pool, 4 dense, 7 dropout (5,905,863).

    The paper's text says "6 Convolution layers" but its table lists 8; the table is
    followed. Choices that reproduce it (all kernels 3x3, ReLU inside each conv,
    batch normalization after the activation as the table orders them):

    - conv2d_1: 64 filters, 'valid' -> 46x46x64 (640), no batch norm after it;
    - conv2d_2 .. conv2d_8: 'same' padding (shapes kept), each followed by
      batch normalization (4 * channels parameters, half of them non-trainable:
      (256 + 512 + 512 + 1024 + 1024 + 2048 + 2048) / 2 = 3,712);
    - max_pooling2d_1..4: 2x2, stride 2 -> 23, 11, 5, 2 (floor);
    - dense 512 -> 256 -> 128 -> num_classes (softmax);
    - dropout rates 0.5 after each conv block, then 0.4, 0.4, 0.5 after the dense
      layers (not given in the paper; the rates of the public Keras FER2013 model
      with this exact layout).
    """
    layers = [
        _conv(64, 3, "valid", "conv2d_1", seeds),
        _conv(64, 3, "same", "conv2d_2", seeds),
        keras.layers.BatchNormalization(name="batch_normalization_1"),
        keras.layers.MaxPooling2D(2, strides=2, name="max_pooling2d_1"),
        _dropout(0.5, "dropout_1", seeds),
    ]
    conv_index, bn_index = 3, 2
    for block, filters in enumerate((128, 256, 512), start=2):
        for _ in range(2):
            layers.append(_conv(filters, 3, "same", f"conv2d_{conv_index}", seeds))
            layers.append(
                keras.layers.BatchNormalization(name=f"batch_normalization_{bn_index}")
            )
            conv_index += 1
            bn_index += 1
        layers.append(keras.layers.MaxPooling2D(2, strides=2, name=f"max_pooling2d_{block}"))
        layers.append(_dropout(0.5, f"dropout_{block}", seeds))
    layers += [
        keras.layers.Flatten(name="flatten_1"),
        _dense(512, "relu", "dense_1", seeds),
        _dropout(0.4, "dropout_5", seeds),
        _dense(256, "relu", "dense_2", seeds),
        _dropout(0.4, "dropout_6", seeds),
        _dense(128, "relu", "dense_3", seeds),
        _dropout(0.5, "dropout_7", seeds),
        _output(num_classes, "dense_4", seeds),
    ]
    return layers


if set(MODEL_BUILDERS) != set(MODEL_IDS):
    raise ImportError(f"models {sorted(set(MODEL_IDS) - set(MODEL_BUILDERS))} of ferlib.vocabulary.MODELS have no "
                      f"builder (register one with @register_model)")


def build_model(model_id: int, num_classes: int = NUM_CLASSES, *, seed: int | None = None,
                input_scaling: str = "unit", dropout_scale: float = 1.0):
    """Build one of the models, uncompiled.

    Parameters
    ----------
    model_id : an id of :data:`MODEL_BUILDERS`
        Which model to build (1, 2, 3: the paper's tables).
    num_classes : int, default 7
        Units of the softmax output layer (the paper uses 7).
    seed : int or None
        Seeds every kernel initializer and dropout layer (each layer gets its own
        seed derived from this one), so two models built with the same seed start
        from identical weights. None uses Keras' unseeded defaults.
    input_scaling : "unit" or "standardize"
        The weightless first layer: ``Rescaling(1/255)``, or :class:`Standardize`
        (per-pixel mean and std, set by :func:`set_input_statistics`).
    dropout_scale : float in [0, 1], default 1.0
        Multiplies every dropout rate (1.0: the paper's network; 0.0: its dropout layers
        pass everything through, the quick profile's Model 3). The layers, shapes and
        weights stay the same, so weights move between the two.

    Returns
    -------
    keras.Sequential named ``"model_<id>"``: input ``(batch, 48, 48, 1)`` in
    ``0..255``, output ``(batch, num_classes)`` float32 softmax probabilities.
    """
    model_id = _check_model_id(model_id)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
    dropout_scale = check_dropout_scale(dropout_scale)
    seeds = _LayerSeeds(seed)
    layers = _input_layers(input_scaling) + MODEL_BUILDERS[model_id](num_classes, seeds)
    for layer in layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = float(layer.rate) * dropout_scale
    return keras.Sequential(layers, name=f"model_{model_id}")


def model_summary(model_id) -> str:
    """Return the Keras ``model.summary()`` text of a freshly built model."""
    model = build_model(model_id)
    lines = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


def _shape_text(shape):
    return "(" + ", ".join(str(dim) for dim in shape) + ")"


def layer_table(model_id, *, include_rescaling=False) -> pd.DataFrame:
    """One row per layer of the built model, in the paper's table format.

    Columns: ``layer`` (name), ``type`` (Keras class name), ``output_shape`` (text
    such as ``"(None, 48, 48, 64)"``), ``params`` (int, trainable + non-trainable).
    The weightless input ``Rescaling`` layer, which the paper's tables do not have,
    is left out unless ``include_rescaling`` is true.
    """
    model = build_model(model_id)
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Rescaling) and not include_rescaling:
            continue
        rows.append(
            (
                layer.name,
                type(layer).__name__,
                _shape_text(layer.output.shape),
                int(layer.count_params()),
            )
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def paper_layer_table(model_id) -> pd.DataFrame:
    """The paper's layer table for ``model_id``, transcribed (same columns as
    :func:`layer_table`; type names written out in full as Keras class names)."""
    model_id = _check_model_id(model_id)
    if model_id not in LAYER_TABLES:
        raise ValueError(f"the paper has no layer table for model {model_id}; it gives {sorted(LAYER_TABLES)}")
    rows = [
        (name, kind, _shape_text(shape), params)
        for name, kind, shape, params in LAYER_TABLES[model_id]
    ]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def param_counts(model) -> tuple[int, int, int]:
    """Return ``(total, trainable, non_trainable)`` parameter counts of a Keras model."""
    trainable = sum(_size(w) for w in model.trainable_weights)
    non_trainable = sum(_size(w) for w in model.non_trainable_weights)
    return trainable + non_trainable, trainable, non_trainable


def _size(weight):
    size = 1
    for dim in weight.shape:
        size *= int(dim)
    return size


def forward_flops(model) -> int:
    """Floating-point operations of one image's forward pass through a built model,
    counting the multiply-adds of its convolutions and dense layers as two operations each
    (``2 * H_out * W_out * k_h * k_w * C_in / groups * C_out`` for a ``Conv2D``,
    ``2 * inputs * units`` for a ``Dense``, biases, activations, pooling and
    normalisation left out: they are a small share and no matrix unit does them).

    Training one image costs about three times this (the forward pass, then the gradients
    with respect to the inputs and to the weights, each a product of the same size).
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, channels_out = layer.output.shape
            k_h, k_w = layer.kernel_size
            channels_in = layer.input.shape[-1] // getattr(layer, "groups", 1)
            total += 2 * height * width * k_h * k_w * channels_in * channels_out
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * int(layer.input.shape[-1]) * layer.units
    return int(total)
