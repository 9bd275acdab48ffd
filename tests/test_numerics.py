"""Run identity: ids come from config, data and the numerics version, and the numbers of
that version are pinned by golden runs, so that a change of numbers cannot go unnoticed."""

import dataclasses

import pytest

import golden
from golden import (ACROSS_PROCESSORS, EXACT, GOLDEN_CASES, check_case, compare, golden_numbers, read_golden,
                    recordings, same_kind, this_machine)

from ferlib import identity
from ferlib.config import RunConfig


@pytest.fixture(autouse=True)
def _golden_backend():
    import keras

    recorded = read_golden().get("backend", "tensorflow")
    if keras.backend.backend() != recorded:
        pytest.skip(f"golden numbers are recorded on the {recorded} backend; Keras runs on "
                    f"{keras.backend.backend()}")


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_run_matches_the_recorded_numerics(name):
    """Exactly on a machine of a recording's kind, within the measured cross-processor
    tolerance against the recordings of other kinds (golden.check_case)."""
    golden = read_golden()
    assert golden["numerics_version"] == identity.NUMERICS_VERSION, (
        f"tests/golden_numerics.json records numerics version {golden['numerics_version']}, "
        f"the code is at {identity.NUMERICS_VERSION}: run `python tests/golden.py --update`")
    problems = check_case(name, golden_numbers(GOLDEN_CASES[name]), golden, this_machine())
    assert not problems, (f"golden case {name}: the numbers changed. If that is intended, bump "
                          f"ferlib.identity.NUMERICS_VERSION and run `python tests/golden.py --update`:\n"
                          + "\n".join(problems))


def _first_epochs(numbers: dict, epochs: int) -> dict:
    return dict(numbers, loss=numbers["loss"][:epochs], val_loss=numbers["val_loss"][:epochs])


@pytest.mark.parametrize("name", ["model2", "model3"])
def test_a_changed_learning_rate_fails_on_every_kind_of_processor(name):
    """A doubled learning rate leaves both tolerances, the exact one and the one across
    processors, against the reference numbers. Model 3 trains its first epoch only here:
    that is all of its training loss the comparison across processors looks at."""
    case = GOLDEN_CASES[name]
    epochs = ACROSS_PROCESSORS["epochs"].get(name, case["epochs"])
    got = golden_numbers(dict(case, epochs=epochs, learning_rate=2 * RunConfig(**case).learning_rate))
    expected = _first_epochs(read_golden()["cases"][name], epochs)
    if epochs < case["epochs"]:  # a shorter run's probabilities are another model's: not compared
        expected["test_probabilities"] = got["test_probabilities"]
    across = compare(got, expected, ACROSS_PROCESSORS, case=name)
    exact = compare(got, expected, EXACT, case=name)
    assert across and exact
    assert not [p for p in across + exact if "recorded" not in p or "epochs," in p], across + exact


def test_the_comparison_across_processors_is_looser_only_where_it_was_measured():
    """Same machine kind: every number to the sixth decimal. Another kind: Model 3's
    epoch-2 training loss may move as measured (2.9%), nothing else beyond the tolerance."""
    recorded = read_golden()["cases"]["model3"]
    moved = dict(recorded, loss=[recorded["loss"][0], recorded["loss"][1] * 1.029])
    assert compare(moved, recorded, EXACT, case="model3")
    assert not compare(moved, recorded, ACROSS_PROCESSORS, case="model3")
    model2 = read_golden()["cases"]["model2"]
    for field, scale in (("loss", 1 + 3e-4), ("val_loss", 1 + 3e-4)):
        assert compare(dict(model2, **{field: [v * scale for v in model2[field]]}), model2, ACROSS_PROCESSORS,
                       case="model2"), field
    nudged = [[p + 3e-4 for p in row] for row in model2["test_probabilities"]]
    assert compare(dict(model2, test_probabilities=nudged), model2, ACROSS_PROCESSORS, case="model2")
    for name, measured in golden.MEASURED.items():  # the tolerances cover what was measured
        assert measured["loss_rtol"] < ACROSS_PROCESSORS["loss_rtol"], name
        assert measured.get("probability_atol", 0) < ACROSS_PROCESSORS["probability_atol"], name


def test_golden_numbers_record_the_machine_they_were_made_on():
    """Every recording names its processor (vendor, model, vector extensions), backend and
    versions; this machine is one of their kinds or is compared across processors."""
    golden = read_golden()
    for machine, cases in recordings(golden):
        assert set(machine) >= {"processor", "backend", "versions"}, machine
        assert set(machine["processor"]) >= {"vendor", "model_name", "vector_extensions"}
        assert set(cases) == set(GOLDEN_CASES)
    here = this_machine()
    assert here["processor"]["vendor"] and isinstance(here["processor"]["vector_extensions"], list)
    kinds = [same_kind(here, machine) for machine, _ in recordings(golden)]
    assert sum(kinds) <= 1, "two recordings of one machine kind"


def test_processor_kinds_come_from_vendor_and_vector_extensions():
    xeon = identity.processor("vendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
                              "flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_bf16 amx_tile amx_bf16\n"
                              "vendor_id\t: GenuineIntel\n")
    assert xeon == {"vendor": "GenuineIntel", "model_name": "Intel(R) Xeon(R) Platinum 8480+",
                    "vector_extensions": ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16",
                                          "amx_tile", "amx_bf16"]}
    epyc = identity.processor("vendor_id : AuthenticAMD\nmodel name : AMD EPYC\nflags : sse4_2 avx avx2 fma\n")
    epyc_7b13 = dict(epyc, model_name="AMD EPYC 7B13")
    assert identity.same_processor_kind(epyc, epyc_7b13)
    assert not identity.same_processor_kind(epyc, dict(epyc, vector_extensions=[*epyc["vector_extensions"],
                                                                                  "avx512f"]))
    assert not identity.same_processor_kind(epyc, xeon)
    assert not identity.same_processor_kind(epyc, dict(epyc, vector_extensions=None))
    assert identity.processor("")["vector_extensions"] == []
    assert identity.has_bfloat16_units(xeon) and not identity.has_bfloat16_units(epyc)
    assert identity.has_bfloat16_units(dict(epyc, vector_extensions=["avx2", "avx512_bf16"]))
    assert not identity.has_bfloat16_units(dict(epyc, vector_extensions=None))
    machine = {"processor": epyc, "backend": "tensorflow", "versions": {"tensorflow": "2.21.0"}}
    assert golden.same_kind(machine, dict(machine, processor=epyc_7b13))
    assert not golden.same_kind(machine, dict(machine, versions={"tensorflow": "2.20.0"}))


def test_update_adds_a_machine_and_a_new_version_starts_over():
    numbers = {"model2": {"loss": [1.0], "val_loss": [1.0], "test_probabilities": [[1.0]]}}
    epyc = {"processor": {"vendor": "AuthenticAMD", "model_name": "AMD EPYC", "vector_extensions": ["avx2"]},
            "backend": "tensorflow", "versions": {"tensorflow": "2.21.0"}}
    xeon = dict(epyc, processor={"vendor": "GenuineIntel", "model_name": "Xeon", "vector_extensions": ["amx_bf16"]})
    first = golden.updated_golden(None, numbers, epyc, 1, {})
    assert first["machine"] == epyc and first["other_machines"] == []
    other = {"model2": dict(numbers["model2"], loss=[1.1])}
    second = golden.updated_golden(first, other, xeon, 1, {})
    assert second["cases"] == numbers and second["other_machines"] == [{"machine": xeon, "cases": other}]
    assert golden.updated_golden(second, other, xeon, 1, {})["other_machines"] == second["other_machines"]
    third = golden.updated_golden(second, other, xeon, 2, {})
    assert third["machine"] == xeon and third["cases"] == other and third["other_machines"] == []


def test_the_reproducibility_note_says_what_another_processor_changes():
    note = identity.REPRODUCIBILITY_NOTE
    assert "same kind of processor" in note and "another kind of processor" in note
    assert len(note) < 1500 and "\n" not in note


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
