"""The checker of the built book's HTML (tests/html_checks.py) finds each thing a reader
must never see, and leaves code and good pages alone."""

import base64

import pytest

from html_checks import launch_links, page_problems

GOOD_TABLE = ("<table><thead><tr><th>model</th><th>ours</th></tr></thead>"
              "<tbody><tr><td>1</td><td>56.9%</td></tr><tr><td>2</td><td>–</td></tr></tbody></table>")
PNG = base64.b64encode(b"\x89PNG" + bytes(2000)).decode()


def page(tmp_path, article, outside=""):
    path = tmp_path / "page.html"
    path.write_text(f"<html><body><nav>{outside}</nav><main><article class='bd-article'>{article}"
                    f"</article></main></body></html>", encoding="utf-8")
    return path


def test_a_clean_page_has_no_problem(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"\x89PNG" + bytes(5000))
    article = (f"<h1>Results</h1><p>Ours: 56.9% [55.3, 58.5]; Bing Nan wrote it.</p>{GOOD_TABLE}"
               f"<img src='fig.png'/><img src='data:image/png;base64,{PNG}'/>"
               "<div class='cell_input'><div class='highlight'><pre>x = None</pre></div></div>"
               "<p>Keras writes <code>(None, 48, 48, 1)</code>.</p>")
    assert page_problems(page(tmp_path, article, outside="None nan")) == []


@pytest.mark.parametrize("article, problem", [
    ("<p>ours: nan</p>", "'nan' in the text"),
    ("<p>gain NaN points</p>", "'NaN' in the text"),
    ("<table><tr><td>None</td></tr></table>", "'None' in the text"),
    ("<p>test size <NA></p>".replace("<NA>", "&lt;NA&gt;"), "'<NA>' in the text"),
    ("<table class='dataframe'><tr><td>1</td></tr></table>", "DataFrame(s) dumped"),
    ("<table><thead><tr><th></th><th>ours</th></tr></thead><tbody><tr><th>0</th><td>0.5</td></tr>"
     "<tr><th>1</th><td>0.6</td></tr><tr><th>2</th><td>0.7</td></tr></tbody></table>", "index column"),
    ("<img src=''/>", "no src"),
    ("<img/>", "no src"),
    ("<img src='data:image/png;base64,'/>", "empty image"),
    ("<img src='missing.png'/>", "is missing"),
    ("<img src='tiny.png'/>", "empty image tiny.png"),
])
def test_each_problem_is_found(tmp_path, article, problem):
    (tmp_path / "tiny.png").write_bytes(b"\x89PNG")
    found = page_problems(page(tmp_path, article))
    assert len(found) == 1 and problem in found[0], found


def test_an_image_outside_a_captioned_figure_is_found(tmp_path):
    from html_checks import figure_problems

    good = ("<figure id='fig-a'><img src='a.png' alt='Three panels of dots, one per data set'/>"
            "<figcaption><p>Figure 1 The paper beside ours.</p></figcaption></figure>")
    assert figure_problems(page(tmp_path, good)) == []
    found = figure_problems(page(tmp_path, "<img src='a.png' alt='a chart of things'/>"))
    assert len(found) == 1 and "outside a captioned figure" in found[0]
    found = figure_problems(page(tmp_path, "<figure><img src='a.png' alt='a chart of things'/></figure>"))
    assert found == ["figure 1 has no caption"]
    hashed = good.replace("Three panels of dots, one per data set", "../_images/0123456789abcdef0123.png")
    assert "not a description in words" in figure_problems(page(tmp_path, hashed))[0]


def test_a_link_to_a_missing_page_or_anchor_is_broken(tmp_path):
    from html_checks import broken_links

    (tmp_path / "other.html").write_text("<html><body><h2 id='there'>x</h2></body></html>")
    good = page(tmp_path, "<a href='other.html#there'>ok</a><a href='#top'>top</a><p id='top'>t</p>"
                          "<a href='https://example.org/x'>out</a><a href='data:text/csv;base64,AA=='>csv</a>")
    assert broken_links(good, tmp_path) == []
    bad = page(tmp_path, "<a href='gone.html'>x</a><a href='other.html#nowhere'>y</a>")
    assert broken_links(bad, tmp_path) == ["a link to 'gone.html': no such file",
                                           "a link to 'other.html#nowhere': no such anchor"]


def test_process_words_and_words_before_the_first_table(tmp_path):
    from html_checks import process_word_rate, process_words, prose_text, words_before_first_table

    text = "The committed runs of the settled protocol, from the run store, in this build."
    assert [w.lower() for w in process_words(text)] == ["committed", "settled", "run store", "this build"]
    assert process_word_rate(text) == pytest.approx(1000 * 4 / 14)
    assert process_words("The protocol trains Model 2 on FER2013.") == []
    from html_checks import history_words

    assert len(history_words(text)) == 4 and history_words(text)[0].startswith("The committed runs")
    assert history_words("A session of the first round; sessions.") == ["A session of the first round; sessions.",
                                                                      "A session of the first round; sessions.",
                                                                      "A session of the first round; sessions."]
    assert history_words("The code of Model 2 (commit 55f578f) was trained; the profile of a face.") == []
    path = page(tmp_path, "<h1>A long title of many words</h1><p>One two [three] – four.</p>" + GOOD_TABLE
                + "<p>after the table</p>")
    assert words_before_first_table(path) == 4 and prose_text(path).startswith("One two")
    assert words_before_first_table(page(tmp_path, "<p>no table</p>")) is None


def test_a_long_table_must_be_folded(tmp_path):
    from html_checks import tables_too_long

    rows = "".join(f"<tr><td>{i}</td></tr>" for i in range(16))
    table = f"<table><thead><tr><th>n</th></tr></thead><tbody>{rows}</tbody></table>"
    assert tables_too_long(page(tmp_path, table)) == ["table 1: 16 rows shown open (at most 15)"]
    assert tables_too_long(page(tmp_path, f"<details><summary>all</summary>{table}</details>")) == []
    assert tables_too_long(page(tmp_path, GOOD_TABLE)) == []


def test_a_table_without_its_csv_download_is_found(tmp_path):
    from html_checks import tables_without_download

    link = "<p><a class='ferlib-csv' download='a.csv' href='data:text/csv;base64,YQo='>Download a.csv (CSV)</a></p>"
    good = (f"<h2>One</h2>{GOOD_TABLE}<p>– no run</p>{link}<h2>Two</h2>"
            f"<details><summary>Every run</summary>{GOOD_TABLE}</details>{link}")
    assert tables_without_download(page(tmp_path, good)) == []
    assert tables_without_download(page(tmp_path, "<p>no table</p>")) == []
    bad = f"{GOOD_TABLE}<h2>Next</h2>{link}{GOOD_TABLE}{GOOD_TABLE}{link}{GOOD_TABLE}<a href='x.csv'>x</a>"
    assert tables_without_download(page(tmp_path, bad)) == [
        "table 1 (model | ours): no CSV download after it",  # the link comes after the next heading
        "table 2 (model | ours): no CSV download after it",  # one link for the next table only
        "table 4 (model | ours): no CSV download after it"]  # a link that is not a download
    in_code = f"<div class='cell_input'><pre>{GOOD_TABLE}</pre></div>"
    assert tables_without_download(page(tmp_path, in_code)) == []


def test_launch_links_are_the_links_of_the_launch_dropdown_only(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<div class='header'><a href='https://github.com/o/r' title='Source repository'>r</a>"
                    "<div class='dropdown dropdown-launch-buttons'><button>rocket</button><ul>"
                    "<li><a href='https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/n.py&amp;x=1' "
                    "title='Launch on Binder'><div><span>Binder</span></div></a></li>"
                    "<li><a href='https://colab.research.google.com/github/o/r/blob/main/n.py' "
                    "title='Launch on Colab'>Colab</a></li></ul></div>"
                    "<a href='https://example.org/after'>after</a></div>", encoding="utf-8")
    assert launch_links(path) == [
        ("Launch on Binder", "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/n.py&x=1"),
        ("Launch on Colab", "https://colab.research.google.com/github/o/r/blob/main/n.py")]
    path.write_text("<div><a href='https://github.com/o/r'>r</a></div>", encoding="utf-8")
    assert launch_links(path) == []


def test_exercises_and_their_solutions_are_counted(tmp_path):
    from html_checks import exercise_counts

    exercise = "<div class='exercise admonition' id='ex-a'><p class='admonition-title'>Exercise 1</p><p>Q</p></div>"
    solution = "<details class='solution dropdown admonition'><summary>Solution</summary><p>A</p></details>"
    assert exercise_counts(page(tmp_path, exercise * 2 + solution)) == (2, 1)
    assert exercise_counts(page(tmp_path, "<p>An exercise-free page</p>", outside=exercise)) == (0, 0)


VERDICT_TABLE = ("<table><thead><tr><th>the paper’s claim</th><th>status</th><th>paper</th><th>ours</th></tr></thead>"
                 "<tbody><tr><td>1. A claim</td><td>reproduced</td><td>61%</td><td>60%</td></tr>"
                 "<tr><td>2. Another claim</td><td>untested</td><td>70%</td><td>–</td></tr></tbody></table>")
LANDING = ("<h1>A title</h1><p>Eight words of prose come before the table.</p>" + VERDICT_TABLE
           + "<figure id=\"fig-summary\"><img src='s.png' alt='the summary of every claim'/>"
             "<figcaption>The summary.</figcaption></figure><section id=\"scope\"><p>Scope.</p></section>")


@pytest.mark.parametrize("change, problem", [
    (("", ""), None),
    (("<th>status</th>", "<th>verdict</th>"), "no verdict table first"),
    ((VERDICT_TABLE, ""), "the page has no table"),
    (("<p>Eight", GOOD_TABLE + "<p>Eight"), "no verdict table first: the first table's header is ['model', 'ours']"),
    (("<td>reproduced</td>", "<td>partly</td>"), "reads no claim reproduced"),
    (("<td>untested</td>", "<td>reproduced</td>"), "reads no claim partly reproduced or untested"),
    (("Eight words", "Eight words" + " more" * 343), "351 words of prose before the verdict table (at most 350)"),
    (('id="scope"', 'id="elsewhere"'), "the summary figure (fig-summary) does not come before the scope"),
], ids=["verdict-first", "no-status", "no-table", "another-table-first", "none-reproduced", "none-untested",
        "too-many-words", "figure-after-scope"])
def test_the_landing_page_must_open_on_its_verdict_table(tmp_path, change, problem):
    from html_checks import verdict_table, verdict_table_problems

    path = page(tmp_path, LANDING.replace(*change))
    found = verdict_table_problems(path)
    if problem is None:
        assert found == [] and verdict_table(path)[0] == ["the paper’s claim", "status", "paper", "ours"]
    else:
        assert len(found) == 1 and problem in found[0], found
        assert (verdict_table(path) is None) == found[0].startswith("no verdict table")


def test_the_process_words_of_reader_pages_are_counted_page_by_page(tmp_path):
    from html_checks import process_word_report

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = page(tmp_path / "a", "<h1>The committed title</h1><p>The committed runs of the first round.</p>"
                                 "<pre>profile = 'paper'</pre>")
    second = page(tmp_path / "b", "<p>A network trained on faces, in a session.</p>")
    report = process_word_report([first, second])
    assert [p["words"] for p in report["pages"]] == [7, 8] and report["words"] == 15
    assert [p["process"] for p in report["pages"]] == [["committed", "first round"], []] and report["process"] == 2
    assert [len(p["history"]) for p in report["pages"]] == [2, 1] and report["history"] == 3
    assert [p["path"] for p in report["pages"]] == [first, second]


def test_a_browser_report_is_judged_by_the_width_it_was_made_at():
    from html_checks import LAPTOP, PHONE, clipped_tables, layout_problems

    report = {"clipped": ["table 1 (a): 900 px of content in 700 px"], "unusable": [], "scrolling": 1,
              "overflow": False, "figures_too_wide": [], "figures_blurry": [], "tables": 2}
    assert clipped_tables(report, LAPTOP) == report["clipped"] == layout_problems(report, LAPTOP)
    assert clipped_tables(report, PHONE) == [] and layout_problems(report, PHONE) == []
    report.update(unusable=["table 1 (a): scrolled by the page, not by a box of its own"], overflow=True,
                  figures_blurry=["figure 1: 600 image pixels shown 600 px wide"])
    assert clipped_tables(report, PHONE) == report["unusable"]
    assert layout_problems(report, PHONE) == [report["unusable"][0], "the page is wider than the window",
                                              report["figures_blurry"][0]]
