"""Ctrl-C that always stops a command cleanly, even in the middle of a Keras training.

Python turns SIGINT into ``KeyboardInterrupt`` wherever the main thread happens to be.
Inside TensorFlow's tracing of a training step that can go wrong: the exception may be
swallowed (Python ignores an exception raised in a finaliser, and the training then goes
on for all its epochs) or turned into an unrelated error (a ``TypeError`` from a Keras
layer). So, while :func:`watch` is active:

- Ctrl-C is *recorded* (:func:`requested`); outside a :func:`deferred` block it also
  raises ``KeyboardInterrupt`` at once, as Python does by default;
- inside a :func:`deferred` block (a training's epochs) it is only recorded, and the
  training stops at the next safe point, the end of a batch or of an epoch, by calling
  :func:`raise_if_requested`; a second Ctrl-C raises at once;
- whatever error ends a command after Ctrl-C, the command line reports the interrupt
  (:func:`requested`), not the error it caused.

Without :func:`watch` (a notebook, a library call) nothing changes: SIGINT keeps Python's
own handler and :func:`raise_if_requested` does nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading

_state = {"watching": False, "requested": False, "deferred": 0}


def requested() -> bool:
    """Whether Ctrl-C was pressed since :func:`watch` began."""
    return _state["requested"]


def raise_if_requested() -> None:
    """Raise ``KeyboardInterrupt`` when Ctrl-C was pressed: the safe point of a deferred block."""
    if _state["requested"]:
        raise KeyboardInterrupt


def _on_sigint(signum, frame):
    again = _state["requested"]
    _state["requested"] = True
    if not _state["deferred"] or again:
        raise KeyboardInterrupt


@contextlib.contextmanager
def watch():
    """Record Ctrl-C for the duration of the block (see the module docstring); the
    previous SIGINT handler comes back afterwards. Only the main thread can set signal
    handlers: elsewhere the block changes nothing."""
    if threading.current_thread() is not threading.main_thread() or _state["watching"]:
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    _state.update(watching=True, requested=False, deferred=0)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _state.update(watching=False, requested=False, deferred=0)


@contextlib.contextmanager
def deferred():
    """Inside this block a first Ctrl-C is only recorded; the code in it calls
    :func:`raise_if_requested` at its safe points, and the block's end calls it too."""
    _state["deferred"] += 1
    try:
        yield
    finally:
        _state["deferred"] -= 1
    raise_if_requested()
