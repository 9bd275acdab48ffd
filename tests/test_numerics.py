"""Run identity: ids come from config, data and the numerics version, and the numbers of
that version are pinned by golden runs, so that a change of numbers cannot go unnoticed."""

import dataclasses

import numpy as np
import pytest

from golden import GOLDEN_CASES, golden_numbers, read_golden

from ferlib import identity
from ferlib.config import RunConfig

#: Run-to-run noise of these golden runs is zero on one kind of machine (TensorFlow's
#: deterministic ops, float32); another CPU (AVX-512 against AVX only) moves a loss by
#: about 1e-6 per epoch. A doubled learning rate moves Model 2's probabilities by about
#: 1e-3 (test below); a change of augmentation, initialisation, loss or image order
#: moves them more.
LOSS_RTOL = 1e-4
PROBABILITY_ATOL = 2e-4


@pytest.fixture(autouse=True)
def _golden_backend():
    import keras

    recorded = read_golden().get("backend", "tensorflow")
    if keras.backend.backend() != recorded:
        pytest.skip(f"golden numbers are recorded on the {recorded} backend; Keras runs on "
                    f"{keras.backend.backend()}")


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_run_matches_the_recorded_numerics(name):
    golden = read_golden()
    assert golden["numerics_version"] == identity.NUMERICS_VERSION, (
        f"tests/golden_numerics.json records numerics version {golden['numerics_version']}, "
        f"the code is at {identity.NUMERICS_VERSION}: run `python tests/golden.py --update`")
    expected = golden["cases"][name]
    got = golden_numbers(GOLDEN_CASES[name])
    hint = (f"golden case {name}: the numbers changed. If that is intended, bump "
            f"ferlib.identity.NUMERICS_VERSION and run `python tests/golden.py --update`")
    np.testing.assert_allclose(got["loss"], expected["loss"], rtol=LOSS_RTOL, err_msg=hint)
    np.testing.assert_allclose(got["val_loss"], expected["val_loss"], rtol=LOSS_RTOL, err_msg=hint)
    np.testing.assert_allclose(got["test_probabilities"], expected["test_probabilities"],
                               atol=PROBABILITY_ATOL, err_msg=hint)


def test_golden_tolerance_catches_a_small_change_of_numbers():
    """A doubled learning rate, on a run that barely leaves chance, leaves the tolerance."""
    fields = dict(GOLDEN_CASES["model2"], learning_rate=2e-3)
    got = golden_numbers(fields)
    expected = read_golden()["cases"]["model2"]
    loss_close = np.allclose(got["loss"], expected["loss"], rtol=LOSS_RTOL)
    probs_close = np.allclose(got["test_probabilities"], expected["test_probabilities"],
                              atol=PROBABILITY_ATOL)
    assert not (loss_close and probs_close)


def _config(**fields):
    return RunConfig(**{**GOLDEN_CASES["model2"], **fields})


def test_run_id_depends_on_config_data_and_numerics_only():
    config = _config()
    base = identity.run_id(config, "f" * 64)
    assert identity.run_id(config, "f" * 64) == base
    assert identity.run_id(_config(seed=1), "f" * 64) != base
    assert identity.run_id(config, "e" * 64) != base
    assert identity.run_id(config, "f" * 64, identity.NUMERICS_VERSION + 1) != base
    with pytest.raises(TypeError, match="numerics"):
        identity.run_id(config, "f" * 64, "1")


def test_a_field_at_its_legacy_value_leaves_the_id_alone(monkeypatch):
    """Listing a field in LEGACY_VALUES drops it from the id at that value only."""
    config = _config()
    base = identity.run_id(config, "f" * 64)
    monkeypatch.setitem(identity.LEGACY_VALUES, "augment", True)
    assert "augment" not in identity.identity_fields(config)
    assert identity.run_id(config, "f" * 64) != base  # the id no longer hashes augment=True
    other = dataclasses.replace(config, augment=False)
    assert identity.identity_fields(other)["augment"] is False
    assert identity.run_id(other, "f" * 64) != identity.run_id(config, "f" * 64)


def test_ids_do_not_read_the_source_code(tmp_path, monkeypatch):
    """Nothing in a run id comes from ferlib's files: a comment edit cannot change it."""
    import ferlib

    config = _config()
    before = identity.run_id(config, "f" * 64)
    monkeypatch.setattr(ferlib, "__file__", str(tmp_path / "elsewhere" / "__init__.py"))
    monkeypatch.setattr(ferlib, "__version__", "99.0")
    assert identity.run_id(config, "f" * 64) == before
