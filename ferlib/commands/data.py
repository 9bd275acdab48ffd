"""The data commands: ``datasets`` (find the data sets under a folder and count them, the
paper's Table 1), and, on the paper's splits for several split seeds, ``baselines``
(non-CNN baselines, :mod:`ferlib.baselines`) and ``leakage`` (test images whose subject,
sequence or pixels the train part has, :mod:`ferlib.leakage`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ferlib import options
from ferlib.commands.common import _add_pack, _check_data_dir, parse_seeds
from ferlib.vocabulary import SUBJECT_PROTOCOLS, audit_datasets


def add_datasets(commands):
    p = commands.add_parser("datasets", help="find the data sets under a folder and count them (Table 1)")
    p.add_argument("--data-dir", default=None, help="folder holding fer2013/, jaffe/, ckplus/ ...")
    p.add_argument("--cache-dir", default=None)
    _add_pack(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--save", default=None, metavar="PATH",
                   help="also write the counts and fingerprints (no images) as JSON to PATH, "
                        "e.g. results/paper/datasets.json")


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


# --------------------------------------------------------------------------- baselines and leakage


def _add_split_audit(commands, name, text):
    """The parser of ``baselines`` or ``leakage``: the data, the data sets, the split seeds
    and protocol, and where the report goes."""
    names = audit_datasets("real")
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
    return p


def add_baselines(commands):
    p = _add_split_audit(commands, "baselines",
                         "majority class, pixel and HOG logistic regression on the CNNs' splits")
    p.add_argument("--threads", type=options.threads, default=1, help="BLAS/OpenMP threads per fit (default: %(default)s)")
    p.add_argument("--subject-independent", action="store_true",
                   help="every fold of JAFFE leave-one-subject-out and CK+ 10-fold grouped by subject "
                        "(instead of the paper's splits)")


def add_leakage(commands):
    _add_split_audit(commands, "leakage", "test images whose subject, sequence or pixels the train part has")


def _audit_datasets(args) -> tuple:
    if args.datasets:
        return tuple(args.datasets)
    return audit_datasets("real" if args.data_dir else "synthetic")


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


#: This group's commands: ``{name: (add its parser, run it)}``.
COMMANDS = {"datasets": (add_datasets, cmd_datasets), "baselines": (add_baselines, cmd_baselines),
            "leakage": (add_leakage, cmd_leakage)}
