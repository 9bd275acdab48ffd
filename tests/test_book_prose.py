"""The book's prose, read from its sources: an abstract of at most 200 words, one
name per thing, statistical terms linked to the glossary at their first use, and
exercises with their solutions on every chapter.

The pages are the jupytext notebooks and the Markdown pages that ``_toc.yml`` lists
(:func:`ferlib.book.toc_entries`); the sentences that ferlib writes into them are read
from their snapshots (``tests/snapshots``, see ``test_snapshots.py``), so a sentence of
ferlib that brings a banned name back fails here once its snapshot is updated.
"""

import re

import pytest

from book_sources import (ABSTRACT_START, abstract_markdown, abstract_text, landing_values, outside_code,
                          page_markdown, plain_text, source_path)
from ferlib import book, results
from ferlib import formatting as fmt
from html_checks import count_words
from snapshot_files import SNAPSHOTS

ROOT = book.project_root()
ENTRIES = book.toc_entries(ROOT)
RESULTS = ROOT / results.PAPER_RESULTS
#: The most words the landing page's abstract may have (issue 28: 200 words or fewer).
ABSTRACT_WORDS = 200


def test_the_abstract_has_at_most_200_words():
    """The abstract as a reader reads it, its numbers and sentences glued from the
    committed results by the calls the landing page makes: when they grow, this fails."""
    text = abstract_text(landing_values(RESULTS))
    words = count_words(text)
    assert text.startswith("Abstract. Borgalli and Surve [2022] report")
    assert "Of the paper's" in text and "{" not in text  # the verdict glued in, no role left
    assert words <= ABSTRACT_WORDS, f"the abstract has {words} words (at most {ABSTRACT_WORDS}):\n{text}"


def test_the_abstract_is_counted_as_rendered(tmp_path):
    """The count sees the glued sentences, not their keys: an abstract whose glued
    sentence is long fails, and a key without a value is an error."""
    landing = tmp_path / "landing.py"
    landing.write_text(f"# %% [markdown]\n# {ABSTRACT_START} {{cite:t}}`borgalli2022` report that\n"
                       "# {glue:text}`summary_verdict`, {term}`HOG <HOG>`.\n#\n# Not the abstract.\n")
    assert abstract_markdown(landing).endswith("{term}`HOG <HOG>`.")
    assert abstract_text({"verdict": "all of it"}, landing) == (
        "Abstract. Borgalli and Surve [2022] report that all of it, HOG.")
    assert count_words(abstract_text({"verdict": "word " * 200}, landing)) > ABSTRACT_WORDS
    with pytest.raises(KeyError, match="summary_verdict"):
        abstract_text({}, landing)
    with pytest.raises(ValueError, match="doc"):
        plain_text("See {doc}`07_results`.", {})

#: Names the book no longer uses for CK+: it says "CK+ (7 classes)" and "CK+48 (6 classes)".
BANNED_NAMES = {
    r"seven[- ]class CK\+": "CK+ (7 classes)",
    r"six[- ]class CK\+48": "CK+48 (6 classes)",
    r"CK\+ ?7\b": "CK+ (7 classes)",
    r"CK\+ with (?:7|seven) classes": "CK+ (7 classes)",
}
#: The data set's name in code, which prose outside code spans does not use.
CODE_NAME = re.compile(r"\bckplus7\b")


def banned_names(text: str, *, prose: str | None = None) -> list:
    """Each banned name of CK+ in ``text`` with the name to use instead; ``prose`` (the
    text outside code) is also searched for the data set's code name."""
    found = [f"{match.group(0)!r} (write {name})" for pattern, name in BANNED_NAMES.items()
             for match in re.finditer(pattern, text, flags=re.IGNORECASE)]
    if prose is not None:
        found += [f"{match.group(0)!r} in prose (write CK+ (7 classes))" for match in CODE_NAME.finditer(prose)]
    return found


def test_one_name_per_data_set_in_the_books_prose():
    """Every page, the whole source of a notebook included (its tables' titles and empty
    messages are prose too), and every snapshot of ferlib's sentences names CK+ as the
    glossary does."""
    problems = []
    for entry in ENTRIES:
        path = source_path(entry)
        problems += [f"{path.relative_to(ROOT)}: {found}" for found in
                     banned_names(path.read_text(encoding="utf-8"), prose=outside_code(page_markdown(entry)))]
    for path in sorted(SNAPSHOTS.glob("*.md")):
        problems += [f"tests/snapshots/{path.name}: {found}" for found in banned_names(path.read_text())]
    readme = ROOT / "README.md"
    problems += [f"README.md: {found}" for found in banned_names(readme.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)


def test_the_name_check_finds_each_banned_variant():
    text = "On seven-class CK+ and the six-class CK+48, CK+ 7 and CK+ with 7 classes."
    assert len(banned_names(text)) == 4
    assert banned_names("CK+ (7 classes) and CK+48 (6 classes); CK+ is half neutral.") == []
    prose = outside_code("The `ckplus7` set, {glue:text}`hog_spread_ckplus7:.1f` points.\n"
                         "```bash\npython -m ferlib train --dataset ckplus7\n```\nBut ckplus7 here.")
    assert banned_names("", prose=prose) == ["'ckplus7' in prose (write CK+ (7 classes))"]


#: The parts whose pages are chapters (not the landing page, the glossary and the page
#: for teachers, or the appendices): each ends with exercises.
EXERCISE_PARTS = ("Results", "The study, section by section", "Beyond the paper", "Evidence")
EXERCISE = re.compile(r"^(`{3,})\{exercise\}[^\n]*\n:label: *(\S+)", re.M)
SOLUTION = re.compile(r"^`{3,}\{solution\} *(\S+)", re.M)


def exercises(markdown: str) -> tuple:
    """``(exercise labels, solution targets)`` of a page's Markdown, in order."""
    return [label for _, label in EXERCISE.findall(markdown)], SOLUTION.findall(markdown)


def test_every_chapter_has_an_exercise_with_its_solution():
    """At least one exercise per chapter, each with one solution on the same page, and
    no label used twice in the book."""
    chapters = [entry for entry in ENTRIES if entry.part in EXERCISE_PARTS]
    assert {"07_results", "12_transfer", "conclusions", "method", "09_protocol", "13_recipe"} <= {
        e.name for e in chapters}
    problems, seen = [], {}
    for entry in chapters:
        labels, solved = exercises(page_markdown(entry))
        if not labels:
            problems.append(f"{entry.file}: no exercise")
        problems += [f"{entry.file}: exercise {label} has {solved.count(label)} solutions"
                     for label in labels if solved.count(label) != 1]
        problems += [f"{entry.file}: a solution of {label}, which is no exercise of the page"
                     for label in set(solved) - set(labels)]
        for label in labels:
            if label in seen:
                problems.append(f"{entry.file}: exercise label {label} is also used by {seen[label]}")
            seen[label] = entry.file
    assert not problems, "\n".join(problems)


def test_exercises_are_found_with_either_fence():
    page = ("```{exercise}\n:label: ex-a\n\nQ\n```\n\n```{solution} ex-a\n:class: dropdown\n\nA\n```\n"
            "````{exercise}\n:label: ex-b\n\n```bash\nrun\n```\n````\n")
    assert exercises(page) == (["ex-a", "ex-b"], ["ex-a"])


#: The pages on which each statistical term of :data:`ferlib.formatting.GLOSSARY_TERMS`
#: links to the glossary where it is first used: the landing page, the paper's sections,
#: the transfer chapter and the recipe's.
TERM_PAGES = ("00_summary", "01_datasets", "02_architectures", "03_augmentation", "04_training_curves",
              "05_confusion_matrices", "06_emotion_analysis", "12_transfer", "13_recipe")


def glued_where_known(markdown: str, values: dict) -> str:
    """``markdown`` with the landing page's glued sentences in place of their roles (they
    come first on the page), the other roles left as written."""
    return re.sub(r"\{glue:text\}`summary_(\w+)`",
                  lambda match: values.get(match.group(1), match.group(0)), markdown)


def test_statistical_terms_link_to_the_glossary_at_their_first_use():
    """On each page, the first McNemar, Wilson interval, balanced accuracy and HOG of its
    prose (the landing page's glued sentences included) is a ``{term}`` role: linking the
    first uses again changes nothing. The boxes of findings link theirs themselves
    (:func:`ferlib.findings.box`)."""
    values = landing_values(RESULTS)
    pages = {entry.name: entry for entry in ENTRIES}
    problems = []
    for name in TERM_PAGES:
        markdown = page_markdown(pages[name])
        if name == "00_summary":
            markdown = glued_where_known(markdown, values)
        linked = fmt.link_terms(markdown)
        if linked != markdown:
            first = next(i for i, (a, b) in enumerate(zip(linked, markdown)) if a != b)
            problems.append(f"{name}: first use not linked: ...{markdown[max(0, first - 60):first + 40]!r}")
    assert not problems, "\n".join(problems)
    landing = glued_where_known(page_markdown(pages["00_summary"]), values)
    assert landing.index("{term}`HOG`") < landing.index("HOG with logistic regression")  # before the glued one
