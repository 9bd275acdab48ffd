"""One dataclass describes a run; profiles give its defaults.

A run is (model, source and target data, protocol, split, hyper-parameters, seed,
backend). Its identity, the run id, is a hash of this config, the fingerprint of the
data it trains on and ferlib's numerics version (see :mod:`ferlib.identity`).
"""

from __future__ import annotations

import dataclasses
import json
import math

from ferlib import paper
from ferlib.identity import has_bfloat16_units
from ferlib.vocabulary import DATASETS, MODEL_IDS, SPLIT_PROTOCOLS, check_dropout_scale, run_dataset_title

#: The split protocols a run may use (:data:`ferlib.vocabulary.SPLIT_PROTOCOLS`).
PROTOCOLS = SPLIT_PROTOCOLS
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
BALANCING = ("oversample", "none")
INPUT_SCALINGS = ("unit", "standardize")
#: How plainly synthetic faces show their expression (:data:`ferlib.synthetic.domains.EXPRESSIONS`).
SYNTHETIC_EXPRESSIONS = ("standard", "clear")
#: Folds of the ``"subject-kfold"`` protocol unless a config says otherwise.
DEFAULT_FOLDS = 5
#: The fewest folds ``"subject-kfold"`` can make: a test, a val and a train part.
MIN_FOLDS = 3
#: The largest ``augment_scale``: twice the paper profile's magnitudes (blur on every image).
MAX_AUGMENT_SCALE = 2.0

# --- the modern recipe's choices (ferlib.recipe); every default is the paper's training ---
#: Optimisers: Adam (the paper's) or SGD with Nesterov momentum.
OPTIMIZERS = ("adam", "sgd-nesterov")
#: Learning-rate schedules (:mod:`ferlib.schedule`): constant (the paper's), reduced on a
#: plateau of validation accuracy, or cosine decay over the epochs.
SCHEDULES = ("constant", "plateau", "cosine")
#: Augmentation kinds when ``augment``: the paper's (:func:`ferlib.augment.make_augmenter`)
#: or the recipe's (:func:`ferlib.recipe_augment.make_recipe_augmenter`).
AUGMENTATIONS = ("paper", "recipe")
#: Test-time augmentation of the stored predictions: none, or ten-crop averaging.
TEST_TIME_AUGMENTATIONS = ("none", "ten-crop")
#: The largest ``crop_padding`` (pixels) of the recipe's random crops.
MAX_CROP_PADDING = 12
#: The recipe's settings, each of which must keep its default unless the setting it
#: belongs to is on (elsewhere it would change the run id and not the run):
#: ``{field: (owner field, owner values)}``.
RECIPE_DEPENDENT = {
    "momentum": ("optimizer", ("sgd-nesterov",)),
    "plateau_factor": ("schedule", ("plateau",)),
    "plateau_patience": ("schedule", ("plateau",)),
    "min_learning_rate": ("schedule", ("plateau", "cosine")),
    "flip": ("augmentation", ("recipe",)),
    "crop_padding": ("augmentation", ("recipe",)),
    "rotation_degrees": ("augmentation", ("recipe",)),
    "erasing": ("augmentation", ("recipe",)),
}
# --- end of the modern recipe's choices ---

#: Preset hyper-parameters. ``smoke``: seconds, for tests. ``quick``: the teaching
#: profile, the whole book on synthetic faces with clear expressions in minutes on 2 CPU
#: cores: Model 2 learns the FER2013-like faces (about 34,000 balanced images at a
#: learning rate it does not die at, on standardised pixels, without augmentation) and,
#: fine-tuned from them, beats training from scratch on CK+- and JAFFE-like sets with
#: test parts of 150 images and more; Model 1 learns them too, from 5 balanced epochs of
#: at most 2,000 training images (about 17,600 images, Adam at 0.001, batches of 32);
#: Model 3 with the paper's dropout (0.5 after each of its four convolution blocks) stays at
#: chance longer than the profile can afford (in bfloat16, neither 56,000 images at Adam
#: 0.001 with batches of 32, nor 34,000 at Model 2's 0.0003 with batches of 16, nor 40,000
#: at the protocol's 0.001 with batches of 64 on pixels scaled to 0..1 moved its loss from
#: ln 7, the uniform answer; with every rate halved it barely moves in 22,000), so here it
#: trains without dropout (``dropout_scale=0``, a stated teaching shortcut that
#: :func:`profile_notes` gives on the pages): 4 balanced epochs of every training image
#: (about 22,000 images), Adam at 0.001, batches of 32, reach about 84% on the 400
#: FER2013-like test faces. Models 1 and 3 train in bfloat16
#: where the processor multiplies bfloat16 in hardware (:func:`profile_precision`). Where
#: Model 3 trains in float32 instead, those 22,000 images take about 12 minutes (31 images/s
#: on a 2-core AVX2 processor), more than the whole profile's budget, so there it trains one
#: epoch of at most 100 images (``few_steps_in_float32``): its accuracies show the pipeline.
#: ``paper``: the protocol (75 epochs, Adam; no augmentation, chosen on validation by the
#: sensitivity study, see :mod:`ferlib.protocol`).
#: ``synthetic_size`` is the number of images made per data set when no data
#: directory is given; ``limit_train`` caps training images (None = all); ``synthetic``
#: holds settings for synthetic data only, ``models`` the settings of one model that
#: differ from the profile's, ``bfloat16_models`` the models that train in
#: ``"mixed_bfloat16"`` on TensorFlow where the processor has bfloat16 units,
#: ``few_steps_in_float32`` the settings of a model that, where it trains in float32,
#: trains a few steps only, to show the pipeline (they replace its ``models`` entry).
#: :data:`PROFILE_KEYS` names these keys, which are no :class:`RunConfig` fields.
PROFILES = {
    "smoke": dict(epochs=1, batch_size=32, learning_rate=1e-3, limit_train=128,
                  synthetic_size={"fer2013": 420, "ckplus": 189, "jaffe": 140}),
    "quick": dict(epochs=6, batch_size=16, learning_rate=3e-4, limit_train=None,
                  augment=False, input_scaling="standardize",
                  synthetic_size={"fer2013": 4000, "ckplus": 750, "jaffe": 800},
                  synthetic=dict(synthetic_expressions="clear"),
                  models={1: dict(epochs=5, batch_size=32, learning_rate=1e-3, limit_train=2000),
                          3: dict(epochs=4, batch_size=32, learning_rate=1e-3, dropout_scale=0.0)},
                  bfloat16_models=(1, 3), few_steps_in_float32={3: dict(epochs=1, limit_train=100)}),
    "paper": dict(epochs=75, batch_size=64, learning_rate=1e-3, limit_train=None, min_epoch_images=1024,
                  augment=False,
                  synthetic_size={"fer2013": 12000, "ckplus": paper.CKPLUS48_IMAGES, "jaffe": paper.JAFFE_IMAGES}),
}

#: The keys of a profile that are no :class:`RunConfig` fields.
PROFILE_KEYS = ("synthetic_size", "synthetic", "models", "bfloat16_models", "few_steps_in_float32")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's numbers.

    Attributes:
        model: 1, 2 or 3 (the paper's architectures).
        dataset: the data set trained and tested on: ``fer2013``, ``jaffe``, ``ckplus7`` (the
            paper's seven-class CK+, with neutral first frames) or ``ckplus`` (CK+48, six classes).
        source: for a fine-tune, the data set the starting weights were trained on;
            ``None`` for training from scratch.
        source_run: the run id of those starting weights (set by :func:`ferlib.experiment.finetune`).
        data: ``"real"`` (files under a data directory) or ``"synthetic"``.
        synthetic_size: images made when ``data == "synthetic"``.
        synthetic_expressions: ``"standard"`` or ``"clear"``: how plainly synthetic faces
            show their expression (:data:`ferlib.synthetic.domains.EXPRESSIONS`); real
            data keeps ``"standard"``.
        data_seed: seed of the synthetic data (kept apart from the training seed).
        protocol: ``"paper"``, ``"subject-kfold"`` or ``"loso"`` (see :mod:`ferlib.splits`).
        fold: which fold for the subject-independent protocols (``0 .. folds - 1`` for
            ``"subject-kfold"``; the ``fold``-th subject for ``"loso"``).
        folds: the number of folds of ``"subject-kfold"`` (at least 3: each fold's val
            part is the next fold's subjects); other protocols keep the default, 5.
        split_seed: seed of the split (JAFFE and CK+; FER2013 uses its official split).
        epochs: training epochs (the paper: 75); the best epoch on val is kept.
        batch_size: images per step.
        learning_rate: Adam's learning rate.
        balance: ``"oversample"`` the minority classes of the training set up to the
            largest class each epoch (the paper's generator), or ``"none"``.
        augment: apply the on-device augmentation layers during training.
        augment_scale: multiplies every augmentation magnitude (rotation, zoom, shift,
            noise, blur probability; :func:`ferlib.augment.augment_magnitudes`);
            1.0 is the magnitudes used so far, 0.5 half of them.
        min_epoch_images: at least this many images per epoch: where one balanced pass
            over the training set is shorter, passes are concatenated and cut to this
            many (FER2013's pass is far longer, so it is unchanged); ``None``: one pass.
        input_scaling: ``"unit"`` divides pixels by 255; ``"standardize"`` subtracts
            the training images' per-pixel mean and divides by their per-pixel
            standard deviation (as ``gitshanks/fer2013`` does for Model 3).
        dropout_scale: multiplies every dropout rate of the network (1.0, the paper's
            rates; 0.0 turns dropout off, the quick profile's Model 3 only).
        limit_train: keep at most this many training images (stratified); ``None`` = all.
        seed: seed of weights, shuffling and augmentation.
        backend: the Keras backend (``tensorflow`` or ``jax``).
        precision: the Keras dtype policy used while training.

    The modern recipe's fields (:mod:`ferlib.recipe`); each default is the paper's training,
    is listed in :data:`ferlib.identity.LEGACY_VALUES` and so leaves every run id as it was:

    Attributes:
        optimizer: ``"adam"`` (the paper's) or ``"sgd-nesterov"`` (SGD with Nesterov momentum).
        momentum: SGD's momentum (``"sgd-nesterov"`` only; default 0.9).
        weight_decay: decoupled weight decay per step, as Keras' optimizers apply it
            (``w -= learning_rate * weight_decay * w``); 0 = none.
        schedule: ``"constant"``, ``"plateau"`` (multiply the rate by ``plateau_factor``
            after ``plateau_patience`` epochs without a better validation accuracy) or
            ``"cosine"`` (from ``learning_rate`` down to ``min_learning_rate`` over the
            epochs); the rate is set per epoch from the validation history only
            (:mod:`ferlib.schedule`).
        plateau_factor, plateau_patience: the plateau schedule's settings (0.75 and 5).
        min_learning_rate: the floor of the plateau schedule, the end of the cosine one.
        early_stopping: stop after this many epochs without a better validation accuracy
            (``None``: train every epoch).
        label_smoothing: the weight of the uniform distribution mixed into the one-hot
            targets of the loss (0: none).
        augmentation: with ``augment``, ``"paper"`` (the paper's kinds at
            ``augment_scale``) or ``"recipe"``: ``flip``, random crops of the image
            reflected by ``crop_padding`` pixels, rotation by up to ``rotation_degrees``
            and random erasing with probability ``erasing``.
        tta: ``"none"`` or ``"ten-crop"``: the stored val and test predictions average
            the ten crops of :func:`ferlib.recipe_augment.ten_crop_views` (the best epoch is
            still chosen on plain validation accuracy).
    """

    model: int
    dataset: str
    source: str | None = None
    source_run: str | None = None
    data: str = "synthetic"
    synthetic_size: int | None = None
    synthetic_expressions: str = "standard"
    data_seed: int = 0
    protocol: str = "paper"
    fold: int = 0
    folds: int = DEFAULT_FOLDS
    split_seed: int = 0
    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 1e-3
    balance: str = "oversample"
    augment: bool = True
    augment_scale: float = 1.0
    min_epoch_images: int | None = None
    input_scaling: str = "unit"
    dropout_scale: float = 1.0
    limit_train: int | None = None
    seed: int = 0
    backend: str = "tensorflow"
    precision: str = "float32"
    # --- the modern recipe (ferlib.recipe); defaults = the paper's training, ids unchanged ---
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"
    plateau_factor: float = 0.75
    plateau_patience: int = 5
    min_learning_rate: float = 0.0
    early_stopping: int | None = None
    label_smoothing: float = 0.0
    augmentation: str = "paper"
    flip: bool = True
    crop_padding: int = 4
    rotation_degrees: float = 10.0
    erasing: float = 0.5
    tta: str = "none"

    def __post_init__(self):
        check_choice("model", self.model, MODEL_IDS)
        check_choice("dataset", self.dataset, DATASETS)
        if self.source is not None:
            check_choice("source", self.source, DATASETS)
            if self.source == self.dataset:
                raise ValueError(f"source must differ from dataset for a fine-tune: both are {self.dataset!r} "
                                 f"(a run trained from scratch has source=None)")
        check_choice("data", self.data, ("real", "synthetic"))
        check_choice("synthetic_expressions", self.synthetic_expressions, SYNTHETIC_EXPRESSIONS)
        if self.data == "real" and self.synthetic_expressions != "standard":
            raise ValueError("synthetic_expressions applies to synthetic data only; real data keeps 'standard'")
        check_choice("protocol", self.protocol, PROTOCOLS)
        check_choice("balance", self.balance, BALANCING)
        check_choice("precision", self.precision, PRECISIONS)
        check_choice("backend", self.backend, ("tensorflow", "jax", "torch"))
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(self.learning_rate, (int, float)) and math.isfinite(self.learning_rate)
                and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a finite positive number, got {self.learning_rate!r}")
        check_choice("input_scaling", self.input_scaling, INPUT_SCALINGS)
        check_dropout_scale(self.dropout_scale)
        if not (isinstance(self.augment_scale, (int, float)) and not isinstance(self.augment_scale, bool)
                and 0 < self.augment_scale <= MAX_AUGMENT_SCALE):
            raise ValueError(f"augment_scale must be in (0, {MAX_AUGMENT_SCALE}], got {self.augment_scale!r} "
                             f"(use augment=False for no augmentation)")
        if self.min_epoch_images is not None and (isinstance(self.min_epoch_images, bool)
                                               or not isinstance(self.min_epoch_images, int)
                                               or self.min_epoch_images < self.batch_size):
            raise ValueError(f"min_epoch_images must be None or an int of at least batch_size "
                             f"({self.batch_size}), got {self.min_epoch_images!r}")
        if self.limit_train is not None and self.limit_train < 7:
            raise ValueError(f"limit_train must be at least 7 (one image per class) or None, got {self.limit_train}")
        if self.data == "synthetic" and (self.synthetic_size is None or self.synthetic_size < 7):
            raise ValueError(f"synthetic_size must be at least 7 for synthetic data, got {self.synthetic_size!r}")
        for name in ("seed", "data_seed", "split_seed", "fold"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        self._check_folds()
        self._check_recipe()

    def _check_recipe(self):
        """The modern recipe's fields: each in range, and each setting of a choice at its
        default unless that choice is on (:data:`RECIPE_DEPENDENT`)."""
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_choice("augmentation", self.augmentation, AUGMENTATIONS)
        check_choice("tta", self.tta, TEST_TIME_AUGMENTATIONS)

        def number(name, low, high, *, low_open=False, high_open=True):
            value = getattr(self, name)
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                  and (value > low if low_open else value >= low) and (value < high if high_open else value <= high))
            if not ok:
                raise ValueError(f"{name} must be a number in {'(' if low_open else '['}{low}, {high}"
                                 f"{')' if high_open else ']'}, got {value!r}")

        def whole(name, low, high=None, *, optional=False):
            value = getattr(self, name)
            if optional and value is None:
                return
            if (isinstance(value, bool) or not isinstance(value, int) or value < low
                    or (high is not None and value > high)):
                span = f"{low}..{high}" if high is not None else f"at least {low}"
                raise ValueError(f"{name} must be {'None or ' if optional else ''}an integer {span}, got {value!r}")

        number("momentum", 0, 1)
        number("weight_decay", 0, 1)
        number("plateau_factor", 0, 1, low_open=True)
        whole("plateau_patience", 1)
        number("min_learning_rate", 0, self.learning_rate)
        whole("early_stopping", 1, optional=True)
        number("label_smoothing", 0, 1)
        if not isinstance(self.flip, bool):
            raise ValueError(f"flip must be True or False, got {self.flip!r}")
        whole("crop_padding", 0, MAX_CROP_PADDING)
        number("rotation_degrees", 0, 180)
        number("erasing", 0, 1, high_open=False)
        if self.augmentation != "paper" and not self.augment:
            raise ValueError(f"augmentation={self.augmentation!r} needs augment=True "
                             f"(augment=False trains without augmentation)")
        if self.augmentation == "recipe" and self.augment_scale != 1.0:
            raise ValueError(f"augment_scale scales the paper's augmentation; the recipe's has its own "
                             f"settings, got augment_scale={self.augment_scale!r}")
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        for name, (owner, values) in RECIPE_DEPENDENT.items():
            if getattr(self, name) != defaults[name] and getattr(self, owner) not in values:
                raise ValueError(f"{name} applies to {owner} {' or '.join(map(repr, values))} only; "
                                 f"{owner} {getattr(self, owner)!r} keeps {name}={defaults[name]!r}, "
                                 f"got {name}={getattr(self, name)!r}")

    def _check_folds(self):
        """``folds``: an int of at least :data:`MIN_FOLDS`, set for ``"subject-kfold"``
        alone (elsewhere it would change the run id and not the run), ``fold`` below it."""
        if not isinstance(self.folds, int) or isinstance(self.folds, bool) or self.folds < MIN_FOLDS:
            raise ValueError(f"folds must be an integer of at least {MIN_FOLDS} (a test, a val and a "
                             f"train part), got {self.folds!r}")
        if self.protocol != "subject-kfold" and self.folds != DEFAULT_FOLDS:
            raise ValueError(f"folds applies to protocol 'subject-kfold' only; protocol {self.protocol!r} "
                             f"keeps folds={DEFAULT_FOLDS}, got folds={self.folds}")
        if self.protocol == "subject-kfold" and self.fold >= self.folds:
            raise ValueError(f"fold must be in 0..{self.folds - 1} for {self.folds} folds, got fold={self.fold}")

    @property
    def is_finetune(self) -> bool:
        return self.source is not None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown run config fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    def label(self) -> str:
        """Short human name, e.g. ``model 2 fer2013->jaffe (fine-tune)``."""
        what = f"{self.source}->{self.dataset} (fine-tune)" if self.is_finetune else f"{self.dataset} (scratch)"
        return f"model {self.model} {what}"


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def profile_precision(profile: str, model: int, *, backend: str = "tensorflow", processor=None) -> str:
    """The precision a profile trains ``model`` in: ``"mixed_bfloat16"`` where the model is
    one of the profile's ``bfloat16_models``, Keras runs on TensorFlow (whose oneDNN
    kernels use the processor's bfloat16 units) and the processor has such units
    (:func:`ferlib.identity.has_bfloat16_units`, AVX512_BF16 or AMX); ``"float32"``
    otherwise, where bfloat16 would be emulated and slower.

    ``processor``: a :func:`ferlib.identity.processor` dict; ``None`` reads this machine's.
    """
    check_choice("profile", profile, tuple(PROFILES))
    if model not in PROFILES[profile].get("bfloat16_models", ()) or backend != "tensorflow":
        return "float32"
    return "mixed_bfloat16" if has_bfloat16_units(processor) else "float32"


def profile_config(profile: str, *, model: int, dataset: str, data: str = "synthetic", processor=None,
                   **overrides) -> RunConfig:
    """A :class:`RunConfig` with a profile's defaults, then ``overrides`` on top.

    ``overrides`` with the value ``None`` are ignored, so CLI options left unset keep
    the profile's values. The precision, unless given, is :func:`profile_precision`'s
    for the model and backend on ``processor`` (a :func:`ferlib.identity.processor` dict;
    ``None`` reads this machine's). A model of the profile's ``few_steps_in_float32``
    that trains in float32 takes those settings instead of its ``models`` entry
    (:func:`trains_few_steps`).
    """
    check_choice("profile", profile, tuple(PROFILES))
    check_choice("dataset", dataset, DATASETS)
    preset = dict(PROFILES[profile])
    sizes = preset.pop("synthetic_size")
    synthetic = preset.pop("synthetic", {})
    for_model = preset.pop("models", {}).get(model, {})
    few_steps = preset.pop("few_steps_in_float32", {}).get(model)
    preset.pop("bfloat16_models", None)
    backend = overrides.get("backend") or preset.get("backend", "tensorflow")
    precision = overrides.get("precision") or profile_precision(profile, model, backend=backend,
                                                                processor=processor)
    if few_steps is not None and precision == "float32":
        for_model = few_steps
    values = dict(preset, **for_model, model=model, dataset=dataset, data=data,
                  synthetic_size=sizes.get(dataset) if data == "synthetic" else None)
    if data == "synthetic":
        values.update(synthetic)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("precision", precision)
    return RunConfig(**values)


def trains_few_steps(profile: str, model: int, *, backend: str = "tensorflow", processor=None) -> bool:
    """Whether ``profile`` trains ``model`` a few steps only, to show the pipeline: it is one of
    the profile's ``few_steps_in_float32`` and trains in float32 here (:func:`profile_precision`
    on ``processor``, ``None`` for this machine's)."""
    check_choice("profile", profile, tuple(PROFILES))
    return (model in PROFILES[profile].get("few_steps_in_float32", {})
            and profile_precision(profile, model, backend=backend, processor=processor) == "float32")


#: A split protocol (:data:`ferlib.vocabulary.SPLIT_PROTOCOLS`) in words.
SPLIT_WORDS = {"paper": "the paper's split", "subject-kfold": "folds grouped by subject",
               "loso": "one subject left out"}


def setting_words(name, value) -> str:
    """One profile setting in words, e.g. ``batches of 16``."""
    words = {
        "epochs": lambda v: f"{v} epoch{'s' if v != 1 else ''}",
        "batch_size": lambda v: f"batches of {v}",
        "learning_rate": lambda v: f"Adam at learning rate {v:g}",
        "limit_train": lambda v: "every training image" if v is None else f"at most {v:,} training images",
        "balance": lambda v: "minority classes oversampled" if v == "oversample" else "no class balancing",
        "augment": lambda v: "augmentation" if v else "no augmentation",
        "input_scaling": lambda v: ("pixels standardised with the training images' per-pixel mean and "
                                    "standard deviation" if v == "standardize" else "pixels divided by 255"),
        "dropout_scale": lambda v: ("no dropout (a teaching shortcut: with the paper's dropout this "
                                    "network stays at chance for longer than the profile affords)"
                                    if v == 0 else f"dropout rates x{v:g}"),
        "min_epoch_images": lambda v: "one pass per epoch" if v is None else f"at least {v:,} images per epoch",
        "synthetic_expressions": lambda v: f"{v} expressions",
        "dataset": lambda v: run_dataset_title(v),
        "protocol": lambda v: SPLIT_WORDS.get(v, f"split {v}"),
        "fold": lambda v: f"fold {v}",
        "folds": lambda v: f"{v} folds",
        "augment_scale": lambda v: f"augmentation magnitudes x{v:g}",
        "split_seed": lambda v: f"split seed {v}",
    }
    return words[name](value) if name in words else f"{name.replace('_', ' ')} {value}"


def uses_committed_results(profile: str, data_dir) -> bool:
    """Whether a build shows the committed reference results: the ``paper`` profile
    without a data directory reads ``results/paper`` instead of training."""
    return profile == "paper" and data_dir is None
