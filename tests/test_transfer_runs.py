"""The runs that test the fine-tune gain beyond the paper's split: fine-tunes of the
subject-independent folds and runs on other split seeds, as the protocol defines them,
the command line trains them, ``check`` lists them and the campaign plans them."""

import dataclasses
import json
from pathlib import Path

import pytest

from ferlib import cli, protocol, results
from ferlib.campaign import plan_jobs, transfer_jobs
from ferlib.cli import main
from ferlib.identity import run_id

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "paper"
FER2013 = json.loads((RESULTS / "datasets.json").read_text())["fer2013"]["fingerprint"]


def _without_start(config):
    return dataclasses.replace(config, source=None, source_run=None)


@pytest.mark.parametrize("model", [1, 2, 3])
@pytest.mark.parametrize("dataset", ["jaffe", "ckplus7"])
def test_a_fine_tuned_fold_differs_from_its_scratch_fold_only_in_its_start(model, dataset):
    """The pairing rule: a fine-tune trains with the settings of the run from scratch it is
    compared with (EXPERIMENT_DEVIATIONS gives the CK+ fine-tune its run's rate)."""
    _, folds = protocol.subject_protocol(dataset)
    for fold in (0, folds - 1):
        tuned = protocol.subject_finetune_config("paper", model, dataset, fold, backend="tensorflow")
        scratch = protocol.subject_fold_config("paper", model, dataset, fold, backend="tensorflow")
        assert tuned == scratch and tuned.source is None, "source is filled in by finetune_run"
        for split_seed in protocol.EXTRA_SPLIT_SEEDS:
            key = (model, protocol.paper_dataset(dataset), None)
            assert (protocol.split_seed_config("paper", (*key[:2], "fer2013"), split_seed, backend="jax")
                    == protocol.split_seed_config("paper", key, split_seed, backend="jax"))
    assert protocol.subject_finetune_config("paper", 2, "ckplus", 0).learning_rate == 1e-4
    with pytest.raises(ValueError, match=r"fold must be in 0\.\.9"):
        protocol.subject_finetune_config("paper", 2, "jaffe", 10)


def test_every_fine_tune_starts_from_the_committed_fer2013_run_of_its_training_seed():
    """A fold or a split seed places the fine-tune, never its source: the source is the
    protocol's FER2013 run of the same seed, the very run id that is committed."""
    committed = results.protocol_seed_runs(results.committed_runs(RESULTS), models=(2,))[(2, "fer2013", None)]
    ids = {run.config.seed: run.id for run in committed}
    for seed, rid in ids.items():
        for split in ({}, {"protocol": "loso", "fold": 3}, {"protocol": "subject-kfold", "fold": 9, "folds": 10},
                      {"split_seed": 2}):
            source = protocol.finetune_source_config("paper", 2, seed=seed, backend="tensorflow", **split)
            assert run_id(source, FER2013) == rid
    with pytest.raises(ValueError, match="official split"):
        protocol.split_seed_config("paper", (2, "fer2013", None), 1)


def test_the_transfer_plan_lists_fold_fine_tunes_then_split_seeds():
    plan = protocol.transfer_configs(2, backend="jax")
    folds = [(c, s) for c, s in plan if c.protocol != "paper"]
    assert plan[:len(folds)] == folds and len(folds) == 20
    assert [c.fold for c, _ in folds] == list(range(10)) * 2
    assert all(s == protocol.finetune_source_config("paper", 2, seed=0, backend="jax") for _, s in folds)
    splits = plan[len(folds):]
    assert len(splits) == 3 * 2 * 2 * 2, "3 training seeds x 2 split seeds x 2 data sets x (scratch, fine-tuned)"
    assert [c.seed for c, _ in splits] == sorted(c.seed for c, _ in splits), "seed 0 first"
    assert {c.split_seed for c, _ in splits} == {1, 2}
    assert [s is None for _, s in splits[:2]] == [True, False]
    assert all(s.seed == c.seed for c, s in splits if s is not None)


def test_fine_tuned_folds_and_split_seed_runs_are_recognised_and_kept_apart(tmp_path, run_copier):
    runs = results.committed_runs(RESULTS)
    protocol_runs = results.protocol_runs(runs)
    tuned, scratch = protocol_runs[(2, "jaffe", "fer2013")], protocol_runs[(2, "jaffe", None)]
    fold = protocol.subject_finetune_config("paper", 2, "jaffe", 4, source="fer2013",
                                            source_run=tuned.config.source_run)
    fold_run = run_copier(tuned, fold, tmp_path)
    split = protocol.split_seed_config("paper", (2, "jaffe", None), 1, seed=2)
    split_run = run_copier(scratch, split, tmp_path)
    assert results.audit_run(fold_run) == [] and results.audit_run(split_run) == []
    for config in (fold, split):
        assert not results.is_paper_config(config, seed=None) and not results.is_subject_fold(config)
    assert results.is_subject_finetune_fold(fold) and not results.is_split_seed_run(fold)
    assert results.is_split_seed_run(split) and not results.is_subject_finetune_fold(split)
    assert results.runs_outside_protocol([fold_run, split_run]) == []
    assert results.subject_finetune_fold_runs([fold_run]) == {(2, "jaffe", 0): {4: fold_run}}
    assert results.subject_fold_runs([fold_run]) == {}, "a fine-tuned fold is not a fold from scratch"
    assert results.split_seed_runs([split_run]) == {(2, "jaffe", None, 1): [split_run]}
    assert results.protocol_seed_runs([fold_run, split_run]) == {}
    off = dataclasses.replace(split, learning_rate=1e-4)
    assert not results.is_split_seed_run(off) and not results.is_split_seed_run(dataclasses.replace(split, split_seed=0))
    assert not results.is_subject_finetune_fold(dataclasses.replace(fold, fold=10))
    assert not results.is_subject_finetune_fold(dataclasses.replace(fold, source="ckplus7"))


def test_check_lists_fine_tuned_folds_and_split_seeds(tmp_path, capsys, run_copier):
    import shutil

    runs = results.committed_runs(RESULTS)
    tuned = results.protocol_runs(runs)[(2, "jaffe", "fer2013")]
    shutil.copytree(tuned.path, tmp_path / tuned.id)
    for fold in (2, 7):
        run_copier(tuned, protocol.subject_finetune_config("paper", 2, "jaffe", fold, source="fer2013",
                                                           source_run=tuned.config.source_run), tmp_path)
    run_copier(tuned, protocol.split_seed_config("paper", (2, "jaffe", "fer2013"), 2, source="fer2013",
                                                 source_run=tuned.config.source_run), tmp_path)
    assert main(["check", "--results", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert ("4 committed runs (0 outside the protocol, 2 fine-tuned subject-independent folds, 1 run on other "
            "split seeds), 0 problems") in text
    assert ("subject-independent, fine-tuned from FER2013: model 2 jaffe seed 0, leave one subject out: "
            "2 of 10 folds (2, 7)") in text
    assert "split seed 2: model 2 jaffe fine-tuned from fer2013, seeds 0" in text


@pytest.mark.parametrize("argv, dataset, fold", [
    (["--target", "jaffe", "--protocol", "loso", "--fold", "6"], "jaffe", 6),
    (["--target", "ckplus7", "--protocol", "subject-kfold", "--folds", "10", "--fold", "6"], "ckplus7", 6),
])
def test_finetune_on_a_fold_starts_from_the_protocols_fer2013_run(argv, dataset, fold):
    import keras

    args = cli.build_parser().parse_args(["finetune", "--model", "2", "--profile", "paper", "--data-dir", ".", *argv])
    source = cli._source_config(args, model=2, dataset=args.source)
    target = cli._config(args, model=2, dataset=args.target, source=args.source)
    backend = keras.backend.backend()
    assert source == protocol.finetune_source_config("paper", 2, seed=0, backend=backend)
    assert target == protocol.subject_finetune_config("paper", 2, dataset, fold, backend=backend)
    tuned = dataclasses.replace(target, source="fer2013", source_run="f" * 16)
    assert results.is_subject_finetune_fold(tuned)


def test_split_seed_option_reaches_train_finetune_and_reproduce_but_not_fer2013(tmp_path, capsys):
    import keras

    backend = keras.backend.backend()
    base = ["--profile", "paper", "--data-dir", ".", "--split-seed", "2", "--seed", "1"]
    args = cli.build_parser().parse_args(["finetune", "--model", "2", "--target", "ckplus7", *base])
    assert cli._source_config(args, model=2, dataset="fer2013") == protocol.finetune_source_config(
        "paper", 2, seed=1, backend=backend)
    assert cli._config(args, model=2, dataset="ckplus7", source="fer2013") == protocol.split_seed_config(
        "paper", (2, "ckplus", "fer2013"), 2, seed=1, backend=backend)
    args = cli.build_parser().parse_args(["train", "--model", "2", "--dataset", "jaffe", *base])
    assert cli._config(args, model=2, dataset="jaffe") == protocol.split_seed_config(
        "paper", (2, "jaffe", None), 2, seed=1, backend=backend)
    config_for = protocol.protocol_configs("paper", data="real", seed=1, split_seed=2)
    assert config_for((2, "fer2013", None)).split_seed == 0, "reproduce keeps FER2013's official split"
    assert config_for((2, "jaffe", None)).split_seed == 2
    assert main(["train", "--model", "2", "--dataset", "fer2013", "--store", str(tmp_path / "s"), *base[:2],
                 "--split-seed", "1"]) == 2
    assert "FER2013 keeps its official split" in capsys.readouterr().err
    assert main(["train", "--model", "2", "--dataset", "jaffe", "--store", str(tmp_path / "s"),
                 "--split-seed", "-1"]) == 2
    assert "--split-seed must be at least 0" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_the_campaign_plans_what_is_not_committed(tmp_path, run_copier):
    # the committed runs without any transfer run, so that the whole plan is left to train
    committed = [run for run in results.committed_runs(RESULTS) if not results.is_transfer_run(run.config)]
    # by default every model's gain is tested
    assert {j.config.model for j in plan_jobs(phases=("transfer",), committed=committed, backend="jax")} == {1, 2, 3}
    jobs = plan_jobs(phases=("transfer",), transfer_models=(2,), committed=committed, backend="jax")
    assert [(j.config, j.source) for j in jobs] == protocol.transfer_configs(2, backend="jax")
    assert all(j.phase == "transfer" for j in jobs)
    assert jobs[0].label == "transfer: model 2 fer2013->jaffe seed 0 loso fold 0"
    assert jobs[20].label == "transfer: model 2 jaffe seed 0 split seed 1"
    tuned = results.protocol_runs(committed)[(2, "jaffe", "fer2013")]
    done = [run_copier(tuned, dataclasses.replace(jobs[0].config, backend=tuned.config.backend, source="fer2013",
                                                  source_run=tuned.config.source_run), tmp_path),
            run_copier(tuned, dataclasses.replace(jobs[21].config, backend=tuned.config.backend, source="fer2013",
                                                  source_run=tuned.config.source_run), tmp_path)]
    left = plan_jobs(phases=("transfer",), transfer_models=(2,), committed=committed + done, backend="tensorflow")
    assert len(left) == len(jobs) - 2
    assert [j.label for j in left[:2]] == ["transfer: model 2 fer2013->jaffe seed 0 loso fold 1",
                                           "transfer: model 2 fer2013->jaffe seed 0 loso fold 2"]
    assert "transfer: model 2 fer2013->jaffe seed 0 split seed 1" not in [j.label for j in left]
    # Model 1 has no fold from scratch committed: its 20 come with their fine-tunes
    assert len(plan_jobs(phases=("transfer",), transfer_models=(1, 2), committed=committed, backend="jax")) == (
        2 * len(jobs) + 20)


def test_a_run_trained_again_is_compared_with_the_committed_one(tmp_path, capsys):
    """The Model 2 FER2013 run the fine-tunes start from keeps no weights: it is trained
    again, and `retrained` says whether that run reproduces the committed one."""
    import shutil

    from ferlib.store import read_run

    committed = results.protocol_runs(results.committed_runs(RESULTS))[(2, "jaffe", None)]
    store = tmp_path / "store"
    shutil.copytree(committed.path, store / committed.id)
    assert main(["retrained", committed.id, "--store", str(store)]) == 0
    text = capsys.readouterr().out
    assert "same id: True" in text and "reproduces the committed run" in text and "100.0%" in text
    report = results.retrain_report(read_run(store / committed.id), committed)
    assert report["difference"] == 0 and report["same_predictions"] == 1.0
    assert all(value == 0 for value in report["history_max_difference"].values())

    again = read_run(store / committed.id)
    test = again.predictions.index[again.predictions["part"] == "test"]
    flipped = again.predictions.copy()
    wrong = [i for i in test if flipped.at[i, "true"] == flipped.at[i, "predicted"]][:5]
    flipped.loc[wrong, "predicted"] = (flipped.loc[wrong, "true"] + 1) % 7
    n = committed.metrics["test"]["n"]
    moved = dataclasses.replace(again, predictions=flipped,
                                metrics={**again.metrics, "test": {**again.metrics["test"],
                                                                   "accuracy": committed.metrics["test"]["accuracy"]
                                                                   - 5 / n}},
                                history=again.history.assign(loss=again.history["loss"] + 0.01))
    report = results.retrain_report(moved, committed)
    assert report["difference"] == pytest.approx(-5 / n) and report["same_predictions"] < 1
    assert report["history_max_difference"]["loss"] == pytest.approx(0.01)
    assert report["within_tolerance"] == (5 / n <= report["tolerance"])
    other = dataclasses.replace(again, predictions=again.predictions.iloc[::-1].reset_index(drop=True))
    with pytest.raises(ValueError, match="do not predict the same images"):
        results.retrain_report(other, committed)
    assert main(["retrained", "0123456789abcdef", "--store", str(store)]) == 2
    assert "no committed run of that id" in capsys.readouterr().err


# --------------------------------------------------------------------------- what a GPU call carries


def test_the_pack_holds_what_the_campaign_trains():
    from ferlib import pack

    jobs = plan_jobs(committed=[], backend="jax")
    trained = {job.config.dataset for job in jobs} | {job.source.dataset for job in jobs if job.source}
    assert set(pack.PACK_NAMES) == trained == {"fer2013", "jaffe", "ckplus7"}


def test_the_recorded_sizes_are_those_of_the_wheels_and_data_named():
    """The wheels recorded are exactly those tools/gpu-wheels.txt names, and where they
    are fetched (.whl/) their bytes and sha256 are the recorded ones; the pack sizes are
    recorded for the data sets with the committed fingerprints."""
    import hashlib

    from ferlib import pack

    record = pack.read_carry(ROOT)
    specs = [line.strip() for line in (ROOT / "tools" / "gpu-wheels.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    named = sorted(spec.replace("==", "-").lower().replace("_", "-") for spec in specs)
    recorded = sorted("-".join(name.split("-")[:2]).lower().replace("_", "-") for name in record["wheels"])
    assert recorded == named
    for name, entry in record["wheels"].items():
        path = ROOT / ".whl" / name
        if path.is_file():
            data = path.read_bytes()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"]), name
    fer2013 = json.loads((RESULTS / "datasets.json").read_text())["fer2013"]["fingerprint"]
    assert record["pack"]["fer2013"]["fingerprint"] == fer2013, "FER2013's official split is in its data"
    assert set(pack.PACK_NAMES) <= set(record["pack"])


def test_a_gpu_call_fits_what_it_may_carry():
    """Counted in bytes, without fetched wheels or a pack: a small-data call (JAFFE and CK+
    packed, Model 2's three FER2013 runs carried with their weights: the transfer and
    subject phases) keeps to the campaign's 62 MiB; a FER2013 call (FER2013 alone in the
    pack: the runs from scratch on FER2013, whose fine-tunes follow in a small-data call)
    must at least fit the 64 MiB a call can carry."""
    from ferlib import pack

    if pack.tree_size(ROOT) is None:
        pytest.skip(f"{ROOT} is not a git checkout: the tracked tree's size is unknown")
    small = pack.carry_bytes(ROOT, datasets=("jaffe", "ckplus7"), source_models=(2, 2, 2))
    assert small["total"] <= pack.CARRY_LIMIT, small
    full = pack.carry_bytes(ROOT, datasets=("fer2013",))
    mib = {name: round(value / 2**20, 2) for name, value in full.items()}
    assert full["total"] <= pack.CALL_LIMIT, (
        f"a FER2013 call carries {mib} MiB, over the {pack.CALL_LIMIT // 2**20} MiB a call can: "
        f"the tracked tree has grown; commit results compressed or make the pack smaller")
    assert full["pack"] > 50 * 2**20 and full["total"] > small["total"]
    with pytest.raises(KeyError, match="ckplus8"):
        pack.carry_bytes(ROOT, datasets=("ckplus8",))


def test_a_small_data_call_finds_fer2013_sources_by_id_and_never_trains_them(tmp_path):
    import time

    from ferlib import pack
    from ferlib.campaign import Campaign, Job
    from ferlib.synthetic import make_synthetic

    jaffe = dataclasses.replace(make_synthetic("jaffe", 35), name="jaffe")
    pack.write_pack({"jaffe": jaffe}, tmp_path / "pack")
    source = protocol.finetune_source_config("paper", 2, seed=0, backend="jax")
    target = protocol.experiment_config("paper", (2, "jaffe", "fer2013"), data="real", backend="jax")
    campaign = Campaign(tmp_path / "pack", tmp_path / "store", tmp_path / "out", 100,
                        fingerprints={"fer2013": FER2013})
    campaign._start = time.monotonic()
    entry = campaign.run_job(Job("transfer", target, source))
    assert entry["status"] == "skipped" and run_id(source, FER2013) in entry["reason"]
    assert "not in the store with its weights, and fer2013 is not in the pack" in entry["reason"]
    assert campaign.trained == 0 and not campaign.rates, "nothing warmed up or trained"
    blind = Campaign(tmp_path / "pack", tmp_path / "store", tmp_path / "out", 100)
    blind._start = time.monotonic()
    with pytest.raises(ValueError, match="fer2013 is not in the pack"):
        blind.run_job(Job("transfer", target, source))


def test_a_fold_fine_tune_comes_after_its_fold_from_scratch_when_that_is_not_committed():
    committed = results.committed_runs(RESULTS)
    plan = transfer_jobs("paper", models=(1, 2), committed=committed, backend="tensorflow", precision="float32")
    scratch = [job for job in plan if job.source is None and job.config.protocol != "paper"]
    # Model 2's folds from scratch are committed; Model 1 has none, so each of its 20 comes
    # just before the fine-tune of the same fold
    assert {job.config.model for job in scratch} == {1} and len(scratch) == 20
    for job in scratch:
        tuned = plan[plan.index(job) + 1]
        assert job.phase == tuned.phase == "transfer" and tuned.source is not None
        assert (tuned.config.model, tuned.config.dataset, tuned.config.protocol, tuned.config.fold) == (
            job.config.model, job.config.dataset, job.config.protocol, job.config.fold)
        assert results.is_subject_fold(job.config) and not job.config.is_finetune
    # with nothing committed, the subject phase and the transfer phase ask for the same
    # folds from scratch: the campaign trains each once
    jobs = plan_jobs(phases=("subject", "transfer"), subject_models=(2,), transfer_models=(2,), committed=[],
                     backend="jax")
    assert sum(job.source is None and job.config.protocol != "paper" for job in jobs) == 20
    assert all(job.phase == "subject" for job in jobs[:20]), "the subject phase keeps its folds"
    assert len({(job.config, job.source) for job in jobs}) == len(jobs)
