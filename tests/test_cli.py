"""The command line, in process (fast) and once as ``python -m ferlib`` (real entry point)."""

import json
import os
import subprocess
import sys

import pytest

import jax_session
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
    (["train", "--model", "1", "--epochs", "0"], "argument --epochs: expected a number of epochs 1..10,000, got 0"),
    (["train", "--model", "1", "--data-dir", "no/such/dir"], "no such directory"),
    (["finetune", "--model", "1", "--target", "jaffe", "--data-dir", "no/such/dir"], "no such directory"),
    (["datasets", "--data-dir", "no/such/dir"], "no such directory"),
    (["train", "--model", "1", "--learning-rate", "inf"], "learning_rate must be a finite positive number"),
    (["train", "--model", "1", "--learning-rate", "nan"], "learning_rate must be a finite positive number"),
    (["train", "--model", "1", "--augment-scale", "nan"], "augment_scale must be in (0, 2.0]"),
    (["train", "--model", "1", "--batch-size", "0"], "argument --batch-size: expected a batch size 1..65,536, got 0"),
    (["train", "--model", "2", "--protocol", "subject-kfold", "--folds", "2"], "folds must be an integer of at least 3"),
    (["train", "--model", "2", "--protocol", "loso", "--folds", "10"], "folds applies to protocol 'subject-kfold'"),
    (["train", "--model", "2", "--protocol", "subject-kfold", "--folds", "10", "--fold", "10"],
     "fold must be in 0..9"),
    (["study", "--round", "first"], "argument --round: invalid choice: 'first' (choose from 'protocol', "
                                    "'augmented recipe', 'rate 0.001', 'fine-tune')"),
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
def test_jax_backend_trains_the_same_code(jax_checks):
    """``train`` on Keras's JAX backend, twice into one store: the second is a store hit
    there as well (run in-process by the slow tier's one JAX subprocess, tests/jax_session.py)."""
    first, second, _ = jax_session.result(jax_checks, "cli")
    for done in (first, second):
        assert done["code"] == 0, done["stderr"][-2000:]
    run_id = first["stdout"].split()[1].rstrip(":")
    assert second["stdout"].split()[1].rstrip(":") == run_id
    store = jax_checks["cli_store"]
    runs = [p for p in store.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in runs] == [run_id]
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
    import zipfile

    with zipfile.ZipFile(store / committed[0].id / "model.keras", "w") as weights:  # a complete archive
        weights.writestr("model.weights.h5", b"weights")
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


@pytest.mark.parametrize("argv, option", [
    (["runs", "--store", "{file}"], "--store"),
    (["train", "--model", "2", "--dataset", "jaffe", "--store", "{file}"] + SMOKE, "--store"),
    (["datasets", "--data-dir", "{data}", "--cache-dir", "{file}"], "--cache-dir"),
    (["train", "--model", "2", "--dataset", "jaffe", "--store", "{data}", "--cache-dir", "{file}"] + SMOKE,
     "--cache-dir"),
    (["export", "--store", "{data}", "--to", "{file}"], "--to"),
    (["book", "--build-dir", "{file}"], "--build-dir"),
])
def test_a_folder_option_pointing_at_a_file_gives_one_line_before_any_work(argv, option, tmp_path, capsys,
                                                                          monkeypatch):
    from ferlib import experiment

    monkeypatch.setattr(experiment, "load_data", lambda *a, **k: pytest.fail("data loaded before the check"))
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    (tmp_path / "data").mkdir()
    argv = [a.format(file=file, data=tmp_path / "data") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {option} {file}: is a file; expected a folder (it is made if missing)"


def test_finetune_with_its_source_as_target_is_refused(tmp_path, capsys):
    argv = ["finetune", "--model", "2", "--source", "jaffe", "--target", "jaffe", "--store", str(tmp_path)]
    assert main(argv + SMOKE) == 2
    assert "--source and --target are both 'jaffe'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing trained


@pytest.mark.parametrize("command", ["train", "finetune", "reproduce"])
def test_folds_reaches_the_run_config(command):
    from ferlib import cli

    extra = {"train": ["--model", "2", "--dataset", "ckplus7"], "finetune": ["--model", "2", "--target", "jaffe"],
             "reproduce": []}[command]
    args = cli.build_parser().parse_args([command, *extra, "--profile", "paper", "--data-dir", ".",
                                          "--protocol", "subject-kfold", "--folds", "10", "--fold", "7"])
    config = cli._config(args, model=2, dataset="ckplus7")
    assert (config.protocol, config.fold, config.folds) == ("subject-kfold", 7, 10)
    assert cli._overrides(args)["folds"] == 10
    plain = cli.build_parser().parse_args([command, *extra, "--profile", "paper", "--data-dir", "."])
    assert cli._config(plain, model=2, dataset="ckplus7").folds == 5


def test_check_lists_committed_folds_apart_from_the_departures(tmp_path, capsys, fold_copier):
    import shutil

    from ferlib import results
    from ferlib.book import project_root

    committed = results.committed_runs(project_root() / results.PAPER_RESULTS)
    protocol_run = results.protocol_runs(committed)[(2, "jaffe", None)]
    out = tmp_path / "out"
    shutil.copytree(protocol_run.path, out / protocol_run.id)
    folds = [fold_copier(protocol_run, fold, out).id for fold in (4, 0)]
    assert main(["check", "--results", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 committed runs (0 outside the protocol, 2 subject-independent folds), 0 problems" in text
    assert "subject-independent: model 2 jaffe seed 0, leave one subject out: 2 of 10 folds (0, 4)" in text
    assert "outside the protocol:" not in text and not any(rid in text for rid in folds)


@pytest.mark.parametrize("argv", [
    ["--dataset", "jaffe", "--protocol", "loso", "--fold", "6"],
    ["--dataset", "ckplus7", "--protocol", "subject-kfold", "--folds", "10", "--fold", "6"],
])
def test_the_documented_fold_commands_train_the_protocols_folds(argv):
    """``train --profile paper --data-dir DATA`` with these options is fold 6 of the
    subject-independent evaluation that the book pools and check recognises."""
    import keras

    from ferlib import cli, protocol, results

    args = cli.build_parser().parse_args(["train", "--model", "2", "--profile", "paper", "--data-dir", ".", *argv])
    config = cli._config(args, model=args.model, dataset=args.dataset)
    assert config == protocol.subject_fold_config("paper", 2, args.dataset, 6, backend=keras.backend.backend())
    assert results.is_subject_fold(config)


def test_each_command_has_one_group_and_help_lists_them_in_order(capsys):
    from ferlib import cli

    names = [name for group in cli.GROUPS for name in group.COMMANDS]
    assert sorted(names) == sorted(cli.ORDER) and len(set(cli.ORDER)) == len(cli.ORDER)
    for group in cli.GROUPS:
        for name, (add_parser, run) in group.COMMANDS.items():
            assert run is cli.COMMANDS[name] and run.__module__ == add_parser.__module__ == group.__name__
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out.split("{", 1)[1].split("}", 1)[0].split(",")
    assert listed == list(cli.ORDER)
    assert main([cli.ORDER[-1], "--help"]) == 0
    assert f"usage: python -m ferlib {cli.ORDER[-1]}" in capsys.readouterr().out


def test_the_command_line_starts_without_the_slow_libraries():
    # every command group is imported to build the parser: each must load what it runs only when it runs
    code = ("import sys, ferlib.cli; ferlib.cli.build_parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'keras', 'tensorflow', 'jax', 'matplotlib', "
            "'sklearn', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
