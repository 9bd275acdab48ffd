"""Live ReLU units and the early-collapse probe (synthetic data, seconds)."""

import json
import math

import keras
import numpy as np
import pytest

from ferlib.cli import main, parse_seeds
from ferlib.config import profile_config
from ferlib.diagnostics import (
    PROBE_KEY, collapse_summary, dead_layers, live_fractions, live_units, merge_probes, most_live_probe,
    probe_collapse, probes_table, read_probes, relu_layers,
)
from ferlib.models import build_model

FACES = np.random.default_rng(0).integers(0, 256, size=(40, 48, 48), dtype=np.uint8)


def test_relu_layers_are_the_convolutions_and_hidden_dense_layers():
    names = [layer.name for layer in relu_layers(build_model(2, seed=0))]
    assert names == ["conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4", "conv2d_5", "dense_1", "dense_2"]


def test_a_fresh_model_has_live_units_in_every_layer():
    table = live_units(build_model(2, seed=0), FACES, batch_size=16)
    assert table["units"].tolist() == [64, 64, 64, 128, 128, 1024, 1024]
    assert (table["live"] > 0).all() and (table["live"] <= table["units"]).all()
    assert np.allclose(table["live_fraction"], table["live"] / table["units"])
    assert dead_layers(table) == []


def test_a_layer_with_negative_bias_and_zero_kernel_is_dead():
    model = build_model(2, seed=0)
    layer = model.get_layer("dense_2")
    kernel, bias = layer.get_weights()
    bias[:5] = 1.0  # five units stay live, the rest die
    layer.set_weights([np.zeros_like(kernel), np.where(np.arange(len(bias)) < 5, bias, -1.0)])
    table = live_units(model, FACES).set_index("layer")
    assert table.loc["dense_2", "live"] == 5
    layer.set_weights([np.zeros_like(kernel), np.full_like(bias, -1.0)])
    table = live_units(model, FACES)
    assert dead_layers(table) == ["dense_2"]
    probs = model.predict(FACES[..., None], verbose=0)
    assert np.allclose(probs, probs[0])  # a dead layer: the same output for every face


def test_live_units_counts_do_not_depend_on_the_batch_size():
    model = build_model(1, seed=3)
    assert live_units(model, FACES, batch_size=7).equals(live_units(model, FACES, batch_size=40))


@pytest.mark.parametrize("images, message", [
    (np.zeros((0, 48, 48)), "n >= 1"),
    (np.zeros((48, 48)), "(n, 48, 48)"),
])
def test_live_units_rejects_bad_images(images, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        live_units(build_model(2, seed=0), images)


def _smoke(**overrides):
    return profile_config("smoke", model=2, dataset="jaffe", **overrides)


def test_probe_is_reproducible_and_reports_its_settings():
    config = _smoke(seed=1)
    first, second = probe_collapse(config, steps=2), probe_collapse(config, steps=2)
    for key in ("train_loss", "live", "val_accuracy", "data_fingerprint"):
        assert first[key] == second[key]
    assert first["images_seen"] == 2 * config.batch_size and first["seed"] == 1
    assert set(first["live"]) == set(first["units"]) and first["units"]["dense_2"] == 1024
    assert first["collapsed"] is (len(first["dead_layers"]) > 0)
    assert all(key in first for key in PROBE_KEY)
    few = probe_collapse(config, steps=1, probe_images=5)
    assert few["val_images"] == 5 and first["val_images"] > 5  # default: every validation image


def test_a_huge_learning_rate_collapses_model_2_and_a_tiny_one_does_not():
    blown = probe_collapse(_smoke(learning_rate=50.0), steps=3)
    assert blown["collapsed"] and blown["val_predicted_classes"] == 1
    gentle = probe_collapse(_smoke(learning_rate=1e-7), steps=3)
    assert not gentle["collapsed"]
    assert math.isclose(gentle["train_loss"], math.log(7), abs_tol=0.05)


def test_probe_rejects_more_than_one_epoch_and_fine_tunes():
    with pytest.raises(ValueError, match="more than one epoch"):
        probe_collapse(_smoke(), steps=10_000)
    with pytest.raises(ValueError, match="from-scratch"):
        probe_collapse(_smoke(source="fer2013", source_run="x"), steps=1)


def _row(seed, loss, **extra):
    return {"model": 2, "dataset": "fer2013", "seed": seed, "learning_rate": 1e-3, "batch_size": 64,
            "augment": True, "balance": "oversample", "steps": 300, "data_fingerprint": "f",
            "numerics_version": 1, "train_loss": loss, "val_accuracy": 0.25, "val_predicted_classes": 1,
            "live": {"conv2d_5": 0, "dense_1": 4}, "units": {"conv2d_5": 128, "dense_1": 1024},
            "dead_layers": ["conv2d_5"], "collapsed": True, **extra}


def test_merge_replaces_a_probe_with_the_same_settings_and_keeps_others():
    merged = merge_probes([_row(0, 1.0), _row(1, 1.0)], [_row(1, 2.0), _row(2, 3.0)])
    assert [(r["seed"], r["train_loss"]) for r in merged] == [(0, 1.0), (1, 2.0), (2, 3.0)]
    table = probes_table(merged)
    assert table["min_live_layer"].tolist() == ["conv2d_5"] * 3 and table["min_live"].eq(0).all()
    assert table["dead_layers"].tolist() == ["conv2d_5"] * 3


def test_read_probes_names_the_file_and_the_missing_field(tmp_path):
    path = tmp_path / "probes.json"
    path.write_text("not json")
    with pytest.raises(ValueError, match="probes.json: not a probe file"):
        read_probes(path)
    row = _row(0, 1.0)
    del row["steps"]
    path.write_text(json.dumps({"probes": [row]}))
    with pytest.raises(ValueError, match="probe 0 lacks steps"):
        read_probes(path)


@pytest.mark.parametrize("text, seeds", [("0", [0]), ("0-3", [0, 1, 2, 3]), ("4,1,1", [1, 4]), ("0-1,5", [0, 1, 5])])
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a", "1-", "-1", "0-x"])
def test_parse_seeds_rejects_bad_text(text):
    with pytest.raises(ValueError, match="--seeds"):
        parse_seeds(text)


def test_cli_probe_saves_and_merges(tmp_path, capsys):
    path = tmp_path / "probes.json"
    argv = ["probe", "--model", "2", "--dataset", "jaffe", "--profile", "smoke", "--steps", "1",
            "--save", str(path)]
    assert main(argv + ["--seeds", "0-1"]) == 0
    assert main(argv + ["--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert "model 2 jaffe (scratch) seed 1: loss" in out and "saved to" in out
    rows = read_probes(path)
    assert [r["seed"] for r in rows] == [0, 1]
    assert rows[0]["environment"]["backend"] == keras.backend.backend()
    assert main(argv + ["--seed", "3"]) == 2
    assert "not --seed" in capsys.readouterr().err


def test_collapse_summary_counts_collapsed_seeds_per_setting():
    rows = [_row(0, 1.9), _row(1, 1.9), _row(0, 1.8, learning_rate=1e-4, collapsed=False, dead_layers=[],
                                           live={"conv2d_5": 64, "dense_1": 512})]
    summary = collapse_summary(probes_table(rows)).set_index("learning_rate")
    assert summary.loc[1e-3, "probes"] == 2 and summary.loc[1e-3, "collapsed"] == 2
    assert summary.loc[1e-4, "probes"] == 1 and summary.loc[1e-4, "collapsed"] == 0
    assert summary.loc[1e-4, "mean_min_live_fraction"] == pytest.approx(0.5)
    assert summary.loc[1e-3, "one_class"] == 2  # _row predicts one class
    assert collapse_summary(probes_table([])).empty


def test_most_live_probe_is_the_largest_live_share_not_the_most_units():
    import pandas as pd

    table = pd.DataFrame({"seed": [0, 1, 2, 3], "min_live": [100, 64, 32, 0], "min_live_units": [1024, 128, 64, 64]},
                         index=[7, 5, 9, 8])
    assert live_fractions(table).tolist() == pytest.approx([100 / 1024, 0.5, 0.5, 0.0])
    assert most_live_probe(table)["seed"] == 1, "the first of a tie, by share and not by count"
    assert most_live_probe(table.iloc[[0, 3]])["seed"] == 0
    with pytest.raises(ValueError, match="no probe"):
        most_live_probe(table.iloc[:0])


def test_probe_starts_like_train_run(tmp_path):
    """A probe over one whole epoch takes exactly the steps of the run's first epoch."""
    from ferlib.experiment import train_run

    config = _smoke(seed=2, epochs=1)
    run = train_run(config, tmp_path, verbose=0)
    probe = probe_collapse(config, steps=int(math.ceil(probe_epoch_images(config) / config.batch_size)))
    assert probe["data_fingerprint"] == run.manifest["data_fingerprint"]
    assert probe["train_loss"] == pytest.approx(run.history["loss"].iloc[0], rel=1e-5)


def probe_epoch_images(config):
    from ferlib.experiment import load_data, prepare
    from ferlib.training import epoch_indices

    data, part = prepare(config, load_data(config.dataset, synthetic_size=config.synthetic_size,
                                           data_seed=config.data_seed))
    return len(epoch_indices(data.labels[part == "train"], seed=config.seed, epoch=0, balance=config.balance))
