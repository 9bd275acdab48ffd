"""``tools/book_report.py`` prints each figure of a built book, measured on a small book
made by hand here, and fails on what the book must not have: a clipped table, a figure
without a caption, a broken link, a landing page without its verdict table."""

import importlib.util

import pytest

from ferlib import book
from html_checks import find_chromium

ROOT = book.project_root()


def _tool():
    spec = importlib.util.spec_from_file_location("book_report", ROOT / "tools" / "book_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


book_report = _tool()

TOC = """format: jb-book
root: notebooks/00_summary
parts:
  - caption: Results
    chapters:
      - file: notebooks/07_results
      - file: book/method
  - caption: Appendix
    chapters:
      - file: notebooks/10_reproducibility
"""
EXERCISE = "<div class='exercise admonition'><p>Q</p></div>"
SOLUTION = "<details class='solution dropdown admonition'><p>A</p></details>"
#: 34 words of prose: 8 before the verdict table, 17 in it, 9 after it.
LANDING = ("<h1>A title of the book</h1><p>Eight words of prose come before the table.</p>"
           "<table><thead><tr><th>the paper’s claim</th><th>status</th><th>paper</th><th>ours</th></tr></thead>"
           "<tbody><tr><td>1. A claim</td><td>reproduced</td><td>61%</td><td>60%</td></tr>"
           "<tr><td>2. Another claim</td><td>untested</td><td>70%</td><td>–</td></tr></tbody></table>"
           "<figure id=\"fig-summary\"><img src='s.png' alt='the summary of every claim'/>"
           "<figcaption><p>The summary figure.</p></figcaption></figure>"
           "<section id=\"scope\"><h2>Scope</h2><p>Two claims.</p></section>"
           f"{EXERCISE}{SOLUTION}<a href='07_results.html#there'>on</a>")
#: 17 words of prose, two of them process words (committed, first round); an image
#: outside a figure; two broken links; two exercises, one solution.
RESULTS = ("<h1>Results</h1><p>The committed runs of the first round are trained on faces.</p>"
           "<img src='a.png' alt='a chart of accuracies'/><a href='gone.html'>gone</a> "
           "<a href='00_summary.html#nowhere'>back</a><h2 id='there'>More</h2>" + EXERCISE * 2 + SOLUTION)
#: The appendix: its process words are not counted.
APPENDIX = "<p>The committed run store of this build, every profile.</p>" + EXERCISE + SOLUTION


def _write(path, article):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body><nav>committed</nav><article class='bd-article'>{article}</article></body></html>",
                    encoding="utf-8")


def make_book(root, results=RESULTS, landing=LANDING):
    """A project at ``root``: its ``_toc.yml`` lists four pages, three of them built
    (``book/method`` is not) under ``root/_build/html``, beside an index, a general index
    and theme files. Returns the HTML folder."""
    (root / "_toc.yml").write_text(TOC, encoding="utf-8")
    html = root / "_build" / "html"
    _write(html / "notebooks" / "00_summary.html", landing)
    _write(html / "notebooks" / "07_results.html", results)
    _write(html / "notebooks" / "10_reproducibility.html", APPENDIX)
    _write(html / "index.html", "")
    _write(html / "genindex.html", "")
    _write(html / "_static" / "theme.html", "")
    _write(html / "_sources" / "notebooks" / "00_summary.html", "")
    return html


def test_each_figure_of_a_small_book(tmp_path):
    figures = book_report.measure(make_book(tmp_path), tmp_path)
    assert figures["verdict"] and figures["words_before"] == 8 and figures["landing_problems"] == []
    assert figures["figures"]["notebooks/00_summary"] == []
    assert len(figures["figures"]["notebooks/07_results"]) == 1
    assert figures["links"] == {"notebooks/00_summary": [], "notebooks/07_results": [
        "a link to 'gone.html': no such file", "a link to '00_summary.html#nowhere': no such anchor"],
        "notebooks/10_reproducibility": []}
    assert figures["reader"] == ["notebooks/00_summary", "notebooks/07_results"]
    assert (figures["prose"]["words"], figures["prose"]["process"], figures["prose"]["history"]) == (51, 2, 2)
    assert figures["exercises"] == {"notebooks/00_summary": (1, 1), "notebooks/07_results": (2, 1),
                                    "notebooks/10_reproducibility": (1, 1)}
    assert figures["built"] == ["genindex", "index", "notebooks/00_summary", "notebooks/07_results",
                                "notebooks/10_reproducibility"]
    assert figures["missing"] == ["book/method"] and len(figures["toc"]) == 4


def test_the_report_prints_each_figure_and_fails_on_a_problem(tmp_path, capsys):
    html = make_book(tmp_path)
    assert book_report.main(["--html", str(html), "--root", str(tmp_path), "--no-browser"]) == 1
    lines = capsys.readouterr().out.splitlines()
    for expected in [
            "(a) words of prose before the landing page's verdict table: 8 (at most 350)",
            "(b) clipped tables: not measured (no browser)",
            "(c) figures without caption: 1",
            "(d) process words per 1,000 words of prose on the 2 reader pages: 39.22 (2 in 51; at most 3); "
            "history words: 2",
            "    notebooks/07_results: 117.65 per 1,000 (2 in 17: committed, first round)",
            "(e) exercises: 4, solutions: 3, on 3 of 3 pages",
            "    notebooks/07_results: 2 exercises, 1 solutions",
            "(f) HTML pages built: 5 (3 of the 4 pages of _toc.yml, and genindex, index); pages of _toc.yml missing: 1",
            "    book/method: not built",
            "(g) broken internal links: 2",
            "    notebooks/07_results: a link to 'gone.html': no such file",
            "FAILED: (c) 1 figures without caption; (g) 2 broken links"]:
        assert expected in lines, f"{expected!r} not in\n" + "\n".join(lines)
    assert sum(line.startswith("    notebooks/07_results: history: ...") for line in lines) == 2

    fixed = RESULTS.replace("<img src='a.png' alt='a chart of accuracies'/>",
                            "<figure><img src='a.png' alt='a chart of accuracies'/><figcaption>A chart.</figcaption>"
                            "</figure>").replace("gone.html", "07_results.html").replace("#nowhere", "")
    make_book(tmp_path, results=fixed)
    assert book_report.main(["--html", str(html), "--root", str(tmp_path), "--no-browser"]) == 0
    assert "(c) figures without caption: 0" in capsys.readouterr().out

    make_book(tmp_path, results=fixed, landing=LANDING.replace("<th>status</th>", "<th>verdict</th>"))
    assert book_report.main(["--html", str(html), "--root", str(tmp_path), "--no-browser"]) == 1
    out = capsys.readouterr().out
    assert "verdict table: no verdict table (notebooks/00_summary)" in out and "FAILED: no verdict table" in out

    assert book_report.main(["--html", str(tmp_path / "nowhere"), "--root", str(tmp_path), "--no-browser"]) == 2


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason="no Chromium (apt-get install chromium)")
def test_the_report_counts_the_tables_clipped_in_a_browser(tmp_path, capsys):
    """A verdict table with twelve values that cannot wrap is clipped at 1280 px; at 430 px,
    without the book's style sheet, the page scrolls it: clipped too."""
    pytest.importorskip("playwright.sync_api")
    wide = "".join(f"<td>a_long_unbreakable_value_{i}</td>" for i in range(12))
    landing = LANDING.replace("<td>60%</td>", f"<td>60%</td>{wide}")
    html = make_book(tmp_path, landing=landing)
    assert book_report.main(["--html", str(html), "--root", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "(b) clipped tables at 1280 px: 1" in lines, lines
    assert any(line.startswith("(b) clipped tables at 430 px: 1 (0 wide tables scroll") for line in lines), lines
    assert any(line.startswith("    notebooks/00_summary: table 1 (the paper’s claim | status | paper)")
               for line in lines), lines
    assert any(line.startswith("FAILED: (b) 1 clipped tables at 1280 px; (b) 1 clipped tables at 430 px")
               for line in lines), lines
