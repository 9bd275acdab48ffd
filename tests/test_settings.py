"""The training settings the paper leaves open: images per epoch, augmentation strength
and input scaling (RunConfig fields), and their validation."""

import dataclasses

import numpy as np
import pytest

from ferlib import identity
from ferlib.augment import MAGNITUDES, augment_magnitudes
from ferlib.config import RunConfig
from ferlib.fingerprint import fingerprint_json
from ferlib.training import epoch_indices

LABELS = np.repeat(np.arange(7), [2, 3, 4, 5, 6, 7, 8])  # 35 images, classes 2..8 strong


def _config(**fields):
    return RunConfig(**{"model": 2, "dataset": "jaffe", "synthetic_size": 140, **fields})


def test_min_epoch_images_draws_that_many_balanced_rows():
    one_pass = epoch_indices(LABELS, seed=3, epoch=5, balance="oversample")
    assert len(one_pass) == 7 * 8
    rows = epoch_indices(LABELS, seed=3, epoch=5, balance="oversample", min_images=200)
    assert len(rows) == 200
    np.testing.assert_array_equal(rows[:len(one_pass)], one_pass)  # the first pass is the usual one
    counts = np.bincount(LABELS[rows], minlength=7)
    assert counts.max() - counts.min() <= 8  # whole balanced passes, cut at the end
    later = rows[len(one_pass):2 * len(one_pass)]
    assert not np.array_equal(later, one_pass), "later passes need seeds of their own"
    again = epoch_indices(LABELS, seed=3, epoch=5, balance="oversample", min_images=200)
    np.testing.assert_array_equal(rows, again)
    other_epoch = epoch_indices(LABELS, seed=3, epoch=6, balance="oversample", min_images=200)
    assert not np.array_equal(rows, other_epoch)


def test_min_epoch_images_without_balancing_is_repeated_permutations():
    rows = epoch_indices(LABELS, seed=0, epoch=0, balance="none", min_images=80)
    assert len(rows) == 80
    assert sorted(rows[:35]) == list(range(35)) and sorted(rows[35:70]) == list(range(35))


def test_a_pass_longer_than_min_epoch_images_is_kept_whole():
    """FER2013's balanced pass (50,505 images) is far above the minimum: its epochs, and
    so its numbers, are those of a run without the setting."""
    rows = epoch_indices(LABELS, seed=0, epoch=0, balance="oversample", min_images=20)
    np.testing.assert_array_equal(rows, epoch_indices(LABELS, seed=0, epoch=0, balance="oversample"))


def test_augment_magnitudes_scale_every_magnitude():
    half = augment_magnitudes(0.5)
    assert half == {name: value / 2 for name, value in MAGNITUDES.items()}
    assert augment_magnitudes(1.0) == MAGNITUDES
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="scale"):
            augment_magnitudes(bad)


def test_standardize_layer_uses_the_training_images_statistics():
    import keras

    from ferlib.models import build_model, set_input_statistics

    rng = np.random.default_rng(0)
    images = rng.integers(60, 200, size=(50, 48, 48)).astype(np.uint8)
    model = build_model(2, seed=0, input_scaling="standardize")
    assert set_input_statistics(model, images)
    first = keras.Model(model.inputs, model.layers[0].output)
    scaled = np.asarray(first.predict(images[..., None].astype("float32"), verbose=0))
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=1e-3)
    unit = build_model(2, seed=0)
    assert not set_input_statistics(unit, images)
    with pytest.raises(ValueError, match="at least 2"):
        set_input_statistics(model, images[:1])


def test_a_standardize_model_saves_and_loads_its_statistics(tmp_path):
    import keras

    from ferlib.models import Standardize, build_model, set_input_statistics

    images = np.random.default_rng(1).integers(0, 255, size=(10, 48, 48)).astype(np.uint8)
    model = build_model(1, seed=0, input_scaling="standardize")
    set_input_statistics(model, images)
    model.save(tmp_path / "m.keras")
    back = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    layer = next(layer for layer in back.layers if isinstance(layer, Standardize))
    np.testing.assert_allclose(np.asarray(layer.mean)[..., 0], images.mean(axis=0), rtol=1e-5)


@pytest.mark.parametrize("fields, message", [
    (dict(min_epoch_images=10, batch_size=32), "min_epoch_images"),
    (dict(min_epoch_images=100.0), "min_epoch_images"),
    (dict(augment_scale=0), "augment_scale"),
    (dict(augment_scale=3.0), "augment_scale"),
    (dict(augment_scale=True), "augment_scale"),
    (dict(dropout_scale=-0.1), "dropout_scale"),
    (dict(dropout_scale=1.5), "dropout_scale"),
    (dict(dropout_scale=True), "dropout_scale"),
    (dict(input_scaling="zscore"), "input_scaling"),
    (dict(learning_rate=float("inf")), "learning_rate"),
    (dict(learning_rate=float("nan")), "learning_rate"),
])
def test_config_refuses_bad_settings(fields, message):
    with pytest.raises(ValueError, match=message):
        _config(**fields)


def test_settings_at_their_legacy_values_keep_the_ids_of_older_runs():
    """A run made before these fields existed keeps its id: the id is the hash of the
    fields it had then."""
    config = _config()
    before = {k: v for k, v in config.to_dict().items() if k not in identity.LEGACY_VALUES}
    expected = fingerprint_json({"config": before, "data": "f", "numerics": identity.NUMERICS_VERSION})[:16]
    assert identity.run_id(config, "f") == expected
    for field, value in (("min_epoch_images", 1024), ("augment_scale", 0.5), ("input_scaling", "standardize")):
        assert identity.run_id(dataclasses.replace(config, **{field: value}), "f") != expected, field


def test_a_diverging_run_stops_and_stores_nothing_as_finished(tmp_path):
    from ferlib.experiment import train_run
    from ferlib.store import RunStore
    from ferlib.training import TrainingDiverged

    config = RunConfig(model=2, dataset="jaffe", synthetic_size=140, epochs=2, batch_size=32,
                       limit_train=48, learning_rate=1e12)
    with pytest.raises(TrainingDiverged, match="epoch 1: .*not finite.*nothing of it is stored"):
        train_run(config, tmp_path, verbose=0)
    assert RunStore(tmp_path).runs() == []
    partial = list((tmp_path / ".partial").glob("*/state.json"))
    assert partial == [], "no checkpoint of a diverged epoch"


def test_a_profile_can_set_models_apart_and_synthetic_data_apart():
    from ferlib.config import PROFILES, profile_config

    quick = PROFILES["quick"]
    for model, settings in quick["models"].items():
        config = profile_config("quick", model=model, dataset="jaffe")
        assert {name: getattr(config, name) for name in settings} == settings
    plain = profile_config("quick", model=2, dataset="jaffe")
    assert plain.epochs == quick["epochs"] and plain.limit_train == quick["limit_train"]
    assert plain.synthetic_expressions == quick["synthetic"]["synthetic_expressions"] != "standard"
    real = profile_config("quick", model=2, dataset="jaffe", data="real")
    assert real.synthetic_expressions == "standard" and real.synthetic_size is None
    assert profile_config("quick", model=1, dataset="jaffe", epochs=5).epochs == 5  # the caller wins
    with pytest.raises(ValueError, match="synthetic data only"):
        RunConfig(model=2, dataset="jaffe", data="real", synthetic_expressions="clear")
    with pytest.raises(ValueError, match="synthetic_expressions must be one of"):
        _config(synthetic_expressions="vivid")


#: Processors as :func:`ferlib.identity.processor` describes them: with AMX, with
#: AVX512_BF16 only, and with AVX2 only (no bfloat16 units).
XEON_AMX = {"vendor": "GenuineIntel", "model_name": "Xeon", "vector_extensions": ["avx2", "avx512f", "amx_bf16"]}
EPYC_BF16 = {"vendor": "AuthenticAMD", "model_name": "AMD EPYC", "vector_extensions": ["avx2", "avx512_bf16"]}
EPYC_AVX2 = {"vendor": "AuthenticAMD", "model_name": "AMD EPYC", "vector_extensions": ["avx2", "fma"]}


def test_the_quick_profile_teaches_with_every_network_learning():
    """Model 1 trains 5 balanced epochs of at most 2,000 FER2013-like faces, Adam at 0.001,
    batches of 32; Model 3 trains 4 balanced epochs of every training face, Adam at 0.001,
    batches of 32, without dropout (with it, it stays at chance for more than 56,000
    images); tests/test_teaching.py trains both and checks their accuracy. Both train in
    bfloat16 where the processor has the units, Model 2 as before, and only Model 3's
    network departs from the paper's, in its quick runs only."""
    from ferlib.config import PROFILES, profile_config, profile_precision

    quick = PROFILES["quick"]
    one = profile_config("quick", model=1, dataset="fer2013")
    assert (one.epochs, one.batch_size, one.learning_rate, one.limit_train) == (5, 32, 1e-3, 2000)
    three = profile_config("quick", model=3, dataset="fer2013", processor=EPYC_BF16)
    assert (three.epochs, three.batch_size, three.learning_rate, three.limit_train) == (4, 32, 1e-3, None)
    assert three.dropout_scale == 0.0 and three.precision == "mixed_bfloat16"
    # in float32 (no bfloat16 units, or asked for) its 22,000 images would take longer than the profile
    for few in (profile_config("quick", model=3, dataset="fer2013", processor=EPYC_AVX2),
                profile_config("quick", model=3, dataset="fer2013", processor=EPYC_BF16, precision="float32")):
        assert (few.epochs, few.limit_train, few.dropout_scale, few.precision) == (1, 100, 1.0, "float32")
    assert profile_config("quick", model=3, dataset="fer2013", processor=EPYC_AVX2, epochs=2).epochs == 2
    assert profile_config("quick", model=1, dataset="fer2013", processor=EPYC_AVX2).epochs == 5
    assert one.dropout_scale == 1.0
    assert profile_config("quick", model=2, dataset="fer2013").dropout_scale == 1.0
    assert profile_config("paper", model=3, dataset="fer2013").dropout_scale == 1.0
    two = profile_config("quick", model=2, dataset="fer2013")
    assert (two.epochs, two.batch_size, two.learning_rate, two.limit_train, two.precision) == (6, 16, 3e-4, None,
                                                                                              "float32")
    assert quick["bfloat16_models"] == (1, 3) and set(quick["few_steps_in_float32"]) == {3}
    for config in (one, profile_config("quick", model=3, dataset="fer2013")):
        assert config.precision == profile_precision("quick", config.model)  # this machine's choice
    assert profile_config("quick", model=1, dataset="fer2013", precision="float32").precision == "float32"


def test_a_profile_trains_in_bfloat16_only_where_the_processor_has_the_units():
    from ferlib.config import PROFILE_KEYS, PROFILES, profile_precision

    for processor in (XEON_AMX, EPYC_BF16):
        assert profile_precision("quick", 1, processor=processor) == "mixed_bfloat16"
        assert profile_precision("quick", 3, processor=processor) == "mixed_bfloat16"
        assert profile_precision("quick", 2, processor=processor) == "float32"  # Model 2 keeps float32
        assert profile_precision("quick", 1, backend="jax", processor=processor) == "float32"  # XLA's CPU
        assert profile_precision("paper", 1, processor=processor) == "float32"  # the protocol's precision
        assert profile_precision("smoke", 1, processor=processor) == "float32"
    assert profile_precision("quick", 1, processor=EPYC_AVX2) == "float32"  # emulated: slower than float32
    with pytest.raises(ValueError, match="profile must be one of"):
        profile_precision("fast", 1)
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    for name, preset in PROFILES.items():
        assert set(preset) - fields <= set(PROFILE_KEYS), name


def test_profile_notes_say_where_models_train_in_bfloat16():
    from ferlib.protocol import profile_notes

    (line,) = [n for n in profile_notes("quick", processor=EPYC_BF16) if n.startswith("Models 1 and 3 ")]
    assert "train in bfloat16" in line and line.endswith("this processor has such units.")
    (line,) = [n for n in profile_notes("quick", processor=EPYC_AVX2) if n.startswith("Models 1 and 3 ")]
    assert line.endswith("has none, so they train in float32.")
    assert not [n for n in profile_notes("paper", processor=XEON_AMX) if "bfloat16" in n]


def test_synthetic_expressions_enter_the_run_id_only_when_not_standard():
    """Runs stored before the field existed keep their ids."""
    standard = _config()
    assert "synthetic_expressions" not in identity.identity_fields(standard)
    clear = dataclasses.replace(standard, synthetic_expressions="clear")
    assert identity.identity_fields(clear)["synthetic_expressions"] == "clear"
    assert identity.run_id(clear, "f" * 64) != identity.run_id(standard, "f" * 64)


def test_profile_notes_say_which_models_train_fewer_steps():
    from ferlib.config import PROFILES
    from ferlib.protocol import profile_notes

    notes = profile_notes("quick", processor=EPYC_BF16)
    assert notes[0].startswith("Every run of the quick profile") and f"{PROFILES['quick']['epochs']} epochs" in notes[0]
    for model, settings in PROFILES["quick"]["models"].items():
        line = next(n for n in notes if n.startswith(f"Model {model} "))
        assert line.startswith(f"Model {model} trains with {settings['epochs']} epoch"), line
    assert "clear expressions" in notes[1] and f"{PROFILES['quick']['synthetic_size']['fer2013']:,}" in notes[1]
    one = next(n for n in notes if n.startswith("Model 1 "))
    assert "fewer steps" not in one
    three = next(n for n in notes if n.startswith("Model 3 "))
    assert three.startswith("Model 3 trains with 4 epochs") and "no dropout (a teaching shortcut" in three, \
        "a network that departs from the paper's says so"
    assert "Where it trains in float32" in three and three.endswith("not what it can learn.")
    assert not [n for n in notes if "dropout" in n and not n.startswith("Model 3 ")]
    # without bfloat16 units Model 3 trains a few steps, and the notes lead with that
    three = next(n for n in profile_notes("quick", processor=EPYC_AVX2) if n.startswith("Model 3 "))
    assert three.startswith("Model 3 trains with 1 epoch, at most 100 training images: far fewer steps"), three
    assert "on a processor with bfloat16 units it trains with 4 epochs" in three
    assert not [n for n in profile_notes("paper") if "fewer steps" in n]
    # a paper-profile book without data reads the committed runs: it makes no synthetic faces
    assert "results/paper" in profile_notes("paper")[1]
    assert not [n for n in profile_notes("paper") if "synthetic faces" in n]


def test_profile_notes_give_the_rate_of_each_stated_deviation_from_the_protocol():
    """Model 2 on FER2013 does not train at the paper profile's 0.001: the notes say so,
    with the rate read from ferlib.protocol."""
    from ferlib.config import PROFILES
    from ferlib.protocol import profile_notes
    from ferlib.protocol import EXPERIMENT_DEVIATIONS

    notes = profile_notes("paper")
    assert f"learning rate {PROFILES['paper']['learning_rate']:g}" in notes[0]
    assert "except where a line below says otherwise" in notes[0]
    rate = EXPERIMENT_DEVIATIONS["paper"][(2, "fer2013", None)]["settings"]["learning_rate"]
    (line,) = [n for n in notes if n.startswith("Model 2 on FER2013")]
    assert f"Adam at learning rate {rate:g}" in line and "stated deviation" in line
    assert "except" not in profile_notes("quick")[0], "a profile without deviations has no exception"


# --------------------------------------------------------------------------- folds of subject-kfold


@pytest.mark.parametrize("fields, message", [
    (dict(protocol="subject-kfold", folds=2), "folds must be an integer of at least 3"),
    (dict(protocol="subject-kfold", folds=True), "folds must be an integer"),
    (dict(protocol="subject-kfold", folds=10.0), "folds must be an integer"),
    (dict(protocol="loso", folds=10), "folds applies to protocol 'subject-kfold' only"),
    (dict(folds=10), "folds applies to protocol 'subject-kfold' only"),
    (dict(protocol="subject-kfold", folds=10, fold=10), r"fold must be in 0\.\.9"),
])
def test_folds_is_validated_naming_the_parameter(fields, message):
    with pytest.raises(ValueError, match=message):
        _config(**fields)


def test_folds_at_its_default_keeps_every_id_and_ten_folds_change_it():
    """Runs made before ``folds`` existed keep their ids: the field is left out of the id
    at 5, the number of folds every earlier ``subject-kfold`` run had."""
    kfold = _config(protocol="subject-kfold", fold=3)
    assert kfold.folds == 5 and "folds" not in identity.identity_fields(kfold)
    ten = dataclasses.replace(kfold, folds=10)
    assert identity.identity_fields(ten)["folds"] == 10
    assert identity.run_id(ten, "f" * 64) != identity.run_id(kfold, "f" * 64)
    before = {k: v for k, v in kfold.to_dict().items() if k not in identity.LEGACY_VALUES}
    assert "folds" not in before and identity.run_id(kfold, "f") == fingerprint_json(
        {"config": before, "data": "f", "numerics": identity.NUMERICS_VERSION})[:16]


def test_committed_runs_keep_their_ids_with_the_folds_field(monkeypatch):
    """Every committed run's folder name is still the hash of its config; without
    ``folds`` among the legacy values none would be."""
    from ferlib import results
    from ferlib.book import project_root

    runs = results.committed_runs(project_root() / results.PAPER_RESULTS)
    assert runs

    def recomputed(run):
        return identity.run_id(run.config, run.manifest["data_fingerprint"], run.manifest["numerics_version"])

    legacy = [run for run in runs if run.config.folds == 5]
    assert legacy, "the runs made before the field existed"
    assert [recomputed(run) for run in runs] == [run.id for run in runs]
    monkeypatch.delitem(identity.LEGACY_VALUES, "folds")
    assert not any(recomputed(run) == run.id for run in legacy)
    assert all(recomputed(run) == run.id for run in runs if run.config.folds != 5), \
        "a run with another number of folds always had it in its id"


def test_a_run_splits_its_data_into_the_configs_number_of_folds():
    from ferlib import splits
    from ferlib.experiment import run_split
    from ferlib.synthetic import make_synthetic

    dataset = make_synthetic("ckplus", 189)
    config = RunConfig(model=2, dataset="ckplus", synthetic_size=189, protocol="subject-kfold", fold=2, folds=10)
    part = run_split(config, dataset)
    np.testing.assert_array_equal(part, splits.subject_kfold(dataset, 10)[2])
    five = run_split(dataclasses.replace(config, folds=5), dataset)
    assert (part == "test").sum() < (five == "test").sum(), "a tenth of the subjects, not a fifth"
    test_subjects = set(dataset.subject[part == "test"])
    assert test_subjects and not test_subjects & set(dataset.subject[part != "test"])
