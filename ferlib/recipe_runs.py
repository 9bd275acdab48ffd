"""Which runs are the modern recipe's (:mod:`ferlib.recipe`), read from their configs.

A run is a recipe run when its config *is* the config of one ablation cell
(:func:`ferlib.recipe.recipe_config`: the paper profile's experiment config, the
recipe's fields on top, the cell's change) for its own model, data set, seed, data,
backend and precision; its name and folder play no part. A fine-tune of the recipe's
network keeps the protocol's fine-tune settings and starts from a run of the
``"recipe"`` cell (its ``source_run``), which must be among the same runs:
:func:`ferlib.results.other_starts` keeps such fine-tunes apart from the protocol's.

    runs = committed_runs("results/paper")
    recipe_runs(runs)              # {cell: [Run, ...]}, Model 2 on FER2013, seeds in order
    recipe_finetunes(runs)         # {(dataset, seed): Run}, e.g. ("jaffe", 0)
    recipe_plan()                  # the runs the recipe's question needs
"""

from __future__ import annotations

import dataclasses

from ferlib.identity import LEGACY_VALUES
from ferlib.protocol import FINETUNE_SOURCE, experiment_config, experiment_key, paper_dataset
from ferlib.recipe import (ABLATION, ABLATION_DATASET, ABLATION_MODEL, ABLATION_SEEDS, DEFAULT_RECIPE, RECIPE_SEEDS,
                           recipe_config, recipe_fields)
from ferlib.results import is_paper_config
from ferlib.vocabulary import check_seeds

#: The data sets the recipe's network is fine-tuned on (the names of the protocol's runs:
#: JAFFE and CK+ (7 classes)), each with the protocol's fine-tune settings, so that the
#: fine-tune differs from the protocol's only in its starting weights.
RECIPE_TARGETS = ("jaffe", "ckplus7")
#: The profile whose experiment configs the recipe is laid over.
RECIPE_PROFILE = "paper"


def _keeps_paper_training(config, recipe: str) -> bool:
    """Whether every field the recipe sets that the paper's training leaves at a default
    (:data:`ferlib.identity.LEGACY_VALUES`) keeps that default in ``config``."""
    return all(getattr(config, name) == LEGACY_VALUES[name] for name in recipe_fields(recipe)
               if name in LEGACY_VALUES)


def recipe_cell(config, *, recipe: str = DEFAULT_RECIPE, profile: str = RECIPE_PROFILE) -> str | None:
    """The ablation cell (:data:`ferlib.recipe.ABLATION`) whose config ``config`` is, for
    its own model, data set, seed, data, backend and precision; ``None`` for any other
    run (a protocol run, a cell of the sensitivity study, a fine-tune, a recipe run with
    other epochs or on another split)."""
    if config.is_finetune or _keeps_paper_training(config, recipe):
        return None
    model, dataset, _ = experiment_key(config)
    for cell in ABLATION:
        try:
            expected = recipe_config(cell, model=model, dataset=dataset, seed=config.seed, profile=profile,
                                     data=config.data, recipe=recipe, backend=config.backend,
                                     precision=config.precision)
        except ValueError:  # a setting this model or data set does not take
            continue
        if expected == config:
            return cell
    return None


def recipe_runs(runs, *, recipe: str = DEFAULT_RECIPE, model: int = ABLATION_MODEL,
                dataset: str = ABLATION_DATASET) -> dict:
    """The recipe's runs among ``runs`` (oldest first, e.g.
    :func:`ferlib.results.committed_runs`) of ``model`` on ``dataset`` (the run's data
    set name): ``{cell: [Run, ...]}`` in the order of :data:`ferlib.recipe.ABLATION`,
    seeds in increasing order; of two runs of one cell and seed the later is kept."""
    found = {}
    for run in runs:
        config = run.config
        if config.model != model or config.dataset != dataset:
            continue
        cell = recipe_cell(config, recipe=recipe)
        if cell is not None:
            found.setdefault(cell, {})[config.seed] = run
    return {cell: [found[cell][seed] for seed in sorted(found[cell])] for cell in ABLATION if cell in found}


def is_recipe_finetune(run, sources: dict, *, recipe: str = DEFAULT_RECIPE) -> bool:
    """Whether ``run`` is a fine-tune of the recipe's network: the protocol's fine-tune
    config (:func:`ferlib.results.is_paper_config`, any seed) whose starting run, found in
    ``sources`` (``{run id: Run}``), is a run of the ``"recipe"`` cell of the same model
    and seed."""
    config = run.config
    source = sources.get(config.source_run) if config.is_finetune else None
    if source is None or config.source != FINETUNE_SOURCE or not is_paper_config(config, seed=None):
        return False
    start = source.config
    return (start.model == config.model and start.seed == config.seed
            and recipe_cell(start, recipe=recipe) == "recipe")


def recipe_finetunes(runs, *, recipe: str = DEFAULT_RECIPE, model: int = ABLATION_MODEL) -> dict:
    """The fine-tunes of the recipe's network among ``runs`` (:func:`is_recipe_finetune`)
    of ``model``: ``{(dataset, seed): Run}``, ``dataset`` the run's data set name
    (``"jaffe"``, ``"ckplus7"``); of two runs of one key the later is kept."""
    runs = list(runs)
    sources = {run.id: run for run in runs}
    found = {}
    for run in runs:
        if run.config.model == model and is_recipe_finetune(run, sources, recipe=recipe):
            found[(run.config.dataset, run.config.seed)] = run
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------- the plan


@dataclasses.dataclass(frozen=True)
class PlannedRun:
    """One run the recipe's question needs.

    Attributes:
        group: ``"recipe"`` (the recipe's final runs), ``"ablation"`` (the other cells)
            or ``"fine-tune"`` (the recipe's network fine-tuned).
        cell: the ablation cell (``"recipe"`` for a fine-tune's starting run).
        dataset: the run's data set name (``"fer2013"``, ``"jaffe"``, ``"ckplus7"``).
        seed: its training seed.
        config: its :class:`~ferlib.config.RunConfig` on the real data (a fine-tune's
            without ``source_run``, which follows from its starting run's id).
    """

    group: str
    cell: str
    dataset: str
    seed: int
    config: object


#: The plan's groups in order, with what each is, in words.
PLAN_GROUPS = {
    "recipe": "the recipe's final runs on FER2013",
    "ablation": "the ablation's other cells on FER2013",
    "fine-tune": "the recipe's network fine-tuned on JAFFE and CK+ (7 classes)",
}


def recipe_plan(*, seeds=RECIPE_SEEDS, ablation_seeds=ABLATION_SEEDS, recipe: str = DEFAULT_RECIPE,
                model: int = ABLATION_MODEL, backend: str = "tensorflow", precision: str = "float32") -> list:
    """Every run the recipe's question needs, as :class:`PlannedRun` in the order they are
    worth training: the recipe on FER2013 (each seed of ``seeds``), every other trained
    cell of the ablation (each seed of ``ablation_seeds``), then the recipe's network
    fine-tuned on each of :data:`RECIPE_TARGETS` (each seed of ``seeds``, from the
    recipe's run of that seed)."""
    seeds = check_seeds(seeds, "seeds")
    ablation_seeds = check_seeds(ablation_seeds, "ablation_seeds")
    options = dict(model=model, dataset=ABLATION_DATASET, profile=RECIPE_PROFILE, data="real", recipe=recipe,
                   backend=backend, precision=precision)
    plan = [PlannedRun("recipe", "recipe", ABLATION_DATASET, seed, recipe_config("recipe", seed=seed, **options))
            for seed in seeds]
    plan += [PlannedRun("ablation", cell, ABLATION_DATASET, seed, recipe_config(cell, seed=seed, **options))
             for cell in ABLATION if cell != "recipe" for seed in ablation_seeds]
    for dataset in RECIPE_TARGETS:
        for seed in seeds:
            config = experiment_config(RECIPE_PROFILE, (model, paper_dataset(dataset), FINETUNE_SOURCE),
                                       data="real", seed=seed, source=FINETUNE_SOURCE, backend=backend,
                                       precision=precision)
            plan.append(PlannedRun("fine-tune", "recipe", dataset, seed, config))
    return plan


def planned_done(plan, runs, *, recipe: str = DEFAULT_RECIPE) -> dict:
    """``{index in plan: Run}`` for the runs of ``plan`` (:func:`recipe_plan`) found among
    ``runs``: a cell's run of the same seed (any backend), a fine-tune of the recipe's
    network on the same data set and seed."""
    runs = list(runs)
    model = plan[0].config.model if plan else ABLATION_MODEL
    cells = recipe_runs(runs, recipe=recipe, model=model)
    tuned = recipe_finetunes(runs, recipe=recipe, model=model)
    done = {}
    for index, planned in enumerate(plan):
        if planned.group == "fine-tune":
            found = tuned.get((planned.dataset, planned.seed))
        else:
            found = next((run for run in cells.get(planned.cell, []) if run.config.seed == planned.seed), None)
        if found is not None:
            done[index] = found
    return done
