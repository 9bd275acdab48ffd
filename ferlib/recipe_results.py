"""The modern recipe's page (``notebooks/13_recipe``): its choices beside the protocol's,
its ablation, and what the committed runs say, or which runs are missing and what they
need.

Everything is read from a list of runs (e.g. :func:`ferlib.results.committed_runs`); a
run counts as the recipe's by its config alone (:mod:`ferlib.recipe_runs`):

    runs = committed_runs("results/paper")
    choices_table()                    # each setting the recipe sets: recipe, protocol, source
    ablation_plan()                    # what each cell of the ablation changes
    accuracy_table(runs)               # PrivateTest: the paper, the protocol, the recipe per seed and mean
    ablation_results(runs)             # validation accuracy per cell (NaN where not trained)
    transfer_table(runs)               # the recipe's network fine-tuned, against scratch and the protocol's start
    missing_table(runs, summaries)     # the runs still to train and the compute they need
    recipe_findings(runs, summaries)   # the page's "what we found"
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ferlib import compare, paper, stats
from ferlib.config import RECIPE_DEPENDENT
from ferlib.formatting import p_text, percent_interval_text, percent_text, points_text
from ferlib.missing import CPU_CORES, PROCESSORS, recipe_missing, time_words
from ferlib.protocol import FINETUNE_SOURCE, experiment_config, paper_dataset
from ferlib.recipe import (ABLATION, ABLATION_DATASET, ABLATION_MODEL, DEFAULT_RECIPE, EVALUATION_CELLS,
                           ablation_frame, cell_seeds, recipe_config, recipe_fields)
from ferlib.recipe_runs import RECIPE_PROFILE, recipe_finetunes, recipe_runs
from ferlib.results import protocol_seed_runs
from ferlib.vocabulary import run_dataset_title

#: The goal set for the recipe: at least this PrivateTest accuracy, within the 66% to 73%
#: that public single-network recipes reach on FER2013's official split.
GOAL_ACCURACY = 0.68
#: The experiment the recipe is tried on, as the paper names it: Model 2 on FER2013.
EXPERIMENT = (ABLATION_MODEL, paper_dataset(ABLATION_DATASET), None)

USEF = "usef-kh/fer (Khaireddin and Chen 2021)"
BOTH = "usef-kh/fer and oarriaga/face_classification"
#: For every field a recipe may set: ``(what it is, where the recipe's value comes from)``.
FIELD_NOTES = {
    "optimizer": ("the optimiser", USEF),
    "learning_rate": ("the learning rate of the first epoch", USEF),
    "momentum": ("SGD's momentum", USEF),
    "weight_decay": ("weight decay per update, decoupled from the gradient", USEF),
    "schedule": ("how the rate changes, read from validation accuracy", f"{USEF}, on PublicTest, not PrivateTest"),
    "plateau_factor": ("what the rate is multiplied by after a plateau", USEF),
    "plateau_patience": ("epochs without a better validation accuracy that make a plateau", USEF),
    "label_smoothing": ("the weight of the uniform distribution mixed into the targets", "Szegedy et al. 2016"),
    "augment": ("training images augmented", BOTH),
    "augmentation": ("which augmentation", USEF),
    "flip": ("left-right flips, half of the images", BOTH),
    "crop_padding": ("largest shift of the random crop, border reflected", f"{USEF}, whose crops are 40 of 48 px"),
    "rotation_degrees": ("largest rotation either way", BOTH),
    "erasing": ("share of images with a random rectangle erased", f"{USEF}; Zhong et al. 2020"),
    "tta": ("how a test image is classified", USEF),
    "epochs": ("training epochs; the best on validation is kept", "our budget"),
    "batch_size": ("images per update", "the protocol's"),
    "balance": ("class oversampling in each epoch", BOTH),
}
#: The fields of the recipe's augmentation and test-time views; the others are its
#: optimisation (:func:`choices_table`'s ``part``).
AUGMENTATION_FIELDS = ("augment", "augmentation", "flip", "crop_padding", "rotation_degrees", "erasing", "tta")
#: Values in words, per field.
VALUE_WORDS = {
    "optimizer": {"adam": "Adam", "sgd-nesterov": "SGD, Nesterov momentum"},
    "schedule": {"constant": "constant", "plateau": "reduced on a plateau", "cosine": "cosine decay"},
    "augmentation": {"paper": "the paper's kinds", "recipe": "the recipe's steps"},
    "tta": {"none": "one view", "ten-crop": "mean over ten crops"},
    "balance": {"oversample": "oversampled to the largest class", "none": "none"},
}
#: Units of numeric fields.
UNITS = {"crop_padding": " px", "rotation_degrees": "°"}
#: Which field a setting belongs to (:data:`ferlib.config.RECIPE_DEPENDENT`, and the
#: augmentation's kind, which applies only to augmented training).
OWNERS = {**RECIPE_DEPENDENT, "augmentation": ("augment", (True,))}
NOT_USED = "not used"


def value_text(field: str, value) -> str:
    """A config value in words: ``"SGD, Nesterov momentum"``, ``"4 px"``, ``"0.0001"``."""
    words = VALUE_WORDS.get(field, {})
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in words:
        return words[value]
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}{UNITS.get(field, '')}"
    if isinstance(value, int):
        return f"{value:,}{UNITS.get(field, '')}"
    return str(value)


def in_use(config, field: str) -> bool:
    """Whether ``field`` acts on a run of ``config``: its owner (:data:`OWNERS`), and the
    owner's owner, take a value it belongs to."""
    owner = OWNERS.get(field)
    if owner is None:
        return True
    name, values = owner
    return getattr(config, name) in values and in_use(config, name)


def setting_text(config, field: str) -> str:
    """``config``'s value of ``field`` in words, or :data:`NOT_USED`."""
    return value_text(field, getattr(config, field)) if in_use(config, field) else NOT_USED


def protocol_config():
    """The protocol's config of Model 2 on FER2013 on the real data (with its stated deviations)."""
    return experiment_config(RECIPE_PROFILE, EXPERIMENT, data="real", backend="tensorflow")


def choices_table(recipe: str = DEFAULT_RECIPE) -> pd.DataFrame:
    """One row per field the recipe sets (:data:`ferlib.recipe.RECIPES`), in its order:
    ``part`` (``"optimisation"``, or ``"augmentation"`` for :data:`AUGMENTATION_FIELDS`),
    ``setting`` (the config field), ``what`` (:data:`FIELD_NOTES`), ``recipe`` and
    ``protocol`` (the value in words, or :data:`NOT_USED`), ``source``. ``ValueError``
    for a field without a note."""
    ours = recipe_config("recipe", data="real", recipe=recipe, backend="tensorflow")
    theirs = protocol_config()
    rows = []
    for field in recipe_fields(recipe):
        if field not in FIELD_NOTES:
            raise ValueError(f"the recipe sets {field!r}, which FIELD_NOTES does not describe")
        what, source = FIELD_NOTES[field]
        rows.append({"part": "augmentation" if field in AUGMENTATION_FIELDS else "optimisation", "setting": field,
                     "what": what, "recipe": setting_text(ours, field), "protocol": setting_text(theirs, field),
                     "source": source})
    return pd.DataFrame(rows, columns=["part", "setting", "what", "recipe", "protocol", "source"])


def cell_changes(cell: str, recipe: str = DEFAULT_RECIPE) -> str:
    """What ablation cell ``cell`` changes from the recipe, in words: each field it
    changes that acts on its runs, ``"`field` recipe value → cell value"``, joined by
    semicolons (``"nothing: the recipe itself"`` for the recipe)."""
    base = recipe_config("recipe", data="real", recipe=recipe, backend="tensorflow")
    if cell in EVALUATION_CELLS:
        return f"`tta` {setting_text(base, 'tta')} → {value_text('tta', 'none')}"
    config = recipe_config(cell, data="real", recipe=recipe, backend="tensorflow")
    changed = [field for field in ABLATION[cell] if getattr(config, field) != getattr(base, field)
               and in_use(config, field)]
    if not changed:
        return "nothing: the recipe itself"
    return "; ".join(f"`{field}` {setting_text(base, field)} → {setting_text(config, field)}" for field in changed)


def _seeds_text(seeds) -> str:
    """``"seed 0"`` or ``"seeds 0, 1"``."""
    seeds = [int(seed) for seed in seeds]
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"


def ablation_plan(recipe: str = DEFAULT_RECIPE) -> pd.DataFrame:
    """One row per cell of :data:`ferlib.recipe.ABLATION` and
    :data:`ferlib.recipe.EVALUATION_CELLS`: ``cell``, ``changes`` (:func:`cell_changes`)
    and ``how`` (trained with which seeds, :func:`ferlib.recipe.cell_seeds`, or read from
    the recipe's runs)."""
    rows = [{"cell": cell, "changes": cell_changes(cell, recipe),
             "how": (f"trained, {_seeds_text(cell_seeds(cell))}" if cell == "recipe" else
                     f"trained, {_seeds_text(cell_seeds(cell))}; against the recipe's {_seeds_text(cell_seeds(cell))}")}
            for cell in ABLATION]
    rows += [{"cell": cell, "changes": cell_changes(cell, recipe),
              "how": "the recipe's runs tested again on one view per image; nothing trained"}
             for cell in EVALUATION_CELLS]
    return pd.DataFrame(rows, columns=["cell", "changes", "how"])


# --------------------------------------------------------------------------- PrivateTest


def _seed_row(what: str, runs) -> dict:
    """A row of :func:`accuracy_table` for the test accuracies of ``runs`` over seeds (one
    run: its Wilson interval on its test images; several: the t-interval of their mean)."""
    accuracies = [run.metrics["test"]["accuracy"] for run in runs]
    val = [run.metrics["val"]["accuracy"] for run in runs]
    row = {"what": what, "seeds": len(accuracies), "accuracy": np.nan, "low": np.nan, "high": np.nan,
           "interval": None, "val_accuracy": float(np.mean(val)) if len(val) else np.nan}
    if len(accuracies) == 1:
        low, high = stats.accuracy_bounds(accuracies[0], runs[0].metrics["test"]["n"])
        row.update(accuracy=float(accuracies[0]), low=low, high=high, interval="Wilson")
    elif accuracies:
        summary = stats.seed_summary(accuracies)
        low, high = summary["interval"]
        row.update(accuracy=summary["mean"], low=max(0.0, low), high=min(1.0, high), interval="t over seeds")
    return row


def protocol_summary(runs) -> dict:
    """The protocol's Model 2 on FER2013 over its seeds among ``runs``: ``seeds``,
    ``accuracy`` (mean test accuracy), ``low``, ``high`` (:func:`_seed_row`'s interval)."""
    found = protocol_seed_runs(runs, models=(ABLATION_MODEL,)).get(EXPERIMENT, [])
    row = _seed_row("protocol", found)
    return {name: row[name] for name in ("seeds", "accuracy", "low", "high")}


ACCURACY_COLUMNS = ["what", "seeds", "accuracy", "low", "high", "interval", "val_accuracy"]


def accuracy_table(runs, *, recipe: str = DEFAULT_RECIPE) -> pd.DataFrame:
    """Model 2's accuracy on FER2013's PrivateTest (the test part): the paper's (as
    printed, no interval), the protocol's (mean over its seeds, t-interval), each seed
    of the recipe (its Wilson 95% interval) and, with two seeds or more, their mean
    (t-interval). Columns :data:`ACCURACY_COLUMNS` (``val_accuracy``: PublicTest, the
    validation part, mean over the row's runs)."""
    runs = list(runs)
    protocol = protocol_seed_runs(runs, models=(ABLATION_MODEL,)).get(EXPERIMENT, [])
    ours = recipe_runs(runs, recipe=recipe).get("recipe", [])
    rows = [{"what": "the paper", "seeds": np.nan, "accuracy": paper.ACCURACY[EXPERIMENT], "low": np.nan,
             "high": np.nan, "interval": None, "val_accuracy": np.nan}]
    if protocol:
        rows.append(_seed_row(f"the protocol, mean over {len(protocol)} seeds", protocol))
    for run in ours:
        rows.append(_seed_row(f"the recipe, seed {run.config.seed}", [run]))
    if len(ours) > 1:
        rows.append(_seed_row(f"the recipe, mean over {len(ours)} seeds", ours))
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def recipe_histories(runs, *, recipe: str = DEFAULT_RECIPE) -> dict:
    """``{label: history}`` (each run's ``history.csv``) of the recipe's runs on FER2013,
    one per seed, then of the protocol's run of the same seeds, for
    :func:`ferlib.figures.training_curves_figure`; empty without a recipe run."""
    runs = list(runs)
    ours = recipe_runs(runs, recipe=recipe).get("recipe", [])
    protocol = {run.config.seed: run for run in protocol_seed_runs(runs, models=(ABLATION_MODEL,)).get(EXPERIMENT, [])}
    found = {f"Recipe, seed {run.config.seed}": run.history for run in ours}
    found.update({f"Protocol, seed {run.config.seed}": protocol[run.config.seed].history for run in ours
                  if run.config.seed in protocol})
    return found


# --------------------------------------------------------------------------- the ablation on validation


ABLATION_COLUMNS = ["cell", "changes", "seeds", "val_mean", "val_sd", "val_change", "val_p", "val_by_seed"]


def validation_correctness(base, other) -> tuple:
    """``(base right, other right)``: two ``(n,)`` bool arrays over the validation
    images both runs tested, lined up by image (``source``). Raises ``ValueError`` naming
    an image only one of them tested: the two runs must share a split."""
    rows = [run.predictions[run.predictions["part"] == "val"][["source", "true", "predicted"]] for run in (base, other)]
    only = sorted(set(rows[0]["source"]) ^ set(rows[1]["source"]))
    if only:
        raise ValueError(f"runs {base.id} and {other.id} test other validation images ({only[0]} in one only): "
                         "a cell is compared with the recipe on the same split")
    merged = rows[0].merge(rows[1], on="source", suffixes=("_base", "_other"))
    return ((merged["true_base"] == merged["predicted_base"]).to_numpy(),
            (merged["true_other"] == merged["predicted_other"]).to_numpy())


def validation_test(base_runs, cell_runs) -> dict | None:
    """A cell against the recipe on validation, image by image: the exact McNemar test
    (:func:`ferlib.stats.mcnemar_exact`) over the pairs of runs of the same seed, their
    validation images pooled (``n`` is images times paired seeds); ``None`` when no seed
    is in both."""
    base = {run.config.seed: run for run in base_runs}
    pairs = [validation_correctness(base[run.config.seed], run) for run in cell_runs if run.config.seed in base]
    if not pairs:
        return None
    return stats.mcnemar_exact(np.concatenate([cell for _, cell in pairs]),
                               np.concatenate([recipe for recipe, _ in pairs]))


def ablation_results(runs, *, recipe: str = DEFAULT_RECIPE) -> pd.DataFrame:
    """Every cell of :func:`ablation_plan` with its validation accuracy (PublicTest) over
    the seeds committed: ``seeds`` (0 where none), ``val_mean``, ``val_sd``,
    ``val_change`` (points of accuracy against the recipe's runs of the same seeds, as a
    fraction; NaN without them), ``val_p`` (:func:`validation_test`'s p-value; NaN for
    the recipe itself, for the evaluation cells, whose one-view predictions are not kept,
    and without a paired run), ``val_by_seed`` (``{seed: accuracy}``). PrivateTest is
    not read here: every choice is made on validation."""
    cells = recipe_runs(runs, recipe=recipe)
    found = ablation_frame(cells)
    by_cell = {row["cell"]: row for row in found.to_dict("records")}
    rows = []
    for plan in ablation_plan(recipe).to_dict("records"):
        cell = plan["cell"]
        row = by_cell.get(cell)
        test = (validation_test(cells.get("recipe", []), cells[cell])
                if row is not None and cell in ABLATION and cell != "recipe" else None)
        rows.append({"cell": cell, "changes": plan["changes"], "seeds": 0 if row is None else row["seeds"],
                     "val_mean": np.nan if row is None else row["val_mean"],
                     "val_sd": np.nan if row is None or row["seeds"] < 2 else row["val_sd"],
                     "val_change": np.nan if row is None else row["val_change"],
                     "val_p": np.nan if test is None else test["p_value"],
                     "val_by_seed": {} if row is None else row["val_by_seed"]})
    return pd.DataFrame(rows, columns=ABLATION_COLUMNS)


def seed_noise(runs, *, recipe: str = DEFAULT_RECIPE) -> float:
    """How far a change of seed alone moves the recipe on validation: the range (largest
    minus smallest) of the validation accuracies of the recipe's own runs, as a
    fraction; NaN with fewer than two. A one-seed cell whose change is smaller is not
    told apart from a change of seed."""
    found = recipe_runs(runs, recipe=recipe).get("recipe", [])
    val = [run.metrics["val"]["accuracy"] for run in found]
    return float(max(val) - min(val)) if len(val) > 1 else np.nan


def seed_noise_sentence(noise: float) -> str:
    """:func:`seed_noise` in a sentence for the note under the ablation's table."""
    if pd.isna(noise):
        return ("How far a change of seed alone moves the recipe on validation is not known until the recipe "
                "has two seeds; until then a one-seed change cannot be told apart from one.")
    return (f"The recipe's own seeds lie {points_text(noise, sign=False)} points apart on validation: a one-seed "
            f"change no larger than that is not told apart from a change of seed.")


# --------------------------------------------------------------------------- transfer


TRANSFER_COLUMNS = ["dataset", "seed", "n", "scratch", "protocol_start", "recipe_start", "gain_vs_scratch",
                    "p_vs_scratch", "gain_vs_protocol", "p_vs_protocol"]


def _pair(first, second) -> dict:
    """``second`` against ``first`` on the same test images (exact McNemar,
    :func:`ferlib.compare.finetune_comparison`): ``n``, both accuracies, the gain of
    ``second`` and its p-value."""
    model, dataset = first.config.model, first.config.dataset
    row = compare.finetune_comparison({(model, dataset, None): first, (model, dataset, FINETUNE_SOURCE): second})
    found = row.iloc[0]
    return {"n": int(found["n"]), "first": float(found["scratch"]), "second": float(found["fine_tuned"]),
            "gain": float(found["gain"]), "p_value": float(found["p_value"])}


def transfer_table(runs, *, recipe: str = DEFAULT_RECIPE) -> pd.DataFrame:
    """Each fine-tune of the recipe's network (:func:`ferlib.recipe_runs.recipe_finetunes`)
    beside the protocol's run from scratch and the protocol's fine-tune of the same data
    set and seed, on the same test images: columns :data:`TRANSFER_COLUMNS`, the gains
    (as fractions) of the recipe's start over each with the exact McNemar p-value (NaN
    where the protocol's run is not among ``runs``)."""
    runs = list(runs)
    protocol = protocol_seed_runs(runs, models=(ABLATION_MODEL,))
    rows = []
    for (dataset, seed), tuned in recipe_finetunes(runs, recipe=recipe).items():
        name = paper_dataset(dataset)
        scratch = {run.config.seed: run for run in protocol.get((ABLATION_MODEL, name, None), [])}.get(seed)
        start = {run.config.seed: run for run in protocol.get((ABLATION_MODEL, name, FINETUNE_SOURCE), [])}.get(seed)
        row = {"dataset": dataset, "seed": seed, "n": int(tuned.metrics["test"]["n"]), "scratch": np.nan,
               "protocol_start": np.nan, "recipe_start": float(tuned.metrics["test"]["accuracy"]),
               "gain_vs_scratch": np.nan, "p_vs_scratch": np.nan, "gain_vs_protocol": np.nan, "p_vs_protocol": np.nan}
        if scratch is not None:
            pair = _pair(scratch, tuned)
            row.update(scratch=pair["first"], gain_vs_scratch=pair["gain"], p_vs_scratch=pair["p_value"])
        if start is not None:
            pair = _pair(start, tuned)
            row.update(protocol_start=pair["first"], gain_vs_protocol=pair["gain"], p_vs_protocol=pair["p_value"])
        rows.append(row)
    return pd.DataFrame(rows, columns=TRANSFER_COLUMNS)


# --------------------------------------------------------------------------- missing runs


#: The training seconds per class of processor (:data:`ferlib.missing.PROCESSORS`), one
#: column each: ``{class: column}``.
SECONDS_COLUMNS = {kind: f"seconds_{kind}" for kind in PROCESSORS}
MISSING_COLUMNS = ["what", "planned", "runs", "seeds", "images", "cpu", "rate", "needs", *SECONDS_COLUMNS.values()]


def missing_table(runs, summaries) -> pd.DataFrame:
    """The recipe's plan per group (:func:`ferlib.missing.recipe_missing`): columns
    :data:`MISSING_COLUMNS` (``runs``: not committed yet, of ``planned``; ``needs``
    None for runs from scratch; the training seconds on each class of processor in
    :data:`SECONDS_COLUMNS`, NaN where its rate was not measured there) plus ``group``."""
    rows = recipe_missing(runs, summaries=summaries)
    flat = [{**row, **{column: row["seconds"].get(kind, np.nan) for kind, column in SECONDS_COLUMNS.items()}}
            for row in rows]
    frame = pd.DataFrame(flat, columns=["group", *MISSING_COLUMNS])
    frame["needs"] = pd.Series([row["needs"] or None for row in rows], dtype=object, index=frame.index)
    return frame


#: The plan's groups in a sentence: ``{group: (one run, several runs)}``.
GROUP_WORDS = {"recipe": ("final run of the recipe on FER2013", "final runs of the recipe on FER2013"),
               "ablation": ("run of its ablation", "runs of its ablation"),
               "fine-tune": ("fine-tune of its network", "fine-tunes of its network")}


def missing_sentence(missing: pd.DataFrame) -> str:
    """The runs still to train (:func:`missing_table`) and the compute they need, in one
    sentence: ``"These 18 runs (2 final runs of the recipe on FER2013, 12 runs of its
    ablation and 4 fine-tunes of its network) need about 40 CPU-hours of training on a
    2-core processor with AVX2."``, on each class of processor whose rates were measured
    for every group with runs left; empty when none is missing."""
    left = missing[missing["runs"] > 0]
    if left.empty:
        return ""
    count = int(left["runs"].sum())
    parts = [f"{row.runs} {GROUP_WORDS[row.group][row.runs > 1]}" for row in left.itertuples()]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    what = f"This run ({listed}) needs" if count == 1 else f"These {count} runs ({listed}) need"
    totals = {kind: float(left[column].sum()) for kind, column in SECONDS_COLUMNS.items()
              if column in left and left[column].notna().all()}
    if not totals:
        return f"{what} training; no class of processor has a measured rate for all of them."
    return f"{what} {time_words(totals, where=f' of training on a {CPU_CORES}-core processor')}."


# --------------------------------------------------------------------------- the findings


def glues(runs) -> dict:
    """The numbers the page's prose names: ``paper`` (Model 2 on FER2013, as printed),
    ``protocol`` (the protocol's mean over seeds), ``protocol_seeds``, ``goal``, all as
    text (``"61.6%"``); ``paper_exact`` keeps the paper's two decimals."""
    protocol = protocol_summary(runs)
    return {"paper": percent_text(paper.ACCURACY[EXPERIMENT]), "paper_exact": f"{100 * paper.ACCURACY[EXPERIMENT]:.2f}%",
            "protocol": percent_text(protocol["accuracy"]),
            "protocol_interval": percent_interval_text(protocol["accuracy"], protocol["low"], protocol["high"]),
            "protocol_seeds": str(protocol["seeds"]), "goal": percent_text(GOAL_ACCURACY, 0)}


def setting_glues(recipe: str = DEFAULT_RECIPE) -> dict:
    """The recipe's settings the page's prose names, as text, from
    :data:`ferlib.recipe.RECIPES`: ``plateau_factor``, ``plateau_patience``,
    ``crop_padding`` (pixels), ``rotation_degrees``, ``learning_rate``, ``epochs``."""
    fields = recipe_fields(recipe)
    return {"plateau_factor": f"{fields['plateau_factor']:g}", "plateau_patience": str(fields["plateau_patience"]),
            "crop_padding": str(fields["crop_padding"]), "rotation_degrees": f"{fields['rotation_degrees']:g}",
            "learning_rate": f"{fields['learning_rate']:g}", "epochs": str(fields["epochs"])}


def _best_step(ablation: pd.DataFrame, noise: float = np.nan) -> str | None:
    """The cell whose change costs the recipe most on validation, in words, with its
    exact McNemar p-value on the validation images and, when ``noise`` (:func:`seed_noise`)
    is known, whether the change exceeds what a change of seed alone does; or None."""
    measured = ablation[(ablation["cell"] != "recipe") & ablation["val_change"].notna()]
    if measured.empty:
        return None
    worst = measured.loc[measured["val_change"].idxmin()]
    seeds = int(worst["seeds"])
    tested = f", p {p_text(worst['val_p'])} on the validation images" if not pd.isna(worst["val_p"]) else ""
    text = (f"on validation, the change that costs the recipe most is \"{worst['cell']}\" "
            f"({points_text(worst['val_change'])} points, {seeds} seed{'s' if seeds > 1 else ''}{tested})")
    if not pd.isna(noise):
        if abs(worst["val_change"]) <= noise:
            text += (f"; that is no more than the {points_text(noise, sign=False)} points between the recipe's own "
                     f"seeds, so it is not told apart from a change of seed")
        else:
            text += f", more than the {points_text(noise, sign=False)} points between the recipe's own seeds"
    return text


def recipe_findings(runs, summaries, *, recipe: str = DEFAULT_RECIPE) -> list:
    """The page's "what we found" lines, from ``runs`` and the data summary ``summaries``."""
    runs = list(runs)
    values = glues(runs)
    table = accuracy_table(runs, recipe=recipe)
    ours = table[table["what"].str.startswith("the recipe")]
    final = ours.iloc[-1] if len(ours) else None
    protocol = (f"the protocol reaches {values['protocol_interval']} on PrivateTest over "
                f"{values['protocol_seeds']} seed{'s' if values['protocol_seeds'] != '1' else ''}"
                if values["protocol_seeds"] != "0" else "the protocol has no run of it")
    lines = [f"The paper reports {values['paper_exact']} for Model 2 on FER2013; {protocol}."]
    missing = missing_table(runs, summaries)
    if final is None:
        lines.append("The recipe has no run yet, so the question stays open: this page gives the "
                     "recipe, the ablation that will test each of its steps on validation, and the runs still "
                     "to train.")
        lines.append(missing_sentence(missing))
        return lines
    reach = percent_interval_text(final["accuracy"], final["low"], final["high"])
    over = (f"over {int(final['seeds'])} seeds (t-interval)" if final["interval"] == "t over seeds"
            else "on one seed (Wilson interval)")
    verdict = ("reaches the goal of " if final["low"] >= GOAL_ACCURACY else
               "falls short of the goal of " if final["high"] < GOAL_ACCURACY else "is not yet told apart from the goal of ")
    beside = f" and the protocol's {values['protocol']}" if values["protocol_seeds"] != "0" else ""
    lines.append(f"With the recipe, Model 2 reaches {reach} on PrivateTest {over}, against the paper's "
                 f"{values['paper_exact']}{beside}; it {verdict}{values['goal']}.")
    step = _best_step(ablation_results(runs, recipe=recipe), seed_noise(runs, recipe=recipe))
    if step:
        lines.append(step[0].upper() + step[1:] + ".")
    transfer = transfer_table(runs, recipe=recipe)
    for dataset, rows in transfer.groupby("dataset", sort=False):
        gains = rows["gain_vs_protocol"].dropna()
        if len(gains):
            lines.append(f"Fine-tuned on {run_dataset_title(dataset)}, the recipe's network gains "
                         f"{points_text(float(gains.mean()))} points on the protocol's FER2013 start "
                         f"({len(gains)} seed{'s' if len(gains) > 1 else ''}, same test images).")
    sentence = missing_sentence(missing)
    if sentence:
        lines.append(sentence)
    return lines
