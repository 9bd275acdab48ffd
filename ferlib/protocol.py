"""The reproduction's protocol: the paper's 15 experiments under a profile, with the
per-experiment settings we had to change, each stated with its reason, and the table of
training choices (:func:`protocol_choices`), each with how it departs from the paper
(:func:`deviations` lists every departure), its numbers read from the settings, the
paper, the source code and the data summary rather than typed.

A profile (:data:`ferlib.config.PROFILES`) gives every run the same settings. Where one
experiment fails with them (it dies, or its median seed stays at the majority class, on
validation), :data:`EXPERIMENT_DEVIATIONS` names the settings that change for that
experiment alone. :func:`experiment_config` applies them, so the CLI, the
book and the check of committed results (:func:`ferlib.results.is_paper_config`) all
agree on what "the paper profile" trains. Settings a user passes explicitly (``--learning-rate``)
win over a deviation.

An experiment is keyed ``(model, dataset, source)``: ``source`` is ``None`` for training
from scratch, or the data set a fine-tune starts from.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from ferlib import paper
from ferlib.config import (
    DEFAULT_FOLDS,
    PROFILES,
    RunConfig,
    check_choice,
    profile_config,
    profile_precision,
    trains_few_steps,
    setting_words,
    uses_committed_results,
)
from ferlib.epochs import training_updates
from ferlib.experiment import experiment_runs
from ferlib.labels import IMAGE_SIZE
from ferlib.splits import PAPER_FRACTIONS
from ferlib.vocabulary import (
    PAPER_DATASET_TITLES,
    PAPER_MODELS,
    PROTOCOL_DATASETS,
    REFERENCE_EXPERIMENT,
    SUBJECT_PROTOCOLS,
    TARGET_DATASETS,
    dataset_title,
    paper_dataset,
    protocol_dataset,
)

#: The paper profile's learning rate, and the lower one its deviations train at.
_PROFILE_RATE = PROFILES["paper"]["learning_rate"]
_LOWER_RATE = 1e-4

#: ``{profile: {(model, dataset, source): {"settings": {field: value}, "reason": str}}}``.
#: Only the named experiment changes: a deviation of a run from scratch does not carry over
#: to the fine-tunes that start from it. A fine-tune trains with the settings of the run
#: from scratch it is compared with, so where that run deviates, the fine-tune has an entry
#: of its own with the same settings, and each pair differs only in its starting weights.
EXPERIMENT_DEVIATIONS = {
    "paper": {
        (2, "fer2013", None): {
            "settings": {"learning_rate": _LOWER_RATE},
            "reason": f"At the other experiments' learning rate (Adam, {_PROFILE_RATE:g}) Model 2 dies on FER2013: in "
                      "a run with augmentation, no unit of dense_2 fired for any of 2,000 images after "
                      "5 epochs, and the model stayed at chance; probes on four seeds each lost "
                      f"most units of a late layer within 300 steps. At {_LOWER_RATE:g} both probed seeds "
                      "kept most units live. That evidence was gathered with augmentation; the "
                      f"probes without it (as the protocol trains) tell the same: at {_PROFILE_RATE:g}, three "
                      "of four seeds kept at most 11 units of one late layer alive after 300 "
                      "steps and answered a single class. Only this run changes: its fine-tunes "
                      "keep the rate of the runs from scratch they are compared with.",
        },
        (2, "ckplus", None): {
            "settings": {"learning_rate": _LOWER_RATE},
            "reason": f"At the other experiments' learning rate (Adam, {_PROFILE_RATE:g}) Model 2 on CK+ (7 classes) "
                      "mostly stays at the majority class: in the sensitivity study's "
                      f"learning-rate cells most seeds at {_PROFILE_RATE:g} ended answering 'neutral' for "
                      "every face, so the median seed scored the majority class's share of "
                      f"the validation part, while every seed at {_LOWER_RATE:g} learned (the protocol "
                      "page gives each seed's validation accuracy). The rate was chosen on validation accuracy, by the "
                      f"study's median rule; on JAFFE the same rule keeps {_PROFILE_RATE:g}, so only this "
                      "experiment and its fine-tune change.",
        },
        (2, "ckplus", "fer2013"): {
            "settings": {"learning_rate": _LOWER_RATE},
            "reason": "The fine-tune is compared with the run from scratch on CK+ (7 classes), "
                      "so it trains at that run's rate: the pair differs only in its starting "
                      "weights.",
        },
    },
}


def experiment_key(config) -> tuple:
    """``(model, dataset, source)`` of a run config with the paper's data set names, the
    key of :func:`reproduction_runs` (a ``ckplus7`` run is the paper's CK+; the data set a
    protocol runs for each of the paper's is :data:`PROTOCOL_DATASETS`)."""
    return (int(config.model), paper_dataset(config.dataset), config.source)


def experiment_settings(profile: str, key) -> dict:
    """The settings that depart from ``profile`` for experiment ``key`` (often ``{}``);
    its data set by the paper's name or the one the protocol runs (``"ckplus7"``)."""
    model, dataset, source = key
    entry = EXPERIMENT_DEVIATIONS.get(profile, {}).get((int(model), paper_dataset(dataset), source))
    return dict(entry["settings"]) if entry else {}


def experiment_config(profile: str, key, *, data: str = "synthetic", **overrides) -> RunConfig:
    """The config of one experiment: the profile, then its deviations, then ``overrides``.

    Args:
        profile: a name in :data:`ferlib.config.PROFILES`.
        key: ``(model, dataset, source)`` with the paper's data set names (the run's
            data set is :func:`protocol_dataset`). A fine-tune's config is its *target* run's
            (``source`` is filled in by :func:`ferlib.experiment.finetune_run`); the
            deviations of the source experiment do not carry over to it.
        data: ``"real"`` or ``"synthetic"``.
        overrides: RunConfig fields; ``None`` values are ignored (CLI options left
            unset), others win over the deviations.
    """
    model, dataset, _ = key
    settings = experiment_settings(profile, key)
    settings.update({name: value for name, value in overrides.items() if value is not None})
    return profile_config(profile, model=int(model), dataset=protocol_dataset(dataset, data), data=data,
                          **settings)


def departures(config, profile: str = "paper") -> dict:
    """How a real-data config departs from its experiment's protocol config (same seed,
    backend and source run; a precision other than the protocol's is a departure): ``{field: (value, protocol value)}``."""
    expected = experiment_config(profile, experiment_key(config), data=config.data, seed=config.seed,
                                 source=config.source, source_run=config.source_run,
                                 backend=config.backend)
    ours, theirs = config.to_dict(), expected.to_dict()
    return {name: (ours[name], theirs[name]) for name in ours if ours[name] != theirs[name]}


def departure_text(config, profile: str = "paper", *, with_protocol: bool = True) -> str:
    """:func:`departures` in words (:func:`ferlib.config.setting_words`), e.g.
    ``"one pass per epoch (protocol: at least 1,024 images per epoch)"``, or without
    ``with_protocol`` just ``"one pass per epoch"``."""
    def word(name, value):
        if value is None and name not in ("limit_train", "min_epoch_images"):
            return f"{name.replace('_', ' ')} unset"
        return setting_words(name, value)

    changed = departures(config, profile)
    words = {name: (word(name, value), word(name, expected)) for name, (value, expected) in changed.items()}
    if "protocol" in changed:  # a subject-independent fold: its fold and fold count in one phrase
        words.pop("fold", None), words.pop("folds", None)
        of = f" of {config.folds}" if config.protocol == "subject-kfold" else ""
        words["protocol"] = (f"{words['protocol'][0]}, fold {config.fold}{of}", words["protocol"][1])
    return ", ".join(ours + (f" (protocol: {theirs})" if with_protocol else "") for ours, theirs in words.values())


def deviation_lines(profile: str = "paper") -> list:
    """Each deviation of ``profile`` as a sentence for the book."""
    lines = []
    for (model, dataset, source), entry in EXPERIMENT_DEVIATIONS.get(profile, {}).items():
        training = "from scratch" if source is None else f"fine-tuned from {dataset_title(source)}"
        settings = ", ".join(f"{name.replace('_', ' ')} {value:g}" if isinstance(value, float)
                             else f"{name.replace('_', ' ')} {value}"
                             for name, value in entry["settings"].items())
        lines.append(f"Model {model} on {dataset_title(protocol_dataset(dataset, 'real'))} ({training}) uses "
                     f"{settings}. "
                     f"{entry['reason']}")
    return lines


def protocol_configs(profile: str, *, data: str = "synthetic", seed: int = 0, **overrides):
    """The ``config_for`` of :func:`ferlib.experiment.experiment_runs` under ``profile``:
    ``config_for(key)`` is :func:`experiment_config` of ``key`` with ``data``, ``seed``,
    the running Keras backend and ``overrides`` (``None`` values ignored). FER2013 keeps
    its official split: the split fields of ``overrides`` (:data:`SPLIT_FIELDS`, e.g. a
    split seed) place the runs of JAFFE and CK+ only."""
    # saves start-up time: Keras loads TensorFlow
    import keras

    settings = {"seed": seed, "backend": keras.backend.backend(),
                **{name: value for name, value in overrides.items() if value is not None}}

    def config_for(key) -> RunConfig:
        chosen = settings
        if paper_dataset(key[1]) == FINETUNE_SOURCE:
            chosen = {name: value for name, value in settings.items() if name not in SPLIT_FIELDS}
        return experiment_config(profile, key, data=data, **chosen)

    return config_for


def reproduction_runs(profile="quick", *, store, models=PAPER_MODELS, data_dir=None, cache_dir=None,
                      seed=0, verbose=0, log=print, **overrides) -> dict:
    """The paper's 15 runs (5 per model) under ``profile`` and its stated deviations:
    fetched from the store, or trained.

    :func:`ferlib.experiment.experiment_runs` with :func:`protocol_configs` (real data
    when ``data_dir`` is given, else synthetic). ``overrides`` (e.g. ``epochs=3``) apply
    to every run; those set to ``None`` keep the protocol's value. Returns
    ``{(model, dataset, source): Run}``, keyed with the paper's data set names.
    """
    data = "real" if data_dir is not None else "synthetic"
    config_for = protocol_configs(profile, data=data, seed=seed, **overrides)
    return experiment_runs(config_for, store=store, models=models, data_dir=data_dir, cache_dir=cache_dir,
                           verbose=verbose, log=log)


#: The training settings :func:`profile_notes` describes, in this order.
_NOTED_SETTINGS = ("epochs", "batch_size", "learning_rate", "limit_train", "min_epoch_images", "balance",
                   "augment", "input_scaling")


def profile_notes(profile: str, *, processor=None) -> list:
    """What ``profile`` trains, as sentences for the book: the settings of every run, the
    synthetic data it makes without a data directory (the paper profile shows the committed
    runs instead), the models that depart from it (those that train a few steps only
    say so), the models that train in bfloat16 where the processor allows it and what
    this processor does (``processor``: a :func:`ferlib.identity.processor` dict,
    ``None`` for this machine's), and the experiments whose settings the protocol changes
    (:data:`EXPERIMENT_DEVIATIONS`)."""
    check_choice("profile", profile, tuple(PROFILES))
    deviations = EXPERIMENT_DEVIATIONS.get(profile, {})
    preset = dict(PROFILES[profile])
    sizes = preset.pop("synthetic_size")
    synthetic = preset.pop("synthetic", {})
    for_models = preset.pop("models", {})
    bfloat16 = preset.pop("bfloat16_models", ())
    few_steps = preset.pop("few_steps_in_float32", {})
    defaults = {f.name: f.default for f in dataclasses.fields(RunConfig)}
    base = {name: preset.get(name, defaults[name]) for name in _NOTED_SETTINGS}
    but = " (except where a line below says otherwise)" if deviations else ""
    lines = [f"Every run of the {profile} profile{but}: "
             f"{', '.join(setting_words(k, v) for k, v in base.items())}."]
    made = ", ".join(f"{sizes[name]:,} {title}-like" for name, title in PAPER_DATASET_TITLES.items() if name in sizes)
    look = "".join(f" with {setting_words(k, v)}" for k, v in synthetic.items())
    if uses_committed_results(profile, None):
        lines.append("Without a data directory the book trains nothing with it: it shows the runs "
                     "committed in results/paper, trained on the real data sets.")
    else:
        lines.append(f"Without a data directory it makes synthetic faces{look}: {made} images.")
    for model in sorted(set(for_models) | set(few_steps)):
        learns = ", ".join(setting_words(k, v) for k, v in for_models.get(model, {}).items())
        if model not in few_steps:
            lines.append(f"Model {model} trains with {learns}.")
            continue
        few = ", ".join(setting_words(k, v) for k, v in few_steps[model].items())
        pipeline = (f"{few}: far fewer steps than it needs to learn the faces, so its accuracies show the "
                    f"pipeline, not what it can learn")
        if trains_few_steps(profile, model, processor=processor):
            lines.append(f"Model {model} trains with {pipeline}; on a processor with bfloat16 units it "
                         f"trains with {learns}.")
        else:
            lines.append(f"Model {model} trains with {learns}. Where it trains in float32 (no bfloat16 "
                         f"units, or another backend than TensorFlow), that would take longer than the whole "
                         f"profile, so it trains with {pipeline}.")
    if bfloat16:
        here = profile_precision(profile, bfloat16[0], processor=processor)
        lines.append(f"{_models_words(bfloat16)} in bfloat16 (Keras' mixed_bfloat16: bfloat16 products, "
                     f"float32 weights) where Keras runs on TensorFlow and the processor multiplies "
                     f"bfloat16 in hardware (AVX512_BF16 or AMX), in float32 elsewhere; this processor "
                     + ("has such units." if here == "mixed_bfloat16" else "has none, so they train in float32."))
    for (model, dataset, source), entry in deviations.items():
        training = "from scratch" if source is None else f"fine-tuned from {dataset_title(source)}"
        lines.append(f"Model {model} on {dataset_title(protocol_dataset(dataset, 'real'))} ({training}) trains with "
                     f"{', '.join(setting_words(k, v) for k, v in entry['settings'].items())} instead, "
                     f"a stated deviation (the protocol page and the claims page give its reason).")
    return lines


def _models_words(models) -> str:
    """``"Model 1 trains"``, ``"Models 1 and 3 train"``: the models of a note, as its subject."""
    models = sorted(models)
    if len(models) == 1:
        return f"Model {models[0]} trains"
    return f"Models {', '.join(map(str, models[:-1]))} and {models[-1]} train"


# --------------------------------------------------------------------------- subject-independent folds

#: The paper's data sets that are also tested on people the network has never seen (both
#: have subject ids; FER2013 has none), in the order of the book.
SUBJECT_EXPERIMENTS = TARGET_DATASETS
#: Leave-one-subject-out folds per data set: one per subject (JAFFE's ten posers; its
#: synthetic stand-in draws the same ten).
LOSO_FOLDS = {"jaffe": len(paper.JAFFE_SUBJECTS)}


def subject_protocol(dataset: str) -> tuple:
    """``(protocol, folds)`` of the subject-independent evaluation of a data set the
    protocol runs (``"jaffe"``, ``"ckplus7"``, ``"ckplus"``): the split of the
    subject-independent baselines (:data:`ferlib.vocabulary.SUBJECT_PROTOCOLS`), so the
    CNN's folds hold out the same people; ``folds`` is how many runs cover every image once."""
    if dataset not in SUBJECT_PROTOCOLS:
        raise ValueError(f"dataset must be one of {sorted(SUBJECT_PROTOCOLS)} (the data sets with "
                         f"subject-independent folds), got {dataset!r}")
    protocol, k = SUBJECT_PROTOCOLS[dataset]
    return protocol, (int(k) if protocol == "subject-kfold" else LOSO_FOLDS[dataset])


def subject_fold_config(profile: str, model: int, dataset: str, fold: int, *, data: str = "real",
                        seed: int = 0, **overrides) -> RunConfig:
    """Fold ``fold`` of the subject-independent evaluation of one data set, trained from
    scratch: the experiment's config (:func:`experiment_config`, its deviations
    included) with the split of :func:`subject_protocol` in place of the paper's.

    Args:
        profile: a name in :data:`ferlib.config.PROFILES`.
        model: 1, 2 or 3.
        dataset: the paper's name (``"ckplus"``) or the one the protocol runs (``"ckplus7"``).
        fold: ``0 .. folds - 1``.
        data, seed, overrides: as in :func:`experiment_config` (a split given in
            ``overrides`` is replaced by the subject-independent one).
    """
    return _subject_fold(profile, (model, dataset, None), fold, data=data, seed=seed, **overrides)


def _subject_fold(profile: str, key, fold: int, *, data: str, seed: int, **overrides) -> RunConfig:
    """Experiment ``key`` (``(model, dataset, source)``, the dataset by either name) on
    fold ``fold`` of :func:`subject_protocol`'s split of its data set; ``ValueError``
    naming the fold's range when it is out of it."""
    model, dataset, source = key
    name = protocol_dataset(paper_dataset(dataset), data)
    split, folds = subject_protocol(name)
    if isinstance(fold, bool) or not isinstance(fold, int) or not 0 <= fold < folds:
        raise ValueError(f"fold must be in 0..{folds - 1} for {name} ({split}), got {fold!r}")
    config = experiment_config(profile, (int(model), paper_dataset(name), source), data=data, seed=seed,
                               **overrides)
    return dataclasses.replace(config, protocol=split, fold=fold,
                               folds=folds if split == "subject-kfold" else DEFAULT_FOLDS)


def subject_configs(model: int = 2, profile: str = "paper", data: str = "real", seed: int = 0,
                    **overrides) -> list:
    """Every fold's config (:func:`subject_fold_config`) of each data set of
    :data:`SUBJECT_EXPERIMENTS`: ``[RunConfig]``, JAFFE's folds in order, then CK+'s
    (seven-class on real data). ``backend`` defaults to the running Keras backend."""
    if overrides.get("backend") is None:
        # saves start-up time: Keras loads TensorFlow
        import keras

        overrides["backend"] = keras.backend.backend()
    configs = []
    for name in SUBJECT_EXPERIMENTS:
        _, folds = subject_protocol(protocol_dataset(name, data))
        configs += [subject_fold_config(profile, model, name, fold, data=data, seed=seed, **overrides)
                    for fold in range(folds)]
    return configs


# --------------------------------------------------------------------------- the protocol table


@dataclasses.dataclass(frozen=True)
class Choice:
    """One training choice: what the paper says, what the code bases its models come from
    do, what the protocol does, and why.

    ``fields`` are the :class:`~ferlib.config.RunConfig` fields the choice fixes; the
    protocol's values are read from the paper profile, never repeated here
    (:func:`protocol_choices` makes them). ``departs``
    is the sentence that states how the protocol departs from the paper in this choice,
    or fills what the paper leaves open (empty where it does neither); :func:`deviations`
    lists them.
    """

    name: str
    paper: str
    sources: str
    ours: str
    why: str
    fields: tuple = ()
    departs: str = ""


#: Model 2 is the network of ``serengil/tensorflow-101`` (``python/facial-expression-
#: recognition.py``) and Model 3 that of ``gitshanks/fer2013`` (``fertrain.py`` and
#: ``preprocessing.py``); their training code fills many choices the paper leaves open.
SOURCES = {
    "model 2": "serengil/tensorflow-101, python/facial-expression-recognition.py (commit 55f578f)",
    "model 3": "gitshanks/fer2013, fertrain.py (commit c808cf8) and preprocessing.py (commit e88e194)",
}

#: The protocol's run (:data:`ferlib.vocabulary.REFERENCE_EXPERIMENT`, Model 2 on JAFFE from
#: scratch): the settings the departures quote.
_PROTOCOL_RUN = experiment_config("paper", REFERENCE_EXPERIMENT, data="real")
#: The experiments of the paper profile trained at another learning rate, and that rate.
_RATE_DEVIATIONS = {key: entry["settings"]["learning_rate"]
                    for key, entry in EXPERIMENT_DEVIATIONS["paper"].items() if "learning_rate" in entry["settings"]}


def _rate_deviations_text() -> str:
    """The experiments of :data:`_RATE_DEVIATIONS` in words, e.g. ``"Model 2 on FER2013
    from scratch (0.0001)"``."""
    return "; ".join(f"Model {model} on {dataset_title(protocol_dataset(dataset, 'real'))} "
                     f"{'from scratch' if source is None else 'fine-tuned from ' + dataset_title(source)} "
                     f"({rate:g})" for (model, dataset, source), rate in _RATE_DEVIATIONS.items())


def _words(*names) -> str:
    """The protocol's settings ``names`` in words (:func:`ferlib.config.setting_words`)."""
    return ", ".join(setting_words(name, getattr(_PROTOCOL_RUN, name)) for name in names)


def _slashed(values) -> str:
    """``{"train": 129, ...}`` or ``(0.6, 0.2, 0.2)`` -> ``"129/42/42"`` or ``"60/20/20"``:
    fractions become percentages."""
    values = values.values() if isinstance(values, dict) else values
    return "/".join(f"{round(100 * v)}" if isinstance(v, float) else f"{v}" for v in values)


def _and(words) -> str:
    """``["A", "B", "C"]`` -> ``"A, B and C"``."""
    words = list(words)
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


#: Model 2's training loop in its source code (:data:`SOURCES`): ``fit_generator`` for 5
#: epochs of ``steps_per_epoch=batch_size`` steps, each a batch of 256 generated images.
MODEL_2_SOURCE_TRAINING = {"epochs": 5, "steps_per_epoch": 256, "batch_size": 256}
#: Model 3's: 100 epochs of one pass over its training part in batches of 64 (1,024 in
#: its TPU version). Its training part is what is left of all of FER2013's images after
#: ``held_out`` of them are drawn at random for test, then ``held_out`` of the rest for
#: validation (scikit-learn's ``train_test_split``, which rounds a held-out part up).
MODEL_3_SOURCE_TRAINING = {"epochs": 100, "batch_size": 64, "tpu_batch_size": 1024, "held_out": 0.1}
#: The learning rate of both source code bases: Adam's default in Model 2's, written out
#: in Model 3's.
SOURCE_LEARNING_RATE = 1e-3


def source_training(fer2013_images: int) -> dict:
    """What the training loops of the source code bases draw (:data:`MODEL_2_SOURCE_TRAINING`,
    :data:`MODEL_3_SOURCE_TRAINING`), Model 3's split from ``fer2013_images`` images (all
    of FER2013's, which its code pools).

    Returns:
        ``{"model 2": {"epoch_images", "updates"}, "model 3": {"train_images",
        "updates_per_epoch", "split"}}``: images per epoch and updates in all of Model 2;
        the training images and updates per epoch of Model 3, and its split as fractions
        ``{"train", "val", "test"}``.
    """
    if isinstance(fer2013_images, bool) or not isinstance(fer2013_images, int) or fer2013_images < 1:
        raise ValueError(f"fer2013_images must be a whole number of at least 1, got {fer2013_images!r}")
    model_2, model_3 = MODEL_2_SOURCE_TRAINING, MODEL_3_SOURCE_TRAINING
    held = model_3["held_out"]
    rest = fer2013_images - math.ceil(held * fer2013_images)
    train = rest - math.ceil(held * rest)
    return {"model 2": {"epoch_images": model_2["steps_per_epoch"] * model_2["batch_size"],
                        "updates": model_2["epochs"] * model_2["steps_per_epoch"]},
            "model 3": {"train_images": train, "updates_per_epoch": -(-train // model_3["batch_size"]),
                        "split": {"train": (1 - held) ** 2, "val": (1 - held) * held, "test": held}}}


def _summary_part(summaries, name: str, *keys):
    """``summaries[run name of name][keys...]``, or a ``ValueError`` naming what is missing."""
    run_name = protocol_dataset(name, "real")
    value = summaries
    for key in (run_name, *keys):
        if not isinstance(value, dict) or key not in value:
            path = "".join(f"[{k!r}]" for k in (run_name, *keys))
            raise ValueError(f"the data summary has no {path}: the protocol's prose counts its epochs from "
                             f"the summary of the real data sets (results/paper/datasets.json)")
        value = value[key]
    return value


def epoch_numbers(summaries) -> dict:
    """The training the protocol's epochs give each of the paper's data sets, counted by
    :func:`ferlib.epochs.training_updates` from the class counts of its training part,
    with the settings of the protocol's run (:data:`_PROTOCOL_RUN`: epochs, batch size,
    balancing, images per epoch).

    Args:
        summaries: ``{name: summary}`` of the real data sets, as
            :func:`ferlib.results.read_dataset_summaries` reads them; the data set the
            protocol runs for each of the paper's (:func:`protocol_dataset`, e.g.
            ``"ckplus7"``) must have its ``counts["train"]``.

    Returns:
        ``{name: {"pass", "protocol", "one pass"}}`` by the paper's data set names, in the
        paper's order: ``pass`` the images of one class-balanced pass of the training
        part; ``protocol`` and ``"one pass"`` the :func:`ferlib.epochs.training_updates`
        of the protocol's epochs, and of the same epochs of one pass each.
    """
    run = _PROTOCOL_RUN
    numbers = {}
    for name in PAPER_DATASET_TITLES:
        counts = _summary_part(summaries, name, "counts", "train")
        protocol, one_pass = (training_updates(counts, batch_size=run.batch_size, epochs=run.epochs,
                                               balance=run.balance, min_epoch_images=minimum)
                              for minimum in (run.min_epoch_images, None))
        numbers[name] = {"pass": one_pass["epoch_images"], "protocol": protocol, "one pass": one_pass}
    return numbers


def protocol_numbers(summaries) -> dict:
    """The protocol's numbers that the book's prose quotes, read from where they are set,
    for a page to glue (:func:`ferlib.chapter.glue_values`).

    Args:
        summaries: ``{name: summary}`` of the real data sets, as
            :func:`ferlib.results.read_dataset_summaries` reads ``results/paper``.

    Returns:
        ``{"epochs", "batch_size", "min_epoch_images", "learning_rate"}`` of the protocol's
        run (:data:`_PROTOCOL_RUN`); ``"lower_rate"`` the rate its learning-rate deviations
        train at, and ``"lower_rate_experiments"`` which, in words (``"3 experiments of Model 2"``); ``"jaffe_pass"`` the images of one class-balanced pass of JAFFE's training part
        (:func:`epoch_numbers`); ``"model_2_source_epoch_images"`` the images an epoch of
        Model 2's source code draws (:func:`source_training`).
    """
    run = _PROTOCOL_RUN
    lower = sorted(set(_RATE_DEVIATIONS.values()))
    if lower != [_LOWER_RATE]:
        raise ValueError(f"the protocol's prose names one lower learning rate, {_LOWER_RATE:g}; its deviations "
                         f"train at {', '.join(f'{rate:g}' for rate in lower) or 'none'}")
    sources = source_training(_summary_part(summaries, "fer2013", "images"))
    models = sorted({model for model, _, _ in _RATE_DEVIATIONS})
    named = f"Model {models[0]}" if len(models) == 1 else "Models " + " and ".join(map(str, models))
    n = len(_RATE_DEVIATIONS)
    return {"epochs": run.epochs, "batch_size": run.batch_size, "min_epoch_images": run.min_epoch_images,
            "learning_rate": run.learning_rate, "lower_rate": _LOWER_RATE,
            "lower_rate_experiments": f"{n} experiment{'s' if n != 1 else ''} of {named}",
            "jaffe_pass": epoch_numbers(summaries)["jaffe"]["pass"],
            "model_2_source_epoch_images": sources["model 2"]["epoch_images"]}


def protocol_choices(summaries) -> tuple:
    """The table of training choices, one :class:`Choice` each, in the book's order.

    Its numbers are read from where they are set: the protocol's settings from its run
    (:data:`_PROTOCOL_RUN`), the paper's from :mod:`ferlib.paper`, the source code's from
    :data:`MODEL_2_SOURCE_TRAINING`, :data:`MODEL_3_SOURCE_TRAINING` and
    :data:`SOURCE_LEARNING_RATE`, and the images and updates of an epoch from the class
    counts of the data summary ``summaries`` (:func:`epoch_numbers`; FER2013's ``images``
    for Model 3's split, :func:`source_training`). The numbers left in the words describe
    evidence (the rate a past run or a study cell trained at, seeds, units) or code this
    module does not load (the augmentation magnitudes and dropout rates, in modules that
    load Keras).

    Args:
        summaries: ``{name: summary}`` of the real data sets, as
            :func:`ferlib.results.read_dataset_summaries` reads ``results/paper``.
    """
    run = _PROTOCOL_RUN
    numbers = epoch_numbers(summaries)
    sources = source_training(_summary_part(summaries, "fer2013", "images"))
    model_2, model_3 = MODEL_2_SOURCE_TRAINING, MODEL_3_SOURCE_TRAINING
    lengthened = [name for name, counted in numbers.items() if counted["pass"] < counted["protocol"]["epoch_images"]]
    kept = sorted((name for name in numbers if name not in lengthened), key=lambda name: numbers[name]["pass"])
    if not lengthened or not kept:
        raise ValueError(f"{_words('min_epoch_images')} lengthens the epochs of {len(lengthened)} of the paper's "
                         f"{len(numbers)} data sets; the protocol's prose says it lengthens some and not others")
    title = PAPER_DATASET_TITLES.get
    changed = numbers[lengthened[0]]["protocol"]  # every lengthened epoch draws the minimum
    jaffe = numbers["jaffe"]
    kept_words = ", ".join(f"{title(name)} {numbers[name]['pass']:,}" + (" images" if i == 0 else "")
                           for i, name in enumerate(kept))
    lengthened_words = _and(f"{title(name)} (a {numbers[name]['pass']:,}-image pass)" for name in lengthened)
    deviation_rates = _and(f"{rate:g}" for rate in sorted(set(_RATE_DEVIATIONS.values())))
    fer2013_split = " / ".join(f"{n:,}" for n in paper.SPLIT_SIZES["fer2013"].values())
    face = f"{IMAGE_SIZE}x{IMAGE_SIZE}"
    return (
        Choice("epochs",
               f"{paper.EPOCHS}, with Adam on the cross-entropy (section 5, for FER2013); no other number is given",
               f"Model 2: {model_2['epochs']} epochs of {model_2['steps_per_epoch']} steps; Model 3: "
               f"{model_3['epochs']} epochs of one pass",
               f"{run.epochs} for every data set",
               "the paper's number", ("epochs",),
               departs=f"The paper gives {paper.EPOCHS} epochs for FER2013 only; every run of the protocol "
                       f"trains for {run.epochs} epochs, on JAFFE and CK+ too."),
        Choice("images per epoch",
               "a data generator balances the classes and 'generates more training data' (section 6); "
               "how many images an epoch holds is not said",
               f"Model 2: {model_2['steps_per_epoch']} steps of {model_2['batch_size']} images per epoch "
               f"({sources['model 2']['epoch_images']:,} images, {sources['model 2']['updates']:,} updates in all); "
               f"Model 3: one pass ({sources['model 3']['updates_per_epoch']:,} updates per epoch)",
               f"{_words('min_epoch_images')}; a data set whose balanced pass is longer keeps its pass "
               f"({kept_words}), so only {lengthened_words} change{'s' if len(lengthened) == 1 else ''}: "
               f"{changed['updates_per_epoch']:,} updates per epoch, {changed['updates']:,} in all",
               f"with one balanced pass JAFFE gets {jaffe['one pass']['updates']:,} updates, and Models 1, 2 and 3 "
               "all stayed at chance that way with augmentation on (the 'one pass per epoch' cell of the "
               f"sensitivity study's augmented-recipe round); {jaffe['protocol']['updates']:,} updates is about "
               f"the {sources['model 2']['updates']:,} of Model 2's source code; the study around the protocol "
               "has cells for one pass and for 2,048 images without augmentation, and the study below "
               "compares them with the protocol on validation accuracy",
               ("min_epoch_images",),
               departs=f"The paper does not say how many images an epoch holds; the protocol draws "
                       f"{_words('min_epoch_images')}, which lengthens the epochs of "
                       f"{_and(title(name) for name in lengthened)}{' alone' if len(lengthened) == 1 else ''}: "
                       f"one balanced pass of its training part is shorter, those of "
                       f"{_and(title(name) for name in kept)} are longer."),
        Choice("batch size",
               "not stated",
               f"Model 2: {model_2['batch_size']}; Model 3: {model_3['batch_size']} "
               f"({model_3['tpu_batch_size']:,} in a TPU version)",
               f"{run.batch_size}",
               "Model 3's source code; a small batch gives the small data sets more updates",
               ("batch_size",),
               departs=f"The paper gives no batch size; the protocol trains on {_words('batch_size')}."),
        Choice("learning rate",
               "Adam, no rate given",
               f"both {SOURCE_LEARNING_RATE:g} (Adam's default in Model 2's code, written out in Model 3's)",
               f"{run.learning_rate:g}; Model 2 on FER2013, and on CK+ (7 classes) from scratch and fine-tuned, "
               f"{deviation_rates} (stated deviations)",
               f"both sources; Model 2 dies on FER2013 at {_PROFILE_RATE:g} (the probes on the claims "
               f"page); on CK+ (7 classes) its median seed stays at the majority class at {_PROFILE_RATE:g} "
               f"and learns at {_LOWER_RATE:g} (the study's learning-rate cells, below, on validation "
               f"accuracy); on JAFFE the study keeps {run.learning_rate:g}",
               ("learning_rate",),
               departs=f"The paper gives no learning rate; the protocol uses {_words('learning_rate')} for "
                       f"every run but these, which use another rate as per-experiment deviations (below): "
                       f"{_rate_deviations_text()}."),
        Choice("fine-tuning",
               "all layers fine-tuned from the FER2013 weights (Fig. 2c); no rate, epochs or schedule",
               "neither code base fine-tunes",
               "all layers, with the settings of the run from scratch it is compared with (same rate, "
               "epochs and images per epoch), so each pair differs only in its starting weights",
               "a fine-tune that is compared with a run from scratch must differ from it in one thing; "
               "with augmentation and one balanced pass per epoch the one-seed JAFFE fine-tune at "
               f"{_PROFILE_RATE:g} ended near chance and the one at {_LOWER_RATE:g} did not, but "
               "under the protocol the fine-tunes "
               "learn on JAFFE and CK+ (the claims page shows these runs side by side); the sensitivity "
               "study's fine-tune round trains them at the other rate too",
               ("source",),
               departs="Fine-tuning trains all layers with the settings of the run from scratch it is "
                       "compared with ("
                       + _words("epochs", "learning_rate", "batch_size", "min_epoch_images", "balance", "augment")
                       + ", or that run's stated deviation where it has one); the paper gives no separate "
                         "settings."),
        Choice("input scaling",
               "not stated",
               "Model 2: pixels / 255; Model 3: per-pixel mean and standard deviation over all images "
               "(test images included)",
               "pixels / 255 for every model",
               "Model 2's source; the sensitivity study tries Model 3's per-pixel standardisation "
               "(statistics of the training part only)",
               ("input_scaling",),
               departs=f"The paper does not say how it scaled the pixels; the protocol trains every model on "
                       f"{_words('input_scaling')}."),
        Choice("augmentation",
               "flipping, rotation, cropping, blurring and noise (section 6, Fig. 6); no magnitudes",
               "none in either",
               "none (the study's cells use the paper's kinds: left-right flip; rotation up to 36 "
               "degrees; zoom and shift up to 10%; Gaussian blur, sigma 0.5-1.5 px, on half the "
               "images; noise of 12.8 grey levels; and the same at half these magnitudes)",
               "a departure from the paper, chosen on validation: in the sensitivity study's augmented-recipe "
               "round (Model 2 on JAFFE, three seeds, one setting changed at a time around the paper's kinds "
               "at our magnitudes), training without augmentation had the highest median validation accuracy, "
               "while full and half magnitudes left two seeds of three, and one, at chance within the "
               f"{run.epochs} epochs; neither source code base augments",
               ("augment", "augment_scale"),
               departs="The paper augments its training data (flipping, rotation, cropping, blurring and "
                       "noise; section 6); the protocol trains without augmentation, chosen on validation: "
                       "in the sensitivity study's augmented-recipe round (Model 2 on JAFFE, three seeds), "
                       "training without it had the highest median validation accuracy (the protocol page)."),
        Choice("class balancing",
               "the data generator balances the class distribution (section 6)",
               "none in either",
               "each epoch oversamples every class up to the largest one",
               "the paper; the sensitivity study trains without it",
               ("balance",)),
        Choice("validation and stopping",
               "validation data checks the model after every epoch (section 2); no stopping rule",
               "Model 2: no validation, last epoch kept; Model 3: validation watched, last epoch kept",
               "every epoch is evaluated on the validation part and the best one is kept; the test part "
               "is used once, at the end",
               "choosing on validation is what validation is for; nothing is ever chosen on test",
               (),
               departs="Every run keeps the epoch with the best validation accuracy; the paper does not say "
                       "which epoch it tested."),
        Choice("splits",
               f"FER2013 {fer2013_split}; JAFFE "
               f"{_slashed(paper.SPLIT_FRACTIONS['jaffe'])} ({_slashed(paper.SPLIT_SIZES['jaffe'])}); CK+ "
               f"{_slashed(paper.SPLIT_FRACTIONS['ckplus'])} (section 5); whether a person may be in training "
               "and test is not said",
               "Model 2: Training / PublicTest; Model 3: all images pooled and split at random "
               f"{_slashed(sources['model 3']['split'])}",
               "FER2013's official Training / PublicTest (validation) / PrivateTest (test); JAFFE "
               f"{_slashed(PAPER_FRACTIONS['jaffe'])} and CK+ "
               f"{_slashed(PAPER_FRACTIONS[protocol_dataset('ckplus', 'real')])} stratified by class, CK+ grouped by "
               "sequence",
               "the paper's sizes; people recur across the parts of these splits, which the book measures "
               "and sets beside subject-independent splits",
               ("protocol", "split_seed"),
               departs=f"JAFFE is split {_slashed(paper.SPLIT_SIZES['jaffe'])} (section 5 of the paper), not "
                       f"{_slashed(paper.JAFFE_SPLIT_SECTION_7)} (section 7); CK+ is split "
                       f"{_slashed(paper.SPLIT_FRACTIONS['ckplus'])} by sequence (the frames of a sequence stay "
                       f"in one part), where the paper gives only the fractions. FER2013's PublicTest is our "
                       f"validation part and PrivateTest our test part, the official use; we also report the two "
                       f"together ({paper.FER2013_MERGED_TEST_N:,} images)"
                       f", the only test set some of the paper's FER2013 accuracies fit, a slightly "
                       f"optimistic number because PublicTest chose the best epoch."),
        Choice("CK+ classes",
               f"seven classes with {paper.TABLE_1['ckplus']['neutral']} neutral images (Table 1)",
               "not used",
               f"CK+ (7 classes): the peak frame of each of the {paper.CKPLUS_LABELLED_SEQUENCES} labelled sequences "
               "and its neutral first frame, contempt counted as disgust; the CK+48 (6 classes) runs are a stated "
               "variant",
               "the paper's Table 1, and its section 5B, which counts contempt as disgust; CK+48 has no "
               "neutral frames",
               ("dataset",),
               departs=f"CK+: the protocol runs CK+ (7 classes) as the paper counts it: the peak frame of "
                       f"each of the {paper.CKPLUS_LABELLED_SEQUENCES} labelled sequences and its neutral first "
                       f"frame ({2 * paper.CKPLUS_LABELLED_SEQUENCES} images), read from a face-crop release that "
                       f"keeps the first frames. Its {paper.TABLE_1['ckplus']['contempt']} contempt sequences are "
                       f"counted as disgust, as the paper's section 5B does (no departure there). Runs on the "
                       f"common CK+48 (6 classes) release (the last three frames of each sequence, no neutral "
                       f"frames) are kept as a stated variant outside the protocol."),
        Choice("JAFFE images",
               f"{sum(paper.TABLE_1['jaffe'].values())} images, {paper.TABLE_1['jaffe']['disgust']} of them "
               f"disgust and {paper.TABLE_1['jaffe']['fear']} fear (Table 1); the networks take {face} faces "
               "(section 3), and how the images were brought to that size is not said",
               "not used",
               f"the {paper.JAFFE_IMAGES} files as released; the face in each is found with OpenCV's Haar "
               "cascade (the largest face, a small margin; a central crop where none is found) and resized "
               f"to {face}",
               "the files are uncropped 256x256 portraits, while the images of FER2013 and of the CK+ release "
               "are face crops; a crop frames the JAFFE faces as the networks see the others",
               (),
               departs=f"JAFFE: the {paper.JAFFE_IMAGES} files hold {paper.JAFFE_FILE_CLASS_COUNTS['disgust']} "
                       f"disgust and {paper.JAFFE_FILE_CLASS_COUNTS['fear']} fear images; the paper's Table 1 "
                       f"says {paper.TABLE_1['jaffe']['disgust']} and {paper.TABLE_1['jaffe']['fear']}. Faces "
                       f"are cropped with OpenCV's Haar cascade before resizing to {face}; the paper does not say "
                       "how it resized the 256x256 images."),
        Choice("layer details",
               "a Keras summary table per model (section 3): layers, output shapes and parameter counts; "
               "kernel sizes, padding, pooling windows, strides and dropout rates are not given",
               "Models 2 and 3 are the networks of these code bases (dropout 0.2 in Model 2's; 0.5 after "
               "each convolution block, then 0.4, 0.4 and 0.5 in Model 3's); Model 1 has no code base",
               "the kernel sizes, padding, pooling windows and strides that reproduce every output shape and "
               "parameter count of the tables (each model builder lists them); the source code's dropout "
               "rates, and 0.5 for Model 1",
               "the tables are the paper's only description of the networks; dropout changes no shape or "
               "count, so the tables cannot decide it",
               (),
               departs="Kernel sizes, padding, pooling windows and strides, which the paper's layer tables leave "
                       "open, are those that reproduce every output shape and parameter count of the tables; "
                       "dropout rates, which change neither, are those of the source code (Models 2 and 3) or "
                       "0.5 (Model 1)."),
        Choice("seeds",
               "one number per experiment; no seed or spread",
               "no seed set",
               "three seeds per experiment where the CPU allows; mean, standard deviation and intervals",
               "one run cannot tell a difference from noise",
               ("seed",)),
        Choice("numerical precision",
               "not stated", "float32 (Keras default)",
               "float32 for every run; no run depends on bfloat16 (mixed_bfloat16 is a setting of the run config "
               "that no run of the protocol uses)",
               "the Keras default; bfloat16 would shorten the long FER2013 runs on a processor with bfloat16 "
               "units (AVX512_BF16, AMX), and a network may use it only where the equivalence check on this "
               "page, its margin fixed before its runs, finds its runs equivalent to float32", ("precision",)),
        Choice("optimiser, schedule and loss",
               "Adam on the cross-entropy (section 5); no schedule, weight decay, label smoothing or "
               "test-time augmentation is mentioned",
               "Adam at a constant rate on the cross-entropy in both",
               "Adam at a constant rate on the plain cross-entropy, no weight decay and no early stopping; "
               "when augmenting, the paper's kinds; one view of each test image",
               "the paper's training; a modern recipe (SGD with Nesterov momentum, weight decay, a schedule, "
               "label smoothing, crops and erasing, ten-crop testing) is a question beyond the paper and "
               "is kept apart from the protocol",
               ("optimizer", "weight_decay", "schedule", "early_stopping", "label_smoothing", "augmentation", "tta")),
    )


def deviations(profile: str = "paper", *, summaries) -> list:
    """Every departure from the paper, as sentences for the book: the ``departs`` of each
    choice of :func:`protocol_choices` (they describe the protocol, i.e. the paper profile;
    ``summaries``: the data summary of the real data sets they count from), then
    :func:`deviation_lines` of ``profile``."""
    return [choice.departs for choice in protocol_choices(summaries) if choice.departs] + deviation_lines(profile)


def protocol_table(profile: str = "paper", *, summaries):
    """:func:`protocol_choices` of ``summaries`` as a table (columns ``choice``, ``paper``,
    ``source code``, ``protocol``, ``settings``, ``why``); ``settings`` shows the profile's
    values of each choice's fields, read from the config of
    :data:`ferlib.vocabulary.REFERENCE_EXPERIMENT` (Model 2 on JAFFE)."""
    config = experiment_config(profile, REFERENCE_EXPERIMENT, data="real").to_dict()
    rows = []
    for choice in protocol_choices(summaries):
        settings = ", ".join(f"{name}={config[name]}" for name in choice.fields
                             if name in config and name not in ("source", "dataset", "seed"))
        rows.append({"choice": choice.name, "paper": choice.paper, "source code": choice.sources,
                     "protocol": choice.ours, "settings": settings, "why": choice.why})
    return pd.DataFrame(rows)


def protocol_markdown(profile: str = "paper", *, summaries) -> str:
    """:func:`protocol_table` as Markdown for the book: one short block per choice
    (a six-column table of sentences is too wide for a page)."""
    blocks = []
    for row in protocol_table(profile, summaries=summaries).itertuples(index=False):
        settings = f" (`{row.settings}`)" if row.settings else ""
        blocks.append(f"**{row.choice[0].upper()}{row.choice[1:]}.**\n\n"
                      f"- *Paper:* {row.paper}.\n"
                      f"- *Source code:* {row._2}.\n"
                      f"- *Protocol:* {row.protocol}{settings}.\n"
                      f"- *Why:* {row.why}.")
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------- the fine-tune gain where it can fail

#: The draws of the paper's split beyond the protocol's own (split seed 0) on which JAFFE and
#: seven-class CK+ are trained again, from scratch and fine-tuned: does a gain survive
#: another draw of the split?
EXTRA_SPLIT_SEEDS = (1, 2)
#: The training seeds of each extra split seed's runs.
SPLIT_TRAINING_SEEDS = (0, 1, 2)
#: The training seed of the subject-independent fine-tunes: that of the committed folds
#: from scratch they are paired with.
SUBJECT_SEED = 0
#: The data set every fine-tune of the protocol starts from.
FINETUNE_SOURCE = "fer2013"
#: The fields that place a run on a split; a FER2013 run keeps its official split, so its
#: config never carries them (they would change its id and not its data).
SPLIT_FIELDS = ("protocol", "fold", "folds", "split_seed")


def finetune_source_config(profile: str, model: int, *, data: str = "real", seed: int = 0,
                           **overrides) -> RunConfig:
    """The FER2013 run that a fine-tune of ``model`` with training seed ``seed`` starts
    from: the protocol's run from scratch on FER2013 (:func:`experiment_config`, its stated
    deviations included), on FER2013's official split whatever split the fine-tune is on.

    The split fields among ``overrides`` (:data:`SPLIT_FIELDS`: a fine-tune's subject fold
    or split seed) are dropped, so a fine-tune on fold 3 or on split seed 2 starts from the
    very run (the same id) that the protocol's fine-tune of the same seed starts from.
    """
    settings = {name: value for name, value in overrides.items() if name not in SPLIT_FIELDS}
    return experiment_config(profile, (int(model), FINETUNE_SOURCE, None), data=data, seed=seed, **settings)


def subject_finetune_config(profile: str, model: int, dataset: str, fold: int, *, data: str = "real",
                            seed: int = SUBJECT_SEED, **overrides) -> RunConfig:
    """Fold ``fold`` of the subject-independent evaluation, fine-tuned from FER2013: the
    config of the fine-tune experiment (:func:`experiment_config`, so its deviations: a
    fine-tune trains with the settings of the run from scratch it is compared with) on the
    fold's split (:func:`subject_protocol`). It is paired with
    :func:`subject_fold_config` of the same fold and seed, from which it differs only in its
    starting weights, those of :func:`finetune_source_config` with ``seed``.

    As for :func:`experiment_config` of a fine-tune, ``source`` and ``source_run`` are left
    unset: :func:`ferlib.experiment.finetune_run` fills them in.
    """
    return _subject_fold(profile, (model, dataset, FINETUNE_SOURCE), fold, data=data, seed=seed, **overrides)


def split_seed_config(profile: str, key, split_seed: int, *, data: str = "real", seed: int = 0,
                      **overrides) -> RunConfig:
    """Experiment ``key`` (``(model, dataset, source)``, JAFFE or CK+) on another draw of the
    paper's split: :func:`experiment_config` with ``split_seed``. A fine-tune's source is
    :func:`finetune_source_config` of the same training seed (FER2013 keeps its official
    split). Raises ``ValueError`` for FER2013 (a split seed would change its id, not its
    data) and for a split seed that is not a whole number of at least 0."""
    model, dataset, source = key
    if paper_dataset(dataset) == FINETUNE_SOURCE:
        raise ValueError("FER2013 keeps its official split: a split seed changes its run id, not its data; "
                         "a fine-tune on another split of JAFFE or CK+ starts from the FER2013 run of split seed 0")
    if isinstance(split_seed, bool) or not isinstance(split_seed, int) or split_seed < 0:
        raise ValueError(f"split_seed must be a whole number of at least 0, got {split_seed!r}")
    return experiment_config(profile, (int(model), paper_dataset(dataset), source), data=data, seed=seed,
                             split_seed=split_seed, **overrides)


def transfer_configs(model: int = 2, profile: str = "paper", data: str = "real", *,
                     subject_seed: int = SUBJECT_SEED, split_seeds=EXTRA_SPLIT_SEEDS,
                     training_seeds=SPLIT_TRAINING_SEEDS, **overrides) -> list:
    """The runs that test one model's fine-tune gain beyond the paper's split, in the order
    they are worth training: ``[(config, source_config or None), ...]``.

    1. the fine-tunes of every subject-independent fold (:func:`subject_finetune_config`,
       JAFFE's folds then CK+'s), each paired with the committed fold from scratch;
    2. for each training seed of ``training_seeds`` (0 first), each extra split seed and
       each data set of :data:`SUBJECT_EXPERIMENTS`: the run from scratch, then its
       fine-tune (:func:`split_seed_config`).

    ``source_config`` is the FER2013 run a fine-tune starts from (:func:`finetune_source_config`);
    ``None`` for a run from scratch. ``backend`` defaults to the running Keras backend.
    """
    if overrides.get("backend") is None:
        # saves start-up time: Keras loads TensorFlow
        import keras

        overrides["backend"] = keras.backend.backend()
    plan = []
    for name in SUBJECT_EXPERIMENTS:
        _, folds = subject_protocol(protocol_dataset(name, data))
        source = finetune_source_config(profile, model, data=data, seed=subject_seed, **overrides)
        plan += [(subject_finetune_config(profile, model, name, fold, data=data, seed=subject_seed, **overrides),
                  source) for fold in range(folds)]
    for seed in training_seeds:
        source = finetune_source_config(profile, model, data=data, seed=seed, **overrides)
        for split_seed in split_seeds:
            for name in SUBJECT_EXPERIMENTS:
                plan.append((split_seed_config(profile, (model, name, None), split_seed, data=data, seed=seed,
                                               **overrides), None))
                plan.append((split_seed_config(profile, (model, name, FINETUNE_SOURCE), split_seed, data=data,
                                               seed=seed, **overrides), source))
    return plan
