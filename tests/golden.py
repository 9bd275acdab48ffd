"""Golden numbers: tiny synthetic runs whose losses and probabilities pin ferlib's numerics,
and the fingerprints of synthetic data sets, which pin ferlib's synthetic faces.

``tests/test_numerics.py`` trains the runs of :data:`GOLDEN_CASES` again and compares them
with ``tests/golden_numerics.json``, which records them for one
:data:`ferlib.identity.NUMERICS_VERSION`. A code change that moves these numbers must bump
that version (which makes every stored run stale) and record new golden numbers:

    python tests/golden.py --update
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

GOLDEN_FILE = Path(__file__).with_name("golden_numerics.json")

#: ``{name: RunConfig fields}``: every model, and each setting the protocol varies.
_TINY = dict(dataset="jaffe", data="synthetic", synthetic_size=140, epochs=2, batch_size=32,
             limit_train=48)
GOLDEN_CASES = {
    **{f"model{model}": dict(_TINY, model=model) for model in (1, 2, 3)},
    "model2-epoch-images": dict(_TINY, model=2, min_epoch_images=96),
    "model2-augment-half": dict(_TINY, model=2, augment_scale=0.5),
    "model2-no-augment": dict(_TINY, model=2, augment=False),
    "model2-standardize": dict(_TINY, model=2, input_scaling="standardize"),
    "model2-no-balance": dict(_TINY, model=2, balance="none"),
}


#: ``{name: (domain, images, seed, expressions)}``: synthetic data sets whose fingerprints
#: are recorded. Every kind of face, part and photometry occurs in them; a refactoring of
#: :mod:`ferlib.synthetic` must leave them byte-identical.
SYNTHETIC_CASES = {"fer2013-560-seed0": ("fer2013", 560, 0, "standard"),
                   "ckplus-210-seed1": ("ckplus", 210, 1, "standard"),
                   "jaffe-140-seed0": ("jaffe", 140, 0, "standard"),
                   "fer2013-clear-280-seed0": ("fer2013", 280, 0, "clear")}


def synthetic_fingerprints() -> dict:
    """``{name: fingerprint}`` of each :data:`SYNTHETIC_CASES` data set
    (:func:`ferlib.fingerprint.dataset_fingerprint`: images, labels, splits, subjects and
    sequences) and of each domain's prototype faces."""
    from ferlib.fingerprint import dataset_fingerprint, fingerprint_arrays
    from ferlib.synthetic import DOMAINS, make_synthetic, prototype_faces

    found = {name: dataset_fingerprint(make_synthetic(domain, n, seed=seed, expressions=expressions))
             for name, (domain, n, seed, expressions) in SYNTHETIC_CASES.items()}
    found.update({f"{domain}-prototypes": fingerprint_arrays(images=prototype_faces(domain))
                  for domain in DOMAINS})
    return found


def golden_numbers(fields: dict) -> dict:
    """Train one golden case into a throw-away store: per-epoch losses and the test
    part's class probabilities (rounded to 6 decimals)."""
    from ferlib.config import RunConfig
    from ferlib.experiment import train_run

    config = RunConfig(**fields)
    with tempfile.TemporaryDirectory() as store:
        run = train_run(config, store, verbose=0)
    test = run.predictions[run.predictions["part"] == "test"]
    probabilities = test.filter(like="p_").to_numpy()
    return {
        "loss": [round(float(v), 6) for v in run.history["loss"]],
        "val_loss": [round(float(v), 6) for v in run.history["val_loss"]],
        "test_probabilities": [[round(float(p), 6) for p in row] for row in probabilities],
    }


def read_golden() -> dict:
    """The recorded golden numbers: ``{"numerics_version": int, "cases": {name: numbers}}``."""
    return json.loads(GOLDEN_FILE.read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true",
                        help=f"train the golden cases and write {GOLDEN_FILE.name}")
    args = parser.parse_args(argv)
    if not args.update:
        parser.print_help()
        return 2
    from ferlib.identity import NUMERICS_VERSION

    cases = {name: golden_numbers(fields) for name, fields in GOLDEN_CASES.items()}
    import keras

    text = json.dumps({"numerics_version": NUMERICS_VERSION, "backend": keras.backend.backend(),
                       "synthetic_data": synthetic_fingerprints(), "cases": cases}, indent=1) + "\n"
    from ferlib.atomic import write_text

    write_text(GOLDEN_FILE, text)
    print(f"wrote {GOLDEN_FILE} for numerics version {NUMERICS_VERSION}: {', '.join(cases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
