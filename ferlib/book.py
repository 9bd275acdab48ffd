"""Execute every notebook and build the book: ``python -m ferlib book``.

Layout (everything under the build folder is made here and never goes into git)::

    notebooks/NN_name.py             jupytext "percent" sources, one per paper section
    book/*.md, references.bib        the prose pages and their bibliography
    _config.yml, _toc.yml            the Jupyter Book configuration and table of contents
    _static/ferlib.css               the book's style sheet (compact tables)
    <build>/src/                     the assembled book source:
        _config.yml, _toc.yml, references.bib, book/*.md, _static/   copies of the above
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

What the notebooks work on (their runs, data sets and committed evidence) is
:mod:`ferlib.chapter`; this module only executes them and builds the book.
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
from pathlib import Path

import ferlib
from ferlib import atomic
from ferlib.chapter import NOTEBOOK_FOLDER, project_root, validate_parameters
from ferlib.config import uses_committed_results
from ferlib.results import PAPER_RESULTS
from ferlib.vocabulary import PAPER_MODELS

#: Files and folders copied from the project root into ``<build>/src``.
BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib")
BOOK_FOLDER = "book"
#: The book's style sheet folder (Jupyter Book loads every ``.css`` file in it); optional.
STATIC_FOLDER = "_static"
KERNEL_NAME = "python3"

_print = functools.partial(print, flush=True)


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


@dataclasses.dataclass(frozen=True)
class TocEntry:
    """One page of the book as ``_toc.yml`` lists it.

    Attributes:
        file: the page's path without suffix, relative to the project root
            (``"notebooks/07_results"``, ``"book/method"``).
        part: the caption of the part it belongs to (``None`` for the landing page).
    """

    file: str
    part: str | None

    @property
    def is_notebook(self) -> bool:
        """Whether the page is a notebook (``notebooks/NN_name``) rather than prose."""
        return self.file.startswith(f"{NOTEBOOK_FOLDER}/")

    @property
    def name(self) -> str:
        """The page's file name without folder: ``"07_results"``."""
        return self.file.rsplit("/", 1)[-1]


def toc_entries(root) -> list:
    """Every page of the book in reading order, from ``_toc.yml``: the one list of
    chapters, which drives the table of contents, the order and parameters in which
    :func:`execute_notebooks` runs the notebooks, and the book's tests.

    Returns a list of :class:`TocEntry`, the landing page (``root:``) first. Raises
    ``ValueError`` naming the file when ``_toc.yml`` is not a ``jb-book`` table of
    contents with a root and parts of chapters, or lists a page twice.
    """
    # saves start-up time: PyYAML, one of the book's tools, loads only to build the book
    import yaml

    path = Path(root) / "_toc.yml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the book's table of contents is missing")
    toc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if toc.get("format") != "jb-book" or not isinstance(toc.get("root"), str):
        raise ValueError(f"{path}: expected 'format: jb-book' and a 'root:' page")
    entries = [TocEntry(toc["root"], None)]
    for part in toc.get("parts") or []:
        chapters = part.get("chapters") if isinstance(part, dict) else None
        if not isinstance(chapters, list) or not all(isinstance(c, dict) and "file" in c for c in chapters):
            raise ValueError(f"{path}: every part needs a 'chapters:' list of '- file: PATH' entries, got {part!r}")
        entries += [TocEntry(str(chapter["file"]), part.get("caption")) for chapter in chapters]
    files = [entry.file for entry in entries]
    twice = sorted({f for f in files if files.count(f) > 1})
    if twice:
        raise ValueError(f"{path}: {', '.join(twice)} listed more than once")
    return entries


def notebook_sources(root) -> list:
    """The jupytext notebooks (``notebooks/NN_name.py``) that ``_toc.yml`` lists, in the
    order it lists them (:func:`toc_entries`). Raises ``FileNotFoundError`` when the
    table of contents names a notebook whose source is missing, or lists none."""
    root = Path(root)
    found = []
    for entry in toc_entries(root):
        if entry.is_notebook:
            source = root / f"{entry.file}.py"
            if not source.is_file():
                raise FileNotFoundError(f"{root / '_toc.yml'} lists {entry.file}, but {source} is missing")
            found.append(source)
    if not found:
        raise FileNotFoundError(f"{root / '_toc.yml'}: lists no notebook ({NOTEBOOK_FOLDER}/NN_name)")
    return found


def unlisted_notebooks(root) -> list:
    """Notebook sources ``notebooks/NN_*.py`` that ``_toc.yml`` does not list (each
    chapter must be listed once, there)."""
    listed = set(notebook_sources(root))
    folder = Path(root) / NOTEBOOK_FOLDER
    return sorted(p for p in folder.glob("[0-9][0-9]_*.py") if p not in listed)


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
                        models=PAPER_MODELS, epochs=None, cache_dir=None) -> dict:
    """The parameters the build hands the notebooks (papermill injects each notebook the
    ones it declares), checked by :func:`ferlib.chapter.validate_parameters`."""
    checked = validate_parameters(profile=profile, models=models, epochs=epochs, seed=seed)
    return {"data_dir": None if data_dir is None else str(data_dir), "profile": profile,
            "models": checked["models"], "epochs": None if epochs is None else int(epochs),
            "seed": int(seed), "store": str(store),
            "cache_dir": None if cache_dir is None else str(cache_dir)}


def convert_notebook(source, target) -> Path:
    """Convert a jupytext ``.py`` notebook to an ``.ipynb`` file (written atomically).

    Sets the ``python3`` kernel; the sources are not changed. How the cells show in the
    book is set after execution (:func:`tag_for_reading`).
    """
    # saves start-up time: the notebook tools load only to build the book
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
    with atomic.replacing(target) as tmp:
        nbformat.write(notebook, tmp)
    return target


#: Cells the rendered book leaves out (they stay in the executed notebook).
REMOVED_CELL_TAGS = ("parameters", "injected-parameters")
#: Tags with which a cell keeps the way it shows (its code in view, or none at all).
KEPT_CELL_TAGS = ("show-input", "remove-input", "remove-cell", "hide-cell")


def tag_for_reading(path) -> Path:
    """Tag an executed notebook's cells for the book: the parameters and papermill's
    injected parameters are removed from the page (``remove-cell``), every other code
    cell shows its output with its code folded behind a toggle (``hide-input``) unless
    it is tagged with one of :data:`KEPT_CELL_TAGS`. Rewritten in place, atomically."""
    # saves start-up time: the notebook tools load only to build the book
    import nbformat

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if any(tag in tags for tag in REMOVED_CELL_TAGS):
            extra = "remove-cell"
        elif any(tag in tags for tag in KEPT_CELL_TAGS):
            continue
        else:
            extra = "hide-input"
        if extra not in tags:
            cell.metadata["tags"] = [*tags, extra]
    with atomic.replacing(path) as tmp:
        nbformat.write(notebook, tmp)
    return path


def _failure_message(error) -> str:
    """Which cell failed and why, from a papermill error."""
    # saves start-up time: the notebook tools load only to build the book
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


def declared_parameters(notebook, parameters: dict) -> dict:
    """The entries of ``parameters`` that the notebook's parameters cell declares: each
    notebook is handed only what it uses (papermill would inject the others too)."""
    # saves start-up time: the notebook tools load only to build the book
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    return {name: value for name, value in parameters.items() if name in declared}


def execute_notebook(source, output, parameters: dict, *, cwd, work_dir) -> float:
    """Execute one jupytext notebook with papermill, handing it the ``parameters`` its
    parameters cell declares; returns the seconds it took.

    The executed notebook is written to ``output`` only when every cell ran; on a
    failure it is kept in ``work_dir/failed/`` and :class:`NotebookFailed` names the
    notebook, the cell and the error. The kernel's stderr goes to
    ``work_dir/logs/<name>.log``.
    """
    # saves start-up time: the notebook tools load only to build the book
    import papermill

    source, output, work_dir = Path(source), Path(output), Path(work_dir)
    name = source.stem
    unexecuted = convert_notebook(source, work_dir / "inputs" / f"{name}.ipynb")
    parameters = declared_parameters(unexecuted, parameters)
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
        parameters: :func:`notebook_parameters` output; each notebook gets those it
            declares (:func:`declared_parameters`).
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
    write_executed_config(root / "_config.yml", src / "_config.yml")
    if not (root / BOOK_FOLDER).is_dir():
        raise FileNotFoundError(f"{root / BOOK_FOLDER}: the book's prose folder is missing")
    shutil.rmtree(src / BOOK_FOLDER, ignore_errors=True)
    shutil.copytree(root / BOOK_FOLDER, src / BOOK_FOLDER)
    shutil.rmtree(src / STATIC_FOLDER, ignore_errors=True)
    if (root / STATIC_FOLDER).is_dir():
        shutil.copytree(root / STATIC_FOLDER, src / STATIC_FOLDER)
    return src


def write_executed_config(source, target) -> Path:
    """Copy the book's ``_config.yml`` for a source tree whose notebooks arrive executed
    (by papermill): Jupyter Book must show their outputs, not execute them again.

    ``_config.yml`` itself executes the jupytext sources with Jupyter Book's cache, for
    ``jupyter-book build .`` at the project root. The copy also names the project's
    folder (``ferlib_repository_root``, read by :mod:`ferlib.sphinxext`), where the
    launch buttons' notebooks are. Written atomically; returns ``target``.
    """
    # saves start-up time: PyYAML, one of the book's tools, loads only to build the book
    import yaml

    config = yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["ferlib_repository_root"] = str(Path(source).resolve().parent)
    return atomic.write_text(target, "# Written by ferlib.book from the project's _config.yml: the notebooks\n"
                                     "# arrive executed by papermill, so Jupyter Book does not execute them.\n"
                             + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


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
    html = atomic.replace_folder(built, build_dir / "html")
    log(f"book: {html / 'index.html'}")
    return html / "index.html"


def build_book(profile: str = "paper", data_dir=None, store=None, seed: int = 0,
               build_dir="_build", *, models=PAPER_MODELS, epochs=None, root=None,
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
