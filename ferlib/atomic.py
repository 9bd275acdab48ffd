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
import errno
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


#: ``errno`` values of a full disk or an exhausted quota.
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def is_no_space(error) -> bool:
    """Whether ``error`` says the disk is full (``ENOSPC``, ``EDQUOT``), also where a
    library (h5py) reports it in its message only."""
    return (isinstance(error, OSError) and error.errno in NO_SPACE) or "No space left on device" in str(error)


def no_space_error(destination, error=None) -> OSError:
    """The ``OSError`` a full disk gives, naming ``destination`` (the file or folder that
    was being written, not a temporary name or the file copied from): one line in the
    command line's ``error: PATH: ...`` form."""
    code = error.errno if isinstance(error, OSError) and error.errno in NO_SPACE else errno.ENOSPC
    return OSError(code, f"{os.strerror(code)}; nothing of it was written (free some space and run the same "
                         f"command again)", str(destination))


def check_free_space(folder, needed: int, what: str) -> None:
    """Raise :func:`no_space_error` naming ``folder`` when its file system has fewer than
    ``needed`` bytes free (``what``: what they are for), before anything is written."""
    folder = Path(folder)
    probe = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(probe).free
    if free < needed:
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)}: {free / 2**20:,.0f} MiB free, {what} needs about "
                                    f"{needed / 2**20:,.0f} MiB; nothing was written (free some space and run the "
                                    f"same command again)", str(folder))


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
    except Exception as error:
        if is_no_space(error):
            raise no_space_error(path, error) from None
        raise
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
    try:
        tmp.mkdir()
    except OSError as error:
        if is_no_space(error):
            raise no_space_error(path, error) from None
        raise
    try:
        yield tmp
        replace_folder(tmp, path)
    except BaseException as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_no_space(error):
            raise no_space_error(path, error) from None
        raise
