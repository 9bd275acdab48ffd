"""The published book read in a real browser: Debian's Chromium, driven by Playwright, lays
out every page at 1280 px (a laptop) and 430 px (a phone). A page fails on a table wider
than its column at 1280 px; at 430 px, on a wide table that does not scroll in a box of
its own with its first column (the row labels) held in view; at both, on a page wider
than the window, a figure without a caption or alt text in words, a figure with fewer
than 1.9 image pixels per pixel shown (blurred on a high-density screen) or an image over
512 KiB, a broken link, more than 15 table rows shown open, or a table of a notebook's
page without its CSV download; the landing page fails without its verdict table before
350 words of prose, or when that table is not one card per claim at 430 px; the compute
tables fail on a row without its processor; the reader pages fail above 3 words per
1,000 about how the book was produced (over the book and on any page) and on any word of
its own history.

Slow tier: it reads the paper book that ``book_fixtures.paper_book`` builds. It needs
Chromium (``apt-get install chromium``) and the ``playwright`` package (no browser
download: it drives the system's Chromium).
"""

from pathlib import Path

import pytest

from book_fixtures import paper_book as _paper_book
from ferlib import book
from html_checks import (APPENDIX_PART, PHONE, WIDTHS, broken_links, browser_report, card_problems, chromium_page,
                         clipped_tables, figure_problems, find_chromium, large_images, layout_problems, page_tables,
                         process_word_report, tables_too_long, tables_without_download, verdict_table_problems)

ROOT = book.project_root()
CHROMIUM = find_chromium()
#: The appendix speaks of the software itself; the limit on process words is for the
#: pages about the science.
APPENDIX = {entry.name for entry in book.toc_entries(ROOT) if entry.part == APPENDIX_PART}
LANDING = book.toc_entries(ROOT)[0]
#: The pages made by notebooks: each of their tables comes with its CSV download (the
#: prose pages' tables, book/*.md, are written by hand).
NOTEBOOK_PAGES = {entry.file for entry in book.toc_entries(ROOT) if entry.is_notebook}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium)")]


@pytest.fixture(scope="session")
def paper_book(tmp_path_factory):
    return _paper_book(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api")
    with chromium_page(CHROMIUM) as page:
        yield page


def book_pages(html: Path) -> list:
    """Every page of the book: one per entry of the table of contents."""
    return [html / f"{entry.file}.html" for entry in book.toc_entries(ROOT)]


def test_the_checks_find_a_clipped_table_and_an_overflowing_page(browser, tmp_path):
    wide = "".join(f"<td>a_long_unbreakable_value_{i}</td>" for i in range(12))
    page = tmp_path / "wide.html"
    page.write_text("<html><body><article class='bd-article' style='width: 600px'>"
                    f"<table><tr>{wide}</tr></table><div style='width: 2000px'>x</div></article></body></html>")
    report = browser_report(browser, page, 1280)
    assert len(report["clipped"]) == 1 and report["overflow"]
    page.write_text("<html><body><article class='bd-article'><table><tr><td>1</td></tr></table>"
                    "</article></body></html>")
    report = browser_report(browser, page, 430)
    assert report["clipped"] == [] and not report["overflow"]


#: A table too wide for a phone: three rows, each a label and twelve values that cannot wrap.
WIDE_ROWS = "".join(f"<tr><th>row {r}</th>" + "".join(f"<td>value_{r}_{i}_unbreakable</td>" for i in range(12))
                    + "</tr>" for r in range(3))


def test_the_checks_find_a_blurred_figure_and_a_heavy_image(browser, tmp_path):
    """A figure whose image has as many pixels as it is shown at is blurred on a
    high-density screen; one with twice as many is not. An image file over the limit is
    named."""
    from PIL import Image

    Image.new("RGB", (600, 200), "white").save(tmp_path / "plain.png")
    page = tmp_path / "figures.html"
    page.write_text("<html><body><article class='bd-article'>"
                    "<figure><img src='plain.png' width='600'><figcaption>Shown at its pixels.</figcaption></figure>"
                    "<figure><img src='plain.png' width='300'><figcaption>Shown at half.</figcaption></figure>"
                    "</article></body></html>")
    report = browser_report(browser, page, 1280)
    assert len(report["figures_blurry"]) == 1 and report["figures_blurry"][0].startswith("figure 1: 600 image pixels")
    assert large_images(page) == [] and len(large_images(page, limit=100)) == 2


def _page_with(tmp_path, css: str, article_css: str = "", label: str = "") -> Path:
    """A page whose article holds a paragraph and the wide table, styled by ``css``."""
    rows = WIDE_ROWS.replace("<th>row 0</th>", f"<th>row 0{label}</th>")
    page = tmp_path / "phone.html"
    page.write_text(f"<!DOCTYPE html><html><head><style>{css}</style></head><body>"
                    f"<article class='bd-article' style='{article_css}'><p>Some prose.</p>"
                    f"<table>{rows}</table></article></body></html>")
    return page


@pytest.mark.parametrize("css, article_css, label, why", [
    ("", "", "", "scrolled by the page, not by a box of its own"),
    ("", "overflow-x: auto", "", "scrolled by the article, not by a box of its own"),
    (".bd-article table { display: block; overflow-x: hidden; max-width: 100%; }", "", "",
     "scrolled by nothing"),
    ("BOOK .bd-article table tr > :first-child { position: static; }", "", "",
     "moves"),
    ("BOOK .bd-article table tr > :first-child { background-color: transparent; }", "", "",
     "see-through background"),
    ("BOOK .bd-article table td { position: relative; z-index: 2; }", "", "", "lies under another cell"),
    ("BOOK", "", "_and_a_label_too_long_to_wrap" * 2, "its first column takes"),
], ids=["page-scrolls", "article-scrolls", "cut", "label-not-sticky", "label-see-through", "label-underneath",
        "label-too-wide"])
def test_a_table_a_phone_reader_cannot_use_is_found(browser, tmp_path, css, article_css, label, why):
    """At 430 px a wide table fails unless a box of its own scrolls it with its first column
    held in place: each way of missing that is named."""
    book_css = (ROOT / "_static" / "ferlib.css").read_text(encoding="utf-8")
    report = browser_report(browser, _page_with(tmp_path, css.replace("BOOK", book_css), article_css, label), 430)
    assert len(report["clipped"]) == 1
    assert len(report["unusable"]) == 1 and why in report["unusable"][0], report["unusable"]


def test_the_books_style_makes_a_wide_table_usable_on_a_phone(browser, tmp_path):
    """The book's own style sheet: at 430 px the wide table scrolls in its own box with its
    row labels held in view; at 1280 px it is reported as clipped (the book's tables are
    made to fit there)."""
    page = _page_with(tmp_path, (ROOT / "_static" / "ferlib.css").read_text(encoding="utf-8"))
    report = browser_report(browser, page, 430)
    assert len(report["clipped"]) == 1 and report["scrolling"] == 1, report
    assert report["unusable"] == [] and not report["overflow"]
    assert clipped_tables(report, 430) == [] and layout_problems(report, 430) == []
    report = browser_report(browser, page, 1280)
    assert len(report["clipped"]) == 1 and not report["overflow"]
    assert clipped_tables(report, 1280) == report["clipped"] == layout_problems(report, 1280)


def _cards_page(tmp_path, css: str) -> Path:
    """A page whose article holds a table made to be read as cards on a phone, as the
    book renders :func:`ferlib.formatting.to_markdown` with ``stacked=True``: a claim,
    its status, the paper's value and ours, each cell after the first with its header."""
    cells = lambda r: (f"<td><strong>{r}.</strong> A claim of the paper about a network and a data set, long enough "
                       f"to wrap</td>" + "".join(f'<td><span class="ferlib-label">{h}:</span> {v}</td>' for h, v in
                                                  (("status", "not reproduced"), ("paper", "61.19% to 61.62%"),
                                                   ("ours [95% interval]", "Model 2: 59.4% [58.0, 60.7]"))))
    page = tmp_path / "cards.html"
    page.write_text(f"<!DOCTYPE html><html><head><style>{css}</style></head><body><article class='bd-article'>"
                    f"<div class='ferlib-stacked docutils container'><table><thead><tr><th>the paper's claim</th>"
                    f"<th>status</th><th>paper</th><th>ours [95% interval]</th></tr></thead><tbody>"
                    + "".join(f"<tr>{cells(r)}</tr>" for r in (1, 2, 3)) + "</tbody></table></div></article></body></html>")
    return page


def test_the_books_style_reads_a_stacked_table_as_cards_on_a_phone(browser, tmp_path):
    """At 430 px the book's style sheet lays a stacked table out as one card per row: each
    cell across the card, under the one before it, after its column's header. At 1280 px,
    and on a phone without the style sheet, it is a table of narrow columns: the check
    says so."""
    book_css = (ROOT / "_static" / "ferlib.css").read_text(encoding="utf-8")
    page = _cards_page(tmp_path, book_css)
    assert card_problems(browser, page, 430) == []
    assert browser_report(browser, page, 430)["clipped"] == []
    laptop = card_problems(browser, page, 1280)
    assert any("px wide in a" in p for p in laptop) and any("header is not shown" in p for p in laptop), laptop
    bare = card_problems(browser, _cards_page(tmp_path, ""), 430)
    assert any("beside the cell before it" in p for p in bare), bare


def test_every_page_reads_at_a_laptops_and_a_phones_width(paper_book, browser):
    build_dir, _ = paper_book
    html = build_dir / "html"
    problems, cache, scrolling = [], {}, {}
    for path in book_pages(html):
        name = path.relative_to(html).as_posix()
        assert path.is_file(), f"{name}: not built"
        problems += [f"{name}: {p}" for p in figure_problems(path)]
        problems += [f"{name}: {p}" for p in broken_links(path, html, cache=cache)]
        problems += [f"{name}: {p}" for p in tables_too_long(path)]
        problems += [f"{name}: {p}" for p in large_images(path)]
        if path.relative_to(html).with_suffix("").as_posix() in NOTEBOOK_PAGES:
            problems += [f"{name}: {p}" for p in tables_without_download(path)]
        for width in WIDTHS:  # a table may scroll on a phone, but only in its own box, its row labels in view
            report = browser_report(browser, path, width)
            problems += [f"{name} at {width} px: {p}" for p in layout_problems(report, width)]
            if width == PHONE:
                scrolling[width] = scrolling.get(width, 0) + report["scrolling"]
    print(f"tables that scroll in their own box: {scrolling}")
    assert not problems, "\n".join(problems)


def test_the_landing_page_gives_its_verdict_first(paper_book, browser):
    build_dir, _ = paper_book
    landing = build_dir / "html" / f"{LANDING.file}.html"
    problems = verdict_table_problems(landing)
    assert not problems, "\n".join(problems)
    for width in WIDTHS:  # the verdict table can be read whole, even on a phone
        report = browser_report(browser, landing, width)
        assert not [p for p in report["clipped"] if p.startswith("table 1 ")], f"{width} px: {report['clipped']}"
    # on a phone, one card per claim: the claim, then its status, the paper's value and ours
    problems = card_problems(browser, landing, PHONE)
    assert not problems, f"the verdict table at {PHONE} px:\n" + "\n".join(problems)


#: The pages with a table of the compute the runs took (summary.compute_table).
COMPUTE_PAGES = ("notebooks/00_summary", "notebooks/10_reproducibility")


def test_the_compute_tables_name_the_processor_of_each_row(paper_book):
    """Each row of the compute tables that has runs names the processor they were timed
    on, so that rows measured on different processors can be told apart."""
    build_dir, _ = paper_book
    found = 0
    for name in COMPUTE_PAGES:
        for table in page_tables(build_dir / "html" / f"{name}.html"):
            headers = table[0] if table else []
            if "images/s" not in headers:
                continue
            found += 1
            assert "processor" in headers, f"{name}: a compute table without a processor column: {headers}"
            column, runs = headers.index("processor"), next(i for i, h in enumerate(headers) if h.startswith("runs"))
            for cells in table[1:]:
                if cells[runs] not in ("0", "–"):
                    assert cells[column] not in ("", "–"), f"{name}: a row without its processor: {cells}"
    assert found == len(COMPUTE_PAGES), f"{found} compute tables found"


def test_reader_pages_speak_of_the_science(paper_book):
    """The pages about the science (all but the appendix): at most 3 words about how the book
    was produced per 1,000 words, over the book and on each page, and none of the book's
    own history (html_checks.HISTORY_WORDS)."""
    build_dir, _ = paper_book
    report = process_word_report([path for path in book_pages(build_dir / "html") if path.stem not in APPENDIX])
    problems = []
    for page in report["pages"]:
        here, seen, stem = page["words"], page["process"], page["path"].stem
        if 1000 * len(seen) > 3 * here:
            problems.append(f"{stem}: {len(seen)} process words in {here} ({seen})")
        problems += [f"{stem}: ...{context}..." for context in page["history"]]
    words, found = report["words"], report["process"]
    assert words > 10_000
    assert 1000 * found / words <= 3, f"{found} process words in {words} ({1000 * found / words:.1f} per 1,000)"
    assert not problems, "\n".join(problems)
