"""Run an experiment end to end, or fetch it from the run store.

    store = RunStore("runs")
    cfg = profile_config("quick", model=2, dataset="jaffe")
    run = train_run(cfg, store)                        # trains, or returns the stored run
    src = profile_config("quick", model=2, dataset="fer2013")
    tuned = finetune_run(src, cfg, store)              # pretrains on FER2013, fine-tunes on JAFFE

Without a data directory the synthetic stand-in of each data set is used.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import ferlib
from ferlib import atomic, splits
from ferlib.config import RunConfig
from ferlib.datasets import load_dataset
from ferlib.evaluation import classification_metrics, predictions_frame
from ferlib.fingerprint import dataset_fingerprint
from ferlib.identity import NUMERICS_VERSION, git_commit, processor, run_id
from ferlib.pack import load_packed
from ferlib.store import RunStore
from ferlib.synthetic import make_synthetic
from ferlib.vocabulary import PAPER_MODELS, SOURCE_DATASET, TARGET_DATASETS


def load_data(name: str, *, data_dir=None, synthetic_size=None, data_seed=0, cache_dir=None, pack_dir=None,
              synthetic_expressions="standard"):
    """The data set ``name``: real files under ``data_dir`` or from a pack (``pack_dir``,
    :mod:`ferlib.pack`: the same arrays), or synthetic when neither is given
    (``synthetic_size`` images, seed ``data_seed``, ``synthetic_expressions``)."""
    if pack_dir is not None:
        if data_dir is not None:
            raise ValueError("give a data directory or a pack, not both")

        return load_packed(name, pack_dir)
    if data_dir is None:
        return make_synthetic(name, synthetic_size, seed=data_seed, expressions=synthetic_expressions)

    return load_dataset(name, data_dir, cache_dir=cache_dir)


def config_data(config: RunConfig, *, data_dir=None, cache_dir=None):
    """The data set a run of ``config`` trains and is tested on: the real files of
    ``config.dataset`` under ``data_dir``, or its synthetic stand-in as the config
    describes it (size, seed, expressions)."""
    return load_data(config.dataset, data_dir=data_dir, cache_dir=cache_dir,
                     synthetic_size=config.synthetic_size, data_seed=config.data_seed,
                     synthetic_expressions=config.synthetic_expressions)


def limit_rows(labels, part, limit, seed):
    """Keep at most ``limit`` rows of the train part, stratified by class; returns a mask."""
    keep = np.ones(len(labels), dtype=bool)
    train = np.flatnonzero(part == "train")
    if limit is None or len(train) <= limit:
        return keep
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels[train]):
        rows = train[labels[train] == label]
        share = max(1, int(round(limit * len(rows) / len(train))))
        chosen.extend(rng.choice(rows, size=min(share, len(rows)), replace=False))
    keep[train] = False
    keep[np.array(chosen, dtype=int)] = True
    return keep


def run_split(config: RunConfig, dataset):
    """The ``(n,)`` train / val / test split a run of ``config`` makes of ``dataset``: its
    protocol, split seed, fold and, for ``"subject-kfold"``, number of folds."""
    return splits.make_split(dataset, config.protocol, seed=config.split_seed, fold=config.fold,
                             k=config.folds)


def prepare(config: RunConfig, dataset):
    """Apply the config's split protocol and training limit: returns ``(dataset, split)``
    with rows outside the limited train part dropped."""
    part = run_split(config, dataset)
    keep = limit_rows(dataset.labels, part, config.limit_train, config.split_seed)
    return dataset.subset(keep), part[keep]


def check_data_matches(config: RunConfig, data_dir):
    if config.data == "real" and data_dir is None:
        raise ValueError(f"{config.label()}: data='real' needs a data directory (--data-dir)")
    if config.data == "synthetic" and data_dir is not None:
        raise ValueError(f"{config.label()}: data='synthetic' but a data directory was given")


def start_model(config: RunConfig):
    """Seed everything from ``config.seed`` and build its untrained model under its
    precision policy: how every run (and every probe of one) starts."""
    # saves start-up time: Keras loads TensorFlow
    import keras

    from ferlib import training
    from ferlib.models import build_model

    training.seed_everything(config.seed)
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(config.precision)
    try:
        return build_model(config.model, seed=config.seed, input_scaling=config.input_scaling,
                           dropout_scale=config.dropout_scale)
    finally:
        keras.config.set_dtype_policy(previous_policy)


def train_run(config: RunConfig, store, *, data_dir=None, cache_dir=None, dataset=None,
              verbose: int = 1, log=print, init_weights_from=None, checkpoint: bool = True,
              steps_per_execution: int = 1):
    """Return the finished run for ``config``: from the store if it is there, else train it.

    Args:
        config: the run's config. For a fine-tune use :func:`finetune_run`.
        store: a :class:`~ferlib.store.RunStore` or a folder path.
        data_dir: root of the real data sets (``config.data == "real"``).
        cache_dir: where parsed real data is cached.
        dataset: an already loaded data set to use instead of loading ``config.dataset``.
        verbose: 0 silent, 1 a line per epoch, 2 Keras progress bars.
        init_weights_from: a finished :class:`~ferlib.store.Run` whose weights start
            the training (fine-tuning all layers). Its network is also tested on the
            val and test parts before any training: ``metrics.json["zero_shot"]``, the
            lower anchor of the gain from fine-tuning.
        checkpoint: save a checkpoint after every epoch, so that a killed run resumes
            (the default); ``False`` saves none (a GPU campaign, where writing the
            weights and optimizer state every epoch costs more than a lost run).
            The numbers are the same either way.
        steps_per_execution: passed to :func:`ferlib.training.fit` (same numbers on JAX).
    """
    store = store if isinstance(store, RunStore) else RunStore(store)
    check_data_matches(config, data_dir)
    if dataset is None:
        dataset = config_data(config, data_dir=data_dir, cache_dir=cache_dir)
    data, part = prepare(config, dataset)
    fingerprint = dataset_fingerprint(data, split=part)
    rid = run_id(config, fingerprint)
    found = stored_run(store, rid, log=log)
    if found is not None:
        if verbose:
            log(f"{config.label()}: found in the store as {rid}")
        return found

    # saves start-up time: Keras loads TensorFlow
    import keras

    from ferlib import training
    from ferlib.models import set_input_statistics

    if config.backend != keras.backend.backend():
        raise ValueError(f"config.backend is {config.backend!r} but Keras runs on "
                         f"{keras.backend.backend()!r}: set KERAS_BACKEND or the config")
    if verbose:
        log(f"{config.label()}: training run {rid} on {len(data)} images "
            f"({', '.join(f'{p} {(part == p).sum()}' for p in ('train', 'val', 'test'))})")
    # saves start-up time: the recipe's training code loads Keras (TensorFlow)
    from ferlib.recipe_training import evaluation_predictor

    predict = evaluation_predictor(config)  # one view per image; ten crops with tta="ten-crop"
    model = start_model(config)
    rows = {p: part == p for p in ("train", "val", "test")}
    zero_shot = None
    if init_weights_from is not None:  # a fine-tune keeps its source's input statistics too
        model.set_weights(init_weights_from.load_model().get_weights())
        zero_shot = {name: classification_metrics(data.labels[rows[name]], predict(model, data.images[rows[name]]))
                     for name in ("val", "test")}
    else:
        set_input_statistics(model, data.images[rows["train"]])
    atomic.check_free_space(store.root, run_bytes(model), f"run {rid} (checkpoints and weights of "
                                                          f"Model {config.model})")
    try:
        return _train_and_save(config, store, rid, fingerprint, model, data, rows, zero_shot, predict,
                               verbose=verbose, log=log, checkpoint=checkpoint,
                               steps_per_execution=steps_per_execution)
    except BaseException:
        partial = store.partial_dir(rid)
        if partial.is_dir() and not (partial / training.STATE_FILE).exists():  # nothing to resume from
            shutil.rmtree(partial, ignore_errors=True)
        raise


def run_bytes(model) -> int:
    """Bytes a run of ``model`` may need on disk at once: the last epoch's checkpoint
    (weights and the optimizer's two moments), the best epoch's weights and the finished
    run's ``model.keras`` (with the optimizer), float32, and 16 MiB for the rest."""
    return 8 * 4 * int(model.count_params()) + 16 * 2**20


def _train_and_save(config, store, rid, fingerprint, model, data, rows, zero_shot, predict, *, verbose, log,
                    checkpoint, steps_per_execution):
    """Train ``model`` under the store's writer lock and save the finished run (the second
    half of :func:`train_run`); ``predict(model, images)`` gives the class probabilities the
    run is evaluated on."""
    # saves start-up time: Keras loads TensorFlow
    from ferlib import training
    from ferlib.recipe_training import training_recipe

    with store.writer(rid):  # one process trains a run; a second one stops with a clear error
        found = stored_run(store, rid, log=lambda line: None)  # said once already
        if found is not None:  # finished by another process meanwhile
            return found
        started = time.perf_counter()
        history, info = training.fit(
            model, data.images[rows["train"]], data.labels[rows["train"]],
            data.images[rows["val"]], data.labels[rows["val"]],
            epochs=config.epochs, batch_size=config.batch_size, learning_rate=config.learning_rate,
            seed=config.seed, balance=config.balance, augment=config.augment,
            augment_scale=config.augment_scale, min_epoch_images=config.min_epoch_images,
            checkpoint_dir=store.partial_dir(rid) if checkpoint else None, verbose=verbose, log=log,
            steps_per_execution=steps_per_execution, recipe=training_recipe(config),
        )
        tic = time.perf_counter()
        metrics, frames = {"best_epoch": info["best_epoch"]}, []
        if zero_shot is not None:  # the source network on the target before any fine-tuning
            metrics["zero_shot"] = zero_shot
        if config.tta != "none":  # the same network on one view per image: what the ten crops add
            metrics["single_view"] = {name: classification_metrics(
                data.labels[rows[name]], training.predict_proba(model, data.images[rows[name]]))
                for name in ("val", "test")}
        for name in ("val", "test"):
            probs = predict(model, data.images[rows[name]])
            metrics[name] = classification_metrics(data.labels[rows[name]], probs)
            frame = predictions_frame(data.labels[rows[name]], probs, source=data.source[rows[name]])
            frame.insert(0, "part", name)
            frames.append(frame)
        infer_seconds = time.perf_counter() - tic
        n_eval = int(rows["val"].sum() + rows["test"].sum())

        manifest = {
            "run_id": rid,
            "label": config.label(),
            "data_fingerprint": fingerprint,
            "data_name": data.name,
            "data_notes": list(data.notes),
            "split_sizes": {p: int(m.sum()) for p, m in rows.items()},
            "numerics_version": NUMERICS_VERSION,
            "git_commit": git_commit(),
            "source_run": config.source_run,
            "wall_time_s": round(time.perf_counter() - started, 3),
            "train_seconds": info["train_seconds"],
            "train_images_per_s": round(info["train_images"] / max(info["train_seconds"], 1e-9), 1),
            "inference_images_per_s": round(n_eval / max(infer_seconds, 1e-9), 1),
            "resumed_from_epoch": info["resumed_from_epoch"],
            "precision": config.precision,
            "jit_compile": info["jit_compile"],
            "steps_per_execution": steps_per_execution,
            "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            **environment(),
        }
        run = store.save(rid, config=config, manifest=manifest, history=history, metrics=metrics,
                         predictions=pd.concat(frames, ignore_index=True), model=model)
    if verbose:
        log(f"{config.label()}: test accuracy {metrics['test']['accuracy']:.4f} "
            f"(n={metrics['test']['n']}, best epoch {info['best_epoch']}), saved as {rid}")
    return run


def stored_run(store: RunStore, rid: str, *, log=print):
    """The finished run ``rid`` of ``store``, or ``None`` when there is none or its folder
    is broken: a broken run is never used; ``log`` says which file is at fault and that
    the run is trained again (the new run replaces the broken folder)."""
    run, problems = store.inspect(rid)
    if problems:
        log(f"warning: the stored run {store.path(rid)} is broken ({'; '.join(problems)}); "
            f"training it again")
        return None
    return run


def finetune_run(source_config: RunConfig, target_config: RunConfig, store, *, data_dir=None,
                 cache_dir=None, verbose: int = 1, log=print, source_dataset=None,
                 target_dataset=None, checkpoint: bool = True, steps_per_execution: int = 1):
    """Pretrain on the source data set (or reuse that run), then fine-tune all layers on
    the target (paper Fig. 2c). Returns ``(source_run, target_run)``.

    ``source_dataset`` / ``target_dataset``: already loaded data sets to use instead of
    loading them again (as in :func:`train_run`); ``checkpoint`` and
    ``steps_per_execution`` as in :func:`train_run`, for both runs."""
    options = dict(data_dir=data_dir, cache_dir=cache_dir, verbose=verbose, log=log, checkpoint=checkpoint,
                   steps_per_execution=steps_per_execution)
    if source_config.is_finetune:
        raise ValueError("source_config must be a from-scratch config (source=None)")
    if source_config.model != target_config.model:
        raise ValueError(f"source model {source_config.model} != target model {target_config.model}")
    if source_config.dataset == target_config.dataset:
        raise ValueError(f"fine-tuning needs a source data set other than its target: both are "
                         f"{target_config.dataset!r} (train it from scratch instead)")
    source_run = train_run(source_config, store, dataset=source_dataset, **options)
    target = dataclasses.replace(target_config, source=source_config.dataset, source_run=source_run.id)
    target_run = train_run(target, store, dataset=target_dataset, init_weights_from=source_run, **options)
    return source_run, target_run


def environment() -> dict:
    """Versions, backend and hardware, recorded with every result."""
    # saves start-up time: Keras loads TensorFlow
    import keras

    versions = {"python": platform.python_version(), "numpy": np.__version__, "keras": keras.__version__}

    versions["ferlib"] = ferlib.__version__
    backend = keras.backend.backend()
    device, extra = "cpu", {}
    if backend == "tensorflow":
        # not at the top: TensorFlow is absent where Keras runs on JAX, so a start-up import would fail there
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
        gpus = tf.config.list_physical_devices("GPU")
        device = f"gpu x{len(gpus)}" if gpus else "cpu"
    elif backend == "jax":
        # not at the top: JAX is absent where Keras runs on TensorFlow, so a start-up import would fail there
        import jax

        versions["jax"] = jax.__version__
        dev = jax.devices()[0]
        device = f"{dev.platform}:{getattr(dev, 'device_kind', '')}"
        # float32 products and convolutions: "float32"/"highest" is exact float32; JAX's
        # default lets a GPU's matrix units use TF32 (reduced-precision products)
        extra = {"jax_matmul_precision": str(jax.config.jax_default_matmul_precision or "default")}
    return {
        **extra,
        "backend": backend,
        "device": device,
        "versions": versions,
        "hardware": {"machine": platform.machine(), "processor": cpu_name(),
                     "vector_extensions": processor()["vector_extensions"],
                     "cpu_count": os.cpu_count(), "platform": sys.platform},
    }


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


#: The paper's 5 experiments per model: (target data set, source data set or None).
PAPER_EXPERIMENTS = ((SOURCE_DATASET, None),
                     *((target, source) for target in TARGET_DATASETS for source in (None, SOURCE_DATASET)))


def experiment_plan(config_for, models=PAPER_MODELS):
    """The paper's runs in the order they are made: for each model, the 5 experiments of
    :data:`PAPER_EXPERIMENTS`.

    Args:
        config_for: ``config_for((model, dataset, source))`` is the
            :class:`~ferlib.config.RunConfig` of that experiment; a fine-tune's is its
            *target* run's (:func:`finetune_run` fills in its source).
        models: the model ids.

    Yields:
        ``(key, config, source_config)``: ``key`` is ``(model, dataset, source)``,
        ``source_config`` the config of the run a fine-tune starts from (the run from
        scratch keyed ``(model, source, None)``), ``None`` for a run from scratch.
    """
    for model in (int(m) for m in models):
        for target, source in PAPER_EXPERIMENTS:
            key = (model, target, source)
            yield key, config_for(key), None if source is None else config_for((model, source, None))


def experiment_runs(config_for, *, store, models=PAPER_MODELS, data_dir=None, cache_dir=None,
                    verbose: int = 0, log=print) -> dict:
    """The runs of :func:`experiment_plan`: fetched from the store, or trained.

    Each data set is loaded (or made) once; the FER2013 run of each model is also the
    source of its fine-tunes. :func:`ferlib.protocol.reproduction_runs` gives the
    protocol's ``config_for``.

    Returns:
        ``{(model, dataset, source): Run}`` in the plan's order, e.g.
        ``runs[(2, "jaffe", "fer2013")]`` (``source`` None for training from scratch).
    """
    loaded = {}

    def dataset(config):
        if config.dataset not in loaded:
            loaded[config.dataset] = config_data(config, data_dir=data_dir, cache_dir=cache_dir)
        return loaded[config.dataset]

    options = dict(data_dir=data_dir, cache_dir=cache_dir, verbose=verbose, log=log)
    runs = {}
    for key, config, source_config in experiment_plan(config_for, models):
        if source_config is None:
            runs[key] = train_run(config, store, dataset=dataset(config), **options)
        else:
            _, runs[key] = finetune_run(source_config, config, store, source_dataset=dataset(source_config),
                                        target_dataset=dataset(config), **options)
    return runs
