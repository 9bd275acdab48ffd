"""The command line of ferlib: ``python -m ferlib COMMAND [options]``.

``python -m ferlib --help`` lists the commands, ``python -m ferlib COMMAND --help`` their
options.

Every command prints what it does; errors in the user's input end with exit status 2
and one line naming the parameter, file or row at fault.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
import warnings
from pathlib import Path

from ferlib import options
from ferlib.config import DATASETS, MODEL_IDS, PROFILES
from ferlib.vocabulary import (
    DEFAULT_ROUND,
    STUDY_ROUND_ALIASES,
    STUDY_ROUNDS,
    SUBJECT_PROTOCOL_TITLES,
    SUBJECT_PROTOCOLS,
)

DEFAULT_STORE = "runs"


def _add_common(parser, *, data=True):
    parser.add_argument("--store", default=DEFAULT_STORE, help="run store folder (default: %(default)s)")
    parser.add_argument("--seed", type=options.seed, default=None, help="training seed (default: 0)")
    if data:
        parser.add_argument("--data-dir", default=None,
                            help="root of the real data sets; without it, synthetic stand-ins are used")
        parser.add_argument("--cache-dir", default=None, help="folder to cache parsed real data in")
        _add_pack(parser)


def _add_pack(parser):
    parser.add_argument("--pack", default=None, metavar="DIR",
                        help="a data pack (python -m ferlib pack) to read the real data from, "
                             "instead of --data-dir: the same data")


def _resolve_pack(args):
    """``--pack DIR`` is a data root in packed form: it becomes ``args.data_dir``."""
    pack = getattr(args, "pack", None)
    if pack is None:
        return
    # saves start-up time: a command loads only what it runs
    from ferlib.pack import read_pack

    if getattr(args, "data_dir", None) is not None:
        raise ValueError("give --data-dir or --pack, not both")
    read_pack(pack)  # a clear error for a folder that is not a pack
    args.data_dir = pack


def _add_training(parser):
    parser.add_argument("--profile", choices=list(PROFILES), default="quick",
                        help="preset: smoke (seconds), quick (minutes), paper (the paper's settings)")
    parser.add_argument("--epochs", type=options.epochs, default=None)
    parser.add_argument("--batch-size", type=options.batch_size, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--limit-train", type=options.images, default=None, help="cap the training images")
    parser.add_argument("--protocol", default=None, help="paper (default), subject-kfold or loso")
    parser.add_argument("--fold", type=options.fold, default=None,
                        help="which fold of a subject-independent protocol (default: 0)")
    parser.add_argument("--folds", type=options.folds, default=None,
                        help="number of folds of --protocol subject-kfold (default: 5; the "
                             "subject-independent baselines use 10 on CK+)")
    parser.add_argument("--split-seed", type=int, default=None,
                        help="another draw of the paper's split of JAFFE or CK+ (default: 0, the "
                             "protocol's); FER2013 keeps its official split, so a fine-tune starts from "
                             "the FER2013 run of split seed 0")
    parser.add_argument("--precision", default=None, help="float32 (default) or mixed_bfloat16")
    augment = parser.add_mutually_exclusive_group()
    augment.add_argument("--augment", action="store_true",
                         help="train with augmentation (the paper profile trains without)")
    augment.add_argument("--no-augment", action="store_true", help="train without augmentation")
    parser.add_argument("--no-balance", action="store_true", help="train without class oversampling")
    parser.add_argument("--augment-scale", type=float, default=None,
                        help="multiply the augmentation magnitudes (default 1)")
    parser.add_argument("--min-epoch-images", type=options.images, default=None,
                        help="at least this many images per epoch (default: one balanced pass)")
    parser.add_argument("--input-scaling", choices=("unit", "standardize"), default=None,
                        help="pixels / 255 (unit, default) or per-pixel standardisation")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ferlib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("datasets", help="find the data sets under a folder and count them (Table 1)")
    p.add_argument("--data-dir", default=None, help="folder holding fer2013/, jaffe/, ckplus/ ...")
    p.add_argument("--cache-dir", default=None)
    _add_pack(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--save", default=None, metavar="PATH",
                   help="also write the counts and fingerprints (no images) as JSON to PATH, "
                        "e.g. results/paper/datasets.json")

    p = commands.add_parser("models", help="print the three models' summaries")
    p.add_argument("--model", type=int, choices=MODEL_IDS, default=None)

    p = commands.add_parser("train", help="train one model from scratch (or fetch it from the store)")
    p.add_argument("--model", type=int, required=True, help="1, 2 or 3")
    p.add_argument("--dataset", default="fer2013", help=f"one of {', '.join(DATASETS)}")
    _add_common(p)
    _add_training(p)

    p = commands.add_parser("finetune", help="pretrain on a source data set, fine-tune on a target")
    p.add_argument("--model", type=int, required=True, help="1, 2 or 3")
    p.add_argument("--source", default="fer2013", help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--target", required=True, help=f"one of {', '.join(DATASETS)}")
    _add_common(p)
    _add_training(p)

    p = commands.add_parser("reproduce", help="the paper's 5 experiments per model, with the "
                                              "protocol's stated deviations (fetched or trained)")
    p.add_argument("--models", type=int, nargs="+", choices=MODEL_IDS, default=list(MODEL_IDS),
                   help="models to run (default: 1 2 3)")
    _add_common(p)
    _add_training(p)

    p = commands.add_parser("runs", help="list the runs in a store with their main metrics")
    p.add_argument("--store", default=DEFAULT_STORE)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("export", help="copy finished real-data runs, without weights, into results/")
    p.add_argument("--store", required=True, help="the run store to export from")
    p.add_argument("--to", default=None, help="results folder (default: results/paper)")
    p.add_argument("--all", action="store_true", help="export synthetic-data runs too")
    p.add_argument("--replace", action="store_true",
                   help="replace runs committed already (default: keep them)")

    p = commands.add_parser("missing", help="the paper's experiments without a committed run, and the compute they need")
    p.add_argument("--results", default=None, help="results folder (default: results/paper)")
    p.add_argument("--save", action="store_true", help="rewrite the folder's missing.json")
    p.add_argument("--store", default=None,
                   help="a run store where missing runs may be training: their checkpoint's state "
                        "(epochs done) is printed, never saved")

    p = commands.add_parser("check", help="audit committed results: ids, numerics version, metrics")
    p.add_argument("--results", default=None, help="results folder (default: results/paper)")

    p = commands.add_parser("retrained", help="compare a run trained again (in a store) with the committed "
                                              "run it must reproduce (same id)")
    p.add_argument("run_id", help="the committed run's id, e.g. f9a0f7684f0d78f9")
    p.add_argument("--store", required=True, help="the run store holding the run trained again")
    p.add_argument("--results", default=None, help="results folder (default: results/paper)")

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

    p = commands.add_parser("study", help="the sensitivity study: one training choice changed at a time")
    p.add_argument("--models", type=int, nargs="+", choices=MODEL_IDS, default=None,
                   help="models (default: 2)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=None,
                   help="data sets (default: jaffe ckplus7)")
    p.add_argument("--seeds", type=options.seeds, default="0-2", help="seeds: 0,1,2 or 0-3 (default: %(default)s)")
    p.add_argument("--cells", nargs="+", default=None, help="cells to train (default: all)")
    p.add_argument("--round", choices=(*STUDY_ROUNDS, *STUDY_ROUND_ALIASES), default=DEFAULT_ROUND,
                   help="protocol: around the protocol (default; formerly 'settled'); 'augmented recipe': "
                        "around the augmented recipe the protocol was chosen from (formerly 'first'); "
                        "'rate 0.001': the protocol's cells at the profile's learning rate; "
                        "fine-tune: fine-tunes from the protocol's FER2013 run of each seed")
    p.add_argument("--profile", choices=list(PROFILES), default="paper")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _add_common(p)

    p = commands.add_parser("book", help="execute every notebook and build the book (the main command; "
                                         "by default the published book from the committed results)")
    p.add_argument("--profile", choices=list(PROFILES), default="paper",
                   help="paper (default: the committed results, or training with --data-dir), "
                        "quick or smoke (synthetic faces)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--store", default=None, help="run store (default: _build/runs-<profile>)")
    p.add_argument("--seed", type=options.seed, default=0)
    p.add_argument("--models", type=int, nargs="+", choices=MODEL_IDS, default=list(MODEL_IDS),
                   help="models to train and show (default: 1 2 3)")
    p.add_argument("--epochs", type=options.epochs, default=None, help="override the profile's epochs")
    p.add_argument("--build-dir", default="_build")
    _add_split_audit_commands(commands)
    _add_campaign_commands(commands)
    _add_predict_command(commands)
    _add_recipe_commands(commands)
    return parser


def main(argv=None) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.store import RunLocked

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or an option argparse refused (its message is printed)
        return stop.code
    try:
        check_folder_options(args)
        _resolve_pack(args)
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return COMMANDS[args.command](args)
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback
        print(interrupted_line(argv), file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, FloatingPointError, RunLocked) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a file where a folder is expected, permissions, a full disk
        if isinstance(error, BrokenPipeError):  # the reader went away (``| head``): stop quietly
            sys.stderr.close()
            return 0
        where = f" {error.filename}" if getattr(error, "filename", None) else ""
        print(f"error:{where}: {error.strerror or error}", file=sys.stderr)
        return 2


def interrupted_line(argv=None) -> str:
    """What Ctrl-C prints: that nothing half-written was kept and the command that
    resumes (a training goes on from its last finished epoch; finished runs are reused)."""
    command = " ".join(shlex.quote(arg) for arg in (sys.argv[1:] if argv is None else argv))
    return (f"interrupted: nothing half-written is kept; run `python -m ferlib {command}` again to resume "
            f"(finished runs are reused and a training goes on from its last finished epoch)")


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Print a warning as ``warning: <message>`` on stderr (no source line)."""
    print(f"warning: {message}", file=sys.stderr if file is None else file)


#: Options that name a folder (made when missing): a file there is refused up front.
FOLDER_OPTIONS = ("store", "cache_dir", "build_dir", "to", "out", "results")


def check_folder_options(args) -> None:
    """Raise ``ValueError`` naming the option when one of :data:`FOLDER_OPTIONS` is empty,
    names the project's root (:func:`ferlib.destinations.check_destination`) or points at
    something that exists and is not a folder, before any data is loaded or trained."""
    # saves start-up time: a command loads only what it runs
    from ferlib.destinations import check_destination

    for name in FOLDER_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            check_destination(value, f"--{name.replace('_', '-')}")
        if value is not None and Path(value).exists() and not Path(value).is_dir():
            raise ValueError(f"--{name.replace('_', '-')} {value}: is a file; expected a folder "
                             f"(it is made if missing)")


def cmd_datasets(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.datasets import find_datasets, load_dataset, unrecognised_folders

    if args.data_dir is None:
        raise ValueError("give --data-dir DIR (or --pack DIR)")
    root = Path(args.data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"--data-dir {root}: no such directory")
    found = find_datasets(root)
    unknown = unrecognised_folders(root)
    if not found:
        raise FileNotFoundError(f"--data-dir {root}: no FER2013, JAFFE or CK+ data found under it"
                                + "".join(f"; {message}" for _, message in unknown))
    for _, message in unknown:
        print(f"warning: skipped {message}", file=sys.stderr)
    report, summaries = {}, {}
    for name in found:
        dataset = load_dataset(name, root, cache_dir=args.cache_dir)
        if args.save:
            # saves start-up time: a command loads only what it runs
            from ferlib.results import paper_split_summary

            summaries[name] = paper_split_summary(dataset)
        summary = dataset.summary()
        if not summary["per_split"]:
            # saves start-up time: a command loads only what it runs
            from ferlib.splits import paper_split

            split = paper_split(dataset)
            summary["paper_split"] = dataset.with_split(split).summary()["per_class_and_split"]
        summary["path"] = str(found[name])
        report[name] = summary
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_datasets_text(report))
    if args.save:
        # saves start-up time: a command loads only what it runs
        from ferlib.results import write_json_atomic

        path = write_json_atomic(summaries, args.save)
        print(f"saved the data summary to {path}", file=sys.stderr)
    return 0


def _datasets_text(report) -> str:
    # saves start-up time: a command loads only what it runs
    import pandas as pd

    lines = []
    for name, summary in report.items():
        lines.append(f"== {name}: {summary['images']} images, {summary['subjects']} subjects, "
                     f"{summary['sequences']} sequences ({summary['path']})")
        by_split = summary["per_class_and_split"] or summary.get("paper_split", {})
        table = pd.DataFrame(by_split)
        table["all"] = pd.Series(summary["per_class"])
        table.loc["total"] = table.sum()
        title = "official split" if summary["per_split"] else "the paper's split (seed 0)"
        lines.append(f"per class and {title}:")
        lines.append(table.to_string())
        lines.extend(f"note: {note}" for note in summary["notes"])
        lines.append("")
    return "\n".join(lines)


def cmd_models(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.models import model_summary

    for model_id in ([args.model] if args.model else MODEL_IDS):
        print(model_summary(model_id))
    return 0


def _overrides(args) -> dict:
    """The training options given on the command line as RunConfig fields (``None``:
    not given, the profile's value stays)."""
    # saves start-up time: a command loads only what it runs
    import keras

    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    return dict(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        limit_train=args.limit_train, protocol=args.protocol, fold=args.fold, folds=args.folds,
        split_seed=_split_seed(args), precision=args.precision, seed=args.seed, backend=keras.backend.backend(),
        augment=False if args.no_augment else (True if args.augment else None), balance="none" if args.no_balance else None,
        augment_scale=args.augment_scale, min_epoch_images=args.min_epoch_images,
        input_scaling=args.input_scaling,
    )


def _config(args, *, model, dataset, source=None):
    """The run config the options describe: the profile, the experiment's stated
    deviations (:mod:`ferlib.protocol`), then the options given."""
    # saves start-up time: a command loads only what it runs
    from ferlib.protocol import experiment_config

    overrides = _overrides(args)
    if source is None:  # --recipe: runs from scratch only
        overrides = _with_recipe(args, overrides)
    return experiment_config(args.profile, (model, dataset, source),
                             data="real" if args.data_dir else "synthetic", **overrides)


def _with_recipe(args, overrides: dict) -> dict:
    """``overrides`` over the fields of ``--recipe`` where one is given (the options win)."""
    if getattr(args, "recipe", None) is None:
        return overrides
    # saves start-up time: a command loads only what it runs
    from ferlib.recipe import recipe_fields

    return {**recipe_fields(args.recipe), **{k: v for k, v in overrides.items() if v is not None}}


def _split_seed(args):
    """``--split-seed`` checked: ``None`` (not given) or a whole number of at least 0."""
    value = getattr(args, "split_seed", None)
    if value is not None and value < 0:
        raise ValueError(f"--split-seed must be at least 0, got {value}")
    return value


def _check_split_seed(args, dataset) -> None:
    """Refuse ``--split-seed`` other than 0 for FER2013, whose split is its official one: the
    seed would give the same data a new run id."""
    # saves start-up time: a command loads only what it runs
    from ferlib.splits import base_name

    if base_name(dataset) == "fer2013" and (_split_seed(args) or 0) != 0:
        raise ValueError(f"--split-seed {args.split_seed}: FER2013 keeps its official split, so a split seed "
                         f"changes its run id and not its data; use --split-seed with JAFFE or CK+ (a "
                         f"fine-tune on another split starts from the FER2013 run of split seed 0)")


def _source_config(args, *, model, dataset):
    """The config of the run a fine-tune starts from: as :func:`_config`, on the source's
    own split (its official one for FER2013): the fine-tune's ``--protocol``, ``--fold``,
    ``--folds`` and ``--split-seed`` place the fine-tune, not its source, so a fine-tune on a
    subject fold or another split seed starts from the very run the protocol's fine-tune
    of the same seed starts from (:func:`ferlib.protocol.finetune_source_config`)."""
    # saves start-up time: a command loads only what it runs
    from ferlib.protocol import SPLIT_FIELDS, experiment_config

    overrides = {name: value for name, value in _overrides(args).items() if name not in SPLIT_FIELDS}
    overrides = _with_recipe(args, overrides)  # a run from scratch: --recipe applies
    return experiment_config(args.profile, (model, dataset, None),
                             data="real" if args.data_dir else "synthetic", **overrides)


def _check_data_dir(args):
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise FileNotFoundError(f"--data-dir {args.data_dir}: no such directory")


def _print_result(run):
    test = run.metrics["test"]
    print(f"run {run.id}: {run.config.label()}: test accuracy {test['accuracy']:.4f} "
          f"(n={test['n']}, balanced {test['balanced_accuracy']:.4f}, macro-F1 {test['macro_f1']:.4f}) "
          f"in {run.path}")


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


def cmd_runs(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.store import RunStore, runs_frame

    runs, broken = RunStore(args.store).scan()
    for folder, problems in broken:
        print(f"warning: skipped the broken run folder {folder}: {'; '.join(problems)}", file=sys.stderr)
    table = runs_frame(runs)
    if args.json:
        print(table.to_json(orient="records", indent=2))
    elif table.empty:
        print(f"no finished runs in {args.store}")
    else:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def cmd_export(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.results import PAPER_RESULTS, audit_run, export_store
    from ferlib.store import RunStore

    target = Path(args.to) if args.to else PAPER_RESULTS
    exported = export_store(args.store, target, data=None if args.all else "real", replace=args.replace)
    if not exported:
        print(f"no new finished {'' if args.all else 'real-data '}runs in {args.store}")
        return 0
    store = RunStore(target)
    problems = [p for rid in exported for p in audit_run(store.get(rid))]
    print(f"exported {len(exported)} runs to {target}: {', '.join(exported)}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_check(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.protocol import departure_text
    from ferlib.results import PAPER_RESULTS, audit_run, missing_runs, runs_outside_protocol, subject_fold_runs
    from ferlib.results import split_seed_runs, subject_finetune_fold_runs
    from ferlib.store import RunStore

    folder = Path(args.results) if args.results else PAPER_RESULTS
    runs, broken = RunStore(folder).scan()
    problems = [p for _, found in broken for p in found] + [p for run in runs for p in audit_run(run)]
    # saves start-up time: a command loads only what it runs
    from ferlib.missing import missing_is_current

    with warnings.catch_warnings():  # broken folders are among the problems already
        warnings.simplefilter("ignore")
        if (folder / "missing.json").exists() and not missing_is_current(folder):
            problems.append(f"{folder / 'missing.json'}: does not list exactly the experiments without a "
                            f"protocol run; run `python -m ferlib missing --save`")
        missing = missing_runs(folder)
    outside = runs_outside_protocol(runs)
    folds = subject_fold_runs(runs)
    n_folds = sum(len(found) for found in folds.values())
    in_folds = f", {n_folds} subject-independent fold{'s' if n_folds > 1 else ''}" if n_folds else ""
    tuned_folds, split_runs = subject_finetune_fold_runs(runs), split_seed_runs(runs)
    n_tuned = sum(len(found) for found in tuned_folds.values())
    n_split = sum(len(found) for found in split_runs.values())
    in_folds += f", {n_tuned} fine-tuned subject-independent fold{'s' if n_tuned > 1 else ''}" if n_tuned else ""
    in_folds += f", {n_split} run{'s' if n_split > 1 else ''} on other split seeds" if n_split else ""
    print(f"{folder}: {len(runs)} committed runs ({len(outside)} outside the protocol{in_folds}), "
          f"{len(problems)} problems, {len(missing)} of the paper's experiments without a run")
    for problem in problems:
        print(f"problem: {problem}")
    for run in outside:
        print(f"outside the protocol: {run.id} {run.config.label()} seed {run.config.seed}: "
              f"{departure_text(run.config)}")
    for key, found in folds.items():
        print(f"subject-independent: {subject_folds_text(key, found)}")
    for key, found in tuned_folds.items():
        print(f"subject-independent, fine-tuned from FER2013: {subject_folds_text(key, found)}")
    for (model, dataset, source, split_seed), found in split_runs.items():
        training = "scratch" if source is None else f"fine-tuned from {source}"
        print(f"split seed {split_seed}: model {model} {dataset} {training}, seeds "
              f"{', '.join(str(run.config.seed) for run in found)}")
    for row in missing.itertuples():
        print(f"missing: model {row.model} {row.dataset} {row.training}: {row.reason}")
    return 1 if problems else 0


def subject_folds_text(key, found) -> str:
    """One model's committed subject-independent folds of one data set and seed
    (``key`` and ``found`` an item of :func:`ferlib.results.subject_fold_runs`), e.g.
    ``model 2 jaffe seed 0, leave one subject out: 3 of 10 folds (0, 1, 2)``."""
    # saves start-up time: a command loads only what it runs
    from ferlib.protocol import subject_protocol

    model, dataset, seed = key
    protocol, total = subject_protocol(dataset)
    return (f"model {model} {dataset} seed {seed}, {SUBJECT_PROTOCOL_TITLES[protocol]}: {len(found)} of "
            f"{total} folds ({', '.join(str(fold) for fold in found)})")


def cmd_missing(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.missing import missing_entries, save_missing
    from ferlib.results import PAPER_RESULTS

    folder = Path(args.results) if args.results else PAPER_RESULTS
    entries = missing_entries(folder)
    for entry in entries:
        model, dataset, source = entry["key"]
        training = "scratch" if source is None else f"fine-tuned from {source}"
        print(f"model {model} {dataset} {training}: {entry['reason']}")
        if args.store is not None:
            # saves start-up time: a command loads only what it runs
            from ferlib.missing import resumption, resumption_text

            state = resumption(tuple(entry["key"]), args.store, folder)
            if state is not None:
                print(f"  {resumption_text(state, args.store)}")
    # saves start-up time: a command loads only what it runs
    from ferlib.missing import transfer_missing
    from ferlib.results import committed_runs

    for row in transfer_missing(committed_runs(folder)):
        print(f"model {row['model']}, {row['what']}: {row['runs']} runs not committed, {row['cpu']} on 2 CPU "
              f"cores; they need {row['needs']}")
    if args.save:
        print(f"wrote {save_missing(folder)} ({len(entries)} experiments)")
    return 0


def parse_seeds(text: str) -> list:
    """``"0,2,5"`` or ``"0-3"`` -> a list of ints; a ValueError names ``--seeds`` otherwise."""
    seeds = []
    try:
        for part in text.split(","):
            low, dash, high = part.strip().partition("-")
            seeds.extend(range(int(low), int(high) + 1) if dash else [int(low)])
    except ValueError:
        raise ValueError(f"--seeds {text!r}: expected seeds like 0,1,2 or 0-3") from None
    if not seeds or min(seeds) < 0:
        raise ValueError(f"--seeds {text!r}: expected non-negative seeds like 0,1,2 or 0-3")
    return sorted(set(seeds))


def cmd_study(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib import study

    _check_data_dir(args)
    if args.seed is not None:
        raise ValueError("study takes --seeds (several), not --seed")
    scope = dict(seeds=parse_seeds(args.seeds), profile=args.profile, round=args.round)
    if args.models:
        scope["models"] = tuple(args.models)
    if args.datasets:
        scope["datasets"] = tuple(args.datasets)
    if args.cells:
        known = study.round_cells(args.round)
        unknown = [c for c in args.cells if c not in known]
        if unknown:
            raise ValueError(f"--cells: unknown {unknown}; known: {list(known)}")
        scope["cells"] = tuple(args.cells)
    runs = study.run_study(args.store, data_dir=args.data_dir, cache_dir=args.cache_dir,
                           verbose=0 if args.quiet else 1, **scope)
    table = study.study_table(runs, round=args.round).drop(columns=["test_by_seed"])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


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


def cmd_book(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.book import build_book

    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    return build_book(profile=args.profile, data_dir=args.data_dir, store=args.store,
                      seed=args.seed, build_dir=args.build_dir, models=tuple(args.models),
                      epochs=args.epochs)


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


def cmd_retrained(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.results import PAPER_RESULTS, retrain_report
    from ferlib.store import RunStore

    folder = Path(args.results) if args.results else PAPER_RESULTS
    committed = RunStore(folder).get(args.run_id)
    if committed is None:
        raise FileNotFoundError(f"{folder / args.run_id}: no committed run of that id")
    again = RunStore(args.store).get(args.run_id)
    if again is None:
        raise FileNotFoundError(f"{Path(args.store) / args.run_id}: no finished run of that id in the store; train it "
                                f"with the command that made it (its config.json: {committed.config.label()}, seed "
                                f"{committed.config.seed}, backend {committed.config.backend})")
    report = retrain_report(again, committed)
    history = ", ".join(f"{name} {value:.2g}" for name, value in report["history_max_difference"].items())
    print(f"run {args.run_id} ({committed.config.label()}): trained again, same id: {report['same_id']}")
    print(f"epochs {report['epochs'][0]} (committed {report['epochs'][1]}), best epoch {report['best_epoch'][0]} "
          f"(committed {report['best_epoch'][1]}); largest difference per epoch: {history}")
    print(f"test accuracy {report['test_accuracy'][0]:.4f} (committed {report['test_accuracy'][1]:.4f}), "
          f"difference {report['difference']:+.4f}, tolerance {report['tolerance']:.4f}; same class for "
          f"{report['same_predictions']:.1%} of the val and test images, largest probability difference "
          f"{report['probability_max_difference']:.2g}")
    print("reproduces the committed run" if report["within_tolerance"] else
          "does NOT reproduce the committed run within tolerance")
    return 0 if report["within_tolerance"] else 1


COMMANDS = {
    "datasets": cmd_datasets,
    "models": cmd_models,
    "train": cmd_train,
    "finetune": cmd_finetune,
    "reproduce": cmd_reproduce,
    "runs": cmd_runs,
    "export": cmd_export,
    "check": cmd_check,
    "retrained": cmd_retrained,
    "transfer": cmd_transfer,
    "missing": cmd_missing,
    "probe": cmd_probe,
    "study": cmd_study,
    "book": cmd_book,
}



# --------------------------------------------------------------------------- baselines and leakage
# Non-CNN baselines (ferlib.baselines) and the leakage of the splits (ferlib.leakage),
# on the paper's splits for several split seeds.


def _add_split_audit_commands(commands):
    names = ("jaffe", "ckplus7", "ckplus", "fer2013")
    for name, text in (("baselines", "majority class, pixel and HOG logistic regression on the CNNs' splits"),
                       ("leakage", "test images whose subject, sequence or pixels the train part has")):
        p = commands.add_parser(name, help=text)
        p.add_argument("--data-dir", default=None,
                       help="root of the real data sets; without it, synthetic stand-ins are used")
        p.add_argument("--cache-dir", default=None, help="folder to cache parsed real data in")
        _add_pack(p)
        p.add_argument("--datasets", nargs="+", choices=names, default=None,
                       help="default: all (ckplus7 only with --data-dir: it has no synthetic stand-in)")
        p.add_argument("--seeds", type=options.seeds, default="0-2", help="split seeds: 0,1,2 or 0-2 (default: %(default)s)")
        p.add_argument("--protocol", default="paper", choices=("paper", "subject-kfold", "loso"),
                       help="split protocol (fold 0 of the subject-independent ones)")
        p.add_argument("--synthetic-size", type=options.images, default=None,
                       help="images per synthetic data set (without --data-dir)")
        p.add_argument("--save", default=None, metavar="PATH",
                       help=f"write the JSON report to PATH, e.g. results/paper/{name}.json")
    commands.choices["baselines"].add_argument(
        "--threads", type=options.threads, default=1, help="BLAS/OpenMP threads per fit (default: %(default)s)")
    commands.choices["baselines"].add_argument(
        "--subject-independent", action="store_true",
        help="every fold of JAFFE leave-one-subject-out and CK+ 10-fold grouped by subject "
             "(instead of the paper's splits)")


def _audit_datasets(args) -> tuple:
    if args.datasets:
        return tuple(args.datasets)
    return ("jaffe", "ckplus7", "ckplus", "fer2013") if args.data_dir else ("jaffe", "ckplus", "fer2013")


def _save_report(report, path):
    # saves start-up time: a command loads only what it runs
    from ferlib.results import write_json_atomic

    print(f"saved to {write_json_atomic(report, path)}")


def cmd_baselines(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.baselines import baseline_frame, baseline_table

    _check_data_dir(args)
    if args.threads < 1:
        raise ValueError(f"--threads must be at least 1, got {args.threads}")
    if args.subject_independent:
        return _subject_independent_baselines(args)
    report = baseline_table(args.data_dir, _audit_datasets(args), parse_seeds(args.seeds), args.protocol,
                            cache_dir=args.cache_dir, synthetic_size=args.synthetic_size,
                            threads=args.threads, log=lambda line: print(line, flush=True))
    print(baseline_frame(report).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if args.save:
        _save_report(report, args.save)
    return 0


def _subject_independent_baselines(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.baselines import cross_validated_baselines
    from ferlib.experiment import load_data

    names = [n for n in _audit_datasets(args) if n in SUBJECT_PROTOCOLS]
    if not names:
        raise ValueError(f"--subject-independent: none of {list(_audit_datasets(args))} has subject "
                         f"ids; choose from {sorted(SUBJECT_PROTOCOLS)}")
    report = {"protocols": []}
    for name in names:
        protocol, k = SUBJECT_PROTOCOLS[name]
        dataset = load_data(name, data_dir=args.data_dir, cache_dir=args.cache_dir,
                            synthetic_size=args.synthetic_size)
        for seed in parse_seeds(args.seeds)[:1]:
            found = cross_validated_baselines(dataset, protocol, k=k, seed=seed, threads=args.threads)
            report["protocols"].append(found)
            for row in found["results"]:
                print(f"{name} {protocol} ({found['folds']} folds, split seed {seed}) {row['baseline']}: "
                      f"{row['accuracy']:.4f} [{row['low']:.4f}, {row['high']:.4f}] over {found['images']} images")
    if args.save:
        _save_report(report, args.save)
    return 0


def cmd_leakage(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.leakage import leakage_frame, leakage_table

    _check_data_dir(args)
    report = leakage_table(args.data_dir, _audit_datasets(args), parse_seeds(args.seeds), args.protocol,
                           cache_dir=args.cache_dir, synthetic_size=args.synthetic_size)
    print(leakage_frame(report).to_string(index=False))
    for row in report["rows"]:
        for note in row["notes"]:
            print(f"note: {row['dataset']} seeds {','.join(map(str, row['split_seeds']))}: {note}")
    if args.save:
        _save_report(report, args.save)
    return 0


COMMANDS.update(baselines=cmd_baselines, leakage=cmd_leakage)


# --------------------------------------------------------------------------- GPU campaign
# Packs of the real data (ferlib.pack), the campaign (ferlib.campaign) and taking its
# returned files in (ferlib.campaign_files).

DEFAULT_PACK = ".pack"


def _add_campaign_commands(commands):
    p = commands.add_parser("pack", help="write the real data sets as a compact lossless pack (for a GPU machine)")
    p.add_argument("--data-dir", required=True, help="root of the real data sets")
    p.add_argument("--out", default=DEFAULT_PACK, help="pack folder (default: %(default)s, ignored by git)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=None,
                   help="data sets to pack (default: fer2013 jaffe ckplus7, those found: what the campaign "
                        "trains; jaffe ckplus7 alone for a small-data call whose FER2013 runs come with "
                        "their weights)")
    p.add_argument("--cache-dir", default=None, help="folder to cache parsed real data in")
    p.add_argument("--wheels", default=".whl", help="wheel folder counted in the size report (default: %(default)s)")

    p = commands.add_parser("campaign", help="train what the CPU cannot afford, within a time budget "
                                             "(the protocol's missing runs, more seeds, the study)")
    p.add_argument("--pack", required=True, help="the data pack (python -m ferlib pack)")
    p.add_argument("--store", required=True, help="run store every finished run is kept in")
    p.add_argument("--out", required=True, help="folder for the files that come back (at most 8, 16 MiB each)")
    p.add_argument("--budget-s", type=options.budget_s, required=True, help="seconds every run must finish within")
    p.add_argument("--profile", choices=list(PROFILES), default="paper")
    p.add_argument("--phases", nargs="+", default=None,
                   help="protocol seeds subject transfer study (default: all, in that order)")
    p.add_argument("--models", type=int, nargs="+", choices=MODEL_IDS, default=list(MODEL_IDS),
                   help="models of the protocol and seeds phases (default: 1 2 3)")
    p.add_argument("--seeds", type=options.seeds, default="1,2", help="extra seeds of the seeds phase (default: %(default)s)")
    p.add_argument("--study-models", type=int, nargs="+", choices=MODEL_IDS, default=[1, 3],
                   help="models of the study phase (default: 1 3)")
    p.add_argument("--subject-models", type=int, nargs="+", choices=MODEL_IDS, default=[2],
                   help="models of the subject phase: every subject-independent fold of JAFFE and "
                        "CK+ (default: 2)")
    p.add_argument("--transfer-models", type=int, nargs="+", choices=MODEL_IDS, default=[2],
                   help="models of the transfer phase: fine-tunes of every subject-independent fold, "
                        "and JAFFE and CK+ on split seeds 1 and 2 (default: 2)")
    p.add_argument("--results", default=None, help="committed results (default: results/paper)")
    p.add_argument("--precision", default="float32", help="Keras dtype policy: float32 (default) or mixed_bfloat16")
    p.add_argument("--matmul-precision", choices=("float32",), default="float32",
                   help="JAX float32 matrix products: exact float32 (TF32 would change a run's "
                        "numbers but not its id, so it is not offered until the id covers it)")
    p.add_argument("--steps-per-execution", type=options.steps, default=16,
                   help="batches per call of the compiled train step (default: %(default)s; same numbers)")
    p.add_argument("--warmup-steps", type=options.count, default=40, help="batches timed per model before its first run")
    p.add_argument("--max-runs", type=options.count, default=None, help="train at most this many runs")
    p.add_argument("--compile-cache", default=None,
                   help="JAX persistent compilation cache (default: <store>/.jax-cache)")
    p.add_argument("--require-gpu", action="store_true", help="stop unless JAX runs on a GPU")

    p = commands.add_parser("campaign-import", help="take a campaign's returned files into results/paper "
                                                    "and audit them")
    p.add_argument("files", nargs="+", help="the returned files (campaign.json, runs.tar.gz[.partN], "
                                            "<run id>.model.keras[.partN])")
    p.add_argument("--to", default=None, help="results folder (default: results/paper)")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help="run store for returned weights, with their runs' files (default: %(default)s)")
    p.add_argument("--replace", action="store_true",
                   help="replace runs committed already (each difference is printed)")
    p.add_argument("--profile", choices=list(PROFILES), default="paper",
                   help="the profile whose runs are taken (default: %(default)s)")


def _mib(n) -> str:
    return f"{n / 2**20:.2f} MiB"


def cmd_pack(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.datasets.discover import pack_data
    from ferlib.pack import load_packed, pack_size, tree_size

    _check_data_dir(args)
    tic = time.perf_counter()
    manifest = pack_data(args.data_dir, args.out, names=args.datasets, cache_dir=args.cache_dir,
                         log=lambda line: print(line, flush=True))
    print(f"packed {', '.join(manifest['datasets'])} into {args.out} in {time.perf_counter() - tic:.1f} s")
    for name in manifest["datasets"]:
        tic = time.perf_counter()
        load_packed(name, args.out)  # checks every sha256 and the fingerprint
        print(f"{name}: unpacked and checked in {time.perf_counter() - tic:.1f} s")
    packed = pack_size(args.out)
    tree = tree_size(Path.cwd())
    wheels = sum(p.stat().st_size for p in Path(args.wheels).glob("*.whl")) if Path(args.wheels).is_dir() else 0
    # saves start-up time: a command loads only what it runs
    from ferlib.pack import CARRY_LIMIT

    print(f"pack {_mib(packed)}; tracked tree {_mib(tree) if tree is not None else '(not a git checkout)'}; "
          f"wheels in {args.wheels} {_mib(wheels)}; together {_mib(packed + (tree or 0) + wheels)} "
          f"(a GPU call carries at most 64 MiB; the campaign keeps to {CARRY_LIMIT // 2**20} MiB)")
    return 0


def cmd_campaign(args) -> int:
    # saves start-up time: a command loads only what it runs
    import keras

    from ferlib.campaign import PHASES, Campaign, configure_jax, plan_jobs, summary_lines
    from ferlib.results import PAPER_RESULTS, committed_runs

    if args.budget_s <= 0:
        raise ValueError(f"--budget-s must be positive, got {args.budget_s}")
    phases = tuple(args.phases or PHASES)
    compile_cache = args.compile_cache or str(Path(args.store) / ".jax-cache")
    jax_settings = configure_jax(matmul_precision=args.matmul_precision, compile_cache=compile_cache)
    if args.require_gpu and jax_settings.get("jax_default_backend") != "gpu":
        raise ValueError(f"--require-gpu: Keras runs on {keras.backend.backend()} "
                         f"({jax_settings.get('jax_default_backend', 'no JAX')}), not on a GPU through JAX")
    results_dir = Path(args.results) if args.results else PAPER_RESULTS
    committed = committed_runs(results_dir) if results_dir.is_dir() else []
    jobs = plan_jobs(profile=args.profile, phases=phases, models=tuple(args.models), seeds=parse_seeds(args.seeds),
                     study_models=tuple(args.study_models), subject_models=tuple(args.subject_models),
                     transfer_models=tuple(args.transfer_models), committed=committed,
                     backend=keras.backend.backend(), precision=args.precision)
    print(f"campaign: {len(jobs)} jobs planned ({', '.join(phases)}), budget {args.budget_s:.0f} s", flush=True)
    settings = dict(profile=args.profile, phases=list(phases), models=args.models, seeds=args.seeds,
                    study_models=args.study_models, subject_models=args.subject_models,
                    transfer_models=args.transfer_models, precision=args.precision,
                    steps_per_execution=args.steps_per_execution, results=str(results_dir), **jax_settings)
    # saves start-up time: a command loads only what it runs
    from ferlib.results import DATASETS_FILE, read_dataset_summaries

    fingerprints = ({name: summary["fingerprint"] for name, summary in read_dataset_summaries(results_dir).items()}
                    if (results_dir / DATASETS_FILE).exists() else {})
    campaign = Campaign(args.pack, args.store, args.out, args.budget_s, fingerprints=fingerprints,
                        steps_per_execution=args.steps_per_execution, warmup_steps=args.warmup_steps,
                        max_runs=args.max_runs, log=lambda line: print(line, flush=True), settings=settings)
    record = campaign.run(jobs)
    for line in summary_lines(record):
        print(line)
    return 1 if any(job["status"] == "failed" for job in record["jobs"]) else 0


def cmd_campaign_import(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.campaign_import import import_files
    from ferlib.results import PAPER_RESULTS

    target = Path(args.to) if args.to else PAPER_RESULTS
    report = import_files(args.files, results_dir=target, store_dir=args.store, replace=args.replace,
                          profile=args.profile)
    if report["problems"]:
        for problem in report["problems"]:
            print(f"problem: {problem}", file=sys.stderr)
        print(f"nothing imported: {len(report['problems'])} problems; {target} is unchanged", file=sys.stderr)
        return 1
    print(f"imported {len(report['imported'])} runs into {target}: {', '.join(report['imported']) or 'none'}")
    for rid, difference in report["replaced"]:
        print(f"replaced {rid}: {difference}")
    if report["kept"]:
        print(f"already there, kept: {', '.join(report['kept'])}")
    if report["weights"]:
        print(f"weights into {args.store}: {', '.join(report['weights'])}")
    for note in report["notes"]:
        print(f"note: {note}")
    for key in report["missing_removed"]:
        print(f"missing.json: removed {list(key)} (now committed)")
    return 0


COMMANDS.update({"pack": cmd_pack, "campaign": cmd_campaign, "campaign-import": cmd_campaign_import})


# --------------------------------------------------------------------------- predict
# A stored run's network on the faces of any image (ferlib.predict; the paper's Fig. 10).


def _add_predict_command(commands):
    p = commands.add_parser("predict", help="the seven expression probabilities of each face in images, "
                                            "from a stored run's network")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, TIFF...)")
    p.add_argument("--run", required=True, metavar="RUN_ID", help="the run whose network predicts "
                                                                  "(python -m ferlib runs lists them)")
    p.add_argument("--store", default=DEFAULT_STORE, help="run store holding the run (default: %(default)s)")
    p.add_argument("--out", dest="annotate_to", default=None, metavar="FILE_OR_DIR",
                   help="write each image with its faces' boxes and top labels: to FILE for one image "
                        "(.png, .jpg...), else into the folder DIR as <name>.predicted.<its suffix>")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_predict(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.labels import EMOTIONS
    from ferlib.predict import annotated_paths, load_run_model, predict_images, prediction_rows, write_annotated

    model = load_run_model(args.run, args.store)
    predictions = predict_images(args.images, model)
    if args.annotate_to is not None:
        annotated_paths(predictions, args.annotate_to)  # every target checked before anything is printed
    rows = prediction_rows(predictions)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            x0, y0, x1, y1 = row["box"]
            probabilities = " ".join(f"{name} {row[name]:.3f}" for name in EMOTIONS)
            print(f"{row['image']} face {row['face']} (x {x0}..{x1}, y {y0}..{y1}): {row['predicted']} | "
                  f"{probabilities}")
    if args.annotate_to is not None:
        for path in write_annotated(predictions, args.annotate_to):
            print(f"wrote {path}", file=sys.stderr)
    return 0


COMMANDS["predict"] = cmd_predict


# --------------------------------------------------------------------------- the modern recipe
# Beyond the paper (ferlib.recipe): `train --recipe modern`, `finetune --recipe modern` (the
# source run trains with the recipe, the fine-tune keeps the protocol's settings), and the
# recipe's ablation on validation.


def _add_recipe_commands(commands):
    # saves start-up time: a command loads only what it runs
    from ferlib.recipe import ABLATION_DATASET, ABLATION_MODEL, RECIPES

    for name, text in (("train", "train with a recipe beyond the paper (ferlib.recipe; options given "
                                 "by hand win over it)"),
                       ("finetune", "train the source run with a recipe beyond the paper; the fine-tune "
                                    "keeps the protocol's settings, so it differs from the protocol's "
                                    "fine-tune only in its starting weights")):
        commands.choices[name].add_argument("--recipe", choices=list(RECIPES), default=None, help=text)

    p = commands.add_parser("recipe", help="beyond the paper: the modern recipe and its ablation, one step "
                                           "changed at a time, compared on validation")
    p.add_argument("--model", type=int, choices=MODEL_IDS, default=ABLATION_MODEL,
                   help="model (default: %(default)s)")
    p.add_argument("--dataset", choices=DATASETS, default=ABLATION_DATASET, help="data set (default: %(default)s)")
    p.add_argument("--seeds", default="0-1", help="seeds: 0,1 or 0-2 (default: %(default)s)")
    p.add_argument("--cells", nargs="+", default=None, help="cells to train (default: all)")
    p.add_argument("--profile", choices=list(PROFILES), default="paper")
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's 100 epochs")
    p.add_argument("--limit-train", type=int, default=None, help="cap the training images")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _add_common(p)


def cmd_recipe(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib import recipe

    _check_data_dir(args)
    if args.seed is not None:
        raise ValueError("recipe takes --seeds (several), not --seed")
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    known = list(recipe.ABLATION) + list(recipe.EVALUATION_CELLS)
    unknown = [cell for cell in args.cells or () if cell not in known]
    if unknown:
        raise ValueError(f"--cells: unknown {unknown}; known: {known}")
    runs = recipe.run_ablation(args.store, data_dir=args.data_dir, cache_dir=args.cache_dir, cells=args.cells,
                               seeds=parse_seeds(args.seeds), model=args.model, dataset=args.dataset,
                               profile=args.profile, epochs=args.epochs, limit_train=args.limit_train,
                               verbose=0 if args.quiet else 1)
    table = recipe.ablation_frame(runs).drop(columns=["val_by_seed"])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


COMMANDS["recipe"] = cmd_recipe
