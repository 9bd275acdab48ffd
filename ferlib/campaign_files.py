"""The files a GPU campaign hands back, and taking them into ``results/paper``.

A campaign (:mod:`ferlib.campaign`) writes at most :data:`MAX_FILES` files of at most
:data:`FILE_LIMIT` bytes, :data:`TOTAL_LIMIT` bytes together, into its output folder:

- ``campaign.json``: the log (device, versions, images/s per model, every job with its
  predicted and actual seconds) and the size and sha256 of every other file;
- ``runs.tar.gz``: every finished run of the campaign, exported without weights
  (:func:`ferlib.results.export_run`) as ``runs/<run id>/<file>``;
- ``<run id>.model.keras``: the weights of a FER2013 run, so that its fine-tunes can be
  redone later, where they fit.

A file larger than :data:`FILE_LIMIT` is written as ``NAME.part0``, ``NAME.part1``, ...
(byte ranges, joined in order). :func:`import_files` takes them in: it checks the sizes and
sha256 that ``campaign.json`` records, exports the runs into a results folder, audits them
(:func:`ferlib.results.audit_run`), puts returned weights into a local run store beside
their run's files, and drops from ``missing.json`` the experiments that are now committed.
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

from ferlib import atomic
from ferlib.fingerprint import file_sha256
from ferlib.missing import save_missing
from ferlib.protocol import experiment_key
from ferlib.results import (
    MISSING_FILE,
    audit_run,
    committed_runs,
    export_run,
    is_paper_config,
    paper_results,
    protocol_seed_runs,
    read_missing,
    write_run_folder,
)
from ferlib.store import MODEL_FILE, REQUIRED_FILES, RunStore, read_run, seal_files

FILE_LIMIT = 16 * 2**20
TOTAL_LIMIT = 64 * 2**20
MAX_FILES = 8
LOG_FILE = "campaign.json"
#: The printed output of a campaign, which ``tools/gpu_campaign.sh`` keeps beside the
#: files (at most 1 MiB); a campaign leaves room for it.
TEXT_LOG = "campaign.log"
TEXT_LOG_LIMIT = 2**20
RUNS_ARCHIVE = "runs.tar.gz"
WEIGHTS_SUFFIX = ".model.keras"
_PART = re.compile(r"^(?P<base>.+?)\.part(?P<n>\d+)$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def split_names(name: str, size: int, limit: int = FILE_LIMIT) -> list:
    """The file names a file of ``size`` bytes is written under: ``[name]``, or
    ``name.part0`` ... when it is larger than ``limit``."""
    if size <= limit:
        return [name]
    return [f"{name}.part{i}" for i in range(-(-size // limit))]


def remove_written(out_dir, name: str) -> None:
    """Remove ``name`` and its parts from ``out_dir``."""
    for path in Path(out_dir).glob(f"{name}*"):
        if path.name == name or (_PART.match(path.name) and _PART.match(path.name)["base"] == name):
            path.unlink()


def write_split(source, out_dir, name: str, limit: int = FILE_LIMIT) -> list:
    """Copy file ``source`` into ``out_dir`` as ``name`` or as parts (:func:`split_names`),
    each written to a temporary name and renamed; returns the written paths."""
    if not _SAFE_NAME.match(name):
        raise ValueError(f"{name!r}: output names may hold letters, digits, '.', '_' and '-' only")
    out_dir = Path(out_dir)
    size = Path(source).stat().st_size
    names = split_names(name, size, limit)
    remove_written(out_dir, name)
    written = []
    with open(source, "rb") as handle:
        for part in names:
            with atomic.replacing(out_dir / part) as tmp, open(tmp, "wb") as out:
                remaining = limit
                while remaining:
                    chunk = handle.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    out.write(chunk)
                    remaining -= len(chunk)
            written.append(out_dir / part)
    return written


def group_parts(paths) -> dict:
    """``{base name: [paths in part order]}`` for files given whole or as ``.partN``."""
    groups = {}
    for path in map(Path, paths):
        match = _PART.match(path.name)
        base, index = (match["base"], int(match["n"])) if match else (path.name, -1)
        groups.setdefault(base, []).append((index, path))
    out = {}
    for base, items in groups.items():
        items.sort()
        indices = [i for i, _ in items]
        if indices != [-1] and indices != list(range(len(items))):
            raise ValueError(f"{base}: parts {indices} given; expected {base} alone or {base}.part0 to "
                             f"{base}.part{max(indices)} with none missing")
        out[base] = [p for _, p in items]
    return out


def join_parts(paths, target) -> Path:
    """Concatenate ``paths`` (one file or its parts, in order) into ``target``."""
    with open(target, "wb") as out:
        for path in paths:
            with open(path, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
    return Path(target)


# --------------------------------------------------------------------------- runs archive


def archive_runs(runs, path) -> Path:
    """Write ``runs`` (:class:`~ferlib.store.Run`), exported without weights, as a
    ``.tar.gz`` of ``runs/<run id>/<file>``; atomic (temporary file, then rename)."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="ferlib-export-") as tmp:
        folder = Path(tmp) / "runs"
        folder.mkdir()
        for run in runs:
            export_run(run, folder)
        with atomic.replacing(path) as part, tarfile.open(part, "w:gz", compresslevel=9) as tar:
            tar.add(folder, arcname="runs")
    return path


def extract_runs(archive, dest) -> Path:
    """Extract a runs archive into ``dest`` after checking every member: regular files and
    folders only, named ``runs/<run id>[/<file>]`` with safe names. Returns ``dest/runs``."""
    dest = Path(dest)
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            parts = member.name.split("/")
            bad = (member.name.startswith("/") or parts[0] != "runs" or len(parts) > 3
                   or not all(_SAFE_NAME.match(p) and p not in (".", "..") for p in parts)
                   or not (member.isfile() or member.isdir()))
            if bad:
                raise ValueError(f"{archive}: unexpected member {member.name!r}; a runs archive holds "
                                 f"runs/<run id>/<file> only")
        for member in members:
            target = dest / member.name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
    return dest / "runs"


# --------------------------------------------------------------------------- taking it in


def check_against_log(groups: dict, log: dict, log_path) -> list:
    """Problems with the given files against the sizes and sha256 ``campaign.json`` records."""
    problems = []
    listed = log.get("out_files", {})
    given = {path.name: path for paths in groups.values() for path in paths}
    for name, entry in listed.items():
        base = _PART.match(name)["base"] if _PART.match(name) else name
        if base not in groups:
            continue  # not given at all: the caller chose the files
        if name not in given:
            problems.append(f"{name}: listed in {log_path} but not given (a part is missing)")
            continue
        size, digest = given[name].stat().st_size, file_sha256(given[name])
        if size != entry["bytes"] or digest != entry["sha256"]:
            problems.append(f"{given[name]}: {size} bytes, sha256 {digest[:16]}...; {log_path} records "
                            f"{entry['bytes']} bytes, sha256 {entry['sha256'][:16]}...: the file is corrupt")
    return problems


def import_files(files, *, results_dir, store_dir, replace: bool = False, log=print) -> dict:
    """Take a campaign's returned files into ``results_dir`` (runs, without weights) and
    ``store_dir`` (weights with their runs' files).

    ``files``: any of the campaign's files; a ``campaign.json`` among them (or beside the
    first file) is used to check the others' sizes and sha256. Returns a dict with
    ``imported`` and ``kept`` (run ids new in, and already in, ``results_dir``),
    ``weights`` (run ids whose weights went into ``store_dir``), ``problems`` (audit and
    check sentences; empty when all is well) and ``missing_removed`` (experiment keys
    dropped from ``missing.json``).
    """
    paths = [Path(f) for f in files]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    groups = group_parts(paths)
    log_path = next((p for p in paths if p.name == LOG_FILE), None)
    if log_path is None and (paths[0].parent / LOG_FILE).is_file():
        log_path = paths[0].parent / LOG_FILE
    groups.pop(LOG_FILE, None)
    groups.pop(TEXT_LOG, None)
    unknown = [base for base in groups if not (base.endswith(".tar.gz") or base.endswith(WEIGHTS_SUFFIX))]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a campaign file (expected *.tar.gz runs archives, "
                         f"<run id>{WEIGHTS_SUFFIX} weights or {LOG_FILE})")
    report = {"imported": [], "kept": [], "weights": [], "problems": [], "missing_removed": [], "notes": []}
    if log_path is not None:
        report["problems"] += check_against_log(groups, json.loads(log_path.read_text()), log_path)
        if report["problems"]:
            return report
    results_dir, store_dir = Path(results_dir), Path(store_dir)

    before = protocol_seed_runs(committed_runs(results_dir)) if results_dir.is_dir() else {}
    had = {(key, run.config.seed) for key, runs in before.items() for run in runs}
    with tempfile.TemporaryDirectory(prefix="ferlib-import-") as tmp:
        tmp = Path(tmp)
        returned = {}
        for base, group in groups.items():
            if base.endswith(".tar.gz"):
                archive = join_parts(group, tmp / base)
                folder = extract_runs(archive, tmp / base.replace(".tar.gz", ""))
                for run in RunStore(folder).runs():
                    returned[run.id] = run
        for rid, run in returned.items():
            if (results_dir / rid).exists() and not replace:
                report["kept"].append(rid)
                continue
            export_run(run, results_dir)
            report["imported"].append(rid)
            report["problems"] += audit_run(read_run(results_dir / rid))
            key = experiment_key(run.config)
            if is_paper_config(run.config, seed=None) and (key, run.config.seed) in had:
                report["notes"].append(f"{rid}: experiment {list(key)} seed {run.config.seed} had a committed "
                                       f"protocol run already; the newest ({rid}) is the one the book shows")
        for base, group in groups.items():
            if not base.endswith(WEIGHTS_SUFFIX):
                continue
            rid = base[: -len(WEIGHTS_SUFFIX)]
            run = returned.get(rid)
            if run is None:
                report["problems"].append(f"{base}: weights of run {rid}, which no given runs archive holds")
                continue
            final = store_dir / rid
            if (final / MODEL_FILE).exists() and not replace:
                log(f"{final}: already holds weights, left as it is")
                continue
            def fill(tmp, group=group):
                join_parts(group, tmp / MODEL_FILE)
                seal_files(tmp, (*REQUIRED_FILES, MODEL_FILE))  # as the store seals a run it trains

            write_run_folder(run.path, final, fill=fill)
            report["weights"].append(rid)
    report["missing_removed"] = drop_committed_from_missing(results_dir)
    return report


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
