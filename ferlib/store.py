"""The run store: one folder per finished run, keyed by the run id.

A run's id is a hash of its :class:`~ferlib.config.RunConfig`, the fingerprint of its
data and ferlib's numerics version (see :mod:`ferlib.identity`). A finished run's folder
``<store>/<run id>/`` holds:

- ``config.json``      the run config
- ``manifest.json``    run id, data fingerprint, numerics version, package versions,
                       backend, device, wall time, images/s, git commit
- ``history.csv``      one row per epoch: loss, accuracy, val_loss, val_accuracy
- ``metrics.json``     ``{"test": {...}, "val": {...}, "best_epoch": ...}``
- ``predictions.csv.gz``  one row per val and test image (``part`` column): true and
                       predicted label, the 7 probabilities; CSV compressed with gzip,
                       byte for byte the same for the same predictions
                       (:func:`predictions_bytes`). Runs written before keep a plain
                       ``predictions.csv``: it is read as well, and an export or
                       :func:`compress_predictions` turns it into ``predictions.csv.gz``
- ``model.keras``      the weights of the best epoch (absent in results kept in git)

- ``sha256.txt``       the sha256 of each of these files (``sha256sum -c`` format)

The folder is made under a temporary name and renamed into place in one step, so a
run killed at any moment never looks complete. Checkpoints of unfinished runs live in
``<store>/.partial/<run id>/`` and let a killed run resume from its last epoch.

A run folder is only used once it passes :func:`run_problems`: every file readable, the
manifest's id the folder's name, every file as ``sha256.txt`` records it (when there is
one; older runs have none) and ``model.keras`` a complete archive. A folder that fails is
a broken run: :meth:`RunStore.scan` reports it by name, :meth:`RunStore.runs` leaves it
out and :meth:`RunStore.get` treats it as absent, so it is trained again, never served.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import shutil
import socket
import warnings
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from ferlib import atomic, destinations
from ferlib.config import RunConfig
from ferlib.excerpt import excerpt
from ferlib.fingerprint import file_sha256
from ferlib.jsonfile import read_json_object

#: A run's predictions: CSV compressed with gzip (about 4 times smaller than the CSV).
PREDICTIONS_FILE = "predictions.csv.gz"
#: The plain CSV predictions of runs written by older ferlib versions: read as well, and
#: replaced by :data:`PREDICTIONS_FILE` on export (:func:`compress_predictions`).
LEGACY_PREDICTIONS_FILE = "predictions.csv"
REQUIRED_FILES = ("config.json", "manifest.json", "history.csv", "metrics.json", PREDICTIONS_FILE)
MODEL_FILE = "model.keras"
#: Every name a run folder may hold besides ``sha256.txt``.
RUN_FILES = (*REQUIRED_FILES, LEGACY_PREDICTIONS_FILE, MODEL_FILE)
#: The most bytes a run's predictions may take once decompressed (FER2013's 7,178
#: images take about 0.7 MB): a larger file is no run's, and is not read into memory.
MAX_PREDICTIONS_BYTES = 64 * 2**20
#: Each run's sha256 of each of its files, in ``sha256sum`` format (so
#: ``sha256sum -c sha256.txt`` in a run folder checks it too).
CHECKSUMS_FILE = "sha256.txt"
#: The columns every run's predictions have (besides the probabilities).
PREDICTION_COLUMNS = ("part", "true", "predicted")


class BrokenRun(ValueError):
    """A run folder whose files cannot be trusted (unreadable, truncated or edited): the
    message names the folder, the file and what is wrong."""


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
        """The trained Keras model (best epoch), loaded with ``safe_mode=True``.

        Raises ``FileNotFoundError`` for a run without weights and :class:`BrokenRun`
        naming the file for weights that are truncated, edited or not a Keras model."""
        # saves start-up time: Keras loads TensorFlow
        import keras

        import ferlib.augment  # noqa: F401  (registers ferlib's custom layers)
        import ferlib.models  # noqa: F401  (registers Standardize, the input layer of standardised runs)

        path = self.path / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: this run keeps no weights (results kept in git have none); "
                f"train it again into a local store to get them"
            )
        problem = model_problem(self.path)
        if problem:
            raise BrokenRun(problem)
        try:
            return keras.saving.load_model(path, safe_mode=True)
        except Exception as error:  # Keras raises many kinds for a bad file
            raise BrokenRun(f"{path}: not a readable Keras model ({type(error).__name__}: {error}); "
                            f"train the run again") from error


def _read_json(path: Path) -> dict:
    """A run's JSON file as a dict; :class:`BrokenRun` names the file otherwise."""
    return read_json_object(path, error=BrokenRun)


def gzip_bytes(data: bytes) -> bytes:
    """``data`` compressed with gzip, the same bytes for the same ``data``: no time stamp
    and no file name in the header (level 9)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


def predictions_bytes(predictions: pd.DataFrame) -> bytes:
    """The bytes of :data:`PREDICTIONS_FILE` for a predictions frame (one row per image):
    its CSV (no index, UTF-8) compressed by :func:`gzip_bytes`, so the same predictions
    always give the same bytes and the same sha256."""
    return gzip_bytes(predictions.to_csv(index=False).encode("utf-8"))


def predictions_path(folder) -> Path:
    """The file holding a run's predictions: ``<folder>/predictions.csv.gz``, or the
    plain ``predictions.csv`` of an older run where only that one exists."""
    folder = Path(folder)
    legacy = folder / LEGACY_PREDICTIONS_FILE
    if not (folder / PREDICTIONS_FILE).exists() and legacy.exists():
        return legacy
    return folder / PREDICTIONS_FILE


def run_file_names(folder) -> tuple:
    """:data:`REQUIRED_FILES` as the run folder ``folder`` names them (an older run's
    ``predictions.csv`` in place of ``predictions.csv.gz``)."""
    name = predictions_path(folder).name
    return tuple(name if file == PREDICTIONS_FILE else file for file in REQUIRED_FILES)


def read_predictions_text(path) -> bytes:
    """The CSV bytes of a predictions file, decompressed when its name ends in ``.gz``;
    :class:`BrokenRun` names a file that is not complete gzip data or holds more than
    :data:`MAX_PREDICTIONS_BYTES` once decompressed (nothing more is read)."""
    path = Path(path)
    if not path.name.endswith(".gz"):
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read(MAX_PREDICTIONS_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise BrokenRun(f"{path}: not complete gzip-compressed CSV ({str(error) or type(error).__name__}); the file "
                        f"is truncated or was edited") from None
    if len(data) > MAX_PREDICTIONS_BYTES:
        raise BrokenRun(f"{path}: holds more than {MAX_PREDICTIONS_BYTES:,} bytes once decompressed, more than "
                        f"a run's predictions; not read")
    return data


def _read_csv(path: Path, columns=(), data: bytes | None = None) -> pd.DataFrame:
    """A run's CSV file (``data``: its bytes, already read) with at least ``columns``;
    :class:`BrokenRun` names the file otherwise."""
    try:
        frame = pd.read_csv(path if data is None else io.BytesIO(data))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise BrokenRun(f"{path}: not a readable CSV file ({error}); the file is truncated or was edited") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BrokenRun(f"{path}: lacks the column(s) {missing}; the file is truncated or was edited")
    return frame


def read_run(path) -> Run:
    """Read a finished run folder.

    Raises ``FileNotFoundError`` naming the missing files, and :class:`BrokenRun` naming
    the file that cannot be read (not JSON, not CSV, an invalid config, a manifest
    without a run id). It does not check ``sha256.txt``: see :func:`run_problems`."""
    path = Path(path)
    missing = [name for name in run_file_names(path) if not (path / name).exists()]
    if missing:
        raise FileNotFoundError(f"{path} is not a finished run: missing {', '.join(missing)}")
    values = _read_json(path / "config.json")
    try:
        config = RunConfig.from_dict(values)
    except (TypeError, ValueError) as error:
        raise BrokenRun(f"{path / 'config.json'}: not a valid run config ({error})") from None
    manifest = _read_json(path / "manifest.json")
    if not isinstance(manifest.get("run_id"), str):
        raise BrokenRun(f"{path / 'manifest.json'}: has no run_id")
    return Run(
        path=path,
        config=config,
        manifest=manifest,
        history=_read_csv(path / "history.csv"),
        metrics=_read_json(path / "metrics.json"),
        predictions=read_predictions(path),
    )


def read_predictions(folder) -> pd.DataFrame:
    """A run folder's predictions (:func:`predictions_path`) as a frame with at least
    :data:`PREDICTION_COLUMNS`; :class:`BrokenRun` names the file that cannot be read."""
    path = predictions_path(folder)
    return _read_csv(path, PREDICTION_COLUMNS, read_predictions_text(path))


def metrics_text(metrics: dict) -> str:
    """``metrics.json``'s text: one line, keys sorted, no spaces (indented, the metrics were
    a tenth of the results a GPU call carries)."""
    return json.dumps(metrics, sort_keys=True, separators=(",", ":")) + "\n"


def compact_metrics(folder) -> Path:
    """Rewrite an older run's indented ``<folder>/metrics.json`` on one line
    (:func:`metrics_text`; the same JSON, read back equal, written atomically); returns its
    path. Nothing happens where it is one line already. The caller seals the folder again."""
    path = Path(folder) / "metrics.json"
    text = path.read_text()
    metrics = json.loads(text)
    compact = metrics_text(metrics)
    if text != compact:
        if json.loads(compact) != metrics:
            raise ValueError(f"{path}: does not read back equal on one line")
        atomic.write_text(path, compact)
    return path


def compress_predictions(folder) -> Path:
    """Turn an older run's plain ``<folder>/predictions.csv`` into ``predictions.csv.gz``
    (the same CSV bytes, :func:`gzip_bytes`; written atomically, then the plain file is
    removed); returns the predictions' path. Nothing happens where there is no plain file.
    The caller seals the folder again (``sha256.txt`` names the old file until then)."""
    folder = Path(folder)
    legacy = folder / LEGACY_PREDICTIONS_FILE
    if not legacy.exists():
        return folder / PREDICTIONS_FILE
    atomic.write_bytes(folder / PREDICTIONS_FILE, gzip_bytes(legacy.read_bytes()))
    legacy.unlink()
    return folder / PREDICTIONS_FILE


def seal_files(folder, names) -> Path:
    """Write ``<folder>/sha256.txt`` with the sha256 of each file of ``names`` (those
    present), atomically; returns its path."""
    folder = Path(folder)
    lines = [f"{file_sha256(folder / name)}  {name}\n" for name in names if (folder / name).exists()]
    return atomic.write_text(folder / CHECKSUMS_FILE, "".join(lines))


def read_checksums(folder) -> dict:
    """``{file name: sha256}`` from ``<folder>/sha256.txt`` (empty when there is none);
    :class:`BrokenRun` names a line that is not ``<sha256>  <file name>``."""
    path = Path(folder) / CHECKSUMS_FILE
    if not path.exists():
        return {}
    recorded = {}
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise BrokenRun(f"{path}: line {number} is not '<sha256>  <file name>': {excerpt(line)}")
        recorded[name] = digest
    return recorded


def checksum_problems(folder, allowed=RUN_FILES, *, only=None) -> list:
    """Sentences naming each file whose bytes differ from ``sha256.txt`` (or that it
    lists and is missing or not one of ``allowed``); empty when all match or the folder
    has no ``sha256.txt``. ``only``: check just these file names."""
    folder = Path(folder)
    try:
        recorded = read_checksums(folder)
    except BrokenRun as error:
        return [str(error)]
    problems = []
    for name, digest in recorded.items():
        if only is not None and name not in only:
            continue
        if name not in allowed:
            problems.append(f"{folder / CHECKSUMS_FILE}: lists {name!r}, which is not a run file")
        elif not (folder / name).exists():
            problems.append(f"{folder}: {name} is missing")
        elif file_sha256(folder / name) != digest:
            problems.append(f"{folder / name}: changed since the run was written (its sha256 differs "
                            f"from {CHECKSUMS_FILE}): truncated or edited")
    return problems


def _listed(folder) -> list:
    """The file names ``sha256.txt`` lists (all of them where it cannot be parsed, so
    that :func:`checksum_problems` reports it)."""
    try:
        return list(read_checksums(folder))
    except BrokenRun:
        return [CHECKSUMS_FILE]


def model_problem(folder) -> str | None:
    """What is wrong with ``<folder>/model.keras``, or ``None`` (also when absent): a
    sha256 that differs from ``sha256.txt``, or a file that is not a complete zip archive
    (a ``.keras`` file is one)."""
    path = Path(folder) / MODEL_FILE
    if not path.exists():
        return None
    problems = checksum_problems(folder, only=(MODEL_FILE,))
    if problems:
        return problems[0]
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f"{path}: not a complete Keras archive ({error}): truncated or damaged"
    return None


def run_problems(path, *, check_model: bool = True) -> tuple:
    """``(run, problems)`` for a run folder: the :class:`Run` read from it (``None`` when
    it cannot be read) and sentences naming each file at fault (empty: the folder can be
    trusted). Checks what :func:`read_run` checks, that the manifest's run id is the
    folder's name, ``sha256.txt`` when there is one and, with ``check_model``,
    ``model.keras`` (:func:`model_problem`)."""
    path = Path(path)
    try:
        run = read_run(path)
    except (FileNotFoundError, BrokenRun) as error:
        return None, [str(error)]
    problems = []
    if run.manifest["run_id"] != path.name:
        problems.append(f"{path / 'manifest.json'}: run_id {run.manifest['run_id']!r} is not the "
                        f"folder's name")
    recorded = [name for name in _listed(path) if name != MODEL_FILE]
    problems += checksum_problems(path, only=recorded)
    if check_model:
        problem = model_problem(path)
        if problem:
            problems.append(problem)
    return run, problems


def check_replaceable_run(folder) -> None:
    """Raise ``ValueError`` unless ``folder`` is missing or is a run folder a store or an
    export could have written: named by a run id (:data:`ferlib.destinations.RUN_ID`)
    and holding a run's files only (:data:`RUN_FILES`, :data:`CHECKSUMS_FILE`), whole
    or broken. A run folder is replaced whole, so
    anything else there would be lost: nothing is replaced then."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ValueError(f"{folder}: exists and is not a run folder (a {'link' if folder.is_symlink() else 'file'}); "
                         f"nothing was replaced: move it away")
    if not folder.exists():
        return
    if not destinations.RUN_ID.match(folder.name):
        raise ValueError(f"{folder}: not named by a run id; ferlib replaces only run folders it wrote, "
                         f"nothing was replaced")
    extra = destinations.unexpected_names(folder, {*RUN_FILES, CHECKSUMS_FILE})
    if extra:
        raise ValueError(f"{folder}: holds {destinations.listed(extra)}, which are not a run's files; ferlib "
                         f"replaces only run folders it wrote, nothing was replaced: move them away")


class RunLocked(RuntimeError):
    """Another live process is training the same run into the same store."""


class _WriterLock:
    """``<store>/.partial/<run id>.lock`` holding the writer's host and pid (see
    :meth:`RunStore.writer`). Taking it also removes the temporary files that killed
    writers left in the store and in the run's checkpoint folder."""

    def __init__(self, path: Path, clean=()):
        self.path = path
        self.owner = f"{socket.gethostname()} {os.getpid()}"
        self.clean = tuple(clean)

    def _holder_alive(self) -> tuple:
        try:
            host, pid = self.path.read_text().split()
            pid = int(pid)
        except (OSError, ValueError):
            return None, False  # unreadable or half-written: a dead writer's
        return f"{host} {pid}", atomic.process_alive(pid, host)

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
            for folder in self.clean:
                atomic.remove_stale_temporaries(folder)
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

    def _check_root(self) -> bool:
        """Whether the store's folder exists; ``NotADirectoryError`` when it is a file."""
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(20, "is a file; expected a run store folder", str(self.root))
        return self.root.is_dir()

    def path(self, rid: str) -> Path:
        return self.root / rid

    def partial_dir(self, rid: str) -> Path:
        """Where an unfinished run keeps its checkpoints."""
        return self.root / ".partial" / rid

    def writer(self, rid: str) -> _WriterLock:
        """A context manager that makes this process the only one training run ``rid``
        into this store: a second process gets :class:`RunLocked` naming the holder; the
        lock of a process that died is taken over. Entering it removes the temporary
        files of killed writes in the store and the run's checkpoint folder."""
        self._check_root()
        return _WriterLock(self.root / ".partial" / f"{rid}.lock",
                           clean=(self.root, self.partial_dir(rid)))

    def inspect(self, rid: str) -> tuple:
        """``(run, problems)`` for run ``rid``: ``(None, [])`` when the store has no such
        folder; otherwise as :func:`run_problems` (a run with problems must not be used)."""
        path = self.path(rid)
        if not self._check_root() or not path.is_dir():
            return None, []
        return run_problems(path)

    def get(self, rid: str) -> Run | None:
        """The finished run with this id, or ``None`` when there is none or its folder is
        broken (then with a warning naming the file at fault: it is trained again)."""
        run, problems = self.inspect(rid)
        if problems:
            warnings.warn(f"ignoring the broken run {self.path(rid)}: {'; '.join(problems)}", stacklevel=2)
            return None
        return run

    def scan(self) -> tuple:
        """``(runs, broken)``: every finished run that can be trusted, oldest first, and
        ``[(folder, problems)]`` for each other folder of the store (hidden folders,
        such as checkpoints and temporary folders, are not runs)."""
        if not self._check_root():
            return [], []
        found, broken = [], []
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            run, problems = run_problems(folder)
            if problems:
                broken.append((folder, problems))
            else:
                found.append(run)
        return sorted(found, key=lambda r: r.manifest.get("finished_at", "")), broken

    def runs(self) -> list:
        """Every finished run in the store that can be trusted, oldest first; a broken
        folder is left out with a warning naming it (see :meth:`scan`)."""
        found, broken = self.scan()
        for folder, problems in broken:
            warnings.warn(f"skipped the broken run folder {folder}: {'; '.join(problems)}", stacklevel=2)
        return found

    def save(self, rid, *, config, manifest, history, metrics, predictions, model=None) -> Run:
        """Write a finished run atomically and return it.

        Everything is written into a temporary sibling of ``<store>/<rid>/``, sealed
        with ``sha256.txt`` and renamed into place in one step (a broken folder of the
        same id is replaced); the run's checkpoints are removed after.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(rid)
        # an existing run folder (broken, or incomplete of an older layout) is replaced
        check_replaceable_run(final)
        with atomic.replacing_folder(final) as tmp:
            (tmp / "config.json").write_text(config.to_json() + "\n")
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            history.to_csv(tmp / "history.csv", index=False)
            # one line: a run's metrics (confusion matrices, per-class tables) are read by code, and
            # indented they were a tenth of the results a GPU call carries (python -m json.tool shows them)
            (tmp / "metrics.json").write_text(metrics_text(metrics))
            # compressed, always the same bytes for the same predictions (predictions_bytes)
            (tmp / PREDICTIONS_FILE).write_bytes(predictions_bytes(predictions))
            if model is not None:
                model.save(tmp / MODEL_FILE)
            seal_files(tmp, (*REQUIRED_FILES, MODEL_FILE))
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
