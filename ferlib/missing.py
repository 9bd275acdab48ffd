"""The paper's experiments without a committed protocol run, each with the compute it
needs (``results/paper/missing.json``).

The reasons are computed, not written by hand: a run's size is the protocol's epochs of
its minimum of images or of one class-balanced pass of its training part, whichever is
larger (counted from the class counts of ``datasets.json``), and its time on
:data:`CPU_CORES` CPU cores follows from each model's measured training rate on the
faster of the two backends, on each class of processor a rate was measured on
(:data:`PROCESSORS`: a processor with AVX-512 trains several times faster than one with
AVX2 only, so one figure would mislead on the other). An experiment trained from scratch
also carries that time as numbers, ``cpu_seconds`` (``{class: seconds}``, whole seconds,
:func:`run_seconds`), which the reason's words are made from (:func:`time_words`), so a
reader of the file needs no parsing of its English. The rates are
:data:`CPU_IMAGES_PER_S`, replaced by those the committed protocol runs measured where
their manifests name the processor (:func:`protocol_rates`). So the file cannot drift
from the protocol, the data or the committed runs:

    entries = missing_entries(PAPER_RESULTS)      # [{"key": [...], "reason": "...", "cpu_seconds": {...}}]
    run_images((2, "jaffe", None), read_dataset_summaries(PAPER_RESULTS))  # images it draws
    save_missing(PAPER_RESULTS)                   # rewrites missing.json atomically
    resumption((1, "fer2013", None), "runs/paper")  # a run under way: epochs done, from its checkpoint

The resumption state of a run being trained depends on a local run store, so it is
printed by ``python -m ferlib missing --store DIR`` and never written to
``missing.json``, which follows from the committed results alone.

Beyond the paper's experiments, ``python -m ferlib missing`` also prints the runs that test
the fine-tune gain beyond the paper's split (:func:`transfer_missing`) and those of the
modern recipe (:func:`recipe_missing`, at the recipe's own measured rate,
:data:`RECIPE_CPU_IMAGES_PER_S`); neither is an experiment of the paper, so neither is
written to ``missing.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import median

from ferlib import atomic
from ferlib.campaign import transfer_jobs
from ferlib.epochs import training_updates
from ferlib.identity import run_id
from ferlib.protocol import experiment_config, paper_dataset, protocol_dataset
from ferlib.recipe_runs import PLAN_GROUPS, planned_done, recipe_plan
from ferlib.results import (
    MISSING_FILE,
    PAPER_RESULTS,
    committed_runs,
    paper_experiments,
    paper_results,
    protocol_runs,
    protocol_seed_runs,
    read_dataset_summaries,
    read_missing,
    split_seed_runs,
    write_json_atomic,
)
from ferlib.vocabulary import PAPER_MODELS

#: The CPU cores the training rates below were measured on.
CPU_CORES = 2
#: The classes of processor the training rates were measured on, in the reasons' order:
#: ``{name: {"flag", "title", "measured_on"}}``; a processor belongs to the widest class
#: whose ``/proc/cpuinfo`` flag it records (:func:`processor_class`).
PROCESSORS = {
    "avx2": {"flag": "avx2", "title": "AVX2",
             "measured_on": "a 2-core AMD EPYC with AVX2 only (no AVX-512, no bfloat16 units)"},
    "avx512": {"flag": "avx512f", "title": "AVX-512",
               "measured_on": "a 2-core AMD EPYC with AVX-512 and AVX512_BF16"},
}
#: Training images per second of each model on :data:`CPU_CORES` CPU cores, float32, batch
#: 64, plain Keras, per class of processor (:data:`PROCESSORS`) and backend:
#: ``{class: {model: {backend: images/s}}}``. ``"avx2"``: Models 1 and 3 measured by
#: ``benchmarks/throughput.py`` on the AVX2-only AMD EPYC, Model 2 from the manifests of its
#: committed FER2013 runs of the protocol (the same processor, no augmentation).
#: ``"avx512"``: ``python benchmarks/throughput.py --no-augment --steps 20`` on the AMD EPYC
#: with AVX-512, TensorFlow only (in mixed bfloat16 it gave 901 and 187, but the protocol
#: trains in float32); Model 2 there: ``python benchmarks/throughput.py --models 2
#: --no-augment --steps 20``, 1,198 images/s (47% of the processor's measured float32
#: matrix-product peak). The committed runs' own rates replace these where they exist
#: (:func:`protocol_rates`).
CPU_IMAGES_PER_S = {
    "avx2": {1: {"tensorflow": 62, "jax": 97}, 2: {"tensorflow": 530}, 3: {"tensorflow": 31, "jax": 22}},
    "avx512": {1: {"tensorflow": 373}, 2: {"tensorflow": 1198}, 3: {"tensorflow": 148}},
}
#: Training images per second of the modern recipe (:mod:`ferlib.recipe`) with Model 2 on
#: :data:`CPU_CORES` CPU cores, float32, batch 64, TensorFlow (its augmenter, SGD with
#: Nesterov momentum, label smoothing), per class of processor as :data:`CPU_IMAGES_PER_S`:
#: ``python benchmarks/recipe.py --steps 10`` on the AVX2-only AMD EPYC measured 6.69 ms of
#: CPU time per image, so :data:`CPU_CORES` / 6.69 ms. It ran beside another training job,
#: which inflates CPU time: the same measurement gave the paper's training 6.90 ms per
#: image, where its committed runs trained at 530 images/s, so this rate errs on the slow
#: side. ``"avx512"``: the same benchmark on the AMD EPYC with AVX-512, nothing else running,
#: measured 620 images/s of wall time (the paper's training 657 there; a 100-epoch FER2013
#: run projected at 1.4 hours). The ablation's cells are counted at the same rate.
RECIPE_CPU_IMAGES_PER_S = {"avx2": {2: {"tensorflow": 299}}, "avx512": {2: {"tensorflow": 620}}}
#: The backends' names in the reasons.
BACKEND_TITLES = {"tensorflow": "TensorFlow", "jax": "JAX"}

ABOUT = ("The paper's experiments with no committed protocol run in this folder, and the compute "
         "they need. Made by `python -m ferlib missing --save`; train a run with `python -m ferlib "
         "train/finetune --profile paper --data-dir DATA` (or `python -m ferlib reproduce`), add it "
         "with `python -m ferlib export`, then run `python -m ferlib missing --save` again.")


def run_images(key, summaries) -> int:
    """Training images the protocol run of experiment ``key`` ``(model, dataset, source)``
    (the paper's data set name) draws in all: its epochs times the images of one epoch,
    counted by :func:`ferlib.epochs.training_updates` from the class counts of its training
    part in ``summaries`` (``{name: summary}`` of ``datasets.json``, as
    :func:`ferlib.results.read_dataset_summaries` reads it)."""
    return config_images(experiment_config("paper", key, data="real"), summaries)


def config_images(config, summaries) -> int:
    """Training images a run of ``config`` draws in all: its epochs times the images of one
    epoch (:func:`ferlib.epochs.training_updates`), counted from the class counts of its
    data set's training part in ``summaries`` (as :func:`run_images`)."""
    if config.dataset not in summaries or "train" not in summaries[config.dataset].get("counts", {}):
        raise ValueError(f"the data summary has no training counts of {config.dataset!r}: a run's size is "
                         f"counted from them (results/paper/datasets.json)")
    epoch = training_updates(summaries[config.dataset]["counts"]["train"], batch_size=config.batch_size,
                             epochs=config.epochs, balance=config.balance,
                             min_epoch_images=config.min_epoch_images)
    return config.epochs * epoch["epoch_images"]


def processor_class(extensions) -> str | None:
    """The class of :data:`PROCESSORS` a processor belongs to, from the vector extensions
    its run recorded (``hardware.vector_extensions`` of a manifest, ``/proc/cpuinfo``
    flags): the widest class whose flag it has (``"avx512"`` before ``"avx2"``), ``None``
    where it has none of them or recorded nothing (an older run)."""
    found = set(extensions or ())
    return next((name for name in reversed(PROCESSORS) if PROCESSORS[name]["flag"] in found), None)


def manifest_rates(runs, *, models=PAPER_MODELS) -> dict:
    """The training rates measured by the protocol's FER2013 runs from scratch among
    ``runs`` (every seed, :func:`ferlib.results.protocol_seed_runs`), shaped as
    :data:`CPU_IMAGES_PER_S`: ``{class: {model: {backend: images/s}}}``, the median over the
    runs of one class, model and backend, rounded to whole images/s. A run counts only when
    its manifest records ``train_images_per_s``, ``precision`` float32, ``hardware.cpu_count``
    equal to :data:`CPU_CORES` and vector extensions that place it in a class
    (:func:`processor_class`); older runs that recorded no extensions are left out."""
    found = {}
    for (model, dataset, source), members in protocol_seed_runs(runs, models=models).items():
        if dataset != "fer2013" or source is not None:
            continue
        for run in members:
            manifest = run.manifest
            hardware = manifest.get("hardware") or {}
            kind = processor_class(hardware.get("vector_extensions"))
            rate = manifest.get("train_images_per_s")
            if kind is None or not rate or manifest.get("precision") != "float32" \
                    or hardware.get("cpu_count") != CPU_CORES:
                continue
            found.setdefault(kind, {}).setdefault(model, {}).setdefault(run.config.backend, []).append(float(rate))
    return {kind: {model: {backend: round(median(values)) for backend, values in by_backend.items()}
                   for model, by_backend in by_model.items()} for kind, by_model in found.items()}


def merged_rates(benchmarks, measured) -> dict:
    """``benchmarks`` (``{class: {model: {backend: images/s}}}``, e.g. :data:`CPU_IMAGES_PER_S`)
    with each (class, model, backend) that ``measured`` (the same shape, e.g.
    :func:`manifest_rates`) has replaced by its rate: a committed protocol run's own rate
    wins over a benchmark's, since it times the protocol's own training (the fit of whole
    epochs of the real data, those after a resumption) where a benchmark times a few
    steps. Entries of either alone are kept. A new dict; neither argument changes."""
    merged = {kind: {model: dict(by_backend) for model, by_backend in by_model.items()}
              for kind, by_model in benchmarks.items()}
    for kind, by_model in measured.items():
        for model, by_backend in by_model.items():
            merged.setdefault(kind, {}).setdefault(model, {}).update(by_backend)
    return merged


def protocol_rates(runs) -> dict:
    """The protocol's training rates for the reasons: :data:`CPU_IMAGES_PER_S`, with those
    the protocol runs among ``runs`` measured winning (:func:`merged_rates` of
    :func:`manifest_rates`)."""
    return merged_rates(CPU_IMAGES_PER_S, manifest_rates(runs))


def fastest_rates(model: int, rates=None) -> dict:
    """``{class: (backend, images/s)}``: the backend that trains ``model`` fastest on
    :data:`CPU_CORES` CPU cores of each class of processor ``rates`` (``{class: {model:
    {backend: images/s}}}``; by default :data:`CPU_IMAGES_PER_S`) has a rate of ``model``
    for, in the order of :data:`PROCESSORS`; a class without one is left out. Raises
    ``ValueError`` when no class has one, or ``rates`` names a class not in
    :data:`PROCESSORS`."""
    rates = CPU_IMAGES_PER_S if rates is None else rates
    unknown = sorted(set(rates) - set(PROCESSORS))
    if unknown:
        raise ValueError(f"rates: unknown class(es) of processor {unknown}; expected some of {list(PROCESSORS)}")
    found = {kind: max(rates[kind][model].items(), key=lambda item: item[1])
             for kind in PROCESSORS if rates.get(kind, {}).get(model)}
    if not found:
        raise ValueError(f"rates: no measured training rate of Model {model} on any class of processor "
                         f"({', '.join(PROCESSORS)}); benchmarks/throughput.py measures one")
    return found


def backend_note(fastest: dict) -> str:
    """The backends of :func:`fastest_rates` and the precision, for a parenthesis:
    ``"TensorFlow, float32"``, or per class where they differ (``"JAX with AVX2,
    TensorFlow with AVX-512; float32"``)."""
    backends = {backend for backend, _ in fastest.values()}
    if len(backends) == 1:
        return f"{BACKEND_TITLES[backends.pop()]}, float32"
    return ", ".join(f"{BACKEND_TITLES[backend]} with {PROCESSORS[kind]['title']}"
                     for kind, (backend, _) in fastest.items()) + "; float32"


def rate_words(model: int, rates=None) -> str:
    """``model``'s fastest measured rate on each class of processor in ``rates`` (as
    :func:`fastest_rates`) in words, e.g. ``"about 31 images/s on 2 CPU cores with AVX2
    and 148 with AVX-512 (TensorFlow, float32)"``."""
    fastest = fastest_rates(model, rates)
    parts = [f"{rate:,} {'images/s on ' + str(CPU_CORES) + ' CPU cores ' if not i else ''}with "
             f"{PROCESSORS[kind]['title']}" for i, (kind, (_, rate)) in enumerate(fastest.items())]
    return f"about {' and '.join(parts)} ({backend_note(fastest)})"


def cpu_seconds(images: int, model: int, rates=None) -> dict:
    """``{class: seconds}``: the training time of ``images`` images of ``model`` on
    :data:`CPU_CORES` CPU cores of each class of processor with a rate in ``rates``, at its
    fastest backend there (:func:`fastest_rates`)."""
    return seconds_at(images, fastest_rates(model, rates))


def seconds_at(images: int, fastest: dict) -> dict:
    """``{class: seconds}`` of ``images`` images at the rates ``fastest`` (``{class:
    (backend, images/s)}``, :func:`fastest_rates` or :func:`recipe_rate`)."""
    return {kind: images / rate for kind, (_, rate) in fastest.items()}


def cpu_time(images: int, model: int, rates=None, *, where: str = "") -> str:
    """``images`` of ``model`` on :data:`CPU_CORES` CPU cores of each measured class of
    processor, in words (:func:`time_words` of :func:`cpu_seconds`): ``"about 34
    CPU-hours with AVX2 or 7 with AVX-512"``."""
    return time_words(cpu_seconds(images, model, rates), where=where)


def time_words(seconds: dict, *, where: str = "") -> str:
    """Training seconds per class of processor (``{class: seconds}``, as :func:`cpu_seconds`)
    in words, in the order of :data:`PROCESSORS`, each named by its class: ``"about 34
    CPU-hours with AVX2 or 7 with AVX-512"``, the unit again only where it changes
    (``"about 2 CPU-hours with AVX2 or about 30 min with AVX-512"``). ``where`` goes after
    the first time: ``" of training on a 2-core processor"``."""
    return joined_time_words([seconds], where=where)


def joined_time_words(times, *, where: str = "") -> str:
    """The training times of several runs (a list of ``{class: seconds}``, as
    :func:`cpu_seconds`) in words, joined class by class where every run names the same
    classes of processor in the same units: ``"about 11 and 34 CPU-hours with AVX2 or 3
    and 7 with AVX-512"``; otherwise each run's :func:`time_words`, joined by ``"and"``.
    One run gives its :func:`time_words`. ``where`` goes after the first time. Raises
    ``ValueError`` for an empty list, or a run with no time or a class not in
    :data:`PROCESSORS`."""
    times = list(times)
    if not times:
        raise ValueError("times: expected the training times of at least one run, got none")
    amounts = []
    for seconds in times:
        unknown = sorted(set(seconds) - set(PROCESSORS))
        if unknown or not seconds:
            raise ValueError(f"seconds: expected times of some of the classes {list(PROCESSORS)}, "
                             f"got {sorted(seconds)}")
        amounts.append({kind: _amount(seconds[kind]) for kind in PROCESSORS if kind in seconds})
    if len({tuple((kind, unit) for kind, (_, unit) in found.items()) for found in amounts}) > 1:
        return " and ".join(joined_time_words([seconds], where=where) for seconds in times)
    parts, last = [], None
    for kind in amounts[0]:
        numbers = " and ".join(str(found[kind][0]) for found in amounts)
        unit, title = amounts[0][kind][1], PROCESSORS[kind]["title"]
        if last is None:
            parts.append(f"about {numbers} {unit}{where} with {title}")
        else:
            parts.append(f"{numbers} with {title}" if unit == last else f"about {numbers} {unit} with {title}")
        last = unit
    return " or ".join(parts)


def _amount(seconds: float) -> tuple:
    """``(number, unit)`` of :func:`cpu_words`: ``(32, "min")``, ``(11, "CPU-hours")``."""
    if seconds < 5400:
        return max(1, round(seconds / 60)), "min"
    return round(seconds / 3600), "CPU-hours"


def cpu_words(seconds: float) -> str:
    """Seconds of training on :data:`CPU_CORES` CPU cores in words: ``"about 32 min"``,
    ``"about 11 CPU-hours"``."""
    number, unit = _amount(seconds)
    return f"about {number} {unit}"


def run_seconds(key, summaries, rates=None) -> dict:
    """``{class: seconds}``: the training time of experiment ``key``'s protocol run
    ``(model, dataset, source)`` on :data:`CPU_CORES` CPU cores of each class of processor
    ``rates`` has a rate for (:func:`cpu_seconds` of :func:`run_images`), in whole seconds:
    the numbers a missing experiment's ``cpu_seconds`` holds and its reason's words say."""
    return {kind: float(round(seconds))
            for kind, seconds in cpu_seconds(run_images(key, summaries), key[0], rates).items()}


def missing_reason(key, have, summaries, rates=None) -> str:
    """Why experiment ``key`` ``(model, dataset, source)`` has no run, given the committed
    protocol runs ``have`` (``{key: Run}``), in terms of the compute it needs (its size
    counted from the data summary ``summaries``, :func:`run_images`) on each class of
    processor ``rates`` has a rate for (as :func:`fastest_rates`; by default
    :data:`CPU_IMAGES_PER_S`), the times in words of :func:`run_seconds`."""
    model, dataset, source = key
    cores = f"{CPU_CORES} CPU cores"
    if source is None:
        images, seconds = run_images(key, summaries), run_seconds(key, summaries, rates)
        if dataset == "fer2013":
            epochs = experiment_config("paper", key, data="real").epochs
            return (f"{epochs} class-balanced FER2013 epochs are {images / 1e6:.1f} million images; Model {model} "
                    f"trains at {rate_words(model, rates)}: {time_words(seconds)}, "
                    f"or minutes on a GPU")
        time = time_words(seconds, where=f" of Model {model} on {cores}")
        return f"not trained yet: {images:,} images, {time} ({backend_note(fastest_rates(model, rates))})"
    start = (model, source, None)
    if start not in have:
        return f"it starts from the FER2013 run of Model {model}, which is missing (see that row)"
    return (f"it starts from the weights of the FER2013 run of Model {model} ({have[start].id}); the "
            f"results keep no weights, so that run "
            f"({time_words(run_seconds(start, summaries, rates), where=f' on {cores}')}) "
            f"must be trained again before the fine-tune (minutes)")


def missing_entry(key, have, summaries, rates=None) -> dict:
    """One row of ``missing.json``: ``{"key": [model, dataset, source], "reason": str}``
    (:func:`missing_reason`), with ``"cpu_seconds"`` (``{class: seconds}``,
    :func:`run_seconds`) for an experiment trained from scratch, whose reason times its
    own run; a fine-tune's reason times no run of its own (it waits for its FER2013 run,
    or says what retraining that run costs), so it has none."""
    entry = {"key": list(key), "reason": missing_reason(key, have, summaries, rates)}
    if key[2] is None:
        entry["cpu_seconds"] = run_seconds(key, summaries, rates)
    return entry


def missing_entries(results_dir) -> list:
    """``[{"key": [model, dataset, source], "reason": str, "cpu_seconds": {class: seconds}}]``
    (:func:`missing_entry`; ``cpu_seconds`` for the experiments from scratch only) for
    every paper experiment without a committed protocol run (seed 0) in ``results_dir``,
    in the paper's order, at the rates of :func:`protocol_rates` of the runs there."""
    runs = committed_runs(results_dir)
    have = paper_results(results_dir, runs=runs)
    summaries = read_dataset_summaries(results_dir)
    rates = protocol_rates(runs)
    return [missing_entry(key, have, summaries, rates) for key in paper_experiments() if key not in have]


def save_missing(results_dir) -> Path:
    """Rewrite ``results_dir/missing.json`` from :func:`missing_entries` (atomically)."""
    return write_json_atomic({"about": ABOUT, "runs": missing_entries(results_dir)},
                             Path(results_dir) / MISSING_FILE)


def missing_is_current(results_dir) -> bool:
    """Whether ``results_dir/missing.json`` holds exactly :func:`missing_entries`."""
    path = Path(results_dir) / MISSING_FILE
    return path.exists() and read_missing(results_dir) == missing_entries(results_dir)


# --------------------------------------------------------------------------- a run under way


def experiment_run_ids(key, results_dir, *, backends=("tensorflow", "jax"), seed: int = 0) -> dict:
    """``{backend: run id}`` of experiment ``key``'s protocol run (seed ``seed``, float32)
    on each backend, computed from the data fingerprints of ``results_dir/datasets.json``
    without the data (a fine-tune's from its FER2013 source's id, which it names)."""
    summaries = read_dataset_summaries(results_dir)
    model, dataset, source = key
    ids = {}
    for backend in backends:
        config = experiment_config("paper", key, data="real", seed=seed, backend=backend)
        if source is not None:
            start = experiment_config("paper", (model, source, None), data="real", seed=seed, backend=backend)
            start_id = run_id(start, summaries[protocol_dataset(source)]["fingerprint"])
            config = config.__class__(**{**config.to_dict(), "source": source, "source_run": start_id})
        ids[backend] = run_id(config, summaries[protocol_dataset(dataset)]["fingerprint"])
    return ids


def resumption(key, store, results_dir=None, *, seed: int = 0) -> dict | None:
    """The checkpoint of experiment ``key``'s protocol run (:func:`experiment_run_ids`) in
    the run store ``store``, or ``None`` when there is none: ``{"backend", "run_id",
    "epochs_done", "epochs", "best_epoch", "seconds" (training seconds so far),
    "training" (a live process holds the run's lock), "left" (the rest in words, at the
    median pace of the epochs done)}``. Reads the checkpoint's ``state.json`` only (no Keras)."""
    partial = Path(store) / ".partial"
    for backend, rid in experiment_run_ids(key, results_dir or PAPER_RESULTS, seed=seed).items():
        state_path = partial / rid / "state.json"
        if not state_path.is_file():
            continue
        try:
            state = json.loads(state_path.read_text())
            history = list(state["history"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        alive = False
        try:
            host, pid = (partial / f"{rid}.lock").read_text().split()
            alive = atomic.process_alive(int(pid), host)
        except (OSError, ValueError):
            pass
        epochs = experiment_config("paper", key, data="real", seed=seed, backend=backend).epochs
        per_epoch = [float(row.get("seconds", 0.0)) for row in history]
        seconds = float(sum(per_epoch))
        # The median epoch sets the pace: an epoch that ran while the process was paused
        # or shared its cores would otherwise stretch every estimate after it.
        left = (epochs - len(history)) * float(median(per_epoch)) if history else float("nan")
        return {"backend": backend, "run_id": rid, "epochs_done": len(history), "epochs": epochs,
                "best_epoch": state.get("best_epoch"), "seconds": seconds, "training": alive,
                "left": hours_words(left)}
    return None


def hours_words(seconds: float) -> str:
    """Seconds in words: ``"about 40 min"``, ``"about 9.6 hours"``."""
    if not seconds == seconds:  # NaN
        return "unknown"
    if seconds < 5400:
        return f"about {max(1, round(seconds / 60))} min"
    return f"about {seconds / 3600:.1f} hours"


def resumption_text(state: dict, store) -> str:
    """:func:`resumption` in words for ``python -m ferlib missing --store``."""
    how = "training now" if state["training"] else "stopped (no live process holds it; the same command resumes it)"
    return (f"{how} on {BACKEND_TITLES.get(state['backend'], state['backend'])} as {state['run_id']}: "
            f"{state['epochs_done']} of {state['epochs']} epochs done (checkpoint in {store}), "
            f"{state['left']} left at the pace so far")


# --------------------------------------------------------------------------- the runs that test the fine-tune gain


def transfer_missing(runs, *, models=PAPER_MODELS, summaries=None, rates=None) -> list:
    """The runs of :func:`ferlib.protocol.transfer_configs`, with the folds from scratch
    their fine-tuned folds are compared with (:func:`ferlib.campaign.transfer_jobs`), not
    among ``runs`` (e.g. the committed ones), counted per model and kind, with the compute they need:
    ``[{"model", "what", "runs", "images", "cpu", "needs", "training_seeds", "adds_seeds"}]``:
    ``images`` drawn in all (each run's size taken as its data set's protocol run,
    :func:`run_images`, counted from ``summaries``, by default those of ``results/paper``),
    ``cpu`` their time on :data:`CPU_CORES` CPU cores of each class of processor with a
    rate in ``rates`` (:func:`cpu_time`; by default :func:`protocol_rates` of ``runs``),
    ``needs`` the FER2013 runs (or
    their weights) the fine-tunes start from, ``training_seeds`` the training seeds of
    the runs (sorted), and ``adds_seeds`` whether they only add training seeds to a
    strand that already has its pairs: every (data set, split seed) they train already
    has a fine-tune and its run from scratch of one training seed among ``runs`` (the
    split seeds' strand is then complete; subject folds: always False, their runs make
    the strand)."""
    runs = list(runs)
    summaries = read_dataset_summaries(PAPER_RESULTS) if summaries is None else summaries
    rates = protocol_rates(runs) if rates is None else rates
    have = protocol_runs(runs, models=models)
    paired = _paired_split_seeds(runs, models=models)
    found = []
    for model in models:
        jobs = transfer_jobs("paper", models=(model,), committed=runs, backend="tensorflow", precision=None)
        fold_jobs = [j for j in jobs if j.config.protocol != "paper"]
        scratch = sum(j.source is None for j in fold_jobs)
        for what, chosen in ((f"runs on the subject-independent folds ({len(fold_jobs) - scratch} fine-tuned, "
                              f"{scratch} from scratch)" if scratch else
                              "fine-tunes of the subject-independent folds", fold_jobs),
                             ("runs on split seeds 1 and 2, from scratch and fine-tuned",
                              [j for j in jobs if j.config.protocol == "paper"])):
            if not chosen:
                continue
            images = sum(run_images((model, _paper_name(job.config.dataset), None), summaries) for job in chosen)
            seeds = sorted({job.source.seed for job in chosen if job.source is not None})
            start = cpu_time(run_images((model, "fer2013", None), summaries), model, rates)
            needs = (f"the FER2013 run of Model {model}, not trained yet ({start})"
                     if (model, "fer2013", None) not in have else
                     f"the weights of Model {model}'s FER2013 {_seeds_words(seeds)}, which are not kept with the results "
                     f"({'each ' if len(seeds) > 1 else ''}{start} to train again)")
            splits = {(model, _paper_name(job.config.dataset), job.config.split_seed) for job in chosen
                      if job.config.protocol == "paper"}
            found.append({"model": model, "what": what, "runs": len(chosen), "images": images,
                          "cpu": cpu_time(images, model, rates), "needs": needs,
                          "training_seeds": sorted({int(job.config.seed) for job in chosen}),
                          "adds_seeds": bool(splits) and splits <= paired})
    return found


def _paired_split_seeds(runs, *, models) -> set:
    """``{(model, dataset, split_seed)}`` (the paper's data set names) with a fine-tune and
    its run from scratch of the same training seed on another split seed among ``runs``."""
    by_key = split_seed_runs(runs, models=models)
    found = set()
    for (model, dataset, source, split_seed), tuned in by_key.items():
        if source is None:
            continue
        scratch = {run.config.seed for run in by_key.get((model, dataset, None, split_seed), [])}
        if scratch & {run.config.seed for run in tuned}:
            found.add((model, dataset, split_seed))
    return found


def _paper_name(dataset: str) -> str:
    return paper_dataset(dataset)


# --------------------------------------------------------------------------- the modern recipe's runs


def recipe_rate(model: int = 2) -> dict:
    """``{class: (backend, images/s)}``: the fastest measured training rate of the modern
    recipe on ``model`` on each class of processor it was measured on
    (:data:`RECIPE_CPU_IMAGES_PER_S`, as :func:`fastest_rates`)."""
    if not any(model in by_model for by_model in RECIPE_CPU_IMAGES_PER_S.values()):
        measured = sorted({m for by_model in RECIPE_CPU_IMAGES_PER_S.values() for m in by_model})
        raise ValueError(f"the recipe's training rate is measured for Model(s) {measured} "
                         f"only, not Model {model} (benchmarks/recipe.py --model {model} measures it)")
    return fastest_rates(model, RECIPE_CPU_IMAGES_PER_S)


def rates_text(fastest: dict) -> str:
    """:func:`fastest_rates` (or :func:`recipe_rate`) in words, one class of processor after
    the other: ``"299 images/s (TensorFlow, AVX2)"``."""
    return "; ".join(f"{rate:,} images/s ({BACKEND_TITLES[backend]}, {PROCESSORS[kind]['title']})"
                     for kind, (backend, rate) in fastest.items())


def recipe_missing(runs, *, summaries=None, seeds=None, rates=None) -> list:
    """The runs of the modern recipe's plan (:func:`ferlib.recipe_runs.recipe_plan`) not
    among ``runs`` (e.g. the committed ones), per group of the plan, with the compute they
    need: ``[{"group", "what", "planned", "runs", "seeds", "images", "seconds", "cpu",
    "rate", "needs"}]``, a row for every group (``runs`` 0 where all are there):
    ``planned`` and ``runs`` (missing) count runs, ``seeds`` the training seeds of the
    missing ones, ``images`` the training images they draw (each counted from its own
    config and the class counts of ``summaries``, by default those of ``results/paper``),
    ``seconds`` their training time on :data:`CPU_CORES` CPU cores per class of processor
    with a measured rate (``{class: seconds}``; FER2013 runs at the recipe's measured rate,
    :data:`RECIPE_CPU_IMAGES_PER_S`, the fine-tunes at the protocol's, ``rates``, by default
    :func:`protocol_rates` of ``runs``), ``cpu`` the same in words (:func:`time_words`),
    ``rate`` the rates in words (:func:`rates_text`), and ``needs`` what they start from
    (empty for runs from scratch)."""
    runs = list(runs)
    summaries = read_dataset_summaries(PAPER_RESULTS) if summaries is None else summaries
    rates = protocol_rates(runs) if rates is None else rates
    plan = recipe_plan() if seeds is None else recipe_plan(seeds=seeds)
    done = planned_done(plan, runs)
    rows = []
    for group, what in PLAN_GROUPS.items():
        members = [(i, planned) for i, planned in enumerate(plan) if planned.group == group]
        left = [planned for i, planned in members if i not in done]
        model = members[0][1].config.model
        fastest = fastest_rates(model, rates) if group == "fine-tune" else recipe_rate(model)
        images = sum(config_images(planned.config, summaries) for planned in left)
        seconds = seconds_at(images, fastest)
        needs = ""
        if group == "fine-tune" and left:
            starts = sorted({planned.seed for planned in left})
            committed = {plan[i].seed for i in done if plan[i].group == "recipe"}
            absent = [seed for seed in starts if seed not in committed]
            present = [seed for seed in starts if seed in committed]
            one = config_images(next(p for p in plan if p.group == "recipe").config, summaries)
            parts = []
            if absent:
                parts.append(f"the recipe's FER2013 {_seeds_words(absent)}, still to train (see above)")
            if present:
                again = time_words(seconds_at(one, recipe_rate(model)))
                parts.append(f"the weights of the recipe's FER2013 {_seeds_words(present)}, which the "
                             f"published results do not keep ({'each ' if len(present) > 1 else ''}{again} "
                             f"to train again)")
            needs = "; ".join(parts)
        rows.append({"group": group, "what": what, "planned": len(members), "runs": len(left),
                     "seeds": sorted({planned.seed for planned in left}), "images": images, "seconds": seconds,
                     "cpu": time_words(seconds) if left else "none", "rate": rates_text(fastest), "needs": needs})
    return rows


def _seeds_words(seeds) -> str:
    """``"run of seed 0"`` or ``"runs of seeds 0, 1"``."""
    many = len(seeds) > 1
    return f"run{'s' if many else ''} of seed{'s' if many else ''} {', '.join(map(str, seeds))}"
