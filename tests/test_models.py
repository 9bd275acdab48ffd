"""Tests of ferlib.models: the paper's three CNNs, checked against its tables."""

import re
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

import jax_session
from ferlib import models, paper
from ferlib.vocabulary import MODEL_IDS, PAPER_MODELS


@pytest.fixture(scope="module")
def built_models():
    """Each model built once (seeded) for the whole module."""
    return {model_id: models.build_model(model_id, seed=0) for model_id in PAPER_MODELS}


def test_every_model_of_the_vocabulary_has_one_registered_builder():
    assert sorted(models.MODEL_BUILDERS) == sorted(MODEL_IDS)
    assert set(PAPER_MODELS) <= set(MODEL_IDS)
    with pytest.raises(ValueError, match="not in ferlib.vocabulary.MODELS"):
        models.register_model(max(MODEL_IDS) + 1)
    with pytest.raises(ValueError, match="registered twice"):
        models.register_model(2)
    with pytest.raises(ValueError, match="unknown model_id 99"):
        models.build_model(99)


def _weight_count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


@pytest.mark.parametrize("model_id", PAPER_MODELS)
def test_parameter_counts_equal_the_paper(built_models, model_id):
    model = built_models[model_id]
    paper_total, paper_non_trainable = paper.PARAM_COUNTS[model_id]
    trainable = _weight_count(model.trainable_weights)
    non_trainable = _weight_count(model.non_trainable_weights)
    assert trainable + non_trainable == paper_total
    assert non_trainable == paper_non_trainable
    assert trainable == paper_total - paper_non_trainable
    assert model.count_params() == paper_total
    assert models.param_counts(model) == (paper_total, trainable, non_trainable)


@pytest.mark.parametrize("model_id", PAPER_MODELS)
def test_every_layer_matches_the_paper_table(model_id):
    built = models.layer_table(model_id)
    theirs = models.paper_layer_table(model_id)
    assert list(built.columns) == ["layer", "type", "output_shape", "params"]
    pd.testing.assert_frame_equal(built, theirs)
    # The transcribed table itself adds up to the paper's printed total.
    assert theirs["params"].sum() == paper.PARAM_COUNTS[model_id][0]


@pytest.mark.parametrize("model_id", PAPER_MODELS)
def test_rescaling_is_the_first_layer_and_has_no_weights(built_models, model_id):
    first = built_models[model_id].layers[0]
    assert isinstance(first, keras.layers.Rescaling)
    assert first.count_params() == 0
    assert first.scale == pytest.approx(1 / 255)
    with_rescaling = models.layer_table(model_id, include_rescaling=True)
    assert with_rescaling["layer"].iloc[0] == "rescaling"
    assert len(with_rescaling) == len(models.paper_layer_table(model_id)) + 1


@pytest.mark.parametrize("model_id", PAPER_MODELS)
def test_forward_pass_gives_probabilities(built_models, model_id):
    model = built_models[model_id]
    assert model.name == f"model_{model_id}"
    images = np.random.default_rng(model_id).integers(0, 256, (2, 48, 48, 1)).astype("float32")
    probs = keras.ops.convert_to_numpy(model(images, training=False))
    assert probs.shape == (2, 7)
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # Raw 0..255 input is rescaled inside: feeding pre-scaled images changes the output.
    other = keras.ops.convert_to_numpy(model(images / 255.0, training=False))
    assert not np.allclose(probs, other)


def test_seed_fixes_initial_weights():
    first = models.build_model(2, seed=7).get_weights()
    again = models.build_model(2, seed=7).get_weights()
    other = models.build_model(2, seed=8).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_num_classes_sets_output_units():
    model = models.build_model(2, num_classes=3, seed=0)
    assert model.output_shape == (None, 3)


@pytest.mark.parametrize("bad_id", [0, 99, "1", 1.5, True, None])
def test_bad_model_id_raises(bad_id):
    with pytest.raises(ValueError, match=re.escape(str(sorted(MODEL_IDS)))):
        models.build_model(bad_id)
    with pytest.raises(ValueError, match="model_id"):
        models.paper_layer_table(bad_id)


@pytest.mark.parametrize("kwargs", [{"num_classes": 1}, {"num_classes": 7.0}, {"seed": 1.5}])
def test_bad_build_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        models.build_model(1, **kwargs)


def test_model_summary_text():
    text = models.model_summary(2)
    assert 'Model: "model_2"' in text
    assert "Total params: 1,485,831" in text
    assert "average_pooling2d_1" in text


def _check_models_on_jax(result, model_ids):
    """``result``: :func:`jax_session.models` of ``model_ids``, run on Keras's JAX backend."""
    assert sorted(result) == sorted(str(m) for m in model_ids)
    for model_id in model_ids:
        entry = result[str(model_id)]
        assert entry["params"] == paper.PARAM_COUNTS[model_id][0]
        assert entry["shape"] == [2, 7]
        np.testing.assert_allclose(entry["row_sums"], 1.0, rtol=1e-5)


def test_smallest_model_runs_on_jax_backend():
    _check_models_on_jax(jax_session.result(jax_session.run_checks({"models": [2]}), "models"), [2])


@pytest.mark.slow
def test_all_models_run_on_jax_backend(jax_checks):
    _check_models_on_jax(jax_session.result(jax_checks, "models"), list(PAPER_MODELS))


def test_forward_flops_count_the_multiply_adds_of_convolutions_and_dense_layers(tmp_path):
    import importlib.util

    import keras

    from ferlib.models import forward_flops

    model = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, padding="valid"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(), keras.layers.Dense(5)])
    assert forward_flops(model) == 2 * 6 * 6 * 3 * 3 * 2 * 4 + 2 * (3 * 3 * 4) * 5
    assert forward_flops(models.build_model(2)) > forward_flops(keras.Sequential([keras.Input((48, 48, 1)),
                                                                           keras.layers.Flatten(),
                                                                           keras.layers.Dense(7)]))
    spec = importlib.util.spec_from_file_location("throughput", Path(__file__).resolve().parents[1]
                                                  / "benchmarks" / "throughput.py")
    throughput = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(throughput)
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags : fpu sse avx avx2 fma avx512f avx512_bf16\nflags : amx_tile\n")
    found = throughput.cpu_extensions(cpuinfo)
    assert found["AVX2"] and found["AVX-512"] and found["AVX512_BF16"] and not found["AMX"]
    assert not any(throughput.cpu_extensions(tmp_path / "absent").values())
    assert throughput.training_flops(2) == 3 * forward_flops(models.build_model(2))


@pytest.mark.parametrize("model_id", [1, 2, 3])
def test_the_softmax_stays_float32_under_mixed_bfloat16(model_id):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = models.build_model(model_id, seed=0)
        images = np.random.default_rng(0).uniform(0, 255, (4, 48, 48, 1)).astype("float32")
        probabilities = keras.ops.convert_to_numpy(model(images))
        assert model.layers[-2].compute_dtype == "bfloat16", "the rest of the network computes in bfloat16"
    finally:
        keras.config.set_dtype_policy(previous)
    assert model.layers[-1].compute_dtype == "float32" and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_dropout_scale_changes_the_rates_and_nothing_else():
    """``dropout_scale`` multiplies every dropout rate; the layers, their names and their
    weights' shapes stay the paper's, so weights move between the two networks."""
    paper_net = models.build_model(3, seed=0)
    without = models.build_model(3, seed=0, dropout_scale=0.0)
    halved = models.build_model(3, seed=0, dropout_scale=0.5)
    rates = {l.name: l.rate for l in paper_net.layers if isinstance(l, keras.layers.Dropout)}
    assert len(rates) == 7 and max(rates.values()) == 0.5
    assert {l.name: l.rate for l in without.layers if isinstance(l, keras.layers.Dropout)} == dict.fromkeys(rates, 0.0)
    assert {l.name: l.rate for l in halved.layers if isinstance(l, keras.layers.Dropout)} == {
        name: rate / 2 for name, rate in rates.items()}
    assert [l.name for l in without.layers] == [l.name for l in paper_net.layers]
    assert [w.shape for w in without.get_weights()] == [w.shape for w in paper_net.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(without.get_weights(), paper_net.get_weights()))
    ones = np.ones((8, 64), dtype="float32")
    for net, passes in ((without, True), (paper_net, False)):
        layer = next(l for l in net.layers if isinstance(l, keras.layers.Dropout))
        assert np.array_equal(np.asarray(layer(ones, training=True)), ones) == passes, (net.name, layer.rate)


@pytest.mark.parametrize("scale", [-0.1, 1.5, True, "0"])
def test_a_bad_dropout_scale_is_refused(scale):
    with pytest.raises(ValueError, match="dropout_scale"):
        models.build_model(3, dropout_scale=scale)
