"""The book's figures (ferlib.figures), tables (ferlib.tables) and the paper's numbers
(ferlib.paper): each figure draws what it is given, on small data made here."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ferlib import figures, paper, results, tables  # noqa: E402
from ferlib.datasets.base import make_dataset  # noqa: E402
from ferlib.labels import EMOTIONS  # noqa: E402


def faces(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 48, 48), dtype=np.uint8)


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_sample_faces_shows_each_class_and_marks_missing_ones():
    labels = np.array([0, 0, 0, 1, 3, 3, 4, 5, 6, 6])  # no fear (2)
    fig = figures.sample_faces_figure(faces(10), labels, per_class=2, title="demo")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 7 * 2
    assert len(image_axes(fig)) == 2 + 1 + 0 + 2 + 1 + 1 + 2
    ylabels = [fig.axes[2 * row].get_ylabel() for row in range(7)]
    assert ylabels[0] == "angry" and ylabels[2] == "fear\n(none)"
    assert fig._suptitle.get_text() == "demo"


def test_sample_faces_draws_the_given_pixels():
    images = np.zeros((7, 48, 48), dtype=np.uint8)
    images[3] = 200
    fig = figures.sample_faces_figure(images, np.arange(7), per_class=1)
    happy = fig.axes[3].images[0].get_array()
    assert happy.shape == (48, 48) and int(happy.max()) == 200


@pytest.mark.parametrize("bad, message", [
    (dict(images=np.zeros((3, 40, 40), np.uint8), labels=np.zeros(3, int)), "shape"),
    (dict(images=np.zeros((3, 48, 48), np.uint8), labels=np.zeros(2, int)), "labels"),
    (dict(images=np.zeros((3, 48, 48), np.uint8), labels=np.array([0, 1, 9])), "0..6"),
])
def test_sample_faces_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        figures.sample_faces_figure(bad["images"], bad["labels"])


def test_class_counts_one_panel_per_dataset_with_the_counts():
    counts = {"fer2013": {"angry": 5, "disgust": 1, "fear": 4, "happy": 9, "sad": 6, "surprise": 4,
                          "neutral": 6},
              "synthetic-jaffe": {c: 3 for c in EMOTIONS}}
    fig = figures.class_counts_figure(counts)
    assert len(fig.axes) == 2
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == [5, 1, 4, 9, 6, 4, 6]
    assert fig.axes[0].get_title() == "FER2013: 35 images"
    assert fig.axes[1].get_title() == "JAFFE (synthetic): 21 images"
    three = figures.class_counts_figure({**counts, "ckplus7": {c: 1200 for c in EMOTIONS}})
    assert three.axes[2].get_title() == "CK+ (7 classes): 8,400 images"
    assert [t.get_text() for t in three.axes[2].texts] == ["1,200"] * 7
    # one panel above the other, shown at its size in the book's column: the counts are not shrunk away
    three.draw_without_rendering()
    boxes = [ax.get_position() for ax in three.axes]
    assert boxes[0].y0 > boxes[1].y1 and boxes[1].y0 > boxes[2].y1
    assert figures.shown_scale(three.get_figwidth(), figures.COLUMN_PX) == 1
    assert min(t.get_fontsize() for t in three.axes[0].texts) >= 7
    with pytest.raises(ValueError, match="unknown classes"):
        figures.class_counts_figure({"x": {"contempt": 3}})


def test_balancing_figure_draws_before_and_after():
    table = pd.DataFrame({"emotion": list(EMOTIONS), "before": [5, 1, 2, 3, 4, 5, 6],
                          "after": [6] * 7})
    fig = figures.balancing_figure(table)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == [5, 1, 2, 3, 4, 5, 6] + [6] * 7
    with pytest.raises(ValueError, match="after"):
        figures.balancing_figure(table.drop(columns="after"))


def test_augmentation_figure_rows_are_faces_columns_operations():
    grid = {name: faces(3, seed=i) for i, name in enumerate(["original", "flip", "blur"])}
    fig = figures.augmentation_figure(grid)
    assert len(image_axes(fig)) == 9
    assert [ax.get_title() for ax in fig.axes[:3]] == ["original", "flip", "blur"]
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), grid["blur"][0])
    with pytest.raises(ValueError, match="same number"):
        figures.augmentation_figure({"a": faces(2), "b": faces(3)})


def history(values):
    n = len(values)
    return pd.DataFrame({"epoch": np.arange(1, n + 1), "accuracy": values, "val_accuracy": values[::-1],
                         "loss": np.linspace(2, 1, n), "val_loss": np.linspace(2.1, 1.2, n)})


def test_training_curves_plot_train_and_validation_per_run():
    fig = figures.training_curves_figure({"Model 1, scratch": history([0.1, 0.2, 0.4]),
                                          "Model 1, fine-tuned": history([0.3, 0.5, 0.6])})
    assert len(fig.axes) == 4
    accuracy_ax = fig.axes[2]
    assert accuracy_ax.get_title() == "Model 1, fine-tuned: accuracy"
    train, val = accuracy_ax.lines
    np.testing.assert_allclose(train.get_ydata(), [0.3, 0.5, 0.6])
    np.testing.assert_allclose(val.get_ydata(), [0.6, 0.5, 0.3])
    with pytest.raises(ValueError, match="val_loss"):
        figures.training_curves_figure({"x": history([0.1]).drop(columns="val_loss")})


def test_learning_curves_fill_the_column_at_their_size():
    """The learning curves (Figs. 7-9) are shown at their size, 90-100% of the book's
    column wide, their smallest text at 7 pt or more (a CSS point is 4/3 CSS pixels)."""
    fig = figures.training_curves_figure({"Model 2, scratch": history([0.2, 0.4, 0.5, 0.55])})
    shown = (fig.get_figwidth() + 2 * figures.CROP_PAD) * figures.DISPLAY_DPI
    assert 0.9 * figures.COLUMN_PX <= shown <= figures.COLUMN_PX
    assert figures.shown_text_px(fig, figures.COLUMN_PX) >= 7 * 4 / 3


def test_confusion_figure_shows_counts_and_row_normalised_values():
    confusion = np.diag([2, 1, 3, 4, 5, 6, 7])
    confusion[0, 1] = 2
    fig = figures.confusion_figure(confusion, title="t")
    heatmaps = image_axes(fig)
    assert len(heatmaps) == 2
    fig.draw_without_rendering()
    assert heatmaps[0].get_position().y0 > heatmaps[1].get_position().y1  # counts above, shares below
    np.testing.assert_array_equal(heatmaps[0].images[0].get_array(), confusion)
    np.testing.assert_allclose(heatmaps[1].images[0].get_array()[0, :2], [0.5, 0.5])
    texts = {t.get_text() for t in heatmaps[1].texts}
    assert "0.50" in texts
    with pytest.raises(ValueError, match="shape"):
        figures.confusion_figure(np.zeros((6, 6)))


def test_emotion_analysis_has_a_face_and_seven_bars_per_row():
    probabilities = np.full((2, 7), 0.05)
    probabilities[0, 3] = 0.7
    probabilities[1, 5] = 0.7
    fig = figures.emotion_analysis_figure(faces(2), probabilities, np.array([3, 0]),
                                          captions=["a", "b"])
    assert len(fig.axes) == 4
    assert len(image_axes(fig)) == 2
    bars = fig.axes[1].patches
    assert len(bars) == 7
    assert bars[3].get_width() == pytest.approx(0.7)
    assert fig.axes[1].get_title() == "predicted: happy (0.70)"
    assert fig.axes[2].get_title() == "b\ntrue: angry"
    with pytest.raises(ValueError, match="probabilities"):
        figures.emotion_analysis_figure(faces(2), probabilities[:, :6], np.array([3, 0]))


def test_paper_table_1_and_tables_5_to_7():
    table = paper.table_1_frame()
    assert table.loc["total", "jaffe"] == 213
    assert table.loc["neutral", "ckplus"] == 327
    assert paper.paper_accuracy(2, "jaffe", "fer2013") == pytest.approx(0.7907)
    frame = paper.accuracy_frame()
    assert len(frame) == 15 and set(frame["training"]) == {"scratch", "fine-tuned"}
    # the quoted ranges are the extremes of the tables
    for (dataset, training), (low, high) in paper.QUOTED_RANGES.items():
        values = frame[(frame["dataset"] == dataset) & (frame["training"] == training)]["accuracy"]
        assert (values.min(), values.max()) == pytest.approx((low, high))
    with pytest.raises(ValueError, match="no accuracy"):
        paper.paper_accuracy(4, "jaffe")


def test_consistent_test_sizes():
    assert paper.consistent_test_sizes(32 / 43, [42, 43, 86]) == [43, 86]
    assert paper.consistent_test_sizes(0.5, [3]) == []
    assert paper.consistent_test_sizes(2196 / 3589, [3589]) == [3589]
    with pytest.raises(ValueError, match="fraction"):
        paper.consistent_test_sizes(61.19, [100])


# --------------------------------------------------------------------- ferlib.tables


def small_dataset():
    labels = np.array([0, 0, 1, 3, 3, 3, 6, 6])
    return make_dataset("demo", faces(8), labels, sequence=["s1", "s1", "s2", "s3", "s3", "s4", "", ""],
                        source=[f"f{i}" for i in range(8)])


def test_class_split_table_counts_parts_sequences_and_paper():
    dataset = small_dataset()
    split = np.array(["train", "test", "train", "train", "val", "test", "train", "val"])
    table = results.class_split_table(dataset, split, paper_counts={"angry": 10, "happy": 5})
    assert list(table.columns) == ["train", "val", "test", "all", "sequences", "paper"]
    assert table.loc["angry"].tolist() == [1, 0, 1, 2, 1, 10]
    assert table.loc["happy"].tolist() == [1, 1, 1, 3, 2, 5]
    assert table.loc["total", "all"] == 8
    with pytest.raises(ValueError, match="split"):
        results.class_split_table(dataset, split[:3])


def test_confused_pairs_orders_mistakes():
    confusion = np.diag([5] * 7)
    confusion[1, 0] = 3
    confusion[2, 4] = 1
    pairs = tables.confused_pairs(confusion, top=5)
    assert pairs[["true", "predicted", "count"]].values.tolist() == [["disgust", "angry", 3],
                                                                      ["fear", "sad", 1]]
    assert pairs["share_of_true"][0] == pytest.approx(3 / 8)


def test_example_indices_and_images_for_sources():
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    picked = tables.example_indices(labels, n=3, seed=1)
    assert sorted(labels[picked].tolist()) == [0, 1, 2]
    assert len(tables.example_indices(labels, n=10)) == 7
    dataset = small_dataset()
    images = tables.images_for_sources(dataset, ["f3", "f0"])
    np.testing.assert_array_equal(images, dataset.images[[3, 0]])
    with pytest.raises(ValueError, match="f99"):
        tables.images_for_sources(dataset, ["f99"])


class FakeRun:
    def __init__(self, accuracy, val_accuracy=0.5):
        self.metrics = {"test": {"accuracy": accuracy, "accuracy_se": 0.01, "n": 40},
                        "val": {"accuracy": val_accuracy}}


def test_results_table_and_scratch_vs_finetuned():
    runs = {(2, "jaffe", None): FakeRun(0.6), (2, "jaffe", "fer2013"): FakeRun(0.7),
            (2, "fer2013", None): FakeRun(0.5)}
    results = tables.results_table(runs)
    assert len(results) == 15
    row = results[(results["model"] == 2) & (results["dataset"] == "jaffe")
                  & (results["training"] == "fine-tuned")].iloc[0]
    assert row["ours"] == pytest.approx(0.7)
    assert row["difference"] == pytest.approx(0.7 - 0.7907)
    assert results["ours"].isna().sum() == 12
    gains = tables.scratch_vs_finetuned(results, "jaffe")
    assert gains.loc[2, "ours_gain"] == pytest.approx(0.1)
    assert gains.loc[1, "paper_gain"] == pytest.approx(0.7674 - 0.7402)
    assert tables.accuracy_range(results, "jaffe", "scratch") == pytest.approx((0.6, 0.6))


def test_select_run_uses_validation_not_test_accuracy():
    runs = {(1, "jaffe", "fer2013"): FakeRun(0.9, val_accuracy=0.4),
            (2, "jaffe", "fer2013"): FakeRun(0.5, val_accuracy=0.6),
            (3, "jaffe", None): FakeRun(0.99, val_accuracy=0.99)}
    key, _ = tables.select_run(runs, "jaffe")
    assert key == (2, "jaffe", "fer2013")
    key, _ = tables.select_run(runs, "jaffe", model=1)
    assert key == (1, "jaffe", "fer2013")
    with pytest.raises(ValueError, match="ckplus"):
        tables.select_run(runs, "ckplus")


def test_test_size_audit_flags_the_jaffe_accuracies():
    audit = tables.test_size_audit()
    jaffe = audit[audit["dataset"] == "jaffe"]
    fits_43 = [bool(paper.consistent_test_sizes(v, [43])) for v in jaffe["paper"]]
    assert jaffe["stated_n_possible"].sum() < len(jaffe)
    assert sum(fits_43) > jaffe["stated_n_possible"].sum()


def test_architecture_and_parameter_tables_compare_with_the_paper():
    table = tables.architecture_table(2)
    assert {"paper_output_shape", "paper_params", "matches"} <= set(table.columns)
    assert table["matches"].all()
    assert table["params"].sum() == paper_total(2)
    counts = tables.parameter_table([2])
    assert counts.loc[0, "params"] == counts.loc[0, "paper_params"] == 1_485_831
    assert bool(counts.loc[0, "matches"])


def paper_total(model_id):
    from ferlib.paper import PARAM_COUNTS

    return PARAM_COUNTS[model_id][0]


def test_finetune_summary_and_range_table():
    runs = {(2, "jaffe", None): FakeRun(0.6), (2, "jaffe", "fer2013"): FakeRun(0.7),
            (2, "ckplus", None): FakeRun(0.5), (2, "ckplus", "fer2013"): FakeRun(0.4)}
    results = tables.results_table(runs)
    summary = tables.finetune_summary(results)
    assert summary["compared"] == 2 and summary["helped"] == 1
    assert summary["ours_mean_gain"] == pytest.approx(0.0)
    paper_gains = [paper.ACCURACY[(m, d, "fer2013")] - paper.ACCURACY[(m, d, None)]
                   for m in (1, 2, 3) for d in ("jaffe", "ckplus")]
    assert summary["paper_mean_gain"] == pytest.approx(np.mean(paper_gains))
    same = [paper.ACCURACY[(2, d, "fer2013")] - paper.ACCURACY[(2, d, None)] for d in ("jaffe", "ckplus")]
    assert summary["paper_same_gain"] == pytest.approx(np.mean(same)), "the paper's pairs that we compare"
    alone = tables.finetune_summary(tables.results_table({(2, "jaffe", None): FakeRun(0.6)}))
    assert np.isnan(alone["paper_same_gain"]) and np.isnan(alone["ours_mean_gain"])
    ranges = tables.range_table(results)
    row = ranges[(ranges["dataset"] == "ckplus") & (ranges["training"] == "fine-tuned")].iloc[0]
    assert (row["paper_low"], row["paper_high"]) == (0.5096, 0.6881)
    assert row["ours_low"] == row["ours_high"] == pytest.approx(0.4)
    assert row["ours_models"] == 1 and ranges["ours_models"].max() == 1


def test_accuracy_intervals_figure_draws_paper_ours_and_baselines():
    from types import SimpleNamespace

    from ferlib import compare

    def run(accuracy, n=42):
        return SimpleNamespace(metrics={"test": {"accuracy": accuracy, "n": n}})

    seed_runs = {(2, "jaffe", None): [run(0.5), run(0.6), run(0.7)], (1, "jaffe", None): [run(0.75)],
                 (2, "fer2013", None): [run(0.57, 3589)]}
    baselines = pd.DataFrame([{"dataset": "jaffe", "n": 42, "majority": 0.14, "logistic_pixels": 0.69,
                               "hog_logistic": 0.76}])
    summary = compare.accuracy_summary(seed_runs, baselines)
    assert len(summary) == 15 and int((summary["seeds"] > 0).sum()) == 3
    three = summary[(summary["model"] == 2) & (summary["dataset"] == "jaffe") & (summary["training"] == "scratch")].iloc[0]
    assert three["ours"] == pytest.approx(0.6) and three["interval"] == "over seeds"
    assert three["low"] == pytest.approx(0.6 - 4.3027 * 0.1 / np.sqrt(3), abs=1e-3)  # t(0.975, 2 df)
    one = summary[(summary["model"] == 1) & (summary["dataset"] == "jaffe") & (summary["training"] == "scratch")].iloc[0]
    assert one["interval"] == "Wilson" and one["low"] < 0.75 < one["high"]
    assert summary.loc[summary["dataset"] == "jaffe", "hog_logistic"].eq(0.76).all()
    assert summary.loc[summary["dataset"] == "ckplus", "hog_logistic"].isna().all()

    fig = figures.accuracy_intervals_figure(summary)
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == ["FER2013", "JAFFE", "CK+ (7 classes)"]
    jaffe = axes[1]
    labels = [t.get_text() for t in jaffe.get_yticklabels()]
    assert "Model 2, scratch\n3 seeds" in labels and "Model 1, scratch" in labels  # one run: no count
    assert sum(t.get_text() == "no run" for t in jaffe.texts) == 4  # Model 3 from scratch and the fine-tunes
    assert sum(t.get_text() == "no run" for t in axes[2].texts) == 6
    def is_chance(line):
        return line.get_color() == figures.CHANCE_STYLE[0]

    vertical = [line for line in jaffe.lines if len(set(line.get_xdata())) == 1 and len(line.get_xdata()) == 2
                and tuple(line.get_ydata()) == (0, 1) and not is_chance(line)]
    assert sorted(round(float(line.get_xdata()[0]), 2) for line in vertical) == [0.14, 0.69, 0.76]
    assert not [line for line in axes[2].lines if tuple(line.get_ydata()) == (0, 1) and not is_chance(line)], \
        "CK+ has no baseline here"
    for ax in axes:  # chance, one in seven, on every data set
        (chance,) = [line for line in ax.lines if is_chance(line) and tuple(line.get_ydata()) == (0, 1)]
        assert float(chance.get_xdata()[0]) == pytest.approx(1 / 7)
    diamonds = [line for line in jaffe.lines if line.get_marker() == "D"]
    assert sorted(float(line.get_xdata()[0]) for line in diamonds) == sorted(
        v for (m, d, s), v in paper.ACCURACY.items() if d == "jaffe")
    with pytest.raises(ValueError, match="lacks the columns"):
        figures.accuracy_intervals_figure(summary.drop(columns=["paper"]))


def test_readable_on_a_phone_raises_only_the_small_text():
    fig = Figure(figsize=(7.2, 3.0))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="a line")
    ax.legend(fontsize=5)
    ax.set_title("large", fontsize=20)
    ax.tick_params(labelsize=6)
    ax.text(0.5, 0.5, "a note", fontsize=4)
    assert figures.shown_text_px(fig) < 5
    assert figures.readable_on_a_phone(fig) is fig
    assert figures.shown_text_px(fig) >= figures.PHONE_TEXT_PX
    assert ax.title.get_fontsize() == 20
    assert figures.shown_text_px(Figure()) == float("inf")


def test_shown_scale_is_the_columns_share_of_the_figure():
    assert figures.shown_scale(7.2, 688) == pytest.approx(688 / 740)
    assert figures.shown_scale(3.0, 688) == 1
    with pytest.raises(ValueError, match="width"):
        figures.shown_scale(0.0)


def _summary():
    from types import SimpleNamespace

    from ferlib import compare

    runs = [SimpleNamespace(metrics={"test": {"accuracy": a, "n": 42}}) for a in (0.5, 0.6, 0.7)]
    baselines = pd.DataFrame([{"dataset": "jaffe", "n": 42, "majority": 0.14, "logistic_pixels": 0.69,
                               "hog_logistic": 0.76}])
    return compare.accuracy_summary({(2, "jaffe", None): runs}, baselines)


#: Every figure of ferlib.figures drawn on small data, as the book draws it (the sensitivity
#: study's figure is drawn from the repository's results in tests/test_chapter.py).
PHONE_FIGURES = {
    "sample faces": lambda: figures.sample_faces_figure(faces(21), np.arange(21) % 7, per_class=4, title="t"),
    "class counts": lambda: figures.class_counts_figure(
        {name: {c: 1000 + 937 * i for i, c in enumerate(EMOTIONS)} for name in ("fer2013", "ckplus7", "jaffe")}),
    "balancing": lambda: figures.balancing_figure(pd.DataFrame({"emotion": list(EMOTIONS),
                                                                "before": [5, 1, 2, 3, 4, 5, 6], "after": [6] * 7})),
    "augmentation": lambda: figures.augmentation_figure(
        {name: faces(4, seed=i) for i, name in enumerate(["original", "flip", "rotation", "zoom", "translation",
                                                          "blur", "noise", "combined"])}),
    "training curves": lambda: figures.training_curves_figure({f"Model {m}, scratch": history([0.2, 0.4, 0.5])
                                                               for m in (1, 2, 3)}, title="t"),
    "confusion": lambda: figures.confusion_figure(np.full((7, 7), 1234), title="t"),
    "emotion analysis": lambda: figures.emotion_analysis_figure(faces(3), np.full((3, 7), 1 / 7), np.arange(3),
                                                                captions=["a", "b", "c"], title="t"),
    "accuracy intervals": lambda: figures.accuracy_intervals_figure(_summary()),
}


@pytest.mark.parametrize("name", PHONE_FIGURES)
def test_every_figure_reads_on_a_phone(name):
    """Shrunk to a phone's column, a figure's smallest text is still PHONE_TEXT_PX high
    (it was 5 px where two or three panels sat side by side with 7-8 pt text)."""
    fig = PHONE_FIGURES[name]()
    assert figures.shown_text_px(fig, figures.PHONE_COLUMN_PX) >= figures.PHONE_TEXT_PX


def test_shown_panel_px_is_the_narrowest_panels_width_where_shown():
    fig = Figure(figsize=(7.8, 3.0))
    fig.subplots_adjust(left=0, right=1, wspace=0)
    fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})  # 5.85 and 1.95 inches
    assert figures.shown_panel_px(fig, 800) == pytest.approx(195)  # 800 px shows 780: at its size
    assert figures.shown_panel_px(fig, 400) == pytest.approx(195 * 400 / 800)
    assert figures.shown_panel_px(Figure()) == float("inf")


def _study_runs():
    """The sensitivity study's protocol round on JAFFE (every cell, three seeds) and its
    protocol cell on CK+ (7 classes), for two networks: fake runs, as
    :func:`ferlib.study.study_runs` gives them."""
    from types import SimpleNamespace

    from ferlib import study

    def confusion(accuracy, n=70):
        matrix = np.zeros((7, 7), dtype=int)
        for i in range(n):
            matrix[i % 7, i % 7 if i < accuracy * n else (i + 1) % 7] += 1
        return matrix.tolist()

    runs = []
    for model in (1, 2):
        for dataset, cells in (("jaffe", list(study.round_cells("protocol"))), ("ckplus7", ["protocol"])):
            for number, cell in enumerate(cells):
                for seed in range(3):
                    accuracy = 0.3 + 0.05 * number + 0.1 * seed
                    config = study.cell_config(cell, model=model, dataset=dataset, seed=seed)
                    runs.append((cell, SimpleNamespace(config=config, metrics={
                        "val": {"accuracy": accuracy + 0.05}, "test": {"accuracy": accuracy,
                                                                       "confusion": confusion(accuracy)}})))
    return runs


#: The figures with several panels of dots and lines that were 7.2 inches wide, shown at
#: half their size on a phone: the summary of the paper's Tables 5-7 and the sensitivity
#: study (drawn from the repository's results in tests/test_chapter.py too).
STACKED_FIGURES = {
    "accuracy intervals": lambda: figures.accuracy_intervals_figure(_summary()),
    "study": lambda: figures.study_figure(_study_runs()),
    "study with a title": lambda: figures.study_figure(_study_runs(), title="The sensitivity study"),
    "accuracy intervals with a title": lambda: figures.accuracy_intervals_figure(_summary(), title="Tables 5-7"),
}


def assert_reads_in_both_columns(fig, name):
    """``fig``'s panels are one above the other, as wide as each other, its legend above
    them (under them where it has a title) covering none; its text reads at PHONE_TEXT_PX or more in the laptop's column
    and the phone's; a phone shows it at 70% of its size or more (it was 52%) with every
    panel at least 200 px wide (the study's were 77), and nothing it draws sticks out of
    the figure (the page would shrink it more than shown_scale says)."""
    from ferlib import chapter

    for column in (figures.COLUMN_PX, figures.PHONE_COLUMN_PX):
        assert figures.shown_text_px(fig, column) >= figures.PHONE_TEXT_PX, f"{name}: text too small at {column} px"
    assert figures.shown_scale(fig.get_figwidth(), figures.PHONE_COLUMN_PX) >= 0.7, f"{name}: shrunk on a phone"
    assert figures.shown_scale(fig.get_figwidth(), figures.COLUMN_PX) == 1, f"{name}: shrunk on a laptop"
    assert figures.shown_panel_px(fig, figures.PHONE_COLUMN_PX) >= 200, f"{name}: its panels are narrow on a phone"
    boxes = [ax.get_window_extent() for ax in fig.axes]
    assert len({round(box.x0) for box in boxes}) == 1 and len({round(box.x1) for box in boxes}) == 1, \
        f"{name}: panels side by side"
    assert all(upper.y0 > lower.y1 for upper, lower in zip(boxes, boxes[1:])), f"{name}: panels overlap"
    (legend,) = fig.legends
    key = legend.get_window_extent()
    if fig.get_suptitle():  # the title above the panels, the legend under them
        assert fig._suptitle.get_window_extent().y0 >= boxes[0].y1, f"{name}: the title covers a panel"
        assert key.y1 <= boxes[-1].y0, f"{name}: the legend covers a panel"
    else:
        assert key.y0 >= boxes[0].y1, f"{name}: the legend covers a panel"
    _, width = chapter.png_image(fig, dpi=figures.DISPLAY_DPI)
    assert width <= (fig.get_figwidth() + 2 * figures.CROP_PAD) * figures.DISPLAY_DPI + 1, \
        f"{name}: {width} px drawn, wider than the figure"


@pytest.mark.parametrize("name", STACKED_FIGURES)
def test_the_summary_and_study_figures_read_on_a_phone_and_a_laptop(name):
    assert_reads_in_both_columns(STACKED_FIGURES[name](), name)
