"""The training commands: ``models`` (the three networks), ``train`` and ``finetune`` (one
run, fetched from the store when it is there), ``reproduce`` (the paper's experiments),
``transfer`` (the fine-tune gain beyond the paper's split), ``probe`` (does a run
collapse?), ``study`` (the sensitivity study) and ``recipe`` (beyond the paper: the modern
recipe and its ablation, :mod:`ferlib.recipe`; ``train --recipe`` and ``finetune --recipe``
train with it).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ferlib import options
from ferlib.commands.common import (
    DEFAULT_STORE,
    _add_common,
    _add_training,
    _check_data_dir,
    _check_split_seed,
    _config,
    _overrides,
    _print_result,
    _source_config,
    parse_seeds,
)
from ferlib.config import DATASETS, MODEL_IDS, PROFILES
from ferlib.vocabulary import DEFAULT_ROUND, STUDY_ROUNDS


def add_models(commands):
    p = commands.add_parser("models", help="print the three models' summaries")
    p.add_argument("--model", type=int, choices=MODEL_IDS, default=None)


def cmd_models(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.models import model_summary

    for model_id in ([args.model] if args.model else MODEL_IDS):
        print(model_summary(model_id))
    return 0


def _add_recipe_option(parser, text):
    """``--recipe``: train with a recipe beyond the paper (:data:`ferlib.recipe.RECIPES`)."""
    # saves start-up time: a command loads only what it runs
    from ferlib.recipe import RECIPES

    parser.add_argument("--recipe", choices=list(RECIPES), default=None, help=text)


def add_train(commands):
    p = commands.add_parser("train", help="train one model from scratch (or fetch it from the store)")
    p.add_argument("--model", type=int, required=True, help="1, 2 or 3")
    p.add_argument("--dataset", default="fer2013", help=f"one of {', '.join(DATASETS)}")
    _add_common(p)
    _add_training(p)
    _add_recipe_option(p, "train with a recipe beyond the paper (ferlib.recipe; options given by hand win "
                          "over it)")


def cmd_train(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.experiment import train_run

    _check_data_dir(args)
    _check_split_seed(args, args.dataset)
    config = _config(args, model=args.model, dataset=args.dataset)
    run = train_run(config, args.store, data_dir=args.data_dir, cache_dir=args.cache_dir,
                    verbose=0 if args.quiet else 1)
    _print_result(run)
    return 0


def add_finetune(commands):
    p = commands.add_parser("finetune", help="pretrain on a source data set, fine-tune on a target")
    p.add_argument("--model", type=int, required=True, help="1, 2 or 3")
    p.add_argument("--source", default="fer2013", help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--target", required=True, help=f"one of {', '.join(DATASETS)}")
    _add_common(p)
    _add_training(p)
    # the source run trains with the recipe, the fine-tune keeps the protocol's settings
    _add_recipe_option(p, "train the source run with a recipe beyond the paper; the fine-tune keeps the "
                          "protocol's settings, so it differs from the protocol's fine-tune only in its "
                          "starting weights")


def cmd_finetune(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.experiment import finetune_run

    _check_data_dir(args)
    if args.source == args.target:
        raise ValueError(f"--source and --target are both {args.target!r}: fine-tuning starts from "
                         f"weights trained on another data set (use train for one data set)")
    _check_split_seed(args, args.target)
    source = _source_config(args, model=args.model, dataset=args.source)
    target = _config(args, model=args.model, dataset=args.target, source=args.source)
    source_run, target_run = finetune_run(source, target, args.store, data_dir=args.data_dir,
                                          cache_dir=args.cache_dir, verbose=0 if args.quiet else 1)
    _print_result(source_run)
    _print_result(target_run)
    return 0


def add_reproduce(commands):
    p = commands.add_parser("reproduce", help="the paper's 5 experiments per model, with the "
                                              "protocol's stated deviations (fetched or trained)")
    p.add_argument("--models", type=int, nargs="+", choices=MODEL_IDS, default=list(MODEL_IDS),
                   help="models to run (default: 1 2 3)")
    _add_common(p)
    _add_training(p)


def cmd_reproduce(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.protocol import reproduction_runs
    from ferlib.tables import runs_overview

    _check_data_dir(args)
    overrides = _overrides(args)
    seed = overrides.pop("seed")
    runs = reproduction_runs(args.profile, store=args.store, models=args.models, data_dir=args.data_dir,
                             cache_dir=args.cache_dir, seed=0 if seed is None else seed,
                             verbose=0 if args.quiet else 1, **overrides)
    print(runs_overview(runs).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def add_transfer(commands):
    p = commands.add_parser("transfer", help="train the runs that test the fine-tune gain beyond the paper's "
                                             "split: subject folds, split seeds 1 and 2 (ferlib.transfer_runs)")
    p.add_argument("--model", type=int, choices=MODEL_IDS, default=2, help="default: %(default)s")
    p.add_argument("--data-dir", required=True, help="root of the real data sets")
    p.add_argument("--cache-dir", default=None, help="folder to cache parsed real data in")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help="run store holding the FER2013 runs' weights (default: %(default)s)")
    p.add_argument("--results", default=None, help="committed results to skip and read fingerprints from "
                                                   "(default: results/paper)")
    p.add_argument("--training-seeds", type=options.seeds, default="0-2",
                   help="training seeds of the split-seed runs: 0,1,2 or 0-2 (default: %(default)s)")
    p.add_argument("--max-runs", type=options.runs, default=None, help="stop after this many runs")
    p.add_argument("--dry-run", action="store_true", help="list the runs in order, train none")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")


def cmd_transfer(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.results import PAPER_RESULTS
    from ferlib.transfer_runs import train_transfer_runs

    _check_data_dir(args)
    report = train_transfer_runs(args.model, args.store, data_dir=args.data_dir, cache_dir=args.cache_dir,
                                 results_dir=Path(args.results) if args.results else PAPER_RESULTS,
                                 training_seeds=parse_seeds(args.training_seeds), max_runs=args.max_runs,
                                 dry_run=args.dry_run, verbose=0 if args.quiet else 1)
    for line in report["planned"]:
        print(f"would train: {line}")
    for line in report["skipped"]:
        print(f"skipped: {line}")
    print(f"{len(report['trained'])} runs trained or found, {len(report['planned'])} planned, "
          f"{len(report['skipped'])} skipped")
    return 0


def add_probe(commands):
    p = commands.add_parser("probe", help="train the first steps of a run and count live ReLU units "
                                          "(does the run collapse?)")
    p.add_argument("--model", type=int, required=True, help="1, 2 or 3")
    p.add_argument("--dataset", default="fer2013", help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--seeds", type=options.seeds, default="0", help="seeds to probe: 0,1,2 or 0-3 (default: %(default)s)")
    p.add_argument("--steps", type=options.steps, default=300, help="optimiser steps per probe (default: %(default)s)")
    p.add_argument("--save", default=None, metavar="PATH",
                   help="merge the results into a JSON file, e.g. results/paper/probes.json")
    _add_common(p)
    _add_training(p)


def cmd_probe(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.diagnostics import merge_probes, probe_collapse, probes_table, read_probes
    from ferlib.experiment import config_data, environment
    from ferlib.results import write_json_atomic

    _check_data_dir(args)
    if args.seed is not None:
        raise ValueError("probe takes --seeds (several), not --seed")
    base = _config(args, model=args.model, dataset=args.dataset)
    configs = [dataclasses.replace(base, seed=seed) for seed in parse_seeds(args.seeds)]
    dataset = config_data(configs[0], data_dir=args.data_dir, cache_dir=args.cache_dir)
    env = environment()
    rows = []
    for config in configs:
        row = probe_collapse(config, data_dir=args.data_dir, dataset=dataset, steps=args.steps)
        rows.append({**row, "environment": env})
        print(f"{config.label()} seed {config.seed}: loss {row['train_loss']:.4f} after {args.steps} steps, "
              f"dead layers: {', '.join(row['dead_layers']) or 'none'} ({row['seconds']:.0f} s)", flush=True)
    print(probes_table(rows).drop(columns=["model", "dataset"]).to_string(index=False))
    if args.save:
        path = Path(args.save)
        old = read_probes(path) if path.exists() else []
        write_json_atomic({"probes": merge_probes(old, rows)}, path)
        print(f"saved to {path}")
    return 0


def add_study(commands):
    p = commands.add_parser("study", help="the sensitivity study: one training choice changed at a time")
    p.add_argument("--models", type=int, nargs="+", choices=MODEL_IDS, default=None,
                   help="models (default: 2)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=None,
                   help="data sets (default: jaffe ckplus7)")
    p.add_argument("--seeds", type=options.seeds, default="0-2", help="seeds: 0,1,2 or 0-3 (default: %(default)s)")
    p.add_argument("--cells", nargs="+", default=None, help="cells to train (default: all)")
    p.add_argument("--round", choices=STUDY_ROUNDS, default=DEFAULT_ROUND,
                   help="protocol: around the protocol (default); 'augmented recipe': "
                        "around the augmented recipe the protocol was chosen from; "
                        "'rate 0.001': the protocol's cells at the profile's learning rate; "
                        "fine-tune: fine-tunes from the protocol's FER2013 run of each seed")
    p.add_argument("--profile", choices=list(PROFILES), default="paper")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _add_common(p)


def _check_many_seeds_and_cells(args, command: str, known: list) -> None:
    """The checks of a command that trains cells over several seeds (``study``,
    ``recipe``): the data folder, ``--seeds`` rather than ``--seed``, and every
    ``--cells`` name among ``known``."""
    _check_data_dir(args)
    if args.seed is not None:
        raise ValueError(f"{command} takes --seeds (several), not --seed")
    unknown = [cell for cell in args.cells or () if cell not in known]
    if unknown:
        raise ValueError(f"--cells: unknown {unknown}; known: {known}")


def cmd_study(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib import study

    _check_many_seeds_and_cells(args, "study", list(study.round_cells(args.round)))
    scope = dict(seeds=parse_seeds(args.seeds), profile=args.profile, round=args.round)
    if args.models:
        scope["models"] = tuple(args.models)
    if args.datasets:
        scope["datasets"] = tuple(args.datasets)
    if args.cells:
        scope["cells"] = tuple(args.cells)
    runs = study.run_study(args.store, data_dir=args.data_dir, cache_dir=args.cache_dir,
                           verbose=0 if args.quiet else 1, **scope)
    table = study.study_table(runs, round=args.round).drop(columns=["test_by_seed"])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def add_recipe(commands):
    # saves start-up time: a command loads only what it runs
    from ferlib.recipe import ABLATION_DATASET, ABLATION_MODEL

    p = commands.add_parser("recipe", help="beyond the paper: the modern recipe and its ablation, one step "
                                           "changed at a time, compared on validation")
    p.add_argument("--model", type=int, choices=MODEL_IDS, default=ABLATION_MODEL,
                   help="model (default: %(default)s)")
    p.add_argument("--dataset", choices=DATASETS, default=ABLATION_DATASET, help="data set (default: %(default)s)")
    p.add_argument("--seeds", default=None,
                   help="seeds of every cell: 0,1 or 0-2 (default: each cell's own, the recipe 0-1, every other "
                        "cell 0)")
    p.add_argument("--cells", nargs="+", default=None, help="cells to train (default: all)")
    p.add_argument("--profile", choices=list(PROFILES), default="paper")
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's 100 epochs")
    p.add_argument("--limit-train", type=int, default=None, help="cap the training images")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _add_common(p)


def cmd_recipe(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib import recipe

    _check_many_seeds_and_cells(args, "recipe", list(recipe.ABLATION) + list(recipe.EVALUATION_CELLS))
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    runs = recipe.run_ablation(args.store, data_dir=args.data_dir, cache_dir=args.cache_dir, cells=args.cells,
                               seeds=None if args.seeds is None else parse_seeds(args.seeds),
                               model=args.model, dataset=args.dataset,
                               profile=args.profile, epochs=args.epochs, limit_train=args.limit_train,
                               verbose=0 if args.quiet else 1)
    table = recipe.ablation_frame(runs).drop(columns=["val_by_seed"])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


#: This group's commands: ``{name: (add its parser, run it)}``.
COMMANDS = {"models": (add_models, cmd_models), "train": (add_train, cmd_train),
            "finetune": (add_finetune, cmd_finetune), "reproduce": (add_reproduce, cmd_reproduce),
            "transfer": (add_transfer, cmd_transfer), "probe": (add_probe, cmd_probe),
            "study": (add_study, cmd_study), "recipe": (add_recipe, cmd_recipe)}
