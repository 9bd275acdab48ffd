"""The two builds of the book the slow tests read, each made once per pytest run.

- :func:`smoke_book`: ``python -m ferlib book`` (through :func:`ferlib.book.build_book`)
  under the smoke profile with model 2 only and seed 3 (not the default, so that tests
  can see the parameters reach the notebooks), shared by test_notebooks.py and
  test_book.py;
- :func:`paper_book`: the published book, from the committed results (no data, no
  training), read by test_book.py (its pages, its HTML checked for what a reader must
  never see).
"""

from ferlib.book import build_book, project_root

SMOKE_PARAMETERS = {"profile": "smoke", "models": [2], "seed": 3}

_BUILD = {}
_PAPER = {}


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


def paper_book(tmp_path_factory):
    """``(build_dir, log lines)`` of the paper-profile build; built on first use."""
    if "result" not in _PAPER:
        build_dir = tmp_path_factory.mktemp("paper-book")
        lines = []
        status = build_book(profile="paper", build_dir=build_dir, root=project_root(), log=lines.append)
        _PAPER["result"] = (status, build_dir, lines)
    status, build_dir, lines = _PAPER["result"]
    assert status == 0, "the paper book failed:\n" + "\n".join(lines)
    return build_dir, lines
