"""Writes through a temporary file and a rename; what killed writers leave is removed."""

import os
import subprocess
import sys

import pytest

from ferlib import atomic


def dead_pid() -> int:
    """The id of a process that has ended."""
    out = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(out.stdout)


def test_an_interrupted_write_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    path = atomic.write_text(tmp_path / "state.json", '{"epoch": 1}')
    assert path == tmp_path / "state.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic.replacing(path) as tmp:
            tmp.write_text('{"epo')  # half written, then the process dies
            raise KeyboardInterrupt
    assert path.read_text() == '{"epoch": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_temporary_names_carry_the_writer_and_keep_a_suffix(tmp_path):
    tmp = atomic.temporary_sibling(tmp_path / "last-0003.weights.h5", keep_suffix=".weights.h5")
    assert tmp.parent == tmp_path and tmp.name.startswith(".last-0003.weights.h5.tmp.")
    assert f".tmp.{os.getpid()}@{atomic.host_token()}." in tmp.name and tmp.name.endswith(".weights.h5")
    assert not atomic.is_stale_temporary(tmp)  # this process is alive
    other_host = tmp_path / f".x.tmp.{dead_pid()}@elsewhere.0badc0de"
    assert not atomic.is_stale_temporary(other_host)  # another machine's process cannot be checked


def test_only_temporaries_of_dead_writers_or_old_untagged_ones_are_removed(tmp_path):
    dead = dead_pid()
    names = {
        f".a.json.tmp.{dead}@{atomic.host_token()}.0badc0de": True,
        f".b.json.tmp.{os.getpid()}@{atomic.host_token()}.0badc0de": False,
        ".c.json.0badc0de.tmp": True,  # untagged, made old below
        "state.json.tmp": False,  # untagged and recent: its writer may still run
        "data.npz": False,
        ".partial": False,
    }
    for name in names:
        (tmp_path / name).write_text("x")
    os.utime(tmp_path / ".c.json.0badc0de.tmp", (0, 0))
    removed = atomic.remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in removed) == sorted(name for name, stale in names.items() if stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(name for name, stale in names.items() if not stale)
    assert atomic.remove_stale_temporaries(tmp_path / "absent") == []


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
        assert tmp.name.endswith(".weights.h5") and tmp.parent == tmp_path
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


def test_a_finished_folder_takes_the_place_of_the_old_one(tmp_path):
    built, target = tmp_path / "staging" / "html", tmp_path / "html"
    built.mkdir(parents=True)
    (built / "index.html").write_text("new")
    assert atomic.replace_folder(built, target) == target and not built.exists()
    built.mkdir()
    (built / "other.html").write_text("newer")
    atomic.replace_folder(built, target)
    assert sorted(p.name for p in target.iterdir()) == ["other.html"]
    assert hidden(tmp_path) == []


def test_the_old_folder_is_put_back_when_the_new_one_cannot_move_in(tmp_path):
    target = tmp_path / "html"
    target.mkdir()
    (target / "index.html").write_text("old")
    missing = tmp_path / "never-built"
    with pytest.raises(FileNotFoundError):
        atomic.replace_folder(missing, target)
    assert (target / "index.html").read_text() == "old" and hidden(tmp_path) == []
