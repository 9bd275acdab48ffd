"""What a chapter works on (ferlib.chapter): its three backends, above all the paper
profile's committed results (no data, no training)."""

import types

import pandas as pd
import pytest

from ferlib import book, chapter, results

ROOT = book.project_root()
RESULTS = ROOT / results.PAPER_RESULTS


def fake_run(val_accuracy):
    return types.SimpleNamespace(metrics={"val": {"accuracy": val_accuracy}})


def test_the_backend_follows_profile_and_data(tmp_path):
    assert chapter.uses_committed_results("paper", None)
    assert not chapter.uses_committed_results("paper", "data")
    assert not chapter.uses_committed_results("quick", None)
    committed = chapter.open_chapter(profile="paper", store=RESULTS)
    assert committed.committed and not committed.has_images and "reference runs" in committed.label
    synthetic = chapter.open_chapter(profile="quick")
    assert isinstance(synthetic.backend, chapter.SyntheticData) and "synthetic" in synthetic.label
    real = chapter.open_chapter(profile="paper", data_dir=tmp_path)
    assert isinstance(real.backend, chapter.RealData) and not real.committed and real.has_images


def test_dataset_view_of_committed_results_has_counts_but_no_images():
    summaries = results.read_dataset_summaries(RESULTS)
    committed = chapter.open_chapter(profile="paper", store=RESULTS)
    views = committed.dataset_views()
    assert [view.name for view in views.values()] == ["fer2013", "ckplus7", "jaffe"]  # the protocol's CK+
    for name, view in views.items():
        summary = summaries[view.name]
        assert view.dataset is None and view.split is None
        assert view.images == summary["images"] == view.table.loc["total", "all"]
        assert len(view.train_labels) == summary["counts"]["train"]["total"]
        assert list(view.table.columns[:4]) == ["train", "val", "test", "all"]
        assert "paper" in view.table.columns
        assert sum(view.class_counts.values()) == view.images
    assert views["ckplus"].class_counts["neutral"] == summaries["ckplus7"]["counts"]["all"]["neutral"] > 0
    with pytest.raises(ValueError, match="no images"):
        committed.dataset("jaffe")


def test_dataset_view_of_synthetic_data_has_images():
    view = chapter.open_chapter(profile="smoke").dataset_view("jaffe")
    assert view.dataset is not None and len(view.dataset) == view.images
    assert len(view.train_labels) == (view.split == "train").sum()
    assert "synthetic" in view.title


def test_pick_run_falls_back_to_the_other_training(capsys):
    runs = {(1, "jaffe", None): fake_run(0.4), (2, "jaffe", None): fake_run(0.6)}
    key, _ = chapter.pick_run(runs, "jaffe")
    assert key == (2, "jaffe", None)
    assert "no fine-tuned run" in capsys.readouterr().out
    assert chapter.pick_run(runs, "ckplus") is None
    assert "no run to show" in capsys.readouterr().out
    assert chapter.pick_run(runs, "ckplus", quiet=True) is None and capsys.readouterr().out == ""
    runs[(1, "jaffe", "fer2013")] = fake_run(0.1)
    assert chapter.pick_run(runs, "jaffe")[0] == (1, "jaffe", "fer2013")


def test_missing_runs_markdown():
    assert chapter.missing_runs_markdown(pd.DataFrame(columns=["model", "dataset", "training", "reason"])).startswith("None")
    missing = pd.DataFrame([{"model": 3, "dataset": "ckplus", "training": "scratch", "reason": "too slow"}])
    assert chapter.missing_runs_markdown(missing) == "- Model 3, CK+, scratch: too slow"


def test_committed_book_runs_refuse_other_epochs_and_missing_folders(tmp_path):
    with pytest.raises(ValueError, match="75 epochs"):
        chapter.open_chapter(profile="paper", store=RESULTS, epochs=3).runs()
    with pytest.raises(FileNotFoundError, match="no committed results"):
        chapter.open_chapter(profile="paper", store=tmp_path / "nothing").runs()
    lines = []
    assert book.build_book(profile="paper", store=tmp_path / "nothing", build_dir=tmp_path / "b",
                           root=ROOT, log=lines.append) == 2
    assert "no committed results" in lines[-1]


def test_collapse_probes_read_the_committed_file_only_in_committed_mode(tmp_path):
    from test_diagnostics import _row

    (tmp_path / "probes.json").write_text(
        __import__("json").dumps({"probes": [_row(0, 1.9), _row(1, 1.9, collapsed=False, dead_layers=[])]}))
    table = chapter.open_chapter(profile="paper", store=tmp_path).probes()
    assert table["seed"].tolist() == [0, 1] and table["collapsed"].tolist() == [True, False]
    assert chapter.open_chapter(profile="smoke", store=tmp_path).probes().empty
    assert chapter.open_chapter(profile="paper", data_dir=tmp_path, store=tmp_path).probes().empty
    assert chapter.open_chapter(profile="paper", store=tmp_path / "none").probes().empty


def test_committed_probes_are_well_formed_and_match_the_code():
    from ferlib.diagnostics import read_probes
    from ferlib.identity import NUMERICS_VERSION

    path = RESULTS / "probes.json"
    if not path.exists():
        pytest.skip("no committed probes")
    for row in read_probes(path):
        assert row["numerics_version"] == NUMERICS_VERSION, f"probe {row['model']}/{row['seed']}: stale numerics"
        assert row["collapsed"] == bool(row["dead_layers"])
        assert set(row["dead_layers"]) == {k for k, v in row["live"].items() if v == 0}
        assert all(0 <= row["live"][k] <= row["units"][k] for k in row["units"])


def test_evidence_runs_are_the_committed_runs_outside_the_protocol():
    outside = results.runs_outside_protocol(results.committed_runs(RESULTS))
    protocol_runs = results.paper_results(RESULTS)
    committed_ids = {run.id for run in results.committed_runs(RESULTS)}
    any_seed = {run.id for runs in results.protocol_seed_runs(results.committed_runs(RESULTS)).values()
                for run in runs}
    folds = {run.id for run in results.committed_runs(RESULTS)
             if results.is_subject_fold(run.config) or results.is_transfer_run(run.config)}
    assert {run.id for run in protocol_runs.values()} <= any_seed
    assert {run.id for run in outside} | any_seed | folds == committed_ids
    assert not {run.id for run in outside} & any_seed and not folds & (any_seed | {run.id for run in outside})
    evidence = chapter.open_chapter(profile="paper", store=RESULTS).evidence_runs()
    from ferlib.study import ROUNDS, study_runs

    in_study = {run.id for round in ROUNDS for _, run in study_runs(results.committed_runs(RESULTS), round=round)}
    assert in_study - {run.id for _, run in study_runs(results.committed_runs(RESULTS))}, \
        "the other rounds' runs are left out too"
    shown = [run for run in outside if run.id not in in_study]
    assert list(evidence["run_id"]) == [run.id for run in shown]
    for run, row in zip(shown, evidence.itertuples()):
        assert not results.is_paper_config(run.config, seed=None)
        assert row.final_train_loss == pytest.approx(run.history["loss"].iloc[-1])
        assert row.departures and "protocol:" in row.departures
        assert row.run_dataset == run.config.dataset
        twin = protocol_runs.get(results.experiment_key(run.config))
        if twin is None or twin.config.dataset != run.config.dataset or run.config.protocol != "paper":
            assert pd.isna(row.protocol_accuracy)
        else:
            assert row.protocol_accuracy == twin.metrics["test"]["accuracy"]
    # a six-class CK+48 run is not set beside the seven-class protocol run of its model
    six_class = [row for run, row in zip(shown, evidence.itertuples()) if run.config.dataset == "ckplus"]
    assert six_class and all(pd.isna(row.protocol_accuracy) for row in six_class)
    assert chapter.open_chapter(profile="smoke", store=RESULTS).evidence_runs().empty
    assert "final_train_loss" in chapter.open_chapter(profile="smoke").evidence_runs().columns


def test_training_updates_follow_the_balanced_epoch():
    import numpy as np

    from ferlib import tables
    from ferlib.augment import balanced_indices

    counts = {"angry": 18, "disgust": 17, "fear": 20, "neutral": 0, "total": 55}
    labels = np.repeat([0, 1, 2], [18, 17, 20])
    got = tables.training_updates(counts, batch_size=64, epochs=75)
    assert got["epoch_images"] == len(balanced_indices(labels, seed=0)) == 60
    assert got["train_images"] == 55
    assert got["updates_per_epoch"] == 1 and got["updates"] == 75
    plain = tables.training_updates(counts, batch_size=16, epochs=2, balance="none")
    assert plain["epoch_images"] == 55 and plain["updates"] == 2 * 4
    drawn_up = tables.training_updates(counts, batch_size=64, epochs=75, min_epoch_images=1024)
    assert drawn_up["epoch_images"] == 1024 and drawn_up["updates"] == 16 * 75
    assert tables.training_updates(counts, batch_size=64, epochs=1, min_epoch_images=10)["epoch_images"] == 60
    with pytest.raises(ValueError, match="no class"):
        tables.training_updates({"angry": 0}, batch_size=64, epochs=1)
    with pytest.raises(ValueError, match="balance"):
        tables.training_updates(counts, batch_size=64, epochs=1, balance="smote")


def test_committed_runs_trained_on_as_many_images_as_the_updates_table_says():
    """images/s x seconds of each committed run = its data set's balanced epoch x epochs."""
    from ferlib import tables

    summaries = results.read_dataset_summaries(RESULTS)
    paper_split = [run for run in results.committed_runs(RESULTS) if run.config.protocol == "paper"]
    assert paper_split  # subject-independent folds train on other parts than the summaries count
    for run in paper_split:
        manifest, config = run.manifest, run.config
        epochs_run = config.epochs - manifest.get("resumed_from_epoch", 0)
        seen = manifest["train_images_per_s"] * manifest["train_seconds"]
        per_epoch = tables.training_updates(summaries[config.dataset]["counts"]["train"],
                                            batch_size=config.batch_size, epochs=config.epochs,
                                            balance=config.balance,
                                            min_epoch_images=config.min_epoch_images)["epoch_images"]
        expected = per_epoch * epochs_run
        rounding = 0.05 * manifest["train_seconds"]  # images/s is stored to one decimal
        assert abs(seen - expected) <= rounding + 1, (run.id, seen, expected)


def test_training_seconds_count_every_epoch_of_a_resumed_run():
    """A run resumed after epoch 2 reports the time of all 4 epochs, not of the last process."""
    from ferlib import tables

    history = pd.DataFrame({"epoch": [1, 2, 3, 4], "seconds": [10.0, 20.0, 30.0, 40.5]})
    resumed = types.SimpleNamespace(history=history, manifest={"train_seconds": 70.5, "resumed_from_epoch": 2})
    assert tables.training_seconds(resumed) == pytest.approx(100.5)
    no_history = types.SimpleNamespace(history=None, manifest={"train_seconds": 12.0})
    assert tables.training_seconds(no_history) == 12.0
    for run in results.committed_runs(RESULTS):  # every epoch's seconds cover the last process's
        assert tables.training_seconds(run) >= run.manifest["train_seconds"] - 1, run.id


def test_executed_notebooks_are_tagged_for_reading(tmp_path):
    """Parameters and injected parameters leave the page; other code folds behind a toggle."""
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(x)"),
        nbformat.v4.new_code_cell("model.fit(...)", metadata={"tags": ["show-input"]}),
        nbformat.v4.new_code_cell("Markdown(text)", metadata={"tags": ["remove-input"]}),
    ])
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    book.tag_for_reading(path)
    tags = [cell.metadata.get("tags", []) for cell in nbformat.read(path, as_version=4).cells]
    assert tags == [[], ["parameters", "remove-cell"], ["injected-parameters", "remove-cell"],
                    ["hide-input"], ["show-input"], ["remove-input"]]
    book.tag_for_reading(path)  # idempotent
    assert [cell.metadata.get("tags", []) for cell in nbformat.read(path, as_version=4).cells] == tags


def test_every_code_cell_of_a_chapter_says_how_it_shows():
    """``jupyter-book build .`` executes the jupytext sources as they are, without
    :func:`ferlib.book.tag_for_reading`: a code cell without a tag would show its code
    there, unfolded, while ``python -m ferlib book`` folds it. So each code cell of each
    chapter carries ``hide-input`` or one of the tags that keep its way of showing."""
    import jupytext

    allowed = {"hide-input", *book.KEPT_CELL_TAGS, *book.REMOVED_CELL_TAGS}
    untagged = []
    for entry in book.toc_entries(ROOT):
        if not entry.is_notebook:
            continue
        cells = jupytext.read(ROOT / f"{entry.file}.py").cells
        untagged += [f"{entry.file}.py, code cell {i}: {cell.source.splitlines()[0] if cell.source else ''!r}"
                     for i, cell in enumerate(c for c in cells if c.cell_type == "code")
                     if not allowed & set(cell.metadata.get("tags", []))]
    assert not untagged, "code cells without a tag saying how they show:\n" + "\n".join(untagged)


def test_seed_runs_and_baselines_come_from_the_committed_results_only():
    committed = chapter.open_chapter(profile="paper", store=RESULTS)
    seeds = committed.seed_runs()
    expected = results.protocol_seed_runs(results.committed_runs(RESULTS))
    assert {key: [run.id for run in runs] for key, runs in seeds.items()} == \
        {key: [run.id for run in runs] for key, runs in expected.items()}
    assert set(committed.runs()) == set(seeds)  # seed 0 of every experiment with seeds
    assert set(committed.baselines()["dataset"]) >= {"fer2013", "jaffe"}
    assert chapter.open_chapter(profile="smoke").baselines() is None


def test_glue_values_glues_every_value_under_its_prefixed_name(monkeypatch):
    import myst_nb

    from ferlib import chapter

    glued = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: glued.append((name, value, display)))
    chapter.glue_values({"agree": 3, "reported": 14}, prefix="claims_")
    assert glued == [("claims_agree", 3, False), ("claims_reported", 14, False)]


def test_the_protocol_numbers_are_glued_from_the_committed_data_summary(monkeypatch):
    import myst_nb

    from ferlib import chapter, protocol

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: glued.update({name: (value, display)}))
    numbers = chapter.glue_protocol_numbers()
    assert numbers == protocol.protocol_numbers(results.read_dataset_summaries(RESULTS))
    assert glued == {f"protocol_{name}": (value, False) for name, value in numbers.items()}
