"""The GPU campaign: the runs two CPU cores cannot afford, within a fixed time budget.

    python -m ferlib campaign --pack DIR --store DIR --out DIR --budget-s 420

Jobs, in this order (:func:`plan_jobs`):

1. ``protocol``: the paper's experiments under the profile (:func:`ferlib.protocol.
   experiment_config`, real data) that have no committed protocol run (seed 0) in the
   results folder: first the runs from scratch on FER2013 (the fine-tunes' source), then
   the fine-tunes that start from them, then the other runs from scratch, then the
   fine-tunes whose committed source keeps no weights (its source is trained again);
2. ``seeds``: the same for more seeds (default 1 and 2) of every experiment;
3. ``subject``: the subject-independent folds (:func:`ferlib.protocol.subject_configs`:
   JAFFE leave-one-subject-out, CK+ 10 folds grouped by subject, the baselines' folds)
   of Model 2 (``subject_models``), seed 0, that are not committed;
4. ``transfer``: the runs that test the fine-tune gain beyond the paper's split
   (:func:`ferlib.protocol.transfer_configs`) for every model (``transfer_models``; the
   fine-tunes of Models 1 and 3 wait for their FER2013 runs of the ``protocol`` phase) that are
   not committed: the fine-tunes of every subject-independent fold (each after its fold
   from scratch where that has no committed run), then JAFFE and CK+ on split seeds 1
   and 2, from scratch and fine-tuned, training seeds 0 to 2;
5. ``study``: the sensitivity study's fine-tune round for Model 2 (the fine-tunes whose
   FER2013 source is also a job of ``seeds``), then the cells of its round around the protocol
   (:mod:`ferlib.study`) for Models 1 and 3.

Without ``phases`` every phase runs, in this order.

It follows whatever the protocol and the study define, since it reads both from ferlib.
A job is started only when the time it is predicted to take (:class:`ModelRate`,
measured on this machine: a timed warm-up before a model's first run, then every
finished run) fits in what is left of the budget; a job that does not fit is skipped
and the next one is tried. Every finished run stays in the store; after each one the
output folder is brought up to date (:mod:`ferlib.campaign_files`), so a call stopped at
any moment returns what was finished.

Training goes through :func:`ferlib.experiment.train_run` unchanged, so each run has
the numbers and the id that the same config gets anywhere, except that no per-epoch
checkpoint is written and ``steps_per_execution`` batches go per call of the compiled
step (neither changes a number; see :func:`ferlib.training.fit`). On JAX the matrix
products and convolutions are exact float32; every manifest records it
(``jax_matmul_precision``).
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import json
import math
import time
import traceback
from pathlib import Path

import numpy as np

from ferlib import atomic, study
from ferlib import campaign_files as files
from ferlib.config import RunConfig
from ferlib.experiment import environment, prepare, start_model, train_run
from ferlib.fingerprint import dataset_fingerprint, file_sha256
from ferlib.identity import git_commit, run_id
from ferlib.pack import load_packed, packed_names
from ferlib.protocol import experiment_config, subject_configs, subject_fold_config, transfer_configs
from ferlib.results import (
    experiment_key,
    paper_experiments,
    protocol_runs,
    split_seed_runs,
    subject_finetune_fold_runs,
    subject_fold_runs,
)
from ferlib.store import MODEL_FILE, RunStore
from ferlib.vocabulary import DEFAULT_ROUND, PAPER_MODELS

PHASES = ("protocol", "seeds", "subject", "transfer", "study")
#: A job's predicted seconds are multiplied by this before they are compared with the
#: time left.
SAFETY = 1.2
#: A model's warm-up (its first compile) is not started with fewer seconds left.
WARMUP_MIN_S = 60.0
#: Matrix-product precisions the campaign accepts on JAX (``jax_default_matmul_precision``).
#: TF32 (``"tensorfloat32"``) would change a run's numbers without changing its id (the
#: precision of matrix products is not a RunConfig field yet), so it is not accepted.
MATMUL_PRECISIONS = ("float32",)
#: The data sets fine-tunes start from (FER2013): their runs' weights are handed back.
SOURCE_DATASETS = ("fer2013",)


# --------------------------------------------------------------------------- plan


@dataclasses.dataclass
class Job:
    """One run to have: ``config`` (a fine-tune's target config, without ``source_run``),
    ``source`` (a fine-tune's source config, else ``None``), the ``phase`` and, for the
    study, its ``cell`` and the ``round`` the cell belongs to."""

    phase: str
    config: RunConfig
    source: RunConfig | None = None
    cell: str | None = None
    round: str = DEFAULT_ROUND

    @property
    def label(self) -> str:
        model, dataset = self.config.model, self.config.dataset
        what = f"{self.source.dataset}->{dataset}" if self.source else dataset
        cell = f" [{self.cell}]" if self.cell else ""
        fold = f" {self.config.protocol} fold {self.config.fold}" if self.config.protocol != "paper" else ""
        fold += f" split seed {self.config.split_seed}" if self.config.split_seed else ""
        return f"{self.phase}: model {model} {what} seed {self.config.seed}{fold}{cell}"


def _rank(key, missing) -> int:
    model, dataset, source = key
    if source is None:
        return 0 if dataset in SOURCE_DATASETS else 2
    return 1 if (model, source, None) in missing else 3


def experiment_jobs(phase, profile, *, models, seed, committed, **settings) -> list:
    """Jobs for the paper's experiments of ``models`` with ``seed`` that have no committed
    protocol run, ordered: FER2013 from scratch, its fine-tunes, other runs from scratch,
    fine-tunes whose source must be trained again for its weights."""
    have = protocol_runs(committed, models=models, seed=seed)
    missing = [key for key in paper_experiments(models) if key not in have]
    ordered = sorted(missing, key=lambda key: _rank(key, missing))  # stable: model order kept
    jobs = []
    for model, dataset, source in ordered:
        config = experiment_config(profile, (model, dataset, source), data="real", seed=seed, **settings)
        source_config = (experiment_config(profile, (model, source, None), data="real", seed=seed, **settings)
                         if source else None)
        jobs.append(Job(phase, config, source_config))
    return jobs


def study_jobs(profile, *, models, committed, round=DEFAULT_ROUND, **settings) -> list:
    """Jobs for the cells of the study's ``round`` for ``models`` (its data sets and seeds)
    not committed. A fine-tune round's job carries its source config
    (:func:`ferlib.study.source_config`), trained first where its weights are missing."""
    done = {(cell, run.config.model, run.config.dataset, run.config.seed)
            for cell, run in study.study_runs(committed, round=round, profile=profile)}
    jobs = []
    for cell, config in study.study_configs(models=tuple(models), profile=profile, data="real", round=round,
                                            **settings):
        if (cell, config.model, config.dataset, config.seed) in done or study.is_protocol_alias(
                cell, config, profile=profile, round=round):
            continue
        if config.is_finetune:
            jobs.append(Job("study", dataclasses.replace(config, source=None),
                            source=study.source_config(config, profile=profile), cell=cell, round=round))
        else:
            jobs.append(Job("study", config, cell=cell, round=round))
    return jobs


def subject_jobs(profile, *, models, committed, seed=0, **settings) -> list:
    """Jobs for the subject-independent folds (:func:`ferlib.protocol.subject_configs`) of
    ``models`` with ``seed`` that have no committed run (:func:`ferlib.results.subject_fold_runs`),
    model by model, JAFFE's folds then CK+'s."""
    have = subject_fold_runs(committed, models=models)
    return [Job("subject", config)
            for model in models for config in subject_configs(model=model, profile=profile, data="real",
                                                               seed=seed, **settings)
            if config.fold not in have.get((config.model, config.dataset, config.seed), {})]


def transfer_jobs(profile, *, models, committed, **settings) -> list:
    """Jobs for :func:`ferlib.protocol.transfer_configs` of ``models`` that have no
    committed run (:func:`ferlib.results.subject_finetune_fold_runs`,
    :func:`ferlib.results.split_seed_runs`), model by model, in that function's order.

    A fine-tuned fold is only read beside the same fold trained from scratch, so a fold
    from scratch with no committed run (:func:`ferlib.results.subject_fold_runs`) comes
    as a job of its own just before its fine-tune: a plan stopped at any point leaves
    whole pairs."""
    folds, splits = subject_finetune_fold_runs(committed, models=models), split_seed_runs(committed, models=models)
    scratch_folds = subject_fold_runs(committed, models=models)

    def done(config, source) -> bool:
        if config.protocol != "paper":
            return config.fold in folds.get((config.model, config.dataset, config.seed), {})
        model, dataset, _ = experiment_key(config)
        key = (model, dataset, source.dataset if source else None, config.split_seed)
        return config.seed in {run.config.seed for run in splits.get(key, [])}

    run_settings = {key: settings[key] for key in ("backend", "precision") if key in settings}
    jobs = []
    for model in models:
        for config, source in transfer_configs(model, profile, "real", **settings):
            if config.protocol != "paper":
                pair = subject_fold_config(profile, model, config.dataset, config.fold, data="real",
                                           seed=config.seed, **run_settings)
                if pair.fold not in scratch_folds.get((model, pair.dataset, pair.seed), {}):
                    jobs.append(Job("transfer", pair))
            if not done(config, source):
                jobs.append(Job("transfer", config, source))
    return jobs


def plan_jobs(*, profile="paper", phases=PHASES, models=PAPER_MODELS, seeds=(1, 2), study_models=(1, 3),
              subject_models=(2,), finetune_models=(2,), transfer_models=PAPER_MODELS, committed=(), backend,
              precision=None) -> list:
    """Every job of the campaign, in the order they are tried (see the module docstring).

    ``committed``: the runs already in the results folder (:func:`ferlib.results.committed_runs`).
    ``subject_models``: the models of the ``subject`` phase; ``transfer_models``: those of
    the ``transfer`` phase. ``study_models``: the models
    of the ``study`` phase's round around the protocol; ``finetune_models``: those of its fine-tune
    round, whose jobs come first.
    """
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise ValueError(f"phases must be among {list(PHASES)}, got {sorted(unknown)}")
    settings = dict(backend=backend, precision=precision)
    jobs = []
    if "protocol" in phases:
        jobs += experiment_jobs("protocol", profile, models=models, seed=0, committed=committed, **settings)
    if "seeds" in phases:
        for seed in seeds:
            jobs += experiment_jobs("seeds", profile, models=models, seed=seed, committed=committed, **settings)
    if "subject" in phases:
        jobs += subject_jobs(profile, models=subject_models, committed=committed, **settings)
    if "transfer" in phases:
        jobs += transfer_jobs(profile, models=transfer_models, committed=committed, **settings)
    if "study" in phases:
        if finetune_models:
            jobs += study_jobs(profile, models=finetune_models, committed=committed, round="fine-tune",
                               **settings)
        jobs += study_jobs(profile, models=study_models, committed=committed, **settings)
    return _without_repeated_folds(jobs)


def _without_repeated_folds(jobs) -> list:
    """``jobs`` without the second job of a subject-independent fold from scratch (the
    ``subject`` and ``transfer`` phases can both ask for one); other jobs are all kept
    (the study's cells may share a config with another phase's job)."""
    seen, kept = set(), []
    for job in jobs:
        if job.source is None and job.config.protocol != "paper":
            if job.config in seen:
                continue
            seen.add(job.config)
        kept.append(job)
    return kept


# --------------------------------------------------------------------------- time


@dataclasses.dataclass
class ModelRate:
    """How long a run of one model takes here:
    ``run_overhead_s + epochs * (epoch_overhead_s + epoch_images / images_per_s
    + val_images * eval_s_per_image)``.

    ``images_per_s``: training images per second inside ``fit`` (augmentation included);
    ``epoch_overhead_s``: per epoch, a ``fit`` call's set-up and the best weights' copy;
    ``eval_s_per_image``: validation after each epoch, per image; ``run_overhead_s``:
    per run, building and compiling the model, the test predictions and saving.
    ``source`` says what set them: ``"warm-up"`` or ``"runs"``.
    """

    images_per_s: float
    epoch_overhead_s: float
    eval_s_per_image: float
    run_overhead_s: float
    source: str = "warm-up"
    observations: list = dataclasses.field(default_factory=list)

    def predict(self, *, epochs: int, epoch_images: int, val_images: int) -> float:
        """Predicted seconds of one run, before :data:`SAFETY`."""
        per_epoch = self.epoch_overhead_s + epoch_images / self.images_per_s + val_images * self.eval_s_per_image
        return self.run_overhead_s + epochs * per_epoch

    def observe(self, *, history, epoch_images: int, val_images: int, wall_s: float) -> None:
        """Update from a finished run: its per-epoch ``fit`` seconds (``history.seconds``)
        and its wall time around :func:`ferlib.experiment.train_run`."""
        seconds = [float(s) for s in history["seconds"]]
        if not seconds:
            return
        steady = float(np.median(seconds[1:])) if len(seconds) > 1 else seconds[0]
        self.observations.append((epoch_images, steady))
        sizes = {n for n, _ in self.observations}
        if len(sizes) >= 2:  # fit seconds = overhead + images / rate over every run seen
            n = np.array([o[0] for o in self.observations], dtype=float)
            s = np.array([o[1] for o in self.observations], dtype=float)
            slope, intercept = np.polyfit(n, s, 1)
            if slope > 0:
                self.images_per_s = 1.0 / slope
                self.epoch_overhead_s = max(float(intercept), 0.0)
        else:
            self.images_per_s = epoch_images / max(steady - self.epoch_overhead_s, 0.05 * steady, 1e-6)
        compile_excess = max(seconds[0] - steady, 0.0)
        rest = wall_s - sum(seconds) - len(seconds) * val_images * self.eval_s_per_image
        # never below the warm-up's figure: a run may compile new shapes (a last
        # partial batch of another size) that the runs seen so far did not
        self.run_overhead_s = max(self.run_overhead_s, compile_excess + max(rest, 0.0))
        self.source = "runs"

    def to_dict(self) -> dict:
        return {"images_per_s": round(self.images_per_s, 1), "epoch_overhead_s": round(self.epoch_overhead_s, 3),
                "eval_s_per_image": self.eval_s_per_image, "run_overhead_s": round(self.run_overhead_s, 2),
                "source": self.source}


def warm_up(config: RunConfig, dataset, *, steps: int = 40, steps_per_execution: int = 1) -> tuple:
    """Time ``config``'s model on this machine: compile, then one ``fit`` of ``steps``
    batches of its training images (augmentation included) and a timed validation pass.

    Returns ``(ModelRate, record)``; the rate is derated (images/s x 0.8, overheads
    padded) so that a prediction from it errs long. Trains a throw-away model; nothing
    is stored.
    """
    # saves start-up time: Keras loads TensorFlow
    from ferlib import training

    data, part = prepare(config, dataset)
    train = np.flatnonzero(part == "train")
    val = np.flatnonzero(part == "val")
    n = config.batch_size * steps
    rows = train[np.arange(n) % len(train)]
    x, y = training.as_batch(data.images[rows]), data.labels[rows]
    tic = time.perf_counter()
    model = start_model(config)
    trainer = training.training_model(model, augment=config.augment, seed=config.seed,
                                      augment_scale=config.augment_scale)
    training.compile_for_training(trainer, config.learning_rate, steps_per_execution)
    trainer.fit(x[: 2 * config.batch_size], y[: 2 * config.batch_size], batch_size=config.batch_size,
                epochs=1, shuffle=False, verbose=0)
    training.model_evaluate(model, data.images[val[:8]], data.labels[val[:8]], config.batch_size)
    compile_s = time.perf_counter() - tic
    tic = time.perf_counter()
    trainer.fit(x, y, batch_size=config.batch_size, epochs=1, shuffle=False, verbose=0)
    fit_s = time.perf_counter() - tic
    tic = time.perf_counter()
    training.model_evaluate(model, data.images[val], data.labels[val], config.batch_size)
    eval_s = time.perf_counter() - tic
    rate = ModelRate(images_per_s=0.8 * n / fit_s, epoch_overhead_s=0.25,
                     eval_s_per_image=2.0 * eval_s / max(len(val), 1),
                     run_overhead_s=1.5 * compile_s + 5.0)
    record = {"model": config.model, "images": n, "compile_s": round(compile_s, 2), "fit_s": round(fit_s, 3),
              "images_per_s": round(n / fit_s, 1), "val_images": int(len(val)), "eval_s": round(eval_s, 3)}
    del model, trainer
    gc.collect()
    return rate, record


# --------------------------------------------------------------------------- run


class Campaign:
    """Runs :func:`plan_jobs`' jobs within ``budget_s`` seconds (see the module docstring).

    Args:
        pack_dir: a data pack (:mod:`ferlib.pack`).
        store: the run store every finished run is kept in.
        out_dir: where the returned files go (:mod:`ferlib.campaign_files`).
        budget_s: seconds, from the start of :meth:`run`, that every job must finish in.
        steps_per_execution: batches per call of the compiled train step.
        warmup_steps: batches timed by a model's warm-up.
        max_runs: train at most this many runs (``None``: as the budget allows).
        log: where progress lines go.
    """

    def __init__(self, pack_dir, store, out_dir, budget_s: float, *, steps_per_execution: int = 16,
                 warmup_steps: int = 40, max_runs: int | None = None, log=print, settings=None,
                 fingerprints=None):
        if not (isinstance(budget_s, (int, float)) and math.isfinite(budget_s) and budget_s > 0):
            raise ValueError(f"budget_s must be a positive number of seconds, got {budget_s!r}")
        if max_runs is not None and max_runs < 0:
            raise ValueError(f"max_runs must be >= 0 or None, got {max_runs!r}")
        files.check_campaign_out(out_dir)
        self.pack_dir = Path(pack_dir)
        self.store = store if isinstance(store, RunStore) else RunStore(store)
        self.out_dir = Path(out_dir)
        self.budget_s = float(budget_s)
        self.steps_per_execution = steps_per_execution
        self.warmup_steps = warmup_steps
        self.max_runs = max_runs
        self.log = log
        self.rates: dict = {}
        self.loaded: dict = {}
        self.finished: dict = {}     # run id -> Run, trained or found in this campaign
        self.trained = 0
        self.record = {"budget_s": self.budget_s, "settings": dict(settings or {}), "jobs": [], "warmups": [],
                       "weights": [], "out_files": {}}
        #: ``{data set: fingerprint under the paper's split}`` of data sets the pack may lack
        #: (``results/paper/datasets.json``): a fine-tune's source on such a data set is
        #: found in the store by the id they give, and never trained here.
        self.fingerprints = dict(fingerprints or {})
        self._start = None

    # -- time
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def left(self) -> float:
        return self.budget_s - self.elapsed()

    # -- data
    def dataset(self, name):
        if name not in self.loaded:
            tic = time.perf_counter()
            self.loaded[name] = load_packed(name, self.pack_dir)
            self.record.setdefault("unpack_s", {})[name] = round(time.perf_counter() - tic, 2)
        return self.loaded[name]

    def packed(self, name: str) -> bool:
        """Whether the pack holds data set ``name``."""
        return name in packed_names(self.pack_dir)

    def sizes(self, config: RunConfig) -> dict:
        """Run id and sizes of ``config``: ``{"run_id", "epoch_images", "val_images"}``.

        A data set the pack lacks (a small-data call, whose FER2013 sources come as runs
        with weights in the store) gives the id from :attr:`fingerprints` for a run on its
        whole paper split, and ``None`` sizes: such a run is found, never trained."""
        # saves start-up time: Keras loads TensorFlow
        from ferlib.training import epoch_indices

        if not self.packed(config.dataset):
            if (config.dataset not in self.fingerprints or config.protocol != "paper" or config.split_seed
                    or config.limit_train is not None):
                raise ValueError(f"{config.label()}: {config.dataset} is not in the pack {self.pack_dir} and its "
                                 f"run id cannot be known without it")
            return {"run_id": run_id(config, self.fingerprints[config.dataset]), "epoch_images": None,
                    "val_images": None}

        data, part = prepare(config, self.dataset(config.dataset))
        train_labels = data.labels[part == "train"]
        order = epoch_indices(train_labels, seed=config.seed, epoch=0, balance=config.balance,
                              min_images=config.min_epoch_images)
        return {"run_id": run_id(config, dataset_fingerprint(data, split=part)),
                "epoch_images": int(len(order)), "val_images": int((part == "val").sum())}

    def rate(self, config: RunConfig) -> ModelRate:
        if config.model not in self.rates:
            tic = time.perf_counter()
            rate, record = warm_up(config, self.dataset(config.dataset), steps=self.warmup_steps,
                                   steps_per_execution=self.steps_per_execution)
            record["seconds"] = round(time.perf_counter() - tic, 2)
            self.rates[config.model] = rate
            self.record["warmups"].append(record)
            self.log(f"warm-up of model {config.model}: {record['images_per_s']:.0f} images/s in fit, "
                     f"compile {record['compile_s']:.1f} s")
        return self.rates[config.model]

    # -- one job
    def _needed(self, job: Job) -> tuple:
        """``(needed, target_id)``: ``[(config, sizes)]`` of the runs the job must train,
        source first, and the run id of the job's own run."""
        needed = []
        target = job.config
        if job.source is not None:
            source_sizes = self.sizes(job.source)
            found = self.store.get(source_sizes["run_id"])
            target = dataclasses.replace(job.config, source=job.source.dataset, source_run=source_sizes["run_id"])
            if found is None or not (found.path / MODEL_FILE).exists():
                needed.append((job.source, source_sizes))
        sizes = self.sizes(target)
        if self.store.get(sizes["run_id"]) is None:
            needed.append((target, sizes))
        elif needed:  # the fine-tune is stored: its source's weights are not needed
            needed = []
        return needed, sizes["run_id"]

    def _train(self, config, sizes, init_from=None):
        tic = time.perf_counter()
        run = train_run(config, self.store, data_dir=self.pack_dir, dataset=self.dataset(config.dataset),
                        verbose=0, log=self.log,
                        init_weights_from=init_from, checkpoint=False,
                        steps_per_execution=self.steps_per_execution)
        wall = time.perf_counter() - tic
        self.rates[config.model].observe(history=run.history, epoch_images=sizes["epoch_images"],
                                         val_images=sizes["val_images"], wall_s=wall)
        self.trained += 1
        return run, wall

    def run_job(self, job: Job) -> dict:
        """Train (or find) one job's runs if they fit in the time left; returns its log entry."""
        entry = {"phase": job.phase, "label": job.label, "cell": job.cell, "model": job.config.model,
                 "dataset": job.config.dataset, "source": job.source.dataset if job.source else None,
                 "seed": job.config.seed}
        if job.cell and study.changes_epochs_only(job.cell, job.round) and study.same_epochs_as_protocol(
                job.config, self.dataset(job.config.dataset), profile=self.record["settings"].get("profile", "paper")):
            return {**entry, "status": "skipped", "reason": "the same epochs as the protocol's run"}
        needed, target_id = self._needed(job)
        if not needed:
            self.finished[target_id] = self.store.get(target_id)
            return {**entry, "status": "found", "run_id": target_id}
        if self.max_runs is not None and self.trained + len(needed) > self.max_runs:
            return {**entry, "status": "skipped", "reason": f"max_runs {self.max_runs} reached"}
        if self.left() <= 0:
            return {**entry, "status": "skipped", "reason": "budget spent"}
        unpacked = [config for config, sizes in needed if sizes["epoch_images"] is None]
        if unpacked:
            return {**entry, "status": "skipped",
                    "reason": f"{unpacked[0].label()} seed {unpacked[0].seed} ({self.sizes(unpacked[0])['run_id']}) "
                              f"is not in the store with its weights, and {unpacked[0].dataset} is not in the "
                              f"pack to train it"}
        unmeasured = sorted({config.model for config, _ in needed} - set(self.rates))
        if unmeasured and self.left() < WARMUP_MIN_S:
            return {**entry, "status": "skipped", "reason": f"{self.left():.0f} s left, too few for a first "
                                                            f"run of model {unmeasured[0]} (its warm-up)"}
        predicted = 0.0
        for config, sizes in needed:
            predicted += SAFETY * self.rate(config).predict(
                epochs=config.epochs, epoch_images=sizes["epoch_images"], val_images=sizes["val_images"])
        entry["predicted_s"] = round(predicted, 1)
        if predicted > self.left():
            return {**entry, "status": "skipped",
                    "reason": f"needs about {predicted:.0f} s, {max(self.left(), 0):.0f} s left"}
        runs, walls = [], []
        source_run = None
        for config, sizes in needed:
            if config.is_finetune and source_run is None:
                source_run = self.store.get(config.source_run)
            run, wall = self._train(config, sizes, init_from=source_run if config.is_finetune else None)
            if not config.is_finetune:
                source_run = run
            runs.append(run)
            walls.append(wall)
            self.finished[run.id] = run
        run = runs[-1]
        test = run.metrics["test"]
        return {**entry, "status": "trained", "run_id": run.id, "source_run": run.config.source_run,
                "runs": [r.id for r in runs], "seconds": round(sum(walls), 1),
                "train_images_per_s": run.manifest.get("train_images_per_s"),
                "epochs": run.config.epochs, "epoch_images": needed[-1][1]["epoch_images"],
                "val_accuracy": run.metrics["val"]["accuracy"], "test_accuracy": test["accuracy"],
                "best_epoch": run.metrics["best_epoch"]}

    # -- outputs
    def write_outputs(self) -> None:
        """Bring the output folder up to date: new weights that fit, the runs archive and
        the log (last), each written atomically."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        runs = [self.finished[rid] for rid in sorted(self.finished)]
        archive = self.store.root / ".out" / files.RUNS_ARCHIVE
        archive.parent.mkdir(parents=True, exist_ok=True)
        files.archive_runs(runs, archive)
        archive_size = archive.stat().st_size
        # room kept for the log, the printed log and the runs archive growing to twice its size
        self._add_weights(runs, reserve_bytes=max(4 * 2**20, 2 * archive_size) + 2**20 + files.TEXT_LOG_LIMIT,
                          reserve_files=2 + len(files.split_names(files.RUNS_ARCHIVE, 2 * archive_size)))
        files.write_split(archive, self.out_dir, files.RUNS_ARCHIVE)
        self.record["archives"] = {files.RUNS_ARCHIVE: files.archive_contents(archive)}
        self.record["out_files"] = {p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
                                    for p in sorted(self.out_dir.iterdir())
                                    if p.is_file() and p.name not in (files.LOG_FILE, files.TEXT_LOG)
                                    and not p.name.startswith(".")}
        self.record["rates"] = {str(m): r.to_dict() for m, r in sorted(self.rates.items())}
        self.record["elapsed_s"] = round(self.elapsed(), 1)
        self.record["finished_at"] = _now()
        atomic.write_text(self.out_dir / files.LOG_FILE, json.dumps(self.record, indent=1, default=str) + "\n")

    def _add_weights(self, runs, *, reserve_bytes: int, reserve_files: int) -> None:
        considered = {w["run_id"] for w in self.record["weights"]}
        for run in runs:
            if run.id in considered or run.config.is_finetune or run.config.dataset not in SOURCE_DATASETS:
                continue
            path = run.path / MODEL_FILE
            size = path.stat().st_size
            names = files.split_names(run.id + files.WEIGHTS_SUFFIX, size)
            used = [p for p in self.out_dir.iterdir() if p.is_file() and not p.name.startswith(".")
                    and not p.name.startswith(files.RUNS_ARCHIVE) and p.name not in (files.LOG_FILE, files.TEXT_LOG)]
            used_bytes = sum(p.stat().st_size for p in used)
            fits = (len(used) + len(names) + reserve_files <= files.MAX_FILES
                    and used_bytes + size + reserve_bytes <= files.TOTAL_LIMIT)
            entry = {"run_id": run.id, "label": run.config.label(), "bytes": size, "files": names if fits else []}
            if fits:
                files.write_split(path, self.out_dir, run.id + files.WEIGHTS_SUFFIX)
            else:
                entry["reason"] = (f"{size / 2**20:.1f} MiB do not fit beside the other files "
                                   f"({files.MAX_FILES} files, {files.TOTAL_LIMIT // 2**20} MiB in all)")
            self.record["weights"].append(entry)
            self.log(f"weights of {run.id} ({run.config.label()}): "
                     + (f"returned as {', '.join(names)}" if fits else entry["reason"]))

    def run(self, jobs) -> dict:
        """Try every job in order; returns the log (also written to ``out_dir``)."""
        self._start = time.monotonic()
        self.record.update(started_at=_now(), git_commit=git_commit(), environment=environment(),
                           planned_jobs=len(jobs))
        self.write_outputs()
        for job in jobs:
            try:
                entry = self.run_job(job)
            except Exception as error:  # one failed run must not cost the rest of the campaign
                entry = {"label": job.label, "phase": job.phase, "status": "failed",
                         "reason": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc(limit=8)}
            entry["at_s"] = round(self.elapsed(), 1)
            self.record["jobs"].append(entry)
            if entry["status"] in ("trained", "failed"):
                self.log(_job_line(entry))
                self.write_outputs()
            gc.collect()
        self.write_outputs()
        return self.record


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _job_line(entry) -> str:
    if entry["status"] == "trained":
        return (f"[{entry['at_s']:6.0f} s] {entry['label']}: test {entry['test_accuracy']:.4f} "
                f"({entry['seconds']:.0f} s, predicted {entry['predicted_s']:.0f} s, "
                f"{entry['train_images_per_s']} images/s) {entry['run_id']}")
    return f"[{entry['at_s']:6.0f} s] {entry['label']}: {entry['status']}: {entry.get('reason', '')}"


def summary_lines(record: dict) -> list:
    """Short lines for the end of a campaign: images/s per model, counts per status."""
    lines = [f"device {record.get('environment', {}).get('device')}, "
             f"{record.get('elapsed_s')} s of {record['budget_s']:.0f} s"]
    for model, rate in sorted(record.get("rates", {}).items()):
        lines.append(f"model {model}: {rate['images_per_s']:.0f} training images/s ({rate['source']})")
    counts = {}
    for job in record["jobs"]:
        counts[job["status"]] = counts.get(job["status"], 0) + 1
    lines.append("jobs: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    lines.append("files: " + ", ".join(f"{name} ({entry['bytes'] / 2**20:.2f} MiB)"
                                       for name, entry in record.get("out_files", {}).items()))
    return lines


def configure_jax(*, matmul_precision: str = "float32", compile_cache=None) -> dict:
    """Set JAX's float32 matrix-product precision and its persistent compilation cache
    (one compile per model and shape, reused by every later run). Returns what was set;
    does nothing (returns ``{}``) when Keras does not run on JAX."""
    # saves start-up time: Keras loads TensorFlow
    import keras

    if keras.backend.backend() != "jax":
        return {}
    if matmul_precision not in MATMUL_PRECISIONS:
        raise ValueError(f"matmul_precision must be one of {list(MATMUL_PRECISIONS)}, got {matmul_precision!r}")
    # not at the top: JAX is absent where Keras runs on TensorFlow, so a start-up import would fail there
    import jax

    jax.config.update("jax_default_matmul_precision", matmul_precision)
    settings = {"jax_default_matmul_precision": matmul_precision, "jax_default_backend": jax.default_backend()}
    if compile_cache is not None:
        Path(compile_cache).mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(compile_cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        settings["jax_compilation_cache_dir"] = "set"
    return settings
