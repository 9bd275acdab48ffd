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


#: The largest PNG a figure of the book may be at the book's resolution (the heaviest,
#: the sensitivity study's and the summary figure, are 150-200 KiB).
MAX_FIGURE_KIB = 400


def test_a_figure_is_drawn_at_twice_the_pixels_a_page_shows_it_at():
    """Every figure of the book goes through figure_image: its PNG has FIGURE_DPI pixels per
    inch, twice the DISPLAY_DPI CSS pixels per inch the page shows it at (the ``width`` it
    carries), so text stays sharp on a high-density screen; RGB, no alpha channel."""
    import io

    from IPython.core.formatters import format_display_data
    from PIL import Image

    from ferlib import figures

    assert figures.FIGURE_DPI == 2 * figures.DISPLAY_DPI
    figure = figures.Figure(figsize=(7.2, 3.0))
    figure.add_subplot().plot([0, 1], [0, 1])
    shown = chapter.figure_image(figure)
    _, metadata = format_display_data(shown)
    width = metadata["image/png"]["width"]
    image = Image.open(io.BytesIO(shown.data))
    assert image.mode == "RGB" and abs(image.width - 2 * width) <= 1
    assert 0.75 * 7.2 * figures.DISPLAY_DPI <= width <= 7.2 * figures.DISPLAY_DPI  # cropped to what it draws
    png, half = chapter.png_image(figure, dpi=figures.DISPLAY_DPI)  # one pixel per CSS pixel
    assert Image.open(io.BytesIO(png)).width == half == pytest.approx(width, abs=1)
    with pytest.raises(ValueError, match="dpi must be at least 100"):
        chapter.png_image(figure, dpi=72)


def test_the_books_heaviest_figures_stay_small_at_its_resolution():
    """The figures with the most marks, drawn from the results in the repository at the
    book's resolution, stay under MAX_FIGURE_KIB each: the summary figure and the
    sensitivity study's. Their text reads at PHONE_TEXT_PX or more in the laptop's column
    and the phone's; a laptop shows them at their size and a phone at 70% of it or more,
    every panel 200 px wide or more (at 7.2 inches they were shown at 52%, the study's
    panels side by side 77 px wide), and nothing they draw sticks out of the figure."""
    from ferlib import compare, figures, results, study

    results_dir = chapter.project_root() / "results" / "paper"
    runs = results.committed_runs(results_dir)
    seed_runs = results.protocol_seed_runs(runs)
    baselines = compare.baseline_accuracies(compare.read_baselines(results_dir / "baselines.json"))
    drawn = {"summary": figures.accuracy_intervals_figure(compare.accuracy_summary(seed_runs, baselines))}
    for name in study.ROUNDS:
        drawn[name] = figures.study_figure(study.study_runs(runs, round=name), round=name)
    for name, figure in drawn.items():
        png, width = chapter.png_image(figure)
        assert len(png) <= MAX_FIGURE_KIB * 1024, f"{name}: {len(png) // 1024} KiB"
        assert width <= 7.5 * figures.DISPLAY_DPI, f"{name}: {width} px wide, wider than the book's column"
        assert width <= (figure.get_figwidth() + 2 * figures.CROP_PAD) * figures.DISPLAY_DPI + 1, \
            f"{name}: {width} px drawn, wider than the figure"
        for column in (figures.COLUMN_PX, figures.PHONE_COLUMN_PX):
            assert figures.shown_text_px(figure, column) >= figures.PHONE_TEXT_PX, \
                f"{name}: its text is too small in a column {column} px wide"
        assert figures.shown_scale(figure.get_figwidth(), figures.COLUMN_PX) == 1, f"{name}: shrunk on a laptop"
        assert figures.shown_scale(figure.get_figwidth(), figures.PHONE_COLUMN_PX) >= 0.7, f"{name}: shrunk on a phone"
        assert figures.shown_panel_px(figure, figures.PHONE_COLUMN_PX) >= 200, f"{name}: narrow panels on a phone"
