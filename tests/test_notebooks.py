"""The notebooks execute under the smoke profile, pass nbval, and take their parameters.

The notebooks are executed once per session by the shared smoke build
(``book_fixtures.smoke_book``); nbval then re-runs the executed copies in a fresh
kernel (``--nbval-lax``: every cell must run without error).
"""

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import ferlib
from ferlib import book, chapter
from ferlib.config import PROFILES
from book_fixtures import SMOKE_PARAMETERS, smoke_book as _smoke_book

ROOT = book.project_root()
NOTEBOOKS = [path.stem for path in book.notebook_sources(ROOT)]


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory):
    return _smoke_book(tmp_path_factory)


def kernel_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(ferlib.__file__).resolve().parent.parent)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_nbval(paths, cwd):
    """``pytest --nbval-lax`` on the given notebooks in a subprocess; returns the result."""
    (Path(cwd) / "pytest.ini").write_text("[pytest]\naddopts =\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         *map(str, paths)], cwd=cwd, env=kernel_env(), capture_output=True, text=True, timeout=900)


def outputs_text(notebook) -> str:
    """All text and HTML outputs of a notebook, joined."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output["text"])
            for mime in ("text/plain", "text/html", "text/markdown",
                         "application/papermill.record/text/plain"):  # a value glued with display=False
                if mime in output.get("data", {}):
                    parts.append(output["data"][mime])
    return "\n".join(parts)


def executed(build_dir, name):
    return nbformat.read(build_dir / "src" / "notebooks" / f"{name}.ipynb", as_version=4)


def declared(cell) -> list:
    """The names a parameters cell assigns, in order."""
    return [node.targets[0].id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)]


def test_every_notebook_declares_the_parameters_it_uses_and_checks_them_first():
    import jupytext

    assert NOTEBOOKS[0] == "00_summary"  # the landing page: the answer first
    assert len(NOTEBOOKS) >= 12 and not book.unlisted_notebooks(ROOT), "every notebook is listed in _toc.yml"
    for path in book.notebook_sources(ROOT):
        notebook = jupytext.read(path)
        assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")
        tagged = [i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        names = declared(notebook.cells[tagged[0]])
        assert names and set(names) <= set(chapter.PARAMETER_RULES), f"{path.name}: {names}"
        later = "\n".join(c.source for c in notebook.cells[tagged[0] + 1:] if c.cell_type == "code")
        for name in names:  # declared and used: named again after the parameters cell
            assert re.search(rf"\b{name}\b", later), f"{path.name} declares {name} but never uses it"
        first = next(c for c in notebook.cells[tagged[0] + 1:] if c.cell_type == "code")
        calls = {getattr(node.func, "id", getattr(node.func, "attr", None)): node
                 for node in ast.walk(ast.parse(first.source)) if isinstance(node, ast.Call)}
        checks = [calls[name] for name in ("open_chapter", "open_results", "validate_parameters") if name in calls]
        assert checks, f"{path.name}: the first code cell does not check the parameters"
        passed = {keyword.arg for keyword in checks[0].keywords}
        assert passed == set(names), f"{path.name}: checks {sorted(passed)}, declares {sorted(names)}"
        clock = next((calls[name] for name in ("open_chapter", "open_results", "PageClock") if name in calls), None)
        assert clock is not None and clock.args and isinstance(clock.args[0], ast.Constant), \
            f"{path.name}: the first code cell does not start the page's clock"
        assert clock.args[0].value == path.stem, f"{path.name}: its clock is named {clock.args[0].value!r}"
    build = set(book.notebook_parameters())
    assert build <= set(chapter.PARAMETER_RULES)


#: The calls that show a table on a page, and those that make a bare Markdown table.
TABLE_CALLS = ("table", "long_table")
BARE_TABLE_CALLS = ("to_markdown", "table_markdown")
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)


def _repeated_functions(tree) -> set:
    """The functions a notebook calls more than once, or in a loop."""
    calls = {}

    def visit(node, looping):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                calls[child.func.id] = calls.get(child.func.id, 0) + (2 if looping else 1)
            visit(child, looping or isinstance(child, LOOPS))

    visit(tree, False)
    return {name for name, count in calls.items() if count > 1}


def tables_without_filename(source: str) -> list:
    """Each table a notebook's ``source`` shows without its CSV download: a
    ``fmt.table``/``long_table`` call with no ``filename=`` (or ``filename=None``), one
    whose name does not end in ``.csv``, one in a loop or in a function called more than
    once whose name is not an f-string with a placeholder (each table drawn there needs a
    name of its own), and a bare ``to_markdown`` table."""
    tree = ast.parse(source)
    repeated = _repeated_functions(tree)
    problems = []

    def check(call, repeating):
        called = getattr(call.func, "attr", getattr(call.func, "id", None))
        shown = f"line {call.lineno}: {ast.unparse(call.func)}(...)"
        name = {keyword.arg: keyword.value for keyword in call.keywords}.get("filename")
        if called in BARE_TABLE_CALLS:
            problems.append(f"{shown} makes a table without its download (use fmt.table)")
        elif called in TABLE_CALLS and (name is None or (isinstance(name, ast.Constant) and name.value is None)):
            problems.append(f"{shown} gives no filename=")
        elif called in TABLE_CALLS:
            parts = name.values if isinstance(name, ast.JoinedStr) else [name]
            if not (isinstance(parts[-1], ast.Constant) and str(parts[-1].value).endswith(".csv")):
                problems.append(f"{shown}: filename {ast.unparse(name)} does not end in .csv")
            if repeating and not any(isinstance(part, ast.FormattedValue) for part in parts):
                problems.append(f"{shown}: drawn more than once, filename {ast.unparse(name)} "
                                "names no model or data set")

    def visit(node, repeating):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                check(child, repeating)
            again = isinstance(child, LOOPS) or (isinstance(child, ast.FunctionDef) and child.name in repeated)
            visit(child, repeating or again)

    visit(tree, False)
    return problems


def test_every_table_of_a_notebook_comes_with_its_csv_download():
    found = {path.name: tables_without_filename(path.read_text(encoding="utf-8"))
             for path in book.notebook_sources(ROOT)}
    assert not {name: problems for name, problems in found.items() if problems}
    shown = sum(path.read_text(encoding="utf-8").count("filename=") for path in book.notebook_sources(ROOT))
    assert shown >= 50  # the book shows over 50 tables: the check above had them to read
    bad = textwrap.dedent("""
        fmt.table(frame, ["a"])
        fmt.table(frame, ["a"], filename=None)
        long_table(frame, title="t", filename="rows.txt")
        for name in names:
            display(fmt.table(frame, ["a"], filename="same.csv"))
        display(Markdown(fmt.to_markdown(frame)))
        def show(frame):
            return fmt.table(frame, ["a"], filename="shown-twice.csv")
        show(a), show(b)
        def show_once(frame):
            return fmt.table(frame, ["a"], filename="fine.csv")
        show_once(a)
        for name in names:
            fmt.table(frame, ["a"], filename=f"rows-{name}.csv")
        """)
    problems = tables_without_filename(bad)
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 6", "line 7", "line 9"], problems
    assert "no filename=" in problems[0] and ".csv" in problems[2] and "names no model" in problems[3]
    assert "without its download" in problems[4] and "drawn more than once" in problems[5]


def test_a_notebook_gets_only_the_parameters_it_declares(tmp_path):
    notebook = book.convert_notebook(ROOT / "notebooks" / "02_architectures.py", tmp_path / "02.ipynb")
    handed = book.declared_parameters(notebook, book.notebook_parameters(models=[2], seed=5))
    assert handed == {"models": [2]}


@pytest.mark.slow
def test_smoke_build_executes_every_notebook_in_order(smoke_book):
    build_dir, _, lines = smoke_book
    done = [line.split(":")[0] for line in lines if line.endswith(" s") and ": done in " in line]
    assert done == [f"{name}.py" for name in NOTEBOOKS]
    handed = book.notebook_parameters(**SMOKE_PARAMETERS)
    for name in NOTEBOOKS:
        notebook = executed(build_dir, name)
        parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        expected = [n for n in declared(parameters) if n in handed]  # what the build hands it
        injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == (1 if expected else 0), name
        if injected:
            assert sorted(declared(injected[0])) == sorted(expected), name
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, name


#: The executed notebooks nbval runs again in a fresh kernel: the landing page and the two
#: verdict pages. The smoke build has already executed every notebook and checked that no
#: cell failed (test_smoke_build_executes_every_notebook_in_order), so running all of them
#: again would double the slow tier's notebook time for no new check.
NBVAL_NOTEBOOKS = ("00_summary", "08_claims", "12_transfer")


@pytest.mark.slow
def test_executed_notebooks_pass_nbval(smoke_book, tmp_path):
    build_dir, _, _ = smoke_book
    assert set(NBVAL_NOTEBOOKS) <= set(NOTEBOOKS)
    copies = []
    for name in NBVAL_NOTEBOOKS:
        copy = tmp_path / f"{name}.ipynb"
        copy.write_bytes((build_dir / "src" / "notebooks" / f"{name}.ipynb").read_bytes())
        copies.append(copy)
    code_cells = sum(cell.cell_type == "code" for copy in copies
                     for cell in nbformat.read(copy, as_version=4).cells)
    result = run_nbval(copies, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{code_cells} passed" in result.stdout  # nbval: one test item per code cell


def test_nbval_fails_when_a_cell_raises(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('this cell fails')"),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    result = run_nbval([path], tmp_path)
    assert result.returncode != 0
    assert "this cell fails" in result.stdout


@pytest.mark.slow
def test_injected_models_reach_the_architecture_notebook(smoke_book, tmp_path):
    build_dir, _, _ = smoke_book
    shown = outputs_text(executed(build_dir, "02_architectures"))
    assert SMOKE_PARAMETERS["models"] == [2]
    assert "### Model 2:" in shown and "### Model 1:" not in shown and "### Model 3:" not in shown

    source = ROOT / "notebooks" / "02_architectures.py"
    output = tmp_path / "02.ipynb"
    parameters = book.notebook_parameters(models=[1, 3], store=str(tmp_path / "store"))
    book.execute_notebook(source, output, parameters, cwd=ROOT, work_dir=tmp_path / "work")
    shown = outputs_text(nbformat.read(output, as_version=4))
    assert "### Model 1:" in shown and "### Model 3:" in shown and "### Model 2:" not in shown


@pytest.mark.slow
def test_injected_seed_and_store_reach_the_training_notebook(smoke_book):
    build_dir, store, _ = smoke_book
    run_folders = [p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(run_folders) == 5  # model 2: FER2013, JAFFE and CK+ from scratch, two fine-tunes
    for folder in run_folders:
        config = json.loads((folder / "config.json").read_text())
        assert config["seed"] == SMOKE_PARAMETERS["seed"] and config["model"] == 2
        assert config["epochs"] == PROFILES["smoke"]["epochs"]
    shown = outputs_text(executed(build_dir, "05_confusion_matrices"))  # it names each run it shows
    assert f"seed {SMOKE_PARAMETERS['seed']}:" in shown and "Model 2, fine-tuned" in shown


@pytest.mark.slow
def test_the_training_chapter_shows_build_fit_and_evaluate_and_runs_them(smoke_book):
    """keras-io style: the three calls that do the science are in view on the page, with
    their settings beside them, and they really ran in the build."""
    build_dir, _, _ = smoke_book
    notebook = executed(build_dir, "04_training_curves")
    shown = [c for c in notebook.cells if c.cell_type == "code" and "show-input" in c.metadata.get("tags", [])]
    source = "\n".join(c.source for c in shown)
    for call in ("build_model(", ".compile(", ".fit(", ".evaluate(", "batch_size=", "epochs=", "learning_rate="):
        assert call in source, f"the training chapter does not show {call}"
    assert all(c.get("execution_count") for c in shown), "a shown cell did not run"
    glued = outputs_text(notebook)
    assert re.search(r"'\d+\.\d%'", glued), "the small run's test accuracy is not glued"


def test_a_failing_notebook_is_named_with_its_cell(tmp_path):
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: notebooks/01_bad\n")
    (root / "notebooks" / "01_bad.py").write_text(textwrap.dedent('''\
        # %% [markdown]
        # # A notebook that fails

        # %% tags=["parameters"]
        data_dir = None
        profile = "smoke"
        models = [1, 2, 3]
        epochs = None
        seed = 0
        store = "runs"

        # %%
        value = seed + 1

        # %%
        raise ValueError(f"bad value {value}")
        '''))
    with pytest.raises(book.NotebookFailed) as failure:
        book.execute_notebook(root / "notebooks" / "01_bad.py", tmp_path / "out.ipynb",
                              book.notebook_parameters(seed=4), cwd=root, work_dir=tmp_path / "work")
    message = str(failure.value)
    assert "01_bad.py" in message and "ValueError: bad value 5" in message
    assert "cell 4" in message and "raise ValueError" in message
    assert not (tmp_path / "out.ipynb").exists()
    assert (tmp_path / "work" / "failed" / "01_bad.ipynb").exists()

    lines = []
    status = book.build_book(profile="smoke", root=root, build_dir=tmp_path / "build", log=lines.append)
    assert status == 1
    assert any("01_bad.py" in line and "ValueError" in line for line in lines)
    assert not (tmp_path / "build" / "html").exists()


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="models"):
        book.notebook_parameters(models=[99])
    with pytest.raises(ValueError, match="profile"):
        book.notebook_parameters(profile="huge")
    with pytest.raises(ValueError, match="epochs"):
        book.notebook_parameters(epochs=0)
    lines = []
    assert book.build_book(profile="smoke", data_dir="/nonexistent-data-dir", log=lines.append) == 2
    assert "nonexistent-data-dir" in lines[-1]


@pytest.mark.slow
def test_papermill_with_a_wrong_parameter_stops_in_the_first_cell(tmp_path):
    """`papermill -p models 4`: the notebook stops in its first code cell, naming the parameter."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = book.convert_notebook(ROOT / "notebooks" / "02_architectures.py", tmp_path / "in.ipynb")
    env = kernel_env()
    saved = {key: os.environ.get(key) for key in ("PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL")}
    os.environ.update({key: env[key] for key in saved})
    try:
        with pytest.raises(PapermillExecutionError) as failure:
            papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), parameters={"models": 4},
                                       kernel_name="python3", cwd=str(ROOT), progress_bar=False)
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    error = failure.value
    assert error.ename == "ValueError" and "parameter 'models'" in error.evalue and "got 4" in error.evalue
    given = nbformat.read(source, as_version=4)
    parameters = next(i for i, c in enumerate(given.cells) if "parameters" in c.metadata.get("tags", []))
    first_code = next(c for c in given.cells[parameters + 1:] if c.cell_type == "code")
    assert error.source == first_code.source, "the notebook did not stop in its first cell"
    assert error.cell_index == parameters + 2  # after the parameters and papermill's injected cell
