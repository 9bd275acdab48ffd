"""Snapshot files of the book's prose: a test renders sentences and compares them with a
committed file under ``tests/snapshots/``, so a change of wording shows up as a diff to
read instead of as a sentence typed into a test.

    def test_x(snapshot):
        snapshot("findings", {"Claims": findings.claims_findings(...), ...})

``python -m pytest --update-snapshots`` (or ``FERLIB_UPDATE_SNAPSHOTS=1``) writes the
rendered text into the files instead of comparing; review the change with ``git diff
tests/snapshots`` before committing it. The numbers and decisions behind the sentences
are tested on the data, in the tests of the modules that make them.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

#: Where the snapshot files are kept, one ``<name>.md`` per snapshot.
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
#: The environment variable that, set to 1, rewrites the snapshots (as ``--update-snapshots``).
UPDATE_VARIABLE = "FERLIB_UPDATE_SNAPSHOTS"


def render(sections: dict) -> str:
    """``{title: text, or a list of lines}`` -> the text of a snapshot file: each title as a
    heading, each line on its own line (an empty list or text is written as ``(none)``)."""
    parts = []
    for title, body in sections.items():
        lines = [body] if isinstance(body, str) else list(body)
        if any(not isinstance(line, str) for line in lines):
            raise TypeError(f"snapshot section {title!r}: expected text or a list of texts, got {body!r}")
        parts.append(f"## {title}\n\n" + ("\n".join(lines) if any(lines) else "(none)") + "\n")
    return "\n".join(parts)


def check(name: str, sections: dict, *, update: bool, folder: Path = SNAPSHOTS) -> None:
    """Compare :func:`render` of ``sections`` with ``folder/<name>.md``; with ``update``,
    write it there instead (through a temporary file, so no snapshot is left half-written).
    Fails, with a unified diff of the committed text against the rendered one, when they
    differ or the file is missing."""
    text = render(sections)
    path = Path(folder) / f"{name}.md"
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text)
        temporary.replace(path)
        return
    how = f"rerun with --update-snapshots (or {UPDATE_VARIABLE}=1) if the change is wanted"
    if not path.is_file():
        pytest.fail(f"no snapshot {path.name} in {path.parent}: {how}", pytrace=False)
    committed = path.read_text()
    if committed != text:
        diff = difflib.unified_diff(committed.splitlines(keepends=True), text.splitlines(keepends=True),
                                    fromfile=f"{path.name} (committed)", tofile=f"{path.name} (rendered)")
        pytest.fail(f"the rendered prose differs from the snapshot {path.name}; {how}:\n" + "".join(diff),
                    pytrace=False)


def wants_update(config) -> bool:
    """Whether this test session rewrites the snapshots (the option or the variable)."""
    return bool(config.getoption("--update-snapshots")) or os.environ.get(UPDATE_VARIABLE) == "1"
