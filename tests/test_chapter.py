"""A notebook's parameters are checked first, by name, with a message that says what
each must be (ferlib.chapter.validate_parameters)."""

import pytest

from ferlib import chapter
from ferlib.vocabulary import MODEL_IDS

IDS = ", ".join(map(str, MODEL_IDS))  # "1, 2, 3"
IDS_WORDS = f"{', '.join(map(str, MODEL_IDS[:-1]))} or {MODEL_IDS[-1]}"  # "1, 2 or 3"


@pytest.mark.parametrize("name, value, expected", [
    ("models", 99, f"list of distinct model numbers {IDS}"),
    ("models", "2", "list of distinct model numbers"),
    ("models", [], "non-empty"),
    ("models", [1, 99], IDS),
    ("models", [2, 2], "distinct"),
    ("profile", "huge", "one of ['paper', 'quick', 'smoke']"),
    ("seed", -1, "0..4294967295"),
    ("seed", 1.5, "whole number"),
    ("seed", True, "whole number"),
    ("epochs", 0, "1..10,000"),
    ("epochs", "ten", "whole number"),
    ("data_dir", "/no/such/folder", "an existing folder"),
    ("store", "", "a folder path"),
    ("faces_per_class", 0, "1..100,000"),
    ("top_pairs", None, "1..100,000"),
    ("confusion_model", 99, f"None (the best model on the validation part) or {IDS_WORDS}"),
    ("analysis_model", "best", IDS_WORDS),
    ("results_dir", "/no/such/results", "an existing folder of committed results"),
])
def test_a_wrong_value_is_refused_with_the_parameter_and_what_it_must_be(name, value, expected):
    with pytest.raises(ValueError) as refused:
        chapter.validate_parameters(**{name: value})
    message = str(refused.value)
    assert f"parameter {name!r}" in message and expected in message and repr(value) in message


def test_good_values_pass_and_are_normalised(tmp_path):
    checked = chapter.validate_parameters(models=(3, 1), seed=2.0, epochs=None, profile="paper", data_dir=None,
                                          store=str(tmp_path), cache_dir=None, confusion_model=None,
                                          analysis_model=2, faces=3, results_dir=tmp_path)
    assert checked["models"] == [3, 1] and checked["seed"] == 2 and isinstance(checked["seed"], int)
    assert checked["epochs"] is None and checked["data_dir"] is None and checked["confusion_model"] is None
    assert checked["analysis_model"] == 2 and checked["results_dir"] == str(tmp_path)


def test_an_unknown_parameter_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown parameter 'modles'.*'models'"):
        chapter.validate_parameters(modles=[1])


def test_open_chapter_checks_every_parameter_it_is_given():
    with pytest.raises(ValueError, match="parameter 'models'"):
        chapter.open_chapter(models=4)
    with pytest.raises(ValueError, match="parameter 'faces_per_class'"):
        chapter.open_chapter(profile="smoke", faces_per_class=-2)
    opened = chapter.open_chapter(profile="smoke", models=[2], seed=1, faces_per_class=4)
    assert opened.parameters.models == (2,) and opened.parameters.seed == 1
    assert opened.clock is None  # outside a notebook: no page


def test_opening_a_page_starts_its_clock_for_the_reproduce_box(tmp_path):
    opened = chapter.open_chapter("07_results", profile="smoke", models=[2])
    assert opened.clock.name == "07_results" and 0 <= opened.clock.seconds < 60
    box = opened.clock.box(profile="quick").data
    assert "notebooks/07_results.py" in box and "-p profile quick" in box
    results_dir, clock = chapter.open_results("12_transfer", results_dir=tmp_path)
    assert results_dir == tmp_path and clock.name == "12_transfer"
    assert chapter.open_results("00_summary")[0] == chapter.committed_results()
    with pytest.raises(ValueError, match="parameter 'results_dir'"):
        chapter.open_results("00_summary", results_dir=tmp_path / "missing")


def test_committed_results_default_to_the_project_and_take_another_folder(tmp_path):
    from ferlib.book import project_root
    from ferlib.results import PAPER_RESULTS

    assert chapter.committed_results() == project_root() / PAPER_RESULTS
    assert chapter.committed_results(tmp_path) == tmp_path
    with pytest.raises(ValueError, match="parameter 'results_dir'"):
        chapter.committed_results(tmp_path / "missing")
