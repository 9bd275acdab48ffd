"""The run store: one folder per finished run, keyed by the run id.

A run's id is a hash of its :class:`~ferlib.config.RunConfig`, the fingerprint of its
data and ferlib's numerics version (see :mod:`ferlib.identity`). A finished run's folder
``<store>/<run id>/`` holds:

- ``config.json``      the run config
- ``manifest.json``    run id, data fingerprint, numerics version, package versions,
                       backend, device, wall time, images/s, git commit
- ``history.csv``      one row per epoch: loss, accuracy, val_loss, val_accuracy
- ``metrics.json``     ``{"test": {...}, "val": {...}, "best_epoch": ...}``
- ``predictions.csv``  one row per val and test image (``part`` column): true and
                       predicted label, the 7 probabilities
- ``model.keras``      the weights of the best epoch (absent in results kept in git)

The folder is made under a temporary name and renamed into place in one step, so a
run killed at any moment never looks complete. Checkpoints of unfinished runs live in
``<store>/.partial/<run id>/`` and let a killed run resume from its last epoch.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import uuid
from pathlib import Path

import pandas as pd

from ferlib.config import RunConfig

REQUIRED_FILES = ("config.json", "manifest.json", "history.csv", "metrics.json", "predictions.csv")
MODEL_FILE = "model.keras"

@dataclasses.dataclass
class Run:
    """A finished run read back from the store."""

    path: Path
    config: RunConfig
    manifest: dict
    history: pd.DataFrame
    metrics: dict
    predictions: pd.DataFrame

    @property
    def id(self) -> str:
        return self.manifest["run_id"]

    @property
    def has_model(self) -> bool:
        return (self.path / MODEL_FILE).exists()

    def load_model(self):
        """The trained Keras model (best epoch), loaded with ``safe_mode=True``."""
        import keras

        import ferlib.augment  # noqa: F401  (registers ferlib's custom layers)

        path = self.path / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: this run keeps no weights (results kept in git have none); "
                f"train it again into a local store to get them"
            )
        return keras.saving.load_model(path, safe_mode=True)


def read_run(path) -> Run:
    """Read a finished run folder; ``FileNotFoundError`` names a missing file."""
    path = Path(path)
    missing = [name for name in REQUIRED_FILES if not (path / name).exists()]
    if missing:
        raise FileNotFoundError(f"{path} is not a finished run: missing {', '.join(missing)}")
    return Run(
        path=path,
        config=RunConfig.from_dict(json.loads((path / "config.json").read_text())),
        manifest=json.loads((path / "manifest.json").read_text()),
        history=pd.read_csv(path / "history.csv"),
        metrics=json.loads((path / "metrics.json").read_text()),
        predictions=pd.read_csv(path / "predictions.csv"),
    )


class RunLocked(RuntimeError):
    """Another live process is training the same run into the same store."""


class _WriterLock:
    """``<store>/.partial/<run id>.lock`` holding the writer's host and pid (see
    :meth:`RunStore.writer`)."""

    def __init__(self, path: Path):
        self.path = path
        self.owner = f"{socket.gethostname()} {os.getpid()}"

    def _holder_alive(self) -> tuple:
        try:
            host, pid = self.path.read_text().split()
            pid = int(pid)
        except (OSError, ValueError):
            return None, False  # unreadable or half-written: a dead writer's
        if host != socket.gethostname():
            return f"{host} {pid}", True  # another machine's process: cannot tell, keep out
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return f"{host} {pid}", False
        except PermissionError:
            pass
        return f"{host} {pid}", True

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder, alive = self._holder_alive()
                if alive:
                    raise RunLocked(f"{self.path.stem}: process {holder} is training this run into "
                                    f"{self.path.parent.parent} (lock {self.path}); wait for it to "
                                    f"finish, or stop it") from None
                self.path.unlink(missing_ok=True)  # a dead process's lock: take it over
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(self.owner)
            return self
        raise RunLocked(f"{self.path}: could not take the lock")

    def __exit__(self, *exc):
        try:
            if self.path.read_text() == self.owner:
                self.path.unlink()
        except OSError:
            pass
        return False


class RunStore:
    """A folder of finished runs (see the module docstring for the layout)."""

    def __init__(self, root):
        self.root = Path(root)

    def __repr__(self):
        return f"RunStore({str(self.root)!r})"

    def path(self, rid: str) -> Path:
        return self.root / rid

    def partial_dir(self, rid: str) -> Path:
        """Where an unfinished run keeps its checkpoints."""
        return self.root / ".partial" / rid

    def writer(self, rid: str) -> _WriterLock:
        """A context manager that makes this process the only one training run ``rid``
        into this store: a second process gets :class:`RunLocked` naming the holder; the
        lock of a process that died is taken over."""
        return _WriterLock(self.root / ".partial" / f"{rid}.lock")

    def get(self, rid: str) -> Run | None:
        """The finished run with this id, or ``None``."""
        path = self.path(rid)
        if not all((path / name).exists() for name in REQUIRED_FILES):
            return None
        return read_run(path)

    def runs(self) -> list:
        """Every finished run in the store, oldest first."""
        if not self.root.is_dir():
            return []
        found = [self.get(p.name) for p in self.root.iterdir()
                 if p.is_dir() and not p.name.startswith(".")]
        return sorted((r for r in found if r is not None),
                      key=lambda r: r.manifest.get("finished_at", ""))

    def save(self, rid, *, config, manifest, history, metrics, predictions, model=None) -> Run:
        """Write a finished run atomically and return it.

        Everything is written into ``<store>/.tmp-<random>/`` and then renamed to
        ``<store>/<rid>/`` in one step; the run's checkpoints are removed after.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tmp-{rid}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            (tmp / "config.json").write_text(config.to_json() + "\n")
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            history.to_csv(tmp / "history.csv", index=False)
            (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
            predictions.to_csv(tmp / "predictions.csv", index=False)
            if model is not None:
                model.save(tmp / MODEL_FILE)
            final = self.path(rid)
            if final.exists():  # a stale incomplete folder from an older layout
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(self.partial_dir(rid), ignore_errors=True)
        return read_run(final)


def training_seconds(run) -> float:
    """Seconds of training a run took over all its epochs (sum of the history's
    ``seconds`` column), counting every process of a run that was resumed from its
    checkpoint; evaluation and data loading are not included. Falls back to the
    manifest's ``train_seconds`` for a run without per-epoch times."""
    history = getattr(run, "history", None)
    if history is not None and "seconds" in history and len(history):
        return round(float(history["seconds"].sum()), 3)
    return run.manifest.get("train_seconds")


def runs_frame(runs) -> pd.DataFrame:
    """One row per run with its identity and main metrics, for ``ferlib runs`` and the book."""
    rows = []
    for run in runs:
        test = run.metrics.get("test", {})
        rows.append({
            "run_id": run.id,
            "model": run.config.model,
            "dataset": run.config.dataset,
            "source": run.config.source or "",
            "data": run.config.data,
            "protocol": run.config.protocol,
            "epochs": run.config.epochs,
            "seed": run.config.seed,
            "best_epoch": run.metrics.get("best_epoch"),
            "test_n": test.get("n"),
            "accuracy": test.get("accuracy"),
            "balanced_accuracy": test.get("balanced_accuracy"),
            "macro_f1": test.get("macro_f1"),
            "backend": run.config.backend,
            "train_time_s": training_seconds(run),
        })
    return pd.DataFrame(rows)
