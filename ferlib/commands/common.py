"""What the commands share: the options of the run store, the data and training, and the
run config those options describe (:func:`_config`), checked at the boundary.

The names keep the leading underscore they had in :mod:`ferlib.cli` (which imports them
back): they belong to the command line, not to the library.
"""

from __future__ import annotations

from pathlib import Path

from ferlib import options
from ferlib.config import PROFILES

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
    parser.add_argument("--precision", default=None,
                        help="float32 or mixed_bfloat16 (default: float32, except the quick profile's "
                             "Models 1 and 3, which train in mixed_bfloat16 where the processor has "
                             "bfloat16 units)")
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
