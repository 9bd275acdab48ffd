"""The GPU campaign: its plan, its time model, its returned files and their import, and a
rehearsal on CPU with JAX and without TensorFlow."""

import dataclasses
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ferlib import campaign_files as files
from ferlib.campaign_import import import_files
from ferlib.campaign import ModelRate, plan_jobs
from ferlib.protocol import experiment_config
from ferlib.results import committed_runs, paper_experiments, paper_results
from ferlib.synthetic import make_synthetic
from ferlib.fingerprint import file_sha256

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "paper"


# --------------------------------------------------------------------------- plan


def test_protocol_phase_trains_fer2013_first_then_its_fine_tunes():
    committed = committed_runs(RESULTS)
    jobs = plan_jobs(phases=("protocol",), committed=committed, backend="jax")
    keys = [(j.config.model, j.config.dataset, j.source.dataset if j.source else None) for j in jobs]
    have = paper_results(RESULTS)
    missing = [k for k in paper_experiments() if k not in have]
    assert len(jobs) == len(missing)
    scratch_fer = [k for k in keys if k[1] == "fer2013"]
    assert keys[:len(scratch_fer)] == scratch_fer
    tunes_of_trained = [k for k in keys if k[2] and (k[0], "fer2013", None) in missing]
    assert keys[len(scratch_fer):len(scratch_fer) + len(tunes_of_trained)] == tunes_of_trained
    for job in jobs:
        key = (job.config.model, "ckplus" if job.config.dataset == "ckplus7" else job.config.dataset,
               job.source.dataset if job.source else None)
        assert job.config == experiment_config("paper", key, data="real", seed=0, backend="jax")
        assert job.config.data == "real" and job.config.dataset != "ckplus"  # the protocol's CK+ is ckplus7
        if job.source:
            assert job.source == experiment_config("paper", (key[0], "fer2013", None), data="real", seed=0,
                                                   backend="jax")


def test_seeds_and_study_phases():
    jobs = plan_jobs(phases=("seeds", "study"), committed=[], backend="jax", seeds=(1, 2))
    seeds = [j for j in jobs if j.phase == "seeds"]
    assert len(seeds) == 2 * 15 and {j.config.seed for j in seeds} == {1, 2}
    study = [j for j in jobs if j.phase == "study"]
    assert study and all(j.cell for j in study)
    tunes = [j for j in study if j.round == "fine-tune"]
    assert study[:len(tunes)] == tunes, "the fine-tune round comes first"
    assert {j.config.model for j in tunes} == {2} and {j.config.model for j in study[len(tunes):]} == {1, 3}
    assert len(tunes) == 2 * 2 * 3, "two cells, two data sets, three seeds"
    from ferlib import study as study_module

    for job in tunes:
        assert job.source == study_module.source_config(
            dataclasses.replace(job.config, source="fer2013"))
        assert job.config.source is None and job.label.startswith(f"study: model 2 fer2013->{job.config.dataset}")
    assert [j.phase for j in jobs] == ["seeds"] * len(seeds) + ["study"] * len(study)
    assert not [j for j in plan_jobs(phases=("study",), committed=[], backend="jax", finetune_models=())
                if j.round == "fine-tune"]
    with pytest.raises(ValueError, match="phases"):
        plan_jobs(phases=("everything",), backend="jax")


def test_subject_phase_adds_the_folds_not_committed(tmp_path, fold_copier):
    from ferlib.campaign import PHASES
    from ferlib.protocol import subject_configs

    assert PHASES == ("protocol", "seeds", "subject", "transfer", "study"), "every phase by default, study last"
    jobs = plan_jobs(phases=("subject",), committed=[], backend="jax")
    assert [j.config for j in jobs] == subject_configs(model=2, backend="jax")
    assert all(j.phase == "subject" and j.source is None and j.cell is None for j in jobs)
    assert jobs[3].label == "subject: model 2 jaffe seed 0 loso fold 3"
    assert jobs[-1].label == "subject: model 2 ckplus7 seed 0 subject-kfold fold 9"
    protocol_run = paper_results(RESULTS)[(2, "jaffe", None)]
    done = [fold_copier(protocol_run, fold, tmp_path) for fold in (0, 3)]
    from ferlib.results import is_subject_fold

    others = [run for run in committed_runs(RESULTS) if not is_subject_fold(run.config)]
    left = plan_jobs(phases=("subject",), committed=others + done, backend="jax")
    assert len(left) == 18 and [j.config.fold for j in left[:8]] == [1, 2, 4, 5, 6, 7, 8, 9]
    both = plan_jobs(phases=("subject",), subject_models=(1, 2), committed=[], backend="jax")
    assert [j.config.model for j in both] == [1] * 20 + [2] * 20
    every = plan_jobs(committed=[], backend="jax", seeds=(1,))
    order = [j.phase for j in every]
    assert order == sorted(order, key=PHASES.index) and set(order) == set(PHASES)


def test_time_model_learns_rate_and_overheads():
    rate = ModelRate(images_per_s=100.0, epoch_overhead_s=0.5, eval_s_per_image=0.001, run_overhead_s=10.0)
    assert rate.predict(epochs=2, epoch_images=1000, val_images=100) == pytest.approx(10 + 2 * (0.5 + 10 + 0.1))
    # a run of 3 epochs of 2,000 images at 1 s + 2,000/400 s each, first epoch 4 s longer
    history = pd.DataFrame({"seconds": [10.0, 6.0, 6.0]})
    rate.observe(history=history, epoch_images=2000, val_images=100, wall_s=30.0)
    assert rate.source == "runs" and rate.images_per_s == pytest.approx(2000 / 5.5)
    assert rate.run_overhead_s >= 10.0  # never below the warm-up's figure
    # a second data set size separates the per-epoch overhead from the rate
    rate.observe(history=pd.DataFrame({"seconds": [3.0, 1.5, 1.5]}), epoch_images=200, val_images=10, wall_s=8)
    assert rate.images_per_s == pytest.approx(1800 / 4.5)
    assert rate.epoch_overhead_s == pytest.approx(1.0)


# --------------------------------------------------------------------------- returned files


def test_split_and_join_round_trip(tmp_path):
    source = tmp_path / "big.bin"
    payload = np.random.default_rng(0).integers(0, 256, 2500, dtype=np.uint8).tobytes()
    source.write_bytes(payload)
    out = tmp_path / "out"
    out.mkdir()
    written = files.write_split(source, out, "x.model.keras", limit=1000)
    assert [p.name for p in written] == ["x.model.keras.part0", "x.model.keras.part1", "x.model.keras.part2"]
    assert all(p.stat().st_size <= 1000 for p in written)
    groups = files.group_parts(reversed(written))
    assert files.join_parts(groups["x.model.keras"], tmp_path / "joined").read_bytes() == payload
    with pytest.raises(ValueError, match="none missing"):
        files.group_parts([written[0], written[2]])
    assert [p.name for p in files.write_split(source, out, "x.model.keras", limit=4000)] == ["x.model.keras"]
    assert sorted(p.name for p in out.iterdir()) == ["x.model.keras"]  # old parts removed


def test_extract_refuses_unexpected_members(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    (tmp_path / "f").write_text("x")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(tmp_path / "f", arcname="runs/../../escape")
    with pytest.raises(ValueError, match="unexpected member"):
        files.extract_runs(evil, tmp_path / "dest")
    assert not (tmp_path / "escape").exists()


def test_import_checks_sizes_and_hashes_and_updates_missing(tmp_path):
    """A committed run exported, archived and imported into a copy of results/paper minus
    that run comes back, audited; a corrupted archive is refused by the log's sha256."""
    import shutil

    results = tmp_path / "results"
    shutil.copytree(RESULTS, results)
    run = paper_results(results)[(2, "jaffe", None)]
    out = tmp_path / "out"
    out.mkdir()
    files.archive_runs([run], out / files.RUNS_ARCHIVE)
    shutil.rmtree(run.path)
    missing = json.loads((results / "missing.json").read_text())
    missing["runs"].append({"key": [2, "jaffe", None], "reason": "pretend it is missing"})
    (results / "missing.json").write_text(json.dumps(missing))
    archive = out / files.RUNS_ARCHIVE
    log = {"jobs": [], "out_files": {archive.name: {"bytes": archive.stat().st_size,
                                                    "sha256": file_sha256(archive)}}}
    (out / files.LOG_FILE).write_text(json.dumps(log))
    (out / files.TEXT_LOG).write_text("printed output\n")
    report = import_files(sorted(out.iterdir()), results_dir=results, store_dir=tmp_path / "store")
    assert report["imported"] == [run.id] and report["problems"] == [] and report["notes"] == []
    assert report["missing_removed"] == [(2, "jaffe", None)]
    assert (2, "jaffe", None) in paper_results(results)
    again = import_files([archive], results_dir=results, store_dir=tmp_path / "store")
    assert again["kept"] == [run.id] and again["imported"] == []
    archive.write_bytes(archive.read_bytes()[:-10] + b"0123456789")
    bad = import_files([archive, out / files.LOG_FILE], results_dir=results, store_dir=tmp_path / "store")
    assert any("corrupt" in p for p in bad["problems"])
    with pytest.raises(ValueError, match="not a campaign file"):
        import_files([out / files.TEXT_LOG, tmp_path / "results" / "missing.json"], results_dir=results,
                           store_dir=tmp_path / "store")


# --------------------------------------------------------------------------- rehearsal


def _tiny_pack(path):
    from ferlib.pack import write_pack

    made = {"fer2013": make_synthetic("fer2013", 420), "jaffe": make_synthetic("jaffe", 140),
            "ckplus7": make_synthetic("ckplus", 189)}
    write_pack({name: dataclasses.replace(d, name=name) for name, d in made.items()}, path)


#: After the campaign, in one process on its machine's software (JAX, no TensorFlow):
#: ``campaign-import`` of its returned files, ``check`` of the results they went into, and
#: the FER2013 run trained again the default way (checkpoints, 1 step per call), which
#: must give the campaign's numbers. Prints ``RESULT {json}``: each command's exit code and
#: output, and ``same_numbers`` (a line, or the traceback of what differed).
_AFTER_CAMPAIGN = textwrap.dedent("""
    import contextlib, io, json, sys, traceback
    import numpy as np
    from ferlib.cli import main
    from ferlib.experiment import train_run
    from ferlib.store import read_run
    steps = json.loads(sys.argv[1])

    def command(argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}

    def same_numbers(pack, store, other):
        campaign_run = read_run(store)
        again = train_run(campaign_run.config, other, data_dir=pack, verbose=0)  # checkpoints, 1 step per call
        assert again.id == campaign_run.id
        np.testing.assert_array_equal(again.history["loss"], campaign_run.history["loss"])
        np.testing.assert_array_equal(again.history["val_loss"], campaign_run.history["val_loss"])
        cols = [c for c in again.predictions.columns if c.startswith("p_")]
        np.testing.assert_array_equal(again.predictions[cols].to_numpy(), campaign_run.predictions[cols].to_numpy())
        return (f"same numbers {again.id} {again.manifest['steps_per_execution']} "
                f"{campaign_run.manifest['steps_per_execution']}")

    result = {"import": command(steps["import"]), "check": command(steps["check"])}
    try:
        result["same_numbers"] = same_numbers(*steps["same_numbers"])
    except Exception:
        result["same_numbers"] = traceback.format_exc()
    print("RESULT" + json.dumps(result))
""")


@pytest.mark.slow
def test_campaign_rehearsal_on_cpu_with_jax_and_no_tensorflow(tmp_path):
    """Smoke-scale campaign from a pack, in a subprocess on JAX where TensorFlow cannot be
    imported: its returned runs import and audit cleanly, weights come back for the
    FER2013 run, and the campaign's way of training (no checkpoints, 16 steps per call)
    gives the numbers of the default one."""
    pytest.importorskip("jax", reason="jax is not installed")
    shim = tmp_path / "shim" / "tensorflow"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('no TensorFlow on this machine (rehearsal)')\n")
    _tiny_pack(tmp_path / "pack")
    (tmp_path / "results").mkdir()
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([str(tmp_path / "shim"), str(ROOT)]))
    argv = [sys.executable, "-m", "ferlib", "campaign", "--pack", str(tmp_path / "pack"),
            "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out"), "--budget-s", "600",
            "--profile", "smoke", "--models", "2", "--phases", "protocol", "--max-runs", "2",
            "--results", str(tmp_path / "results"), "--warmup-steps", "4"]
    tic = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    seconds = time.perf_counter() - tic
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = json.loads((tmp_path / "out" / files.LOG_FILE).read_text())
    trained = [job for job in record["jobs"] if job["status"] == "trained"]
    assert [job["label"] for job in trained] == ["protocol: model 2 fer2013 seed 0",
                                                 "protocol: model 2 fer2013->jaffe seed 0"]
    assert record["environment"]["backend"] == "jax" and "tensorflow" not in record["environment"]["versions"]
    assert record["rates"]["2"]["images_per_s"] > 0 and record["warmups"][0]["model"] == 2
    returned = sorted((tmp_path / "out").iterdir())
    assert len(returned) <= files.MAX_FILES and all(p.stat().st_size <= files.FILE_LIMIT for p in returned)
    fer = trained[0]["run_id"]
    assert f"{fer}{files.WEIGHTS_SUFFIX}" in record["out_files"]

    steps = {"import": ["campaign-import", *map(str, returned), "--to", str(tmp_path / "results"),
                        "--store", str(tmp_path / "local"), "--profile", "smoke"],
             "check": ["check", "--results", str(tmp_path / "results")],
             "same_numbers": [str(tmp_path / "pack"), str(tmp_path / "store" / fer), str(tmp_path / "again")]}
    after = subprocess.run([sys.executable, "-c", _AFTER_CAMPAIGN, json.dumps(steps)],
                           capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    lines = [line for line in after.stdout.splitlines() if line.startswith("RESULT")]
    assert after.returncode == 0 and lines, after.stdout[-3000:] + after.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT"):])
    imported, check = result["import"], result["check"]
    assert imported["code"] == 0, imported["stdout"] + imported["stderr"]
    runs = {run.id: run for run in committed_runs(tmp_path / "results")}
    assert set(runs) == {job["run_id"] for job in trained}
    assert runs[trained[1]["run_id"]].config.source_run == fer
    assert (tmp_path / "local" / fer / "model.keras").exists()
    assert check["code"] == 0 and "problem:" not in check["stdout"], check["stdout"] + check["stderr"]
    assert result["same_numbers"].startswith("same numbers"), result["same_numbers"][-3000:]
    print(f"rehearsal: campaign {seconds:.0f} s ({record['elapsed_s']} s inside)")
