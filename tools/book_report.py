"""Print the figures the built book is judged by, measured on its HTML.

    python tools/book_report.py [--html _build/html] [--root .] [--no-browser]

One line per figure, a line per page under it where a page has something to show:

- (a) words of prose before the landing page's verdict table (at most 350);
- (b) clipped tables at 1280 px and at 430 px (0): at 1280 px each table wider than its
  column; at 430 px each wide table a reader cannot scroll in a box of its own with its
  row labels in view (those that can are counted beside it);
- (c) figures without a caption, or alt text in words (0);
- (d) words about how the book was produced per 1,000 words of prose on the reader pages,
  every page but the appendix (at most 3), and the words of its own history (0);
- (e) exercises and their solutions;
- (f) HTML pages built, and the pages of ``_toc.yml`` missing from the build;
- (g) broken internal links (0).

Exits 1 when (b), (c) or (g) is not 0 or the landing page has no verdict table, 2 when
the book, or Chromium for (b), cannot be found; ``--no-browser`` leaves (b) out.

The measures are the book's tests' own (``tests/html_checks.py``, imported from there:
one copy for the tests and this report). (b) lays the pages out in the system's Chromium
through Playwright, as ``tests/test_book_browser.py`` does (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # ferlib and the tests' html_checks, from this checkout

import html_checks  # noqa: E402  (after the path above)


def built_pages(html_dir) -> list:
    """Every HTML page of the build under ``html_dir``, its theme and sources (folders
    starting with ``_``) left out."""
    html_dir = Path(html_dir)
    return sorted(path for path in html_dir.rglob("*.html")
                  if not path.relative_to(html_dir).parts[0].startswith("_"))


def measure(html_dir, root=ROOT) -> dict:
    """The figures of the book built in ``html_dir`` that need no browser, over the pages
    of ``root / "_toc.yml"``.

    Returns ``{"built": [page name, ...], "toc": [...], "missing": [...], "landing": name,
    "verdict": bool, "words_before": n or None, "landing_problems": [...], "figures":
    {name: [...]}, "links": {name: [...]}, "exercises": {name: (exercises, solutions)},
    "reader": [name, ...], "prose": html_checks.process_word_report(...)}``: ``reader``
    names the reader pages (all but the appendix) whose prose ``prose`` counts; a page's name is its path under
    ``html_dir`` without ``.html`` (``"notebooks/07_results"``), the per-page dicts hold
    the built pages of ``_toc.yml`` in its order.
    """
    from ferlib import book

    html_dir = Path(html_dir)
    if not html_dir.is_dir():
        raise FileNotFoundError(f"{html_dir}: no built book; build it first (python -m ferlib book)")
    entries = book.toc_entries(root)
    paths = {entry.file: html_dir / f"{entry.file}.html" for entry in entries}
    present = [entry for entry in entries if paths[entry.file].is_file()]
    reader = [entry.file for entry in present if entry.part != html_checks.APPENDIX_PART]
    landing = paths[entries[0].file]
    found = landing.is_file()
    cache = {}
    return {
        "built": [path.relative_to(html_dir).with_suffix("").as_posix() for path in built_pages(html_dir)],
        "toc": [entry.file for entry in entries],
        "missing": [entry.file for entry in entries if entry not in present],
        "landing": entries[0].file,
        "verdict": found and html_checks.verdict_table(landing) is not None,
        "words_before": html_checks.words_before_first_table(landing) if found else None,
        "landing_problems": html_checks.verdict_table_problems(landing) if found else ["the page is not built"],
        "figures": {entry.file: html_checks.figure_problems(paths[entry.file]) for entry in present},
        "links": {entry.file: html_checks.broken_links(paths[entry.file], html_dir, cache=cache) for entry in present},
        "exercises": {entry.file: html_checks.exercise_counts(paths[entry.file]) for entry in present},
        "reader": reader,
        "prose": html_checks.process_word_report([paths[name] for name in reader]),
    }


def measure_layout(html_dir, names, page) -> dict:
    """The pages ``names`` of the book in ``html_dir`` laid out at each width of
    :data:`html_checks.WIDTHS` in the Playwright ``page`` (Chromium).

    Returns ``{"clipped": {width: {name: [...]}}, "scrolling": {width: n}, "cards":
    [...]}``: each page's :func:`html_checks.clipped_tables`, the wide tables that scroll
    in a box of their own, and why the first page's table (the verdict table) is not
    one card per claim on a phone (:func:`html_checks.card_problems`)."""
    clipped = {width: {} for width in html_checks.WIDTHS}
    scrolling = dict.fromkeys(html_checks.WIDTHS, 0)
    for name in names:
        for width in html_checks.WIDTHS:
            report = html_checks.browser_report(page, Path(html_dir) / f"{name}.html", width)
            clipped[width][name] = html_checks.clipped_tables(report, width)
            scrolling[width] += report["scrolling"]
    cards = html_checks.card_problems(page, Path(html_dir) / f"{names[0]}.html", html_checks.PHONE) if names else []
    return {"clipped": clipped, "scrolling": scrolling, "cards": cards}


def _per_page(found: dict) -> list:
    return [f"    {name}: {problem}" for name, problems in found.items() for problem in problems]


def _count(found: dict) -> int:
    return sum(len(problems) for problems in found.values())


def report_lines(figures: dict, layout=None) -> list:
    """The lines :func:`main` prints: a figure of :func:`measure` (and of
    :func:`measure_layout`, ``None``: not measured) per line, its pages' lines below it."""
    words = figures["words_before"]
    lines = [f"(a) words of prose before the landing page's verdict table: "
             + (f"{words} (at most {html_checks.VERDICT_WORDS})" if figures["verdict"]
                else f"no verdict table ({figures['landing']})")]
    lines += [f"    {figures['landing']}: {problem}" for problem in figures["landing_problems"]]
    if layout is None:
        lines.append("(b) clipped tables: not measured (no browser)")
    else:
        for width in html_checks.WIDTHS:
            note = (f" ({layout['scrolling'][width]} wide tables scroll in a box of their own, row labels in view)"
                    if width < html_checks.LAPTOP else "")
            lines.append(f"(b) clipped tables at {width} px: {_count(layout['clipped'][width])}{note}")
            lines += _per_page(layout["clipped"][width])
        lines += [f"    {figures['landing']} at {html_checks.PHONE} px, the verdict table as cards: {problem}"
                  for problem in layout["cards"]]
    lines.append(f"(c) figures without caption: {_count(figures['figures'])}")
    lines += _per_page(figures["figures"])
    prose = figures["prose"]
    rate = 1000 * prose["process"] / prose["words"] if prose["words"] else 0.0
    lines.append(f"(d) process words per 1,000 words of prose on the {len(prose['pages'])} reader pages: {rate:.2f} "
                 f"({prose['process']} in {prose['words']:,}; at most 3); history words: {prose['history']}")
    for name, page in zip(figures["reader"], prose["pages"]):
        if page["process"]:
            here = 1000 * len(page["process"]) / page["words"]
            lines.append(f"    {name}: {here:.2f} per 1,000 ({len(page['process'])} in {page['words']:,}: "
                         f"{', '.join(page['process'])})")
        lines += [f"    {name}: history: ...{context}..." for context in page["history"]]
    exercises = figures["exercises"]
    lines.append(f"(e) exercises: {sum(e for e, _ in exercises.values())}, solutions: "
                 f"{sum(s for _, s in exercises.values())}, on {sum(e > 0 for e, _ in exercises.values())} of "
                 f"{len(exercises)} pages")
    lines += [f"    {name}: {e} exercises, {s} solutions" for name, (e, s) in exercises.items() if e != s]
    others = sorted(set(figures["built"]) - set(figures["toc"]))
    lines.append(f"(f) HTML pages built: {len(figures['built'])} ({len(figures['toc']) - len(figures['missing'])} "
                 f"of the {len(figures['toc'])} pages of _toc.yml" + (f", and {', '.join(others)}" if others else "")
                 + f"); pages of _toc.yml missing: {len(figures['missing'])}")
    lines += [f"    {name}: not built" for name in figures["missing"]]
    lines.append(f"(g) broken internal links: {_count(figures['links'])}")
    lines += _per_page(figures["links"])
    return lines


def failures(figures: dict, layout=None) -> list:
    """What makes the report fail: clipped tables (b), figures without a caption (c),
    broken links (g), a landing page without its verdict table."""
    found = [] if figures["verdict"] else ["no verdict table"]
    if layout is not None:
        found += [f"(b) {_count(layout['clipped'][w])} clipped tables at {w} px" for w in html_checks.WIDTHS
                  if _count(layout["clipped"][w])]
    found += [f"(c) {_count(figures['figures'])} figures without caption"] if _count(figures["figures"]) else []
    found += [f"(g) {_count(figures['links'])} broken links"] if _count(figures["links"]) else []
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", default="_build/html", help="the built book (default _build/html)")
    parser.add_argument("--root", default=str(ROOT), help="the project whose _toc.yml lists the pages "
                                                          "(default: this checkout)")
    parser.add_argument("--no-browser", action="store_true", help="leave out (b), which needs Chromium")
    args = parser.parse_args(argv)
    try:
        figures = measure(args.html, args.root)
        layout = None
        if not args.no_browser:
            chromium = html_checks.find_chromium()
            if chromium is None:
                raise FileNotFoundError("no Chromium for (b) (apt-get install chromium), or give --no-browser")
            names = [name for name in figures["toc"] if name not in figures["missing"]]
            with html_checks.chromium_page(chromium) as page:
                layout = measure_layout(args.html, names, page)
    except (FileNotFoundError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"the book in {args.html}, the pages of {Path(args.root) / '_toc.yml'}")
    print("\n".join(report_lines(figures, layout)))
    failed = failures(figures, layout)
    print("FAILED: " + "; ".join(failed) if failed else "passed: no clipped table, figure without caption or broken "
          "link" + ("" if layout is not None else " (tables not laid out)") + "; the verdict table first")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
