"""The modern recipe's page: its runs are found by their configs (ferlib.recipe_runs), its
tables are made from committed runs, or say which runs are missing and what they need
(ferlib.recipe_results, ferlib.missing.recipe_missing), and its figures' grids show what
the recipe does to a face (ferlib.recipe_augment).

The recipe's runs are not trained here (each is hours of CPU): they are made from the
committed protocol runs of Model 2, as runs that pass the audit (``fake_recipe_run``)."""

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from ferlib import missing, recipe, recipe_results, results, stats
from ferlib.book import project_root
from ferlib.identity import run_id
from ferlib.labels import EMOTIONS
from ferlib.protocol import experiment_config
from ferlib.recipe_runs import PLAN_GROUPS, recipe_cell, recipe_finetunes, recipe_plan, recipe_runs
from ferlib.store import read_run

RESULTS = project_root() / results.PAPER_RESULTS
#: How many right answers each fake run turns wrong, per part: it sets each fake's accuracy.
WRONG = {("recipe", 0): {"val": 5, "test": 7}, ("recipe", 1): {"val": 9, "test": 3},
         ("no flips", 0): {"val": 40, "test": 0}, ("no flips", 1): {"val": 60, "test": 0},
         ("no erasing", 0): {"val": 2, "test": 0}}


def _config(cell, seed):
    return recipe.recipe_config(cell, seed=seed, data="real", backend="tensorflow")


def _committed(key, seed):
    found = results.protocol_seed_runs(results.committed_runs(RESULTS), models=(2,))[key]
    return next(run for run in found if run.config.seed == seed)


def fake_recipe_run(run, config, results_dir, *, wrong=None, single_view=None):
    """``run`` (a committed run) copied into ``results_dir`` as a run of ``config``: the
    first ``wrong[part]`` images of each part it got right are made wrong (predicted as the
    next class, all probability there), its metrics recomputed from its predictions,
    ``single_view`` (``{part: accuracy}``) stored as a recipe run stores its one-view test,
    config and manifest rewritten and sealed: a run that passes the audit."""
    rid = run_id(config, run.manifest["data_fingerprint"], run.manifest["numerics_version"])
    target = results_dir / rid
    shutil.copytree(run.path, target)
    predictions = pd.read_csv(target / "predictions.csv.gz")
    columns = [f"p_{name}" for name in EMOTIONS]
    for part, count in (wrong or {}).items():
        right = predictions.index[(predictions["part"] == part) & (predictions["true"] == predictions["predicted"])]
        rows = right[:count]
        predictions.loc[rows, "predicted"] = (predictions.loc[rows, "true"] + 1) % len(EMOTIONS)
        probabilities = np.zeros((len(rows), len(EMOTIONS)))
        probabilities[np.arange(len(rows)), predictions.loc[rows, "predicted"].to_numpy()] = 1.0
        predictions.loc[rows, columns] = probabilities
    predictions.to_csv(target / "predictions.csv.gz", index=False)
    metrics = json.loads((target / "metrics.json").read_text())
    for part in ("val", "test"):
        rows = predictions[predictions["part"] == part]
        metrics[part].update(results.metrics_from_labels(rows["true"], rows["predicted"]))
    if single_view is not None:
        metrics["single_view"] = {part: {"accuracy": value} for part, value in single_view.items()}
    (target / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (target / "config.json").write_text(config.to_json() + "\n")
    manifest = dict(run.manifest, run_id=rid, source_run=config.source_run)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    results.seal_run(target)
    return read_run(target)


def _accuracy(run, part):
    rows = run.predictions[run.predictions["part"] == part]
    return float((rows["true"] == rows["predicted"]).mean()), len(rows)


@pytest.fixture(scope="module")
def empty_results(tmp_path_factory):
    """A results folder with the data summary and no run."""
    folder = tmp_path_factory.mktemp("empty")
    shutil.copy(RESULTS / results.DATASETS_FILE, folder / results.DATASETS_FILE)
    return folder


@pytest.fixture(scope="module")
def recipe_results_dir(tmp_path_factory):
    """A results folder with the protocol's Model 2 runs on FER2013 and JAFFE (seeds 0 and
    1) and its JAFFE fine-tune of seed 0, the recipe (seeds 0, 1; its one-view test
    stored, a little better on validation than the ten crops), the ablation's "no flips"
    cell (seeds 0, 1, one more than planned; tens of validation images fewer right), its
    "no erasing" cell (seed 0; three images more right than the recipe's seed 0, among
    those the recipe's got wrong) and one fine-tune of the
    recipe's network (JAFFE, seed 0, four test images fewer right than the protocol's)."""
    folder = tmp_path_factory.mktemp("recipe")
    shutil.copy(RESULTS / results.DATASETS_FILE, folder / results.DATASETS_FILE)
    made = {}
    for key in ((2, "fer2013", None), (2, "jaffe", None)):
        for seed in (0, 1):
            run = _committed(key, seed)
            shutil.copytree(run.path, folder / run.id)
            made[key, seed] = read_run(folder / run.id)
    tuned = _committed((2, "jaffe", "fer2013"), 0)
    shutil.copytree(tuned.path, folder / tuned.id)
    for (cell, seed), wrong in WRONG.items():
        single = {"val": 0.575, "test": 0.58} if cell == "recipe" else None
        made[cell, seed] = fake_recipe_run(made[(2, "fer2013", None), seed], _config(cell, seed), folder,
                                           wrong=wrong, single_view=single)
    config = dataclasses.replace(tuned.config, source_run=made["recipe", 0].id)
    made["fine-tune"] = fake_recipe_run(tuned, config, folder, wrong={"test": 4})
    made["protocol fine-tune"] = read_run(folder / tuned.id)
    return folder, made


# --------------------------------------------------------------------------- which runs are the recipe's


def test_a_recipe_config_is_recognised_by_its_fields_and_a_protocol_run_is_not():
    for cell in recipe.ABLATION:
        assert recipe_cell(_config(cell, 1)) == cell
    protocol = experiment_config("paper", (2, "fer2013", None), data="real", backend="tensorflow")
    assert recipe_cell(protocol) is None
    assert recipe_cell(dataclasses.replace(_config("recipe", 0), epochs=99)) is None  # not the recipe's runs
    assert recipe_cell(dataclasses.replace(_config("recipe", 0), label_smoothing=0.2)) is None
    assert recipe_cell(recipe.recipe_config(seed=0, data="real", backend="jax")) == "recipe"  # any backend
    tuned = experiment_config("paper", (2, "jaffe", "fer2013"), data="real", source="fer2013", source_run="x")
    assert recipe_cell(tuned) is None


def test_no_committed_run_is_taken_for_a_recipe_run():
    runs = results.committed_runs(RESULTS)
    assert not any(recipe_cell(run.config) for run in runs)
    assert recipe_runs(runs) == {} and recipe_finetunes(runs) == {}


def test_the_recipe_runs_and_fine_tunes_are_found_in_a_results_folder(recipe_results_dir):
    folder, made = recipe_results_dir
    runs = results.committed_runs(folder)
    for run in runs:
        assert results.audit_run(run) == [], run.id  # fake, but valid
    found = recipe_runs(runs)
    assert list(found) == ["recipe", "no flips", "no erasing"]
    assert [run.id for run in found["recipe"]] == [made["recipe", 0].id, made["recipe", 1].id]
    assert {key: run.id for key, run in recipe_finetunes(runs).items()} == {("jaffe", 0): made["fine-tune"].id}
    # the protocol's readers keep the fine-tune from the recipe's start apart
    protocol = results.protocol_seed_runs(runs, models=(2,))
    assert [run.id for run in protocol[(2, "jaffe", "fer2013")]] == [made["protocol fine-tune"].id]
    assert {run.id for run in protocol[(2, "fer2013", None)]} == {made[(2, "fer2013", None), s].id for s in (0, 1)}


# --------------------------------------------------------------------------- the missing state


def test_an_empty_results_folder_gives_the_missing_state(empty_results):
    summaries = results.read_dataset_summaries(empty_results)
    runs = results.committed_runs(empty_results)
    table = recipe_results.missing_table(runs, summaries)
    plan = recipe_plan()
    assert list(table["group"]) == list(PLAN_GROUPS)
    assert list(table["runs"]) == list(table["planned"]) == [sum(p.group == g for p in plan) for g in PLAN_GROUPS]
    planned = len(recipe.RECIPE_SEEDS) * (1 + 2) + len(recipe.ABLATION_SEEDS) * (len(recipe.ABLATION) - 1)
    assert table["runs"].sum() == len(plan) == planned  # final runs and their 2 fine-tunes, the other cells
    assert [p.seed for p in plan if p.group == "ablation"] == [0] * (len(recipe.ABLATION) - 1)
    # each run's time from its own size at the rate measured for it
    # each run's time from its own size at the rate measured for it, per class of processor
    measured, protocol = missing.recipe_rate(2), missing.fastest_rates(2, missing.protocol_rates(runs))
    rates = {"recipe": measured["avx2"][1], "ablation": measured["avx2"][1], "fine-tune": protocol["avx2"][1]}
    expected = sum(missing.config_images(p.config, summaries) / rates[p.group] for p in plan)
    assert table["seconds_avx2"].sum() == pytest.approx(expected)
    assert table["seconds_avx512"].isna().all() == ("avx512" not in measured), "no time where no rate was measured"
    oversampled = next(p for p in plan if p.cell == "class oversampling").config
    assert missing.config_images(oversampled, summaries) > missing.config_images(plan[0].config, summaries)
    assert "still to train (see above)" in table["needs"].iloc[-1] and table["needs"].iloc[0] is None
    sentence = recipe_results.missing_sentence(table)
    assert sentence.startswith(f"These {len(plan)} runs (2 final runs of the recipe on FER2013, ")
    assert f"need {missing.cpu_words(expected)} of training on a 2-core processor with AVX2" in sentence
    lines = recipe_results.recipe_findings(runs, summaries)
    assert "the protocol has no run of it" in lines[0]
    assert lines[1].startswith("The recipe has no run yet") and lines[-1] == sentence
    assert len(recipe_results.accuracy_table(runs)) == 1  # the paper's number alone
    assert recipe_results.transfer_table(runs).empty
    assert (recipe_results.ablation_results(runs)["seeds"] == 0).all()
    assert recipe_results.recipe_histories(runs) == {}


def test_one_missing_run_is_said_in_the_singular():
    table = pd.DataFrame([{"group": "recipe", "runs": 1, "seconds_avx2": 7200.0, "seconds_avx512": np.nan},
                          {"group": "ablation", "runs": 0, "seconds_avx2": 0.0, "seconds_avx512": np.nan}])
    assert recipe_results.missing_sentence(table) == (
        "This run (1 final run of the recipe on FER2013) needs about 2 CPU-hours of training on a 2-core processor "
        "with AVX2.")
    assert recipe_results.missing_sentence(table.assign(runs=0)) == ""


def test_the_missing_runs_are_timed_on_each_class_of_processor_measured_for_all_of_them():
    """A class of processor enters the sentence only where every group with runs left has
    a time on it."""
    table = pd.DataFrame([{"group": "recipe", "runs": 2, "seconds_avx2": 7200.0, "seconds_avx512": 4000.0},
                          {"group": "fine-tune", "runs": 4, "seconds_avx2": 3600.0, "seconds_avx512": 4000.0}])
    assert recipe_results.missing_sentence(table).endswith(
        "need about 3 CPU-hours of training on a 2-core processor with AVX2 or 2 with AVX-512.")
    partly = table.assign(seconds_avx512=[1800.0, np.nan])
    assert recipe_results.missing_sentence(partly).endswith("processor with AVX2.")
    assert "no class of processor has a measured rate" in recipe_results.missing_sentence(
        partly.assign(seconds_avx2=[np.nan, 1.0]))


# --------------------------------------------------------------------------- the tables from runs


def test_privatetest_per_seed_with_wilson_and_the_mean_with_the_t_interval(recipe_results_dir):
    folder, made = recipe_results_dir
    table = recipe_results.accuracy_table(results.committed_runs(folder)).set_index("what")
    assert list(table.index) == ["the paper", "the protocol, mean over 2 seeds", "the recipe, seed 0",
                                 "the recipe, seed 1", "the recipe, mean over 2 seeds"]
    assert table.loc["the paper", "accuracy"] == 0.6158 and np.isnan(table.loc["the paper", "low"])
    accuracies = []
    for seed in (0, 1):
        accuracy, n = _accuracy(made["recipe", seed], "test")
        accuracies.append(accuracy)
        row = table.loc[f"the recipe, seed {seed}"]
        assert row["accuracy"] == pytest.approx(accuracy) and row["interval"] == "Wilson"
        assert (row["low"], row["high"]) == pytest.approx(stats.accuracy_interval(round(accuracy * n), n))
        assert row["val_accuracy"] == pytest.approx(_accuracy(made["recipe", seed], "val")[0])
    protocol = [_accuracy(made[(2, "fer2013", None), seed], "test")[0] for seed in (0, 1)]
    assert accuracies[0] < protocol[0] and accuracies[1] < protocol[1]  # the fakes lost 7 and 3 images
    mean = table.loc["the recipe, mean over 2 seeds"]
    assert mean["accuracy"] == pytest.approx(np.mean(accuracies))
    assert (mean["low"], mean["high"]) == pytest.approx(stats.seed_summary(accuracies)["interval"])
    assert table.loc["the protocol, mean over 2 seeds", "accuracy"] == pytest.approx(np.mean(protocol))


def test_the_ablation_on_validation_reads_the_cells_and_the_one_view_test(recipe_results_dir):
    folder, made = recipe_results_dir
    runs = results.committed_runs(folder)
    table = recipe_results.ablation_results(runs).set_index("cell")
    assert list(table.index) == list(recipe.ABLATION) + list(recipe.EVALUATION_CELLS)
    ours = [_accuracy(made["recipe", seed], "val")[0] for seed in (0, 1)]
    flips = [_accuracy(made["no flips", seed], "val")[0] for seed in (0, 1)]
    assert table.loc["recipe", "val_mean"] == pytest.approx(np.mean(ours))
    assert table.loc["no flips", "val_change"] == pytest.approx(np.mean(flips) - np.mean(ours))
    assert table.loc["no flips", "val_change"] < 0 and table.loc["no flips", "seeds"] == 2
    # both seeds' validation images pooled: 35 and 51 images only the recipe got right
    assert table.loc["no flips", "val_p"] == pytest.approx(st.binomtest(0, 35 + 51).pvalue)
    # a one-seed cell is read against the recipe's run of its seed, not the recipe's mean
    erasing, n = _accuracy(made["no erasing", 0], "val")
    assert table.loc["no erasing", "seeds"] == 1 and np.isnan(table.loc["no erasing", "val_sd"])
    assert table.loc["no erasing", "val_change"] == pytest.approx(erasing - ours[0]) == pytest.approx(3 / n)
    assert table.loc["no erasing", "val_p"] == pytest.approx(st.binomtest(3, 3).pvalue)
    assert np.isnan(table.loc["recipe", "val_p"]) and np.isnan(table.loc["no ten-crop", "val_p"])
    assert table.loc["no ten-crop", "val_mean"] == pytest.approx(0.575)  # the stored one-view test
    trained = ["recipe", "no flips", "no erasing", "no ten-crop"]
    assert (table.drop(trained)["seeds"] == 0).all() and table.drop(trained)["val_mean"].isna().all()
    # how far the recipe's own seeds lie apart on validation
    noise = recipe_results.seed_noise(runs)
    assert noise == pytest.approx(abs(ours[0] - ours[1])) and noise > 0
    assert f"lie {100 * noise:.1f} points apart" in recipe_results.seed_noise_sentence(noise)
    assert "not known" in recipe_results.seed_noise_sentence(np.nan)


def test_a_cell_on_other_validation_images_than_the_recipe_is_refused(recipe_results_dir):
    _, made = recipe_results_dir
    jaffe = made[(2, "jaffe", None), 0]
    with pytest.raises(ValueError, match="test other validation images"):
        recipe_results.validation_correctness(made["recipe", 0], jaffe)


def test_the_costliest_step_is_said_beside_the_recipes_own_seed_spread():
    ablation = pd.DataFrame([{"cell": "recipe", "seeds": 2, "val_change": 0.0, "val_p": np.nan},
                             {"cell": "no flips", "seeds": 1, "val_change": -0.012, "val_p": 0.02},
                             {"cell": "no crops", "seeds": 1, "val_change": -0.004, "val_p": 0.5}])
    within = recipe_results._best_step(ablation, 0.015)
    assert within.startswith('on validation, the change that costs the recipe most is "no flips" (-1.2 points, '
                             '1 seed, p 0.020 on the validation images)')
    assert "no more than the 1.5 points between the recipe's own seeds" in within
    assert "more than the 0.8 points" in recipe_results._best_step(ablation, 0.008)
    assert "own seeds" not in recipe_results._best_step(ablation, np.nan)


def test_the_transfer_pairs_the_recipes_start_with_the_protocols_on_the_same_images(recipe_results_dir):
    folder, made = recipe_results_dir
    table = recipe_results.transfer_table(results.committed_runs(folder))
    assert len(table) == 1
    row = table.iloc[0]
    tuned, n = _accuracy(made["protocol fine-tune"], "test")
    scratch, _ = _accuracy(made[(2, "jaffe", None), 0], "test")
    assert (row["dataset"], row["seed"], row["n"]) == ("jaffe", 0, n)
    assert row["recipe_start"] == pytest.approx(tuned - 4 / n)
    assert row["gain_vs_protocol"] == pytest.approx(-4 / n)
    assert row["p_vs_protocol"] == pytest.approx(st.binomtest(0, 4).pvalue)  # 4 images only the protocol's got
    assert row["scratch"] == pytest.approx(scratch) and row["gain_vs_scratch"] == pytest.approx(tuned - 4 / n - scratch)


def test_the_missing_runs_count_what_a_results_folder_holds(recipe_results_dir):
    folder, _ = recipe_results_dir
    runs = results.committed_runs(folder)
    table = recipe_results.missing_table(runs, results.read_dataset_summaries(folder)).set_index("group")
    assert table.loc["recipe", "runs"] == 0 and table.loc["recipe", "cpu"] == "none"
    assert table.loc["ablation", "runs"] == table.loc["ablation", "planned"] - 2  # "no flips" is there
    assert table.loc["fine-tune", "runs"] == 3 and table.loc["fine-tune", "seeds"] == [0, 1]
    assert "weights of the recipe's FER2013 runs of seeds 0, 1" in table.loc["fine-tune", "needs"]
    lines = recipe_results.recipe_findings(runs, results.read_dataset_summaries(folder))
    assert "With the recipe, Model 2 reaches" in lines[1] and "over 2 seeds (t-interval)" in lines[1]
    assert "\"no flips\"" in lines[2] and "Fine-tuned on JAFFE" in lines[3]
    assert "more than the" in lines[2]  # no flips costs far more than the recipe's two seeds differ
    assert lines[-1].startswith("These 13 runs (")


def test_missing_lists_the_recipes_runs_from_the_command_line(recipe_results_dir, capsys):
    from ferlib.cli import main

    folder, _ = recipe_results_dir
    assert main(["missing", "--results", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert "beyond the paper, the recipe's final runs on FER2013" not in printed  # both are committed
    ablation = len(recipe.ABLATION) - 1  # one seed each; "no flips" and "no erasing" are there
    assert (f"beyond the paper, the ablation's other cells on FER2013: {ablation - 2} of {ablation} runs "
            f"not committed") in printed
    assert "fine-tuned on JAFFE and CK+ (7 classes): 3 of 4 runs not committed" in printed


# --------------------------------------------------------------------------- the settings and the plan


def test_the_choices_table_has_every_setting_of_the_recipe_beside_the_protocols():
    table = recipe_results.choices_table().set_index("setting")
    fields = recipe.recipe_fields()
    assert list(table.index) == list(fields)
    for field, value in fields.items():
        assert table.loc[field, "recipe"] == recipe_results.value_text(field, value)
    protocol = experiment_config("paper", (2, "fer2013", None), data="real")
    assert table.loc["learning_rate", "protocol"] == f"{protocol.learning_rate:g}"  # the stated deviation
    assert table.loc["optimizer", "protocol"] == "Adam"
    assert table.loc["momentum", "protocol"] == table.loc["crop_padding", "protocol"] == recipe_results.NOT_USED
    assert table.loc["epochs", "protocol"] == str(protocol.epochs)
    assert table["source"].str.len().min() > 0
    assert set(table.loc[list(recipe_results.AUGMENTATION_FIELDS), "part"]) == {"augmentation"}
    assert set(table.drop(list(recipe_results.AUGMENTATION_FIELDS))["part"]) == {"optimisation"}
    from ferlib.chapter import VISIBLE_ROWS

    assert table["part"].value_counts().max() <= VISIBLE_ROWS  # the page shows each part open


def test_a_recipe_setting_without_a_note_is_refused(monkeypatch):
    monkeypatch.setitem(recipe.RECIPES, "other", {**recipe.RECIPES["modern"], "early_stopping": 10})
    with pytest.raises(ValueError, match="'early_stopping', which FIELD_NOTES does not describe"):
        recipe_results.choices_table("other")


def test_the_ablation_plan_says_what_each_cell_changes():
    plan = recipe_results.ablation_plan().set_index("cell")
    assert list(plan.index) == list(recipe.ABLATION) + list(recipe.EVALUATION_CELLS)
    assert plan.loc["recipe", "changes"] == "nothing: the recipe itself"
    assert plan.loc["no flips", "changes"] == "`flip` yes → no"
    assert plan.loc["no augmentation", "changes"] == "`augment` yes → no"  # the steps it turns off are not used
    assert plan.loc["Adam at the protocol's rate", "changes"].startswith("`optimizer` SGD, Nesterov momentum → Adam; ")
    assert plan.loc["no ten-crop", "changes"] == "`tta` mean over ten crops → one view"
    assert plan.loc["no ten-crop", "how"].startswith("the recipe's runs tested again")
    assert plan.loc["recipe", "how"] == "trained, seeds 0, 1"
    assert plan.loc["no erasing", "how"] == "trained, seed 0; against the recipe's seed 0"


# --------------------------------------------------------------------------- the figures' grids


def test_the_recipe_augmentation_grid_shows_each_step_on_the_same_faces():
    from ferlib.recipe_augment import RECIPE_GRID_KEYS, recipe_augmentation_grid

    faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48)).astype(np.uint8)
    grid = recipe_augmentation_grid(faces, seed=0)
    assert tuple(grid) == RECIPE_GRID_KEYS
    assert all(panel.shape == (3, 48, 48) and panel.dtype == np.uint8 for panel in grid.values())
    np.testing.assert_array_equal(grid["original"], faces)
    np.testing.assert_array_equal(grid["flip"], faces[:, :, ::-1])
    for name in ("crop", "rotation", "erasing"):
        assert all((grid[name][i] != faces[i]).any() for i in range(3)), name
    again = recipe_augmentation_grid(faces, seed=0)
    assert all(np.array_equal(grid[name], again[name]) for name in grid)  # seeded
    with pytest.raises(ValueError, match="needs an int seed"):
        recipe_augmentation_grid(faces, seed=None)


def test_the_ten_crop_grid_is_each_window_and_its_mirror():
    from ferlib.recipe_augment import TEN_CROP_WINDOWS, ten_crop_grid

    face = np.arange(48 * 48, dtype=np.int64).reshape(48, 48) % 251
    grid = ten_crop_grid(face.astype(np.uint8), padding=4)
    assert tuple(grid) == TEN_CROP_WINDOWS
    np.testing.assert_array_equal(grid["centre"][0], face)
    np.testing.assert_array_equal(grid["centre"][1], face[:, ::-1])
    padded = np.pad(face, 4, mode="reflect")
    np.testing.assert_array_equal(grid["bottom right"][0], padded[8:, 8:])
    with pytest.raises(ValueError, match="image must have shape"):
        ten_crop_grid(face[:40])
