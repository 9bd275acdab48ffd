"""The ``book`` command: execute every notebook and build the book (:mod:`ferlib.book`),
by default the published book from the committed results."""

from __future__ import annotations

from ferlib import options
from ferlib.config import MODEL_IDS, PROFILES


def add_book(commands):
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


def cmd_book(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.book import build_book

    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    return build_book(profile=args.profile, data_dir=args.data_dir, store=args.store,
                      seed=args.seed, build_dir=args.build_dir, models=tuple(args.models),
                      epochs=args.epochs)


#: This group's commands: ``{name: (add its parser, run it)}``.
COMMANDS = {"book": (add_book, cmd_book)}
