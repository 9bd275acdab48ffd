"""Training and inference throughput (images/s) of the three models.

Usage:
    python benchmarks/throughput.py [--models 1 2 3] [--batch-size 64] [--steps 20]
                                    [--precision float32|mixed_bfloat16] [--no-augment]
    KERAS_BACKEND=jax python benchmarks/throughput.py

Times ``model.fit`` over ``--steps`` batches of random 48x48 images after a warm-up
epoch (which includes compilation), the same way :mod:`ferlib.training` trains
(augmentation layers included unless ``--no-augment``), and ``model.predict`` over
the same images. Prints one line per model and the backend, device and precision.

It also says how close training comes to what this processor can do: it names the vector
extensions ``/proc/cpuinfo`` lists (AVX2, FMA, AVX-512, AVX512_BF16, AMX), times a
``--matmul-size`` square matrix product in float32 and in bfloat16 with the backend's own
``keras.ops.matmul`` (and numpy's float32 product), and prints each model's training
FLOP/s (images/s times three forward passes of :func:`ferlib.models.forward_flops`) as a
share of the measured float32 product. On a processor without bfloat16 units the
bfloat16 product is emulated, and slower than float32.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ferlib.experiment import environment  # noqa: E402
from ferlib.models import build_model, forward_flops  # noqa: E402
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


#: ``(name, /proc/cpuinfo flag)`` of the vector extensions that decide a CPU's matrix speed.
EXTENSIONS = (("AVX2", "avx2"), ("FMA", "fma"), ("AVX-512", "avx512f"), ("AVX512_BF16", "avx512_bf16"),
              ("AVX-VNNI", "avx_vnni"), ("AMX", "amx_tile"), ("AMX-BF16", "amx_bf16"))


def cpu_extensions(path="/proc/cpuinfo") -> dict:
    """``{name: found}`` for each of :data:`EXTENSIONS`, from the first ``flags`` line of
    ``path`` (all ``False`` where it cannot be read)."""
    flags = set()
    try:
        for line in open(path, encoding="utf-8"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    return {name: flag in flags for name, flag in EXTENSIONS}


def matmul_flops(dtype, *, size=2048, repeats=5, seed=0) -> float:
    """FLOP/s of ``keras.ops.matmul`` of two ``size x size`` matrices of ``dtype`` on the
    running backend: ``2 size**3`` operations over the best of ``repeats`` timed products
    (after one untimed), each brought back to numpy so that it is finished."""
    rng = np.random.default_rng(seed)
    a = keras.ops.convert_to_tensor(rng.standard_normal((size, size)).astype("float32"), dtype=dtype)
    b = keras.ops.convert_to_tensor(rng.standard_normal((size, size)).astype("float32"), dtype=dtype)
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
    best = float("inf")
    for _ in range(repeats):
        tic = time.perf_counter()
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
        best = min(best, time.perf_counter() - tic)
    return 2 * size ** 3 / best


def numpy_matmul_flops(*, size=2048, repeats=5, seed=0) -> float:
    """FLOP/s of numpy's float32 matrix product (its BLAS), as :func:`matmul_flops`."""
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    a @ b
    best = float("inf")
    for _ in range(repeats):
        tic = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - tic)
    return 2 * size ** 3 / best


def training_flops(model_id) -> int:
    """FLOPs of training one image of ``model_id``: three forward passes
    (:func:`ferlib.models.forward_flops`)."""
    return 3 * forward_flops(build_model(model_id))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--matmul-size", type=int, default=2048, help="side of the timed matrix products")
    args = parser.parse_args()
    env = environment()
    print(f"backend {env['backend']}, device {env['device']}, processor {env['hardware']['processor']}, "
          f"{env['hardware']['cpu_count']} cpus, precision {args.precision}, batch {args.batch_size}, "
          f"augment {not args.no_augment}")
    found = cpu_extensions()
    print("vector extensions found: " + (", ".join(n for n, f in found.items() if f) or "none")
          + "; not found: " + (", ".join(n for n, f in found.items() if not f) or "none"))
    peak = {dtype: matmul_flops(dtype, size=args.matmul_size) for dtype in ("float32", "bfloat16")}
    print(f"measured peak, {args.matmul_size}x{args.matmul_size} matrix product: float32 "
          f"{peak['float32'] / 1e9:.1f} GFLOP/s, bfloat16 {peak['bfloat16'] / 1e9:.1f} GFLOP/s "
          f"({env['backend']} keras.ops.matmul); numpy float32 {numpy_matmul_flops(size=args.matmul_size) / 1e9:.1f} GFLOP/s")
    reference = peak["bfloat16" if "bfloat16" in args.precision else "float32"]
    for model_id in args.models:
        train_rate, infer_rate = measure(model_id, batch_size=args.batch_size, steps=args.steps,
                                         precision=args.precision, augment=not args.no_augment)
        flops = training_flops(model_id)
        print(f"model {model_id}: train {train_rate:8.1f} images/s   inference {infer_rate:8.1f} images/s   "
              f"{flops / 1e6:.0f} MFLOP per training image: {train_rate * flops / 1e9:.1f} GFLOP/s, "
              f"{train_rate * flops / reference:.0%} of the measured {'bfloat16' if 'bfloat16' in args.precision else 'float32'} peak")


if __name__ == "__main__":
    main()
