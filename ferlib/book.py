"""Execute every notebook and build the book: ``python -m ferlib book``.

Layout (everything under the build folder is made here and never goes into git)::

    notebooks/NN_name.py             jupytext "percent" sources, one per paper section
    book/*.md, references.bib        the prose pages and their bibliography
    _config.yml, _toc.yml            the Jupyter Book configuration and table of contents
    <build>/src/                     the assembled book source:
        _config.yml, _toc.yml, references.bib, book/*.md   copies of the above
        notebooks/NN_name.ipynb      the executed notebooks (papermill output)
    <build>/html/index.html          the built book
    <build>/runs-<profile>/          the default run store of that profile (the ``paper``
                                     profile without data reads ``results/paper``)
    <build>/data-cache/              parsed real data (only with a data directory)
    <build>/failed/NN_name.ipynb     a notebook that raised, as far as it ran

``_toc.yml`` names the notebooks as ``notebooks/NN_name``; in ``<build>/src`` that
resolves to the executed ``.ipynb`` copies, so the book (``execute_notebooks: off``)
shows exactly the outputs papermill produced. The book is built with
``jupyter-book build <build>/src -W --keep-going``: any Sphinx warning fails it.

The notebooks run in a ``python3`` Jupyter kernel whose working folder is the
project root; paths handed to them (``store``, ``data_dir``, ``cache_dir``) are
relative to that root when they lie below it.

Besides the build, this module holds the few helpers the notebooks share
(:func:`book_dataset`, :func:`book_runs`, :func:`show`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import ferlib
from ferlib.config import PROFILES
from ferlib.diagnostics import PROBES_FILE

#: Files and folders copied from the project root into ``<build>/src``.
BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib")
BOOK_FOLDER = "book"
NOTEBOOK_FOLDER = "notebooks"
KERNEL_NAME = "python3"

_print = functools.partial(print, flush=True)


# --------------------------------------------------------------------------- helpers
# used by the notebooks


def book_dataset(name: str, *, profile: str = "smoke", data_dir=None, cache_dir=None,
                 limited: bool = False):
    """A data set as the profile's runs see it, and its split.

    Args:
        name: ``"fer2013"``, ``"ckplus"`` or ``"jaffe"``.
        profile: ``"smoke"``, ``"quick"`` or ``"paper"`` (decides the synthetic size).
        data_dir: the real data root; ``None`` makes the synthetic stand-in.
        cache_dir: where parsed real data is cached (``None``: no cache).
        limited: ``False``: every image with the paper's split; ``True``: only the
            rows a run keeps (its training part capped at the profile's
            ``limit_train``), exactly as :func:`ferlib.experiment.prepare` gives them.

    Returns:
        ``(dataset, split)``: a :class:`~ferlib.datasets.base.FaceDataset` and its
        ``(n,)`` str array of ``"train"`` / ``"val"`` / ``"test"``.
    """
    dataset, split, limited_pair = _load_with_splits(name, profile, data_dir, cache_dir)
    return limited_pair if limited else (dataset, split)


def _load_with_splits(name, profile, data_dir, cache_dir):
    """``(dataset, paper split, (rows a run keeps, their split))`` of one data set."""
    from ferlib import splits
    from ferlib.config import profile_config
    from ferlib.experiment import config_data, prepare

    config = profile_config(profile, model=1, dataset=name,
                            data="real" if data_dir is not None else "synthetic")
    dataset = config_data(config, data_dir=data_dir, cache_dir=cache_dir)
    split = splits.make_split(dataset, config.protocol, seed=config.split_seed, fold=config.fold)
    return dataset, split, prepare(config, dataset)


def uses_committed_results(profile: str, data_dir) -> bool:
    """Whether the notebooks show the committed reference results: the ``paper``
    profile without a data directory reads ``results/paper`` instead of training."""
    return profile == "paper" and data_dir is None


def book_runs(profile: str = "smoke", *, store="runs", models=(1, 2, 3), data_dir=None,
              seed: int = 0, epochs=None, cache_dir=None, verbose: int = 0) -> dict:
    """The paper's runs for the notebooks: :func:`ferlib.protocol.reproduction_runs`, quiet
    (``epochs=None`` keeps the profile's).

    With the ``paper`` profile and no data directory nothing is trained: ``store`` is
    a folder of committed results (default ``results/paper``) and the runs found there
    are returned; experiments without a committed run are absent from the dict.
    """
    import logging

    from ferlib.protocol import reproduction_runs

    if uses_committed_results(profile, data_dir):
        from ferlib.results import paper_results

        if epochs is not None and int(epochs) != PROFILES["paper"]["epochs"]:
            raise ValueError(f"epochs={epochs}: the committed paper results use "
                             f"{PROFILES['paper']['epochs']} epochs; give a data directory to train others")
        return paper_results(store, models=models, seed=int(seed))
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notices in the book
    return reproduction_runs(profile, store=store, models=[int(m) for m in models], data_dir=data_dir,
                             cache_dir=cache_dir, seed=int(seed), verbose=verbose,
                             epochs=None if epochs is None else int(epochs))


def missing_runs_table(runs: dict, *, profile: str = "smoke", data_dir=None, store="runs",
                       models=(1, 2, 3), seed: int = 0):
    """The paper's experiments that ``runs`` lacks, with the reason when the committed
    results give one: columns ``model``, ``dataset``, ``training``, ``reason``."""
    import pandas as pd

    from ferlib.results import missing_runs, paper_experiments

    if uses_committed_results(profile, data_dir):
        return missing_runs(store, models=models, seed=int(seed))
    rows = [{"model": m, "dataset": d, "training": "scratch" if s is None else "fine-tuned",
             "reason": "not trained"} for (m, d, s) in paper_experiments(models) if (m, d, s) not in runs]
    return pd.DataFrame(rows, columns=["model", "dataset", "training", "reason"])


def missing_runs_markdown(missing) -> str:
    """:func:`missing_runs_table` as a Markdown list (reasons are too long for a table)."""
    from ferlib.figures import dataset_title

    if not len(missing):
        return "None: every experiment has a run."
    return "\n".join(f"- Model {row.model}, {dataset_title(row.dataset)}, {row.training}: {row.reason}"
                     for row in missing.itertuples())


def show_curves(runs: dict, dataset: str, *, title=None):
    """The learning curves of every run on ``dataset``, or a line saying there is none."""
    from ferlib import figures, tables

    if not any(key[1] == dataset for key in runs):
        print(f"{figures.dataset_title(dataset)}: no runs to show (see the missing runs above)")
        return None
    return show(figures.training_curves_figure(tables.histories_for(runs, dataset),
                                               title=title or figures.dataset_title(dataset)))


def pick_run(runs: dict, dataset: str, *, model=None):
    """The run a section shows for ``dataset`` (:func:`ferlib.tables.select_run`); when
    the usual training (fine-tuned for JAFFE and CK+) has no run, the other one.

    Returns ``((model, dataset, source), run)``, or ``None`` (after printing why) when
    ``dataset`` has no run at all.
    """
    from ferlib import figures, tables

    preferred = tables.default_training(dataset)
    for training in (preferred, "fine-tuned" if preferred == "scratch" else "scratch"):
        try:
            picked = tables.select_run(runs, dataset, training=training, model=model)
        except ValueError:
            continue
        if training != preferred:
            print(f"{figures.dataset_title(dataset)}: no {preferred} run; showing the {training} one")
        return picked
    print(f"{figures.dataset_title(dataset)}: no run to show (see the missing runs in the training notebook)")
    return None


@dataclasses.dataclass
class DatasetView:
    """What the data notebooks show of one data set.

    Attributes:
        name: ``"fer2013"``, ``"ckplus"`` or ``"jaffe"``.
        images: how many images.
        table: images per class and split part (see :func:`ferlib.tables.class_split_table`),
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
        from ferlib.figures import dataset_title

        return dataset_title(self.dataset.name if self.dataset is not None else self.name)

    @property
    def class_counts(self) -> dict:
        """``{class name: images}`` over all split parts."""
        return {c: int(v) for c, v in self.table["all"].drop("total").items()}


def dataset_view(name: str, *, profile: str = "smoke", data_dir=None, store="runs",
                 cache_dir=None) -> DatasetView:
    """A data set for the data notebooks: loaded (real or synthetic), or, for the
    committed ``paper`` results without data, read from ``<store>/datasets.json``."""
    import numpy as np

    from ferlib import paper, tables
    from ferlib.protocol import paper_dataset
    from ferlib.labels import EMOTIONS

    if uses_committed_results(profile, data_dir):
        from ferlib.results import read_dataset_summaries, summary_table

        summary = read_dataset_summaries(store)[name]
        table = summary_table(summary, paper_counts=paper.TABLE_1[paper_dataset(name)])
        train = np.repeat(np.arange(len(EMOTIONS)), table["train"].drop("total").to_numpy())
        return DatasetView(name, summary["images"], table, tuple(summary["notes"]), train)
    dataset, split, (runs_data, runs_split) = _load_with_splits(name, profile, data_dir, cache_dir)
    table = tables.class_split_table(dataset, split, paper_counts=paper.TABLE_1[paper_dataset(name)])
    return DatasetView(name, len(dataset), table, tuple(dataset.notes),
                       runs_data.labels[runs_split == "train"], dataset, split)


def collapse_probes(*, profile: str = "smoke", data_dir=None, store="runs"):
    """The committed collapse probes of ``python -m ferlib probe`` (``<store>/probes.json``)
    as a :func:`ferlib.diagnostics.probes_table`; an empty table when this build shows no
    committed results or none were saved (a probe takes minutes, so books never run one)."""
    from ferlib.diagnostics import probes_table, read_probes

    path = Path(store) / PROBES_FILE
    if not uses_committed_results(profile, data_dir) or not path.exists():
        return probes_table([])
    return probes_table(read_probes(path))


def evidence_runs(*, profile: str = "smoke", data_dir=None, store="runs"):
    """The committed runs outside the protocol (:func:`ferlib.results.runs_outside_protocol`)
    that are not in the sensitivity study (:func:`ferlib.study.study_runs`, shown on its
    own page), as :func:`ferlib.tables.runs_overview` rows plus ``final_train_loss``,
    ``departures`` (how its settings differ from the protocol's) and the same
    experiment's protocol run's ``protocol_accuracy`` (NaN where it has none). Empty
    unless this build shows the committed results."""
    import pandas as pd

    from ferlib.protocol import departure_text
    from ferlib.results import committed_runs, experiment_key, protocol_runs, runs_outside_protocol
    from ferlib.study import study_runs
    from ferlib.tables import runs_overview

    columns = list(runs_overview({}).columns) + ["final_train_loss", "departures", "protocol_accuracy"]
    if not uses_committed_results(profile, data_dir):
        return pd.DataFrame(columns=columns)
    runs = committed_runs(store)  # read once: the evidence and its protocol twins
    twins = protocol_runs(runs)
    in_study = {run.id for _, run in study_runs(runs)}
    rows = []
    for run in runs_outside_protocol(runs):
        if run.id in in_study:
            continue
        key = experiment_key(run.config)
        row = runs_overview({key: run})
        row["final_train_loss"] = float(run.history["loss"].iloc[-1])
        twin = twins.get(key)
        row["departures"] = departure_text(run.config)
        row["protocol_accuracy"] = twin.metrics["test"]["accuracy"] if twin else float("nan")
        rows.append(row)
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


def dataset_summaries(*, profile: str = "smoke", data_dir=None, store="runs", cache_dir=None) -> dict:
    """``{name: summary}`` (:func:`ferlib.results.dataset_summary`) of the three data
    sets as this build sees them: from ``<store>/datasets.json`` for the committed
    results, else from the loaded (real or synthetic) data."""
    from ferlib.results import dataset_summary, read_dataset_summaries

    if uses_committed_results(profile, data_dir):
        return read_dataset_summaries(store)
    summaries = {}
    for name in ("fer2013", "ckplus", "jaffe"):
        view = dataset_view(name, profile=profile, data_dir=data_dir, store=store, cache_dir=cache_dir)
        summaries[name] = dataset_summary(view.dataset, view.split)
    return summaries


def show(figure, *, dpi: int = 100):
    """Display a matplotlib Figure as a PNG in a notebook (any backend), then close it.

    Returns ``None``, so a notebook cell shows the image once.
    """
    import io

    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    display(Image(data=buffer.getvalue(), format="png"))


def data_label(data_dir, profile: str = "smoke") -> str:
    """A few words naming the data a build shows, for the prose pages."""
    if uses_committed_results(profile, data_dir):
        return "the committed reference runs on the real data sets"
    return "the real data sets" if data_dir is not None else "ferlib's synthetic stand-ins"


def data_description(data_dir, profile: str = "smoke") -> str:
    """One sentence saying which data the notebook shows."""
    if uses_committed_results(profile, data_dir):
        return ("These are the committed results of the paper profile on the real data sets "
                "(results/paper): counts, metrics and predictions, no images. Rebuild with "
                "`--data-dir` to see the faces.")
    if data_dir is None:
        return ("These are ferlib's synthetic stand-ins (drawn faces, no photographs): no data "
                "directory was given. Rebuild with `--data-dir` to see the real data sets.")
    return "These are the real data sets found under the given data directory."


# --------------------------------------------------------------------------- the build


class NotebookFailed(RuntimeError):
    """A notebook raised while executing; says which notebook, cell and error."""

    def __init__(self, notebook: str, message: str, saved_to=None):
        self.notebook = notebook
        self.saved_to = saved_to
        super().__init__(f"notebook {notebook}: {message}"
                         + (f" (the partly executed notebook is {saved_to})" if saved_to else ""))


@dataclasses.dataclass
class ExecutedNotebook:
    """One executed notebook: its source, the executed copy and the seconds it took."""

    name: str
    source: Path
    output: Path
    seconds: float


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


def notebook_sources(root) -> list:
    """The jupytext notebooks ``notebooks/NN_*.py`` of the project, in order."""
    folder = Path(root) / NOTEBOOK_FOLDER
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.py") if p.is_file())
    if not found:
        raise FileNotFoundError(f"{folder}: no notebooks named NN_name.py")
    return found


def _relative(path, root: Path):
    """``path`` relative to ``root`` when below it (as str), else absolute; None stays None."""
    if path is None:
        return None
    path = Path(path).resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def notebook_parameters(*, profile="smoke", data_dir=None, store="runs", seed=0,
                        models=(1, 2, 3), epochs=None, cache_dir=None) -> dict:
    """The parameters every notebook takes (papermill injects them), validated."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    models = [int(m) for m in models]
    if not models or any(m not in (1, 2, 3) for m in models):
        raise ValueError(f"models must be a non-empty list of 1, 2, 3, got {models!r}")
    if epochs is not None and int(epochs) < 1:
        raise ValueError(f"epochs must be at least 1 or None, got {epochs!r}")
    if int(seed) < 0:
        raise ValueError(f"seed must be non-negative, got {seed!r}")
    return {"data_dir": None if data_dir is None else str(data_dir), "profile": profile,
            "models": models, "epochs": None if epochs is None else int(epochs),
            "seed": int(seed), "store": str(store),
            "cache_dir": None if cache_dir is None else str(cache_dir)}


def convert_notebook(source, target) -> Path:
    """Convert a jupytext ``.py`` notebook to an ``.ipynb`` file (written atomically).

    Sets the ``python3`` kernel; the sources are not changed. How the cells show in the
    book is set after execution (:func:`tag_for_reading`).
    """
    import jupytext
    import nbformat

    source, target = Path(source), Path(target)
    if not source.is_file():
        raise FileNotFoundError(f"notebook source {source} not found")
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata.pop("jupytext", None)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    nbformat.write(notebook, tmp)
    os.replace(tmp, target)
    return target


#: Cells the rendered book leaves out (they stay in the executed notebook).
REMOVED_CELL_TAGS = ("parameters", "injected-parameters")


def tag_for_reading(path) -> Path:
    """Tag an executed notebook's cells for the book: the parameters and papermill's
    injected parameters are removed from the page (``remove-cell``), every other code
    cell shows its output with its code folded behind a toggle (``hide-input``) unless
    it is tagged ``show-input``. Rewritten in place, atomically."""
    import nbformat

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if any(tag in tags for tag in REMOVED_CELL_TAGS):
            extra = "remove-cell"
        elif "show-input" in tags:
            continue
        else:
            extra = "hide-input"
        if extra not in tags:
            cell.metadata["tags"] = [*tags, extra]
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    nbformat.write(notebook, tmp)
    os.replace(tmp, path)
    return path


def _failure_message(error) -> str:
    """Which cell failed and why, from a papermill error."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        first_line = next((line for line in str(error.source).splitlines() if line.strip()), "")
        return (f"cell {error.cell_index} (execution count {error.exec_count}) raised "
                f"{error.ename}: {error.evalue}; the cell starts: {first_line!r}")
    return f"{type(error).__name__}: {error}"


def _kernel_environment() -> dict:
    """Environment for the kernels: ferlib importable, TensorFlow quiet."""
    env = {"TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    package_parent = str(Path(ferlib.__file__).resolve().parent.parent)
    paths = [package_parent] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Send this process's file descriptor 2 (and so the kernel's start-up and
    TensorFlow chatter, which kernels inherit) to ``path`` for the duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "ab") as log_file:
            os.dup2(log_file.fileno(), 2)
            yield path
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def execute_notebook(source, output, parameters: dict, *, cwd, work_dir) -> float:
    """Execute one jupytext notebook with papermill; returns the seconds it took.

    The executed notebook is written to ``output`` only when every cell ran; on a
    failure it is kept in ``work_dir/failed/`` and :class:`NotebookFailed` names the
    notebook, the cell and the error. The kernel's stderr goes to
    ``work_dir/logs/<name>.log``.
    """
    import papermill

    source, output, work_dir = Path(source), Path(output), Path(work_dir)
    name = source.stem
    unexecuted = convert_notebook(source, work_dir / "inputs" / f"{name}.ipynb")
    running = work_dir / "running" / f"{name}.ipynb"
    running.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    saved_env = {k: os.environ.get(k) for k in ("PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL")}
    os.environ.update(_kernel_environment())
    log_path = work_dir / "logs" / f"{name}.log"
    log_path.unlink(missing_ok=True)
    try:
        with _stderr_to(log_path):
            papermill.execute_notebook(
                str(unexecuted), str(running), parameters=parameters, kernel_name=KERNEL_NAME,
                cwd=str(cwd), progress_bar=False, log_output=False, report_mode=False)
    except Exception as error:  # papermill re-raises cell errors and kernel deaths
        failed = work_dir / "failed" / f"{name}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        if running.exists():
            os.replace(running, failed)
        raise NotebookFailed(source.name, _failure_message(error),
                             saved_to=failed if failed.exists() else None) from error
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    tag_for_reading(running)
    output.parent.mkdir(parents=True, exist_ok=True)
    os.replace(running, output)
    return time.perf_counter() - started


def execute_notebooks(root, build_dir, parameters: dict, *, names=None, log=_print) -> list:
    """Execute the project's notebooks in order into ``<build_dir>/src/notebooks/``.

    Args:
        root: the project root (see :func:`project_root`).
        build_dir: the build folder.
        parameters: :func:`notebook_parameters` output, injected into every notebook.
        names: only the notebooks whose stem is in ``names`` (default: all).
        log: prints one line per notebook: its name and seconds.

    Returns a list of :class:`ExecutedNotebook`; raises :class:`NotebookFailed` on the
    first notebook that raises.
    """
    root, build_dir = Path(root), Path(build_dir)
    sources = notebook_sources(root)
    if names is not None:
        unknown = set(names) - {s.stem for s in sources}
        if unknown:
            raise ValueError(f"unknown notebooks {sorted(unknown)}; have {[s.stem for s in sources]}")
        sources = [s for s in sources if s.stem in set(names)]
    results = []
    for source in sources:
        output = build_dir / "src" / NOTEBOOK_FOLDER / f"{source.stem}.ipynb"
        seconds = execute_notebook(source, output, parameters, cwd=root, work_dir=build_dir)
        log(f"{source.name}: done in {seconds:.1f} s")
        results.append(ExecutedNotebook(source.stem, source, output, seconds))
    return results


def assemble_source(root, build_dir) -> Path:
    """Copy the book's configuration and prose into ``<build_dir>/src``; returns that folder.

    The executed notebooks are not touched (:func:`execute_notebooks` writes them).
    """
    root, src = Path(root), Path(build_dir) / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name in BOOK_FILES:
        if not (root / name).is_file():
            raise FileNotFoundError(f"{root / name}: the book needs this file")
        shutil.copy2(root / name, src / name)
    if not (root / BOOK_FOLDER).is_dir():
        raise FileNotFoundError(f"{root / BOOK_FOLDER}: the book's prose folder is missing")
    shutil.rmtree(src / BOOK_FOLDER, ignore_errors=True)
    shutil.copytree(root / BOOK_FOLDER, src / BOOK_FOLDER)
    return src


def missing_notebooks(root, build_dir) -> list:
    """Names of the project's notebooks that have no executed copy in the build tree."""
    folder = Path(build_dir) / "src" / NOTEBOOK_FOLDER
    return [s.stem for s in notebook_sources(root) if not (folder / f"{s.stem}.ipynb").is_file()]


def build_html(root, build_dir, *, log=_print) -> Path:
    """Build ``<build_dir>/html`` from the executed notebooks and the prose, offline,
    with Sphinx warnings as errors. Returns the path of ``index.html``.

    Raises ``FileNotFoundError`` when a notebook has not been executed yet and
    ``RuntimeError`` (with Jupyter Book's output) when the build fails.
    """
    root, build_dir = Path(root), Path(build_dir).resolve()
    missing = missing_notebooks(root, build_dir)
    if missing:
        raise FileNotFoundError(f"{build_dir / 'src' / NOTEBOOK_FOLDER}: no executed copy of "
                                f"{', '.join(missing)}; execute the notebooks first")
    src = assemble_source(root, build_dir)
    staging = build_dir / ".jupyter-book"
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
               "build", str(src), "--path-output", str(staging),
               "--warningiserror", "--keep-going", "--all", "--quiet"]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed (exit {completed.returncode}):\n"
                           f"{completed.stdout[-6000:]}\n{completed.stderr[-6000:]}")
    built = staging / "_build" / "html"
    if not (built / "index.html").is_file():
        raise RuntimeError(f"jupyter-book build made no {built / 'index.html'}:\n{completed.stdout[-3000:]}")
    html = build_dir / "html"
    old = build_dir / f".html-old-{uuid.uuid4().hex[:8]}"
    if html.exists():
        os.replace(html, old)
    os.replace(built, html)
    shutil.rmtree(old, ignore_errors=True)
    log(f"book: {html / 'index.html'}")
    return html / "index.html"


def build_book(profile: str = "paper", data_dir=None, store=None, seed: int = 0,
               build_dir="_build", *, models=(1, 2, 3), epochs=None, root=None,
               log=_print) -> int:
    """Execute every notebook with the given parameters, then build ``<build_dir>/html``.

    Args:
        profile: ``"paper"`` (default), ``"quick"`` or ``"smoke"``.
        data_dir: the real data root; ``None`` uses the synthetic stand-ins.
        store: the run store; default ``<build_dir>/runs-<profile>``, or for the
            ``paper`` profile without data the committed results ``results/paper``
            (read, never trained into).
        seed: the training seed.
        build_dir: the build folder (see the module docstring for its layout).
        models: the models to train and show.
        epochs: overrides the profile's epochs (``None``: the profile's).
        root: the project root (default: found by :func:`project_root`).
        log: where progress lines go (one per notebook, with its seconds).

    Returns:
        0 when the book was built; 1 when a notebook or the HTML build failed (the
        error, naming the notebook and cell, is logged); 2 for bad arguments.
    """
    try:
        root = project_root() if root is None else Path(root)
        build_dir = Path(build_dir)
        if not build_dir.is_absolute():
            build_dir = Path.cwd() / build_dir
        if data_dir is not None and not Path(data_dir).is_dir():
            raise FileNotFoundError(f"data directory {data_dir} not found")
        if store is None:
            from ferlib.results import PAPER_RESULTS

            store = (root / PAPER_RESULTS if uses_committed_results(profile, data_dir)
                     else build_dir / f"runs-{profile}")
        store = Path(store)
        if uses_committed_results(profile, data_dir) and not store.is_dir():
            raise FileNotFoundError(f"{store}: no committed results for the paper profile; "
                                    f"give --data-dir to train the runs")
        cache_dir = build_dir / "data-cache" if data_dir is not None else None
        parameters = notebook_parameters(
            profile=profile, data_dir=_relative(data_dir, root), store=_relative(store, root),
            seed=seed, models=models, epochs=epochs, cache_dir=_relative(cache_dir, root))
    except (ValueError, FileNotFoundError) as error:
        log(f"error: {error}")
        return 2
    started = time.perf_counter()
    log(f"building the book: profile {profile}, "
        f"{'data ' + parameters['data_dir'] if data_dir is not None else 'committed results' if uses_committed_results(profile, data_dir) else 'synthetic data'}, "
        f"store {parameters['store']}, seed {seed}")
    try:
        execute_notebooks(root, build_dir, parameters, log=log)
        build_html(root, build_dir, log=log)
    except NotebookFailed as error:
        log(f"error: {error}")
        return 1
    except (RuntimeError, FileNotFoundError) as error:
        log(f"error: {error}")
        return 1
    log(f"done in {time.perf_counter() - started:.1f} s")
    return 0
