"""Why a run does not learn: live ReLU units, and an early-collapse probe.

A ReLU unit is *live* on a set of images when it outputs a positive value for at
least one of them (for a convolution, one output channel at any position). A layer
with no live unit passes no gradient back, so nothing before it can learn again, and
the model gives every image the same probabilities: the "dying ReLU" failure. A
training loss stuck at ``log(7) = 1.9459`` on class-balanced batches is its usual sign.

    model = build_model(2, seed=0)
    live_units(model, images)                  # one row per ReLU layer
    probe_collapse(config, data_dir=DATA)      # first steps of a run, then live units

:func:`probe_collapse` costs a few hundred optimiser steps instead of a full run, so
several seeds or settings can be compared where the full runs would take hours.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ferlib.experiment import check_data_matches, config_data, prepare, start_model
from ferlib.fingerprint import dataset_fingerprint
from ferlib.identity import NUMERICS_VERSION

LIVE_COLUMNS = ("layer", "units", "live", "live_fraction")

#: Where `python -m ferlib probe --save` results sit in a results folder.
PROBES_FILE = "probes.json"


def relu_layers(model) -> list:
    """The layers of ``model`` whose activation is ReLU (Conv2D and Dense here)."""
    # saves start-up time: Keras loads TensorFlow
    import keras

    relu = keras.activations.get("relu")
    return [layer for layer in model.layers if getattr(layer, "activation", None) is relu]


def live_units(model, images, *, batch_size: int = 256) -> pd.DataFrame:
    """Count the live units of every ReLU layer of ``model`` on ``images``.

    Args:
        model: a built Keras model such as :func:`ferlib.models.build_model` returns.
        images: ``(n, 48, 48)`` or ``(n, 48, 48, 1)`` faces in 0..255, n >= 1.
        batch_size: images per forward pass.

    Returns:
        one row per ReLU layer, in model order: ``layer`` (name), ``units`` (output
        channels), ``live`` (units positive for at least one image) and
        ``live_fraction`` (live / units). Dropout and batch normalization run in
        inference mode.
    """
    # saves start-up time: Keras loads TensorFlow
    import keras

    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be (n, 48, 48) or (n, 48, 48, 1) with n >= 1, got {images.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    layers = relu_layers(model)
    if not layers:
        raise ValueError(f"model {model.name!r} has no ReLU layer")
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    peak = [np.full(layer.output.shape[-1], -np.inf) for layer in layers]
    for start in range(0, len(images), batch_size):
        outputs = probe([images[start:start + batch_size].astype("float32")], training=False)
        for i, out in enumerate(outputs):
            values = keras.ops.convert_to_numpy(out)
            peak[i] = np.maximum(peak[i], values.reshape(-1, values.shape[-1]).max(axis=0))
    rows = []
    for layer, top in zip(layers, peak):
        live = int((top > 0).sum())
        rows.append({"layer": layer.name, "units": len(top), "live": live,
                     "live_fraction": live / len(top)})
    return pd.DataFrame(rows, columns=list(LIVE_COLUMNS))


def dead_layers(table: pd.DataFrame) -> list:
    """Names of the layers of a :func:`live_units` table without a single live unit."""
    return table.loc[table["live"] == 0, "layer"].tolist()


def probe_collapse(config, *, data_dir=None, cache_dir=None, dataset=None, steps: int = 300,
                   probe_images: int | None = None) -> dict:
    """Train the first ``steps`` batches of ``config``'s run, then count live units.

    The steps are the ones :func:`ferlib.experiment.train_run` would take first: the
    same seeds, initial weights, epoch-1 image order, balancing and augmentation, so
    the probe shows how the full run starts. Nothing is stored.

    Args:
        config: a from-scratch :class:`~ferlib.config.RunConfig`.
        data_dir, cache_dir, dataset: as in :func:`~ferlib.experiment.train_run`.
        steps: optimiser steps (batches of ``config.batch_size``); at most one epoch.
        probe_images: how many validation images the live units and accuracy are
            measured on, evenly spaced through the validation part (data files are
            often sorted by class, so the first ones would not do); None: all of them.

    Returns:
        a dict: the settings (``model``, ``dataset``, ``seed``, ``learning_rate``,
        ``batch_size``, ``augment``, ``balance``, ``steps``), ``images_seen``,
        ``train_loss`` (mean over the steps), ``val_accuracy`` and
        ``val_predicted_classes`` (distinct classes predicted) on the probe images,
        ``live`` (``{layer: live units}``), ``units`` (``{layer: units}``),
        ``dead_layers``, ``collapsed`` (a layer has no live unit), ``seconds``,
        ``data_fingerprint`` and ``numerics_version``.
    """
    # saves start-up time: Keras loads TensorFlow
    import keras

    from ferlib import training
    from ferlib.models import set_input_statistics

    if config.is_finetune:
        raise ValueError(f"{config.label()}: probe_collapse takes a from-scratch config")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if probe_images is not None and probe_images < 1:
        raise ValueError(f"probe_images must be at least 1 or None, got {probe_images}")
    check_data_matches(config, data_dir)
    if config.backend != keras.backend.backend():
        raise ValueError(f"config.backend is {config.backend!r} but Keras runs on "
                         f"{keras.backend.backend()!r}: set KERAS_BACKEND or the config")
    if dataset is None:
        dataset = config_data(config, data_dir=data_dir, cache_dir=cache_dir)
    data, part = prepare(config, dataset)
    train, val = part == "train", part == "val"
    train_x, train_y = training.as_batch(data.images[train]), data.labels[train]
    order = training.epoch_indices(train_y, seed=config.seed, epoch=0, balance=config.balance,
                                   min_images=config.min_epoch_images)
    epoch_steps = -(-len(order) // config.batch_size)
    if steps > epoch_steps:
        raise ValueError(f"steps={steps} of {config.batch_size} images is more than one epoch "
                         f"({len(order)} images, {epoch_steps} steps)")
    order = order[:steps * config.batch_size]

    model = start_model(config)  # the same start as train_run's
    set_input_statistics(model, data.images[train])
    trainer = training.training_model(model, augment=config.augment, seed=config.seed,
                                      augment_scale=config.augment_scale)
    training.compile_for_training(trainer, config.learning_rate)
    training.reseed_generators(trainer, seed=config.seed, epoch=0)
    tic = time.perf_counter()
    result = trainer.fit(train_x[order], train_y[order], batch_size=config.batch_size, epochs=1,
                         shuffle=False, verbose=0)
    seconds = time.perf_counter() - tic

    probe_rows = np.flatnonzero(val)
    if probe_images is not None and probe_images < len(probe_rows):
        probe_rows = probe_rows[np.linspace(0, len(probe_rows) - 1, probe_images).round().astype(int)]
    probe_x, probe_y = data.images[probe_rows], data.labels[probe_rows]
    table = live_units(model, probe_x)
    predicted = training.predict_proba(model, probe_x).argmax(axis=1)
    dead = dead_layers(table)
    return {
        "model": config.model, "dataset": config.dataset, "seed": config.seed,
        "learning_rate": config.learning_rate, "batch_size": config.batch_size,
        "augment": config.augment, "balance": config.balance, "steps": steps,
        "images_seen": len(order), "train_loss": float(result.history["loss"][-1]),
        "val_images": len(probe_y), "val_accuracy": float((predicted == probe_y).mean()),
        "val_predicted_classes": int(len(np.unique(predicted))),
        "live": dict(zip(table["layer"], table["live"].astype(int).tolist())),
        "units": dict(zip(table["layer"], table["units"].astype(int).tolist())),
        "dead_layers": dead, "collapsed": bool(dead), "seconds": round(seconds, 1),
        "data_fingerprint": dataset_fingerprint(data, split=part), "numerics_version": NUMERICS_VERSION,
    }


PROBE_KEY = ("model", "dataset", "seed", "learning_rate", "batch_size", "augment", "balance",
             "steps", "data_fingerprint", "numerics_version")


def merge_probes(old: list, new: list) -> list:
    """``old`` probe rows with ``new`` ones added; a new row replaces an old one with the
    same settings, data and code (:data:`PROBE_KEY`). Sorted by settings."""
    rows = {tuple(str(row[k]) for k in PROBE_KEY): row for row in [*old, *new]}
    return sorted(rows.values(), key=lambda r: (r["model"], r["dataset"], -r["learning_rate"],
                                                 r["batch_size"], not r["augment"], r["steps"], r["seed"]))


def probes_table(rows: list) -> pd.DataFrame:
    """Probe rows as a table: settings, loss, accuracy, and the fewest live units of a
    layer (``min_live``, ``min_live_layer``), one row per probe."""
    columns = ["model", "dataset", "seed", "learning_rate", "batch_size", "augment", "steps",
               "train_loss", "val_accuracy", "val_predicted_classes", "min_live", "min_live_units",
               "min_live_layer", "dead_layers", "collapsed"]
    records = []
    for row in rows:
        layer = min(row["live"], key=lambda name: row["live"][name] / row["units"][name])
        records.append({**{k: row[k] for k in columns if k in row},
                        "min_live": row["live"][layer], "min_live_units": row["units"][layer],
                        "min_live_layer": layer, "dead_layers": ", ".join(row["dead_layers"]) or "-"})
    return pd.DataFrame(records, columns=columns)


def read_probes(path) -> list:
    """The probe rows saved in a JSON file (``{"probes": [...]}``) by ``python -m ferlib probe``."""
    path = Path(path)
    try:
        rows = json.loads(path.read_text())["probes"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a probe file ({{\"probes\": [...]}}): {error}") from None
    for i, row in enumerate(rows):
        missing = [k for k in (*PROBE_KEY, "live", "units", "dead_layers") if k not in row]
        if missing:
            raise ValueError(f"{path}: probe {i} lacks {', '.join(missing)}")
    return rows


def live_fractions(table: pd.DataFrame) -> pd.Series:
    """The live share of each probe's weakest layer (``min_live / min_live_units``), one
    per row of a :func:`probes_table`."""
    return table["min_live"] / table["min_live_units"]


def most_live_probe(table: pd.DataFrame) -> pd.Series:
    """The probe (a row of a :func:`probes_table`) whose weakest layer kept the largest
    share of its units live (:func:`live_fractions`), the first of a tie. Raises
    ``ValueError`` on a table without probes."""
    if table.empty:
        raise ValueError("no probe to choose from")
    return table.loc[live_fractions(table).idxmax()]


def collapse_summary(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`probes_table` grouped by model and settings: ``probes`` (seeds tried),
    ``collapsed`` (how many left a layer without a live unit), ``one_class`` (how many
    gave every probe image the same class) and ``mean_min_live_fraction`` (the live
    share of each probe's weakest layer, averaged over seeds)."""
    keys = ["model", "dataset", "learning_rate", "batch_size", "augment", "steps"]
    columns = [*keys, "probes", "collapsed", "one_class", "mean_min_live_fraction"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    frame = table.assign(min_live_fraction=live_fractions(table),
                         one_class=table["val_predicted_classes"] == 1)
    grouped = frame.groupby(keys, sort=False)
    summary = grouped.agg(probes=("seed", "size"), collapsed=("collapsed", "sum"),
                          one_class=("one_class", "sum"),
                          mean_min_live_fraction=("min_live_fraction", "mean")).reset_index()
    return summary[columns]
