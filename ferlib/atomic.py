"""Writing files so that a killed process never leaves a half-written file under its final
name, and removing the temporary files that killed writers left behind.

Every file or folder is first written under a temporary sibling name made by
:func:`temporary_sibling`, then renamed into place with ``os.replace`` (one step on a
POSIX file system). The temporary name carries the writer's process id and host::

    .<final name>.tmp.<pid>@<host>.<8 hex digits>[<kept suffix>]

(:func:`replacing`, :func:`write_text`, :func:`write_bytes`, :func:`replacing_folder`,
:func:`replace_folder`) so that :func:`remove_stale_temporaries` can tell a live
writer's file (left alone) from one whose process is gone (removed). Temporary files of
older ferlib versions carry no writer; they are removed once older than
:data:`UNTAGGED_STALE_AFTER_S`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path

#: Untagged temporary files (written by ferlib versions before the writer tag) older
#: than this many seconds are taken for a killed writer's and removed.
UNTAGGED_STALE_AFTER_S = 3600.0

_TAG = re.compile(r"\.tmp\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9_-]+)\.[0-9a-f]{8}")
#: Temporary names of older versions: ``.tmp-<name>-<hex>`` folders, ``.<name>.<x>.tmp``
#: files, and the checkpoint's ``state.json.tmp`` / ``last.tmp.weights.h5``.
_UNTAGGED = re.compile(r"^(\.tmp-.+|\..+\.tmp|state\.json\.tmp|(last|best)\.tmp\.weights\.h5)$")


def host_token() -> str:
    """This machine's host name with every character outside ``[A-Za-z0-9_-]`` as ``_``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def temporary_sibling(final, *, keep_suffix: str = "") -> Path:
    """A fresh temporary path beside ``final`` naming this process as its writer.

    ``keep_suffix`` is appended to the name, for writers that need one (Keras wants
    ``.weights.h5`` or ``.keras``)."""
    final = Path(final)
    tag = f".tmp.{os.getpid()}@{host_token()}.{uuid.uuid4().hex[:8]}"
    return final.with_name(f".{final.name}{tag}{keep_suffix}")


def process_alive(pid: int, host: str | None = None) -> bool:
    """Whether process ``pid`` on ``host`` (``None``: this machine) may still be running.

    A process of another machine cannot be checked and counts as running."""
    if host is not None and host not in (socket.gethostname(), host_token()):
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except (OverflowError, ValueError):
        return False
    return True


def is_temporary_name(name: str) -> bool:
    """Whether ``name`` is the name of a temporary file or folder of a ferlib writer
    (:func:`temporary_sibling`'s tag, or one of older versions)."""
    return bool(_TAG.search(name) or _UNTAGGED.match(name))


def is_stale_temporary(path, *, now: float | None = None) -> bool:
    """Whether ``path`` is a temporary file or folder of a writer that is gone: tagged
    with a process of this machine that no longer runs, or untagged (older versions)
    and older than :data:`UNTAGGED_STALE_AFTER_S`."""
    path = Path(path)
    tagged = _TAG.search(path.name)
    if tagged:
        return not process_alive(int(tagged["pid"]), tagged["host"])
    if not _UNTAGGED.match(path.name):
        return False
    try:
        age = (time.time() if now is None else now) - path.lstat().st_mtime
    except OSError:
        return False
    return age > UNTAGGED_STALE_AFTER_S


def remove_stale_temporaries(folder) -> list:
    """Remove the stale temporary files and folders (:func:`is_stale_temporary`) directly
    in ``folder``; returns their paths. A missing folder holds none."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for entry in sorted(folder.iterdir()):
        if not is_stale_temporary(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def replacing(path, *, keep_suffix: str | None = None):
    """Yield a temporary sibling of ``path`` (:func:`temporary_sibling`); when the block
    ends without an error, the file written there replaces ``path``; otherwise it is
    removed. ``keep_suffix``: the end the temporary name keeps (default: every suffix of
    ``path``'s name, so that writers that check one, like Keras' ``.weights.h5``, accept it)."""
    path = Path(path)
    suffix = "".join(path.suffixes) if keep_suffix is None else keep_suffix
    tmp = temporary_sibling(path, keep_suffix=suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def replace_folder(source, path) -> Path:
    """Move the finished folder ``source`` into the place of ``path`` (on the same file
    system); returns ``path``. An existing ``path`` is renamed to a temporary sibling
    first and deleted once ``source`` is in place (put back if that rename fails), so
    ``path`` never mixes the files of the two."""
    source, path = Path(source), Path(path)
    if not path.exists():
        os.replace(source, path)
        return path
    old = temporary_sibling(path)
    os.replace(path, old)
    try:
        os.replace(source, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return path


@contextlib.contextmanager
def replacing_folder(path):
    """Yield a new empty folder beside ``path``; when the block ends without an error it
    takes the place of ``path`` (:func:`replace_folder`); otherwise it is deleted."""
    path = Path(path)
    tmp = temporary_sibling(path)
    tmp.mkdir()
    try:
        yield tmp
        replace_folder(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
