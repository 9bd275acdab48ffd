"""The paper's experiments without a committed protocol run, each with the compute it
needs (``results/paper/missing.json``).

The reasons are computed, not written by hand: a run's size is 75 epochs of at least
1,024 images or one class-balanced pass of its training part, whichever is larger, and
its time on 2 CPU cores follows from each model's measured training rate. So the file
cannot drift from the protocol or from the committed runs:

    entries = missing_entries(PAPER_RESULTS)      # [{"key": [...], "reason": "..."}]
    save_missing(PAPER_RESULTS)                   # rewrites missing.json atomically
"""

from __future__ import annotations

import json
from pathlib import Path

from ferlib.config import PROFILES
from ferlib.results import MISSING_FILE, paper_experiments, paper_results, write_json_atomic

#: Training images per second of each model on 2 CPU cores (TensorFlow, float32, batch
#: 64, plain Keras), measured on the machines the committed runs were trained on.
CPU_IMAGES_PER_S = {1: 62, 2: 200, 3: 25}

#: Training images of one class-balanced pass (7 classes times the largest class of the
#: training part) of each of the paper's data sets under the protocol's split.
BALANCED_PASS = {"fer2013": 7 * 7215, "jaffe": 7 * 20, "ckplus": 7 * 229}

ABOUT = ("The paper's experiments with no committed protocol run in this folder, and the compute "
         "they need. Made by `python -m ferlib missing --save`; train a run with `python -m ferlib "
         "train/finetune --profile paper --data-dir DATA` (or `python -m ferlib reproduce`), add it "
         "with `python -m ferlib export`, then run `python -m ferlib missing --save` again.")


def run_images(dataset: str, *, profile: str = "paper") -> int:
    """Training images one protocol run on ``dataset`` (the paper's name) draws in all."""
    preset = PROFILES[profile]
    return preset["epochs"] * max(preset.get("min_epoch_images") or 0, BALANCED_PASS[dataset])


def cpu_time(images: int, model: int) -> str:
    """``images`` of ``model`` on 2 CPU cores, in words ("about 32 min", "about 17 CPU-hours")."""
    seconds = images / CPU_IMAGES_PER_S[model]
    if seconds < 5400:
        return f"about {max(1, round(seconds / 60))} min"
    return f"about {round(seconds / 3600)} CPU-hours"


def missing_reason(key, have) -> str:
    """Why experiment ``key`` ``(model, dataset, source)`` has no run, given the committed
    protocol runs ``have`` (``{key: Run}``), in terms of the compute it needs."""
    model, dataset, source = key
    if source is None:
        images = run_images(dataset)
        if dataset == "fer2013":
            return (f"75 class-balanced FER2013 epochs are {images / 1e6:.1f} million images; Model {model} "
                    f"trains at about {CPU_IMAGES_PER_S[model]} images/s on 2 CPU cores (TensorFlow, "
                    f"float32), {cpu_time(images, model)}, or minutes on a GPU")
        return (f"not trained yet: {images:,} images, {cpu_time(images, model)} of Model {model} on "
                f"2 CPU cores (TensorFlow, float32)")
    start = (model, source, None)
    if start not in have:
        return f"it starts from the FER2013 run of Model {model}, which is missing (see that row)"
    return (f"it starts from the weights of the FER2013 run of Model {model} ({have[start].id}); committed "
            f"results keep no weights, so that run ({cpu_time(run_images(source), model)} on 2 CPU cores) "
            f"must be trained again before the fine-tune (minutes)")


def missing_entries(results_dir) -> list:
    """``[{"key": [model, dataset, source], "reason": str}]`` for every paper experiment
    without a committed protocol run (seed 0) in ``results_dir``, in the paper's order."""
    have = paper_results(results_dir)
    return [{"key": list(key), "reason": missing_reason(key, have)}
            for key in paper_experiments() if key not in have]


def save_missing(results_dir) -> Path:
    """Rewrite ``results_dir/missing.json`` from :func:`missing_entries` (atomically)."""
    return write_json_atomic({"about": ABOUT, "runs": missing_entries(results_dir)},
                             Path(results_dir) / MISSING_FILE)


def missing_is_current(results_dir) -> bool:
    """Whether ``results_dir/missing.json`` holds exactly :func:`missing_entries`."""
    path = Path(results_dir) / MISSING_FILE
    return path.exists() and json.loads(path.read_text()).get("runs") == missing_entries(results_dir)
