"""Which run is behind which number: every kept run with its id and the role it plays
in the book (the book's provenance appendix; the other pages name runs by what they
are, never by id).

    listing = run_listing(committed_runs("results/paper"))
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ferlib.protocol import departure_text
from ferlib.results import is_subject_fold, protocol_seed_runs
from ferlib.study import ROUNDS, study_runs

#: The roles a run plays, in the order the appendix lists them.
ROLES = ("the paper's experiment", "sensitivity study", "subject-independent fold", "other settings")
#: How each round of the sensitivity study (:data:`ferlib.study.ROUNDS`) reads in a listing:
#: the settings its cells change around.
ROUND_WORDS = {"protocol": "", "augmented recipe": "around the augmented recipe",
               "rate 0.001": "around a run at learning rate 0.001", "fine-tune": "fine-tuned"}


def _experiment(config) -> str:
    # saves start-up time: figures loads matplotlib
    from ferlib.figures import run_dataset_title

    how = "from scratch" if config.source is None else "fine-tuned"
    return f"Model {config.model}, {run_dataset_title(config.dataset)}, {how}"


def run_listing(runs) -> pd.DataFrame:
    """Every run of ``runs`` (:class:`ferlib.store.Run`) with its role.

    Returns:
        one row per run, sorted by role, experiment and seed: ``run_id``, ``role`` (one
        of :data:`ROLES`: a protocol run of one of the paper's experiments, a run of a
        cell of the sensitivity study, a fold of the subject-independent evaluation, or
        a run with other settings), ``experiment``, ``seed``, ``fold`` (None outside the
        folds), ``setting`` (the study's cell, or how the settings depart from the
        protocol's) and ``accuracy`` (test accuracy).
    """
    protocol_ids = {run.id for runs_of in protocol_seed_runs(runs).values() for run in runs_of}
    cells = {}
    for round_name in ROUNDS:
        for cell, run in study_runs(runs, round=round_name):
            words = ROUND_WORDS.get(round_name, round_name)
            cells.setdefault(run.id, f"{cell} ({words})" if words else cell)
    rows = []
    for run in runs:
        config = run.config
        if run.id in protocol_ids:
            role, setting = ROLES[0], ""
        elif is_subject_fold(config):
            role, setting = ROLES[2], ""
        elif run.id in cells:
            role, setting = ROLES[1], cells[run.id]
        else:
            role, setting = ROLES[3], departure_text(config)
        rows.append({"run_id": run.id, "role": role, "experiment": _experiment(config), "seed": int(config.seed),
                     "fold": int(config.fold) if is_subject_fold(config) and config.fold is not None else None,
                     "setting": setting, "accuracy": float(run.metrics["test"]["accuracy"])})
    frame = pd.DataFrame(rows, columns=["run_id", "role", "experiment", "seed", "fold", "setting", "accuracy"])
    frame["order"] = frame["role"].map({role: i for i, role in enumerate(ROLES)})
    frame = frame.sort_values(["order", "experiment", "setting", "seed", "fold"], kind="stable")
    return frame.drop(columns="order").reset_index(drop=True)


def citation(root) -> dict:
    """The reproduction's citation, read from ``CITATION.cff`` at ``root``: ``title``,
    ``authors`` (one string), ``version``, ``license``, ``url``."""
    # saves start-up time: PyYAML, a dependency of the book's tools rather than of
    # ferlib, loads only to read the citation
    import yaml

    path = Path(root) / "CITATION.cff"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the project's citation file is missing")
    cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    authors = " and ".join(a.get("name") or f"{a.get('family-names', '')}, {a.get('given-names', '')}".strip(", ")
                           for a in cff.get("authors", []))
    return {"title": cff["title"], "authors": authors, "version": str(cff["version"]),
            "license": cff.get("license", ""), "url": cff.get("repository-code", "")}


def bibtex(entry: dict, *, key: str = "ferlib", commit: str | None = None) -> str:
    """A BibTeX ``@software`` entry for :func:`citation` ``entry`` (with the commit the
    reader's copy was built from, when given)."""
    fields = {"title": entry["title"], "author": f"{{{entry['authors']}}}", "version": entry["version"],
              "license": entry["license"], "url": entry["url"]}
    if commit:
        fields["note"] = f"commit {commit}"
    body = ",\n".join(f"  {name:<7} = {{{value}}}" for name, value in fields.items() if value)
    return f"@software{{{key},\n{body}\n}}"
