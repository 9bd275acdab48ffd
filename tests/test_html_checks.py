"""The checker of the built book's HTML (tests/html_checks.py) finds each thing a reader
must never see, and leaves code and good pages alone."""

import base64

import pytest

from html_checks import page_problems

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
