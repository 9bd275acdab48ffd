"""The command line, in process (fast) and once as ``python -m ferlib`` (real entry point)."""

import json
import os
import subprocess
import sys

import pytest

from ferlib.cli import main

SMOKE = ["--profile", "smoke", "--epochs", "1", "--limit-train", "64", "--quiet"]


def test_train_twice_gives_one_training_and_one_store_hit(tmp_path, capsys):
    store = str(tmp_path / "store")
    assert main(["train", "--model", "2", "--dataset", "jaffe", "--store", store] + SMOKE) == 0
    first = capsys.readouterr().out
    assert main(["train", "--model", "2", "--dataset", "jaffe", "--store", store, "--profile", "smoke",
                 "--epochs", "1", "--limit-train", "64"]) == 0
    second = capsys.readouterr().out
    assert "found in the store" in second and "training run" not in second
    run_id = first.split()[1].rstrip(":")
    assert run_id in second
    assert main(["runs", "--store", store, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["run_id"] == run_id and rows[0]["model"] == 2


@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "7"], "model must be one of"),
    (["train", "--model", "1", "--dataset", "affectnet"], "dataset must be one of"),
    (["train", "--model", "1", "--epochs", "0"], "--epochs must be at least 1"),
    (["train", "--model", "1", "--data-dir", "no/such/dir"], "no such directory"),
    (["finetune", "--model", "1", "--target", "jaffe", "--data-dir", "no/such/dir"], "no such directory"),
    (["datasets", "--data-dir", "no/such/dir"], "no such directory"),
])
def test_bad_arguments_exit_2_with_a_clear_message(argv, message, tmp_path, capsys):
    assert main(argv + ["--store", str(tmp_path)] if argv[0] != "datasets" else argv) == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_entry_point(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-m", "ferlib", "runs", "--store", str(tmp_path)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and "no finished runs" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "ferlib", "train"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode == 2 and "--model" in bad.stderr


@pytest.mark.slow
def test_jax_backend_trains_the_same_code(tmp_path):
    pytest.importorskip("jax", reason="jax is not installed")
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    argv = ["train", "--model", "2", "--dataset", "jaffe", "--store", str(tmp_path)] + SMOKE
    for _ in range(2):  # twice: the second is a store hit on the JAX backend as well
        out = subprocess.run([sys.executable, "-m", "ferlib", *argv], capture_output=True, text=True,
                             env=env, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
    runs = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    config = json.loads((runs[0] / "config.json").read_text())
    assert manifest["backend"] == "jax" and config["backend"] == "jax"
    assert "jax" in manifest["versions"]


def test_export_and_check_commands(tmp_path, capsys):
    import shutil

    from ferlib import results
    from ferlib.book import project_root

    committed = list(results.paper_results(project_root() / results.PAPER_RESULTS).values())
    assert committed, "no committed protocol run to export"
    store = tmp_path / "store"
    shutil.copytree(committed[0].path, store / committed[0].id)
    (store / committed[0].id / "model.keras").write_bytes(b"weights")
    assert main(["export", "--store", str(store), "--to", str(tmp_path / "out")]) == 0
    assert committed[0].id in capsys.readouterr().out
    assert not (tmp_path / "out" / committed[0].id / "model.keras").exists()
    assert main(["check", "--results", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "1 committed runs (0 outside the protocol), 0 problems" in out and "missing: model" in out
    outside = results.runs_outside_protocol(results.committed_runs(project_root() / results.PAPER_RESULTS))
    if outside:
        shutil.copytree(outside[0].path, tmp_path / "out" / outside[0].id)
        assert main(["check", "--results", str(tmp_path / "out")]) == 0
        assert f"outside the protocol: {outside[0].id}" in capsys.readouterr().out
        shutil.rmtree(tmp_path / "out" / outside[0].id)
    metrics = tmp_path / "out" / committed[0].id / "metrics.json"
    edited = json.loads(metrics.read_text())
    edited["test"]["n"] += 1
    metrics.write_text(json.dumps(edited))
    assert main(["check", "--results", str(tmp_path / "out")]) == 1
    assert "problem:" in capsys.readouterr().out
    assert main(["export", "--store", str(tmp_path / "absent")]) == 2


def test_os_errors_become_one_line_naming_the_path(monkeypatch, capsys):
    from ferlib import cli

    def denied(args):
        raise PermissionError(13, "Permission denied", "results/paper/x/config.json")

    monkeypatch.setitem(cli.COMMANDS, "runs", denied)
    assert cli.main(["runs"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: results/paper/x/config.json: Permission denied"
