"""The command line of ferlib: ``python -m ferlib COMMAND [options]``.

``python -m ferlib --help`` lists the commands, ``python -m ferlib COMMAND --help`` their
options.

Every command prints what it does; errors in the user's input end with exit status 2
and one line naming the parameter, file or row at fault.

This module is the entry point: the parser, in the order of :data:`ORDER`, and
:func:`main` with its error handling. The commands live in :mod:`ferlib.commands`, one
module per group; the options they share in :mod:`ferlib.commands.common`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from pathlib import Path

from ferlib import interrupt
from ferlib.commands import book, campaign, data, predict, results, training
from ferlib.commands.common import (  # the helpers the commands share, importable from here as before
    DEFAULT_STORE,
    _config,
    _overrides,
    _source_config,
    parse_seeds,
)

__all__ = [
    "COMMANDS",
    "DEFAULT_STORE",
    "FOLDER_OPTIONS",
    "ORDER",
    "_config",
    "_overrides",
    "_source_config",
    "build_parser",
    "check_folder_options",
    "interrupted_line",
    "main",
    "parse_seeds",
]

#: The command groups: modules of :mod:`ferlib.commands`, each with its ``COMMANDS``.
GROUPS = (data, training, results, campaign, book, predict)

#: The commands in the order ``python -m ferlib --help`` lists them, the order of the work: the
#: data and the networks, one run and the paper's runs, the results, the runs beyond the paper's
#: split and the studies, the book; then the audits of the splits, the GPU campaign, prediction
#: and the recipe beyond the paper.
ORDER = ("datasets", "models", "train", "finetune", "reproduce", "runs", "export", "missing", "check",
         "retrained", "transfer", "probe", "study", "book", "baselines", "leakage", "pack", "campaign",
         "campaign-import", "predict", "recipe")

_ENTRIES = {name: entry for group in GROUPS for name, entry in group.COMMANDS.items()}

#: ``{command: function running it}``: ``function(args) -> exit status``.
COMMANDS = {name: _ENTRIES[name][1] for name in ORDER}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ferlib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ORDER:
        add_parser, _ = _ENTRIES[name]
        add_parser(commands)
    return parser


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or an option argparse refused (its message is printed)
        return stop.code
    with interrupt.watch():  # Ctrl-C during a training stops it at the end of a batch
        try:
            check_folder_options(args)
            _resolve_pack(args)
            with warnings.catch_warnings():
                warnings.showwarning = _one_line_warning
                return COMMANDS[args.command](args)
        except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback
            pass
        except Exception as error:
            if not interrupt.requested():
                return _error_status(error)
            # an error that Ctrl-C caused (in a library's code): the interrupt is what happened
        print(interrupted_line(argv), file=sys.stderr)
        return 130


def _error_status(error: Exception) -> int:
    """Print ``error`` as one line and return exit status 2 for the errors of bad input
    (0 for a closed pipe); raise any other error again."""
    # saves start-up time: a command loads only what it runs
    from ferlib.store import RunLocked

    if isinstance(error, (ValueError, FileNotFoundError, FloatingPointError, RunLocked)):
        print(f"error: {error}", file=sys.stderr)
        return 2
    if isinstance(error, BrokenPipeError):  # the reader went away (``| head``): stop quietly
        sys.stderr.close()
        return 0
    if isinstance(error, OSError):  # a file where a folder is expected, permissions, a full disk
        where = f" {error.filename}" if getattr(error, "filename", None) else ""
        print(f"error:{where}: {error.strerror or error}", file=sys.stderr)
        return 2
    raise error


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
