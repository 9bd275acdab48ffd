"""Checks on Keras's JAX backend, run together in one subprocess (``KERAS_BACKEND=jax``).

Each check starting its own Python would start Keras and JAX once per check, which costs
more than most of the checks themselves; here they share one start. The slow tier runs
all of them once per pytest run (:func:`slow_checks`, through conftest.py's session
fixture ``jax_checks``, read by test_augment.py, test_cli.py, test_models.py and
test_recipe.py); :func:`run_checks` runs any of them.

Run as a script, this module takes one JSON argument ``{check: argument}``, runs those
checks in that order and prints one line ``RESULT {json}``: ``{check: what it returned}``,
or ``{check: {"error": traceback}}`` for a check that raised, so that one broken check
names itself and the others still report.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

#: The CLI's smallest training (test_cli.py's ``SMOKE``).
SMOKE = ["--profile", "smoke", "--epochs", "1", "--limit-train", "64", "--quiet"]


def models(model_ids):
    """Build each model of ``model_ids`` and run it on two images: its parameter count,
    the output's shape and each row's sum."""
    import numpy as np

    from ferlib import models as ferlib_models

    result = {}
    images = np.random.default_rng(0).integers(0, 256, (2, 48, 48, 1)).astype("float32")
    for model_id in model_ids:
        model = ferlib_models.build_model(int(model_id), seed=0)
        probs = np.asarray(model(images, training=False))
        result[str(model_id)] = {"params": int(model.count_params()), "shape": list(probs.shape),
                                 "row_sums": probs.sum(axis=1).tolist()}
    return result


def augmenter(_):
    """The augmenter on four images: its output's shape and range, how much it changed
    them, whether two augmenters of one seed agree, and whether it leaves images alone
    at inference."""
    import numpy as np

    from ferlib import augment

    images = np.linspace(0, 255, 4 * 48 * 48, dtype="float32").reshape(4, 48, 48, 1)
    images = images[:, :, ::-1] * 0.5 + images.transpose(0, 2, 1, 3) * 0.5
    out_a = np.asarray(augment.make_augmenter(seed=0, blur=1.0)(images, training=True))
    out_b = np.asarray(augment.make_augmenter(seed=0, blur=1.0)(images, training=True))
    infer = np.asarray(augment.make_augmenter(seed=0)(images, training=False))
    return {"shape": list(out_a.shape), "min": float(out_a.min()), "max": float(out_a.max()),
            "changed": float(np.abs(out_a - images).mean()),
            "deterministic": bool(np.array_equal(out_a, out_b)),
            "identity_at_inference": bool(np.array_equal(infer, images))}


def cli(argv_list):
    """``python -m ferlib`` (its :func:`ferlib.cli.main`) for each argument list in turn:
    ``[{"code", "stdout", "stderr"}, ...]``."""
    from ferlib.cli import main

    done = []
    for argv in argv_list:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
        done.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
    return done


CHECKS = {"models": models, "augmenter": augmenter, "cli": cli}


def run_checks(checks: dict, *, timeout: int = 900) -> dict:
    """Run ``{check: argument}`` (names of :data:`CHECKS`) in one subprocess on Keras's JAX
    backend; returns ``{check: result}`` as the script prints it. Skips the calling test
    when JAX is not installed; fails it, with the subprocess's stderr, when no result
    comes back."""
    import importlib.util

    import pytest

    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed, so the JAX backend cannot be checked")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), json.dumps(checks)],
                          env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert done.returncode == 0 and lines, f"exit {done.returncode}:\n{done.stderr[-3000:]}"
    results = json.loads(lines[-1][len("RESULT"):])
    assert sorted(results) == sorted(checks), results
    return results


def slow_checks(store) -> dict:
    """The slow tier's JAX checks (conftest.py's session fixture ``jax_checks`` runs them
    once per pytest run); ``store``, a fresh folder, holds their runs. Returns
    ``{"models": every paper model, "augmenter", "cli": [train, the same train again (a
    store hit), the modern recipe's train], "cli_store", "recipe_store"}``, each check's
    result as :func:`run_checks` gives it (read it with :func:`result`)."""
    from ferlib.vocabulary import PAPER_MODELS

    cli_store, recipe_store = Path(store) / "cli", Path(store) / "recipe"
    train = ["train", "--model", "2", "--dataset", "jaffe", "--store", str(cli_store)] + SMOKE
    recipe = ["train", "--model", "2", "--dataset", "jaffe", "--recipe", "modern", "--profile", "smoke",
              "--epochs", "2", "--limit-train", "64", "--quiet", "--store", str(recipe_store)]
    results = run_checks({"models": list(PAPER_MODELS), "augmenter": None, "cli": [train, train, recipe]})
    return dict(results, cli_store=cli_store, recipe_store=recipe_store)


def result(results: dict, check: str):
    """One check's result; fails the test with the check's traceback when it raised."""
    found = results[check]
    assert not (isinstance(found, dict) and "error" in found), f"{check} on JAX raised:\n{found['error']}"
    return found


def _main(argument: str) -> None:
    import keras

    assert keras.backend.backend() == "jax", keras.backend.backend()
    results = {}
    for name, value in json.loads(argument).items():
        try:
            results[name] = CHECKS[name](value)
        except Exception:  # reported as this check's result; the other checks still run
            results[name] = {"error": traceback.format_exc()}
    print("RESULT" + json.dumps(results))


if __name__ == "__main__":
    _main(sys.argv[1])
