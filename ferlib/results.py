"""Reference results kept in git: finished runs without weights, and data summaries.

``results/paper/`` holds the paper profile's runs on the real data, one folder per run
as in the run store (:mod:`ferlib.store`) but without ``model.keras``, plus:

- ``datasets.json``  per data set: its fingerprint and image counts per class and split
                     part (no images), so the book can show Table 1 without the data;
- ``missing.json``   the paper's experiments that have no committed run, each with the
                     reason.

The book's ``paper`` profile reads this folder when no data directory is given, so the
published book builds on any machine. Export runs into it with
``python -m ferlib export --store <store>`` and the data summary with
``python -m ferlib datasets --data-dir <root> --save results/paper/datasets.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ferlib import atomic, splits
from ferlib.config import RunConfig
from ferlib.evaluation import classification_metrics
from ferlib.excerpt import shortened
from ferlib.experiment import PAPER_EXPERIMENTS, load_data
from ferlib.fingerprint import dataset_fingerprint, file_sha256
from ferlib.identity import NUMERICS_VERSION, run_id
from ferlib.jsonfile import read_json_object
from ferlib.labels import EMOTIONS, NUM_CLASSES
from ferlib.protocol import (
    EXTRA_SPLIT_SEEDS,
    FINETUNE_SOURCE,
    experiment_config,
    experiment_key,
    split_seed_config,
    subject_finetune_config,
    subject_fold_config,
    subject_protocol,
)
from ferlib.store import (CHECKSUMS_FILE, LEGACY_PREDICTIONS_FILE, PREDICTIONS_FILE, REQUIRED_FILES, BrokenRun,
                          Run, RunStore, check_replaceable_run, compact_metrics, compress_predictions, read_checksums, read_run,
                          run_file_names, run_problems, seal_files)
from ferlib.vocabulary import DATASETS, PAPER_DATASETS, PAPER_MODELS, SPLIT_PARTS

#: The paper profile's committed runs, relative to the project root.
PAPER_RESULTS = Path("results") / "paper"
DATASETS_FILE = "datasets.json"
MISSING_FILE = "missing.json"
#: The largest gap allowed between a committed test accuracy and the same run trained
#: again, in binomial standard errors of the committed accuracy. The same code, data and
#: seed on the same kind of machine give the same numbers; other hardware or library
#: builds change the order of floating-point sums, and with it a few predictions.
REPRODUCE_TOLERANCE_SE = 2.0


# --------------------------------------------------------------------------- export


def check_relative_sources(predictions: pd.DataFrame, where) -> None:
    """Raise ``ValueError`` when a prediction's ``source`` is an absolute path (a
    machine's folder would end up in git)."""
    if "source" not in predictions.columns:
        return
    sources = predictions["source"].astype(str)
    absolute = sources[sources.str.startswith("/") | sources.str.match(r"^[A-Za-z]:[\\/]")]
    if len(absolute):
        raise ValueError(f"{where}: {PREDICTIONS_FILE} names images by absolute path "
                         f"(first: {absolute.iloc[0]!r}); results must use paths relative to the data root")


def seal_run(folder) -> Path:
    """Write ``<folder>/sha256.txt``: the sha256 of each of a run's files, so that
    :func:`audit_run` catches any later edit of any of them. Atomic (temp, then rename)."""
    return seal_files(folder, REQUIRED_FILES)


def check_checksums(folder) -> list:
    """Sentences naming each file of a sealed run whose bytes no longer match
    ``sha256.txt`` (empty: all match)."""
    folder = Path(folder)
    path = folder / CHECKSUMS_FILE
    if not path.exists():
        return [f"{folder}: no {CHECKSUMS_FILE}: export the run again (python -m ferlib export)"]
    try:
        recorded = read_checksums(folder)
    except BrokenRun as error:
        return [str(error)]
    names = run_file_names(folder)  # an older run's plain predictions.csv: see audit_run
    problems = [f"{folder}: {name} is not listed in {CHECKSUMS_FILE}"
                for name in names if name not in recorded]
    for name, digest in recorded.items():
        if name not in names:
            problems.append(f"{path}: lists {name!r}, which is not a run file")
        elif not (folder / name).exists():
            problems.append(f"{folder}: {name} is missing")
        elif file_sha256(folder / name) != digest:
            problems.append(f"{folder / name}: edited after export (its sha256 differs from {CHECKSUMS_FILE})")
    return problems


def write_run_folder(source, final, *, fill=None) -> Path:
    """Copy a run's files from the folder ``source`` into the folder ``final`` in one step:
    into a temporary sibling first (an older run's plain ``predictions.csv`` as
    ``predictions.csv.gz``, :func:`ferlib.store.compress_predictions`, and its indented
    ``metrics.json`` on one line, :func:`ferlib.store.compact_metrics`: ``final`` always
    holds :data:`~ferlib.store.REQUIRED_FILES`), then ``fill(tmp)`` (more files, a new config...),
    then a rename that replaces any older ``final`` (:func:`ferlib.atomic.replacing_folder`),
    which must be a run folder (:func:`ferlib.store.check_replaceable_run`). A failure
    leaves nothing behind, and the temporary folders of killed writes beside ``final``
    are removed first."""
    source, final = Path(source), Path(final)
    check_replaceable_run(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    atomic.remove_stale_temporaries(final.parent)
    with atomic.replacing_folder(final) as tmp:
        for name in run_file_names(source):
            shutil.copy2(source / name, tmp / name)
        compress_predictions(tmp)
        compact_metrics(tmp)
        if fill is not None:
            fill(tmp)
    return final


def export_run(run: Run, results_dir) -> Path:
    """Copy a finished run into ``results_dir/<run id>/`` without its weights.

    Written into a temporary folder and renamed into place, so an interrupted export
    leaves no half-written run; an older run's plain ``predictions.csv`` is exported as
    ``predictions.csv.gz`` (the same CSV, compressed) and sealed so. Returns the new folder.
    """
    check_relative_sources(run.predictions, run.path)
    return write_run_folder(run.path, Path(results_dir) / run.id, fill=seal_run)


def export_store(store, results_dir=PAPER_RESULTS, *, data="real", replace=False) -> list:
    """Export every finished run of ``store`` whose ``config.data`` is ``data``
    (``None``: all); returns the exported run ids, oldest first.

    A run whose id is committed already is left as it is (the same config, data and
    numerics: a second copy adds nothing), unless ``replace``."""
    store = store if isinstance(store, RunStore) else RunStore(store)
    if not store.root.is_dir():
        raise FileNotFoundError(f"run store {store.root} not found")
    exported = []
    for run in store.runs():
        if not replace and (Path(results_dir) / run.id).exists():
            continue
        if data is None or run.config.data == data:
            export_run(run, results_dir)
            exported.append(run.id)
    return exported


def rekey_results(results_dir, *, numerics: int = NUMERICS_VERSION) -> dict:
    """Give every run under ``results_dir`` the id that its config, data fingerprint and
    ``numerics`` give today, without touching its numbers.

    Only for a change shown to leave the runs' numbers equal (a new way of computing
    ids, a numerics version bumped for other runs): a run whose numbers would change is
    trained again, never re-keyed. Fine-tunes get their source run's new id in
    ``config.source_run``. Each run is rewritten into a temporary folder and renamed;
    the manifest keeps the old id in ``rekeyed_from``. Returns ``{old id: new id}``.
    """
    results_dir = Path(results_dir)
    runs = sorted(committed_runs(results_dir), key=lambda run: run.config.is_finetune)
    renamed = {}
    for run in runs:  # sources first, so fine-tunes see their source's new id
        config = run.config
        if config.source_run is not None:
            config = dataclasses.replace(config, source_run=renamed.get(config.source_run, config.source_run))
        new_id = run_id(config, run.manifest["data_fingerprint"], numerics)
        renamed[run.id] = new_id
        if new_id == run.id and run.manifest.get("numerics_version") == numerics:
            continue
        manifest = dict(run.manifest, run_id=new_id, numerics_version=numerics,
                        source_run=config.source_run,
                        rekeyed_from=[*run.manifest.get("rekeyed_from", []), run.id])
        def rewrite(tmp, config=config, manifest=manifest):
            (tmp / "config.json").write_text(config.to_json() + "\n")
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            seal_run(tmp)

        write_run_folder(run.path, results_dir / new_id, fill=rewrite)
        if new_id != run.id:
            shutil.rmtree(run.path)
    return renamed


def compress_committed_predictions(results_dir) -> list:
    """Rewrite every run folder under ``results_dir`` (at any depth: ``results/`` and each
    of its profiles; hidden folders are skipped) that keeps a plain ``predictions.csv``,
    written before predictions were compressed, with ``predictions.csv.gz`` instead,
    sealed again; returns the rewritten folders, in order.

    Only the form of the predictions' file changes: its CSV bytes are kept as they are
    (:func:`ferlib.store.compress_predictions`). Each run must be whole before
    (:func:`ferlib.store.run_problems`: an edited file is never resealed) and, before it
    takes the old folder's place, must read back with the same id, config, manifest,
    metrics, history and predictions (frames equal: :func:`same_run`). Each run is
    rewritten into a temporary folder and renamed (:func:`write_run_folder`), so a run is
    either as it was or converted. Raises ``ValueError`` naming a run that fails either
    check; it is left as it was (the runs before it stay converted)."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise FileNotFoundError(f"{results_dir}: no such results folder")
    converted = []
    for legacy in sorted(results_dir.rglob(LEGACY_PREDICTIONS_FILE)):
        folder = legacy.parent
        if any(part.startswith(".") for part in folder.relative_to(results_dir).parts):
            continue
        before, problems = run_problems(folder, check_model=False)
        if problems:
            raise ValueError(f"{folder}: not converted, the run is not whole: {'; '.join(problems)}")

        def seal_and_compare(tmp, before=before):
            seal_run(tmp)
            problems = check_checksums(tmp)
            after = read_run(tmp)
            if problems or not same_run(before, after):
                raise ValueError(f"{before.path}: not converted, it would not read back the same "
                                 f"({'; '.join(problems) or 'its files differ once read'})")

        write_run_folder(folder, folder, fill=seal_and_compare)
        after, problems = run_problems(folder, check_model=False)
        if problems or after.id != before.id:
            raise ValueError(f"{folder}: converted, but it reads back with problems: {'; '.join(problems)}")
        converted.append(folder)
    return converted


def same_run(a: Run, b: Run) -> bool:
    """Whether two runs read back the same: id, config, manifest, metrics, and their
    history and predictions frames equal (values, columns, dtypes)."""
    return (a.id == b.id and a.config == b.config and a.manifest == b.manifest and a.metrics == b.metrics
            and a.history.equals(b.history) and a.predictions.equals(b.predictions)
            and list(a.predictions.dtypes) == list(b.predictions.dtypes))


# --------------------------------------------------------------------------- reading


def committed_runs(results_dir=PAPER_RESULTS) -> list:
    """Every run folder under ``results_dir``, oldest first."""
    return RunStore(results_dir).runs()


def is_paper_config(config, *, seed: int | None = 0, profile: str = "paper") -> bool:
    """Whether a config is the paper profile (or ``profile``) on the real data with the
    given seed (``None``: its own seed; any backend), with its experiment's stated
    deviations (:data:`ferlib.protocol.EXPERIMENT_DEVIATIONS`) and no others. The numerical
    precision is part of the protocol: float32 unless a stated deviation says otherwise,
    so a bfloat16 run of the equivalence check (:mod:`ferlib.precision_check`) is no
    protocol run."""
    if seed is None:
        seed = config.seed
    expected = experiment_config(profile, experiment_key(config), data="real", seed=seed,
                                 source=config.source, source_run=config.source_run,
                                 backend=config.backend)
    return config == expected


def paper_results(results_dir=PAPER_RESULTS, *, models=PAPER_MODELS, seed: int = 0, runs=None) -> dict:
    """The committed paper-profile runs as ``{(model, dataset, source): Run}``.

    Where one experiment has several committed runs (e.g. on two backends) the
    newest is used. Experiments without a run are absent (see :func:`missing_runs`).
    ``runs``: the folder's runs already read (:func:`committed_runs`), so that a caller
    who needs them too reads the folder once.
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise FileNotFoundError(f"{results_dir}: no committed results (expected a folder of runs)")
    return protocol_runs(committed_runs(results_dir) if runs is None else runs, models=models, seed=seed)


def protocol_runs(runs, *, models=PAPER_MODELS, seed: int = 0) -> dict:
    """The protocol's runs among ``runs`` (oldest first, e.g. :func:`committed_runs`) as
    ``{(model, dataset, source): Run}``; a newer run of an experiment replaces an older one."""
    found = {}
    for run in _readable_runs(runs, models):
        if is_paper_config(run.config, seed=seed):
            found[experiment_key(run.config)] = run
    return found


def _readable_runs(runs, models) -> list:
    """The runs of ``runs`` (order kept) of ``models`` that a reader of the protocol's runs
    may take: every one but the fine-tunes from another start (:func:`other_starts`)."""
    runs = list(runs)
    models, other = {int(m) for m in models}, other_starts(runs)
    return [run for run in runs if run.config.model in models and run.id not in other]


def other_starts(runs) -> set:
    """The ids of the fine-tunes among ``runs`` that start from a run also among ``runs``
    which is not the protocol's FER2013 run of their model and seed (the modern recipe's
    network, a cell of the sensitivity study): whatever their own settings, they test
    another start than the protocol's, so no protocol run, fold or split-seed run is read
    from them (:func:`runs_outside_protocol` lists them). A fine-tune whose source is not
    among ``runs`` is judged by its config alone."""
    runs = list(runs)
    by_id = {run.id: run for run in runs}
    other = set()
    for run in runs:
        config = run.config
        source = by_id.get(config.source_run) if config.is_finetune else None
        if source is None:
            continue
        start = source.config
        if not (start.model == config.model and start.dataset == config.source and start.seed == config.seed
                and is_paper_config(start, seed=None)):
            other.add(run.id)
    return other


def is_subject_fold(config, *, profile: str = "paper") -> bool:
    """Whether a config is one fold of the protocol's subject-independent evaluation
    (:func:`ferlib.protocol.subject_fold_config`): the paper profile (or ``profile``) on the
    real data, from scratch, with its experiment's stated deviations, its own seed, fold and backend,
    and the split of :func:`ferlib.protocol.subject_protocol`. Such a run is
    no protocol run of its experiment (:func:`is_paper_config`: it tests other images)."""
    if config.protocol == "paper" or config.is_finetune or config.data != "real":
        return False
    try:
        expected = subject_fold_config(profile, config.model, config.dataset, config.fold, data="real",
                                       seed=config.seed, backend=config.backend)
    except ValueError:  # a data set without subject folds, a fold out of range
        return False
    return config == expected


def subject_fold_runs(runs, *, models=PAPER_MODELS) -> dict:
    """The subject-independent folds among ``runs`` (oldest first, e.g.
    :func:`committed_runs`; :func:`is_subject_fold`) as
    ``{(model, dataset, seed): {fold: Run}}``, ``dataset`` the name the run trained on
    (``"jaffe"``, ``"ckplus7"``); a newer run of a fold replaces an older one."""
    return _fold_runs(runs, models, is_subject_fold)


def _fold_runs(runs, models, is_fold) -> dict:
    """``{(model, dataset, seed): {fold: Run}}`` of the runs of ``models`` whose config
    ``is_fold`` accepts, folds in order; a later run of a fold replaces an earlier one."""
    found = {}
    for run in _readable_runs(runs, models):
        config = run.config
        if is_fold(config):
            found.setdefault((config.model, config.dataset, config.seed), {})[config.fold] = run
    return {key: dict(sorted(folds.items())) for key, folds in found.items()}


def runs_outside_protocol(runs) -> list:
    """The runs of ``runs`` (e.g. :func:`committed_runs`) that are not a protocol run of
    any experiment with any seed, nor one of its subject-independent folds from scratch or
    fine-tuned (:func:`is_subject_fold`, :func:`is_subject_finetune_fold`), nor one of its
    runs on another split seed (:func:`is_split_seed_run`): runs at other settings, kept as
    evidence, and the fine-tunes that start from another run than the protocol's
    (:func:`other_starts`). Order is kept."""
    runs = list(runs)
    other = other_starts(runs)
    return [run for run in runs if run.id in other or not (
        is_paper_config(run.config, seed=None) or is_subject_fold(run.config) or is_transfer_run(run.config))]


def is_subject_finetune_fold(config) -> bool:
    """Whether a config is one fold of the subject-independent evaluation fine-tuned from
    FER2013 (:func:`ferlib.protocol.subject_finetune_config`): the paper profile on the real
    data, the fine-tune experiment's stated deviations, its own seed, fold, backend
    and source run, on the split of :func:`ferlib.protocol.subject_protocol`.
    Neither a protocol run (:func:`is_paper_config`) nor a fold from scratch
    (:func:`is_subject_fold`)."""
    if config.protocol == "paper" or not config.is_finetune or config.data != "real":
        return False
    if config.source != FINETUNE_SOURCE:
        return False
    try:
        expected = subject_finetune_config("paper", config.model, config.dataset, config.fold, data="real",
                                           seed=config.seed, backend=config.backend,
                                           source=config.source, source_run=config.source_run)
    except ValueError:  # a data set without subject folds, a fold out of range
        return False
    return config == expected


def subject_finetune_fold_runs(runs, *, models=PAPER_MODELS) -> dict:
    """The fine-tuned subject-independent folds among ``runs`` (oldest first;
    :func:`is_subject_finetune_fold`) as ``{(model, dataset, seed): {fold: Run}}``, as
    :func:`subject_fold_runs` gives the folds from scratch; a newer run of a fold replaces
    an older one."""
    return _fold_runs(runs, models, is_subject_finetune_fold)


def is_split_seed_run(config) -> bool:
    """Whether a config is an experiment of the protocol on another draw of the paper's
    split (:func:`ferlib.protocol.split_seed_config`): JAFFE or CK+, from scratch or
    fine-tuned, the paper profile with its stated deviations, its own seed and backend, a
    split seed other than 0. Such a run tests other images than the protocol's
    run of its experiment (:func:`is_paper_config` keeps split seed 0)."""
    if config.protocol != "paper" or config.split_seed == 0 or config.data != "real":
        return False
    try:
        expected = split_seed_config("paper", experiment_key(config), config.split_seed, data="real",
                                     seed=config.seed, source=config.source, source_run=config.source_run,
                                     backend=config.backend)
    except ValueError:  # FER2013 keeps its official split
        return False
    return config == expected


def is_transfer_run(config) -> bool:
    """Whether a config is one of the runs that test the fine-tune gain beyond the paper's
    split (:func:`ferlib.protocol.transfer_configs`): a fine-tuned subject-independent fold
    (:func:`is_subject_finetune_fold`) or a run on another split seed (:func:`is_split_seed_run`)."""
    return is_subject_finetune_fold(config) or is_split_seed_run(config)


def split_seed_runs(runs, *, models=PAPER_MODELS) -> dict:
    """The protocol's runs on other split seeds among ``runs`` (:func:`is_split_seed_run`)
    as ``{(model, dataset, source, split_seed): [Run, ...]}`` (``dataset`` by the paper's
    name, as :func:`protocol_seed_runs` keys it), training seeds in increasing order; of
    two runs of one seed the newer (later in ``runs``) is kept."""
    found = {}
    for run in _readable_runs(runs, models):
        config = run.config
        if is_split_seed_run(config):
            model, dataset, source = experiment_key(config)
            found.setdefault((model, dataset, source, config.split_seed), {})[config.seed] = run
    return {key: [by_seed[seed] for seed in sorted(by_seed)] for key, by_seed in sorted(
        found.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]), kv[0][3]))}


def protocol_seed_runs(runs, *, models=PAPER_MODELS) -> dict:
    """Every seed's protocol run among ``runs``: ``{(model, dataset, source): [Run, ...]}``,
    seeds in increasing order."""
    found = {}
    for run in sorted(_readable_runs(runs, models), key=lambda r: r.config.seed):
        if is_paper_config(run.config, seed=None):
            found.setdefault(experiment_key(run.config), []).append(run)
    return found


def paper_experiments(models=PAPER_MODELS) -> list:
    """The 15 keys ``(model, dataset, source)`` of the paper's experiments, in order."""
    return [(int(m), target, source) for m in models for target, source in PAPER_EXPERIMENTS]


def missing_runs(results_dir=PAPER_RESULTS, *, models=PAPER_MODELS, seed: int = 0) -> pd.DataFrame:
    """The paper's experiments with no committed run, and why.

    Returns:
        one row per missing experiment: ``model``, ``dataset``, ``training``
        (``"scratch"`` / ``"fine-tuned"``), ``reason`` (from ``missing.json``;
        ``"not run"`` where that file says nothing) and ``cpu_seconds`` (its training
        time per class of processor, ``{class: seconds}``, from the same file; ``None``
        where it gives none: a fine-tune, or a file written before it gave times).
    """
    have = paper_results(results_dir, models=models, seed=seed)
    listed = {tuple(entry["key"]): entry for entry in read_missing(results_dir)}
    rows = []
    for key in paper_experiments(models):
        if key not in have:
            model, dataset, source = key
            entry = listed.get(key, {})
            rows.append({"model": model, "dataset": dataset,
                         "training": "scratch" if source is None else "fine-tuned",
                         "reason": entry.get("reason", "not run"), "cpu_seconds": entry.get("cpu_seconds")})
    return pd.DataFrame(rows, columns=["model", "dataset", "training", "reason", "cpu_seconds"])


def read_missing(results_dir=PAPER_RESULTS) -> list:
    """The entries of ``missing.json``: ``[{"key": [model, dataset, source], "reason": str}]``,
    those with a training-time estimate with ``"cpu_seconds"`` too (``{class of processor:
    seconds}``, :func:`ferlib.missing.run_seconds`); a file written before that field
    reads as before, its entries without it.

    Raises ``ValueError`` naming the entry that is malformed.
    """
    path = Path(results_dir) / MISSING_FILE
    if not path.exists():
        return []
    try:
        listing = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({str(error)[:200]}); the file is truncated or was edited: "
                         f"rewrite it with `python -m ferlib missing --save`") from None
    if not isinstance(listing, dict) or not isinstance(listing.get("runs", []), list):
        raise ValueError(f"{path}: expected an object with a 'runs' list, got {shortened(repr(listing), 80)}; "
                         f"rewrite it with `python -m ferlib missing --save`")
    entries = listing.get("runs", [])
    for i, entry in enumerate(entries):
        key = entry.get("key") if isinstance(entry, dict) else None
        if (not isinstance(key, list) or len(key) != 3 or key[0] not in PAPER_MODELS
                or key[1] not in PAPER_DATASETS or key[2] not in (None, "fer2013")):
            raise ValueError(f"{path}: runs[{i}].key must be [model 1-3, dataset, null or "
                             f"'fer2013'], got {shortened(repr(key if key is not None else entry))}")
        if not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: runs[{i}] ({key}) gives no reason")
        if not _valid_seconds(entry.get("cpu_seconds")):
            raise ValueError(f"{path}: runs[{i}].cpu_seconds ({key}) must be null or an object of a class of "
                             f"processor to positive seconds, got {shortened(repr(entry['cpu_seconds']))}; "
                             f"rewrite it with `python -m ferlib missing --save`")
    return entries


def _valid_seconds(seconds) -> bool:
    """Whether a missing entry's ``cpu_seconds`` is absent (``None``) or ``{name: seconds}``,
    at least one, each a finite positive number."""
    if seconds is None:
        return True
    return isinstance(seconds, dict) and bool(seconds) and all(
        isinstance(kind, str) and isinstance(value, (int, float)) and not isinstance(value, bool)
        and np.isfinite(value) and value > 0 for kind, value in seconds.items())


# --------------------------------------------------------------------------- checks


def metrics_from_labels(true, predicted) -> dict:
    """Accuracy, n and confusion counts from true and predicted class ids."""
    true, predicted = np.asarray(true, dtype=int), np.asarray(predicted, dtype=int)
    return classification_metrics(true, np.eye(NUM_CLASSES)[predicted])


def audit_run(run: Run, *, numerics: int | None = None, summaries: dict | None = None) -> list:
    """What is wrong with a committed run, as a list of sentences (empty: nothing).

    Checks that the folder holds only the run's files (no weights) and that none was
    edited since export (``sha256.txt``), that its id is the hash of its config, data
    fingerprint and numerics version, that this version is the current one
    (``numerics``, default :data:`~ferlib.identity.NUMERICS_VERSION`), that every row of
    ``predictions.csv.gz`` is well formed (a part, labels 0..6, finite probabilities in
    0..1; a malformed row is named and no metric is computed from it), that every
    metric of the val and test parts follows from ``predictions.csv.gz``, that each row's
    probabilities sum to 1 and peak at its predicted class, that images are named by
    relative path and, for a run on the real data, that its val and test rows are the
    images and labels its split holds, as the data summary committed beside the runs
    records them (``summaries``: :func:`read_dataset_summaries`; by default the
    ``datasets.json`` of the run's folder, when there is one; :func:`split_problems`).
    """
    problems = []
    where = run.path
    names = run_file_names(run.path)
    extra = sorted(p.name for p in run.path.iterdir() if p.name not in (*names, CHECKSUMS_FILE))
    if extra:
        problems.append(f"{where}: holds files a committed run must not have: {', '.join(extra)}")
    if LEGACY_PREDICTIONS_FILE in names:
        problems.append(f"{where}: keeps its predictions as a plain {LEGACY_PREDICTIONS_FILE}; a committed run "
                        f"keeps {PREDICTIONS_FILE} (ferlib.results.compress_committed_predictions rewrites it)")
    problems += check_checksums(run.path)
    manifest = run.manifest
    if manifest.get("run_id") != run.path.name:
        problems.append(f"{where}: manifest run_id {manifest.get('run_id')!r} is not the folder name")
    made_by = manifest.get("numerics_version")
    if not isinstance(made_by, int):
        problems.append(f"{where}: manifest.json has no integer numerics_version (got {made_by!r})")
    elif run_id(run.config, manifest.get("data_fingerprint", ""), made_by) != run.path.name:
        problems.append(f"{where}: the hash of config, data fingerprint and numerics version is "
                        f"{run_id(run.config, manifest.get('data_fingerprint', ''), made_by)}, "
                        f"not the folder name: a file was edited")
    current = NUMERICS_VERSION if numerics is None else numerics
    if isinstance(made_by, int) and made_by != current:
        problems.append(f"{where}: made with numerics version {made_by}, but the code is now at "
                        f"version {current} (its numbers would differ): train it again and export it")
    malformed = row_problems(run.predictions, where)
    if malformed:  # nothing is computed from rows that are not numbers of the right kind
        return problems + malformed
    for part in ("val", "test"):
        rows = run.predictions[run.predictions["part"] == part]
        stored = run.metrics.get(part, {})
        if not isinstance(stored, dict):
            problems.append(f"{where}: metrics.json {part} is a {type(stored).__name__}, not a table of metrics")
            continue
        if rows.empty:
            problems.append(f"{where}: {PREDICTIONS_FILE} has no {part!r} rows")
            continue
        again = metrics_from_labels(rows["true"], rows["predicted"])
        for name, value in again.items():
            if not _same(stored.get(name), value):
                problems.append(f"{where}: metrics.json {part}.{name} = {str(stored.get(name))[:80]} but "
                                f"{PREDICTIONS_FILE} gives {value!r}")
    problems += _probability_problems(run.predictions, where)
    try:
        check_relative_sources(run.predictions, where)
    except ValueError as error:
        problems.append(str(error))
    if summaries is None and (run.path.parent / DATASETS_FILE).exists():
        summaries = read_dataset_summaries(run.path.parent)
    if summaries is not None and run.config.data == "real":
        problems += split_problems(run, summaries)
    return problems


#: How many malformed rows of ``predictions.csv.gz`` a problem names.
ROWS_NAMED = 5


def row_problems(predictions, where) -> list:
    """Sentences naming the malformed rows of a run's ``predictions.csv.gz`` (empty: every
    row is well formed): a ``part`` other than val and test, a ``true`` or ``predicted``
    label that is not a whole number 0..6, a probability that is not a finite number in
    0..1, a missing probability column. Rows are numbered from 0 with their line in the
    file (the header is line 1); at most :data:`ROWS_NAMED` per kind are named."""
    columns = [f"p_{name}" for name in EMOTIONS]
    missing = [c for c in ("part", "true", "predicted", *columns) if c not in predictions.columns]
    if missing:
        return [f"{where}: {PREDICTIONS_FILE} lacks the column(s) {missing}"]
    problems = []

    def name_rows(bad, column, expected):
        rows = np.flatnonzero(bad)
        if len(rows):
            shown = ", ".join(f"row {r} (line {r + 2}) {str(predictions[column].iloc[r])[:40]!r}"
                              for r in rows[:ROWS_NAMED])
            more = f" and {len(rows) - ROWS_NAMED} more" if len(rows) > ROWS_NAMED else ""
            problems.append(f"{where}: {PREDICTIONS_FILE} {column} is not {expected} in {shown}{more}")

    name_rows(~predictions["part"].isin(["val", "test"]).to_numpy(), "part", "'val' or 'test'")
    for column in ("true", "predicted"):
        values = pd.to_numeric(predictions[column], errors="coerce").to_numpy(dtype=float)
        name_rows(~(np.isfinite(values) & (values == np.round(values)) & (values >= 0) & (values < NUM_CLASSES)),
                  column, f"a class 0..{NUM_CLASSES - 1}")
    for column in columns:
        values = pd.to_numeric(predictions[column], errors="coerce").to_numpy(dtype=float)
        name_rows(~(np.isfinite(values) & (values >= 0) & (values <= 1)), column, "a finite probability in 0..1")
    return problems


def split_key(config) -> str:
    """The name under which a data summary records the val and test rows of the split a
    run of ``config`` makes (:func:`split_parts`), e.g. ``"paper seed 0"``, ``"loso fold 3
    seed 0"``, ``"subject-kfold 10 folds fold 3 seed 0"``."""
    if config.protocol == "paper":
        return f"paper seed {config.split_seed}"
    if config.protocol == "loso":
        return f"loso fold {config.fold} seed {config.split_seed}"
    return f"{config.protocol} {config.folds} folds fold {config.fold} seed {config.split_seed}"


def part_digest(sources, labels) -> str:
    """The sha256 of a split part's images and labels, whatever their order: of the
    sorted lines ``<source>\t<label>``."""
    lines = sorted(f"{source}\t{int(label)}\n" for source, label in zip(sources, labels))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def split_parts(dataset) -> dict:
    """``{split key: {"val": {"images", "sha256"}, "test": {...}}}`` (:func:`split_key`,
    :func:`part_digest`) of the splits the protocol's runs make of a loaded real data
    set: the paper's split (seed 0) and, for a data set with subject-independent folds
    (:func:`ferlib.protocol.subject_protocol`), the paper's split drawn again with each
    of :data:`ferlib.protocol.EXTRA_SPLIT_SEEDS` and each of its folds. Recorded in
    ``datasets.json`` so that :func:`split_problems` can check a run's rows without the data."""
    configs = [RunConfig(model=2, dataset="jaffe", data="real")]
    try:
        protocol, total = subject_protocol(dataset.name)
    except ValueError:  # no subject-independent folds and one official split (FER2013)
        total = 0
    else:
        k = total if protocol == "subject-kfold" else 5
        configs += [dataclasses.replace(configs[0], split_seed=seed) for seed in EXTRA_SPLIT_SEEDS]
        configs += [dataclasses.replace(configs[0], protocol=protocol, fold=fold, folds=k) for fold in range(total)]
    found = {}
    for config in configs:
        part = splits.make_split(dataset, config.protocol, seed=config.split_seed, fold=config.fold, k=config.folds)
        found[split_key(config)] = {
            name: {"images": int((part == name).sum()),
                   "sha256": part_digest(np.asarray(dataset.source)[part == name], dataset.labels[part == name])}
            for name in ("val", "test")}
    return found


def split_problems(run: Run, summaries: dict) -> list:
    """Sentences naming how a real-data run's val and test rows differ from the images
    and labels its split holds, as the committed data summary records them
    (:func:`split_parts` in ``datasets.json``): a row removed, added or relabelled, even
    with every checksum and metric recomputed, is caught here."""
    where, config = run.path, run.config
    summary = summaries.get(config.dataset)
    recorded = summary.get("parts", {}).get(split_key(config)) if isinstance(summary, dict) else None
    if recorded is None:
        return [f"{where}: {DATASETS_FILE} records no val and test rows for {config.dataset} split "
                f"'{split_key(config)}', so the run's rows cannot be checked; record them with "
                f"`python -m ferlib datasets --data-dir DATA --save {DATASETS_FILE}`"]
    if "source" not in run.predictions.columns:
        return [f"{where}: {PREDICTIONS_FILE} has no source column naming each image"]
    problems = []
    for part in ("val", "test"):
        rows = run.predictions[run.predictions["part"] == part]
        expected = recorded[part]
        if len(rows) != expected["images"]:
            problems.append(f"{where}: {PREDICTIONS_FILE} holds {len(rows)} {part} rows, but the {config.dataset} "
                            f"split '{split_key(config)}' has {expected['images']} {part} images ({DATASETS_FILE})")
        elif part_digest(rows["source"].astype(str), rows["true"].astype(int)) != expected["sha256"]:
            problems.append(f"{where}: {PREDICTIONS_FILE}'s {part} rows are not the images and labels of the "
                            f"{config.dataset} split '{split_key(config)}' ({DATASETS_FILE} records another "
                            f"sha256 of them): an image or a label was changed")
    return problems


def _same(a, b) -> bool:
    """Equal, floats to 1e-9 and containers element by element."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12))
    return a == b


#: How far a stored row of probabilities may sum from 1 (they are written with 6 to 9
#: significant digits).
PROBABILITY_SUM_TOLERANCE = 1e-3


def _probability_problems(predictions, where) -> list:
    """Rows of ``predictions.csv.gz`` whose probabilities do not sum to 1 or whose largest
    probability is not at the predicted class (a tie within 1e-6 is accepted)."""
    columns = [f"p_{name}" for name in EMOTIONS]
    if not set(columns) <= set(predictions.columns):
        return [f"{where}: {PREDICTIONS_FILE} lacks probability columns {columns}"]
    probs = predictions[columns].to_numpy(dtype=float)
    problems = []
    off = np.flatnonzero(np.abs(probs.sum(axis=1) - 1) > PROBABILITY_SUM_TOLERANCE)
    if len(off):
        problems.append(f"{where}: {PREDICTIONS_FILE} rows {off[:5].tolist()} have probabilities that do not "
                        f"sum to 1 (first: {probs[off[0]].sum():.6f})")
    predicted = predictions["predicted"].to_numpy(dtype=int)
    at_predicted = probs[np.arange(len(probs)), predicted]
    wrong = np.flatnonzero(at_predicted < probs.max(axis=1) - 1e-6)
    if len(wrong):
        problems.append(f"{where}: {PREDICTIONS_FILE} rows {wrong[:5].tolist()} predict a class whose "
                        f"probability is not the largest")
    return problems


def merged_accuracy(run: Run, parts=("val", "test")) -> dict:
    """Accuracy over several prediction parts together (FER2013: PublicTest + PrivateTest,
    7,178 images): ``{"n": int, "correct": int, "accuracy": float}``."""
    rows = run.predictions[run.predictions["part"].isin(parts)]
    if rows.empty:
        raise ValueError(f"{run.path}: no predictions for parts {list(parts)}")
    correct = int((rows["true"] == rows["predicted"]).sum())
    return {"n": int(len(rows)), "correct": correct, "accuracy": correct / len(rows)}


# --------------------------------------------------------------------------- data summaries


def class_split_table(dataset, split, *, paper_counts: Mapping | None = None) -> pd.DataFrame:
    """Images per class and split part of one data set (Table 1, per split).

    Args:
        dataset: a :class:`~ferlib.datasets.base.FaceDataset`.
        split: ``(n,)`` str array of ``"train"`` / ``"val"`` / ``"test"`` per row.
        paper_counts: optional ``{class: count}`` from the paper's Table 1, shown in
            a ``paper`` column.

    Returns:
        rows: the 7 classes then ``total``; columns ``train``, ``val``, ``test``,
        ``all`` (int counts), ``sequences`` when the data set has sequence ids
        (labelled sequences per class, what the paper counts for CK+), and
        ``paper`` when ``paper_counts`` is given.
    """
    split = np.asarray(split)
    if split.shape != (len(dataset),):
        raise ValueError(f"split must have shape ({len(dataset)},), got {split.shape}")
    labels = np.asarray(dataset.labels)
    table = pd.DataFrame(index=pd.Index(list(EMOTIONS), name="class"))
    for part in SPLIT_PARTS:
        table[part] = np.bincount(labels[split == part], minlength=NUM_CLASSES)
    table["all"] = np.bincount(labels, minlength=NUM_CLASSES)
    sequences = np.asarray(dataset.sequence)
    if (sequences != "").any():
        table["sequences"] = [len(set(sequences[(labels == c) & (sequences != "")]))
                              for c in range(NUM_CLASSES)]
    if paper_counts is not None:
        table["paper"] = [int(paper_counts.get(c, 0)) for c in EMOTIONS]
    table.loc["total"] = table.sum()
    return table.astype(int)


def dataset_summary(dataset, split) -> dict:
    """What the book shows of a real data set without its images (JSON-ready).

    Returns:
        ``name``, ``images``, ``subjects``, ``sequences``, ``fingerprint`` (of images,
        labels and this split), ``notes`` and ``counts``: ``{column: {class: count}}``
        with the columns of :func:`class_split_table`.
    """
    table = class_split_table(dataset, split)
    return {
        "name": dataset.name,
        "images": int(len(dataset)),
        "subjects": int(len(set(np.asarray(dataset.subject)) - {""})),
        "sequences": int(len(set(np.asarray(dataset.sequence)) - {""})),
        "fingerprint": dataset_fingerprint(dataset, split=split),
        "notes": list(dataset.notes),
        "counts": {column: {str(k): int(v) for k, v in table[column].items()} for column in table.columns},
    }


def summarize_datasets(data_dir, *, cache_dir=None, names=DATASETS) -> dict:
    """:func:`dataset_summary` of each real data set under ``data_dir``, with the
    paper's split (the one the paper profile's runs use)."""
    return {name: paper_split_summary(load_data(name, data_dir=data_dir, cache_dir=cache_dir))
            for name in names}


def paper_split_summary(dataset) -> dict:
    """:func:`dataset_summary` of a loaded data set under the paper's split, with the
    val and test rows of every split the protocol's runs make of it (``parts``:
    :func:`split_parts`)."""
    return {**dataset_summary(dataset, splits.make_split(dataset, "paper")), "parts": split_parts(dataset)}


def write_json_atomic(obj, path) -> Path:
    """Write ``obj`` as indented JSON to ``path`` through a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic.write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_dataset_summaries(results_dir=PAPER_RESULTS) -> dict:
    """``datasets.json`` of a results folder: ``{name: summary}``."""
    path = Path(results_dir) / DATASETS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: no data summary; make it with "
                                f"`python -m ferlib datasets --data-dir <root> --save {path}`")
    summaries = read_json_object(path, what="data set summaries", remedy=f"make it again with "
                                 f"`python -m ferlib datasets --data-dir <root> --save {path}`")
    if not all(isinstance(v, dict) for v in summaries.values()):
        raise ValueError(f"{path}: expected an object of data set summaries, got an entry that is not an object")
    return summaries


def summary_table(summary: dict, *, paper_counts=None) -> pd.DataFrame:
    """A data summary's counts as :func:`class_split_table` shows them."""
    index = list(EMOTIONS) + ["total"]
    order = ["train", "val", "test", "all", "sequences"]
    columns = [c for c in order if c in summary["counts"]] + sorted(set(summary["counts"]) - set(order))
    table = pd.DataFrame({column: [summary["counts"][column][c] for c in index] for column in columns},
                         index=index)
    table.index.name = "class"
    if paper_counts is not None:
        paper = [int(paper_counts.get(c, 0)) for c in EMOTIONS]
        table["paper"] = paper + [sum(paper)]
    return table.astype(int)


# --------------------------------------------------------------------------- a run trained again

#: The history columns compared by :func:`retrain_report`.
HISTORY_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy")


def retrain_report(again: Run, committed: Run, *, tolerance_se: float = REPRODUCE_TOLERANCE_SE) -> dict:
    """How a run trained again (e.g. to get back the weights a committed run does not keep)
    compares with the committed run it must reproduce.

    Args:
        again: the run trained again (a store's).
        committed: the committed run (``results/paper``).
        tolerance_se: the largest test-accuracy gap allowed, in binomial standard errors of
            the committed accuracy (at least one image), as the real-data test of the
            committed results allows.

    Returns:
        ``same_id`` (the two ids are equal: same config, data fingerprint and numerics),
        ``epochs`` (of each, a pair), ``history_max_difference`` (``{column: largest
        absolute difference over the epochs both ran}`` for :data:`HISTORY_COLUMNS`),
        ``best_epoch`` (a pair), ``test_accuracy`` (a pair), ``difference`` (again minus
        committed), ``tolerance``, ``same_predictions`` (the share of val and test images
        given the same class), ``probability_max_difference`` and ``within_tolerance``
        (same id and ``|difference| <= tolerance``). Raises ``ValueError`` when the two
        predict other images.
    """
    columns = ["part", "source"]
    mine, theirs = again.predictions, committed.predictions
    if len(mine) != len(theirs) or not (mine[columns].astype(str).to_numpy()
                                         == theirs[columns].astype(str).to_numpy()).all():
        raise ValueError(f"{again.id} and {committed.id} do not predict the same images in the same order")
    epochs = min(len(again.history), len(committed.history))
    history = {name: float(np.max(np.abs(again.history[name].to_numpy()[:epochs]
                                         - committed.history[name].to_numpy()[:epochs]))) if epochs else np.nan
               for name in HISTORY_COLUMNS if name in again.history and name in committed.history}
    probabilities = [name for name in mine.columns if name.startswith("p_")]
    test_new, test_old = again.metrics["test"], committed.metrics["test"]
    tolerance = tolerance_se * max(test_old["accuracy_se"], 1 / test_old["n"])
    difference = test_new["accuracy"] - test_old["accuracy"]
    return {"same_id": again.id == committed.id, "epochs": (len(again.history), len(committed.history)),
            "history_max_difference": history,
            "best_epoch": (again.metrics["best_epoch"], committed.metrics["best_epoch"]),
            "test_accuracy": (test_new["accuracy"], test_old["accuracy"]), "difference": float(difference),
            "tolerance": float(tolerance),
            "same_predictions": float((mine["predicted"].to_numpy() == theirs["predicted"].to_numpy()).mean()),
            "probability_max_difference": float(np.abs(mine[probabilities].to_numpy(dtype=float)
                                                       - theirs[probabilities].to_numpy(dtype=float)).max()),
            "within_tolerance": bool(again.id == committed.id and abs(difference) <= tolerance)}
