"""One smoke build of the whole book, shared by test_notebooks.py and test_book.py.

``python -m ferlib book`` is run once per test session (through
:func:`ferlib.book.build_book`) under the smoke profile with model 2 only and seed 3
(not the default, so that tests can see the parameters reach the notebooks), into a
temporary folder; both test modules read that one build.
"""

from ferlib.book import build_book, project_root

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
