"""Numeric command-line options with bounds: argparse ``type=`` functions.

Each returns the value when it is a number within its bounds, and otherwise raises
``argparse.ArgumentTypeError`` saying what was expected (argparse then stops with status
2 naming the option), so that a seed of 400 digits, ``--epochs 99999999999999999999999``
or ``--seeds 0-50000000`` never reach the code that would overflow or run out of memory.
"""

from __future__ import annotations

import argparse
import math

#: Seeds are 32-bit: NumPy's and the backends' generators take ``0 <= seed < 2**32``.
SEED_LIMIT = 2**32
#: The most seeds one ``--seeds`` option may name.
MAX_SEEDS = 1000
#: Upper bounds of the integer options: far above any real use, far below an overflow.
MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 65_536
MAX_IMAGES = 100_000_000
MAX_FOLDS = 1000
MAX_STEPS = 10_000_000
MAX_THREADS = 1024
#: The largest ``--budget-s``: 30 days.
MAX_BUDGET_S = 30 * 86400.0
#: The largest learning rate and augmentation scale accepted on the command line.
MAX_LEARNING_RATE = 10.0


def _digits(text: str) -> str:
    return text if len(text) <= 24 else f"a number of {len(text)} characters"


def bounded_int(low: int, high: int, what: str = "a whole number"):
    """An argparse type: a whole number ``low <= n <= high``."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip()) if len(text) <= 40 else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what} {low:,}..{high:,}, got {_digits(text)}")
        return value

    parse.__name__ = what.replace(" ", "_")  # argparse names the type in some messages
    return parse


def bounded_float(low: float, high: float, what: str = "a number", *, include_low: bool = False):
    """An argparse type: a finite number in ``(low, high]`` (``[low, high]`` with
    ``include_low``)."""
    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) <= 40 else math.nan
        except ValueError:
            value = math.nan
        above = value >= low if include_low else value > low
        if not (math.isfinite(value) and above and value <= high):
            bracket = "[" if include_low else "("
            raise argparse.ArgumentTypeError(f"expected {what} in {bracket}{low:g}, {high:g}], got {_digits(text)}")
        return value

    parse.__name__ = what.replace(" ", "_")
    return parse


seed = bounded_int(0, SEED_LIMIT - 1, "a seed")
epochs = bounded_int(1, MAX_EPOCHS, "a number of epochs")
batch_size = bounded_int(1, MAX_BATCH_SIZE, "a batch size")
images = bounded_int(1, MAX_IMAGES, "a number of images")
fold = bounded_int(0, MAX_FOLDS - 1, "a fold")
folds = bounded_int(1, MAX_FOLDS, "a number of folds")
steps = bounded_int(1, MAX_STEPS, "a number of steps")
count = bounded_int(0, MAX_STEPS, "a count")
threads = bounded_int(1, MAX_THREADS, "a number of threads")
learning_rate = bounded_float(0.0, MAX_LEARNING_RATE, "a learning rate")
scale = bounded_float(0.0, MAX_LEARNING_RATE, "a scale")
runs = bounded_int(1, MAX_STEPS, "a number of runs")
budget_s = bounded_float(0.0, MAX_BUDGET_S, "a number of seconds")


def seeds(text: str) -> str:
    """An argparse type for ``--seeds``: ``0,2,5`` or ``0-3`` (or both, comma-separated),
    each seed a 32-bit seed, at most :data:`MAX_SEEDS` seeds in all. Returns ``text``,
    which ``ferlib.cli.parse_seeds`` turns into the list, unchanged."""
    total = 0
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        ends = [low, high] if dash else [low]
        if not all(end.strip().isdigit() and len(end.strip()) <= 10 for end in ends):
            raise argparse.ArgumentTypeError(f"expected seeds like 0,1,2 or 0-3, got {_digits(text)}")
        first, last = int(ends[0]), int(ends[-1])
        if last >= SEED_LIMIT:
            raise argparse.ArgumentTypeError(f"seeds must be below 2**32 = {SEED_LIMIT:,}, got {_digits(text)}")
        total += max(0, last - first + 1)
        if total > MAX_SEEDS:
            raise argparse.ArgumentTypeError(f"at most {MAX_SEEDS:,} seeds, got {_digits(text)} "
                                             f"({total:,} or more)")
    return text
