"""Training, fine-tuning, the run store and resume, on tiny synthetic data."""

import dataclasses
import json
import os
import warnings
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ferlib.config import RunConfig, profile_config
from ferlib.experiment import finetune_run, load_data, train_run
from ferlib.identity import NUMERICS_VERSION
from ferlib.store import REQUIRED_FILES, RunStore, runs_frame

TINY = dict(data="synthetic", epochs=2, batch_size=32, limit_train=96, augment=True)


def tiny(model=2, dataset="jaffe", **overrides):
    size = {"fer2013": 280, "ckplus": 189, "jaffe": 140}.get(dataset, 140)
    values = dict(TINY, model=model, dataset=dataset, synthetic_size=size)
    values.update(overrides)
    return RunConfig(**values)


class StopAfter:
    """A ``log`` that raises KeyboardInterrupt after the n-th epoch line (a 'kill')."""

    def __init__(self, n):
        self.n, self.epochs = n, 0

    def __call__(self, line):
        if line.strip().startswith("epoch"):
            self.epochs += 1
            if self.epochs >= self.n:
                raise KeyboardInterrupt("simulated kill")


@pytest.mark.parametrize("model", [1, 2, 3])
def test_smoke_run_of_each_model_is_complete(tmp_path, model):
    config = tiny(model=model, epochs=1, limit_train=64)
    run = train_run(config, tmp_path, verbose=0)
    for name in REQUIRED_FILES + ("model.keras",):
        assert (run.path / name).exists(), name
    assert len(run.history) == 1
    test = run.metrics["test"]
    assert test["n"] == (run.predictions["part"] == "test").sum() > 0
    assert 0.0 <= test["accuracy"] <= 1.0
    probs = run.predictions.filter(like="p_").to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    manifest = run.manifest
    assert manifest["run_id"] == run.path.name
    assert manifest["train_images_per_s"] > 0 and manifest["backend"] == "tensorflow"
    assert manifest["precision"] == "float32" and isinstance(manifest["jit_compile"], bool)
    assert len(manifest["data_fingerprint"]) == 64 and manifest["numerics_version"] == NUMERICS_VERSION
    # two processors of one name differ in speed: the run names the vector extensions it had
    from ferlib.identity import processor

    assert manifest["hardware"]["vector_extensions"] == processor()["vector_extensions"]
    model_back = run.load_model()
    assert model_back.count_params() == {1: 20_007_687, 2: 1_485_831, 3: 5_905_863}[model]


def test_rerun_is_a_store_hit_and_same_seed_same_metrics(tmp_path):
    config = tiny()
    first = train_run(config, tmp_path / "a", verbose=0)
    lines = []
    again = train_run(config, tmp_path / "a", verbose=1, log=lines.append)
    assert again.id == first.id and "found in the store" in lines[0]
    assert len(RunStore(tmp_path / "a").runs()) == 1
    # a fresh store, same seed: the same numbers (determinism on CPU)
    fresh = train_run(config, tmp_path / "b", verbose=0)
    assert fresh.id == first.id
    assert fresh.history[["loss", "val_accuracy"]].equals(first.history[["loss", "val_accuracy"]])
    assert fresh.metrics["test"] == first.metrics["test"]
    # another seed: another run id and other numbers
    other = train_run(dataclasses.replace(config, seed=1), tmp_path / "a", verbose=0)
    assert other.id != first.id
    assert not other.history["loss"].equals(first.history["loss"])


def test_finetune_starts_from_the_source_weights(tmp_path):
    source = tiny(dataset="fer2013", epochs=1)
    target = tiny(dataset="jaffe", epochs=1)
    source_run, tuned = finetune_run(source, target, tmp_path, verbose=0)
    assert tuned.config.source == "fer2013" and tuned.config.source_run == source_run.id
    scratch = train_run(target, tmp_path, verbose=0)
    assert scratch.id != tuned.id
    table = runs_frame(RunStore(tmp_path).runs())
    assert set(table["source"]) == {"", "fer2013"} and len(table) == 3
    # the fine-tune began from the source weights, so its first epoch differs from scratch
    assert tuned.history["loss"].iloc[0] != scratch.history["loss"].iloc[0]
    # ... and the source network was tested on the target before any fine-tuning
    zero_shot = tuned.metrics["zero_shot"]
    assert zero_shot["test"]["n"] == tuned.metrics["test"]["n"]
    from ferlib.training import predict_proba

    test = tuned.predictions["part"] == "test"
    data = load_data("jaffe", synthetic_size=target.synthetic_size)
    from ferlib.experiment import prepare

    prepared, part = prepare(tuned.config, data)
    again = predict_proba(source_run.load_model(), prepared.images[part == "test"])
    assert zero_shot["test"]["accuracy"] == pytest.approx(
        float((again.argmax(1) == prepared.labels[part == "test"]).mean()))
    assert int(test.sum()) == zero_shot["test"]["n"]
    assert "zero_shot" not in scratch.metrics


@pytest.mark.parametrize("augment", [True, False], ids=["augmented", "plain"])
def test_killed_run_never_looks_complete_and_resumes_to_same_numbers(tmp_path, augment):
    """Resumed with and without augmentation (without it, the trained model is the
    compiled one, so its weights files hold the optimizer's state too): the same numbers
    as a run never killed, and no optimizer state skipped on loading."""
    config = tiny(epochs=3, augment=augment)
    with pytest.raises(KeyboardInterrupt):
        train_run(config, tmp_path / "s", verbose=1, log=StopAfter(2))
    store = RunStore(tmp_path / "s")
    assert store.runs() == []  # nothing looks finished
    partial = list((tmp_path / "s" / ".partial").iterdir())
    assert len(partial) == 1 and (partial[0] / "state.json").exists()
    assert len(json.loads((partial[0] / "state.json").read_text())["history"]) == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = train_run(config, tmp_path / "s", verbose=0)
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert resumed.manifest["resumed_from_epoch"] == 2
    assert not (tmp_path / "s" / ".partial" / resumed.id).exists()
    straight = train_run(config, tmp_path / "t", verbose=0)
    np.testing.assert_allclose(resumed.history["loss"], straight.history["loss"], rtol=1e-5)
    assert resumed.metrics["test"]["accuracy"] == pytest.approx(straight.metrics["test"]["accuracy"])


def test_sigkill_leaves_no_finished_run(tmp_path):
    config = tiny(epochs=50)
    code = (
        "from ferlib.config import RunConfig\nfrom ferlib.experiment import train_run\n"
        f"train_run(RunConfig(**{config.to_dict()!r}), {str(tmp_path)!r}, verbose=1)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    for line in proc.stdout:
        if "epoch   2/" in line:
            proc.kill()
            break
    proc.wait(timeout=60)
    assert RunStore(tmp_path).runs() == []
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")]


def test_profile_config_and_bad_arguments():
    config = profile_config("smoke", model=3, dataset="ckplus")
    assert config.epochs == 1 and config.synthetic_size > 0
    assert profile_config("paper", model=1, dataset="fer2013", data="real").epochs == 75
    with pytest.raises(ValueError, match="model must be one of"):
        tiny(model=99)
    with pytest.raises(ValueError, match="dataset must be one of"):
        tiny(dataset="affectnet")
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        tiny(epochs=0)
    with pytest.raises(ValueError, match="profile must be one of"):
        profile_config("huge", model=1, dataset="jaffe")
    with pytest.raises(ValueError, match="needs a data directory"):
        train_run(tiny(data="real", synthetic_size=None), "unused", verbose=0)


def test_one_writer_per_run_and_a_dead_writers_lock_is_taken_over(tmp_path):
    from ferlib.store import RunLocked

    store = RunStore(tmp_path)
    lock = store.writer("abc")
    with lock:
        with pytest.raises(RunLocked, match=f"process .* {os.getpid()} is training this run"):
            with store.writer("abc"):
                pass
    assert not (tmp_path / ".partial" / "abc.lock").exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    import socket

    (tmp_path / ".partial" / "abc.lock").write_text(f"{socket.gethostname()} {dead}")
    with store.writer("abc"):  # the process that wrote it is gone: taken over
        assert (tmp_path / ".partial" / "abc.lock").read_text().endswith(str(os.getpid()))


def test_a_second_process_training_the_same_run_stops_with_a_clear_error(tmp_path):
    import socket

    config = tiny(epochs=1)
    first = train_run(config, tmp_path / "probe", verbose=0)
    (tmp_path / "s" / ".partial").mkdir(parents=True)
    (tmp_path / "s" / ".partial" / f"{first.id}.lock").write_text(f"{socket.gethostname()} {os.getppid()}")
    from ferlib.store import RunLocked

    with pytest.raises(RunLocked, match="is training this run"):
        train_run(config, tmp_path / "s", verbose=0)
    assert RunStore(tmp_path / "s").runs() == []


def test_a_broken_stored_run_is_trained_again_never_served(tmp_path):
    config = tiny(epochs=1, limit_train=64)
    first = train_run(config, tmp_path, verbose=0)
    metrics = first.path / "metrics.json"
    metrics.write_text(metrics.read_text()[:40])  # a truncated file
    lines = []
    again = train_run(config, tmp_path, verbose=0, log=lines.append)
    assert any("is broken" in line and f"{metrics}: not valid JSON" in line and "training it again" in line
               for line in lines), lines
    assert again.id == first.id and RunStore(tmp_path).get(first.id) is not None
    assert json.loads(metrics.read_text())["test"]["accuracy"] == pytest.approx(first.metrics["test"]["accuracy"])


def test_a_kill_between_the_weights_and_state_json_resumes_from_the_state_it_names(tmp_path, monkeypatch):
    """Killed after epoch 2's weights were written but before its state.json: the resumed
    run starts from epoch 1's weights and state, and ends as a run never killed."""
    from ferlib import atomic, training

    config = tiny(epochs=2)
    write = atomic.write_text
    states = []

    def killed_at_the_second_state(path, text):
        if Path(path).name == training.STATE_FILE:
            states.append(path)
            if len(states) == 2:
                raise KeyboardInterrupt("killed before state.json")
        return write(path, text)

    monkeypatch.setattr(atomic, "write_text", killed_at_the_second_state)
    with pytest.raises(KeyboardInterrupt):
        train_run(config, tmp_path / "s", verbose=0)
    monkeypatch.setattr(atomic, "write_text", write)
    resumed = train_run(config, tmp_path / "s", verbose=0)
    assert resumed.manifest["resumed_from_epoch"] == 1
    straight = train_run(config, tmp_path / "t", verbose=0)
    np.testing.assert_allclose(resumed.history["loss"], straight.history["loss"], rtol=1e-5)
    assert resumed.metrics["test"]["accuracy"] == pytest.approx(straight.metrics["test"]["accuracy"])
    assert resumed.predictions["predicted"].tolist() == straight.predictions["predicted"].tolist()


def test_a_checkpoint_that_cannot_be_trusted_is_not_resumed(tmp_path):
    from ferlib.training import read_checkpoint

    lines = []
    (tmp_path / "state.json").write_text('{"history": [{"epoch": 1')  # truncated
    assert read_checkpoint(tmp_path, log=lines.append) is None
    assert "unreadable" in lines[-1] and "training starts over" in lines[-1]
    state = {"format": 2, "history": [{"epoch": 1}, {"epoch": 2}], "best_epoch": 1, "best_score": 0.5,
             "last_weights": "last-0002.weights.h5", "best_weights": "best-0001.weights.h5"}
    (tmp_path / "state.json").write_text(json.dumps(state))
    (tmp_path / "last-0002.weights.h5").write_bytes(b"w")
    assert read_checkpoint(tmp_path, log=lines.append) is None
    assert "best-0001.weights.h5 missing" in lines[-1]
    (tmp_path / "best-0001.weights.h5").write_bytes(b"w")
    assert read_checkpoint(tmp_path, log=lines.append)["last_weights"] == tmp_path / "last-0002.weights.h5"
    (tmp_path / "state.json").write_text(json.dumps(dict(state, last_weights="last-0003.weights.h5")))
    assert read_checkpoint(tmp_path, log=lines.append) is None
    assert "names last-0003.weights.h5" in lines[-1]
    # the older layout (fixed names): weights written after state.json mean a kill in between
    legacy = {k: state[k] for k in ("history", "best_epoch", "best_score")}
    (tmp_path / "state.json").write_text(json.dumps(legacy))
    for name in ("last.weights.h5", "best.weights.h5"):
        (tmp_path / name).write_bytes(b"w")
        os.utime(tmp_path / name, ns=(0, 10**9))
    assert read_checkpoint(tmp_path, log=lines.append)["best_weights"] == tmp_path / "best.weights.h5"
    os.utime(tmp_path / "last.weights.h5", ns=(0, (tmp_path / "state.json").stat().st_mtime_ns + 10**9))
    assert read_checkpoint(tmp_path, log=lines.append) is None
    assert "written after it" in lines[-1]


def test_finetune_refuses_a_source_equal_to_its_target(tmp_path):
    with pytest.raises(ValueError, match="source data set other than its target: both are 'jaffe'"):
        finetune_run(tiny(dataset="jaffe"), tiny(dataset="jaffe"), tmp_path, verbose=0)
    with pytest.raises(ValueError, match="source must differ from dataset"):
        tiny(dataset="jaffe", source="jaffe")
    assert not tmp_path.joinpath(".partial").exists()  # nothing was trained
