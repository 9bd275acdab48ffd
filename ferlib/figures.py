"""The book's figures: matplotlib functions with one job each, every one returning
its :class:`matplotlib.figure.Figure` (nothing is shown or saved here).

Faces are ``(n, 48, 48)`` uint8 grey images; class indices follow
:data:`ferlib.labels.EMOTIONS`; accuracies and probabilities are fractions 0..1.

The figures are made with :class:`matplotlib.figure.Figure` directly (not
``pyplot``), so they work under any backend and never pile up in pyplot's state;
a notebook shows a returned figure when it is a cell's last value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from ferlib.labels import EMOTIONS, IMAGE_SIZE, NUM_CLASSES
from ferlib.study import round_cells
from ferlib.vocabulary import (  # noqa: F401 (the book's pages read the titles from here too)
    BASELINE_TITLES,
    BASELINES,
    DATASET_TITLES,
    DEFAULT_ROUND,
    RUN_DATASET_TITLES,
    dataset_title,
    protocol_dataset,
    run_dataset_title,
)

#: How the book's pages show a figure: ``DISPLAY_DPI`` CSS pixels per inch of its size
#: (a figure 7.2 inches wide fills about 720 px of the column, shrunk to fit a narrower
#: one), drawn at ``FIGURE_DPI`` pixels per inch: two image pixels per CSS pixel, so that
#: text stays sharp on a high-density screen (2 or 3 device pixels per CSS pixel: phones,
#: most laptops) and where the column shrinks the figure
#: (:func:`ferlib.chapter.figure_image`).
DISPLAY_DPI = 100
FIGURE_DPI = 200
#: The margin, in inches, that :func:`ferlib.chapter.png_image` leaves around what a figure
#: draws when it crops the figure (matplotlib's ``savefig.pad_inches``).
CROP_PAD = 0.1
#: The width a figure may take in the book's column, in CSS pixels, measured in Chromium:
#: in a laptop's window 1280 px wide and in a phone's 430 px wide. A page shows a figure
#: at its size (``DISPLAY_DPI``) or, where it is wider, shrunk to that width.
COLUMN_PX = 672
PHONE_COLUMN_PX = 382
#: The smallest text a figure shows on a phone, in CSS pixels (``PHONE_COLUMN_PX``):
#: matplotlib's default text, 10 pt in a figure 6.4 inches wide, shows at about 8.5; two
#: panels side by side at 7.5 inches with 7 pt legends showed 5.
PHONE_TEXT_PX = 7

#: One colour per class, in the canonical order (matplotlib's tab10 subset).
CLASS_COLOURS = ("#d62728", "#8c564b", "#9467bd", "#2ca02c", "#1f77b4", "#ff7f0e", "#7f7f7f")


def shown_scale(width: float, column_px: float = COLUMN_PX) -> float:
    """How large a page shows a figure ``width`` inches wide in a column ``column_px`` CSS
    pixels wide: 1 at its size (:data:`DISPLAY_DPI` pixels per inch, the crop's margins
    included), less where the column shrinks it to its width."""
    if width <= 0 or column_px <= 0:
        raise ValueError(f"width and column_px must be positive, got {width!r} and {column_px!r}")
    return min(1.0, column_px / ((width + 2 * CROP_PAD) * DISPLAY_DPI))


def shown_text_px(figure: Figure, column_px: float = PHONE_COLUMN_PX) -> float:
    """The height, in CSS pixels, of the smallest text of ``figure`` (titles, labels, tick
    labels, legends, numbers on the marks) where a page shows it in a column ``column_px``
    wide (:func:`shown_scale`); ``inf`` for a figure without text."""
    figure.draw_without_rendering()  # lays out the ticks and the legends: every text is there
    sizes = [text.get_fontsize() for text in figure.findobj(Text) if text.get_visible() and text.get_text().strip()]
    return min(sizes, default=math.inf) * DISPLAY_DPI / 72 * shown_scale(figure.get_figwidth(), column_px)


def shown_panel_px(figure: Figure, column_px: float = PHONE_COLUMN_PX) -> float:
    """The width, in CSS pixels, of the narrowest visible panel (axis) of ``figure`` where
    a page shows it in a column ``column_px`` wide (:func:`shown_scale`): how much room
    its marks have; ``inf`` for a figure without axes."""
    figure.draw_without_rendering()  # constrained layout places the axes when drawn
    widths = [ax.get_window_extent().width / figure.dpi for ax in figure.axes if ax.get_visible()]
    return min(widths, default=math.inf) * DISPLAY_DPI * shown_scale(figure.get_figwidth(), column_px)


def readable_on_a_phone(figure: Figure, *, px: float = PHONE_TEXT_PX) -> Figure:
    """Raise every text of ``figure`` smaller than it must be to show at least ``px`` CSS
    pixels high on a phone (a column :data:`PHONE_COLUMN_PX` wide, :func:`shown_scale`)
    to that size; the larger text stays as it is. Panels side by side shrink with their
    figure to the phone's column; this keeps their words and numbers readable there.

    Returns:
        ``figure`` itself, its text changed in place: the least size, in points of the
        figure, is ``px`` CSS pixels divided by the scale the phone shows the figure at.
    """
    least = math.ceil(10 * px * 72 / DISPLAY_DPI / shown_scale(figure.get_figwidth(), PHONE_COLUMN_PX)) / 10
    for ax in figure.axes:
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            labels = axis.get_ticklabels(which="both")
            if labels and min(label.get_fontsize() for label in labels) < least:
                ax.tick_params(axis=name, which="both", labelsize=least)
    for text in figure.findobj(Text):
        if text.get_fontsize() < least:
            text.set_fontsize(least)
    return figure


def _check_faces(images, name="images") -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"{name} must have shape (n, {IMAGE_SIZE}, {IMAGE_SIZE}), got {images.shape}")
    return images


def _check_labels(labels, n, name="labels") -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {labels.shape}")
    if n and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise ValueError(f"{name} must lie in 0..{NUM_CLASSES - 1}")
    return labels.astype(int)


def _show_face(ax, image):
    ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def sample_faces_figure(images, labels, *, per_class: int = 4, seed: int = 0,
                        title: str | None = None) -> Figure:
    """A grid of example faces: one row per class, ``per_class`` faces each (Figs. 3-5).

    Args:
        images: ``(n, 48, 48)`` uint8 faces.
        labels: ``(n,)`` int class of each face, 0..6.
        per_class: faces shown per class (columns), at least 1.
        seed: which faces are drawn (the same seed gives the same faces).
        title: the figure's title.

    Returns:
        a Figure with ``7 * per_class`` axes; a class with fewer faces leaves its
        remaining axes blank, and a class with none says so.
    """
    images = _check_faces(images)
    labels = _check_labels(labels, len(images))
    if int(per_class) < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class!r}")
    per_class = int(per_class)
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(1.1 * per_class + 1.0, 1.1 * NUM_CLASSES + 0.4), layout="constrained")
    axes = fig.subplots(NUM_CLASSES, per_class, squeeze=False)
    for row, name in enumerate(EMOTIONS):
        rows = np.flatnonzero(labels == row)
        chosen = rng.choice(rows, size=min(per_class, len(rows)), replace=False) if len(rows) else []
        for col in range(per_class):
            ax = axes[row, col]
            if col < len(chosen):
                _show_face(ax, images[chosen[col]])
            elif col > 0:
                ax.axis("off")
            else:  # keep the first axis (and its class label) but draw no frame
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_visible(False)
        axes[row, 0].set_ylabel(name if len(rows) else f"{name}\n(none)", rotation=0,
                                ha="right", va="center")
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)


#: The class counts' width and the height of each data set's panel, in inches: a figure
#: shown at its size in the book's column and at three quarters of it on a phone.
COUNTS_WIDTH = 5.0
COUNTS_PANEL_HEIGHT = 1.7


def class_counts_figure(counts: Mapping, *, title: str | None = None) -> Figure:
    """Bar charts of images per class, one panel per data set (the class imbalance).

    Args:
        counts: ``{data set name: {class name: count}}`` (e.g. from
            :meth:`FaceDataset.class_counts`); classes missing from a mapping count 0.
        title: the figure's title.

    Returns:
        a Figure :data:`COUNTS_WIDTH` inches wide with one axis per data set, one above
        the other (the class names under the lowest), each with 7 bars labelled with
        counts.
    """
    if not counts:
        raise ValueError("counts is empty: give at least one data set")
    # the panels one above the other, each as wide as the figure: a phone shows its counts
    # at about their size, where three side by side were shrunk to half
    fig = Figure(figsize=(COUNTS_WIDTH, COUNTS_PANEL_HEIGHT * len(counts) + 0.5), layout="constrained")
    axes = fig.subplots(len(counts), 1, squeeze=False, sharex=True)[:, 0]
    for ax, (name, per_class) in zip(axes, counts.items()):
        unknown = set(per_class) - set(EMOTIONS)
        if unknown:
            raise ValueError(f"counts[{name!r}]: unknown classes {sorted(unknown)}; expected {EMOTIONS}")
        values = [int(per_class.get(c, 0)) for c in EMOTIONS]
        bars = ax.bar(range(NUM_CLASSES), values, color=CLASS_COLOURS)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], fontsize=8)
        ax.set_xticks(range(NUM_CLASSES), EMOTIONS, fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(f"{dataset_title(name)}: {sum(values):,} images", fontsize=9.5)
        ax.set_ylabel("images", fontsize=8)
        ax.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
        ax.margins(y=0.2)
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)


def balancing_figure(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Images per class before and after the data generator's balancing.

    Args:
        table: :func:`ferlib.augment.class_balance_table` output (columns
            ``emotion``, ``before``, ``after``).
        title: the axis title.

    Returns:
        a Figure with one axis holding two bar groups (before, after) per class.
    """
    missing = {"emotion", "before", "after"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)}")
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["before"], width=0.4, label="before", color="#9ecae1")
    ax.bar(x + 0.2, table["after"], width=0.4, label="after balancing", color="#3182bd")
    ax.set_xticks(x, table["emotion"], rotation=45, ha="right")
    ax.set_ylabel("training images per pass")
    ax.set_ylim(0, 1.25 * max(1, float(table[["before", "after"]].to_numpy().max())))
    ax.legend(loc="upper left", ncol=2, frameon=False)  # above the bars, which stop at 1/1.25
    ax.set_title(title or "Class balance of the training set")
    return readable_on_a_phone(fig)


#: The widest an augmentation grid is drawn, in inches: shown at its size in the book's
#: column, with 8 operations side by side (faces 0.8 inches, 48 pixels, wide).
GRID_WIDTH = 6.5


def augmentation_figure(grid: Mapping, *, title: str | None = None) -> Figure:
    """Each augmentation applied to the same faces (Fig. 6).

    Args:
        grid: ``{operation: (k, 48, 48) uint8}`` as returned by
            :func:`ferlib.augment.augmentation_grid`; every entry holds the same ``k``.
        title: the figure's title.

    Returns:
        a Figure with ``k`` rows (faces) and one column per operation, titled
        with the operation's name; at most :data:`GRID_WIDTH` inches wide.
    """
    if not grid:
        raise ValueError("grid is empty")
    panels = {name: _check_faces(faces, name=f"grid[{name!r}]") for name, faces in grid.items()}
    sizes = {len(v) for v in panels.values()}
    if len(sizes) != 1:
        raise ValueError(f"every grid entry must hold the same number of faces, got {sorted(sizes)}")
    k = sizes.pop()
    side = min(1.2, GRID_WIDTH / len(panels))  # a face's side in inches: the grid fits the column
    fig = Figure(figsize=(side * len(panels), (side + 0.05) * k + 0.4), layout="constrained")
    axes = fig.subplots(k, len(panels), squeeze=False)
    for col, (name, faces) in enumerate(panels.items()):
        axes[0, col].set_title(name, fontsize=9)
        for row in range(k):
            _show_face(axes[row, col], faces[row])
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)


#: The learning curves' width in inches: their two panels side by side are shown at their
#: size in the book's column (:data:`COLUMN_PX`), so their text reads at its size.
CURVES_WIDTH = 6.5


def training_curves_figure(histories: Mapping, *, title: str | None = None) -> Figure:
    """Training and validation accuracy and loss per epoch (Figs. 7-9).

    Args:
        histories: ``{row label: history DataFrame}`` with columns ``epoch``,
            ``accuracy``, ``val_accuracy``, ``loss``, ``val_loss`` (a run's
            ``history.csv``); one row of panels per entry.
        title: the figure's title.

    Returns:
        a Figure :data:`CURVES_WIDTH` inches wide with ``len(histories)`` rows and 2
        columns (accuracy, loss); training is drawn solid, validation dashed.
    """
    if not histories:
        raise ValueError("histories is empty")
    needed = {"epoch", "accuracy", "val_accuracy", "loss", "val_loss"}
    for label, history in histories.items():
        missing = needed - set(history.columns)
        if missing:
            raise ValueError(f"history {label!r} lacks the columns {sorted(missing)}")
    # two panels side by side, shown at their size in the book's column (CURVES_WIDTH)
    fig = Figure(figsize=(CURVES_WIDTH, 2.2 * len(histories) + 0.5), layout="constrained")
    axes = fig.subplots(len(histories), 2, squeeze=False)
    for row, (label, history) in enumerate(histories.items()):
        for col, metric in enumerate(("accuracy", "loss")):
            ax = axes[row, col]
            ax.plot(history["epoch"], history[metric], "-o", ms=3, label="train")
            ax.plot(history["epoch"], history[f"val_{metric}"], "--s", ms=3, label="validation")
            ax.set_title(f"{label}: {metric}", fontsize=10)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if metric == "accuracy":
                ax.set_ylim(0, 1)
            ax.legend(fontsize=9)
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)


#: The confusion figure's width in inches: shown at its size in the book's column and at
#: more than three quarters of it on a phone.
CONFUSION_WIDTH = 4.8


def confusion_figure(confusion, *, title: str | None = None) -> Figure:
    """A confusion matrix as two heatmaps: counts (above) and each row normalised
    (below), the numbers of the paper's Tables 2-4.

    Args:
        confusion: ``(7, 7)`` int counts, rows = true class, columns = predicted.
        title: the figure's title.

    Returns:
        a Figure :data:`CONFUSION_WIDTH` inches wide with two heatmap axes, one above the
        other (plus a colour bar each), every cell annotated.
    """
    confusion = np.asarray(confusion)
    if confusion.shape != (NUM_CLASSES, NUM_CLASSES):
        raise ValueError(f"confusion must have shape ({NUM_CLASSES}, {NUM_CLASSES}), got {confusion.shape}")
    if (confusion < 0).any():
        raise ValueError("confusion must hold non-negative counts")
    totals = confusion.sum(axis=1, keepdims=True)
    normalised = np.divide(confusion, totals, out=np.zeros(confusion.shape), where=totals > 0)
    # one heatmap above the other, each as wide as the figure: a phone shows their numbers
    # at about their size, where two side by side were shrunk to half
    fig = Figure(figsize=(CONFUSION_WIDTH, 2 * CONFUSION_WIDTH - 1.2), layout="constrained")
    axes = fig.subplots(2, 1)
    panels = ((confusion, "counts", "d", None), (normalised, "normalised by true class", ".2f", 1.0))
    for ax, (values, name, fmt, vmax) in zip(axes, panels):
        image = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax)
        fig.colorbar(image, ax=ax, shrink=0.8)
        limit = values.max() if values.max() > 0 else 1
        for i in range(NUM_CLASSES):
            for j in range(NUM_CLASSES):
                ax.text(j, i, format(values[i, j], fmt), ha="center", va="center", fontsize=9.5,
                        color="white" if values[i, j] > 0.6 * limit else "black")
        ax.set_xticks(range(NUM_CLASSES), EMOTIONS, rotation=45, ha="right")
        ax.set_yticks(range(NUM_CLASSES), EMOTIONS)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(name)
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)


def emotion_analysis_figure(images, probabilities, true_labels, *, captions=None,
                            title: str | None = None) -> Figure:
    """Faces beside their predicted probabilities of the 7 classes (Fig. 10).

    Args:
        images: ``(k, 48, 48)`` uint8 faces.
        probabilities: ``(k, 7)`` float predicted probabilities, rows summing to 1.
        true_labels: ``(k,)`` int true class of each face.
        captions: optional ``k`` strings shown above each face (e.g. the data set).
        title: the figure's title.

    Returns:
        a Figure with ``k`` rows of two axes: the face (titled with the true class)
        and a horizontal bar per class, the true class's bar outlined, the predicted
        one drawn dark.
    """
    images = _check_faces(images)
    k = len(images)
    if k == 0:
        raise ValueError("images is empty: give at least one face")
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (k, NUM_CLASSES):
        raise ValueError(f"probabilities must have shape ({k}, {NUM_CLASSES}), got {probabilities.shape}")
    if (probabilities < -1e-6).any() or (probabilities > 1 + 1e-6).any():
        raise ValueError("probabilities must lie in 0..1")
    true_labels = _check_labels(true_labels, k, name="true_labels")
    if captions is not None and len(captions) != k:
        raise ValueError(f"captions must hold {k} strings, got {len(captions)}")
    fig = Figure(figsize=(6.0, 1.7 * k + 0.4), layout="constrained")
    axes = fig.subplots(k, 2, squeeze=False, width_ratios=[1, 2.6])
    for row in range(k):
        face_ax, bar_ax = axes[row]
        _show_face(face_ax, images[row])
        caption = f"{captions[row]}\n" if captions is not None else ""
        face_ax.set_title(f"{caption}true: {EMOTIONS[true_labels[row]]}", fontsize=8)
        predicted = int(probabilities[row].argmax())
        colours = ["#08519c" if c == predicted else "#9ecae1" for c in range(NUM_CLASSES)]
        bars = bar_ax.barh(range(NUM_CLASSES), probabilities[row], color=colours)
        bars[true_labels[row]].set_edgecolor("#d62728")
        bars[true_labels[row]].set_linewidth(2)
        bar_ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
        bar_ax.set_yticks(range(NUM_CLASSES), EMOTIONS, fontsize=8)
        bar_ax.invert_yaxis()
        bar_ax.set_xlim(0, 1.15)
        bar_ax.set_title(f"predicted: {EMOTIONS[predicted]} ({probabilities[row, predicted]:.2f})",
                         fontsize=8)
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)


#: The study figure's layout, in inches: the height of one cell's row, the height each
#: panel adds for its title and its axis's numbers, and the figure's width. Its panels
#: are one above the other, each as wide as the figure: shown at its size in the book's
#: column (:data:`COLUMN_PX`) and at four fifths of it on a phone (:data:`PHONE_COLUMN_PX`),
#: where two panels side by side, 7.2 inches wide, were shrunk to half.
STUDY_CELL_HEIGHT = 0.3
STUDY_PANEL_EXTRA = 0.55
STUDY_WIDTH = 4.5
#: How the study figure draws validation and test accuracy and the mean test bar.
STUDY_VAL = {"marker": "o", "mfc": "none", "color": "#6baed6", "ms": 5, "ls": "none"}
STUDY_TEST = {"marker": "o", "color": "#08519c", "ms": 5, "ls": "none"}
STUDY_BAR = "#deebf7"


def _percent_axis(ax, step: float) -> None:
    """An x axis from 0 to 100% with a labelled tick and a light grid line every ``step``
    (a fraction), the numbers written as percentages."""
    ax.set_xlim(0, 1)
    ax.set_xticks(np.linspace(0, 1, round(1 / step) + 1))
    ax.xaxis.set_major_formatter(lambda value, _: f"{100 * value:.0f}%")
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    ax.set_axisbelow(True)


def _legend_place(title: str | None) -> str:
    """Where a figure of panels one above the other puts its legend (matplotlib's ``loc``):
    above the panels, where a phone's reader meets the key before scrolling through them;
    under them where the figure has a ``title`` (matplotlib's constrained layout draws a
    figure's title and a legend above its panels at the same height)."""
    return "outside lower center" if title else "outside upper center"


def study_figure(cell_runs, *, title: str | None = None, round: str = DEFAULT_ROUND) -> Figure:
    """The sensitivity study: validation and test accuracy of every seed in every cell.

    Args:
        cell_runs: ``[(cell, Run)]`` as :func:`ferlib.study.study_runs` gives them.
        title: the figure's title.
        round: the study's round the cells belong to (:data:`ferlib.study.ROUNDS`).

    Returns:
        a Figure :data:`STUDY_WIDTH` inches wide with one axis per (model, data set), one
        above the other: one row per cell, a dot per seed (hollow: validation, filled:
        test), a bar at the mean test accuracy, a dashed line at chance (one over the
        number of classes in the test part) and, where it differs, a dotted line at the
        majority class of the test part; a legend above the panels (under them with a
        ``title``) says which is which.
        Every cell's row is :data:`STUDY_CELL_HEIGHT` inches high in every panel.
    """
    cell_order = round_cells(round)
    if not cell_runs:
        raise ValueError("cell_runs is empty: no run of the sensitivity study")
    groups = {}
    for cell, run in cell_runs:
        groups.setdefault((run.config.model, run.config.dataset), []).append((cell, run))
    keys = sorted(groups)
    cells_of = {key: [c for c in cell_order if any(cell == c for cell, _ in groups[key])] for key in keys}
    counts = [len(cells_of[key]) for key in keys]
    # the panels one above the other, each as wide as the figure: a phone shows them at
    # four fifths of their size, where two side by side were shrunk to half
    height = STUDY_CELL_HEIGHT * sum(counts) + STUDY_PANEL_EXTRA * len(keys) + 0.9 + (0.3 if title else 0)
    fig = Figure(figsize=(STUDY_WIDTH, height), layout="constrained")
    # each axis as high as its cells: every cell's row is equally high in every panel
    axes = fig.subplots(len(keys), 1, squeeze=False, gridspec_kw={"height_ratios": counts})[:, 0]
    lines = set()
    for ax, key in zip(axes, keys):
        cells = cells_of[key]
        y = {cell: len(cells) - 1 - i for i, cell in enumerate(cells)}  # from the top down
        for cell, run in groups[key]:
            ax.plot(run.metrics["val"]["accuracy"], y[cell] + 0.14, **STUDY_VAL)
            ax.plot(run.metrics["test"]["accuracy"], y[cell] - 0.14, **STUDY_TEST)
            confusion = run.metrics["test"]["confusion"]
            chance = 1 / sum(1 for row in confusion if sum(row))
            majority = max(map(sum, confusion)) / sum(map(sum, confusion))
        for cell in cells:
            tests = [run.metrics["test"]["accuracy"] for c, run in groups[key] if c == cell]
            ax.barh(y[cell], np.mean(tests), height=0.7, color=STUDY_BAR, zorder=0.5)
        ax.axvline(chance, ls="--", color="grey", lw=1)
        lines.add("chance")
        if majority > chance + 1e-9:  # on CK+ (7 classes) always answering "neutral" scores half
            ax.axvline(majority, ls=":", color="#636363", lw=1.2)
            lines.add("majority")
        ax.set_yticks(list(y.values()), list(y.keys()), fontsize=9)
        ax.set_ylim(-0.5, len(cells) - 0.5)
        _percent_axis(ax, 0.25)
        ax.tick_params(axis="x", labelsize=8.5)
        model, dataset = key
        ax.set_title(f"Model {model}, {dataset_title(dataset)}", fontsize=10, loc="left")
    axes[-1].set_xlabel("accuracy", fontsize=9)
    handles = [axes[0].plot([], [], label="validation, each seed", **STUDY_VAL)[0],
               axes[0].plot([], [], label="test, each seed", **STUDY_TEST)[0],
               Patch(color=STUDY_BAR, label="mean test accuracy")]
    if "chance" in lines:
        handles.append(axes[0].plot([], [], ls="--", color="grey", lw=1, label="chance")[0])
    if "majority" in lines:
        handles.append(axes[0].plot([], [], ls=":", color="#636363", lw=1.2, label="majority class")[0])
    fig.legend(handles=handles, loc=_legend_place(title), ncol=2, fontsize=9, frameon=False)
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)


#: How each baseline of :data:`ferlib.vocabulary.BASELINES` is drawn: colour, line style.
BASELINE_STYLES = {"majority": ("#969696", ":"), "logistic_pixels": ("#6a51a3", "-."),
                   "hog_logistic": ("#238b45", "--")}
#: The chance line of a seven-class task (one in seven), and how it is drawn.
CHANCE = 1 / NUM_CLASSES
CHANCE_STYLE = ("#bdbdbd", (0, (1, 3)))


#: The summary figure's layout, in inches: its width, the height of one experiment's row
#: (room for a two-line label: the network and training, then the number of seeds) and
#: the height each data set's panel adds for its title and axis. Its panels are one above
#: the other: shown at its size in the book's column (:data:`COLUMN_PX`) and at more
#: than three quarters of it on a phone (:data:`PHONE_COLUMN_PX`), where at 7.2 inches it
#: was shrunk to half.
SUMMARY_WIDTH = 4.7
SUMMARY_ROW_HEIGHT = 0.4
SUMMARY_PANEL_EXTRA = 0.55


def _experiment_label(model, training, seeds) -> str:
    """A row's label in the summary figure: ``Model 2, fine-tuned`` and, under it, the
    number of seeds where there are several."""
    return f"Model {model}, {training}" + (f"\n{seeds} seeds" if seeds > 1 else "")


def accuracy_intervals_figure(summary: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Tables 5-7 as a figure: for each data set and experiment, the paper's accuracy,
    ours with its 95% interval, and the baselines as vertical lines.

    Args:
        summary: :func:`ferlib.compare.accuracy_summary` output (columns ``model``,
            ``dataset``, ``training``, ``paper``, ``seeds``, ``ours``, ``low``, ``high``,
            ``by_seed`` and the baselines' accuracies, NaN where absent).
        title: the figure's title.

    Returns:
        a Figure :data:`SUMMARY_WIDTH` inches wide with one axis per data set, one above
        the other, and one row per (model, training): a diamond at the paper's value, a
        dot with a bar for ours (the mean over seeds with its t-interval, or one run with
        its Wilson interval), ticks at each seed's accuracy where there are several, "no
        run" where we have none, and a vertical line per baseline; a legend above the
        panels (under them with a ``title``) says which is which.
    """
    needed = {"model", "dataset", "training", "paper", "seeds", "ours", "low", "high"}
    if needed - set(summary.columns):
        raise ValueError(f"summary lacks the columns {sorted(needed - set(summary.columns))}")
    if summary.empty:
        raise ValueError("summary is empty")
    datasets = list(dict.fromkeys(summary["dataset"]))  # the paper's order: Tables 5, 6, 7
    counts = [int((summary["dataset"] == d).sum()) for d in datasets]
    height = SUMMARY_ROW_HEIGHT * sum(counts) + SUMMARY_PANEL_EXTRA * len(datasets) + 1.3 + (0.3 if title else 0)
    fig = Figure(figsize=(SUMMARY_WIDTH, height), layout="constrained")
    axes = fig.subplots(len(datasets), 1, squeeze=False, sharex=True,
                        gridspec_kw={"height_ratios": counts})[:, 0]
    colours = {"scratch": "#2171b5", "fine-tuned": "#d94801"}
    for ax, dataset in zip(axes, datasets):
        part = summary[summary["dataset"] == dataset].sort_values(["training", "model"], ascending=[False, True])
        y = np.arange(len(part))[::-1]
        for row_y, row in zip(y, part.to_dict("records")):
            ax.plot(row["paper"], row_y, "D", mfc="white", mec="black", ms=6, zorder=3)
            if row["seeds"] == 0 or pd.isna(row["ours"]):
                ax.text(0.01, row_y, "no run", va="center", fontsize=8.5, color="grey")
                continue
            colour = colours.get(row["training"], "black")
            if not pd.isna(row["low"]):
                ax.plot([row["low"], row["high"]], [row_y, row_y], color=colour, lw=2, zorder=2)
            ax.plot(row["ours"], row_y, "o", color=colour, ms=6, zorder=4)
            seeds = row.get("by_seed") or []
            if len(seeds) > 1:
                ax.plot(seeds, [row_y] * len(seeds), "|", color=colour, ms=10, mew=1.5, zorder=3)
        for name in BASELINES:
            values = part[name].dropna() if name in part else []
            if len(values):
                colour, style = BASELINE_STYLES[name]
                ax.axvline(float(values.iloc[0]), color=colour, ls=style, lw=1.2, zorder=1)
        ax.axvline(CHANCE, color=CHANCE_STYLE[0], ls=CHANCE_STYLE[1], lw=1, zorder=1)
        labels = [_experiment_label(m, t, n) for m, t, n in zip(part["model"], part["training"], part["seeds"])]
        ax.set_yticks(y, labels, fontsize=9, linespacing=1.1)
        ax.set_ylim(-0.6, len(part) - 0.4)
        _percent_axis(ax, 0.2)
        ax.tick_params(axis="x", labelbottom=True, labelsize=8.5)  # every panel's numbers: it is read alone
        ax.set_title(run_dataset_title(protocol_dataset(dataset)), fontsize=10.5, loc="left")
    axes[-1].set_xlabel("test accuracy", fontsize=9)
    handles = [axes[0].plot([], [], "D", mfc="white", mec="black", label="paper")[0],
               axes[0].plot([], [], "o-", color=colours["scratch"], label="ours, from scratch")[0],
               axes[0].plot([], [], "o-", color=colours["fine-tuned"], label="ours, fine-tuned")[0],
               axes[0].plot([], [], "|-", color="#525252", ms=10, mew=1.5, label="95% interval, a tick per seed")[0]]
    for name in BASELINES:
        if name in summary and summary[name].notna().any():
            colour, style = BASELINE_STYLES[name]
            handles.append(axes[0].plot([], [], color=colour, ls=style, label=BASELINE_TITLES[name])[0])
    handles.append(axes[0].plot([], [], color=CHANCE_STYLE[0], ls=CHANCE_STYLE[1],
                                label=f"chance (1 in {NUM_CLASSES})")[0])
    fig.legend(handles=handles, loc=_legend_place(title), ncol=2, fontsize=9, frameon=False)
    if title:
        fig.suptitle(title)
    return readable_on_a_phone(fig)
