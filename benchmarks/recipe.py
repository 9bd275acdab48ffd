"""Training throughput of the modern recipe (ferlib.recipe), and the projected wall time
of one of its FER2013 runs on this machine.

Usage:
    python benchmarks/recipe.py [--recipe modern] [--cell recipe] [--model 2] [--steps 30]
                                [--epochs 100]
    KERAS_BACKEND=jax python benchmarks/recipe.py

Times ``fit`` over ``--steps`` batches of random 48x48 images after a warm-up (which
includes compilation), the way :func:`ferlib.training.fit` trains a recipe run: the
recipe's augmenter, optimiser and loss (:mod:`ferlib.recipe_training`); then the same
for the paper's training (Adam, the paper's augmenter off, as the protocol trains) for
comparison; then inference, one view and ten crops. Prints images/s and the projected
wall time of a run of ``--epochs`` epochs on FER2013: each epoch one pass over the
28,709 training images (the recipe does not oversample; 50,505 with oversampling) and
one plain pass over the
3,589 validation images, then the val and test parts once with ten crops. The numbers
are wall-clock: on a machine shared with other jobs they count the waits for a core;
the CPU time per image, and the projection from it for a run with every core to itself,
count the work alone.
"""

import argparse
import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ferlib import paper  # noqa: E402
from ferlib.experiment import environment  # noqa: E402
from ferlib.models import build_model  # noqa: E402
from ferlib.recipe import RECIPES, recipe_config  # noqa: E402
from ferlib.recipe_augment import ten_crop_proba  # noqa: E402
from ferlib.recipe_training import training_recipe  # noqa: E402
from ferlib.training import compile_for_training, training_model  # noqa: E402


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads) so far, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def train_rate(trainer, targets, *, batch_size, steps, seed=0) -> tuple:
    """``(images/s, CPU seconds per image)`` of ``trainer.fit`` over ``steps`` batches,
    after a two-batch warm-up. The CPU time counts the work alone, not the waits for a
    core on a shared machine."""
    rng = np.random.default_rng(seed)
    n = batch_size * steps
    x = rng.integers(0, 256, (n, 48, 48, 1), dtype=np.uint8)
    y = targets(rng.integers(0, 7, n))
    trainer.fit(x[: batch_size * 2], y[: batch_size * 2], batch_size=batch_size, epochs=1, verbose=0)
    tic, cpu = time.perf_counter(), cpu_seconds()
    trainer.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    return n / (time.perf_counter() - tic), (cpu_seconds() - cpu) / n


def inference_rates(model, *, n=1024, seed=0) -> tuple:
    """Images/s of one-view and of ten-crop prediction (images, not views, per second)."""
    x = np.random.default_rng(seed).integers(0, 256, (n, 48, 48), dtype=np.uint8)
    model.predict(x[:256, ..., None], batch_size=256, verbose=0)
    tic = time.perf_counter()
    model.predict(x[..., None], batch_size=256, verbose=0)
    one = n / (time.perf_counter() - tic)
    tic = time.perf_counter()
    ten_crop_proba(model, x)
    return one, n / (time.perf_counter() - tic)


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h ({seconds / 60:.0f} min)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", choices=list(RECIPES), default="modern")
    parser.add_argument("--cell", default="recipe", help="an ablation cell of ferlib.recipe.ABLATION")
    parser.add_argument("--model", type=int, choices=(1, 2, 3), default=2)
    parser.add_argument("--steps", type=int, default=30, help="timed batches per measurement")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the projected run (default: the recipe's)")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")

    config = recipe_config(args.cell, model=args.model, recipe=args.recipe, data="real")
    config = dataclasses.replace(config, epochs=args.epochs or config.epochs)
    settings = training_recipe(config)
    env = environment()
    print(f"backend {env['backend']}, device {env['device']}, processor {env['hardware']['processor']}, "
          f"{env['hardware']['cpu_count']} cpus; model {config.model}, recipe {args.recipe!r} cell {args.cell!r}: "
          f"{config.optimizer} at {config.learning_rate:g}, {config.schedule} schedule, label smoothing "
          f"{config.label_smoothing:g}, {config.augmentation if config.augment else 'no'} augmentation, tta {config.tta}, "
          f"batch {config.batch_size}")

    keras.utils.set_random_seed(0)
    model = build_model(config.model, seed=0)
    if config.augment and settings.own_augmentation:
        trainer = settings.trainer(model, seed=0)
    else:
        trainer = training_model(model, augment=config.augment, seed=0)
    settings.compile(trainer)
    recipe_rate, recipe_cpu = train_rate(trainer, lambda y: settings.targets(y, 7), batch_size=config.batch_size,
                             steps=args.steps)

    keras.utils.set_random_seed(0)
    plain = build_model(config.model, seed=0)
    compile_for_training(plain, 1e-4)
    paper_rate, paper_cpu = train_rate(plain, lambda y: y, batch_size=config.batch_size, steps=args.steps)
    one_view, ten_crops = inference_rates(model)

    counts = paper.SPLIT_SIZES["fer2013"]
    per_epoch = (counts["train"] if config.balance == "none"
                 else len(paper.FER2013_TRAIN_CLASS_COUNTS) * max(paper.FER2013_TRAIN_CLASS_COUNTS.values()))
    epoch_s = per_epoch / recipe_rate + counts["val"] / one_view
    final_s = (counts["val"] + counts["test"]) / (ten_crops if config.tta == "ten-crop" else one_view)
    cores = os.cpu_count() or 1
    print(f"train: recipe {recipe_rate:8.1f} images/s ({1000 * recipe_cpu:.2f} CPU ms per image); the paper's "
          f"training (Adam, no augmentation) {paper_rate:8.1f} images/s ({1000 * paper_cpu:.2f} CPU ms per image)")
    print(f"inference: one view {one_view:8.1f} images/s; ten crops {ten_crops:8.1f} images/s")
    print(f"projected FER2013 run of {config.epochs} epochs ({per_epoch:,} training images per epoch, "
          f"val {counts['val']:,} each epoch, val and test with {config.tta} at the end): "
          f"{hours(config.epochs * epoch_s + final_s)}, {epoch_s:.0f} s per epoch")
    alone = config.epochs * per_epoch * recipe_cpu / cores
    print(f"its training alone, from CPU time, were the run to have all {cores} cores to itself: "
          f"{hours(alone)} (evaluation not counted)")


if __name__ == "__main__":
    main()
