"""Training loops: from scratch, and fine-tuning all layers from pretrained weights.

The loop runs one Keras ``fit`` call per epoch so that each epoch's order of images
is decided by ``(seed, epoch)`` alone (class balancing resamples every epoch), which
makes a run deterministic and lets a killed run resume from its last checkpoint with
the same numbers. The best epoch is chosen on the validation split, never on test.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from ferlib import atomic, interrupt
from ferlib.augment import augment_magnitudes, balanced_indices, make_augmenter

HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend; ask TensorFlow for deterministic ops."""
    keras.utils.set_random_seed(int(seed))
    if keras.backend.backend() == "tensorflow":  # one-time setup, not in the hot path
        # not at the top: TensorFlow is absent where Keras runs on JAX, so a start-up import would fail there
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def epoch_indices(labels, *, seed: int, epoch: int, balance: str, min_images: int | None = None) -> np.ndarray:
    """The training rows, in order, for one epoch.

    ``balance="oversample"`` draws the minority classes up to the largest class
    (:func:`ferlib.augment.balanced_indices`); ``"none"`` is a plain shuffle.
    ``min_images``: where one such pass has fewer rows, passes are concatenated and cut
    to exactly this many; a longer pass is kept whole (``None``: one pass). Depends
    only on ``(seed, epoch, min_images)``.
    """
    epoch_seed = int(seed) * 100_003 + int(epoch)

    def one_pass(pass_seed):
        if balance == "oversample":
            return balanced_indices(labels, seed=pass_seed)
        return np.random.default_rng(pass_seed).permutation(len(labels))

    order = one_pass(epoch_seed)
    if min_images is None or len(order) >= min_images:
        return order
    passes, total, k = [order], len(order), 0
    while total < min_images:
        k += 1  # later passes get seeds of their own, apart from every epoch's first
        extra = one_pass(int(np.random.SeedSequence([int(seed), int(epoch), k]).generate_state(1)[0]))
        passes.append(extra)
        total += len(extra)
    return np.concatenate(passes)[:min_images]


def reseed_generators(model, *, seed: int, epoch: int) -> int:
    """Set every random seed state in ``model`` (augmentation, dropout) from ``(seed, epoch)``.

    Called at the start of each epoch, so that epoch ``e`` draws the same random
    numbers whether the run went straight through or resumed from a checkpoint.
    Returns how many seed states were set.
    """
    states = [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]
    for i, state in enumerate(states):
        value = np.array([(int(seed) * 7919 + i * 104729) % 2**31, int(epoch) * 2**20])
        state.assign(value.astype(state.dtype))
    return len(states)


def as_batch(images) -> np.ndarray:
    """``(n, 48, 48)`` uint8 -> ``(n, 48, 48, 1)`` uint8, the models' input layout."""
    images = np.asarray(images)
    return images[..., None] if images.ndim == 3 else images


def training_model(model, *, augment: bool, seed: int, augment_scale: float = 1.0):
    """Wrap ``model`` with the augmentation layers (active only while training), at
    ``augment_scale`` times the magnitudes of :data:`ferlib.augment.MAGNITUDES`."""
    if not augment:
        return model
    inputs = keras.Input(model.input_shape[1:], name="image")
    augmented = make_augmenter(seed=seed, **augment_magnitudes(augment_scale))(inputs)
    return keras.Model(inputs, model(augmented), name=f"train_{model.name}")


def compile_for_training(model, learning_rate: float, steps_per_execution: int = 1):
    """Adam on the cross-entropy, with accuracy. ``steps_per_execution`` batches are run
    per call of the compiled train function (Keras' option): on JAX, Keras calls the same
    compiled step once per batch either way, so the numbers do not change (tested); it
    only dispatches the callbacks once per group of steps."""
    if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1:
        raise ValueError(f"steps_per_execution must be a positive int, got {steps_per_execution!r}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


#: The checkpoint's commit point: the epochs done, the best epoch and the names of the
#: weights files of that state (see :func:`write_checkpoint`).
STATE_FILE = "state.json"
#: Version of ``state.json``'s layout; 1 (no ``format`` field) named fixed weights files.
CHECKPOINT_FORMAT = 2
#: The best epoch's weights file of layout 1.
LEGACY_BEST = "best.weights.h5"
#: The end Keras requires of a weights file's name, the temporary one's included.
WEIGHTS_SUFFIX = ".weights.h5"


def write_checkpoint(ckpt: Path, *, epoch: int, trainer, model, improved: bool, state: dict) -> dict:
    """Checkpoint the end of 1-based ``epoch`` into the folder ``ckpt``; returns the new state.

    The weights go to files named after their epoch (``last-0003.weights.h5`` with the
    optimizer, ``best-0002.weights.h5``), each written whole before ``state.json`` names
    them; ``state.json`` is replaced in one rename, and only then are the files it no
    longer names removed. A kill at any moment leaves a ``state.json`` whose files all
    exist and belong to the epoch it records: a resumed run never mixes two epochs.
    """
    last = ckpt / f"last-{epoch:04d}.weights.h5"
    with atomic.replacing(last, keep_suffix=WEIGHTS_SUFFIX) as tmp:
        trainer.save_weights(tmp)  # weights + optimizer
    best = state.get("best_weights")
    if improved:
        best = f"best-{epoch:04d}.weights.h5"
        with atomic.replacing(ckpt / best, keep_suffix=WEIGHTS_SUFFIX) as tmp:
            model.save_weights(tmp)
    state = dict(state, format=CHECKPOINT_FORMAT, last_weights=last.name, best_weights=best)
    atomic.write_text(ckpt / STATE_FILE, json.dumps(state))
    keep = {STATE_FILE, last.name, best}
    for path in ckpt.glob("*.weights.h5"):
        if path.name not in keep and not path.name.startswith("."):
            path.unlink(missing_ok=True)
    return state


def read_checkpoint(ckpt: Path, *, log=print) -> dict | None:
    """The state of the last complete epoch checkpointed in ``ckpt``, or ``None`` when
    there is nothing to resume: no ``state.json``, or one that cannot be trusted (not
    JSON, naming a weights file that is missing, or of the older layout with weights
    written after it), which is said through ``log``; training then starts over.

    The state holds ``history`` (one row per epoch done), ``best_epoch``, ``best_score``
    and the paths ``last_weights`` (model and optimizer) and ``best_weights``."""
    path = ckpt / STATE_FILE
    if not path.exists():
        return None

    def start_over(why):
        log(f"  not resuming from {path}: {why}; training starts over")
        return None

    try:
        state = json.loads(path.read_text())
        rows, best_epoch = state["history"], int(state["best_epoch"])
        float(state["best_score"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        return start_over(f"unreadable ({error})")
    if not isinstance(rows, list) or not rows or not 1 <= best_epoch <= len(rows):
        return start_over(f"{len(rows) if isinstance(rows, list) else 'no'} epochs and best epoch {best_epoch}")
    if state.get("format") == CHECKPOINT_FORMAT:
        last, best = state.get("last_weights"), state.get("best_weights")
        bests = (f"best-{best_epoch:04d}.weights.h5", LEGACY_BEST)  # the best of a layout-1 resume is kept
        if last != f"last-{len(rows):04d}.weights.h5" or best not in bests:
            return start_over(f"it names {last} and {best} for {len(rows)} epochs, best epoch {best_epoch}")
    else:  # layout 1: fixed names, written before state.json; a later write means a kill in between
        last, best = "last.weights.h5", LEGACY_BEST
        written = [(ckpt / name).stat().st_mtime_ns for name in (last, best) if (ckpt / name).exists()]
        if any(mtime > path.stat().st_mtime_ns for mtime in written):
            return start_over("its weights were written after it (a run killed between the two)")
    missing = [name for name in (last, best) if not (ckpt / name).is_file()]
    if missing:
        return start_over(f"{', '.join(missing)} missing")
    return dict(state, last_weights=ckpt / last, best_weights=ckpt / best)


def fit(model, train_x, train_y, val_x, val_y, *, epochs: int, batch_size: int,
        learning_rate: float, seed: int, balance: str = "oversample", augment: bool = True,
        augment_scale: float = 1.0, min_epoch_images: int | None = None,
        checkpoint_dir=None, verbose: int = 1, log=print, steps_per_execution: int = 1, recipe=None):
    """Train ``model`` in place and leave it holding the weights of the best epoch.

    Args:
        model: a Keras model taking ``(batch, 48, 48, 1)`` images in 0..255.
        train_x, val_x: ``(n, 48, 48)`` uint8 images.
        train_y, val_y: ``(n,)`` int labels 0..6.
        epochs, batch_size, learning_rate: as in the paper's setup (Adam, cross-entropy).
        seed: decides the per-epoch image order and augmentation.
        balance: ``"oversample"`` or ``"none"`` (see :func:`epoch_indices`).
        augment: apply the augmentation layers while training.
        augment_scale: multiplies the augmentation magnitudes.
        min_epoch_images: at least this many images per epoch (see :func:`epoch_indices`).
        checkpoint_dir: if given, the model, optimizer and history are saved there after
            every epoch (:func:`write_checkpoint`), and a run found there is resumed from
            its last complete epoch (:func:`read_checkpoint`). One process at a time
            (:meth:`ferlib.store.RunStore.writer`).
        verbose: 0 silent, 1 one line per epoch, 2 Keras progress bars too.
        log: where the per-epoch lines go.
        steps_per_execution: batches per call of the compiled train function
            (:func:`compile_for_training`); 1, the default, is how every committed run trained.
        recipe: ``None`` (the paper's training: Adam at ``learning_rate``, constant, how every
            committed run trained), or a :class:`ferlib.recipe_training.TrainingRecipe`
            (:func:`ferlib.recipe_training.training_recipe`): its optimiser, loss, augmenter
            (with ``augment``), rate per epoch and early stopping, all decided from the
            validation history; the history then has a ``learning_rate`` column.

    Returns:
        ``(history, info)``: a DataFrame with one row per epoch (columns
        :data:`HISTORY_COLUMNS`), and a dict with ``best_epoch`` (1-based),
        ``train_seconds``, ``train_images`` (images seen, all epochs),
        ``resumed_from_epoch`` and ``jit_compile`` (whether Keras compiled the train
        step with XLA: on by default with JAX and on TensorFlow GPUs, off on CPU).
    """
    train_x, val_x = as_batch(train_x), as_batch(val_x)
    train_y, val_y = np.asarray(train_y), np.asarray(val_y)
    if len(train_y) == 0 or len(val_y) == 0:
        raise ValueError(f"need training and validation images, got {len(train_y)} and {len(val_y)}")
    if recipe is None:  # the paper's training
        trainer = training_model(model, augment=augment, seed=seed, augment_scale=augment_scale)
        compile_for_training(trainer, learning_rate, steps_per_execution)
    else:  # --- the modern recipe (ferlib.recipe_training) ---
        trainer = (recipe.trainer(model, seed=seed) if augment and recipe.own_augmentation else
                   training_model(model, augment=augment, seed=seed, augment_scale=augment_scale))
        recipe.compile(trainer, steps_per_execution)

    rows, best_epoch, best_score, start = [], 0, -np.inf, 0
    ckpt = Path(checkpoint_dir) if checkpoint_dir else None
    state = {}
    best_weights = model.get_weights()
    if ckpt is not None:
        ckpt.mkdir(parents=True, exist_ok=True)
        atomic.remove_stale_temporaries(ckpt)
        found = read_checkpoint(ckpt, log=log)
        if found is not None:
            # built first, so that no weights file finds an optimizer without variables
            # (Keras would skip them with a warning); the last epoch's file sets its state
            trainer.optimizer.build(trainer.trainable_variables)
            probe = [w.copy() for w in model.get_weights()]
            model.load_weights(found["best_weights"])
            best_weights = model.get_weights()
            model.set_weights(probe)
            trainer.load_weights(found["last_weights"])
            rows, best_epoch, best_score = found["history"], found["best_epoch"], found["best_score"]
            state = {"best_weights": found["best_weights"].name}
            start = len(rows)
            if verbose:
                log(f"  resuming from epoch {start} (best so far: epoch {best_epoch})")
    resumed_from = start

    seen, seconds = 0, 0.0
    # Ctrl-C under the command line stops the training at the end of a batch (ferlib.interrupt):
    # raised inside TensorFlow's tracing it could be swallowed or turned into another error
    with interrupt.deferred():
        for epoch in range(start, epochs):
            rate = None
            if recipe is not None:  # --- the recipe: early stopping and the rate, from val only ---
                scores = [row["val_accuracy"] for row in rows]
                if recipe.stops(scores):
                    if verbose:
                        log(f"  early stop after epoch {epoch}: no better val_accuracy since epoch {best_epoch}")
                    break
                rate = recipe.set_learning_rate(trainer, epoch, scores)
            order = epoch_indices(train_y, seed=seed, epoch=epoch, balance=balance,
                                  min_images=min_epoch_images)
            reseed_generators(trainer, seed=seed, epoch=epoch)
            targets = train_y[order] if recipe is None else recipe.targets(train_y[order], model.output_shape[-1])
            tic = time.perf_counter()
            result = trainer.fit(
                train_x[order], targets, batch_size=batch_size, epochs=epoch + 1,
                initial_epoch=epoch, shuffle=False, verbose=2 if verbose >= 2 else 0,
                callbacks=[StopWhenInterrupted()],
            )
            took = time.perf_counter() - tic
            val_loss, val_acc = model_evaluate(model, val_x, val_y, batch_size)
            seen, seconds = seen + len(order), seconds + took
            row = {
                "epoch": epoch + 1,
                "loss": float(result.history["loss"][-1]),
                "accuracy": float(result.history["accuracy"][-1]),
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "seconds": round(took, 3),
            }
            if rate is not None:
                row["learning_rate"] = rate
            check_finite(model, row)
            rows.append(row)
            improved = val_acc > best_score  # ties keep the earlier epoch
            if improved:
                best_score, best_epoch = val_acc, epoch + 1
                best_weights = model.get_weights()
            if ckpt is not None:
                state = write_checkpoint(ckpt, epoch=epoch + 1, trainer=trainer, model=model, improved=improved,
                                         state=dict(state, history=rows, best_epoch=best_epoch, best_score=best_score))
            if verbose:
                log(f"  epoch {epoch + 1:3d}/{epochs}: loss {row['loss']:.4f} acc {row['accuracy']:.4f} "
                    f"val_loss {val_loss:.4f} val_acc {val_acc:.4f} ({took:.1f} s, "
                    f"{len(order) / took:.0f} images/s)")

    model.set_weights(best_weights)
    history = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS) + (["learning_rate"] if recipe is not None else []))
    info = {"best_epoch": int(best_epoch), "train_seconds": round(seconds, 3),
            "train_images": int(seen), "resumed_from_epoch": int(resumed_from),
            "jit_compile": bool(trainer.jit_compile)}
    return history, info


class StopWhenInterrupted(keras.callbacks.Callback):
    """Raise ``KeyboardInterrupt`` at the end of the batch during which Ctrl-C was pressed
    (:func:`ferlib.interrupt.raise_if_requested`); it changes nothing else. It only reads a
    flag, so Keras may call it from its callback thread, as it calls its own (a callback
    that is not ``async_safe`` would make every batch wait for the one before)."""

    async_safe = True

    def on_train_batch_end(self, batch, logs=None):
        interrupt.raise_if_requested()


class TrainingDiverged(FloatingPointError):
    """A run's loss or weights stopped being finite numbers: the run is abandoned."""


def check_finite(model, row: dict) -> None:
    """Raise :class:`TrainingDiverged` when an epoch's losses or the model's weights are
    not finite, before anything of that epoch is checkpointed or stored."""
    bad = [name for name in ("loss", "val_loss") if not np.isfinite(row[name])]
    if not bad and not all(np.isfinite(np.asarray(w)).all() for w in model.get_weights()):
        bad = ["weights"]
    if bad:
        raise TrainingDiverged(
            f"epoch {row['epoch']}: {' and '.join(bad)} not finite (loss {row['loss']}, val_loss "
            f"{row['val_loss']}); the run diverged and nothing of it is stored as finished: "
            f"lower the learning rate")


def model_evaluate(model, images, labels, batch_size):
    """Loss and accuracy of ``model`` (no augmentation) on ``(n, 48, 48[,1])`` images."""
    probs = predict_proba(model, images, batch_size)
    labels = np.asarray(labels)
    picked = np.clip(probs[np.arange(len(labels)), labels], 1e-7, 1.0)
    return float(-np.log(picked).mean()), float((probs.argmax(1) == labels).mean())


def predict_proba(model, images, batch_size=256) -> np.ndarray:
    """``(n, 7)`` float32 class probabilities for ``(n, 48, 48[,1])`` images."""
    probs = model.predict(as_batch(images), batch_size=batch_size, verbose=0)
    return np.asarray(probs, dtype=np.float32)
