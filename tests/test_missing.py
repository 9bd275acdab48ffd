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
    assert fer.startswith("75 class-balanced FER2013 epochs are 3.8 million images") and fer.endswith("GPU")
    jaffe = missing.missing_reason((1, "jaffe", None), {}, SUMMARIES)
    assert jaffe.startswith("not trained yet: 76,800 images, about ") and " min of Model 1 on 2 CPU cores with" in jaffe
    assert "which is missing" in missing.missing_reason((2, "jaffe", "fer2013"), {}, SUMMARIES)
    start = SimpleNamespace(id="0123456789abcdef")
    reason = missing.missing_reason((2, "jaffe", "fer2013"), {(2, "fer2013", None): start}, SUMMARIES)
    images = missing.run_images((2, "fer2013", None), SUMMARIES)
    hours = round(images / missing.CPU_IMAGES_PER_S["avx2"][2]["tensorflow"] / 3600)
    minutes = round(images / missing.CPU_IMAGES_PER_S["avx512"][2]["tensorflow"] / 60)
    assert "0123456789abcdef" in reason and (f"(about {hours} CPU-hours on 2 CPU cores with AVX2 or about "
                                             f"{minutes} min with AVX-512)") in reason, reason


def _fastest(kind, model, rates=missing.CPU_IMAGES_PER_S):
    """``(backend title, images/s)``: the fastest backend of ``model`` in ``rates[kind]``."""
    backend, rate = max(rates[kind][model].items(), key=lambda item: item[1])
    return missing.BACKEND_TITLES[backend], rate


def test_a_reason_gives_the_time_on_each_class_of_processor_from_its_rate():
    """Model 3 on FER2013: its rate and time with AVX2 and with AVX-512, each time the
    run's images over that class's fastest rate."""
    images = missing.run_images((3, "fer2013", None), SUMMARIES)
    (backend, avx2), (other, avx512) = _fastest("avx2", 3), _fastest("avx512", 3)
    assert backend == other, "one backend is fastest on both: named once"
    fer = missing.missing_reason((3, "fer2013", None), {}, SUMMARIES)
    assert (f"Model 3 trains at about {avx2} images/s on 2 CPU cores with AVX2 and {avx512} with AVX-512 "
            f"({backend}, float32): about {round(images / avx2 / 3600)} CPU-hours with AVX2 or "
            f"{round(images / avx512 / 3600)} with AVX-512, or minutes on a GPU") in fer
    # Model 1: JAX is the faster with AVX2, TensorFlow the only one measured with AVX-512
    one = missing.missing_reason((1, "fer2013", None), {}, SUMMARIES)
    (jax, avx2), (tf, avx512) = _fastest("avx2", 1), _fastest("avx512", 1)
    assert f"about {avx2} images/s on 2 CPU cores with AVX2 and {avx512} with AVX-512 ({jax} with AVX2, {tf} " \
           f"with AVX-512; float32)" in one
    images = missing.run_images((1, "fer2013", None), SUMMARIES)
    assert f"about {round(images / avx2 / 3600)} CPU-hours with AVX2 or {round(images / avx512 / 3600)} with " \
           f"AVX-512" in one


def test_a_class_of_processor_without_a_rate_of_the_model_is_left_out():
    """A model with a rate measured on one class only (here Model 2, AVX2 alone): its reason
    gives that class alone; a model with no rate anywhere, or a class of processor nobody
    defined, is refused by name."""
    two = missing.missing_reason((2, "fer2013", None), {}, SUMMARIES,
                                 {"avx2": {2: {"tensorflow": 530}}, "avx512": {1: {"tensorflow": 400}}})
    assert "with AVX2 (" in two and "AVX-512" not in two
    rates = {"avx2": {3: {"tensorflow": 30}}, "avx512": {1: {"tensorflow": 400}}}
    three = missing.missing_reason((3, "fer2013", None), {}, SUMMARIES, rates)
    assert "about 30 images/s on 2 CPU cores with AVX2 (TensorFlow, float32)" in three and "AVX-512" not in three
    one = missing.missing_reason((1, "fer2013", None), {}, SUMMARIES, rates)
    assert "about 400 images/s on 2 CPU cores with AVX-512" in one and "AVX2" not in one
    assert missing.fastest_rates(3, rates) == {"avx2": ("tensorflow", 30)}
    with pytest.raises(ValueError, match="no measured training rate of Model 2"):
        missing.missing_reason((2, "fer2013", None), {}, SUMMARIES, rates)
    with pytest.raises(ValueError, match="unknown class"):
        missing.fastest_rates(3, {**rates, "amx": {3: {"tensorflow": 900}}})


def test_times_are_named_by_class_in_the_order_of_the_processors():
    words = missing.time_words({"avx512": 1800.0, "avx2": 7200.0})
    assert words == "about 2 CPU-hours with AVX2 or about 30 min with AVX-512", "the unit again where it changes"
    assert missing.time_words({"avx2": 36000.0, "avx512": 7200.0}, where=" of X") == (
        "about 10 CPU-hours of X with AVX2 or 2 with AVX-512")
    with pytest.raises(ValueError, match="seconds"):
        missing.time_words({"sse": 60.0})
    with pytest.raises(ValueError, match="seconds"):
        missing.time_words({})


def test_several_runs_times_are_joined_class_by_class():
    """Two runs timed on both classes: the numbers joined per class, the unit once; runs
    whose classes or units differ each give their whole time; one run is its time_words."""
    hours = {"avx2": 11.4 * 3600, "avx512": 2.6 * 3600}, {"avx512": 7.2 * 3600, "avx2": 33.8 * 3600}
    a = [round(times["avx2"] / 3600) for times in hours]
    b = [round(times["avx512"] / 3600) for times in hours]
    assert missing.joined_time_words(hours) == (
        f"about {a[0]} and {a[1]} CPU-hours with AVX2 or {b[0]} and {b[1]} with AVX-512")
    assert missing.joined_time_words(hours[:1], where=" of X") == missing.time_words(hours[0], where=" of X")
    mixed = [{"avx2": 7200.0, "avx512": 1800.0}, {"avx2": 36000.0, "avx512": 3000.0}]
    assert missing.joined_time_words(mixed) == "about 2 and 10 CPU-hours with AVX2 or about 30 and 50 min with AVX-512"
    apart = [{"avx2": 7200.0}, hours[1]]
    assert missing.joined_time_words(apart) == " and ".join(map(missing.time_words, apart))
    units = [{"avx2": 7200.0, "avx512": 1800.0}, {"avx2": 36000.0, "avx512": 7200.0}]
    assert missing.joined_time_words(units) == " and ".join(map(missing.time_words, units))
    with pytest.raises(ValueError, match="times"):
        missing.joined_time_words([])
    with pytest.raises(ValueError, match="seconds"):
        missing.joined_time_words([hours[0], {"sse": 60.0}])


def test_a_missing_run_from_scratch_carries_its_time_as_numbers():
    """missing.json's rows from scratch give ``cpu_seconds``: the run's images over each
    class's fastest rate, in whole seconds, the numbers its reason's words say; a
    fine-tune's row has none."""
    have = {(2, "fer2013", None): SimpleNamespace(id="0123456789abcdef")}
    for key in ((3, "fer2013", None), (1, "jaffe", None), (2, "ckplus", None)):
        entry = missing.missing_entry(key, have, SUMMARIES)
        images = missing.run_images(key, SUMMARIES)
        expected = {kind: float(round(images / _fastest(kind, key[0])[1]))
                    for kind in missing.PROCESSORS if key[0] in missing.CPU_IMAGES_PER_S[kind]}
        assert entry["key"] == list(key) and entry["cpu_seconds"] == expected
        assert entry["reason"] == missing.missing_reason(key, have, SUMMARIES)
        where = "" if key[1] == "fer2013" else f" of Model {key[0]} on 2 CPU cores"
        assert missing.time_words(expected, where=where) in entry["reason"]
    assert set(missing.missing_entry((3, "fer2013", None), {}, SUMMARIES)["cpu_seconds"]) == {"avx2", "avx512"}
    for key in ((2, "jaffe", "fer2013"), (3, "ckplus", "fer2013")):
        assert "cpu_seconds" not in missing.missing_entry(key, have, SUMMARIES)
    committed = json.loads((PAPER_RESULTS / MISSING_FILE).read_text())["runs"]
    assert all(("cpu_seconds" in entry) == (entry["key"][2] is None) for entry in committed)


def test_the_processor_class_is_the_widest_recorded():
    assert missing.processor_class(["sse4_2", "avx2", "fma", "avx512f", "avx512_bf16"]) == "avx512"
    assert missing.processor_class(["avx", "avx2", "fma"]) == "avx2"
    assert missing.processor_class(["avx"]) is None and missing.processor_class(None) is None


def _run(model, seed, rate, extensions, *, precision="float32", cores=2, backend="tensorflow", dataset="fer2013"):
    """A protocol run as :func:`ferlib.missing.manifest_rates` reads it: its config and manifest."""
    from ferlib.protocol import experiment_config

    config = experiment_config("paper", (model, dataset, None), data="real", seed=seed, backend=backend)
    return SimpleNamespace(id=f"{model}-{dataset}-{seed}-{backend}", config=config, manifest={
        "train_images_per_s": rate, "precision": precision,
        "hardware": {"cpu_count": cores, "vector_extensions": extensions}})


def test_the_committed_runs_rates_win_over_the_benchmarks():
    """A protocol FER2013 run that recorded its processor gives the rate of its class,
    model and backend (the median over seeds), in place of the benchmark's; runs that
    recorded no processor, trained on other cores or another precision, or on another
    data set, give none."""
    import copy

    avx512, avx2 = ["avx2", "avx512f", "avx512_bf16"], ["avx2", "fma"]
    runs = [_run(3, 0, 150.0, avx512), _run(3, 1, 190.0, avx512), _run(3, 2, 160.4, avx512),
            _run(1, 0, 120.0, avx2, backend="jax"),
            _run(2, 0, 600.0, None),                                   # an older run: no processor recorded
            _run(2, 1, 500.0, avx512, cores=4),
            _run(1, 1, 900.0, avx512, precision="mixed_bfloat16"),
            _run(1, 2, 700.0, avx512, dataset="jaffe")]
    assert missing.manifest_rates(runs) == {"avx512": {3: {"tensorflow": 160}}, "avx2": {1: {"jax": 120}}}
    before = copy.deepcopy(missing.CPU_IMAGES_PER_S)
    rates = missing.protocol_rates(runs)
    assert missing.CPU_IMAGES_PER_S == before, "the benchmarks are not changed"
    assert rates["avx512"][3] == {"tensorflow": 160} != before["avx512"][3]
    assert rates["avx2"][1] == {**before["avx2"][1], "jax": 120}, "the backend the runs did not measure is kept"
    assert rates["avx2"][3] == before["avx2"][3] and rates["avx512"][2] == before["avx512"][2], \
        "a run on other cores gives no rate: the benchmark's stays"
    assert missing.merged_rates({"avx2": {1: {"tensorflow": 1}}}, {"avx512": {2: {"jax": 5}}}) == {
        "avx2": {1: {"tensorflow": 1}}, "avx512": {2: {"jax": 5}}}
    images = missing.run_images((3, "fer2013", None), SUMMARIES)
    reason = missing.missing_reason((3, "fer2013", None), {}, SUMMARIES, rates)
    assert f"and 160 with AVX-512" in reason and f"or {round(images / 160 / 3600)} with AVX-512" in reason


def test_the_reasons_use_the_rates_the_committed_runs_measured():
    from statistics import median

    from ferlib.results import committed_runs, protocol_seed_runs

    runs = committed_runs(PAPER_RESULTS)
    rates = missing.protocol_rates(runs)
    fer = [run for run in protocol_seed_runs(runs)[(1, "fer2013", None)]
           if "avx512f" in ((run.manifest.get("hardware") or {}).get("vector_extensions") or ())]
    if not fer:
        pytest.skip("no committed FER2013 run of Model 1 recorded a processor with AVX-512")
    assert rates["avx512"][1]["tensorflow"] == round(median(run.manifest["train_images_per_s"] for run in fer))
    images = missing.run_images((1, "fer2013", None), SUMMARIES)
    rows = missing.transfer_missing(runs, models=(1,))
    if not rows:
        pytest.skip("Model 1 has every run of the transfer plan")
    assert f"or {round(images / rates['avx512'][1]['tensorflow'] / 3600)} with AVX-512" in rows[0]["needs"]


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
    paused = history + [{"epoch": 4, "seconds": 6000.0}, {"epoch": 5, "seconds": 600.0}]
    (partial / "state.json").write_text(json.dumps({"history": paused, "best_epoch": 2}))
    state = missing.resumption((1, "fer2013", None), tmp_path)
    assert state["seconds"] == 8400.0 and state["left"] == "about 11.7 hours", "one paused epoch sets no pace"


def test_the_runs_that_test_the_gain_are_counted_with_their_compute():
    from ferlib.results import committed_runs, is_split_seed_run, is_subject_finetune_fold, is_transfer_run

    runs = committed_runs(PAPER_RESULTS)
    # the plan in full: the committed runs without any that tests the gain
    before = [run for run in runs if not is_transfer_run(run.config)]
    # and without Model 3's FER2013 runs: the plan then says they are still to train
    untrained = [run for run in before if not (run.config.model == 3 and run.config.dataset == "fer2013")]
    rows = missing.transfer_missing(untrained, models=(2, 3))
    # Model 3 has no fold from scratch committed: each fine-tuned fold brings its pair
    assert [(r["model"], r["runs"]) for r in rows] == [(2, 20), (2, 24), (3, 40), (3, 24)]
    assert rows[0]["what"] == "fine-tunes of the subject-independent folds"
    assert rows[2]["what"] == "runs on the subject-independent folds (20 fine-tuned, 20 from scratch)"
    assert "weights of Model 2's FER2013 runs of seeds 0, 1, 2" in rows[1]["needs"]
    assert rows[2]["needs"].startswith("the FER2013 run of Model 3, not trained yet")
    assert rows[0]["images"] == (10 * missing.run_images((2, "jaffe", None), SUMMARIES)
                                 + 10 * missing.run_images((2, "ckplus", None), SUMMARIES))
    # with a FER2013 run of seed 0, the folds need its weights, which the results do not keep
    trained = missing.transfer_missing(before, models=(3,))
    assert trained[0]["needs"].startswith("the weights of Model 3's FER2013 run of seed 0")
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
