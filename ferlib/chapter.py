"""What a chapter of the book works on: a :class:`Chapter`, opened with the notebook's
parameters.

    from ferlib.chapter import open_chapter

    chapter = open_chapter("07_results", profile=profile, data_dir=data_dir, store=store,
                           models=models, seed=seed, epochs=epochs, cache_dir=cache_dir)
    runs = chapter.runs()                      # {(model, dataset, source): Run}
    view = chapter.dataset_view("jaffe")       # counts per class and split part
    chapter.clock.box(profile="quick")         # the page's "reproduce this page" box

A chapter reads its runs and data through one of three backends, chosen once from the
parameters:

- :class:`SyntheticData`: no data directory and a profile other than ``paper``: ferlib's
  synthetic stand-ins; runs are trained into ``store`` (or found there);
- :class:`RealData`: a data directory: the real data sets; runs are trained into
  ``store`` (or found there);
- :class:`CommittedResults`: the ``paper`` profile without a data directory: the runs
  committed in ``results/paper`` (``store``), read, never trained; no images.

Every notebook validates its parameters first, with :func:`validate_parameters`: through
:func:`open_chapter`, :func:`open_results` (a page on the committed results only) or
directly. The build of the book (papermill, Jupyter Book) is :mod:`ferlib.book`.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import ferlib
from ferlib import figures, options, paper, tables
from ferlib.compare import baseline_accuracies, read_baselines
from ferlib.config import PROFILES, profile_config, uses_committed_results
from ferlib.diagnostics import PROBES_FILE, probes_table, read_probes
from ferlib.excerpt import shortened
from ferlib.experiment import config_data, prepare, run_split
from ferlib.formatting import csv_link, note, table_markdown, to_markdown
from ferlib.labels import EMOTIONS
from ferlib.protocol import (
    departure_text,
    experiment_key,
    paper_dataset,
    protocol_dataset,
    protocol_numbers,
    reproduction_runs,
)
from ferlib.results import (
    PAPER_RESULTS,
    class_split_table,
    committed_runs,
    dataset_summary,
    missing_runs,
    paper_experiments,
    paper_results,
    protocol_runs,
    protocol_seed_runs,
    read_dataset_summaries,
    runs_outside_protocol,
    summary_table,
)
from ferlib.study import ROUNDS, study_runs
from ferlib.synthetic import make_synthetic
from ferlib.tables import runs_overview
from ferlib.vocabulary import MODEL_IDS, PAPER_DATASETS, PAPER_MODELS, SOURCE_DATASET, TARGET_DATASETS, dataset_title

#: The three data sets of the paper, in the order of its Table 1.
DATASETS = PAPER_DATASETS
#: The folder of the notebooks' jupytext sources, below the project root.
NOTEBOOK_FOLDER = "notebooks"


def project_root(start=None) -> Path:
    """The folder holding ``_toc.yml`` and ``notebooks/``.

    Looks in ``start`` (default: the current folder) and its parents, then next to
    the ``ferlib`` package. Raises ``FileNotFoundError`` when none is found.
    """
    start = Path.cwd() if start is None else Path(start)
    candidates = [start, *start.resolve().parents, Path(ferlib.__file__).resolve().parent.parent]
    for folder in candidates:
        if (folder / "_toc.yml").is_file() and (folder / NOTEBOOK_FOLDER).is_dir():
            return folder
    raise FileNotFoundError(
        f"no project root (a folder with _toc.yml and {NOTEBOOK_FOLDER}/) at or above {start} "
        f"or next to the ferlib package; run from the ferlib repository")


def from_root(path):
    """A notebook's path parameter as a path: relative paths start at the project root
    (:func:`project_root`), wherever the kernel runs (papermill runs it in the project
    root, Jupyter Book in ``notebooks/``); ``None`` stays ``None``."""
    if path is None or not isinstance(path, (str, Path)) or not str(path).strip():
        return path
    path = Path(path)
    return str(path if path.is_absolute() else project_root() / path)


# --------------------------------------------------------------------------- parameters


@dataclasses.dataclass(frozen=True)
class Parameters:
    """The parameters a chapter is opened with (the notebooks' papermill parameters).

    Attributes:
        profile: ``"smoke"``, ``"quick"`` or ``"paper"`` (:data:`ferlib.config.PROFILES`).
        data_dir: the real data root, or ``None``.
        store: the run store (for the committed results: their folder).
        models: the models to show.
        seed: the training seed.
        epochs: overrides the profile's epochs (``None``: the profile's).
        cache_dir: where parsed real data is cached (``None``: no cache).
    """

    profile: str = "smoke"
    data_dir: str | None = None
    store: str = "runs"
    models: tuple = PAPER_MODELS
    seed: int = 0
    epochs: int | None = None
    cache_dir: str | None = None


def glue_values(values, *, prefix: str = "") -> None:
    """Glue each ``{name: value}`` of ``values`` for the book's prose (``myst_nb.glue``,
    not displayed), named ``prefix + name``."""
    # saves start-up time: IPython loads only in a notebook
    from myst_nb import glue

    for name, value in values.items():
        glue(f"{prefix}{name}", value, display=False)


def png_image(figure, *, dpi: int = figures.FIGURE_DPI) -> tuple:
    """A matplotlib Figure as PNG bytes, RGB (the figures are opaque: no alpha channel to
    carry), at ``dpi`` pixels per inch of its size, cropped to what it draws.

    Returns:
        ``(png, width)``: the bytes and the width in CSS pixels at which a page shows
        it, :data:`ferlib.figures.DISPLAY_DPI` per inch (half the PNG's pixels at the
        default :data:`ferlib.figures.FIGURE_DPI`).
    """
    # saves start-up time: Pillow loads only where a figure is drawn
    from PIL import Image as PILImage

    if dpi < figures.DISPLAY_DPI:
        raise ValueError(f"dpi must be at least {figures.DISPLAY_DPI} (the page's pixels per inch), got {dpi!r}")
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    image = PILImage.open(io.BytesIO(drawn.getvalue())).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return buffer.getvalue(), max(1, round(image.width * figures.DISPLAY_DPI / dpi))


def show(figure, *, dpi: int = figures.FIGURE_DPI):
    """Display a matplotlib Figure as a PNG in a notebook (any backend), at the book's
    resolution (:func:`png_image`).

    Returns ``None``, so a notebook cell shows the image once.
    """
    # saves start-up time: IPython loads only in a notebook
    from IPython.display import display

    display(figure_image(figure, dpi=dpi))


def figure_image(figure, *, dpi: int = figures.FIGURE_DPI):
    """A matplotlib Figure as an IPython ``Image`` (PNG), for :func:`glue_figure`: drawn at
    ``dpi`` and shown :data:`ferlib.figures.DISPLAY_DPI` CSS pixels per inch wide (its
    ``width``, which the book's page gives the ``<img>``; :func:`png_image`)."""
    # saves start-up time: IPython loads only in a notebook
    from IPython.display import Image

    png, width = png_image(figure, dpi=dpi)
    return Image(data=png, format="png", width=width)


def glue_figure(name: str, figure, *, dpi: int = figures.FIGURE_DPI) -> None:
    """Glue a matplotlib Figure under ``name`` without showing it: the page shows it
    where its prose places it, numbered and captioned, with alt text in words::

        ```{glue:figure} name
        :name: fig-name
        :alt: What the figure shows, in words.

        The caption.
        ```
    """
    # saves start-up time: the notebook tools load only in a notebook
    from myst_nb import glue

    glue(name, figure_image(figure, dpi=dpi), display=False)


def placeholder_figure(text: str):
    """A small figure that says ``text`` (where a figure has nothing to draw), so that
    every numbered figure of a page exists in every build."""
    figure = Figure(figsize=(6, 0.8))
    figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="#555555")
    return figure


#: A validation loss "climbs" when its last value is this many times its lowest or more.
CLIMB_FACTOR = 1.5
#: A training loss has "fallen" when it reaches this share of its first epoch's value or less.
FALLEN_SHARE = 0.5
#: A validation loss "swings" when, over the second half of training, it doubles or halves
#: from one epoch to the next at least this many times.
SWINGS = 3


def _swings(val_loss: np.ndarray) -> int:
    """How often ``val_loss`` (per epoch) doubles or halves from one epoch to the next over
    the second half of training."""
    half = val_loss[len(val_loss) // 2:]
    ratio = half[1:] / np.maximum(half[:-1], 1e-12)
    return int(((ratio >= 2) | (ratio <= 0.5)).sum())


def overfitting_sentences(histories) -> list:
    """For each run's history (``{label: DataFrame}`` with ``epoch``, ``val_loss`` and
    ``loss`` per epoch) whose validation loss ends :data:`CLIMB_FACTOR` times its lowest
    value or more, a sentence with the epochs and what the training loss did meanwhile:

    - it falls below its value at the lowest validation loss later on, or stays at or
      under :data:`FALLEN_SHARE` of its first epoch's value: the network overfits (it fits
      its training images ever better while the validation loss climbs);
    - it had fallen that far but climbs back above it: the training became unstable;
    - it never falls that far: the network does not even learn its training images, so
      the training itself went wrong.

    Where the validation loss also swings (:data:`SWINGS` or more epochs over the second
    half where it doubles or halves), the sentence says so, with its range there.
    """
    lines = []
    for label, history in histories.items():
        if history.empty or "val_loss" not in history:
            continue
        val_loss = history["val_loss"].to_numpy(dtype=float)
        low = int(np.argmin(val_loss))
        epochs = history["epoch"].to_numpy()
        if val_loss[-1] < CLIMB_FACTOR * val_loss[low]:
            continue
        text = (f"{label}: the validation loss falls to {val_loss[low]:.2f} at epoch {int(epochs[low])}, then "
                f"climbs to {val_loss[-1]:.2f} by epoch {int(epochs[-1])}")
        if "loss" in history:
            loss = history["loss"].to_numpy(dtype=float)
            fallen = FALLEN_SHARE * loss[0]
            after = low + int(np.argmin(loss[low:]))
            if loss[after] < loss[low]:
                text += (f" while the training loss keeps falling, to {loss[after]:.2f} by epoch "
                         f"{int(epochs[after])}: the network overfits, learning its training images rather than "
                         f"expressions.")
            elif loss[low] <= fallen and loss[-1] <= fallen:
                text += (f" while the training loss stays low ({loss[low]:.2f} there, {loss[-1]:.2f} at the end): "
                         f"the network overfits, learning its training images rather than expressions.")
            elif loss[low] <= fallen:
                text += (f", and the training loss climbs back too, from {loss[low]:.2f} to {loss[-1]:.2f}: the "
                         f"training became unstable.")
            else:
                text += (f", though the training loss never falls below {FALLEN_SHARE:.0%} of its first epoch's "
                         f"({loss[0]:.2f} to {loss.min():.2f} at best): the network does not even learn its "
                         f"training images, so the training itself went wrong.")
        else:
            text += "."
        swings = _swings(val_loss)
        if swings >= SWINGS:
            half = val_loss[len(val_loss) // 2:]
            text += (f" Over the second half of training the validation loss also swings between "
                     f"{half.min():.2f} and {half.max():.2f}, doubling or halving from one epoch to the next "
                     f"{swings} times, so the epoch kept decides much of the result.")
        lines.append(text)
    return lines


#: Words that label a figure drawn on ferlib's synthetic faces where real faces cannot
#: be shown (a book built without the data sets, whose licences forbid copying them).
STAND_IN = "synthetic stand-ins"


def stand_in_faces(name: str, per_class: int, *, seed: int = 0):
    """Synthetic faces in the style of the paper's data set ``name``, ``per_class`` of
    each of its classes or more: ``(images (n, 48, 48) uint8, labels (n,) int)``. They
    stand in for real faces in a book built without the data sets."""
    faces = make_synthetic(name, 7 * per_class * 3, seed=seed)
    return faces.images, faces.labels


#: How many rows a table shows on the page; a longer one is folded (:func:`long_table`).
VISIBLE_ROWS = 15


def long_table(frame, columns=None, *, title: str, filename: str, visible: int = VISIBLE_ROWS,
               data=None, **options):
    """A table for reading: up to ``visible`` rows shown as they are; a longer one
    folded in a section that opens on a click, titled ``title`` with its row count.
    Either way a link downloads the rows as CSV (``data``, default ``frame``, the
    columns as stored).

    ``columns`` and ``options`` are those of :func:`ferlib.formatting.to_markdown`.
    Returns an IPython Markdown object (a notebook cell that ends with it shows it).
    """
    # saves start-up time: IPython loads only in a notebook
    from IPython.display import Markdown

    if len(frame) <= visible:
        return Markdown(table_markdown(frame, columns, filename=filename, data=data, **options))
    body = to_markdown(frame, columns, **options)
    link = csv_link(frame if data is None else data, filename)
    return Markdown(f"::::{{dropdown}} {title} ({len(frame)} rows)\n\n{body}\n\n::::\n\n{link}")


def reproduce_box(name: str, seconds: float, *, parameters: dict | None = None) -> str:
    """The "reproduce this page" box of a chapter, as MyST Markdown: the commands that
    execute its notebook alone with papermill (with ``parameters``, e.g.
    ``{"profile": "quick"}``; lists go through ``-y``) and the seconds it took to run."""
    given = " ".join(f'-y "{key}: {list(value)}"' if isinstance(value, (list, tuple)) else f"-p {key} {value}"
                     for key, value in (parameters or {}).items())
    command = (f"jupytext --to ipynb {NOTEBOOK_FOLDER}/{name}.py\n"
               f"papermill {NOTEBOOK_FOLDER}/{name}.ipynb {name}-out.ipynb {given}".rstrip())
    took = f"{seconds:.0f} s" if seconds >= 1 else "under a second"
    return (f":::{{admonition}} Reproduce this page\n:class: note\n\n"
            f"Running this page's notebook took {took}. To run it alone, from the project's root:\n\n"
            f"```bash\n{command}\n```\n\n"
            f"Its parameters (the first cell of `{NOTEBOOK_FOLDER}/{name}.py`) can be changed with `-p NAME VALUE`; "
            f"`python -m ferlib book` runs every chapter and builds the book.\n:::")


class PageClock:
    """The seconds a notebook has run, from the cell that made it to the cell that asks
    (:meth:`box` gives the "reproduce this page" box with them)."""

    def __init__(self, name: str):
        self.name = name
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def box(self, **parameters):
        """:func:`reproduce_box` for this page, as an IPython Markdown object."""
        # saves start-up time: IPython loads only in a notebook
        from IPython.display import Markdown

        return Markdown(reproduce_box(self.name, self.seconds, parameters=parameters))


def missing_runs_markdown(missing) -> str:
    """A missing-runs table (:meth:`Chapter.missing_runs`) as a Markdown list (the
    reasons are too long for a table)."""
    if not len(missing):
        return "None: every experiment has a run."
    return "\n".join(f"- Model {row.model}, {dataset_title(row.dataset)}, {row.training}: {row.reason}"
                     for row in missing.itertuples())


def pick_run(runs: dict, dataset: str, *, model=None, quiet: bool = False):
    """The run a section shows for ``dataset`` (:func:`ferlib.tables.select_run`); when
    the usual training (fine-tuned for JAFFE and CK+) has no run, the other one.

    Returns ``((model, dataset, source), run)``, or ``None`` (after saying why, unless
    ``quiet``) when ``dataset`` has no run at all.
    """
    preferred = tables.default_training(dataset)
    for training in (preferred, "fine-tuned" if preferred == "scratch" else "scratch"):
        try:
            picked = tables.select_run(runs, dataset, training=training, model=model)
        except ValueError:
            continue
        if training != preferred and not quiet:
            note(f"{dataset_title(dataset)}: no {preferred} run; showing the {training} one.")
        return picked
    if not quiet:
        note(f"{dataset_title(dataset)}: no run to show (the training page lists the missing runs "
             f"and what each needs).")
    return None


# --------------------------------------------------------------------------- what a data set shows


@dataclasses.dataclass
class DatasetView:
    """What the data notebooks show of one data set.

    Attributes:
        name: the data set the runs use (``"fer2013"``, ``"ckplus7"``, ``"jaffe"``...).
        images: how many images.
        table: images per class and split part (see :func:`ferlib.results.class_split_table`),
            with the paper's Table 1 in a ``paper`` column.
        notes: what the loader mapped, dropped or repaired.
        train_labels: ``(n_train,)`` int labels of the training part as the runs see it.
        dataset: the :class:`~ferlib.datasets.base.FaceDataset` with its ``split``, or
            ``None`` when only the committed summary is available (no images).
        split: ``(n,)`` split parts of ``dataset`` (``None`` with it).
    """

    name: str
    images: int
    table: object
    notes: tuple
    train_labels: object
    dataset: object = None
    split: object = None

    @property
    def title(self) -> str:
        """``"FER2013"``, or ``"FER2013 (synthetic)"`` for a synthetic stand-in."""
        return dataset_title(self.dataset.name if self.dataset is not None else self.name)

    @property
    def class_counts(self) -> dict:
        """``{class name: images}`` over all split parts."""
        return {c: int(v) for c, v in self.table["all"].drop("total").items()}


# --------------------------------------------------------------------------- the backends


class _Backend:
    """What every backend answers; :class:`Chapter` asks, the backend knows where from."""

    #: Whether the chapter has images to show (faces, augmentation grids).
    has_images = True
    #: ``"synthetic"`` or ``"real"``: the data the runs are made from.
    data = "real"

    def __init__(self, parameters: Parameters):
        self.parameters = parameters

    def dataset_name(self, name: str) -> str:
        """The data set the protocol runs for the paper's ``name`` (CK+ on real data:
        the seven-class set)."""
        return protocol_dataset(name, self.data)


class _TrainingBackend(_Backend):
    """Synthetic or real data: runs are trained into the store (or found there)."""

    def runs(self) -> dict:
        p = self.parameters
        logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notices in the book
        return reproduction_runs(p.profile, store=p.store, models=[int(m) for m in p.models],
                                 data_dir=p.data_dir, cache_dir=p.cache_dir, seed=int(p.seed), verbose=0,
                                 epochs=None if p.epochs is None else int(p.epochs))

    def missing_runs(self, runs: dict):
        rows = [{"model": m, "dataset": d, "training": "scratch" if s is None else "fine-tuned",
                 "reason": "not trained in this build"}
                for (m, d, s) in paper_experiments(self.parameters.models) if (m, d, s) not in runs]
        return pd.DataFrame(rows, columns=["model", "dataset", "training", "reason"])

    def load(self, name: str):
        """``(dataset, paper split, (rows a run keeps, their split))`` of one data set."""
        p, name = self.parameters, self.dataset_name(name)
        # Model 2's config: the model every profile trains fully (the teaching profile
        # caps the training parts of Models 1 and 3)
        config = profile_config(p.profile, model=2, dataset=name, data=self.data)
        dataset = config_data(config, data_dir=p.data_dir, cache_dir=p.cache_dir)
        split = run_split(config, dataset)
        return dataset, split, prepare(config, dataset)

    def dataset_view(self, name: str) -> DatasetView:
        dataset, split, (kept, kept_split) = self.load(name)
        table = class_split_table(dataset, split, paper_counts=paper.seven_class_counts(paper_dataset(name)))
        return DatasetView(self.dataset_name(name), len(dataset), table, tuple(dataset.notes),
                           kept.labels[kept_split == "train"], dataset, split)

    def dataset_summaries(self) -> dict:
        summaries = {}
        for name in DATASETS:
            view = self.dataset_view(name)
            summaries[view.name] = dataset_summary(view.dataset, view.split)
        return summaries

    def probes(self):
        return probes_table([])  # a probe takes minutes: books never run one

    def evidence_rows(self) -> list:
        return []


class SyntheticData(_TrainingBackend):
    """ferlib's synthetic stand-ins (no data directory, a profile other than ``paper``)."""

    data = "synthetic"
    label = "ferlib's synthetic stand-ins"
    description = ("These are ferlib's synthetic stand-ins: drawn faces, no photographs, whose "
                   "accuracies say nothing about the paper's claims (`python -m ferlib book --data-dir DATA` "
                   "uses the real data sets).")


class RealData(_TrainingBackend):
    """The real data sets under the data directory."""

    label = "the real data sets"
    description = "These are the real data sets found under the given data directory."


class CommittedResults(_Backend):
    """The ``paper`` profile without data: the committed runs in ``store`` (``results/paper``)."""

    has_images = False
    label = "the reference runs on the real data sets"
    description = ("These are the results of the protocol on the real data sets: counts, metrics and "
                   "predictions. The photographs themselves are not part of the book (their licences are "
                   "for research only); `python -m ferlib book --data-dir DATA` shows them.")

    def runs(self) -> dict:
        p = self.parameters
        if p.epochs is not None and int(p.epochs) != PROFILES["paper"]["epochs"]:
            raise ValueError(f"epochs={p.epochs}: the committed paper results use "
                             f"{PROFILES['paper']['epochs']} epochs; give a data directory to train others")
        return paper_results(p.store, models=p.models, seed=int(p.seed))

    def missing_runs(self, runs: dict):
        return missing_runs(self.parameters.store, models=self.parameters.models, seed=int(self.parameters.seed))

    def dataset_view(self, name: str) -> DatasetView:
        run_name = self.dataset_name(name)
        summary = read_dataset_summaries(self.parameters.store)[run_name]
        table = summary_table(summary, paper_counts=paper.seven_class_counts(paper_dataset(name)))
        train = np.repeat(np.arange(len(EMOTIONS)), table["train"].drop("total").to_numpy())
        return DatasetView(run_name, summary["images"], table, tuple(summary["notes"]), train)

    def dataset_summaries(self) -> dict:
        return read_dataset_summaries(self.parameters.store)

    def load(self, name: str):
        raise ValueError("the committed results hold no images; give a data directory to see them")

    def probes(self):
        path = Path(self.parameters.store) / PROBES_FILE
        return probes_table(read_probes(path)) if path.exists() else probes_table([])

    def evidence_rows(self) -> list:
        runs = committed_runs(self.parameters.store)  # read once: the evidence and its protocol twins
        twins = protocol_runs(runs)
        in_study = {run.id for round in ROUNDS for _, run in study_runs(runs, round=round)}
        rows = []
        for run in runs_outside_protocol(runs):
            if run.id in in_study:
                continue
            key = experiment_key(run.config)
            row = runs_overview({key: run})
            row["final_train_loss"] = float(run.history["loss"].iloc[-1])
            twin = twins.get(key)
            if twin is not None and (twin.config.dataset != run.config.dataset or run.config.protocol != "paper"):
                twin = None  # a six-class CK+48 run, or a fold tested on other images than the paper's split
            row["run_dataset"] = run.config.dataset
            row["departures"] = departure_text(run.config)
            row["protocol_accuracy"] = twin.metrics["test"]["accuracy"] if twin else float("nan")
            rows.append(row)
        return rows


def backend_for(parameters: Parameters) -> _Backend:
    """The backend the parameters call for (see the module docstring)."""
    if uses_committed_results(parameters.profile, parameters.data_dir):
        return CommittedResults(parameters)
    return SyntheticData(parameters) if parameters.data_dir is None else RealData(parameters)


# --------------------------------------------------------------------------- the chapter


class Chapter:
    """A notebook's view of the study: its runs, data sets and committed evidence.

    Open one with :func:`open_chapter`. The runs are read (or trained) once, on first use.
    ``clock``: the page's :class:`PageClock` (``None`` outside a notebook).
    """

    def __init__(self, parameters: Parameters, *, clock: PageClock | None = None):
        self.parameters = parameters
        self.backend = backend_for(parameters)
        self.clock = clock
        self._runs = None

    def __repr__(self) -> str:
        return f"Chapter({type(self.backend).__name__}, {self.parameters})"

    @property
    def committed(self) -> bool:
        """Whether this chapter shows the committed results (no training, no images)."""
        return isinstance(self.backend, CommittedResults)

    @property
    def has_images(self) -> bool:
        """Whether this chapter can show images (faces, augmentation grids)."""
        return self.backend.has_images

    @property
    def label(self) -> str:
        """A few words naming the data this chapter shows, for the prose pages."""
        return self.backend.label

    @property
    def description(self) -> str:
        """One sentence saying which data the chapter shows."""
        return self.backend.description

    @property
    def results_dir(self) -> Path:
        """The committed results (``results/paper`` under the project root), whatever the
        backend: the baselines, the sensitivity study and the leakage counts live there."""
        return committed_results()

    def runs(self) -> dict:
        """The paper's runs, ``{(model, dataset, source): Run}``: trained (or found in the
        store) for synthetic and real data, read for the committed results (experiments
        without a committed run are absent)."""
        if self._runs is None:
            self._runs = self.backend.runs()
        return self._runs

    def missing_runs(self):
        """The paper's experiments :meth:`runs` lacks and why: columns ``model``,
        ``dataset``, ``training``, ``reason``."""
        return self.backend.missing_runs(self.runs())

    def dataset_view(self, name: str) -> DatasetView:
        """One of the paper's data sets (``"fer2013"``, ``"ckplus"``, ``"jaffe"``) as the
        protocol's runs use it: loaded, or read from ``datasets.json`` for the committed
        results. On real data CK+ is the seven-class set the protocol trains on."""
        return self.backend.dataset_view(name)

    def dataset_views(self) -> dict:
        """``{name: DatasetView}`` of the three data sets."""
        return {name: self.dataset_view(name) for name in DATASETS}

    def dataset_summaries(self) -> dict:
        """``{name: summary}`` (:func:`ferlib.results.dataset_summary`) of the data sets,
        keyed by the name the runs use (``"ckplus7"`` for real CK+)."""
        return self.backend.dataset_summaries()

    def dataset(self, name: str, *, limited: bool = False):
        """A data set with its images, and its split: ``(dataset, split)``; with
        ``limited``, only the rows a run keeps (:func:`ferlib.experiment.prepare`).
        ``ValueError`` for the committed results, which hold no images."""
        dataset, split, kept = self.backend.load(name)
        return kept if limited else (dataset, split)

    def probes(self):
        """The committed collapse probes (``python -m ferlib probe --save``) as a
        :func:`ferlib.diagnostics.probes_table`; empty unless this chapter shows the
        committed results and some were saved."""
        return self.backend.probes()

    def evidence_runs(self):
        """The committed runs outside the protocol that are in no round of the sensitivity
        study (shown on its own page), as :func:`ferlib.tables.runs_overview` rows plus
        ``run_dataset`` (the data set it trained on: ``"ckplus"`` is CK+48),
        ``final_train_loss``, ``departures`` (how its settings differ from the
        protocol's) and the same experiment's protocol run's ``protocol_accuracy`` (NaN
        where it has none on the same data set and split: a six-class CK+48 run has no
        seven-class twin, a subject-independent fold tests other images). Empty unless this chapter shows the committed results."""
        columns = list(runs_overview({}).columns) + ["run_dataset", "final_train_loss", "departures",
                                                      "protocol_accuracy"]
        rows = self.backend.evidence_rows()
        return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)

    def seed_runs(self) -> dict:
        """Each experiment's runs over seeds, ``{key: [Run, ...]}``: every committed seed
        of the protocol for the committed results, else this chapter's one run each."""
        if self.committed:
            return protocol_seed_runs(committed_runs(self.parameters.store), models=self.parameters.models)
        return {key: [run] for key, run in self.runs().items()}

    def baselines(self):
        """The committed baselines (:func:`ferlib.compare.baseline_accuracies`) for the
        committed results, whose test images they share; ``None`` otherwise."""
        if not self.committed:
            return None

        return baseline_accuracies(read_baselines(self.results_dir / "baselines.json"))

    def pick_run(self, dataset: str, *, model=None, quiet: bool = False):
        """:func:`pick_run` among this chapter's runs."""
        return pick_run(self.runs(), dataset, model=model, quiet=quiet)

    def pick_runs(self, *, model=None) -> dict:
        """``{dataset: pick_run(...)}`` for the paper's three data sets, quietly."""
        return {name: self.pick_run(name, model=model, quiet=True) for name in (SOURCE_DATASET, *TARGET_DATASETS)}

    def curves_figure(self, dataset: str, *, title=None):
        """The learning curves of every run on ``dataset`` (a Figure), or a placeholder
        figure saying there is none."""
        runs = self.runs()
        if not any(key[1] == dataset for key in runs):
            return placeholder_figure(f"{figures.dataset_title(dataset)}: no run in this book")
        return figures.training_curves_figure(tables.histories_for(runs, dataset),
                                              title=title or figures.dataset_title(dataset))

    def show_curves(self, dataset: str, *, title=None):
        """The learning curves of every run on ``dataset``, or a line saying there is none."""
        runs = self.runs()
        if not any(key[1] == dataset for key in runs):
            note(f"{dataset_title(dataset)}: no run to show (see the missing runs above).")
            return None
        return show(figures.training_curves_figure(tables.histories_for(runs, dataset),
                                                   title=title or dataset_title(dataset)))


def committed_results(results_dir=None) -> Path:
    """The folder of committed results a page reads: ``results_dir``, or by default
    ``results/paper`` of this project (wherever the notebook runs)."""
    if results_dir is not None:
        return Path(validate_parameters(results_dir=from_root(results_dir))["results_dir"])

    return project_root() / PAPER_RESULTS


def glue_protocol_numbers(results_dir=None) -> dict:
    """Glue the protocol's numbers (:func:`ferlib.protocol.protocol_numbers`: epochs, batch
    size, images per epoch, learning rates), each named ``protocol_<name>``, for a page's
    prose, and return them. They are counted on the real data sets of the committed
    results (:func:`committed_results` of ``results_dir``), whatever data the page shows."""
    numbers = protocol_numbers(read_dataset_summaries(committed_results(results_dir)))
    glue_values(numbers, prefix="protocol_")
    return numbers


def open_results(page: str, *, results_dir=None) -> tuple:
    """``(results_dir, clock)`` for a page that reads the committed results, the first
    thing its notebook does:

        results_dir, clock = open_results("10_reproducibility", results_dir=results_dir)
        ...
        clock.box()                            # the page's last cell

    ``results_dir`` (the notebook's parameter) is checked first, so a wrong value stops
    the notebook here with a message naming it; the folder is :func:`committed_results`
    of it. ``page``, the notebook's name, starts the page's :class:`PageClock`.
    """
    clock = PageClock(page)
    return committed_results(results_dir), clock


def open_chapter(page: str | None = None, *, profile: str = "smoke", data_dir=None, store="runs",
                 models=PAPER_MODELS, seed: int = 0, epochs=None, cache_dir=None, **others) -> Chapter:
    """A :class:`Chapter` for a notebook's parameters, the first thing a chapter's notebook does:

        chapter = open_chapter("04_training_curves", profile=profile, ...)
        ...
        chapter.clock.box(profile="quick")     # the page's last cell

    Every parameter given, the chapter's and the notebook's own (``others``, e.g.
    ``faces_per_class``), is checked first by :func:`validate_parameters`, so a wrong
    value stops the notebook here with a message naming it. Relative paths (``store``,
    ``data_dir``, ``cache_dir``) start at the project root (:func:`from_root`).
    ``page``, the notebook's name, starts the page's :class:`PageClock` (``chapter.clock``).
    """
    clock = PageClock(page) if page is not None else None
    data_dir, store, cache_dir = from_root(data_dir), from_root(store), from_root(cache_dir)
    validate_parameters(profile=profile, data_dir=data_dir, store=store, models=models, seed=seed,
                        epochs=epochs, cache_dir=cache_dir, **others)
    return Chapter(Parameters(profile=profile, data_dir=None if data_dir is None else str(data_dir),
                              store=str(store), models=tuple(int(m) for m in models), seed=int(seed),
                              epochs=None if epochs is None else int(epochs),
                              cache_dir=None if cache_dir is None else str(cache_dir)), clock=clock)


def _whole(value, *, least: int = 0, most: int = options.MAX_IMAGES):
    """``value`` as an int when it is a whole number ``least <= n <= most`` (not a bool;
    a number of 400 digits is out of range, not an overflow)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        try:
            number = float(value) if len(str(value)) <= 40 else None
        except (TypeError, ValueError, OverflowError):
            return None
        if number is None or not math.isfinite(number) or not number.is_integer():
            return None
        number = int(number)
    return number if least <= number <= most else None


def _model_list(value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return None
    models = [_whole(m) for m in value]
    if not models or any(m not in MODEL_IDS for m in models) or len(set(models)) != len(models):
        return None
    return models


def _optional_model(value):
    if value is None:
        return False
    model = _whole(value)
    return model if model in MODEL_IDS else None


def _folder(value, *, must_exist: bool):
    if value is None or not isinstance(value, (str, Path)) or not str(value).strip():
        return None
    if must_exist and not Path(value).is_dir():
        return None
    return str(value)


#: The model ids in words: ``"1, 2 or 3"``.
_MODEL_WORDS = " or ".join(filter(None, (", ".join(map(str, MODEL_IDS[:-1])), str(MODEL_IDS[-1]))))

#: Every parameter a notebook may declare: ``name -> (check, what it must be)``. A check
#: returns the normalised value, or ``None`` (``False`` where ``None`` is a valid value)
#: when the value is wrong.
PARAMETER_RULES = {
    "profile": (lambda v: v if isinstance(v, str) and v in PROFILES else None, f"one of {sorted(PROFILES)}"),
    "data_dir": (lambda v: "" if v is None else _folder(v, must_exist=True),
                 "None (no real data) or an existing folder holding fer2013/, ckplus/ and jaffe/"),
    "store": (lambda v: _folder(v, must_exist=False), "a folder path for the run store"),
    "models": (_model_list, f"a non-empty list of distinct model numbers {', '.join(map(str, MODEL_IDS))}, "
                            f"e.g. {list(PAPER_MODELS)}"),
    "seed": (lambda v: _whole(v, least=0, most=options.SEED_LIMIT - 1), "a whole number 0..4294967295 (2**32 - 1)"),
    "epochs": (lambda v: False if v is None else _whole(v, least=1, most=options.MAX_EPOCHS),
               f"None (the profile's epochs) or a whole number 1..{options.MAX_EPOCHS:,}"),
    "cache_dir": (lambda v: "" if v is None else _folder(v, must_exist=False),
                  "None (no cache) or a folder path"),
    "faces_per_class": (lambda v: _whole(v, least=1, most=100_000), "a whole number 1..100,000"),
    "faces": (lambda v: _whole(v, least=1, most=100_000), "a whole number 1..100,000"),
    "faces_per_dataset": (lambda v: _whole(v, least=1, most=100_000), "a whole number 1..100,000"),
    "top_pairs": (lambda v: _whole(v, least=1, most=100_000), "a whole number 1..100,000"),
    "confusion_model": (_optional_model, f"None (the best model on the validation part) or {_MODEL_WORDS}"),
    "analysis_model": (_optional_model, f"None (the best model on the validation part) or {_MODEL_WORDS}"),
    "results_dir": (lambda v: False if v is None else _folder(v, must_exist=True),
                    "None (this project's results/paper) or an existing folder of committed results"),
}


def _shown(value) -> str:
    """``repr(value)`` cut to 80 characters (a number too long for ``repr`` said so)."""
    try:
        return shortened(repr(value), 80)
    except ValueError:
        return "a number of more than 4,300 digits"


def validate_parameters(**values) -> dict:
    """Check a notebook's parameters by name (:data:`PARAMETER_RULES`).

    Returns ``{name: value}`` with numbers as ints and models as a list. Raises
    ``ValueError`` naming the parameter, the value given and what it must be; an unknown
    name is refused with the names that exist.

    >>> validate_parameters(models=[2], seed=3)
    {'models': [2], 'seed': 3}
    """
    checked = {}
    for name, value in values.items():
        if name not in PARAMETER_RULES:
            raise ValueError(f"unknown parameter {name!r}; the notebooks take {sorted(PARAMETER_RULES)}")
        check, expected = PARAMETER_RULES[name]
        try:
            result = check(value)
        except (TypeError, ValueError, OverflowError):  # a value of a kind no rule expects
            result = None
        if result is None:
            raise ValueError(f"parameter {name!r} must be {expected}; got {_shown(value)}")
        checked[name] = value if result is False or result == "" else result
    return checked
