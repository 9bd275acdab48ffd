"""Tables for reading (ferlib.formatting): percentages with intervals, dashes with a note
for what is missing, no index, nothing NaN or None, and a CSV download beside each."""

import base64
import html
import io
import math
import re

import numpy as np
import pandas as pd
import pytest

from ferlib import formatting as fmt
from ferlib import tables


def rows_of(markdown):
    """The body rows of a Markdown table as lists of cell texts."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


def test_texts_of_single_values():
    assert fmt.percent_text(0.5689607) == "56.9%"
    assert fmt.percent_text(0.7907, digits=2) == "79.07%"
    assert fmt.percent_interval_text(0.569, 0.5527, 0.5851) == "56.9% [55.3,\u00a058.5]"
    assert fmt.percent_interval_text(0.569, float("nan"), None) == "56.9%"
    assert fmt.points_text(-0.0468) == "-4.7" and fmt.points_text(0.02) == "+2.0"
    assert fmt.points_text(0.296, sign=False) == "29.6"
    assert fmt.number_text(3589) == "3,589" and fmt.number_text(2.5, 1, sign=True) == "+2.5"
    assert fmt.range_text(0.605, 0.744) == "60.5% to 74.4%" and fmt.range_text(0.4, 0.4) == "40.0%"
    assert fmt.image_name("fer2013/fer2013.csv.gz:row 33409") == "row 33409"
    assert fmt.image_name("jaffe/KA.AN1.39.tiff") == "KA.AN1.39.tiff"
    assert fmt.shape_text("(None, 44, 44, 64)") == "44×44×64"
    for missing in (None, float("nan"), np.nan, pd.NA):
        assert fmt.percent_text(missing) == fmt.DASH
        assert fmt.number_text(missing) == fmt.DASH
        assert fmt.range_text(missing, 0.5) == fmt.DASH


def test_a_stacked_table_names_each_cells_column_inside_it_for_a_phone():
    """``stacked=True``: the table sits in a container of the class the style sheet lays out
    as cards on a phone, and every cell but the first starts with its column's header (the
    first cell is the card's title); the notes stay under the container."""
    frame = pd.DataFrame({"claim": ["Each network reaches 62%"], "status": ["partly"], "paper": [0.612]})
    columns = [fmt.text("claim", "the paper's claim"), fmt.text("status"), fmt.percent("paper", "paper [%]")]
    markdown = fmt.to_markdown(frame, columns, stacked=True, notes=["A note."])
    lines = markdown.splitlines()
    assert lines[0] == f":::{{container}} {fmt.STACKED_CLASS}" and lines[-3] == ":::" and lines[-1] == "A note."
    assert rows_of(markdown) == [["Each network reaches 62%",
                                  f'<span class="{fmt.LABEL_CLASS}">status:</span> partly',
                                  f'<span class="{fmt.LABEL_CLASS}">paper [%]:</span> 61.2%']]
    assert "the paper's claim |" in markdown  # the header row is the table's own
    plain = fmt.to_markdown(frame, columns)
    assert fmt.STACKED_CLASS not in plain and fmt.LABEL_CLASS not in plain
    assert rows_of(plain) == [["Each network reaches 62%", "partly", "61.2%"]]


def test_table_has_no_index_no_nan_and_a_note_for_dashes():
    frame = pd.DataFrame({"model": [1, 2], "ours": [0.569, np.nan], "low": [0.553, np.nan],
                          "high": [0.585, np.nan], "test_n": pd.array([3589, pd.NA], dtype="Int64"),
                          "note": ["fine", None]}, index=[7, 8])
    markdown = fmt.to_markdown(frame, [fmt.text("model"), fmt.percent_interval("ours", "low", "high"),
                                       fmt.number("test_n", "test images"), "note"],
                               missing="no run of this experiment")
    body = rows_of(markdown)
    assert body == [["1", "56.9% [55.3,\u00a058.5]", "3,589", "fine"], ["2", "–", "–", "–"]]
    assert markdown.splitlines()[0] == "| model | ours [95% interval] | test images | note |"
    assert markdown.splitlines()[1] == "|:---|---:|---:|:---|"  # numbers right-aligned
    assert markdown.rstrip().endswith("– no run of this experiment")
    for word in ("nan", "NaN", "None", "<NA>", "| 7 ", "| 8 "):
        assert word not in markdown, word


def test_the_note_appears_only_when_something_is_missing_and_empty_columns_can_go():
    frame = pd.DataFrame({"a": [1, 2], "b": [np.nan, np.nan]})
    assert "nothing here" not in fmt.to_markdown(frame, ["a"], missing="nothing here")
    assert "nothing here" in fmt.to_markdown(frame, ["a", "b"], missing="nothing here")
    assert rows_of(fmt.to_markdown(frame, ["a", "b"], drop_empty=True)) == [["1"], ["2"]]
    assert fmt.to_markdown(frame.iloc[:0], ["a"], empty="No runs.") == "No runs."


def test_cells_cannot_break_the_table():
    frame = pd.DataFrame({"text": ["a | b\nc", "cost $5"]})
    body = rows_of(fmt.to_markdown(frame, ["text"]))
    assert body == [["a \\| b c"], ["cost \\$5"]]


def test_auto_columns_format_by_type():
    frame = pd.DataFrame({"class": ["angry"], "train": [3995], "share": [0.25], "matches": [True]})
    assert rows_of(fmt.to_markdown(frame)) == [["angry", "3,995", "0.25", "yes"]]


def test_template_and_run_columns():
    frame = pd.DataFrame({"model": [2], "training": ["scratch"], "seed": [1], "live": [28], "units": [1024]})
    markdown = fmt.to_markdown(frame, [fmt.run(), fmt.template("{live} of {units}", "live units")])
    assert rows_of(markdown) == [["Model 2, scratch, seed 1", "28 of 1024"]]
    frame.loc[0, "live"] = None
    assert rows_of(fmt.to_markdown(frame, [fmt.template("{live} of {units}", "live units")])) == [["–"]]


def test_p_values_and_flags():
    frame = pd.DataFrame({"p": [0.0001, 0.0591, None], "ok": [True, False, None]})
    assert rows_of(fmt.to_markdown(frame, [fmt.p_value("p"), fmt.yes_no("ok")])) == [
        ["<0.001", "yes"], ["0.059", "no"], ["–", "–"]]


def test_gains_by_seed_give_each_seed_its_gain_and_p():
    frame = pd.DataFrame({"by_seed": [{0: (0.119, 0.125), 2: (-0.024, 0.0004)}]})
    assert rows_of(fmt.to_markdown(frame, [fmt.gains_by_seed()])) == [["0: +11.9 (p 0.125), 2: -2.4 (p <0.001)"]]


def downloaded(markdown):
    """The file name and the CSV text of the one download link in ``markdown``."""
    (name, payload), = re.findall(r'class="ferlib-csv" download="([^"]*)" href="data:text/csv;base64,([^"]*)"',
                                  markdown)
    return html.unescape(name), base64.b64decode(payload).decode("utf-8")


def test_a_table_comes_with_its_rows_as_csv():
    frame = pd.DataFrame({"model": [1, 2], "ours": [0.569, np.nan], "note": ["a, \"quoted\" one", "é"]})
    markdown = fmt.table_markdown(frame, ["model", fmt.percent("ours")], filename="accuracy-fer2013.csv")
    assert markdown.startswith(fmt.to_markdown(frame, ["model", fmt.percent("ours")]))
    name, csv = downloaded(markdown)
    assert name == "accuracy-fer2013.csv" and "Download accuracy-fer2013.csv (CSV)</a>" in markdown
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(csv)), frame)  # every column as stored, not as shown
    raw = pd.DataFrame({"model": [1, 2], "accuracy": [0.5690123, 0.61]})
    _, csv = downloaded(fmt.table_markdown(frame, ["model"], filename="x.csv", data=raw))
    assert csv.splitlines() == ["model,accuracy", "1,0.5690123", "2,0.61"]
    assert fmt.table(frame, ["model"], filename="x.csv").data == fmt.table_markdown(frame, ["model"], filename="x.csv")


def test_an_empty_table_has_no_download_and_none_asks_for_none():
    empty = pd.DataFrame({"model": pd.Series([], dtype=int)})
    assert fmt.table_markdown(empty, ["model"], filename="x.csv", empty="No runs.") == "No runs."
    frame = pd.DataFrame({"model": [1]})
    assert "ferlib-csv" not in fmt.table_markdown(frame, ["model"], filename=None)
    with pytest.raises(TypeError, match="filename"):
        fmt.table(frame, ["model"])  # a table of the book says what its download is called


def test_the_download_name_and_label_are_escaped():
    link = fmt.csv_link(pd.DataFrame({"a": [1]}), 'a"><script>x</script>.csv', label="<b>rows</b> & more")
    assert "<script>" not in link and "<b>" not in link
    assert 'download="a&quot;&gt;&lt;script&gt;x&lt;/script&gt;.csv"' in link
    assert link.endswith(">&lt;b&gt;rows&lt;/b&gt; &amp; more</a>")


def test_bad_columns_are_refused():
    with pytest.raises(ValueError, match="columns is empty"):
        fmt.to_markdown(pd.DataFrame({"a": [1]}), [])
    with pytest.raises(KeyError, match="nope"):
        fmt.to_markdown(pd.DataFrame({"a": [1]}), ["nope"])


def test_accuracy_bounds_are_the_wilson_interval():
    low, high = tables.accuracy_bounds(29 / 42, 42)
    assert low == pytest.approx(0.5397, abs=1e-4) and high == pytest.approx(0.8093, abs=1e-4)
    assert all(math.isnan(v) for v in tables.accuracy_bounds(float("nan"), 42))
    assert all(math.isnan(v) for v in tables.accuracy_bounds(0.5, pd.NA))


def test_admonition_is_a_myst_box():
    box = fmt.admonition("What we found", ["one", "two"])
    assert box.startswith(":::{admonition} What we found") and box.endswith(":::")
    assert "- one\n- two" in box


def test_link_terms_links_each_statistical_term_once_at_its_first_use():
    text = ("Against HOG, exact McNemar, p < 0.05; the McNemar test again; balanced accuracy 63%, "
            "Balanced accuracy 70%; a Wilson interval; `HOG` in code; HOG once more.")
    assert fmt.link_terms(text) == (
        "Against {term}`HOG`, exact {term}`McNemar <McNemar test>`, p < 0.05; the McNemar test again; "
        "{term}`balanced accuracy` 63%, Balanced accuracy 70%; a {term}`Wilson interval`; `HOG` in code; "
        "HOG once more.")
    assert fmt.link_terms("{term}`HOG` features, then HOG.") == "{term}`HOG` features, then HOG."  # linked already
    assert fmt.link_terms("HOGS and WilsonX are no terms.") == "HOGS and WilsonX are no terms."
    assert set(fmt.GLOSSARY_TERMS.values()) <= set(glossary_entries())


def glossary_entries() -> list:
    """The entries of the book's glossary page, as it defines them."""
    from ferlib.book import project_root

    text = (project_root() / "book" / "glossary.md").read_text(encoding="utf-8")
    return [line for line in text.split("```{glossary}", 1)[1].splitlines() if line and not line[0].isspace()
            and not line.startswith("```")]


def test_an_experiment_names_a_run_s_own_data_set_when_asked():
    row = {"model": 2, "dataset": "ckplus", "training": "from scratch"}
    assert fmt.experiment().render(row) == "Model 2 on CK+, from scratch"
    assert fmt.experiment(run_names=True).render(row) == "Model 2 on CK+48 (6 classes), from scratch"
    assert fmt.experiment(run_names=True).render({**row, "dataset": "ckplus7"}) == (
        "Model 2 on CK+ (7 classes), from scratch")
