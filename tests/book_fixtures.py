"""The two builds of the book the slow tests read, each made once per pytest run.

- :func:`smoke_book`: ``python -m ferlib book`` (through :func:`ferlib.book.build_book`)
  under the smoke profile with model 2 only and seed 3 (not the default, so that tests
  can see the parameters reach the notebooks), shared by test_notebooks.py and
  test_book.py;
- :func:`paper_book`: the published book as ``jupyter-book build .`` makes it at the
  project's root (a copy of it): the notebooks execute with their default parameters,
  the paper profile on the committed results (no data, no training), with Jupyter Book's
  cache. Read by test_book.py and test_book_browser.py (its pages, its HTML checked for
  what a reader must never see). ``python -m ferlib book`` runs the same notebooks with
  papermill; its machinery is what the smoke build exercises, so the paper pages are
  built once, not twice. It runs on one core, as the smoke build does: the session
  fixture ``background_builds`` (conftest.py) starts it when the run begins, beside the
  smoke build (:func:`start_paper_book`).
"""

import os
import shutil
import sys

import background
from ferlib.book import build_book, project_root

#: What `jupyter-book build .` reads from the project root (the rest is not the book's).
ROOT_BUILD_FILES = ("_config.yml", "_toc.yml", "references.bib", "CITATION.cff", "book", "notebooks", "_static",
                    "results")

SMOKE_PARAMETERS = {"profile": "smoke", "models": [2], "seed": 3}

_BUILD = {}


def smoke_book(tmp_path_factory):
    """``(build_dir, store, log lines)`` of the shared smoke build; built on first use."""
    if "result" not in _BUILD:
        build_dir = tmp_path_factory.mktemp("smoke-book")
        store = build_dir / "store"
        lines = []
        status = build_book(build_dir=build_dir, store=store, root=project_root(),
                            log=lines.append, **SMOKE_PARAMETERS)
        _BUILD["result"] = (status, build_dir, store, lines)
    status, build_dir, store, lines = _BUILD["result"]
    assert status == 0, "the smoke build of the book failed:\n" + "\n".join(lines)
    return build_dir, store, lines


def start_paper_book(tmp_path_factory) -> None:
    """Start building :func:`paper_book` in the background (``background.py``), so that it
    runs beside the tests before the first that reads it (the smoke build among them)."""
    environ = dict(os.environ)  # as it is now: the smoke build changes it while a notebook runs
    background.start("paper book", lambda: _build_paper_book(tmp_path_factory, environ))


def _build_paper_book(tmp_path_factory, environ):
    root = project_root()
    project = tmp_path_factory.mktemp("paper-book") / "project"
    project.mkdir()
    for name in ROOT_BUILD_FILES:
        source = root / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, project / name)
    env = dict(environ, PYTHONPATH=os.pathsep.join([str(root), environ.get("PYTHONPATH", "")]),
               TF_CPP_MIN_LOG_LEVEL="2")
    completed = background.run_process(
        [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(project),
         "--warningiserror", "--keep-going", "--quiet"],
        cwd=project, env=env, timeout=3000)
    return completed.returncode, project / "_build", completed.stdout + completed.stderr


def paper_book(tmp_path_factory):
    """``(build_dir, jupyter-book's output)`` of ``jupyter-book build .`` run in a copy of
    the project's root, with ``--warningiserror``; built once, in the background when
    :func:`start_paper_book` started it. The pages are in ``build_dir / "html"``, the
    execution cache in ``build_dir / ".jupyter_cache"``."""
    environ = dict(os.environ)
    status, build_dir, output = background.result("paper book", lambda: _build_paper_book(tmp_path_factory, environ))
    assert status == 0, "jupyter-book build . failed:\n" + output[-8000:]
    return build_dir, output
