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
                       "synthetic_expressions": "standard", "folds": 5,
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
