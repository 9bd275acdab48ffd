"""The package's import layers, checked on its source (imports inside functions included).

ferlib has two layers: a *core* (vocabulary, configuration, data, synthetic faces,
models, training, the run store, statistics, run plans) and a *report* (comparisons,
claims, findings, tables, figures, chapters, the book), with the command line above
both. The contract, written once in :data:`LAYERS`:

- every module belongs to exactly one layer;
- a layer imports only itself and the layers below it: the core never imports the
  report, neither imports the command line;
- no import cycle exists anywhere;
- an import inside a function is there to save start-up time (Keras loads TensorFlow,
  matplotlib, the notebook tools), and a comment beside it says so; outside the command
  line, such an import of a module of the package must load a library of
  :data:`SLOW_LIBRARIES` that the importing module does not load already.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ferlib"

#: ``{layer: modules}``, lowest layer first; a module is named by its top-level name
#: under the package (a subpackage counts as one; ``""`` is the package itself). A layer
#: may import its own modules and those of the layers listed before it.
LAYERS = {
    "core": ("", "vocabulary", "labels", "paper", "config", "atomic", "jsonfile", "fingerprint", "identity",
             "datasets", "synthetic", "pack", "splits", "stats", "evaluation", "epochs", "augment", "models",
             "training", "store", "experiment", "baselines", "leakage", "diagnostics", "protocol", "results",
             "study", "missing", "campaign_files", "campaign", "campaign_import", "destinations", "excerpt",
             "options", "interrupt", "schedule", "recipe_augment", "recipe_training", "recipe", "recipe_runs",
             "predict", "transfer_runs", "precision_check"),
    "report": ("compare", "finetune_pairs", "verdicts", "claims", "tables", "formatting", "figures", "findings",
               "summary", "provenance", "recipe_results", "chapter", "book", "launch", "sphinxext"),
    "command": ("cli", "__main__", "commands"),
}
#: What a comment beside an import inside a function must say.
LAZY_REASON = "start-up"
#: The libraries whose import costs start-up time: Keras (with TensorFlow or JAX), the
#: scientific stack beyond numpy and pandas, the notebook tools.
SLOW_LIBRARIES = frozenset({"keras", "tensorflow", "jax", "matplotlib", "sklearn", "scipy", "cv2", "PIL",
                            "IPython", "myst_nb", "jupytext", "nbformat", "papermill"})


# --------------------------------------------------------------------------- the import graph


def package_modules(package: Path) -> dict:
    """``{dotted name: path}`` of every module of ``package`` (a package is its ``__init__``)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _targets(node, module: str, is_package: bool) -> list:
    """The dotted names an import statement may load, deepest first."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph(package: Path) -> dict:
    """``{module: {imported module: [(line, inside a function)]}}`` over the modules of
    ``package``: every import statement, at the top of a module or inside a function."""
    modules = package_modules(package)
    graph = {name: {} for name in modules}

    def resolve(module, target):
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target if target and target != module else None

    for name, path in modules.items():
        def visit(node, in_function):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(child, name, path.name == "__init__.py"):
                        found = resolve(name, target) if target.split(".")[0] == package.name else None
                        if found:
                            graph[name].setdefault(found, []).append((child.lineno, in_function))
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

        visit(ast.parse(path.read_text(), filename=str(path)), False)
    return graph


def libraries_loaded(package: Path, libraries=SLOW_LIBRARIES) -> dict:
    """``{module: set of libraries}``: the ``libraries`` that importing each module of
    ``package`` loads, by its imports at the top (outside functions and ``if
    TYPE_CHECKING:``), its own and those of the package's modules it imports there,
    transitively."""
    modules = package_modules(package)
    own, below = {}, {}

    def resolve(module, target):
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target if target and target != module else None

    for name, path in modules.items():
        own[name], below[name] = set(), set()

        def visit(node):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    continue
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    visit(ast.Module(body=child.orelse, type_ignores=[]))
                    continue
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(child, name, path.name == "__init__.py"):
                        if target.split(".")[0] == package.name:
                            found = resolve(name, target)
                            if found:
                                below[name].add(found)
                        elif target.split(".")[0] in libraries:
                            own[name].add(target.split(".")[0])
                visit(child)

        visit(ast.parse(path.read_text(), filename=str(path)))
        # a submodule's import loads its packages first
        parts = name.split(".")
        below[name].update(".".join(parts[:i]) for i in range(1, len(parts)))

    loaded = {}

    def collect(module, seen):
        if module in loaded:
            return loaded[module]
        found = set(own[module])
        for other in below[module] - seen:
            found |= collect(other, seen | {module})
        return found

    for name in modules:
        loaded[name] = collect(name, {name})
    return loaded


def needless_lazy_imports(package: Path, graph: dict, *, allowed=("",)) -> list:
    """``"a -> b"`` for each import inside a function of ``a`` that loads no library of
    :data:`SLOW_LIBRARIES` that ``a`` does not load already, so saves no start-up time;
    modules ``a`` named in ``allowed`` (the command line, which loads each command's
    modules when it runs) may have them. A module's own package is loaded with it."""
    loaded = libraries_loaded(package)
    return sorted(f"{a} -> {b}" for a, imported in graph.items() for b, where in imported.items()
                  if any(in_function for _, in_function in where) and a not in allowed
                  and not a.startswith(b + ".") and not loaded[b] - loaded[a])


def cycles(graph: dict) -> list:
    """The import cycles of ``graph``: its strongly connected groups of two modules or
    more (Tarjan), each sorted; a package that imports its own submodules (which do not
    import it back through another module) is no cycle."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == node:
                    break
            groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)

    def package_and_own(group):
        return any(all(m == head or m.startswith(head + ".") for m in group) for head in group)

    return [group for group in groups if len(group) > 1 and not package_and_own(group)]


def layer_of(module: str, package_name: str, layers: dict):
    """The layer of ``module`` (by its top-level name under the package), or ``None``."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return next((layer for layer, members in layers.items() if top in members), None)


def breaches(graph: dict, package_name: str, layers: dict) -> list:
    """``"a -> b (line N)"`` for each import of a module of a higher layer (or of no layer)."""
    rank = {layer: i for i, layer in enumerate(layers)}
    found = []
    for module, imported in graph.items():
        mine = layer_of(module, package_name, layers)
        for other, where in imported.items():
            theirs = layer_of(other, package_name, layers)
            if mine is None or theirs is None or rank[theirs] > rank[mine]:
                found.append(f"{module} ({mine}) -> {other} ({theirs}), line {where[0][0]}")
    return sorted(found)


def unclassified(package: Path, layers: dict) -> list:
    """Modules of ``package`` in no layer, or in more than one."""
    counts = {}
    for module in package_modules(package):
        parts = module.split(".")
        top = parts[1] if len(parts) > 1 else ""
        counts[module] = sum(top in members for members in layers.values())
    return sorted(module for module, n in counts.items() if n != 1)


def unexplained_lazy_imports(package: Path, reason: str = LAZY_REASON) -> list:
    """``"path:line"`` of each import inside a function with no comment saying ``reason``
    on its lines, on the comment lines just above it, or on those of the run of imports it
    belongs to."""
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text().splitlines()

        def explained(first, last) -> bool:
            comments = [line.split("#", 1)[1] for line in lines[first - 1:last] if "#" in line]
            above = first - 2
            while above >= 0 and lines[above].strip().startswith("#"):
                comments.append(lines[above])
                above -= 1
            return any(reason in comment for comment in comments)

        def runs_of_imports(statements):
            run = []
            for statement in statements + [None]:
                if isinstance(statement, (ast.Import, ast.ImportFrom)):
                    run.append(statement)
                    continue
                if run:
                    yield run
                run = []

        def visit(node, in_function):
            for field in ("body", "orelse", "finalbody"):
                statements = getattr(node, field, None)
                if in_function and isinstance(statements, list):
                    for run in runs_of_imports(statements):
                        if not explained(run[0].lineno, run[-1].end_lineno):
                            found.extend(f"{path.relative_to(package.parent)}:{s.lineno}" for s in run)
            for child in ast.iter_child_nodes(node):
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

        visit(ast.parse(path.read_text(), filename=str(path)), False)
    return found


def layer_problems(package: Path, layers: dict = LAYERS) -> dict:
    """Everything that breaks the contract, by rule (empty lists: none)."""
    graph = import_graph(package)
    return {"unclassified": unclassified(package, layers),
            "cycles": cycles(graph),
            "breaches": breaches(graph, package.name, layers),
            "unexplained lazy imports": unexplained_lazy_imports(package)}


# --------------------------------------------------------------------------- the contract


def test_ferlib_keeps_its_layers():
    problems = layer_problems(PACKAGE)
    assert problems == {rule: [] for rule in problems}, problems


def test_the_layers_name_modules_that_exist():
    tops = {name.split(".")[1] if "." in name else "" for name in package_modules(PACKAGE)}
    named = {module for members in LAYERS.values() for module in members}
    assert named <= tops, f"LAYERS names modules that do not exist: {sorted(named - tops)}"


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph(PACKAGE)
    inside = [(a, b) for a, imported in graph.items() for b, where in imported.items()
              if any(in_function for _, in_function in where)]
    assert ("ferlib.experiment", "ferlib.models") in inside  # Keras is imported when a model is built
    assert "keras" in libraries_loaded(PACKAGE)["ferlib.models"]
    command_line = tuple(module for module in graph if layer_of(module, PACKAGE.name, LAYERS) == "command")
    assert "ferlib.cli" in command_line and "ferlib.commands.training" in command_line
    assert needless_lazy_imports(PACKAGE, graph, allowed=command_line) == [], \
        "outside the command line, an import inside a function keeps a slow library (Keras, matplotlib, " \
        "scikit-learn, the notebook tools) out of start-up; these load none the module has not loaded already"


def test_a_lazy_import_must_keep_a_slow_library_out(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "light.py": "X = 1\n",
        "net.py": "import numpy as np\nfrom pkg import deep\n",
        "deep.py": "import keras\n",
        "plots.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import matplotlib\n",
        "user.py": "def f():\n    from pkg import light, net, plots  # start-up\n    return light, net, plots\n",
        "heavy.py": "import keras\n\n\ndef g():\n    from pkg import net  # start-up\n    return net\n",
    })
    loaded = libraries_loaded(package)
    assert loaded["pkg.net"] == {"keras"} and loaded["pkg.plots"] == set() and loaded["pkg.light"] == set()
    graph = import_graph(package)
    assert needless_lazy_imports(package, graph) == ["pkg.heavy -> pkg.net", "pkg.user -> pkg.light",
                                                      "pkg.user -> pkg.plots"]
    assert needless_lazy_imports(package, graph, allowed=("pkg.heavy", "pkg.user")) == []


def _package(root: Path, files: dict) -> Path:
    package = root / "pkg"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_the_contract_fails_on_a_backwards_import_a_cycle_and_an_unexplained_lazy_import(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "core.py": "def f():\n    from pkg import report  # start-up\n    return report\n",
        "other.py": "import pkg.core\n\n\ndef g():\n    from pkg import more\n\n    return more\n",
        "more.py": "from pkg.other import g\n",
        "report.py": "from pkg import core\n",
        "stray.py": "",
        "sub/__init__.py": "from pkg.sub import inner\n",
        "sub/inner.py": "from pkg.sub import __name__ as here\n",
    })
    layers = {"core": ("", "core", "other", "more", "sub"), "report": ("report",)}
    problems = layer_problems(package, layers)
    assert problems["unclassified"] == ["pkg.stray"]
    assert problems["breaches"] == ["pkg.core (core) -> pkg.report (report), line 2"]
    # core -> report -> core, and other <-> more through a function's import; a package
    # importing its own submodule is no cycle
    assert problems["cycles"] == [["pkg.core", "pkg.report"], ["pkg.more", "pkg.other"]]
    assert problems["unexplained lazy imports"] == ["pkg/other.py:5"]


def test_the_contract_accepts_layers_kept(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "core.py": "X = 1\n",
        "report.py": "from pkg.core import X\n\n\ndef f():\n    # saves start-up time\n"
                     "    import pkg.core\n    from pkg import core\n\n    return pkg.core.X + core.X + X\n",
    })
    problems = layer_problems(package, {"core": ("", "core"), "report": ("report",)})
    assert problems == {rule: [] for rule in problems}
