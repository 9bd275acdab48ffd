"""The sensitivity study: which of the training choices the paper leaves open decides
its result.

Each *cell* changes one setting of the protocol's config (:data:`CELLS`) and is trained
for several seeds, Model 2 on JAFFE and on CK+ by default (the cheapest model, on the
two small data sets). A cell is chosen on validation accuracy only; test accuracy is
reported beside it, never used to choose.

    configs = study_configs(models=(2,), datasets=("jaffe",), seeds=(0, 1, 2))
    runs = run_study(store, data_dir=DATA)      # trains what the store lacks
    study_table(runs)                           # one row per model, data set and cell
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from ferlib.config import PROFILES
from ferlib.experiment import config_data, finetune_run, prepare, train_run
from ferlib.protocol import experiment_config
from ferlib.stats import above_chance
from ferlib.vocabulary import DEFAULT_ROUND, STUDY_ROUNDS, TARGET_RUN_DATASETS, dataset_title

#: ``{cell: RunConfig fields that differ from the protocol}``, in the order trained: the
#: study around the protocol (no augmentation), its round ``"protocol"``. A cell that sets what the
#: protocol already has for an experiment (the learning-rate cells, where the experiment
#: has a stated deviation or none) is that experiment's protocol cell: it is not trained
#: again (:func:`is_protocol_alias`) and its runs count as the protocol's.
CELLS = {
    "protocol": {},
    "one pass per epoch": {"min_epoch_images": None},
    "augmentation": {"augment": True},
    "half augmentation": {"augment": True, "augment_scale": 0.5},
    "standardized input": {"input_scaling": "standardize"},
    "no class balancing": {"balance": "none"},
    "2,048 images per epoch": {"min_epoch_images": 2048},
    "learning rate 0.0001": {"learning_rate": 1e-4},
    "learning rate 0.001": {"learning_rate": 1e-3},
}

#: The round around the augmented recipe the protocol was chosen from: the paper's
#: augmentation kinds at our magnitudes. It decided the augmentation of the
#: protocol; its cells are ``{cell: fields that differ from the protocol}``.
AUGMENTED_ROUND = {
    "protocol": {"augment": True},
    "one pass per epoch": {"augment": True, "min_epoch_images": None},
    "no augmentation": {},
    "half augmentation": {"augment": True, "augment_scale": 0.5},
    "standardized input": {"augment": True, "input_scaling": "standardize"},
    "no class balancing": {"augment": True, "balance": "none"},
    "2,048 images per epoch": {"augment": True, "min_epoch_images": 2048},
}

#: The fine-tune round: fine-tunes from the protocol's FER2013 run of the same model and
#: seed (:data:`FINETUNE_SOURCE`), one setting changed at a time around the protocol's
#: fine-tune, which keeps the settings of the run from scratch it is compared with. Its
#: "protocol" cell is the protocol's fine-tune runs themselves.
FINETUNE_ROUND = {
    "protocol": {},
    "fine-tune rate 0.0001": {"learning_rate": 1e-4},
    "fine-tune rate 0.001": {"learning_rate": 1e-3},
}

#: The data set every run of the fine-tune round starts from.
FINETUNE_SOURCE = "fer2013"

#: The study around the protocol at the profile's learning rate (0.001): every
#: cell of :data:`CELLS` but the learning-rate ones, with Adam at 0.001. Where the
#: protocol trains at 0.001 (JAFFE) it is the round around the protocol itself; on seven-class CK+,
#: where Model 2 trains at 0.0001 (a stated deviation), it is the study as it stood
#: before that deviation, whose runs show what the rate did in every cell.
PROFILE_RATE_ROUND = {cell: {**change, "learning_rate": 1e-3}
                      for cell, change in CELLS.items() if "learning_rate" not in change}

#: ``{round: cells}`` (names: :data:`ferlib.vocabulary.STUDY_ROUNDS`); the round around the
#: protocol is the default everywhere.
ROUNDS = dict(zip(STUDY_ROUNDS, (CELLS, AUGMENTED_ROUND, PROFILE_RATE_ROUND, FINETUNE_ROUND)))

#: The rounds whose runs are fine-tunes (the others train from scratch).
FINETUNE_ROUNDS = ("fine-tune",)


def round_cells(round: str = DEFAULT_ROUND) -> dict:
    """The cells of one round of the study (:data:`ROUNDS`)."""
    if round not in ROUNDS:
        raise ValueError(f"round must be one of {list(ROUNDS)}, got {round!r}")
    return ROUNDS[round]


def changes_epochs_only(cell: str, round: str = DEFAULT_ROUND) -> bool:
    """Whether ``cell`` differs from its round's protocol cell in ``min_epoch_images`` alone."""
    cells = round_cells(round)
    base, change = cells["protocol"], cells[cell]
    differs = {name for name in set(base) | set(change) if base.get(name, "unset") != change.get(name, "unset")}
    return differs == {"min_epoch_images"}


#: The study's default scope.
STUDY_MODELS = (2,)
STUDY_DATASETS = TARGET_RUN_DATASETS
STUDY_SEEDS = (0, 1, 2)


def cell_config(cell: str, *, model: int, dataset: str, seed: int, profile: str = "paper",
                data: str = "real", round: str = DEFAULT_ROUND, **overrides):
    """The config of one cell: the protocol's experiment config with the cell's change.

    In a fine-tune round (:data:`FINETUNE_ROUNDS`) it is the fine-tune's target config,
    with ``source`` :data:`FINETUNE_SOURCE` and no ``source_run`` yet (training fills it
    in from :func:`source_config`)."""
    # saves start-up time: Keras loads TensorFlow
    import keras

    cells = round_cells(round)
    if cell not in cells:
        raise ValueError(f"cell must be one of {list(cells)}, got {cell!r}")
    overrides = {"backend": keras.backend.backend(), **overrides}
    source = FINETUNE_SOURCE if round in FINETUNE_ROUNDS else None
    base = experiment_config(profile, (model, dataset, source), data=data, seed=seed, **overrides)
    return dataclasses.replace(base, source=source, **cells[cell])


def source_config(config, *, profile: str = "paper"):
    """The from-scratch config a fine-tune round's ``config`` starts from: the protocol's
    run of the same model and seed on :data:`FINETUNE_SOURCE` (with that experiment's
    stated deviations, e.g. Model 2's FER2013 learning rate), same data kind and backend."""
    if not config.is_finetune:
        raise ValueError(f"{config.label()}: not a fine-tune, so it has no source run")
    return experiment_config(profile, (config.model, config.source, None), data=config.data, seed=config.seed,
                             backend=config.backend)


def is_protocol_alias(cell: str, config, *, profile: str = "paper", round: str = DEFAULT_ROUND) -> bool:
    """Whether ``config``, of ``cell``, is the same run as its experiment's protocol cell
    (a cell other than "protocol" whose change the experiment's config already has, e.g.
    "learning rate 0.001" on JAFFE)."""
    if cell == "protocol":
        return False
    protocol = cell_config("protocol", model=config.model, dataset=config.dataset, seed=config.seed,
                           profile=profile, data=config.data, round=round, backend=config.backend)
    return dataclasses.replace(protocol, source_run=config.source_run) == config


def study_configs(*, models=STUDY_MODELS, datasets=STUDY_DATASETS, seeds=STUDY_SEEDS,
                  cells=None, profile="paper", data="real", round=DEFAULT_ROUND, **overrides) -> list:
    """``[(cell, config)]`` in training order: data set by data set, each seed's cells
    together, so that every cell has its first seed before any has its third.
    ``cells``: None for every cell of the round."""
    cells = tuple(round_cells(round)) if cells is None else tuple(cells)
    return [(cell, cell_config(cell, model=model, dataset=dataset, seed=seed, profile=profile,
                               data=data, round=round, **overrides))
            for dataset in datasets for seed in seeds for model in models for cell in cells]


def run_study(store, *, data_dir=None, cache_dir=None, verbose=0, log=print, **scope) -> list:
    """Train (or fetch from ``store``) every run of :func:`study_configs` ``(**scope)``;
    returns ``[(cell, Run)]``. Each data set is loaded once. A fine-tune round's run
    starts from its :func:`source_config` run, fetched from ``store`` or trained first
    (on the real FER2013, hours on a CPU)."""
    data = "real" if data_dir is not None else "synthetic"
    loaded, runs = {}, []

    def dataset(config):
        if config.dataset not in loaded:
            loaded[config.dataset] = config_data(config, data_dir=data_dir, cache_dir=cache_dir)
        return loaded[config.dataset]

    profile, round = scope.get("profile", "paper"), scope.get("round", DEFAULT_ROUND)
    for cell, config in study_configs(data=data, **scope):
        if is_protocol_alias(cell, config, profile=profile, round=round):
            log(f"{cell:>24}: {config.label()}: the protocol's own setting for this experiment, "
                f"so its runs are the protocol cell's")
            continue
        if config.is_finetune:
            source = source_config(config, profile=profile)
            _, run = finetune_run(source, config, store, data_dir=data_dir, cache_dir=cache_dir,
                                  source_dataset=dataset(source), target_dataset=dataset(config),
                                  verbose=verbose, log=log)
        elif changes_epochs_only(cell, round) and same_epochs_as_protocol(
                config, dataset(config), profile=profile):
            log(f"{cell:>24}: {config.label()}: the same epochs as the protocol's run (one "
                f"balanced pass is already longer than the minimum), not trained again")
            continue
        else:
            run = train_run(config, store, data_dir=data_dir, cache_dir=cache_dir, dataset=dataset(config),
                            verbose=verbose, log=log)
        log(f"{cell:>24}: {config.label()} seed {config.seed}: val {run.metrics['val']['accuracy']:.4f} "
            f"test {run.metrics['test']['accuracy']:.4f} ({run.id})")
        runs.append((cell, run))
    return runs


def same_epochs_as_protocol(config, dataset, *, profile: str = "paper") -> bool:
    """Whether ``config`` draws the same rows every epoch as the same config with the
    profile's ``min_epoch_images`` (a training set whose balanced pass is longer than
    either minimum): then, as nothing else differs, the two runs are the same run."""
    # saves start-up time: Keras loads TensorFlow
    from ferlib.training import epoch_indices

    protocol = dataclasses.replace(config, min_epoch_images=PROFILES[profile].get("min_epoch_images"))
    if protocol == config:
        return False
    data, part = prepare(config, dataset)
    labels = data.labels[part == "train"]
    rows = [epoch_indices(labels, seed=c.seed, epoch=0, balance=c.balance, min_images=c.min_epoch_images)
            for c in (config, protocol)]
    return len(rows[0]) == len(rows[1]) and bool((rows[0] == rows[1]).all())


def cell_of(config, *, profile: str = "paper", round: str = DEFAULT_ROUND) -> str | None:
    """The cell of ``round`` a config belongs to (``None``: it is in no cell). A scratch
    round takes runs from scratch only; a fine-tune round (:data:`FINETUNE_ROUNDS`) takes
    fine-tunes from :data:`FINETUNE_SOURCE` only, whatever their ``source_run``."""
    if config.is_finetune != (round in FINETUNE_ROUNDS):
        return None
    for cell in round_cells(round):
        try:
            expected = cell_config(cell, model=config.model, dataset=config.dataset, seed=config.seed,
                                   profile=profile, data=config.data, backend=config.backend, round=round)
        except ValueError:
            continue
        if dataclasses.replace(expected, source_run=config.source_run) == config:
            return cell
    return None


def study_runs(runs, *, datasets=STUDY_DATASETS, round: str = DEFAULT_ROUND, profile: str = "paper") -> list:
    """``[(cell, Run)]`` for the runs of ``runs`` on ``datasets`` that belong to a cell of
    ``round`` (any model: a committed run of another model can be in a cell too). A run
    can be in two rounds: the augmented recipe's "no augmentation" is the protocol."""
    found = []
    for run in runs:
        if run.config.dataset not in datasets:
            continue
        cell = cell_of(run.config, round=round, profile=profile)
        if cell is not None:
            found.append((cell, run))
    return found


def learned(run) -> bool:
    """Whether a run's test accuracy beats always answering the most frequent class of its
    test part (:func:`ferlib.stats.above_chance`, one-sided exact binomial test at 0.05;
    on balanced JAFFE that is one in seven, on seven-class CK+ one half: neutral)."""
    confusion = np.asarray(run.metrics["test"]["confusion"])
    majority = confusion.sum(axis=1).max() / confusion.sum()
    return above_chance(int(np.trace(confusion)), int(confusion.sum()), majority)["above"]


def study_table(cell_runs, *, round: str = DEFAULT_ROUND) -> pd.DataFrame:
    """One row per (model, data set, cell): seeds, mean and sd of validation and test
    accuracy over seeds, the seeds that beat the majority class on test (:func:`learned`), and each
    seed's validation and test accuracy.

    Columns: ``model``, ``dataset``, ``cell``, ``seeds``, ``val_mean``, ``val_sd``,
    ``val_median``, ``test_mean``, ``test_sd``, ``test_median``, ``learned``,
    ``val_by_seed`` and ``test_by_seed`` (``{seed: accuracy}``).
    """
    rows = {}
    for cell, run in cell_runs:
        key = (run.config.model, run.config.dataset, cell)
        rows.setdefault(key, []).append(run)
    order = {cell: i for i, cell in enumerate(round_cells(round))}
    table = []
    for (model, dataset, cell), runs in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], order[kv[0][2]])):
        val = np.array([r.metrics["val"]["accuracy"] for r in runs])
        test = np.array([r.metrics["test"]["accuracy"] for r in runs])
        table.append({
            "model": model, "dataset": dataset, "cell": cell, "seeds": len(runs),
            "val_mean": val.mean(), "val_sd": val.std(ddof=1) if len(runs) > 1 else np.nan,
            "val_median": float(np.median(val)),
            "test_mean": test.mean(), "test_sd": test.std(ddof=1) if len(runs) > 1 else np.nan,
            "test_median": float(np.median(test)), "learned": sum(learned(r) for r in runs),
            "val_by_seed": {int(r.config.seed): float(r.metrics["val"]["accuracy"]) for r in runs},
            "test_by_seed": {int(r.config.seed): float(r.metrics["test"]["accuracy"]) for r in runs},
        })
    return pd.DataFrame(table, columns=["model", "dataset", "cell", "seeds", "val_mean", "val_sd", "val_median",
                                        "test_mean", "test_sd", "test_median", "learned", "val_by_seed",
                                        "test_by_seed"])


#: The cells of :data:`CELLS` that change the learning rate alone.
RATE_CELLS = {cell: change["learning_rate"] for cell, change in CELLS.items() if set(change) == {"learning_rate"}}

#: The columns of :func:`rate_choices`.
RATE_CHOICE_COLUMNS = ["model", "dataset", "protocol_rate", "other_rate", "protocol_seeds", "protocol_learned",
                       "protocol_val_median", "protocol_val_mean", "other_seeds", "other_learned",
                       "other_val_median", "other_val_mean", "rule_rate", "agrees", "study_seeds_protocol_val_median",
                       "study_seeds_other_val_median", "study_seeds_rule_rate"]


def protocol_rate(model: int, dataset: str, *, round: str = DEFAULT_ROUND, profile: str = "paper") -> float:
    """The learning rate of the protocol cell of ``round`` for ``model`` on ``dataset``
    (the experiment's stated deviation included; in the fine-tune round the fine-tune's)."""
    return cell_config("protocol", model=model, dataset=dataset, seed=0, profile=profile, round=round).learning_rate


def rate_choices(table: pd.DataFrame, *, model: int = 2, profile: str = "paper") -> pd.DataFrame:
    """The learning rate of each experiment from scratch of ``model`` in a
    :func:`study_table` of the round around the protocol, against the study's other rate, by the protocol's rule: the rate
    with the higher median validation accuracy over seeds (a tie keeps the protocol's).

    Returns:
        one row per data set that has both the protocol cell and a cell of the other rate
        (:data:`RATE_CELLS`), columns :data:`RATE_CHOICE_COLUMNS`: ``protocol_rate`` (the
        rate the protocol trains that experiment at, its stated deviation included) and
        ``other_rate``; for each, the seeds, the seeds above the majority class
        (:func:`learned`), and the median and mean validation accuracy (fractions);
        ``rule_rate``, the rate the rule picks, and ``agrees``, whether it is the protocol's;
        the same rule over the study's default seeds alone (:data:`STUDY_SEEDS`, those
        both cells have): ``study_seeds_protocol_val_median``, ``study_seeds_other_val_median``
        and ``study_seeds_rule_rate`` (NaN where the two cells share none of them), so a
        verdict that more seeds turned can be told.

    The study has two rates (:data:`RATE_CELLS`), so an experiment's other rate is the
    one it does not train at.
    """
    rows = []
    part = table[table["model"] == model]
    for dataset in sorted(set(part["dataset"])):
        cells = part[part["dataset"] == dataset].set_index("cell")
        ours = protocol_rate(model, dataset, profile=profile)
        other = next((cell for cell, rate in RATE_CELLS.items() if rate != ours and cell in cells.index), None)
        if "protocol" not in cells.index or other is None:
            continue
        base, changed = cells.loc["protocol"], cells.loc[other]

        def pick(mine, theirs):
            return ours if mine >= theirs else RATE_CELLS[other]

        shared = [seed for seed in STUDY_SEEDS if seed in base["val_by_seed"] and seed in changed["val_by_seed"]]
        first = [float(np.median([row["val_by_seed"][seed] for seed in shared])) if shared else np.nan
                 for row in (base, changed)]
        rule = pick(base["val_median"], changed["val_median"])
        rows.append({"model": model, "dataset": dataset, "protocol_rate": ours, "other_rate": RATE_CELLS[other],
                     **{f"{side}_{stat}": row[stat] for side, row in (("protocol", base), ("other", changed))
                        for stat in ("seeds", "learned", "val_median", "val_mean")},
                     "rule_rate": rule, "agrees": rule == ours,
                     "study_seeds_protocol_val_median": first[0], "study_seeds_other_val_median": first[1],
                     "study_seeds_rule_rate": pick(*first) if shared else np.nan})
    return pd.DataFrame(rows, columns=RATE_CHOICE_COLUMNS)


def _mean_sd(mean, sd) -> str:
    return f"{100 * mean:.1f}%" if pd.isna(sd) else f"{100 * mean:.1f} ± {100 * sd:.1f}%"


def study_markdown(table: pd.DataFrame) -> str:
    """A :func:`study_table` as a Markdown table for the book: accuracies as percentages,
    mean ± sd over seeds (no sd for one seed), the seeds that beat the majority class, each seed's
    validation and test accuracy (seeds in increasing order)."""
    def by_seed(values) -> str:
        return ", ".join(f"{100 * v:.1f}" for _, v in sorted(values.items()))

    lines = ["| model | data set | cell | seeds | validation | median validation | test | beat the majority class "
             "| validation by seed | test by seed |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| {row.model} | {dataset_title(row.dataset)} | {row.cell} | {row.seeds} | "
                     f"{_mean_sd(row.val_mean, row.val_sd)} | {100 * row.val_median:.1f}% | "
                     f"{_mean_sd(row.test_mean, row.test_sd)} | {row.learned} of {row.seeds} | "
                     f"{by_seed(row.val_by_seed)} | {by_seed(row.test_by_seed)} |")
    return "\n".join(lines)


def glue_name(*parts) -> str:
    """A book glue name from words: ``("augmented recipe", "jaffe", "half augmentation")``
    -> ``"augmented_recipe_jaffe_half_augmentation"`` (every run of other characters
    becomes ``_``)."""
    return "_".join(re.sub(r"[^a-z0-9]+", "_", str(part).lower()).strip("_") for part in parts)


def study_glues(table: pd.DataFrame, *, prefix: str = "study", model: int = 2) -> dict:
    """The numbers the book's prose quotes from a :func:`study_table`, for one model:
    ``{<prefix>_<data set>_<cell>_<stat>: value}`` (names from :func:`glue_name`, e.g.
    ``study_ckplus7_learning_rate_0_0001_val_median``) with stats ``seeds`` and
    ``learned`` (ints) and ``val_median``, ``val_mean``, ``test_median`` and
    ``test_mean`` (percent)."""
    values = {}
    for row in table[table["model"] == model].itertuples():
        name = glue_name(prefix, row.dataset, row.cell)
        values[f"{name}_seeds"] = int(row.seeds)
        values[f"{name}_learned"] = int(row.learned)
        for stat in ("val_median", "val_mean", "test_median", "test_mean"):
            values[f"{name}_{stat}"] = float(100 * getattr(row, stat))
    return values


def study_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Per (model, data set) of a :func:`study_table`: each cell's change of *median*
    validation and test accuracy over seeds from the protocol cell, largest validation
    change first.

    The median is the protocol's decision rule: one seed that stays at chance moves a
    mean by a third of the way to chance with three seeds, but leaves the median with the
    other two.

    Columns: ``model``, ``dataset``, ``cell``, ``seeds``, ``val_change``, ``test_change``
    (fractions, e.g. ``-0.55``). Empty when no protocol cell is there to compare with.
    """
    rows = []
    for (model, dataset), part in table.groupby(["model", "dataset"], sort=True):
        base = part[part["cell"] == "protocol"]
        if base.empty:
            continue
        for row in part[part["cell"] != "protocol"].itertuples():
            rows.append({"model": model, "dataset": dataset, "cell": row.cell, "seeds": row.seeds,
                         "val_change": row.val_median - base["val_median"].iloc[0],
                         "test_change": row.test_median - base["test_median"].iloc[0]})
    frame = pd.DataFrame(rows, columns=["model", "dataset", "cell", "seeds", "val_change", "test_change"])
    if frame.empty:
        return frame
    order = frame["val_change"].abs().sort_values(ascending=False).index
    return frame.loc[order].reset_index(drop=True)


def largest_changes(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per (model, data set) of :func:`study_verdicts`, the cell whose change of median
    validation accuracy is largest in size (the first such cell on a tie); same columns,
    sorted by model and data set."""
    rows = [part["val_change"].abs().idxmax() for _, part in verdicts.groupby(["model", "dataset"], sort=True)]
    return verdicts.loc[rows].reset_index(drop=True)


def changes_on_every_dataset(verdicts: pd.DataFrame, *, model: int = 2, datasets=STUDY_DATASETS,
                             min_seeds: int = 3) -> pd.DataFrame:
    """The cells of :func:`study_verdicts` for ``model`` with at least ``min_seeds`` seeds on
    every data set of ``datasets``: one row per cell (index ``cell``, sorted), the change of
    median validation accuracy on each data set (one column per data set, fractions), and
    ``raises_all`` (it rises on every one: a change to the protocol itself would serve them
    all) and ``raises_some`` (on at least one). Empty when some data set has no such cell."""
    datasets = list(datasets)
    part = verdicts[(verdicts["model"] == model) & (verdicts["seeds"] >= min_seeds)]
    empty = pd.DataFrame(columns=[*datasets, "raises_all", "raises_some"])
    if not set(datasets) <= set(part["dataset"]):
        return empty
    by_cell = part.pivot_table(index="cell", columns="dataset", values="val_change")
    by_cell = by_cell.reindex(columns=datasets).dropna()
    if by_cell.empty:
        return empty
    by_cell.columns.name = None
    rises = by_cell[datasets] > 0
    return by_cell.assign(raises_all=rises.all(axis=1), raises_some=rises.any(axis=1))
