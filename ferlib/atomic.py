"""Writing a file or a folder all at once: into a temporary name beside it, then one rename.

A reader (or a killed writer's successor) never sees a half-written file: until the
rename it finds the old version or none, after it the new one. A write that fails
leaves no temporary file behind.

    with atomic.replacing(path) as tmp:      # any writer that takes a path
        model.save_weights(tmp)
    atomic.write_text(path, text)
    with atomic.replacing_folder(folder) as tmp:
        (tmp / "a.json").write_text("{}")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path


def temporary_name(path) -> Path:
    """A hidden unique name beside ``path`` that keeps its name's end, so that writers
    that check a suffix (Keras' ``.weights.h5``) accept it: ``.tmp-1a2b3c4d-<name>``."""
    path = Path(path)
    return path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside ``path``; when the block ends without an error, the
    file written there replaces ``path``; otherwise it is removed."""
    path = Path(path)
    tmp = temporary_name(path)
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


@contextlib.contextmanager
def replacing_folder(path):
    """Yield a new empty folder beside ``path``; when the block ends without an error it
    takes the place of ``path`` (an existing ``path`` is moved aside first, then
    deleted); otherwise it is deleted."""
    path = Path(path)
    tmp = temporary_name(path)
    tmp.mkdir()
    try:
        yield tmp
        if path.exists():
            old = temporary_name(path)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
