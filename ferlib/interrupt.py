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
  (:func:`requested`), not the error it caused;
- a ``KeyboardInterrupt`` that Python swallows because the signal landed in a finaliser or
  a garbage-collector callback (JAX runs one at every collection) prints no "Exception
  ignored ... Traceback" (:func:`_quiet_swallowed`): the Ctrl-C stays recorded, so a
  training still stops at its next safe point, and the next Ctrl-C raises at once.

Without :func:`watch` (a notebook, a library call) nothing changes: SIGINT keeps Python's
own handler and :func:`raise_if_requested` does nothing.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

_state = {"watching": False, "requested": False, "deferred": 0, "unraisablehook": None}


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


def _quiet_swallowed(unraisable) -> None:
    """``sys.unraisablehook`` while :func:`watch` is active.

    Python calls it with an exception it cannot raise: one from a finaliser (``__del__``), a
    weakref or garbage-collector callback. A Ctrl-C that arrives while the main thread is in
    C code that allocates is handled at the first Python line run next, often such a
    callback (JAX's ``_xla_gc_callback`` runs at every collection), so the
    ``KeyboardInterrupt`` of :func:`_on_sigint` lands there and Python would print it as
    "Exception ignored in ... Traceback". It is dropped instead: the Ctrl-C is recorded
    (:func:`requested`), which is what stops a training and what the command line reports.
    Every other exception goes to the hook that was there before."""
    if _state["requested"] and issubclass(unraisable.exc_type, KeyboardInterrupt):
        return
    (_state["unraisablehook"] or sys.__unraisablehook__)(unraisable)


@contextlib.contextmanager
def watch():
    """Record Ctrl-C for the duration of the block (see the module docstring); the
    previous SIGINT handler and ``sys.unraisablehook`` come back afterwards. Only the main
    thread can set signal handlers: elsewhere the block changes nothing."""
    if threading.current_thread() is not threading.main_thread() or _state["watching"]:
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    _state.update(watching=True, requested=False, deferred=0, unraisablehook=sys.unraisablehook)
    sys.unraisablehook = _quiet_swallowed
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = _state["unraisablehook"]
        _state.update(watching=False, requested=False, deferred=0, unraisablehook=None)


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
