"""The bfloat16 equivalence check: its rule, its plan, and how runs are read into cells."""

from __future__ import annotations

import dataclasses
import types

import pytest

from ferlib import precision_check as pc
from ferlib.protocol import departures, experiment_config
from ferlib.results import committed_runs, is_paper_config, protocol_runs, protocol_seed_runs, runs_outside_protocol

# --------------------------------------------------------------------------- the rule


def test_verdict_passes_within_the_margin_even_outside_the_seed_range():
    verdict = pc.precision_verdict([0.60, 0.60, 0.60], [0.615, 0.615, 0.615])
    assert verdict["within_margin"] and not verdict["within_range"] and verdict["passes"]
    assert verdict["difference_points"] == pytest.approx(1.5)


def test_verdict_passes_inside_the_float32_range_beyond_the_margin():
    verdict = pc.precision_verdict([0.50, 0.70, 0.72], [0.52, 0.52, 0.52])
    assert not verdict["within_margin"] and verdict["within_range"] and verdict["passes"]
    assert verdict["reference_range"] == (0.50, 0.72)


def test_verdict_fails_outside_both():
    verdict = pc.precision_verdict([0.60, 0.61, 0.62], [0.55, 0.56, 0.57])
    assert verdict["difference_points"] == pytest.approx(-5.0)
    assert not verdict["passes"]


def test_margin_is_the_one_written_down():
    assert pc.MARGIN_POINTS == 2.0
    assert not pc.precision_verdict([0.60], [0.63])["passes"]
    assert pc.precision_verdict([0.60], [0.63], margin_points=3.0)["passes"]


@pytest.mark.parametrize("bad", [[], [1.5], [-0.1], [float("nan")], ["0.5"], [True]])
def test_verdict_rejects_what_is_not_an_accuracy(bad):
    with pytest.raises(ValueError, match="reference"):
        pc.precision_verdict(bad, [0.5])


def test_verdict_rejects_a_negative_margin():
    with pytest.raises(ValueError, match="margin_points"):
        pc.precision_verdict([0.5], [0.5], margin_points=-1)


# --------------------------------------------------------------------------- the plan


def test_plan_is_the_protocol_with_bfloat16_and_nothing_else():
    plan = pc.check_plan()
    cells = {(c.model, c.dataset) for c in plan}
    assert cells == {(m, d) for m in (1, 2, 3) for d in ("jaffe", "ckplus7")} | {(2, "fer2013")}
    assert len(plan) == 6 * 3 + 1
    for config in plan:
        assert departures(config) == {"precision": ("mixed_bfloat16", "float32")}
        assert not is_paper_config(config, seed=None)


# --------------------------------------------------------------------------- reading runs


def _run(config, accuracy, rid):
    return types.SimpleNamespace(config=config, id=rid, metrics={"test": {"accuracy": accuracy, "n": 42}})


def _protocol(model, dataset, seed):
    return experiment_config("paper", (model, dataset, None), data="real", seed=seed, backend="tensorflow")


def test_cells_wait_for_their_runs_then_give_the_verdict():
    runs = [_run(_protocol(2, "jaffe", s), 0.60, f"f{s}") for s in (0, 1, 2)]
    runs += [_run(pc.check_config(2, "jaffe", s), 0.61, f"b{s}") for s in (0, 1)]
    cell = next(c for c in pc.check_cells(runs) if (c["model"], c["dataset"]) == (2, "jaffe"))
    assert cell["waiting"] == 1 and cell["verdict"] is None
    runs.append(_run(pc.check_config(2, "jaffe", 2), 0.61, "b2"))
    cell = next(c for c in pc.check_cells(runs) if (c["model"], c["dataset"]) == (2, "jaffe"))
    assert cell["waiting"] == 0 and list(cell["checked"]) == [0, 1, 2]
    assert cell["verdict"]["difference_points"] == pytest.approx(1.0) and cell["verdict"]["passes"]


def test_runs_outside_the_check_are_not_read():
    other = dataclasses.replace(pc.check_config(2, "jaffe", 0), learning_rate=0.01)
    seed_5 = pc.check_config(2, "jaffe", 5)
    cells = pc.check_cells([_run(other, 0.9, "x"), _run(seed_5, 0.9, "y")])
    assert all(not cell["checked"] for cell in cells)


def test_a_model_is_validated_only_with_its_cells_and_the_fer2013_cell():
    def runs_for(fer2013_bf16):
        runs = []
        for model in (1, 2, 3):
            for dataset in ("jaffe", "ckplus7"):
                for seed in (0, 1, 2):
                    runs.append(_run(_protocol(model, dataset, seed), 0.60, f"{model}{dataset}{seed}f"))
                    bf16 = 0.50 if model == 3 else 0.60  # Model 3 fails by 10 points
                    runs.append(_run(pc.check_config(model, dataset, seed), bf16, f"{model}{dataset}{seed}b"))
        runs += [_run(_protocol(2, "fer2013", s), 0.58, f"fer{s}") for s in (0, 1, 2)]
        if fer2013_bf16 is not None:
            runs.append(_run(pc.check_config(2, "fer2013", 0), fer2013_bf16, "ferb"))
        return runs

    assert pc.validated_models(runs_for(None)) == set()
    assert pc.validated_models(runs_for(0.585)) == {1, 2}
    assert pc.validated_models(runs_for(0.40)) == set()


def test_a_bfloat16_run_is_no_protocol_run(tmp_path, run_copier):
    committed = committed_runs()
    float32 = protocol_runs(committed)[(2, "jaffe", None)]
    bf16 = run_copier(float32, dataclasses.replace(float32.config, precision="mixed_bfloat16"), tmp_path)
    runs = [*committed, bf16]
    assert protocol_runs(runs)[(2, "jaffe", None)].id == float32.id
    assert all(run.config.precision == "float32" for seeds in protocol_seed_runs(runs).values() for run in seeds)
    assert bf16.id in {run.id for run in runs_outside_protocol(runs)}


# --------------------------------------------------------------------------- the book's table and sentences


def _cells_with(fer2013_bf16=None, jaffe_bf16=(0.61, 0.61, 0.61)):
    runs = [_run(_protocol(2, "jaffe", s), acc, f"f{s}") for s, acc in zip((0, 1, 2), (0.60, 0.55, 0.65))]
    runs += [_run(pc.check_config(2, "jaffe", s), acc, f"b{s}") for s, acc in zip((0, 1, 2), jaffe_bf16)]
    runs += [_run(_protocol(2, "fer2013", s), 0.59, f"fer{s}") for s in (0, 1, 2)]
    if fer2013_bf16 is not None:
        runs.append(_run(pc.check_config(2, "fer2013", 0), fer2013_bf16, "ferb"))
    return pc.check_cells(runs), runs


def test_table_gives_means_range_difference_and_verdict_words():
    from ferlib.tables import precision_check_table

    cells, _ = _cells_with(fer2013_bf16=0.50)
    table = precision_check_table(cells).set_index(["model", "dataset"])
    jaffe = table.loc[(2, "jaffe")]
    assert jaffe["float32_mean"] == pytest.approx(0.60) and (jaffe["float32_low"], jaffe["float32_high"]) == (0.55, 0.65)
    assert jaffe["difference"] == pytest.approx(1.0) and jaffe["verdict"] == "equivalent"
    assert jaffe["seeds_by_seed"] == "0: 60.0 / 61.0; 1: 55.0 / 61.0; 2: 65.0 / 61.0"
    assert jaffe["bfloat16_by_seed"] == "61.0, 61.0, 61.0"
    assert table.loc[(2, "fer2013")]["verdict"] == "differs"
    assert table.loc[(1, "jaffe")]["verdict"] == "waiting for 6 runs"
    assert table.loc[(1, "jaffe")]["bfloat16_seeds"] == 0


def test_table_names_the_range_arm():
    from ferlib.tables import precision_check_table

    cells, _ = _cells_with(jaffe_bf16=(0.64, 0.64, 0.64))
    jaffe = precision_check_table(cells).set_index(["model", "dataset"]).loc[(2, "jaffe")]
    assert jaffe["verdict"] == "equivalent (within the seed range)"


def test_sentences_count_cells_runs_and_name_the_validated_models():
    from ferlib.findings import precision_check_sentences
    from ferlib.tables import precision_check_table

    cells, runs = _cells_with(fer2013_bf16=0.50)
    lines = precision_check_sentences(precision_check_table(cells), pc.validated_models(runs))
    assert lines[0].startswith("1 of 2 finished cells are equivalent")
    assert "Model 2 on FER2013 differs by -9.0 points" in lines[0]
    assert lines[1] == "5 of 7 cells still wait for 30 runs."
    assert lines[2] == "Models 1, 2 and 3 fail the check (a cell differs): their FER2013 runs train in float32."
    cells, runs = _cells_with()
    waiting = precision_check_sentences(precision_check_table(cells), pc.validated_models(runs))
    assert waiting[-1].startswith("No network is validated yet")
    cells, runs = _cells_with(jaffe_bf16=(0.70, 0.70, 0.70))
    one = precision_check_sentences(precision_check_table(cells), pc.validated_models(runs))
    assert one[-1] == "Model 2 fails the check (a cell differs): its FER2013 run trains in float32."
    cells, _ = _cells_with(fer2013_bf16=0.59)
    assert precision_check_sentences(precision_check_table(cells), {1, 2})[-1].startswith(
        "bfloat16 is validated for Models 1 and 2: their FER2013 runs")


def test_every_bfloat16_deviation_of_the_protocol_is_validated_by_the_committed_check():
    from ferlib.protocol import EXPERIMENT_DEVIATIONS, FINETUNE_SOURCE

    validated = pc.validated_models(committed_runs())
    for (model, dataset, source), entry in EXPERIMENT_DEVIATIONS["paper"].items():
        if entry["settings"].get("precision", pc.REFERENCE_PRECISION) != pc.REFERENCE_PRECISION:
            assert (dataset, source) == (FINETUNE_SOURCE, None), "bfloat16 is for a long FER2013 run only"
            assert model in validated, f"Model {model} trains in bfloat16 without a passing check"


def test_plans_follow_a_precision_deviation_of_the_protocol(monkeypatch):
    """The campaign and the transfer plans take each run's precision from the protocol, so a
    stated bfloat16 deviation of a FER2013 run reaches it (and only it) without an option."""
    from ferlib import campaign, protocol

    deviations = dict(protocol.EXPERIMENT_DEVIATIONS["paper"])
    deviations[(3, "fer2013", None)] = {"settings": {"precision": "mixed_bfloat16"}, "reason": "a test"}
    monkeypatch.setitem(protocol.EXPERIMENT_DEVIATIONS, "paper", deviations)
    jobs = campaign.plan_jobs(phases=("protocol",), models=(3,), backend="tensorflow", committed=())
    precisions = {(job.config.dataset, job.config.source): job.config.precision for job in jobs}
    assert precisions[("fer2013", None)] == "mixed_bfloat16"
    assert {p for key, p in precisions.items() if key != ("fer2013", None)} == {"float32"}
    transfer = campaign.transfer_jobs("paper", models=(3,), committed=[], backend="tensorflow", precision=None)
    assert transfer and all(job.config.precision == "float32" for job in transfer)
    assert {job.source.precision for job in transfer if job.source is not None} == {"mixed_bfloat16"}


def test_missing_check_runs_lists_the_bfloat16_runs_not_yet_there():
    runs = [_run(pc.check_config(2, "jaffe", s), 0.6, f"b{s}") for s in (0, 2)]
    missing = pc.missing_check_runs(runs)
    assert len(missing) == 19 - 2
    assert (2, "jaffe", 1) in missing and (2, "jaffe", 0) not in missing and (2, "fer2013", 0) in missing
    assert missing[0] == (1, "jaffe", 0), "in the plan's order"
