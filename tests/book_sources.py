"""The book's pages read from their sources, for the tests of its prose.

    page_markdown(entry)          # a page's Markdown (a notebook's Markdown cells)
    landing_values(results_dir)   # what the landing page glues as summary_<key>
    abstract_text(values)         # the landing page's abstract as a reader reads it

The values come from the calls the landing page makes (``notebooks/00_summary.py``),
so a test of the abstract follows the numbers as they change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext

from ferlib import book, claims, compare, results, summary

ROOT = book.project_root()
LANDING = ROOT / "notebooks" / "00_summary.py"
#: How the abstract starts in the landing page's Markdown.
ABSTRACT_START = "**Abstract.**"


def source_path(entry) -> Path:
    """The file a page of the book (:class:`ferlib.book.TocEntry`) is written in."""
    return ROOT / f"{entry.file}.py" if entry.is_notebook else ROOT / f"{entry.file}.md"


def markdown_cells(path) -> list:
    """The Markdown cells of a jupytext notebook, in order."""
    return [cell.source for cell in jupytext.read(path).cells if cell.cell_type == "markdown"]


def page_markdown(entry) -> str:
    """A page's Markdown: a notebook's Markdown cells in order, or a Markdown page."""
    path = source_path(entry)
    return "\n\n".join(markdown_cells(path)) if entry.is_notebook else path.read_text(encoding="utf-8")


def outside_code(markdown: str) -> str:
    """``markdown`` without fenced blocks of code and without inline spans in backticks
    (inline code, and the targets of roles: glued keys, cited keys, file names)."""
    markdown = re.sub(r"^(`{3,})(?:bash|python|text|console)?\n.*?^\1\s*$", "", markdown, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", markdown)


def landing_values(results_dir) -> dict:
    """``{key: text}`` that the landing page glues as ``summary_<key>``, from the same
    calls on ``results_dir`` (a folder of results such as ``results/paper``)."""
    results_dir = Path(results_dir)
    runs = results.committed_runs(results_dir)
    seed_runs = results.protocol_seed_runs(runs)
    missing = results.missing_runs(results_dir)
    verdicts = summary.finetune_verdicts(seed_runs, runs, compare.read_baselines(results_dir / "baselines.json"))
    baselines = compare.baseline_accuracies(compare.read_baselines(results_dir / "baselines.json"))
    subject_report = compare.read_baselines(results_dir / "baselines_subject.json")
    return summary.landing_sentences(
        summary.claim_table(seed_runs, missing, verdicts=verdicts), verdicts, seed_runs, missing=missing,
        subject_cnn=compare.subject_cnn_comparison(runs, subject_report),
        subject_tuned=compare.subject_cnn_comparison(runs, subject_report, fine_tuned=True),
        audit=claims.claims_summary(claims.accuracy_claims(results.paper_results(results_dir))),
        accuracy=compare.accuracy_summary(seed_runs, baselines), baselines=baselines,
        leakage=json.loads((results_dir / "leakage.json").read_text()))


def abstract_markdown(path=LANDING) -> str:
    """The landing page's abstract as written: the Markdown cell that opens with
    :data:`ABSTRACT_START`."""
    found = [cell for cell in markdown_cells(path) if cell.lstrip().startswith(ABSTRACT_START)]
    if len(found) != 1:
        raise ValueError(f"{path}: expected one Markdown cell opening with {ABSTRACT_START!r}, found {len(found)}")
    return found[0].split("\n\n", 1)[0]  # the abstract is the cell's first paragraph


def _citation(key: str, *, textual: bool) -> str:
    """A citation as the book renders it (author_year style): ``"Borgalli and Surve
    [2022]"`` (textual) or ``"[Borgalli and Surve, 2022]"``, from ``references.bib``."""
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    entry = re.search(r"@\w+\{" + re.escape(key) + r",(.*?)\n\}", bib, flags=re.S)
    if entry is None:
        raise KeyError(f"references.bib: no entry {key!r}")
    authors = re.search(r"author\s*=\s*\{(.*?)\},?\n", entry.group(1)).group(1).split(" and ")
    names = [author.split(",")[0].strip() for author in authors]
    who = names[0] if len(names) == 1 else (f"{names[0]} and {names[1]}" if len(names) == 2 else f"{names[0]} et al.")
    year = re.search(r"year\s*=\s*\{(\d{4})\}", entry.group(1)).group(1)
    return f"{who} [{year}]" if textual else f"[{who}, {year}]"


def plain_text(markdown: str, values: dict, *, prefix: str = "summary_") -> str:
    """``markdown`` as a reader reads it: each ``{glue:text}`` role replaced by its value
    (``values[key without prefix]``), citations as rendered, terms by their text, bold
    marks dropped. Raises ``KeyError`` for a glued key without a value and ``ValueError``
    for a role it does not know."""
    def glued(match):
        key = match.group(1).split(":", 1)[0]
        if not key.startswith(prefix) or key[len(prefix):] not in values:
            raise KeyError(f"no value for the glued key {key!r}")
        return str(values[key[len(prefix):]])

    text = re.sub(r"\{glue:text\}`([^`]+)`", glued, markdown)
    text = re.sub(r"\{cite:t\}`([^`]+)`", lambda m: _citation(m.group(1), textual=True), text)
    text = re.sub(r"\{cite(?::p)?\}`([^`]+)`", lambda m: _citation(m.group(1), textual=False), text)
    text = re.sub(r"\{term\}`([^`<]+?)(?:\s*<[^>]+>)?`", lambda m: m.group(1), text)
    left = re.search(r"\{[\w:-]+\}`[^`]*`", text)
    if left:
        raise ValueError(f"a role the abstract's text does not render: {left.group(0)}")
    return " ".join(text.replace("**", "").split())


def abstract_text(values: dict, path=LANDING) -> str:
    """The landing page's abstract with ``values`` glued in (:func:`landing_values`)."""
    return plain_text(abstract_markdown(path), values)
