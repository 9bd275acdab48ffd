"""Golden numbers: tiny synthetic runs whose losses and probabilities pin ferlib's numerics,
and the fingerprints of synthetic data sets, which pin ferlib's synthetic faces.

``tests/test_numerics.py`` trains the runs of :data:`GOLDEN_CASES` again and compares them
with ``tests/golden_numerics.json``, which records them for one
:data:`ferlib.identity.NUMERICS_VERSION`, with the machine each set of numbers was made on
(:func:`this_machine`: processor vendor, model and vector extensions, Keras backend and
library versions):

- ``machine`` and ``cases``: the reference numbers;
- ``other_machines``: ``[{"machine": ..., "cases": ...}]``, the same cases recorded on
  other kinds of processor.

On a machine of the same kind as a recording (:func:`same_kind`) its numbers must agree
to :data:`EXACT` (the noise of one machine is zero; the tolerance only absorbs the six
printed decimals). On another kind, floating-point sums are ordered differently and
training amplifies the difference in some numbers: there the comparison
(:data:`ACROSS_PROCESSORS`) leaves out what was measured to move between processors and
keeps a tolerance measured from real differences (see :data:`MEASURED`).

A code change that moves these numbers must bump the numerics version (which makes every
stored run stale) and record new golden numbers:

    python tests/golden.py --update

``--update`` with an unchanged numerics version adds (or refreshes) the recording of this
machine's kind and leaves the others alone.
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

#: Tolerances on one kind of machine: ``rtol`` of losses, ``atol`` of probabilities.
#: Run-to-run noise there is zero (TensorFlow's deterministic ops, float32): these only
#: absorb the sixth decimal the numbers are recorded with.
EXACT = {"loss_rtol": 1e-4, "probability_atol": 2e-4, "epochs": {}}

#: What was measured between kinds of processor, for the same code and library versions
#: (TensorFlow 2.21, Keras 3.15): the largest relative loss difference and absolute
#: probability difference against the reference numbers.
#:
#: - AMD EPYC with AVX2 only (no AVX-512): every case but Model 3 within 5e-7 (losses)
#:   and 1e-6 (probabilities); Model 3's epoch-1 loss 6.3e-5 off (6.938217 against
#:   6.938653), its epoch-2 loss 2.9% off (4.218859 against 4.101517), its validation
#:   losses 6.2e-6 and its probabilities 5.5e-5.
#: - Intel Xeon with AMX: Model 3's epoch-1 loss within 5e-5, its epoch-2 loss 2.5% off
#:   (4.203845 against 4.101517); every other case within :data:`EXACT`.
#:
#: Model 3 barely trains in these two epochs (its training loss jumps to 6.9 in the first
#: epoch, far above chance, ln 7 = 1.95): the large updates of its first steps amplify
#: the last bits of the first sums, so its training loss after epoch 1 is a measure of
#: the processor, not of the code.
MEASURED = {"amd-epyc-avx2": {"loss_rtol": 6.3e-5, "probability_atol": 5.5e-5,
                              "model3_epoch2_loss_rtol": 0.029},
            "intel-xeon-amx": {"loss_rtol": 5e-5, "model3_epoch2_loss_rtol": 0.025}}

#: Tolerances on another kind of processor: four times the largest measured difference
#: (losses; probabilities twice), and the training loss of Model 3 from epoch 1 only
#: (``epochs``: ``{case: number of epochs of training loss compared}``; its validation
#: losses and probabilities, which training does not amplify, are compared in full).
#: A changed learning rate still fails them (``tests/test_numerics.py``): measured on the
#: AVX2 machine, a learning rate 10% higher moves Model 3's epoch-1 training loss by 0.3%
#: and Model 2's probabilities by 3.4e-4; a doubled one moves Model 3's by 2.6%.
ACROSS_PROCESSORS = {"loss_rtol": 2.5e-4, "probability_atol": 2e-4, "epochs": {"model3": 1}}


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


# --------------------------------------------------------------------------- machines


def this_machine() -> dict:
    """This machine as the numerics see it: ``{"processor": ferlib.identity.processor(),
    "backend": str, "versions": {library: version}}`` (Keras, its backend, NumPy)."""
    import keras
    import numpy

    from ferlib.identity import processor

    backend = keras.backend.backend()
    versions = {"keras": keras.__version__, "numpy": numpy.__version__}
    if backend in ("tensorflow", "jax", "torch"):
        versions[backend] = __import__(backend).__version__
    return {"processor": processor(), "backend": backend, "versions": versions}


def same_kind(a: dict, b: dict) -> bool:
    """Whether two machines (:func:`this_machine`) give the same numbers: the same kind of
    processor (:func:`ferlib.identity.same_processor_kind`), backend and library versions."""
    from ferlib.identity import same_processor_kind

    return (same_processor_kind(a.get("processor", {}), b.get("processor", {}))
            and a.get("backend") == b.get("backend") and a.get("versions") == b.get("versions"))


def describe(machine: dict) -> str:
    """One line for a machine, e.g. ``AMD EPYC (AuthenticAMD; avx, avx2, fma), tensorflow 2.21.0``."""
    processor = machine.get("processor", {})
    extensions = processor.get("vector_extensions")
    listed = "extensions not recorded" if extensions is None else ", ".join(extensions) or "no vector extensions"
    backend = machine.get("backend", "?")
    return (f"{processor.get('model_name', '?')} ({processor.get('vendor', '?')}; {listed}), "
            f"{backend} {machine.get('versions', {}).get(backend, '?')}")


def recordings(golden: dict) -> list:
    """``[(machine, cases)]``: the reference numbers first, then those of other machines."""
    found = [(golden.get("machine", {}), golden["cases"])]
    found += [(entry["machine"], entry["cases"]) for entry in golden.get("other_machines", [])]
    return found


def compare(got: dict, expected: dict, tolerances: dict, *, case: str) -> list:
    """Sentences naming each number of ``got`` (:func:`golden_numbers`) that leaves the
    ``tolerances`` (:data:`EXACT` or :data:`ACROSS_PROCESSORS`) around ``expected``; empty
    when all agree."""
    import numpy as np

    problems = []
    epochs = tolerances["epochs"].get(case)
    pairs = [("loss", got["loss"][:epochs], expected["loss"][:epochs]),
             ("val_loss", got["val_loss"], expected["val_loss"])]
    for name, mine, theirs in pairs:
        mine, theirs = np.asarray(mine, dtype=float), np.asarray(theirs, dtype=float)
        if mine.shape != theirs.shape:
            problems.append(f"{case}: {name} has {mine.shape[0]} epochs, {theirs.shape[0]} recorded")
            continue
        off = np.abs(mine - theirs) > tolerances["loss_rtol"] * np.abs(theirs)
        for epoch in np.flatnonzero(off):
            problems.append(f"{case}: epoch {epoch + 1} {name} {mine[epoch]:.6f}, recorded {theirs[epoch]:.6f} "
                            f"(relative tolerance {tolerances['loss_rtol']:g})")
    mine = np.asarray(got["test_probabilities"], dtype=float)
    theirs = np.asarray(expected["test_probabilities"], dtype=float)
    if mine.shape != theirs.shape:
        problems.append(f"{case}: test probabilities of shape {mine.shape}, {theirs.shape} recorded")
    elif np.any(np.abs(mine - theirs) > tolerances["probability_atol"]):
        problems.append(f"{case}: test probabilities up to {np.abs(mine - theirs).max():.2e} from the recorded "
                        f"ones (absolute tolerance {tolerances['probability_atol']:g})")
    return problems


def check_case(name: str, got: dict, golden: dict, machine: dict) -> list:
    """Compare one case's numbers with every recording of ``golden``: :data:`EXACT`
    against a recording of ``machine``'s kind, :data:`ACROSS_PROCESSORS` against the
    others. Returns sentences naming what differs and the recording's machine."""
    problems = []
    for recorded_on, cases in recordings(golden):
        if name not in cases:
            continue
        exact = same_kind(machine, recorded_on)
        found = compare(got, cases[name], EXACT if exact else ACROSS_PROCESSORS, case=name)
        where = f"{'same kind as' if exact else 'another kind than'} the recording on {describe(recorded_on)}"
        problems += [f"{problem} [{where}]" for problem in found]
    return problems


def read_golden() -> dict:
    """The recorded golden numbers: ``{"numerics_version": int, "machine": dict, "cases":
    {name: numbers}, "other_machines": [...], ...}``."""
    return json.loads(GOLDEN_FILE.read_text())


def updated_golden(old: dict | None, cases: dict, machine: dict, numerics_version: int,
                   synthetic: dict) -> dict:
    """The golden file after recording ``cases`` made on ``machine``: a new numerics
    version (or no file) makes them the reference and drops every other recording; else
    they replace the recording of ``machine``'s kind, or are added as another machine's."""
    if old is None or old.get("numerics_version") != numerics_version:
        return {"numerics_version": numerics_version, "backend": machine["backend"], "synthetic_data": synthetic,
                "machine": machine, "cases": cases, "other_machines": []}
    new = dict(old, synthetic_data=synthetic)
    if same_kind(machine, old.get("machine", {})):
        new.update(machine=machine, cases=cases)
        return new
    others = [entry for entry in old.get("other_machines", []) if not same_kind(machine, entry["machine"])]
    new["other_machines"] = [*others, {"machine": machine, "cases": cases}]
    return new


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true",
                        help=f"train the golden cases and record them for this machine in {GOLDEN_FILE.name}")
    args = parser.parse_args(argv)
    if not args.update:
        parser.print_help()
        return 2
    from ferlib.atomic import write_text
    from ferlib.identity import NUMERICS_VERSION

    cases = {name: golden_numbers(fields) for name, fields in GOLDEN_CASES.items()}
    machine = this_machine()
    old = read_golden() if GOLDEN_FILE.exists() else None
    golden = updated_golden(old, cases, machine, NUMERICS_VERSION, synthetic_fingerprints())
    write_text(GOLDEN_FILE, json.dumps(golden, indent=1) + "\n")
    print(f"wrote {GOLDEN_FILE} for numerics version {NUMERICS_VERSION} on {describe(machine)}: {', '.join(cases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
