"""The GPU campaign's commands: ``pack`` (the real data sets as a compact lossless pack,
:mod:`ferlib.pack`), ``campaign`` (train what the CPU cannot afford within a time budget,
:mod:`ferlib.campaign`) and ``campaign-import`` (take its returned files into the committed
results, :mod:`ferlib.campaign_import`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ferlib import options
from ferlib.commands.common import DEFAULT_STORE, _check_data_dir, parse_seeds
from ferlib.config import DATASETS, MODEL_IDS, PROFILES

DEFAULT_PACK = ".pack"


def add_pack(commands):
    p = commands.add_parser("pack", help="write the real data sets as a compact lossless pack (for a GPU machine)")
    p.add_argument("--data-dir", required=True, help="root of the real data sets")
    p.add_argument("--out", default=DEFAULT_PACK, help="pack folder (default: %(default)s, ignored by git)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=None,
                   help="data sets to pack (default: fer2013 jaffe ckplus7, those found: what the campaign "
                        "trains; jaffe ckplus7 alone for a small-data call whose FER2013 runs come with "
                        "their weights)")
    p.add_argument("--cache-dir", default=None, help="folder to cache parsed real data in")
    p.add_argument("--wheels", default=".whl", help="wheel folder counted in the size report (default: %(default)s)")


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


def add_campaign(commands):
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
    p.add_argument("--transfer-models", type=int, nargs="+", choices=MODEL_IDS, default=list(MODEL_IDS),
                   help="models of the transfer phase: fine-tunes of every subject-independent fold (with "
                        "the fold from scratch where it is not committed), and JAFFE and CK+ on split "
                        "seeds 1 and 2 (default: 1 2 3)")
    p.add_argument("--results", default=None, help="committed results (default: results/paper)")
    p.add_argument("--precision", default=None,
                   help="Keras dtype policy of every run: float32 or mixed_bfloat16 (default: the protocol's, "
                        "float32 but where a stated deviation says otherwise)")
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


def add_campaign_import(commands):
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


#: This group's commands: ``{name: (add its parser, run it)}``.
COMMANDS = {"pack": (add_pack, cmd_pack), "campaign": (add_campaign, cmd_campaign),
            "campaign-import": (add_campaign_import, cmd_campaign_import)}
