"""A run's identity: what makes two runs the same run.

A run's id is the sha256 (first 16 hex digits) of three things:

- its config (:class:`~ferlib.config.RunConfig`), as :func:`identity_fields` gives it;
- the fingerprint of the data it trains and is tested on
  (:func:`ferlib.fingerprint.dataset_fingerprint`, which changes when a loader changes a
  pixel, a label or a split);
- :data:`NUMERICS_VERSION`, a number bumped by hand whenever a change to the code would
  make the same config on the same data give different numbers (another augmentation,
  initialisation, loss, order of images, metric...).

Comments, docstrings, renames and refactorings leave all three alone, so they leave every
stored and committed run valid. A change of numbers without a bump is caught by the
golden test (``tests/test_numerics.py``): it trains a tiny synthetic run per model and
compares its losses and probabilities with the ones recorded for the current version.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from ferlib.fingerprint import fingerprint_json

#: Bump when the numbers a run produces change (and record new golden values with
#: ``python tests/golden.py --update``). Every stored run then needs training again.
#: History: 1 = the training code of the first committed results (git 65c34eb).
NUMERICS_VERSION = 1

#: Config fields added after runs were stored, each with the value that gives the
#: numbers runs had before the field existed. A field at that value is left out of the
#: id, so adding a field never changes the id of an existing run. The value must never
#: change once a field is listed here.
LEGACY_VALUES: dict = {"augment_scale": 1.0, "min_epoch_images": None, "input_scaling": "unit",
                       "synthetic_expressions": "standard", "folds": 5, "dropout_scale": 1.0,
                       # the modern recipe (ferlib.recipe): the paper's training
                       "optimizer": "adam", "momentum": 0.9, "weight_decay": 0.0, "schedule": "constant",
                       "plateau_factor": 0.75, "plateau_patience": 5, "min_learning_rate": 0.0,
                       "early_stopping": None, "label_smoothing": 0.0, "augmentation": "paper",
                       "flip": True, "crop_padding": 4, "rotation_degrees": 10.0, "erasing": 0.5,
                       "tta": "none"}


def identity_fields(config) -> dict:
    """The config fields that enter the run id: all of them, except those at their
    :data:`LEGACY_VALUES` value."""
    values = config.to_dict()
    return {name: value for name, value in values.items()
            if not (name in LEGACY_VALUES and value == LEGACY_VALUES[name])}


def run_id(config, data_fingerprint: str, numerics: int = NUMERICS_VERSION) -> str:
    """The 16-hex-digit id of a run: sha256 of config, data fingerprint and numerics version."""
    if not isinstance(numerics, int) or isinstance(numerics, bool):
        raise TypeError(f"numerics must be an int (a NUMERICS_VERSION), got {numerics!r}")
    return fingerprint_json({"config": identity_fields(config), "data": data_fingerprint,
                             "numerics": numerics})[:16]


# --------------------------------------------------------------------------- processors

#: The processor features that decide which kernels float32 convolutions and matrix
#: products run on (oneDNN and XLA pick them at run time): two processors with the same
#: vendor and the same of these features give the same numbers, bit for bit.
VECTOR_EXTENSIONS = ("sse4_2", "avx", "avx2", "fma", "avx_vnni", "avx512f", "avx512bw", "avx512vl",
                     "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8",
                     "amx_fp16", "asimd", "sve", "sve2")

#: What to expect when a run is repeated on another processor (for the book's page on
#: reproducibility).
REPRODUCIBILITY_NOTE = (
    "A run repeated with the same code, data, seed and library versions on the same kind of "
    "processor (the same vendor and the same vector extensions, such as AVX2, AVX-512 or AMX) "
    "gives the same numbers, digit for digit. On another kind of processor the arithmetic is "
    "the same, but the libraries add numbers in another order, so the last digits differ: "
    "the losses of a first epoch by about one part in 10,000. Training can amplify such a "
    "difference: in ferlib's golden runs, Model 3's training loss after two short epochs "
    "differs by 2.5% between an Intel Xeon with AMX and the AMD EPYC the numbers were recorded "
    "on, and by 2.9% on an AMD EPYC with AVX2 only, while its validation losses and "
    "probabilities agree to four decimals. Over a long training a few test images may change class, so a run "
    "repeated on another processor is expected to land near the committed accuracy, not on "
    "it: within two binomial standard errors, the tolerance of the test that trains a "
    "committed run again. The golden test compares numbers exactly on the kind of processor "
    "they were recorded on and, on any other kind, leaves out only what was measured to move.")


def processor(cpuinfo: str | None = None) -> dict:
    """The kind of processor this machine has, as the numerics see it.

    ``cpuinfo``: the text of ``/proc/cpuinfo`` (read when ``None``; on a system without
    it the vendor and model come from :mod:`platform` and no extension is listed).

    Returns:
        ``{"vendor": str, "model_name": str, "vector_extensions": [str, ...]}``, the
        extensions those of :data:`VECTOR_EXTENSIONS` that the processor has, in that order.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            cpuinfo = ""
    fields = {}
    for line in cpuinfo.splitlines():
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if colon and key not in fields:
            fields[key] = value.strip()
    flags = set((fields.get("flags") or fields.get("features") or "").split())
    vendor = fields.get("vendor_id") or fields.get("cpu implementer") or platform.machine() or "unknown"
    model = fields.get("model name") or fields.get("processor") or platform.processor() or "unknown"
    return {"vendor": vendor, "model_name": model,
            "vector_extensions": [name for name in VECTOR_EXTENSIONS if name in flags]}


#: The vector extensions of :data:`VECTOR_EXTENSIONS` that multiply bfloat16 numbers in
#: hardware (AVX512_BF16's dot products, AMX's bfloat16 tiles): on a processor with neither,
#: bfloat16 arithmetic is emulated and slower than float32.
BFLOAT16_EXTENSIONS = ("avx512_bf16", "amx_bf16")


def has_bfloat16_units(description: dict | None = None) -> bool:
    """Whether a processor multiplies bfloat16 numbers in hardware: one of
    :data:`BFLOAT16_EXTENSIONS` among its vector extensions.

    ``description``: a :func:`processor` dict; ``None`` reads this machine's.
    """
    if description is None:
        description = processor()
    return any(name in (description.get("vector_extensions") or ()) for name in BFLOAT16_EXTENSIONS)


def same_processor_kind(a: dict, b: dict) -> bool:
    """Whether two :func:`processor` descriptions give the same numbers: same vendor and
    the same vector extensions (the model name does not matter)."""
    mine, theirs = a.get("vector_extensions"), b.get("vector_extensions")
    if mine is None or theirs is None:  # not recorded: never the same kind
        return False
    return a.get("vendor") == b.get("vendor") and sorted(mine) == sorted(theirs)


# --------------------------------------------------------------------------- the code

#: Names the commit where the code runs from a copy of the tree without git (a GPU
#: machine, a book built from an archive): ``FERLIB_GIT_COMMIT=<sha> python -m ferlib ...``.
GIT_COMMIT_VARIABLE = "FERLIB_GIT_COMMIT"


def git_commit(root=None, *, digits: int | None = None) -> str:
    """The project's git commit, with ``-dirty`` when tracked files changed; with
    ``digits``, only its first ``digits`` hex digits (as ``git rev-parse --short``).

    ``root``: the repository (default: the one holding the ``ferlib`` package). Where git
    cannot tell (no repository), the value of ``$FERLIB_GIT_COMMIT`` (cut likewise) if
    set, else ``"unknown"``.
    """
    root = Path(root) if root is not None else Path(__file__).resolve().parent.parent
    given = os.environ.get(GIT_COMMIT_VARIABLE, "").strip()[:digits] or "unknown"
    head = ["git", "rev-parse", "HEAD"] if digits is None else ["git", "rev-parse", f"--short={digits}", "HEAD"]
    try:
        sha = subprocess.run(head, cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return given
    return (sha + ("-dirty" if dirty else "")) if sha else given
