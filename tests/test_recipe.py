"""The modern recipe beyond the paper (ferlib.recipe, recipe_training, recipe_augment,
schedule): its config fields leave every id of the paper's runs alone, its schedule and
early stopping read the validation history only, its augmentation and ten-crop testing
do what they say, and it trains at smoke scale."""

import dataclasses
import json
import math

import keras
import numpy as np
import pytest

import jax_session
from ferlib import identity, recipe, schedule
from ferlib.labels import EMOTIONS
from ferlib.config import RECIPE_DEPENDENT, RunConfig
from ferlib.fingerprint import fingerprint_json
from ferlib.recipe_augment import RandomErasing, RandomReflectCrop, make_recipe_augmenter, ten_crop_proba, \
    ten_crop_views
from ferlib.recipe_training import RECIPE_FIELDS, TrainingRecipe, evaluation_predictor, training_recipe

#: The smallest recipe run: Model 2, a few steps on synthetic FER2013-like faces.
SMOKE = dict(profile="smoke", data="synthetic", epochs=3, limit_train=96)


def _config(**fields):
    return RunConfig(**{"model": 2, "dataset": "jaffe", "synthetic_size": 140, **fields})


def _faces(n=6, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 48, 48), dtype=np.uint8)


# --------------------------------------------------------------------------- ids and configs


def test_default_configs_keep_the_ids_they_had_before_the_recipe_fields():
    """The id of a config with every recipe field at its default is the hash of the
    fields that existed before them; changing any of them changes the id."""
    config = _config()
    new = set(RECIPE_FIELDS) | {"tta"}
    assert new <= set(identity.LEGACY_VALUES)
    assert not new & set(identity.identity_fields(config))
    before = {k: v for k, v in config.to_dict().items() if k not in new and k not in identity.LEGACY_VALUES}
    expected = fingerprint_json({"config": before, "data": "f", "numerics": identity.NUMERICS_VERSION})[:16]
    assert identity.run_id(config, "f") == expected
    defaults = {f.name: f.default for f in dataclasses.fields(RunConfig)}
    assert all(identity.LEGACY_VALUES[name] == defaults[name] for name in new)
    recipe_config = recipe.recipe_config(**SMOKE)
    for name in new:
        changed = dataclasses.replace(config, **{name: getattr(recipe_config, name)}) \
            if getattr(recipe_config, name) != defaults[name] else None
        if changed is not None and name not in RECIPE_DEPENDENT and name != "augmentation":
            assert identity.run_id(changed, "f") != expected, name
    assert identity.run_id(recipe_config, "f") != identity.run_id(dataclasses.replace(
        recipe_config, label_smoothing=0.0), "f")


def test_every_committed_run_keeps_its_id_and_has_no_recipe_field():
    from ferlib.book import project_root
    from ferlib.results import PAPER_RESULTS, committed_runs

    runs = committed_runs(project_root() / PAPER_RESULTS)
    assert len(runs) >= 100
    for run in runs:
        assert training_recipe(run.config) is None and run.config.tta == "none"
        fields = identity.identity_fields(run.config)
        assert not set(fields) & (set(RECIPE_FIELDS) | {"tta"})
        assert identity.run_id(run.config, run.manifest["data_fingerprint"],
                               run.manifest["numerics_version"]) == run.path.name


@pytest.mark.parametrize("fields, message", [
    (dict(optimizer="rmsprop"), "optimizer must be one of"),
    (dict(schedule="step"), "schedule must be one of"),
    (dict(tta="flip"), "tta must be one of"),
    (dict(label_smoothing=1.0), r"label_smoothing must be a number in \[0, 1\)"),
    (dict(weight_decay=-1e-4), "weight_decay must be"),
    (dict(optimizer="sgd-nesterov", momentum=1.0), "momentum must be"),
    (dict(momentum=0.5), "momentum applies to optimizer 'sgd-nesterov' only"),
    (dict(plateau_patience=3), "plateau_patience applies to schedule 'plateau' only"),
    (dict(schedule="plateau", plateau_factor=1.5), "plateau_factor must be"),
    (dict(schedule="plateau", plateau_patience=0), "plateau_patience must be an integer at least 1"),
    (dict(schedule="cosine", min_learning_rate=0.01), "min_learning_rate must be a number in"),
    (dict(early_stopping=0), "early_stopping must be None or an integer"),
    (dict(erasing=0.2), "erasing applies to augmentation 'recipe' only"),
    (dict(augmentation="recipe", augment=False), "needs augment=True"),
    (dict(augmentation="recipe", augment_scale=0.5), "augment_scale scales the paper's augmentation"),
    (dict(augmentation="recipe", crop_padding=20), "crop_padding must be an integer 0..12"),
    (dict(augmentation="recipe", flip=1), "flip must be True or False"),
])
def test_recipe_fields_are_checked(fields, message):
    with pytest.raises(ValueError, match=message):
        _config(**fields)


def test_the_recipe_preset_and_ablation_cells_are_valid_configs():
    base = recipe.recipe_config(**SMOKE)
    assert (base.optimizer, base.schedule, base.augmentation, base.tta) == ("sgd-nesterov", "plateau", "recipe",
                                                                            "ten-crop")
    assert base.learning_rate == 0.01 and base.label_smoothing == 0.1 and base.balance == "none"
    configs = recipe.ablation_configs(seeds=(0, 1), **SMOKE)
    assert [cell for cell, _ in configs[::2]] == list(recipe.ABLATION)
    for cell, config in configs:
        differs = {f.name for f in dataclasses.fields(RunConfig) if getattr(config, f.name) != getattr(
            recipe.recipe_config(seed=config.seed, **SMOKE), f.name)}
        assert differs == set(recipe.ABLATION[cell]) - {name for name, v in recipe.ABLATION[cell].items()
                                                         if getattr(base, name) == v}, cell
    ids = {identity.run_id(config, "f") for _, config in configs}
    assert len(ids) == len(configs)  # every cell and seed is a run of its own
    # on real data the recipe's rate wins over Model 2's stated FER2013 deviation (0.0001)
    assert recipe.recipe_config(data="real").learning_rate == 0.01
    assert recipe.recipe_config("Adam at the protocol's rate", data="real").learning_rate == 1e-4
    with pytest.raises(ValueError, match="read from the recipe's runs"):
        recipe.recipe_config("no ten-crop")
    with pytest.raises(ValueError, match="unknown ablation cells"):
        recipe.ablation_configs(cells=["no dropout"])
    assert [cell for cell, _ in recipe.ablation_configs(cells=["no ten-crop"], seeds=(0,), **SMOKE)] == ["recipe"]
    # by default the recipe trains its two seeds and every other cell one
    plan = [(cell, config.seed) for cell, config in recipe.ablation_configs(**SMOKE)]
    assert plan[:2] == [("recipe", 0), ("recipe", 1)]
    assert plan[2:] == [(cell, 0) for cell in recipe.ABLATION if cell != "recipe"]
    assert recipe.cell_seeds("recipe") == recipe.RECIPE_SEEDS and recipe.cell_seeds("no flips") == (0,)
    with pytest.raises(ValueError, match="cell must be one of"):
        recipe.cell_seeds("no ten-crop")


# --------------------------------------------------------------------------- schedule


def test_plateau_rates_drop_after_patience_epochs_without_a_better_val_score():
    scores = [0.30, 0.40, 0.40, 0.39, 0.45, 0.44, 0.44, 0.44, 0.44]
    rates = schedule.plateau_rates(scores, rate=0.01, factor=0.5, patience=2, min_rate=0.002)
    assert rates == pytest.approx([0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025, 0.002])
    # each rate depends on the scores before it only
    for epoch in range(len(scores) + 1):
        assert schedule.epoch_learning_rate("plateau", epoch, scores[:epoch], rate=0.01, epochs=20, factor=0.5,
                                            patience=2, min_rate=0.002) == pytest.approx(rates[epoch])
    with pytest.raises(ValueError, match="needs the validation scores"):
        schedule.epoch_learning_rate("plateau", 3, scores[:2], rate=0.01, epochs=20)


def test_cosine_and_constant_rates_and_early_stopping():
    rates = [schedule.epoch_learning_rate("cosine", e, [0.0] * e, rate=0.1, epochs=4, min_rate=0.02) for e in range(4)]
    expected = [0.02 + 0.08 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    assert rates == pytest.approx(expected) and rates[0] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert schedule.epoch_learning_rate("constant", 7, [0.1] * 7, rate=0.003, epochs=9) == 0.003
    assert not schedule.should_stop([0.3, 0.4, 0.4], None)
    assert not schedule.should_stop([0.3, 0.4, 0.4], 2)
    assert schedule.should_stop([0.3, 0.4, 0.4, 0.35], 2)
    assert not schedule.should_stop([0.3, 0.4, 0.4, 0.41], 2)
    assert not schedule.should_stop([], 1)


def test_the_optimiser_steps_with_the_rate_the_schedule_sets():
    """The rate set between epochs reaches the compiled train step: one SGD step from the
    same weights moves them in proportion to the rate."""
    recipe_ = TrainingRecipe(_config(learning_rate=0.02, epochs=4, optimizer="sgd-nesterov", momentum=0.0,
                                     schedule="plateau", plateau_factor=0.25, plateau_patience=1))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    recipe_.compile(model)
    x = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    y = np.arange(8) % 3
    start = [w.copy() for w in model.get_weights()]
    moves = []
    for epoch, scores in ((0, []), (2, [0.5, 0.5])):  # epoch 2 after a plateau: a quarter of the rate
        model.set_weights(start)
        rate = recipe_.set_learning_rate(model, epoch, scores)
        model.fit(x, recipe_.targets(y, 3), batch_size=8, epochs=1, verbose=0, shuffle=False)
        moves.append((rate, model.get_weights()[0] - start[0]))
    (first, move_first), (later, move_later) = moves
    assert later == pytest.approx(first * 0.25)
    np.testing.assert_allclose(move_later, move_first * 0.25, rtol=1e-3, atol=2e-7)  # float32 weights near 0.5
    assert isinstance(model.optimizer, keras.optimizers.SGD) and model.optimizer.nesterov


def test_label_smoothing_uses_smoothed_one_hot_targets():
    smooth = TrainingRecipe(_config(learning_rate=0.01, epochs=1, label_smoothing=0.1))
    targets = smooth.targets(np.array([2, 0]), 7)
    assert targets.shape == (2, 7) and targets[0, 2] == 1 and targets.sum() == 2
    loss = smooth.loss()
    assert isinstance(loss, keras.losses.CategoricalCrossentropy)
    uniform = np.full((2, 7), 1 / 7, dtype="float32")
    peaked = np.eye(7, dtype="float32")[[2, 0]] * 0.999 + 0.001 / 7
    # with smoothing a confident right answer costs more than without
    assert float(loss(targets, peaked)) > float(keras.losses.CategoricalCrossentropy()(targets, peaked))
    assert float(loss(targets, uniform)) == pytest.approx(math.log(7), rel=1e-5)
    plain = TrainingRecipe(_config(learning_rate=0.01, epochs=1))
    assert plain.loss() == "sparse_categorical_crossentropy"
    np.testing.assert_array_equal(plain.targets(np.array([2, 0]), 7), [2, 0])
    assert training_recipe(_config()) is None
    assert training_recipe(_config(label_smoothing=0.1)).config.label_smoothing == 0.1


# --------------------------------------------------------------------------- augmentation and ten crops


def test_random_reflect_crop_takes_a_window_of_the_reflected_image():
    images = _faces(16).astype("float32")[..., None]
    layer = RandomReflectCrop(3, seed=1)
    out = keras.ops.convert_to_numpy(layer(images, training=True))
    padded = np.pad(images[..., 0], ((0, 0), (3, 3), (3, 3)), mode="reflect")
    shifts = []
    for i in range(len(images)):
        found = [(dy, dx) for dy in range(7) for dx in range(7)
                 if np.array_equal(out[i, ..., 0], padded[i, dy:dy + 48, dx:dx + 48])]
        assert found, f"image {i} is no window of the reflected image"
        shifts.append(found[0])
    assert len(set(shifts)) > 3  # random offsets, not one
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(images, training=False)), images)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(RandomReflectCrop(0)(images)), images)


def test_random_erasing_fills_one_rectangle_with_the_image_mean():
    images = _faces(12, seed=3).astype("float32")[..., None]
    out = keras.ops.convert_to_numpy(RandomErasing(1.0, seed=2)(images, training=True))
    for i in range(len(images)):
        changed = out[i, ..., 0] != images[i, ..., 0]
        rows, cols = np.flatnonzero(changed.any(1)), np.flatnonzero(changed.any(0))
        assert len(rows) and len(cols)
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        np.testing.assert_allclose(out[i, ..., 0][box], images[i].mean(), rtol=1e-5)  # one filled rectangle
        area = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1) / 48 ** 2
        assert 0.005 < area < 0.45
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(RandomErasing(0.0)(images, training=True)), images)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(RandomErasing(1.0)(images, training=False)), images)


def test_the_recipe_augmenter_is_seeded_and_only_active_in_training():
    images = _faces(4).astype("float32")[..., None]
    one = make_recipe_augmenter(seed=5)(images, training=True)
    two = make_recipe_augmenter(seed=5)(images, training=True)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(one), keras.ops.convert_to_numpy(two))
    out = keras.ops.convert_to_numpy(one)
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 255 and not np.array_equal(out, images)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(make_recipe_augmenter(seed=5)(images, training=False)),
                                  images)
    names = [layer.name for layer in make_recipe_augmenter(flip=False, erasing=0.0, seed=5).layers]
    assert names == ["crop", "rotation", "clip"]


def test_ten_crop_views_are_the_corners_the_centre_and_their_mirrors():
    images = _faces(3)
    views = ten_crop_views(images, padding=4)
    assert views.shape == (10, 3, 48, 48) and views.dtype == np.uint8
    np.testing.assert_array_equal(views[4], images)  # the centre is the image
    np.testing.assert_array_equal(views[9], images[:, :, ::-1])
    padded = np.pad(images, ((0, 0), (4, 4), (4, 4)), mode="reflect")
    np.testing.assert_array_equal(views[3], padded[:, 8:, 8:])
    np.testing.assert_array_equal(views[5], padded[:, :48, :48][:, :, ::-1])
    with pytest.raises(ValueError, match="images must have shape"):
        ten_crop_views(np.zeros((2, 40, 40), np.uint8))


def test_ten_crop_tta_returns_the_mean_of_ten_valid_probability_rows():
    from ferlib.models import build_model
    from ferlib.training import predict_proba

    model = build_model(2, seed=0)
    images = _faces(5)
    probs = ten_crop_proba(model, images)
    assert probs.shape == (5, 7) and probs.dtype == np.float32
    assert (probs >= 0).all() and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    by_view = np.stack([predict_proba(model, view) for view in ten_crop_views(images)])
    np.testing.assert_allclose(probs, by_view.mean(axis=0), atol=1e-6)
    config = recipe.recipe_config(**SMOKE)
    np.testing.assert_allclose(evaluation_predictor(config)(model, images), probs, atol=1e-6)
    assert evaluation_predictor(_config()) is predict_proba


# --------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def recipe_run(tmp_path_factory):
    """A three-epoch recipe run at smoke scale, the plateau after one epoch."""
    from ferlib.experiment import train_run

    config = recipe.recipe_config(plateau_patience=1, plateau_factor=0.5, **SMOKE)
    return train_run(config, tmp_path_factory.mktemp("recipe"), verbose=0)


def test_the_recipe_trains_and_its_rate_follows_the_validation_history(recipe_run):
    history = recipe_run.history
    assert list(history["epoch"]) == [1, 2, 3] and np.isfinite(history["loss"]).all()
    expected = schedule.plateau_rates(list(history["val_accuracy"])[:-1], rate=0.01, factor=0.5, patience=1)
    np.testing.assert_allclose(history["learning_rate"], expected)
    assert recipe_run.config.optimizer == "sgd-nesterov" and recipe_run.config.tta == "ten-crop"


def test_the_recipe_run_stores_ten_crop_predictions_and_single_view_metrics(recipe_run):
    from ferlib.experiment import config_data, prepare
    from ferlib.recipe_augment import ten_crop_proba

    metrics = recipe_run.metrics
    assert set(metrics["single_view"]) == {"val", "test"}
    data, part = prepare(recipe_run.config, config_data(recipe_run.config))
    model = recipe_run.load_model()
    stored = recipe_run.predictions[recipe_run.predictions["part"] == "test"]
    columns = [f"p_{name}" for name in EMOTIONS]
    again = ten_crop_proba(model, data.images[part == "test"])
    np.testing.assert_allclose(stored[columns].to_numpy(), again, atol=1e-4)


def test_early_stopping_ends_a_run_that_stops_improving(tmp_path):
    from ferlib.experiment import train_run

    config = recipe.recipe_config(learning_rate=1e-9, early_stopping=1, **{**SMOKE, "epochs": 6})
    run = train_run(config, tmp_path, verbose=0)
    scores = list(run.history["val_accuracy"])
    assert len(scores) < 6 and schedule.should_stop(scores, 1) and not schedule.should_stop(scores[:-1], 1)


def test_train_recipe_and_the_ablation_from_the_command_line(tmp_path, capsys):
    from ferlib.cli import main

    store = str(tmp_path)
    small = ["--profile", "smoke", "--epochs", "1", "--limit-train", "64", "--quiet", "--store", store]
    assert main(["train", "--model", "2", "--dataset", "jaffe", "--recipe", "modern", *small]) == 0
    rid = capsys.readouterr().out.split()[1].rstrip(":")
    config = json.loads((tmp_path / rid / "config.json").read_text())
    assert config["optimizer"] == "sgd-nesterov" and config["epochs"] == 1  # the option wins over the recipe
    # the same run as the ablation's recipe cell, so a fine-tune from either finds it
    assert config == recipe.recipe_config(dataset="jaffe", profile="smoke", data="synthetic", epochs=1,
                                          limit_train=64).to_dict()
    assert main(["finetune", "--model", "2", "--target", "jaffe", "--recipe", "modern", *small]) == 0
    source_id, target_id = (line.split()[1].rstrip(":") for line in capsys.readouterr().out.splitlines()[-2:])
    source = json.loads((tmp_path / source_id / "config.json").read_text())
    target = json.loads((tmp_path / target_id / "config.json").read_text())
    assert source["dataset"] == "fer2013" and source["optimizer"] == "sgd-nesterov"
    assert target["source_run"] == source_id and target["optimizer"] == "adam" and target["tta"] == "none"
    assert main(["recipe", "--dataset", "jaffe", "--seeds", "0", "--cells", "recipe", "no ten-crop", *small]) == 0
    printed = capsys.readouterr().out
    assert "recipe" in printed and "no ten-crop" in printed and "val_mean" in printed
    # without --seeds each cell trains its own: the recipe seeds 0 and 1, another cell seed 0
    assert main(["recipe", "--dataset", "jaffe", "--cells", "recipe", "no flips", *small]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    seeds = {cell: next(line.split()[len(cell.split())] for line in lines if line.split()[:len(cell.split())]
                        == cell.split()) for cell in ("recipe", "no flips")}
    assert seeds == {"recipe": str(len(recipe.RECIPE_SEEDS)), "no flips": str(len(recipe.ABLATION_SEEDS))}
    assert main(["recipe", "--cells", "no dropout", *small]) == 2
    assert "--cells: unknown ['no dropout']" in capsys.readouterr().err


@pytest.mark.slow
def test_the_recipe_trains_on_jax(jax_checks):
    """The modern recipe's ``train`` on Keras's JAX backend (run in-process by the slow
    tier's one JAX subprocess, tests/jax_session.py)."""
    *_, done = jax_session.result(jax_checks, "cli")
    assert done["code"] == 0, done["stderr"][-2000:]
    rid = done["stdout"].split()[1].rstrip(":")
    store = jax_checks["recipe_store"]
    assert json.loads((store / rid / "config.json").read_text())["backend"] == "jax"
    assert "learning_rate" in (store / rid / "history.csv").read_text()
