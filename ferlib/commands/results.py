"""The commands on finished runs: ``runs`` (a store's runs), ``export`` (into the committed
results), ``missing`` (the paper's experiments without a committed run), ``check`` (audit
the committed results) and ``retrained`` (does a run trained again reproduce its committed
one?).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from ferlib.commands.common import DEFAULT_STORE
from ferlib.vocabulary import SUBJECT_PROTOCOL_TITLES


def add_runs(commands):
    p = commands.add_parser("runs", help="list the runs in a store with their main metrics")
    p.add_argument("--store", default=DEFAULT_STORE)
    p.add_argument("--json", action="store_true")


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


def add_export(commands):
    p = commands.add_parser("export", help="copy finished real-data runs, without weights, into results/")
    p.add_argument("--store", required=True, help="the run store to export from")
    p.add_argument("--to", default=None, help="results folder (default: results/paper)")
    p.add_argument("--all", action="store_true", help="export synthetic-data runs too")
    p.add_argument("--replace", action="store_true",
                   help="replace runs committed already (default: keep them)")


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


def add_missing(commands):
    p = commands.add_parser("missing", help="the paper's experiments without a committed run, and the compute they need")
    p.add_argument("--results", default=None, help="results folder (default: results/paper)")
    p.add_argument("--save", action="store_true", help="rewrite the folder's missing.json")
    p.add_argument("--store", default=None,
                   help="a run store where missing runs may be training: their checkpoint's state "
                        "(epochs done) is printed, never saved")


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
    from ferlib.missing import CPU_CORES, recipe_missing, transfer_missing
    from ferlib.results import committed_runs, read_dataset_summaries

    runs, summaries = committed_runs(folder), read_dataset_summaries(folder)
    for row in transfer_missing(runs, summaries=summaries):
        print(f"model {row['model']}, {row['what']}: {row['runs']} runs not committed, {row['cpu']} on 2 CPU "
              f"cores; they need {row['needs']}")
    for row in recipe_missing(runs, summaries=summaries):
        if row["runs"]:
            print(f"beyond the paper, {row['what']}: {row['runs']} of {row['planned']} runs not committed, "
                  f"{row['cpu']} on {CPU_CORES} CPU cores at {row['rate']}"
                  + (f"; they need {row['needs']}" if row["needs"] else ""))
    # saves start-up time: a command loads only what it runs
    from ferlib.precision_check import CHECKED_PRECISION, missing_check_runs

    for model, dataset, seed in missing_check_runs(runs):
        print(f"the bfloat16 equivalence check: model {model} {dataset} seed {seed} not committed: python -m "
              f"ferlib train --model {model} --dataset {dataset} --seed {seed} --precision {CHECKED_PRECISION} "
              f"--profile paper --data-dir DATA")
    if args.save:
        print(f"wrote {save_missing(folder)} ({len(entries)} experiments)")
    return 0


def add_check(commands):
    p = commands.add_parser("check", help="audit committed results: ids, numerics version, metrics")
    p.add_argument("--results", default=None, help="results folder (default: results/paper)")


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


def add_retrained(commands):
    p = commands.add_parser("retrained", help="compare a run trained again (in a store) with the committed "
                                              "run it must reproduce (same id)")
    p.add_argument("run_id", help="the committed run's id, e.g. f9a0f7684f0d78f9")
    p.add_argument("--store", required=True, help="the run store holding the run trained again")
    p.add_argument("--results", default=None, help="results folder (default: results/paper)")


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


#: This group's commands: ``{name: (add its parser, run it)}``.
COMMANDS = {"runs": (add_runs, cmd_runs), "export": (add_export, cmd_export),
            "missing": (add_missing, cmd_missing), "check": (add_check, cmd_check),
            "retrained": (add_retrained, cmd_retrained)}
