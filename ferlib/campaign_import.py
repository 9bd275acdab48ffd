"""Taking a campaign's returned files into ``results/paper``: a gate, all or nothing.

:func:`import_files` checks everything before it changes anything:

1. the files: each folder's ``campaign.json`` (given, or beside the files) is read and
   checked (:func:`ferlib.campaign_files.read_log`); every other file must be one it
   lists, of the size and sha256 it records, with all of its parts;
2. the runs archives: extracted into a staging folder member by member, within the
   member count and bytes the log records (:func:`ferlib.campaign_files.extract_runs`);
3. each run: readable and sealed (``sha256.txt`` matches), holding a run's files only,
   on the real data and of the protocol's kinds (:func:`is_protocol_kind`: a protocol
   run of any seed, a subject-independent fold from scratch or fine-tuned, a run on
   another split seed or a cell of the sensitivity study),
   exported into a staging results folder and audited there
   (:func:`ferlib.results.audit_run`, its rows against the ``datasets.json`` of
   ``results_dir``); one run id in two archives must be one run;
4. weights: each ``<run id>.model.keras`` a complete Keras archive that loads, in safe
   mode, as its run's model (:func:`weights_problem`).

Any problem leaves ``results_dir`` and the store untouched, and every problem is
reported naming the user's file (``runs.tar.gz:runs/<run id>/<file>`` for a file inside
an archive). Only then are the runs written into ``results_dir``: a run id already
committed is kept, unless ``replace``; either way, a returned run that differs from the
committed one is reported with the difference (:func:`run_difference`). Weights go into
the run store beside their run's files, and ``missing.json`` drops what is now committed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

from ferlib import campaign_files as files
from ferlib import study
from ferlib.fingerprint import file_sha256
from ferlib.missing import save_missing
from ferlib.results import (
    DATASETS_FILE,
    MISSING_FILE,
    audit_run,
    committed_runs,
    experiment_key,
    export_run,
    is_paper_config,
    is_subject_fold,
    is_transfer_run,
    paper_results,
    protocol_seed_runs,
    read_dataset_summaries,
    read_missing,
    seal_run,
    write_run_folder,
)
from ferlib.store import (
    CHECKSUMS_FILE,
    LEGACY_PREDICTIONS_FILE,
    MODEL_FILE,
    PREDICTIONS_FILE,
    REQUIRED_FILES,
    RunStore,
    read_predictions_text,
    read_checksums,
    read_run,
    run_problems,
    seal_files,
)


@dataclasses.dataclass
class _Staged:
    """A run that passed the checks, exported into the staging results folder."""

    run: object          # the Run read from the archive
    path: Path           # its staged export
    shown: str           # where it came from, e.g. out/runs.tar.gz:runs/<run id>
    checksums: dict      # its sha256.txt, to compare with a duplicate


def is_protocol_kind(config, *, profile: str = "paper") -> bool:
    """Whether ``config`` is a run a campaign of ``profile`` trains on the real data: a
    protocol run of any seed (:func:`ferlib.results.is_paper_config`), one of its
    subject-independent folds (:func:`ferlib.results.is_subject_fold`), one of the runs
    that test the fine-tune gain beyond the paper's split (the paper profile's
    ``transfer`` phase: :func:`ferlib.results.is_transfer_run`) or a cell of a round of
    the sensitivity study (:func:`ferlib.study.cell_of`)."""
    if config.data != "real":
        return False
    if is_paper_config(config, seed=None, profile=profile) or is_subject_fold(config, profile=profile):
        return True
    if profile == "paper" and is_transfer_run(config):
        return True
    return any(study.cell_of(config, profile=profile, round=round) is not None for round in study.ROUNDS)


def _shown(group) -> str:
    """The user's name for a file given whole or in parts."""
    group = [Path(p) for p in group]
    if len(group) == 1:
        return str(group[0])
    return f"{group[0]} .. {group[-1].name}"


def _renamed(text: str, folder: Path, shown: str) -> str:
    """``text`` with the staging ``folder`` written as the user's archive ``shown``."""
    return text.replace(f"{folder}/", f"{shown}:").replace(str(folder), shown)


def _log_groups(paths) -> list:
    """``[(log path, {base: [paths]})]``: the given files by folder, each with its
    ``campaign.json`` (given, or beside the folder's files)."""
    by_folder = {}
    for path in paths:
        by_folder.setdefault(path.parent.resolve(), []).append(path)
    unknown = [str(p) for p in paths if not files.is_campaign_file(p.name)]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a campaign file (expected {files.RUNS_ARCHIVE}, "
                         f"<run id>{files.WEIGHTS_SUFFIX} weights or {files.LOG_FILE})")
    found = []
    for folder_paths in by_folder.values():
        log_path = next((p for p in folder_paths if p.name == files.LOG_FILE), None)
        if log_path is None and (folder_paths[0].parent / files.LOG_FILE).is_file():
            log_path = folder_paths[0].parent / files.LOG_FILE
        if log_path is None:
            raise ValueError(f"{folder_paths[0]}: no {files.LOG_FILE} given or beside it; it records the size and "
                             f"sha256 of every file a campaign returns, which an import checks")
        groups = files.group_parts(p for p in folder_paths if p.name not in (files.LOG_FILE, files.TEXT_LOG))
        found.append((log_path, groups))
    return found


def weights_problem(path, config, shown) -> str | None:
    """What is wrong with the weights file ``path`` of a run of ``config`` (``None``:
    nothing): not a complete zip archive (a ``.keras`` file is one), or not a Keras model
    that loads in safe mode with the parameters of the run's model. ``shown``: the
    user's name for the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f"{shown}: not a complete Keras archive ({error}): truncated or damaged"
    if damaged is not None:
        return f"{shown}: member {damaged} of the Keras archive is damaged"
    if not {"config.json", "model.weights.h5"} <= names:
        return f"{shown}: a zip archive, but not a Keras model (no config.json and model.weights.h5 in it)"
    # saves start-up time: Keras loads TensorFlow
    import keras

    import ferlib.augment  # noqa: F401  (registers ferlib's custom layers)

    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a bad file
        return f"{shown}: not a Keras model that loads in safe mode ({type(error).__name__}: {str(error)[:200]})"
    # saves start-up time: Keras loads TensorFlow
    from ferlib.models import build_model

    expected = build_model(config.model, input_scaling=config.input_scaling).count_params()
    if model.count_params() != expected:
        return (f"{shown}: a Keras model of {model.count_params():,} parameters; Model {config.model} has "
                f"{expected:,}: these are not the run's weights")
    return None


def run_difference(old, new) -> str:
    """How the returned run ``new`` differs from the committed run ``old`` of the same id
    (empty: their files are byte for byte the same, the predictions once decompressed):
    the files that differ and the test and validation accuracies."""
    differ = [name for name in REQUIRED_FILES if _content(old.path / name) != _content(new.path / name)]
    if not differ:
        return ""
    parts = [f"{', '.join(differ)} differ"]
    for part in ("test", "val"):
        before, after = old.metrics.get(part, {}), new.metrics.get(part, {})
        if before.get("accuracy") != after.get("accuracy") or before.get("n") != after.get("n"):
            parts.append(f"{part} accuracy {before.get('accuracy')!r} -> {after.get('accuracy')!r} "
                         f"(n {before.get('n')!r} -> {after.get('n')!r})")
    return "; ".join(parts)


def _content(path: Path) -> str:
    """What is compared of a run's file: its sha256, of the CSV bytes for the predictions
    (gzip's bytes may differ from one zlib to another for the same CSV)."""
    if path.name == PREDICTIONS_FILE:
        return hashlib.sha256(read_predictions_text(path)).hexdigest()
    return file_sha256(path)


def _stage_runs(groups, record, tmp: Path, staging: Path, staged: dict, *, profile, summaries) -> list:
    """Extract and check the runs archives of one campaign folder into ``staged``
    (``{run id: _Staged}``); returns the problems found."""
    problems = []
    for base, group in groups.items():
        if base != files.RUNS_ARCHIVE:
            continue
        shown = _shown(group)
        bounds = record.get("archives", {}).get(base, {})
        extract_to = Path(tempfile.mkdtemp(dir=tmp))
        archive = files.join_parts(group, extract_to / base)
        try:
            folder = files.extract_runs(
                archive, extract_to / "x", shown=shown,
                max_members=min(bounds.get("members", files.MAX_ARCHIVE_MEMBERS), files.MAX_ARCHIVE_MEMBERS),
                max_bytes=min(bounds.get("bytes", files.MAX_ARCHIVE_BYTES), files.MAX_ARCHIVE_BYTES))
        except ValueError as error:
            problems.append(str(error))
            continue
        runs, broken = RunStore(folder).scan()
        problems += [_renamed(p, folder.parent, shown) for _, found in broken for p in found]
        for run in runs:
            where = f"{shown}:runs/{run.id}"
            # a run of an older ferlib keeps predictions.csv: its export compresses it
            extra = sorted(p.name for p in run.path.iterdir()
                           if p.name not in (*REQUIRED_FILES, LEGACY_PREDICTIONS_FILE, CHECKSUMS_FILE))
            if extra:
                problems.append(f"{where}: holds {', '.join(extra[:5])}, which an exported run does not have")
                continue
            if not (run.path / CHECKSUMS_FILE).exists():
                problems.append(f"{where}: has no {CHECKSUMS_FILE}; a campaign's runs are sealed")
                continue
            if not is_protocol_kind(run.config, profile=profile):
                problems.append(f"{where}: {run.config.label()} seed {run.config.seed} ({run.config.data} data) is "
                                f"not a run a {profile} campaign trains on the real data (a protocol run, a "
                                f"subject-independent fold, a run that tests the fine-tune gain or a cell "
                                f"of the study)")
                continue
            checksums = read_checksums(run.path)
            if run.id in staged:
                if staged[run.id].checksums != checksums:
                    problems.append(f"{where}: run {run.id} is also in {staged[run.id].shown} with other contents "
                                    f"(its files' sha256 differ); which one is right cannot be told: import one")
                continue
            try:
                exported = export_run(run, staging)
            except ValueError as error:
                problems.append(_renamed(str(error), run.path, where))
                continue
            found = audit_run(read_run(exported), summaries=summaries)
            problems += [_renamed(p, exported, where) for p in found]
            staged[run.id] = _Staged(run, exported, where, checksums)
    return problems


def import_files(files_given, *, results_dir, store_dir, replace: bool = False, profile: str = "paper",
                 log=print) -> dict:
    """Take a campaign's returned files into ``results_dir`` (runs, without weights) and
    ``store_dir`` (weights with their runs' files), all or nothing (see the module
    docstring).

    ``files_given``: the files of one or more campaign folders; each folder needs its
    ``campaign.json``. ``profile``: the profile whose runs are accepted.
    Returns a dict with ``imported`` and ``kept`` (run ids new in, and already in,
    ``results_dir``), ``replaced`` (``[(run id, difference)]``), ``weights`` (run ids whose
    weights went into ``store_dir``), ``problems`` (sentences; when there is one, nothing
    was imported), ``notes`` and ``missing_removed`` (experiment keys dropped from
    ``missing.json``). Raises ``FileNotFoundError`` / ``ValueError`` naming the file for
    a file that is missing or not a campaign's.
    """
    paths = [Path(f) for f in files_given]
    if not paths:
        raise ValueError("no files given; expected a campaign's campaign.json, runs.tar.gz and weights")
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    report = {"imported": [], "kept": [], "replaced": [], "weights": [], "problems": [], "missing_removed": [],
              "notes": []}
    campaigns = [(log_path, groups, files.read_log(log_path)) for log_path, groups in _log_groups(paths)]
    for log_path, groups, record in campaigns:
        report["problems"] += files.check_against_log(groups, record, log_path)
    if report["problems"]:
        return report
    results_dir, store_dir = Path(results_dir), Path(store_dir)
    # the data summary committed beside the results: each run's rows are checked against it
    summaries = read_dataset_summaries(results_dir) if (results_dir / DATASETS_FILE).exists() else None
    with tempfile.TemporaryDirectory(prefix="ferlib-import-") as tmp:
        tmp = Path(tmp)
        staging = tmp / "staging"
        staging.mkdir()
        staged = {}
        for _, groups, record in campaigns:
            report["problems"] += _stage_runs(groups, record, tmp, staging, staged, profile=profile,
                                              summaries=summaries)
        weights = {}
        for _, groups, _ in campaigns:
            for base, group in groups.items():
                if not base.endswith(files.WEIGHTS_SUFFIX):
                    continue
                rid = base[: -len(files.WEIGHTS_SUFFIX)]
                if rid not in staged:
                    report["problems"].append(f"{_shown(group)}: weights of run {rid}, which no given runs "
                                              f"archive holds (or whose run was refused)")
                    continue
                joined = Path(tempfile.mkdtemp(dir=tmp)) / "model.keras"
                files.join_parts(group, joined)
                problem = weights_problem(joined, staged[rid].run.config, _shown(group))
                if problem:
                    report["problems"].append(problem)
                weights[rid] = joined
        if report["problems"]:
            return report
        before = protocol_seed_runs(committed_runs(results_dir)) if results_dir.is_dir() else {}
        _commit(staged, weights, results_dir, store_dir, report, replace=replace, log=log)
    had = {(key, run.config.seed) for key, runs in before.items() for run in runs}
    for rid in report["imported"]:
        config = read_run(results_dir / rid).config
        key = experiment_key(config)
        if is_paper_config(config, seed=None, profile=profile) and (key, config.seed) in had \
                and rid not in dict(report["replaced"]):
            report["notes"].append(f"{rid}: experiment {list(key)} seed {config.seed} had a committed protocol run "
                                   f"already; the newest ({rid}) is the one the book shows")
    report["missing_removed"] = drop_committed_from_missing(results_dir)
    return report


def _commit(staged: dict, weights: dict, results_dir: Path, store_dir: Path, report: dict, *, replace, log):
    """Write the checked runs into ``results_dir`` and their weights into ``store_dir``;
    on an error (a full disk) the runs this call added are removed again."""
    added = []
    try:
        for rid, item in sorted(staged.items()):
            final = results_dir / rid
            if final.exists():
                committed, broken = run_problems(final, check_model=False)
                difference = ("the committed folder is broken: " + "; ".join(broken)) if broken or committed is None \
                    else run_difference(committed, read_run(item.path))
                if not difference:
                    report["kept"].append(rid)
                    continue
                if not replace:
                    report["kept"].append(rid)
                    report["notes"].append(f"{rid}: kept the committed run; the returned one ({item.shown}) differs: "
                                           f"{difference}; --replace takes it")
                    continue
                report["replaced"].append((rid, difference))
            else:
                added.append(results_dir / rid)
            write_run_folder(item.path, final, fill=seal_run)
            report["imported"].append(rid)
        for rid, joined in sorted(weights.items()):
            final = store_dir / rid
            if (final / MODEL_FILE).exists() and not replace:
                log(f"{final}: already holds weights, left as it is")
                continue

            def fill(folder, joined=joined):
                shutil.copyfile(joined, folder / MODEL_FILE)
                seal_files(folder, (*REQUIRED_FILES, MODEL_FILE))  # as the store seals a run it trains

            write_run_folder(staged[rid].run.path, final, fill=fill)
            report["weights"].append(rid)
    except BaseException:
        for folder in added:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def drop_committed_from_missing(results_dir) -> list:
    """Rewrite ``missing.json`` (:func:`ferlib.missing.save_missing`) so that it no longer
    lists the experiments that now have a committed protocol run (seed 0); returns those keys."""
    path = Path(results_dir) / MISSING_FILE
    if not path.exists():
        return []
    have = paper_results(results_dir)
    listed = [tuple(entry["key"]) for entry in read_missing(results_dir)]
    save_missing(results_dir)
    return [key for key in listed if key in have]
