"""ferlib.transfer_runs: the transfer runs trained on this machine, from the committed
results' fingerprints, never retraining a FER2013 run."""

import shutil

import pytest

from ferlib import transfer_runs
from ferlib.protocol import finetune_source_config, transfer_configs
from ferlib.results import DATASETS_FILE, PAPER_RESULTS, committed_runs, is_paper_config


def committed_fer2013(model, seed):
    return [run for run in committed_runs(PAPER_RESULTS)
            if run.config.model == model and run.config.dataset == "fer2013" and run.config.seed == seed
            and is_paper_config(run.config, seed=seed)]


def test_the_source_id_from_the_committed_fingerprints_is_the_committed_fer2013_run():
    """The id comes from datasets.json without loading FER2013, and it is the id of the
    committed protocol run the fine-tunes start from (one per backend)."""
    runs = committed_fer2013(2, 0)
    assert runs, "results/paper holds Model 2's FER2013 protocol run of seed 0"
    for run in runs:
        source = finetune_source_config("paper", 2, seed=0, backend=run.config.backend)
        assert transfer_runs.source_run_id(source) == run.id
    other = finetune_source_config("paper", 2, seed=1, backend=runs[0].config.backend)
    assert transfer_runs.source_run_id(other) != runs[0].id


@pytest.fixture
def results_dir(tmp_path):
    """A results folder with no committed transfer run: the committed data summary alone
    (the fingerprints the plan reads), so that the whole plan is left to train whatever
    is committed."""
    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(PAPER_RESULTS / DATASETS_FILE, folder / DATASETS_FILE)
    return folder


def test_a_dry_run_plans_the_runs_from_scratch_and_skips_fine_tunes_without_weights(tmp_path, results_dir):
    """An empty store and no committed transfer run: every fine-tune is skipped with the
    command that trains its FER2013 run; the runs from scratch on split seeds 1 and 2 are
    planned, in the protocol's order."""
    report = transfer_runs.train_transfer_runs(2, tmp_path / "store", data_dir=tmp_path, training_seeds=(0,),
                                               results_dir=results_dir, dry_run=True, log=lambda line: None)
    plan = transfer_runs.transfer_plan(2, results_dir=results_dir, training_seeds=(0,), backend="tensorflow")
    scratch = [job for job in plan if job.source is None]
    tuned = [job for job in plan if job.source is not None]
    assert report["trained"] == []
    assert report["planned"] == [transfer_runs.job_label(job.config) for job in scratch]
    assert len(report["skipped"]) == len(tuned) > 0
    assert all("python -m ferlib train --model 2 --dataset fer2013 --profile paper --seed 0" in line
               for line in report["skipped"])
    assert all(job.config.seed == 0 for job in plan)


def test_the_plan_is_the_protocol_s_transfer_runs_for_the_seeds_asked():
    every = transfer_configs(2, "paper", "real", backend="tensorflow")
    plan = transfer_runs.transfer_plan(2, training_seeds=(0, 2), backend="tensorflow")
    assert {(c.protocol, c.fold, c.split_seed, c.seed, c.dataset, s is None) for c, s in every
            if c.protocol != "paper" or c.seed in (0, 2)} >= {
        (j.config.protocol, j.config.fold, j.config.split_seed, j.config.seed, j.config.dataset, j.source is None)
        for j in plan}
    assert {j.config.seed for j in plan if j.config.protocol == "paper"} <= {0, 2}


def test_job_labels_say_the_fold_or_the_split_seed(results_dir):
    plan = transfer_runs.transfer_plan(3, results_dir=results_dir, training_seeds=(1,), backend="tensorflow")
    # Model 3 has no committed fold from scratch: each fine-tuned fold follows its own
    scratch, fold = [job for job in plan if job.config.protocol == "loso"][:2]
    split = next(job for job in plan if job.config.protocol == "paper" and job.source is None)
    assert transfer_runs.job_label(scratch.config) == "model 3 jaffe (scratch), loso fold 0, seed 0"
    assert transfer_runs.job_label(fold.config, fold.source) == (
        f"model 3 fer2013->jaffe (fine-tune), loso fold {fold.config.fold}, seed 0")
    assert transfer_runs.job_label(split.config) == (
        f"model 3 {split.config.dataset} (scratch), split seed {split.config.split_seed}, seed 1")


@pytest.mark.parametrize("settings, words", [
    ({"training_seeds": ()}, "training_seeds"),
    ({"training_seeds": (-1,)}, "training_seeds"),
    ({"max_runs": 0}, "max_runs"),
])
def test_bad_settings_are_refused_by_name(tmp_path, settings, words):
    with pytest.raises(ValueError, match=words):
        transfer_runs.train_transfer_runs(2, tmp_path, data_dir=tmp_path, dry_run=True, **settings)
