"""missing.json: computed from the committed runs and the protocol, never written by hand."""

import json
import shutil
from types import SimpleNamespace

import pytest

from ferlib import missing
from ferlib.results import MISSING_FILE, PAPER_RESULTS, paper_experiments, paper_results, read_dataset_summaries

SUMMARIES = read_dataset_summaries(PAPER_RESULTS)


def test_the_committed_missing_file_lists_exactly_the_experiments_without_a_run():
    listed = [tuple(entry["key"]) for entry in json.loads((PAPER_RESULTS / MISSING_FILE).read_text())["runs"]]
    have = paper_results(PAPER_RESULTS)
    assert listed == [key for key in paper_experiments() if key not in have]
    assert missing.missing_is_current(PAPER_RESULTS)


def test_reasons_give_the_compute_each_run_needs():
    assert missing.run_images((2, "jaffe", None), SUMMARIES) == 75 * 1024          # the 1,024-image minimum
    assert missing.run_images((1, "fer2013", None), SUMMARIES) == 75 * 7 * 7215   # one balanced pass is longer
    assert missing.run_images((3, "ckplus", None), SUMMARIES) == 75 * 7 * 229     # CK+ (7 classes), neutral largest
    fer = missing.missing_reason((3, "fer2013", None), {}, SUMMARIES)
    assert fer.startswith("75 class-balanced FER2013 epochs are 3.8 million images")
    assert "34 CPU-hours" in fer and "GPU" in fer and "31 images/s with TensorFlow (22 with JAX)" in fer
    assert "about 11 CPU-hours" in missing.missing_reason((1, "fer2013", None), {}, SUMMARIES), "Model 1 on JAX"
    assert "min of Model 1" in missing.missing_reason((1, "jaffe", None), {}, SUMMARIES)
    assert "which is missing" in missing.missing_reason((2, "jaffe", "fer2013"), {}, SUMMARIES)
    start = SimpleNamespace(id="0123456789abcdef")
    reason = missing.missing_reason((2, "jaffe", "fer2013"), {(2, "fer2013", None): start}, SUMMARIES)
    assert "0123456789abcdef" in reason and "2 CPU-hours" in reason


def test_a_run_size_follows_the_class_counts_and_a_summary_without_them_is_refused():
    import copy

    grown = copy.deepcopy(SUMMARIES)
    grown["fer2013"]["counts"]["train"]["happy"] = 8000
    assert missing.run_images((1, "fer2013", None), grown) == 75 * 7 * 8000
    del grown["jaffe"]["counts"]
    with pytest.raises(ValueError, match="no training counts of 'jaffe'"):
        missing.run_images((2, "jaffe", None), grown)


def test_a_stale_missing_file_is_detected_and_rewritten(tmp_path):
    folder = tmp_path / "paper"
    shutil.copytree(PAPER_RESULTS, folder)
    document = json.loads((folder / MISSING_FILE).read_text())
    document["runs"] = document["runs"][1:]
    (folder / MISSING_FILE).write_text(json.dumps(document))
    assert not missing.missing_is_current(folder)
    missing.save_missing(folder)
    assert missing.missing_is_current(folder)
    assert not list(folder.glob("*.tmp*"))


def test_a_run_under_way_is_found_by_its_id_and_its_checkpoint(tmp_path):
    """The resumption state comes from the checkpoint of the run's id, computed from the
    committed data fingerprints (no data needed), and a lock held by a live process."""
    import os
    import socket

    from ferlib.identity import run_id
    from ferlib.protocol import experiment_config

    fingerprint = json.loads((PAPER_RESULTS / "datasets.json").read_text())["fer2013"]["fingerprint"]
    ids = missing.experiment_run_ids((1, "fer2013", None), PAPER_RESULTS)
    assert ids["jax"] == run_id(experiment_config("paper", (1, "fer2013", None), data="real", backend="jax"),
                                fingerprint)
    committed = paper_results(PAPER_RESULTS)[(2, "jaffe", "fer2013")]
    assert missing.experiment_run_ids((2, "jaffe", "fer2013"), PAPER_RESULTS)["tensorflow"] == committed.id
    assert missing.resumption((1, "fer2013", None), tmp_path) is None
    partial = tmp_path / ".partial" / ids["jax"]
    partial.mkdir(parents=True)
    history = [{"epoch": e, "seconds": 600.0} for e in (1, 2, 3)]
    (partial / "state.json").write_text(json.dumps({"history": history, "best_epoch": 2}))
    state = missing.resumption((1, "fer2013", None), tmp_path)
    assert state["backend"] == "jax" and state["epochs_done"] == 3 and state["epochs"] == 75
    assert not state["training"] and state["left"] == "about 12.0 hours"
    (tmp_path / ".partial" / f"{ids['jax']}.lock").write_text(f"{socket.gethostname()} {os.getpid()}")
    text = missing.resumption_text(missing.resumption((1, "fer2013", None), tmp_path), "STORE")
    assert text.startswith("training now on JAX as " + ids["jax"] + ": 3 of 75 epochs done (checkpoint in STORE)")


def test_the_runs_that_test_the_gain_are_counted_with_their_compute():
    from ferlib.results import committed_runs, is_split_seed_run, is_subject_finetune_fold, is_transfer_run

    runs = committed_runs(PAPER_RESULTS)
    # the plan in full: the committed runs without any that tests the gain
    before = [run for run in runs if not is_transfer_run(run.config)]
    rows = missing.transfer_missing(before, models=(2, 3))
    # Model 3 has no fold from scratch committed: each fine-tuned fold brings its pair
    assert [(r["model"], r["runs"]) for r in rows] == [(2, 20), (2, 24), (3, 40), (3, 24)]
    assert rows[0]["what"] == "fine-tunes of the subject-independent folds"
    assert rows[2]["what"] == "runs on the subject-independent folds (20 fine-tuned, 20 from scratch)"
    assert "weights of Model 2's FER2013 runs of seeds 0, 1, 2" in rows[1]["needs"]
    assert rows[2]["needs"].startswith("the FER2013 run of Model 3, not trained yet")
    assert rows[0]["images"] == (10 * missing.run_images((2, "jaffe", None), SUMMARIES)
                                 + 10 * missing.run_images((2, "ckplus", None), SUMMARIES))
    # each committed run of the plan is no longer counted
    folds = sum(1 for run in runs if run.config.model == 2 and is_subject_finetune_fold(run.config))
    splits = sum(1 for run in runs if run.config.model == 2 and is_split_seed_run(run.config))
    left = [(2, 20 - folds), (2, 24 - splits)]
    rows = missing.transfer_missing(runs, models=(2,))
    assert [(r["model"], r["runs"]) for r in rows] == [row for row in left if row[1]]


def test_runs_on_split_seeds_that_already_have_their_pairs_only_add_seeds():
    """A split seed's strand is complete once each (data set, split seed) has a fine-tune
    and its run from scratch of one training seed: the runs still planned there add
    training seeds; without a pair on one of them, they complete the strand."""
    from ferlib.results import committed_runs, is_split_seed_run, split_seed_runs

    runs = committed_runs(PAPER_RESULTS)
    plan = missing.transfer_missing(runs, models=(1, 2, 3))
    for row in plan:
        if "split seeds" not in row["what"]:
            assert row["adds_seeds"] is False
            continue
        keys = {(d, s) for (m, d, source, s), found in split_seed_runs(runs, models=(row["model"],)).items()
                if source is not None and {r.config.seed for r in found}
                & {r.config.seed for r in split_seed_runs(runs, models=(row["model"],)).get((m, d, None, s), [])}}
        assert row["adds_seeds"] == (len(keys) == 4), row  # two data sets times split seeds 1 and 2
        assert row["training_seeds"] == sorted(set(row["training_seeds"])) and row["training_seeds"]
    two = next((r for r in plan if r["model"] == 2 and "split seeds" in r["what"]), None)
    if two is None or not two["adds_seeds"]:
        pytest.skip("the committed results have no complete split-seed strand of Model 2 with runs still planned")
    # the fine-tunes on split seed 2 gone: that split seed has no pair, and the runs complete the strand
    dropped = [r for r in runs if not (r.config.model == 2 and is_split_seed_run(r.config)
                                       and r.config.split_seed == 2 and r.config.source is not None)]
    again = next(r for r in missing.transfer_missing(dropped, models=(2,)) if "split seeds" in r["what"])
    assert not again["adds_seeds"] and again["runs"] > two["runs"]
