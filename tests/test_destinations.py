"""Nothing of the user's is ever deleted: a command replaces only a folder it wrote itself
(a pack, a run folder, a campaign's output folder), recognised by a marker it checks, and
refuses empty folder options and the project's root."""

import dataclasses
import json

import pytest

from ferlib import campaign_files, pack
from ferlib.cli import main
from ferlib.destinations import check_destination, project_roots
from ferlib.store import RunStore, check_replaceable_run
from ferlib.synthetic import make_synthetic

ROOT = project_roots()[0]


@pytest.fixture(scope="module")
def jaffe():
    return dataclasses.replace(make_synthetic("jaffe", 14), name="jaffe")


def _user_folder(folder, marker: bytes | None = None):
    folder.mkdir()
    (folder / "thesis.tex").write_text("my thesis")
    (folder / "photos").mkdir()
    (folder / "photos" / "cat.png").write_bytes(b"\x89PNG")
    if marker is not None:
        (folder / pack.PACK_FILE).write_bytes(marker)
    return folder


def _intact(folder):
    assert (folder / "thesis.tex").read_text() == "my thesis"
    assert (folder / "photos" / "cat.png").read_bytes() == b"\x89PNG"


@pytest.mark.parametrize("marker", [None, b"{}", b"\x00\xff random bytes", b'{"format": "ferlib-pack"}',
                                    b'{"format": "ferlib-pack", "version": 1, "datasets": {}}'])
def test_a_pack_never_replaces_a_folder_of_the_users(marker, jaffe, tmp_path):
    """Any pack.json, even a valid empty manifest, does not make the user's folder a pack."""
    folder = _user_folder(tmp_path / "mine", marker)
    with pytest.raises(ValueError, match="nothing was replaced") as error:
        pack.write_pack({"jaffe": jaffe}, folder)
    assert str(folder) in str(error.value)
    _intact(folder)


def test_a_pack_with_files_it_does_not_list_is_not_replaced(jaffe, tmp_path):
    folder = tmp_path / "pack"
    pack.write_pack({"jaffe": jaffe}, folder)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"also holds notes\.txt, which pack\.json does not list"):
        pack.write_pack({"jaffe": jaffe}, folder)
    assert (folder / "notes.txt").read_text() == "mine"
    (folder / "notes.txt").unlink()
    pack.write_pack({"jaffe": jaffe}, folder)  # its own pack: replaced
    assert pack.packed_names(folder) == ("jaffe",)


def test_cli_pack_out_refuses_the_users_folder_before_loading_data(tmp_path, capsys, monkeypatch):
    from ferlib import datasets

    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("data loaded before the check"))
    folder = _user_folder(tmp_path / "mine", b"{}")
    (tmp_path / "data").mkdir()
    assert main(["pack", "--data-dir", str(tmp_path / "data"), "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {folder}: exists and is not a data pack") and len(err.splitlines()) == 1
    _intact(folder)


def test_a_run_folder_is_replaced_only_when_it_holds_a_runs_files(tmp_path):
    rid = "0123456789abcdef"
    run = tmp_path / "store" / rid
    run.mkdir(parents=True)
    (run / "metrics.json").write_text("{trunc")  # a broken run: replaceable
    check_replaceable_run(run)
    (run / "thesis.tex").write_text("my thesis")
    with pytest.raises(ValueError, match=r"holds thesis\.tex, which are not a run's files"):
        check_replaceable_run(run)
    not_a_run = tmp_path / "store" / "photos"
    not_a_run.mkdir()
    with pytest.raises(ValueError, match="not named by a run id"):
        check_replaceable_run(not_a_run)
    (tmp_path / "store" / "fedcba9876543210").write_text("a file")
    with pytest.raises(ValueError, match="not a run folder"):
        check_replaceable_run(tmp_path / "store" / "fedcba9876543210")


def test_store_save_and_export_keep_a_folder_of_the_users_under_a_run_id(tmp_path):
    """A trained run and an exported one never replace a folder the user put at their id."""
    import shutil

    from ferlib.results import PAPER_RESULTS, committed_runs, export_run

    committed = committed_runs(ROOT / PAPER_RESULTS)[0]
    store = RunStore(tmp_path / "store")
    target = store.path(committed.id)
    target.mkdir(parents=True)
    (target / "thesis.tex").write_text("my thesis")
    with pytest.raises(ValueError, match="not a run's files"):
        store.save(committed.id, config=committed.config, manifest=committed.manifest,
                   history=committed.history, metrics=committed.metrics, predictions=committed.predictions)
    with pytest.raises(ValueError, match="not a run's files"):
        export_run(committed, tmp_path / "store")
    assert (target / "thesis.tex").read_text() == "my thesis"
    shutil.rmtree(target)
    export_run(committed, tmp_path / "store")
    export_run(committed, tmp_path / "store")  # its own export: replaced
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in committed.path.iterdir())


def test_a_campaign_writes_only_into_an_empty_folder_or_its_own(tmp_path):
    from ferlib.campaign import Campaign

    folder = _user_folder(tmp_path / "mine")
    with pytest.raises(ValueError, match="no campaign log"):
        Campaign(tmp_path / "pack", tmp_path / "store", folder, 60)
    _intact(folder)
    fresh = tmp_path / "out"
    fresh.mkdir()
    (fresh / campaign_files.TEXT_LOG).write_text("printed output\n")  # the shell's tee opens it first
    Campaign(tmp_path / "pack", tmp_path / "store", fresh, 60)
    (fresh / campaign_files.LOG_FILE).write_text(json.dumps({"jobs": [], "out_files": {}}))
    (fresh / campaign_files.RUNS_ARCHIVE).write_bytes(b"old")
    (fresh / "0123456789abcdef.model.keras.part1").write_bytes(b"old")
    Campaign(tmp_path / "pack", tmp_path / "store", fresh, 60)  # its own folder: taken again
    (fresh / "thesis.tex").write_text("my thesis")
    with pytest.raises(ValueError, match=r"also holds thesis\.tex"):
        Campaign(tmp_path / "pack", tmp_path / "store", fresh, 60)
    (fresh / campaign_files.LOG_FILE).write_text("[]")
    with pytest.raises(ValueError, match="no campaign log"):
        campaign_files.check_campaign_out(fresh)


@pytest.mark.parametrize("argv, option", [
    (["runs", "--store", ""], "--store"),
    (["train", "--model", "2", "--dataset", "jaffe", "--profile", "smoke", "--store", " "], "--store"),
    (["export", "--store", "runs", "--to", ""], "--to"),
    (["pack", "--data-dir", ".", "--out", ""], "--out"),
    (["campaign-import", "x.tar.gz", "--store", ""], "--store"),
    (["check", "--results", ""], "--results"),
])
def test_an_empty_folder_option_is_refused(argv, option, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"error: {option} is empty; expected a folder path (it is made if missing)"


@pytest.mark.parametrize("option", ["--store", "--to", "--out"])
def test_the_project_root_is_refused_as_a_destination(option, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = {"--store": ["runs", "--store", "."], "--to": ["export", "--store", "runs", "--to", str(ROOT)],
            "--out": ["pack", "--data-dir", "results", "--out", "./"]}[option]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is the project's root folder" in err and err.startswith(f"error: {option} ")
    with pytest.raises(ValueError, match="file system's root"):
        check_destination("/", "--store")
    assert check_destination(ROOT / "runs", "--store") == ROOT / "runs"
