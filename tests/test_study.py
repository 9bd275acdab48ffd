"""The sensitivity study: its cells, their configs, and the tables made from its runs."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ferlib import study
from ferlib.config import RunConfig
from ferlib.experiment import load_data


def _cells_around(base, cells, **where):
    """Check that every cell of ``cells`` is ``base`` with its change: either exactly the
    fields it sets to another value than ``base`` differ, or (a protocol alias) none does
    and its runs are the protocol's. Returns the alias cells."""
    aliases = []
    for cell, change in cells.items():
        config = study.cell_config(cell, **where)
        differs = {f.name for f in dataclasses.fields(RunConfig)
                   if getattr(config, f.name) != getattr(base, f.name)}
        if differs:
            assert differs == {name for name, value in change.items() if getattr(base, name) != value}, cell
            assert not study.is_protocol_alias(cell, config, round=where.get("round", "protocol"))
        else:
            assert all(getattr(base, name) == value for name, value in change.items()), cell
            assert cell == "protocol" or study.is_protocol_alias(cell, config, round=where.get("round", "protocol"))
            aliases.append(cell)
        expected = "protocol" if not differs else cell
        assert study.cell_of(dataclasses.replace(config, source_run=config.source_run and "feed"),
                             round=where.get("round", "protocol")) == expected, cell
    return [cell for cell in aliases if cell != "protocol"]


def test_each_cell_changes_one_setting_of_the_protocol():
    base = study.cell_config("protocol", model=2, dataset="jaffe", seed=1)
    assert base.min_epoch_images == 1024 and base.seed == 1 and base.data == "real"
    assert _cells_around(base, study.CELLS, model=2, dataset="jaffe", seed=1) == ["learning rate 0.001"]
    with pytest.raises(ValueError, match="cell must be one of"):
        study.cell_config("more epochs", model=2, dataset="jaffe", seed=0)


def test_on_ck_plus_the_protocols_rate_makes_the_other_rate_the_cell():
    """Model 2 on seven-class CK+ trains at 0.0001 (a stated deviation): there the
    0.0001 cell is the protocol itself and the 0.001 cell the change; Model 1 keeps 0.001."""
    base = study.cell_config("protocol", model=2, dataset="ckplus7", seed=0)
    assert base.learning_rate == 1e-4
    assert _cells_around(base, study.CELLS, model=2, dataset="ckplus7", seed=0) == ["learning rate 0.0001"]
    model1 = study.cell_config("protocol", model=1, dataset="ckplus7", seed=0)
    assert _cells_around(model1, study.CELLS, model=1, dataset="ckplus7", seed=0) == ["learning rate 0.001"]


def test_the_profile_rate_round_is_the_protocol_round_at_0_001():
    """On JAFFE it is the round around the protocol itself; on seven-class CK+ its
    protocol cell is that round's 0.001 cell, and each of its cells that cell with one
    change."""
    rate = "rate 0.001"
    assert "learning rate 0.001" not in study.PROFILE_RATE_ROUND
    for cell in study.PROFILE_RATE_ROUND:
        assert study.cell_config(cell, model=2, dataset="jaffe", seed=0, round=rate) == \
            study.cell_config(cell, model=2, dataset="jaffe", seed=0)
    base = study.cell_config("protocol", model=2, dataset="ckplus7", seed=0, round=rate)
    assert base == study.cell_config("learning rate 0.001", model=2, dataset="ckplus7", seed=0)
    assert _cells_around(base, study.PROFILE_RATE_ROUND, model=2, dataset="ckplus7", seed=0, round=rate) == []
    around_protocol = study.cell_config("augmentation", model=2, dataset="ckplus7", seed=0)
    assert study.cell_of(around_protocol, round=rate) is None and study.cell_of(around_protocol) == "augmentation"


def test_the_augmented_recipe_round_is_the_study_around_the_augmented_start():
    """The augmented recipe's cells are its protocol (augmentation on) with one change; its
    'no augmentation' cell is the protocol, so one run serves both rounds."""
    augmented = study.cell_config("protocol", model=2, dataset="jaffe", seed=0, round="augmented recipe")
    protocol = study.cell_config("protocol", model=2, dataset="jaffe", seed=0)
    assert augmented.augment and not protocol.augment
    assert study.cell_config("no augmentation", model=2, dataset="jaffe", seed=0, round="augmented recipe") == protocol
    assert study.cell_of(augmented) == "augmentation"
    assert study.cell_of(augmented, round="augmented recipe") == "protocol"
    for cell in study.AUGMENTED_ROUND:
        config = study.cell_config(cell, model=2, dataset="jaffe", seed=0, round="augmented recipe")
        differs = {f.name for f in dataclasses.fields(RunConfig) if getattr(config, f.name) != getattr(augmented, f.name)}
        assert len(differs) <= 1 and (differs or cell == "protocol"), cell
    assert study.changes_epochs_only("one pass per epoch", "augmented recipe")
    assert not study.changes_epochs_only("half augmentation")
    with pytest.raises(ValueError, match="round must be one of"):
        study.cell_config("protocol", model=2, dataset="jaffe", seed=0, round="second")


def test_the_rounds_are_named_for_what_they_change_and_no_other_name_is_taken():
    assert list(study.ROUNDS) == ["protocol", "augmented recipe", "rate 0.001", "fine-tune"]
    assert study.round_cells() is study.round_cells("protocol") is study.CELLS
    assert study.round_cells("augmented recipe") is study.AUGMENTED_ROUND
    for old in ("settled", "first"):
        with pytest.raises(ValueError, match=rf"round must be one of \['protocol', 'augmented recipe', "
                                             rf"'rate 0.001', 'fine-tune'\], got '{old}'"):
            study.round_cells(old)


def test_configs_come_seed_by_seed_so_every_cell_has_a_first_seed_early():
    configs = study.study_configs(models=(2,), datasets=("jaffe",), seeds=(0, 1))
    seeds = [config.seed for _, config in configs]
    assert seeds == [0] * len(study.CELLS) + [1] * len(study.CELLS)
    assert study.cell_of(dataclasses.replace(configs[0][1], learning_rate=0.5)) is None


def test_a_cell_whose_epochs_equal_the_protocols_is_recognised():
    """Synthetic JAFFE (140 images): its balanced pass is shorter than 1,024 images, so
    'one pass per epoch' is a run of its own; with a minimum below the pass it is not."""
    data = load_data("jaffe", synthetic_size=140)
    one_pass = study.cell_config("one pass per epoch", model=2, dataset="jaffe", seed=0, data="synthetic",
                                 synthetic_size=140)
    assert not study.same_epochs_as_protocol(one_pass, data)
    small = study.cell_config("one pass per epoch", model=2, dataset="jaffe", seed=0, data="synthetic",
                              synthetic_size=140, min_epoch_images=None)
    assert small.min_epoch_images is None
    augmented = study.cell_config("augmentation", model=2, dataset="jaffe", seed=0, data="synthetic",
                                  synthetic_size=140)
    assert not study.same_epochs_as_protocol(augmented, data)
    big = load_data("ckplus", synthetic_size=2000)  # a balanced pass of more than 1,024 images
    ck_pass = study.cell_config("one pass per epoch", model=2, dataset="ckplus", seed=0, data="synthetic",
                                synthetic_size=2000)
    assert study.same_epochs_as_protocol(ck_pass, big)


def _confusion(accuracy, n=100, classes=7):
    """A ``classes`` x ``classes`` confusion of ``n`` images with ``accuracy`` of them right."""
    confusion = np.zeros((classes, classes), dtype=int)
    right = round(accuracy * n)
    for i in range(n):
        row = i % classes
        confusion[row, row if i < right else (row + 1) % classes] += 1
    return confusion.tolist()


def _run(cell, seed, val, test, dataset="jaffe"):
    config = study.cell_config(cell, model=2, dataset=dataset, seed=seed)
    return cell, SimpleNamespace(config=config, metrics={
        "val": {"accuracy": val}, "test": {"accuracy": test, "confusion": _confusion(test)}})


def test_study_table_and_verdicts_summarise_over_seeds():
    cell_runs = [_run("protocol", 0, 0.7, 0.6), _run("protocol", 1, 0.8, 0.7), _run("protocol", 2, 0.9, 0.8),
                 _run("one pass per epoch", 0, 0.1, 0.3), _run("one pass per epoch", 1, 0.2, 0.1),
                 _run("augmentation", 0, 0.75, 0.65)]
    table = study.study_table(cell_runs)
    assert list(table["cell"]) == ["protocol", "one pass per epoch", "augmentation"]
    protocol = table.iloc[0]
    assert protocol["seeds"] == 3 and protocol["val_mean"] == pytest.approx(0.8)
    assert protocol["test_sd"] == pytest.approx(0.1)
    assert protocol["test_by_seed"] == {0: 0.6, 1: 0.7, 2: 0.8}
    assert protocol["learned"] == 3 and table.iloc[1]["learned"] == 1  # 30 of 100 is above 1/7, 10 is not
    assert np.isnan(table.iloc[2]["val_sd"])
    verdicts = study.study_verdicts(table)
    assert list(verdicts["cell"]) == ["one pass per epoch", "augmentation"]
    assert verdicts.iloc[0]["val_change"] == pytest.approx(0.15 - 0.8)
    assert study.study_verdicts(study.study_table(cell_runs[3:])).empty


def test_study_markdown_shows_each_seed_as_the_mean_of_one_seed_reads():
    """8 of 42 is 19.0%; rounded to 4 decimals first (0.1905) it would read 19.1."""
    table = study.study_table([_run("protocol", 0, 0.5, 8 / 42)])
    assert table.iloc[0]["test_by_seed"] == {0: 8 / 42}
    row = study.study_markdown(table).splitlines()[-1]
    assert row.endswith("| 19.0% | 0 of 1 | 50.0 | 19.0 |")


def test_study_verdicts_follow_the_median_not_the_mean():
    """One protocol seed at chance drags its mean below a steadier cell's; the median
    (the decision rule) keeps the protocol ahead."""
    cell_runs = [_run("protocol", 0, 0.2, 0.2), _run("protocol", 1, 0.8, 0.8), _run("protocol", 2, 0.9, 0.8),
                 _run("learning rate 0.0001", 0, 0.70, 0.7), _run("learning rate 0.0001", 1, 0.75, 0.7),
                 _run("learning rate 0.0001", 2, 0.76, 0.7)]
    table = study.study_table(cell_runs).set_index("cell")
    assert table.loc["learning rate 0.0001", "val_mean"] > table.loc["protocol", "val_mean"]
    (verdict,) = study.study_verdicts(table.reset_index()).itertuples()
    assert verdict.val_change == pytest.approx(0.75 - 0.8)
    assert verdict.test_change == pytest.approx(0.7 - 0.8)


def test_study_runs_at_smoke_scale_and_reuses_the_store(tmp_path):
    scope = dict(models=(2,), datasets=("jaffe",), seeds=(0,), cells=("protocol", "no class balancing"),
                 profile="smoke")
    lines = []
    runs = study.run_study(tmp_path, log=lines.append, **scope)
    assert [cell for cell, _ in runs] == ["protocol", "no class balancing"]
    assert runs[0][1].config.balance == "oversample" and runs[1][1].config.balance == "none"
    again = study.run_study(tmp_path, log=lines.append, **scope)
    assert [run.id for _, run in again] == [run.id for _, run in runs]
    assert all(run.path.parent == tmp_path for _, run in runs)


def test_study_markdown_and_figure_show_every_cell_and_seed():
    cell_runs = [_run("protocol", 0, 0.7, 0.6), _run("protocol", 1, 0.8, 0.7),
                 _run("augmentation", 0, 0.75, 0.65), _run("protocol", 0, 0.9, 0.85, dataset="ckplus7")]
    text = study.study_markdown(study.study_table(cell_runs))
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()]
    assert len(rows) == 2 + 3 and rows[0][:3] == ["model", "data set", "cell"]
    assert ["2", "JAFFE", "protocol", "2", "75.0 ± 7.1%", "75.0%", "65.0 ± 7.1%", "2 of 2", "70.0, 80.0",
            "60.0, 70.0"] in rows
    assert ["2", "JAFFE", "augmentation", "1", "75.0%", "75.0%", "65.0%", "1 of 1", "75.0", "65.0"] in rows
    from ferlib.figures import study_figure

    figure = study_figure(cell_runs)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == 2
    assert {ax.get_title(loc="left") for ax in visible} == {"Model 2, JAFFE", "Model 2, CK+ (7 classes)"}
    with pytest.raises(ValueError, match="empty"):
        study_figure([])


def test_the_study_figures_panels_are_one_above_the_other_and_every_cells_bar_as_thick():
    """Two panels, one with two cells and one with one: one above the other, each as wide
    as the other, each cell's bar equally thick in both (the single cell's panel not
    stretched), the text at a size a page shows without shrinking, and a legend for dots,
    bar and lines above the panels, where it covers none of them."""
    from ferlib.figures import STUDY_WIDTH, study_figure

    cell_runs = [_run("protocol", 0, 0.7, 0.6), _run("augmentation", 0, 0.75, 0.65),
                 _run("protocol", 0, 0.9, 0.85, dataset="ckplus7")]
    figure = study_figure(cell_runs)
    figure.draw_without_rendering()
    ckplus, jaffe = figure.axes
    assert (ckplus.get_title(loc="left"), jaffe.get_title(loc="left")) == ("Model 2, CK+ (7 classes)", "Model 2, JAFFE")
    boxes = [ax.get_window_extent() for ax in (ckplus, jaffe)]
    assert boxes[0].y0 > boxes[1].y1, "CK+ (7 classes) above JAFFE"
    assert boxes[0].x0 == pytest.approx(boxes[1].x0, abs=1) and boxes[0].x1 == pytest.approx(boxes[1].x1, abs=1)
    assert boxes[1].height == pytest.approx(2 * boxes[0].height, rel=0.02), "each panel as high as its cells"
    bars = [patch.get_window_extent().height for ax in (ckplus, jaffe) for patch in ax.patches]
    assert len(bars) == 3 and max(bars) == pytest.approx(min(bars), rel=0.02)
    assert figure.get_figwidth() == STUDY_WIDTH <= 5  # shown at its size in the book's column, at 4/5 on a phone
    assert min(label.get_fontsize() for ax in (ckplus, jaffe) for label in ax.get_yticklabels()) >= 9
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "validation, each seed", "test, each seed", "mean test accuracy", "chance", "majority class"]
    assert legend.get_window_extent().y0 >= max(box.y1 for box in boxes), "the legend above the panels"


def test_study_glues_name_each_cell_and_give_percentages():
    cell_runs = [_run("protocol", 0, 0.7, 0.6), _run("protocol", 1, 0.8, 0.7), _run("protocol", 2, 0.9, 0.1),
                 _run("learning rate 0.0001", 0, 0.75, 0.65)]
    values = study.study_glues(study.study_table(cell_runs), prefix="augmented recipe")
    name = "augmented_recipe_jaffe_protocol"
    assert values[f"{name}_seeds"] == 3 and values[f"{name}_learned"] == 2
    assert values[f"{name}_val_median"] == pytest.approx(80.0)
    assert values[f"{name}_test_median"] == pytest.approx(60.0)
    assert values["augmented_recipe_jaffe_learning_rate_0_0001_test_mean"] == pytest.approx(65.0)
    assert study.study_glues(study.study_table(cell_runs), model=3) == {}


def test_the_fine_tune_round_changes_one_setting_of_the_protocols_fine_tune():
    """Its cells are fine-tunes from FER2013; its protocol cell is the protocol's fine-tune
    (any source run), and no scratch round takes a fine-tune nor it a scratch run."""
    from ferlib import results

    base = study.cell_config("protocol", model=2, dataset="jaffe", seed=1, round="fine-tune")
    assert base.source == "fer2013" and base.source_run is None and base.learning_rate == 1e-3
    trained = dataclasses.replace(base, source_run="0123456789abcdef")
    assert results.is_paper_config(trained, seed=None)
    assert study.cell_of(trained, round="fine-tune") == "protocol"
    assert study.cell_of(trained) is None and study.cell_of(trained, round="augmented recipe") is None
    scratch = study.cell_config("protocol", model=2, dataset="jaffe", seed=1)
    assert study.cell_of(scratch, round="fine-tune") is None
    where = dict(model=2, seed=2, round="fine-tune")
    tuned_ck = study.cell_config("protocol", dataset="ckplus7", **where)
    assert tuned_ck.learning_rate == 1e-4, "the CK+ fine-tune keeps its run from scratch's deviation"
    assert _cells_around(tuned_ck, study.FINETUNE_ROUND, dataset="ckplus7", **where) == ["fine-tune rate 0.0001"]
    tuned_jaffe = study.cell_config("protocol", dataset="jaffe", **where)
    assert _cells_around(tuned_jaffe, study.FINETUNE_ROUND, dataset="jaffe", **where) == ["fine-tune rate 0.001"]
    assert not results.is_paper_config(
        dataclasses.replace(study.cell_config("fine-tune rate 0.0001", model=2, dataset="jaffe", seed=0,
                                              round="fine-tune"), source_run="feed"), seed=None)


def test_a_fine_tune_cell_starts_from_the_protocols_source_run_of_its_seed():
    config = study.cell_config("fine-tune rate 0.0001", model=2, dataset="jaffe", seed=2, round="fine-tune")
    source = study.source_config(config)
    assert source.dataset == "fer2013" and not source.is_finetune and source.seed == 2
    assert source.learning_rate == 1e-4, "Model 2's stated FER2013 deviation"
    from ferlib.protocol import experiment_config

    assert source == experiment_config("paper", (2, "fer2013", None), data="real", seed=2,
                                       backend=config.backend)
    with pytest.raises(ValueError, match="not a fine-tune"):
        study.source_config(source)


def test_a_cell_that_sets_the_protocols_own_value_is_not_trained_twice(tmp_path):
    lines = []
    runs = study.run_study(tmp_path, log=lines.append, models=(2,), datasets=("jaffe",), seeds=(0,), profile="smoke",
                           cells=("protocol", "learning rate 0.001"))
    assert [cell for cell, _ in runs] == ["protocol"]
    assert any("learning rate 0.001" in line and "the protocol's own setting" in line for line in lines)
    assert study.study_runs([run for _, run in runs], profile="smoke") == runs


def test_the_fine_tune_round_runs_at_smoke_scale_from_one_source(tmp_path):
    scope = dict(models=(2,), datasets=("jaffe",), seeds=(0,), profile="smoke", round="fine-tune")
    lines = []
    runs = study.run_study(tmp_path, log=lines.append, **scope)
    assert [cell for cell, _ in runs] == ["protocol", "fine-tune rate 0.0001"]
    assert any("fine-tune rate 0.001" in line and "the protocol's own setting" in line for line in lines)
    (_, protocol), (_, slow) = runs
    assert protocol.config.source_run == slow.config.source_run
    assert slow.config.learning_rate == 1e-4 and protocol.config.learning_rate != 1e-4
    from ferlib.store import RunStore

    source = RunStore(tmp_path).get(protocol.config.source_run)
    assert source.config == study.source_config(protocol.config, profile="smoke")
    assert [cell for cell, _ in study.study_runs([source, protocol, slow], round="fine-tune", profile="smoke")] == \
        ["protocol", "fine-tune rate 0.0001"]
    again = study.run_study(tmp_path, log=lambda line: None, **scope)
    assert [run.id for _, run in again] == [run.id for _, run in runs]


def _verdicts(*rows):
    return pd.DataFrame([{"model": 2, "dataset": d, "cell": c, "seeds": n, "val_change": v, "test_change": 0.0}
                         for d, c, n, v in rows])


def test_largest_changes_pick_the_cell_that_moves_validation_most_per_data_set():
    verdicts = _verdicts(("jaffe", "augmentation", 3, -0.6), ("jaffe", "no class balancing", 3, 0.1),
                         ("ckplus7", "augmentation", 3, 0.2), ("ckplus7", "one pass per epoch", 3, -0.3))
    top = study.largest_changes(verdicts)
    assert list(zip(top["dataset"], top["cell"], top["val_change"])) == [("ckplus7", "one pass per epoch", -0.3),
                                                                         ("jaffe", "augmentation", -0.6)]
    assert study.largest_changes(verdicts.iloc[:0]).empty


def test_changes_on_every_dataset_flag_the_cells_that_raise_all_or_some():
    verdicts = _verdicts(("jaffe", "no class balancing", 3, -0.024), ("ckplus7", "no class balancing", 3, 0.031),
                         ("jaffe", "augmentation", 3, -0.6), ("ckplus7", "augmentation", 3, -0.34),
                         ("jaffe", "2,048 images per epoch", 3, 0.07), ("ckplus7", "2,048 images per epoch", 3, 0.02),
                         ("jaffe", "learning rate 0.0001", 3, 0.1), ("ckplus7", "learning rate 0.0001", 1, 0.2))
    table = study.changes_on_every_dataset(verdicts, datasets=("jaffe", "ckplus7"))
    assert list(table.index) == ["2,048 images per epoch", "augmentation", "no class balancing"]
    assert list(table.columns) == ["jaffe", "ckplus7", "raises_all", "raises_some"]
    assert table["raises_all"].tolist() == [True, False, False]
    assert table["raises_some"].tolist() == [True, False, True]
    assert study.changes_on_every_dataset(verdicts, datasets=("jaffe", "ckplus7"), min_seeds=4).empty
    assert study.changes_on_every_dataset(verdicts, datasets=("jaffe", "fer2013")).empty
