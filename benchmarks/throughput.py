"""Training and inference throughput (images/s) of the three models.

Usage:
    python benchmarks/throughput.py [--models 1 2 3] [--batch-size 64] [--steps 20]
                                    [--precision float32|mixed_bfloat16] [--no-augment]
    KERAS_BACKEND=jax python benchmarks/throughput.py

Times ``model.fit`` over ``--steps`` batches of random 48x48 images after a warm-up
epoch (which includes compilation), the same way :mod:`ferlib.training` trains
(augmentation layers included unless ``--no-augment``), and ``model.predict`` over
the same images. Prints one line per model and the backend, device and precision.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ferlib.experiment import environment  # noqa: E402
from ferlib.models import build_model  # noqa: E402
from ferlib.training import compile_for_training, training_model  # noqa: E402


def measure(model_id, *, batch_size, steps, precision, augment, seed=0):
    keras.utils.set_random_seed(seed)
    keras.config.set_dtype_policy(precision)
    try:
        model = build_model(model_id, seed=seed)
    finally:
        keras.config.set_dtype_policy("float32")
    trainer = training_model(model, augment=augment, seed=seed)
    compile_for_training(trainer, 1e-3)
    rng = np.random.default_rng(seed)
    n = batch_size * steps
    x = rng.integers(0, 256, (n, 48, 48, 1), dtype=np.uint8)
    y = rng.integers(0, 7, n)
    trainer.fit(x[: batch_size * 2], y[: batch_size * 2], batch_size=batch_size, epochs=1, verbose=0)
    tic = time.perf_counter()
    trainer.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    train_rate = n / (time.perf_counter() - tic)
    model.predict(x[:batch_size], batch_size=256, verbose=0)
    tic = time.perf_counter()
    model.predict(x, batch_size=256, verbose=0)
    infer_rate = n / (time.perf_counter() - tic)
    return train_rate, infer_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--no-augment", action="store_true")
    args = parser.parse_args()
    env = environment()
    print(f"backend {env['backend']}, device {env['device']}, processor {env['hardware']['processor']}, "
          f"{env['hardware']['cpu_count']} cpus, precision {args.precision}, batch {args.batch_size}, "
          f"augment {not args.no_augment}")
    for model_id in args.models:
        train_rate, infer_rate = measure(model_id, batch_size=args.batch_size, steps=args.steps,
                                         precision=args.precision, augment=not args.no_augment)
        print(f"model {model_id}: train {train_rate:8.1f} images/s   inference {infer_rate:8.1f} images/s")


if __name__ == "__main__":
    main()
