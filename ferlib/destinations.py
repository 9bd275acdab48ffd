"""Where commands write, so that nothing of the user's is ever deleted.

A command that writes a folder (a pack, a run, a campaign's returned files) replaces an
existing folder only when it can tell that it made that folder itself, from a marker it
wrote there and checks:

- a data pack: a ``pack.json`` of ferlib's pack format and version, and no file that it
  does not list (:func:`ferlib.pack.check_replaceable_pack`);
- a run folder: a folder named by a run id (16 hex digits) holding a run's files only
  (:func:`ferlib.store.check_replaceable_run`);
- a campaign's output folder: a ``campaign.json`` that is a campaign's log, beside the
  files a campaign writes only (:func:`ferlib.campaign_files.check_campaign_out`).

Anything else is refused with an error naming the folder and what is in it that ferlib
did not write (:func:`unexpected_names` and :func:`listed` help those checks). A folder option that is empty, or that names the project's root or the
file system's root, is refused before anything is read (:func:`check_destination`).
"""

from __future__ import annotations

import re
from pathlib import Path

import ferlib
from ferlib import atomic

#: A run id: the first 16 hex digits of a sha256 (:func:`ferlib.identity.run_id`).
RUN_ID = re.compile(r"^[0-9a-f]{16}$")
#: How many of the unexpected names an error lists.
_LISTED = 5


def project_roots() -> list:
    """The folders that hold this project: the checkout ferlib is imported from (a folder
    with ``pyproject.toml`` beside ``ferlib/``) and the book's root at or above the
    current folder (a folder with ``_toc.yml`` and ``notebooks/``)."""
    roots = []
    package_parent = Path(ferlib.__file__).resolve().parent.parent
    if (package_parent / "pyproject.toml").is_file():
        roots.append(package_parent)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "notebooks").is_dir():
            roots.append(folder)
            break
    return roots


def check_destination(value, option: str) -> Path:
    """``value`` as a ``Path`` when it can name a folder a command writes into.

    Raises ``ValueError`` naming ``option`` (e.g. ``"--store"``) when ``value`` is empty
    or blank (which would mean the current folder), or is the project's root
    (:func:`project_roots`) or the file system's root: a command would mix its files
    with the project's, or replace them.
    """
    if value is None or not str(value).strip():
        raise ValueError(f"{option} is empty; expected a folder path (it is made if missing)")
    path = Path(value)
    resolved = path.expanduser().resolve()
    if resolved == Path(resolved.anchor):
        raise ValueError(f"{option} {value}: is the file system's root; expected a folder of its own")
    for root in project_roots():
        if resolved == root:
            raise ValueError(f"{option} {value}: is the project's root folder; expected a folder of its own "
                             f"inside it or elsewhere (e.g. {Path(value) / 'runs'})")
    return path


def unexpected_names(folder: Path, allowed) -> list:
    """Names in ``folder`` that are neither in ``allowed`` (a set, or a predicate) nor
    ferlib's temporary files (:func:`ferlib.atomic.is_temporary_name`)."""
    test = allowed if callable(allowed) else (lambda name: name in allowed)
    return sorted(entry.name for entry in Path(folder).iterdir()
                  if not test(entry.name) and not atomic.is_temporary_name(entry.name))


def listed(names) -> str:
    """Up to five of ``names``, comma-separated, then how many more."""
    names = list(names)
    shown = ", ".join(names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")
