"""ferlib.atomic: a file or folder is replaced whole or not at all, and no temporary is left."""

import pytest

from ferlib import atomic


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "state.json"
    atomic.write_text(path, "old")
    atomic.write_text(path, "new")
    atomic.write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert path.read_text() == "new" and (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert hidden(tmp_path) == []


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="killed"):
        with atomic.replacing(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old" and hidden(tmp_path) == []


def test_the_temporary_keeps_the_name_end(tmp_path):
    """Keras refuses weights files whose names do not end in .weights.h5."""
    with atomic.replacing(tmp_path / "best.weights.h5") as tmp:
        assert tmp.name.endswith("best.weights.h5") and tmp.parent == tmp_path
        tmp.write_bytes(b"w")
    assert (tmp_path / "best.weights.h5").read_bytes() == b"w"


def test_a_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "pack"
    with atomic.replacing_folder(target) as tmp:
        (tmp / "a.txt").write_text("1")
    with atomic.replacing_folder(target) as tmp:
        (tmp / "b.txt").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    with pytest.raises(ValueError):
        with atomic.replacing_folder(target) as tmp:
            (tmp / "c.txt").write_text("3")
            raise ValueError("failed half way")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert hidden(tmp_path) == []
