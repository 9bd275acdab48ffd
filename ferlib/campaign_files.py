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
(byte ranges, joined in order). :mod:`ferlib.campaign_import` takes them in, with the
checks of this module: :func:`read_log` and :func:`check_against_log` (only files the log
lists, each of its size and sha256) and :func:`extract_runs` (bounded, member by member).
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

from ferlib import atomic, destinations
from ferlib.fingerprint import file_sha256
from ferlib.jsonfile import read_json_object
from ferlib.results import export_run

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


def is_campaign_file(name: str) -> bool:
    """Whether ``name`` is one a campaign writes: its log, its printed log, the runs
    archive or a run's weights, whole or as a ``.partN``."""
    match = _PART.match(name)
    base = match["base"] if match else name
    if base.endswith(WEIGHTS_SUFFIX):
        return bool(destinations.RUN_ID.match(base[: -len(WEIGHTS_SUFFIX)]))
    return base == RUNS_ARCHIVE or (name in (LOG_FILE, TEXT_LOG))


def check_campaign_out(folder) -> None:
    """Raise ``ValueError`` unless ``folder`` may take a campaign's files: missing, empty
    (but for the printed log ``tools/gpu_campaign.sh`` opens first), or a campaign's
    output folder (a ``campaign.json`` holding a campaign's log, beside campaign files
    only). A campaign rewrites its files there, so it must not be pointed at anything else."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ValueError(f"{folder}: is a file; expected a folder for the campaign's files (it is made if missing)")
    present = destinations.unexpected_names(folder, {TEXT_LOG})
    if not present:
        return
    try:
        record = json.loads((folder / LOG_FILE).read_text())
        ours = isinstance(record, dict) and isinstance(record.get("jobs"), list) \
            and isinstance(record.get("out_files"), dict)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        ours = False
    if not ours:
        raise ValueError(f"{folder}: holds {destinations.listed(present)} and no campaign log ({LOG_FILE}); "
                         f"a campaign writes into a new or empty folder or one of its own: choose another")
    extra = destinations.unexpected_names(folder, is_campaign_file)
    if extra:
        raise ValueError(f"{folder}: a campaign's folder, but it also holds {destinations.listed(extra)}, which "
                         f"a campaign does not write; move them away or choose another folder")


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
    """``{base name: [paths in part order]}`` for files given whole or as ``.partN``.

    Raises ``ValueError`` naming the file for parts with a gap, or a ``.part0`` alone (a
    file is split only when it needs two parts or more)."""
    groups = {}
    for path in map(Path, paths):
        match = _PART.match(path.name)
        base, index = (match["base"], int(match["n"])) if match else (path.name, -1)
        groups.setdefault(base, []).append((index, path))
    out = {}
    for base, items in groups.items():
        items.sort()
        indices = [i for i, _ in items]
        if indices != [-1] and (indices != list(range(len(items))) or len(items) < 2):
            raise ValueError(f"{items[0][1]}: parts {indices} of {base} given; expected {base} alone or "
                             f"{base}.part0 to {base}.partN (at least two) with none missing")
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


def archive_contents(path) -> dict:
    """``{"members": int, "bytes": int}``: the members of a runs archive (folders
    included) and the bytes of its files once extracted; recorded in ``campaign.json`` so
    that an import extracts no more (:func:`extract_runs`)."""
    with tarfile.open(path, "r:gz") as tar:
        members = tar.getmembers()
    return {"members": len(members), "bytes": sum(m.size for m in members if m.isfile())}


#: The most an import extracts from one runs archive where ``campaign.json`` records no
#: bounds (campaigns before they were recorded): members and bytes once extracted. A run
#: is 7 members and at most about 2 MiB (FER2013's predictions of 7,178 images).
MAX_ARCHIVE_MEMBERS = 20_000
MAX_ARCHIVE_BYTES = 2**30
#: The largest file of a run an import extracts, whatever the log says (FER2013's
#: predictions, the largest, are about 0.7 MiB as a plain ``predictions.csv`` of an older
#: run, 0.2 MiB as ``predictions.csv.gz``; reading them decompresses at most
#: :data:`ferlib.store.MAX_PREDICTIONS_BYTES`).
MAX_MEMBER_BYTES = 16 * 2**20


def _archive_error(shown, error) -> ValueError:
    kind = "empty file" if "empty" in str(error) else f"{type(error).__name__}: {error}"
    return ValueError(f"{shown}: not a complete gzip-compressed tar archive ({kind}); the file is truncated, "
                      f"damaged or not a runs archive")


def extract_runs(archive, dest, *, shown=None, max_members: int = MAX_ARCHIVE_MEMBERS,
                 max_bytes: int = MAX_ARCHIVE_BYTES) -> Path:
    """Extract a runs archive into ``dest``, member by member, checking each first:
    regular files and folders only, named ``runs/<run id>[/<file>]`` with safe names, at
    most ``max_members`` members and ``max_bytes`` bytes in all, no file over
    :data:`MAX_MEMBER_BYTES` (each checked from its header, before its bytes are read).
    Returns ``dest/runs``.

    Raises ``ValueError`` naming ``shown`` (the user's file; default ``archive``) for a
    member that breaks a rule, an archive over its bounds, and a file that is not a
    complete ``.tar.gz`` (empty, truncated, not gzip). Whatever was extracted before an
    error stays in ``dest``, which the caller discards."""
    dest, shown = Path(dest), archive if shown is None else shown
    members = total = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                members += 1
                if members > max_members:
                    raise ValueError(f"{shown}: holds more than {max_members:,} members, more than its campaign "
                                     f"recorded; not extracted")
                parts = member.name.rstrip("/").split("/")
                bad = (member.name.startswith("/") or parts[0] != "runs"
                       or not all(_SAFE_NAME.match(p) and p not in (".", "..") for p in parts)
                       or not ((member.isfile() and len(parts) == 3) or (member.isdir() and len(parts) <= 2))
                       or (len(parts) > 1 and not destinations.RUN_ID.match(parts[1])))
                if bad:
                    raise ValueError(f"{shown}: unexpected member {member.name[:200]!r}; a runs archive holds "
                                     f"runs/<run id>/<file> only")
                target = dest / member.name
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if member.size > MAX_MEMBER_BYTES:
                    raise ValueError(f"{shown}: member {member.name} of {member.size:,} bytes, more than the "
                                     f"{MAX_MEMBER_BYTES:,} bytes a run's file may have; not extracted")
                total += member.size
                if total > max_bytes:
                    raise ValueError(f"{shown}: its members come to more than {max_bytes:,} bytes "
                                     f"({member.name} of {member.size:,} bytes), more than its campaign "
                                     f"recorded; not extracted")
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise _archive_error(shown, error) from None
    except OSError as error:
        if error.filename is not None:  # the destination: disk full, permissions
            raise
        raise _archive_error(shown, error) from None  # gzip.BadGzipFile and the like
    (dest / "runs").mkdir(parents=True, exist_ok=True)
    return dest / "runs"


# --------------------------------------------------------------------------- the log

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_log(path) -> dict:
    """The validated ``campaign.json`` at ``path``: a JSON object whose ``out_files``
    maps each returned file's name to ``{"bytes": int, "sha256": str}`` and whose
    ``archives`` (optional) maps a runs archive's name to ``{"members": int, "bytes":
    int}`` (:func:`archive_contents`). Raises ``ValueError`` naming the file and the
    entry at fault."""
    path = Path(path)
    record = read_json_object(path, what="a campaign's log", remedy="the file is truncated or not a campaign's log")
    out_files = record.get("out_files")
    if not isinstance(out_files, dict):
        raise ValueError(f"{path}: has no 'out_files' table (the size and sha256 of each returned file)")
    for name, entry in out_files.items():
        where = f"{path}: out_files[{name[:200]!r}]"
        if not _SAFE_NAME.match(name) or not is_campaign_file(name) or name in (LOG_FILE, TEXT_LOG):
            raise ValueError(f"{where}: not a name a campaign writes")
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected {{'bytes': int, 'sha256': str}}, got {type(entry).__name__}")
        size, digest = entry.get("bytes"), entry.get("sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{where}: 'bytes' must be a whole number of bytes, got {size!r}"[:400])
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise ValueError(f"{where}: 'sha256' must be 64 hex digits, got {str(digest)[:80]!r}")
    archives = record.get("archives", {})
    if not isinstance(archives, dict):
        raise ValueError(f"{path}: 'archives' must be a table of runs archives")
    for name, entry in archives.items():
        bounds = entry if isinstance(entry, dict) else {}
        if not all(isinstance(bounds.get(k), int) and not isinstance(bounds.get(k), bool) and bounds[k] >= 0
                   for k in ("members", "bytes")):
            raise ValueError(f"{path}: archives[{name[:200]!r}] must be {{'members': int, 'bytes': int}}")
    return record


def check_against_log(groups: dict, log: dict, log_path) -> list:
    """Problems with the given files (``{base: [paths]}``, :func:`group_parts`) against
    ``campaign.json`` (:func:`read_log`): a file it does not list, a part of a given file
    that is not given, a size or sha256 that differs."""
    problems = []
    listed = log["out_files"]
    given = {path.name: path for paths in groups.values() for path in paths}
    for name, path in given.items():
        if name not in listed:
            problems.append(f"{path}: not listed in {log_path}; only the files a campaign lists (with their size "
                            f"and sha256) are taken")
    for name, entry in listed.items():
        base = _PART.match(name)["base"] if _PART.match(name) else name
        if base not in groups:
            continue  # not given at all: the caller chose the files
        if name not in given:
            problems.append(f"{name}: listed in {log_path} but not given (a part is missing)")
            continue
        size = given[name].stat().st_size
        if size != entry["bytes"]:
            problems.append(f"{given[name]}: {size} bytes; {log_path} records {entry['bytes']} bytes: the file "
                            f"is truncated or corrupt")
            continue
        digest = file_sha256(given[name])
        if digest != entry["sha256"]:
            problems.append(f"{given[name]}: {size} bytes, sha256 {digest[:16]}...; {log_path} records "
                            f"{entry['bytes']} bytes, sha256 {entry['sha256'][:16]}...: the file is corrupt")
    return problems
