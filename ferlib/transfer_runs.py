"""Train, on this machine, the runs that test the fine-tune gain beyond the paper's split.

:func:`ferlib.protocol.transfer_configs` defines them: the fine-tunes of every
subject-independent fold (each paired with the same fold trained from scratch, which is
trained first where it has no committed run), then JAFFE and seven-class CK+ on split
seeds 1 and 2, from scratch and fine-tuned.
A fine-tune starts from the protocol's FER2013 run of its training seed; this module
never trains that run itself (hours on a CPU): a fine-tune whose FER2013 run has no
weights in the store is skipped with the command that trains it.

``python -m ferlib transfer --model 2 --data-dir DATA --store DIR`` runs
:func:`train_transfer_runs`; ``--dry-run`` lists the plan.
"""

from __future__ import annotations

import dataclasses

from ferlib.campaign import transfer_jobs
from ferlib.experiment import config_data, train_run
from ferlib.identity import run_id
from ferlib.protocol import protocol_dataset
from ferlib.results import PAPER_RESULTS, committed_runs, read_dataset_summaries
from ferlib.store import RunStore
from ferlib.vocabulary import check_seeds


def source_run_id(source_config, results_dir=PAPER_RESULTS) -> str:
    """The run id of a FER2013 source config, from the data fingerprint that
    ``results_dir/datasets.json`` records (no data is loaded)."""
    summaries = read_dataset_summaries(results_dir)
    name = protocol_dataset(source_config.dataset)
    if name not in summaries:
        raise ValueError(f"{results_dir}/datasets.json: no summary of {name!r}, so the id of the FER2013 run "
                         f"a fine-tune starts from cannot be known")
    return run_id(source_config, summaries[name]["fingerprint"])


def transfer_plan(model: int, *, results_dir=PAPER_RESULTS, training_seeds=(0, 1, 2), backend: str) -> list:
    """The jobs (:class:`ferlib.campaign.Job`) of ``model``'s transfer runs with no
    committed run in ``results_dir``, in the order they are worth training, for the
    training seeds ``training_seeds`` (a subject fold's fine-tune uses seed 0 whatever
    the seeds)."""
    seeds = check_seeds(training_seeds, "training_seeds")
    jobs = transfer_jobs("paper", models=(int(model),), committed=committed_runs(results_dir), backend=backend,
                         precision=None, training_seeds=seeds)
    return [job for job in jobs if job.config.protocol != "paper" or job.config.seed in seeds]


def job_label(config, source=None) -> str:
    """A transfer job in words: ``model 2 fer2013->jaffe (fine-tune), loso fold 3, seed 0``
    or ``model 2 ckplus7 (scratch), split seed 2, seed 1``."""
    what = config.label() if source is None else dataclasses.replace(config, source=source.dataset).label()
    where = (f"{config.protocol} fold {config.fold}" if config.protocol != "paper" else
             f"split seed {config.split_seed}")
    return f"{what}, {where}, seed {config.seed}"


def source_command(source_config) -> str:
    """The command that trains a fine-tune's FER2013 run (:func:`source_run_id`)."""
    return (f"python -m ferlib train --model {source_config.model} --dataset {source_config.dataset} "
            f"--profile paper --seed {source_config.seed} --data-dir DATA --store STORE")


def train_transfer_runs(model: int, store, *, data_dir, cache_dir=None, results_dir=PAPER_RESULTS,
                        training_seeds=(0, 1, 2), max_runs: int | None = None, dry_run: bool = False,
                        verbose: int = 1, log=print) -> dict:
    """Train (or find in ``store``) the runs of :func:`transfer_plan`, one at a time.

    Returns ``{"trained": [run ids], "skipped": [sentences], "planned": [labels]}``:
    ``skipped`` names each fine-tune whose FER2013 run has no weights in ``store``,
    ``planned`` (with ``dry_run``) every job's label without training any.
    ``max_runs``: stop after this many runs (found or trained).
    """
    # saves start-up time: Keras loads TensorFlow
    import keras

    if max_runs is not None and max_runs < 1:
        raise ValueError(f"max_runs must be at least 1 or None, got {max_runs!r}")
    store = store if isinstance(store, RunStore) else RunStore(store)
    jobs = transfer_plan(model, results_dir=results_dir, training_seeds=training_seeds,
                         backend=keras.backend.backend())
    report = {"trained": [], "skipped": [], "planned": []}
    loaded = {}
    for job in jobs:
        if max_runs is not None and len(report["trained"]) >= max_runs:
            break
        label = job_label(job.config, job.source)
        source = None
        if job.source is not None:
            sid = source_run_id(job.source, results_dir)
            source = store.get(sid)
            if source is None or not source.has_model:
                report["skipped"].append(f"{label}: needs the weights of FER2013 run {sid} in {store.root} "
                                         f"({source_command(job.source)})")
                continue
        if dry_run:
            report["planned"].append(label + (f" from {source.id}" if source is not None else ""))
            continue
        config = job.config if source is None else dataclasses.replace(
            job.config, source=job.source.dataset, source_run=source.id)
        if config.dataset not in loaded:  # JAFFE and CK+ are small: each is loaded once
            loaded[config.dataset] = config_data(config, data_dir=data_dir, cache_dir=cache_dir)
        run = train_run(config, store, data_dir=data_dir, dataset=loaded[config.dataset], verbose=verbose, log=log,
                        init_weights_from=source)
        report["trained"].append(run.id)
        log(f"{label}: {run.id} test accuracy {run.metrics['test']['accuracy']:.4f}")
    return report
