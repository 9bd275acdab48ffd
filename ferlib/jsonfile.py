"""Reading a JSON file that must hold one object, with an error that names the file.

    from ferlib.jsonfile import read_json_object

    manifest = read_json_object(path, what="a pack manifest", remedy="the pack is corrupt, make it again")

Every reader of ferlib's own JSON files (a run's config and metrics, a campaign's log, a
pack's manifest, the committed data summary) goes through :func:`read_json_object`, so a
truncated, edited or foreign file is refused in one line that says which file, what is
wrong with it and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

#: The default advice for a file that is not valid JSON.
TRUNCATED = "the file is truncated or was edited"


def read_json_object(path, *, what: str = "", remedy: str = TRUNCATED, error=ValueError) -> dict:
    """The JSON object (a dict) held by the file ``path``.

    Args:
        path: the file.
        what: what the file should be, in a few words (``"a campaign's log"``), said when
            it holds another kind of JSON value.
        remedy: what to do about a file that is not UTF-8 text or not valid JSON.
        error: the exception class raised (e.g. :class:`ferlib.store.BrokenRun`).

    Raises ``error`` naming the file when it is not UTF-8 text, not valid JSON (the
    parser's message cut to 200 characters) or not an object; ``OSError`` when it cannot
    be read.
    """
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except UnicodeDecodeError as problem:
        raise error(f"{path}: not UTF-8 text ({str(problem)[:200]}); {remedy}") from None
    except json.JSONDecodeError as problem:
        raise error(f"{path}: not valid JSON ({str(problem)[:200]}); {remedy}") from None
    if not isinstance(value, dict):
        kind = f" ({what})" if what else ""
        raise error(f"{path}: expected a JSON object{kind}, got {type(value).__name__}")
    return value
