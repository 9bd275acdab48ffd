"""Packs: the real data sets in a compact, lossless form, to carry them to a GPU machine.

A pack is a folder that any data root is interchangeable with: ``load_dataset(name, pack)``
and ``load_data(name, pack_dir=pack)`` return exactly the arrays, and so the fingerprint,
that loading the raw files gives. It holds:

- ``pack.json``: format and version; per data set its image count, its fingerprint
  (:func:`ferlib.fingerprint.dataset_fingerprint` of the loaded data set) and its two
  files, each with its size in bytes and sha256;
- ``<name>.images.xz``: the ``(n, 48, 48)`` uint8 images (see :func:`encode_images`);
- ``<name>.columns.json.xz``: labels, split, subject, sequence and source (each with its
  numpy dtype) and the loader's notes, as xz-compressed JSON.

Images are coded losslessly: each pixel ``x`` is predicted from its left (``a``), upper
(``b``) and upper-left (``c``) neighbours by the median edge detector of LOCO-I/JPEG-LS
(``min(a, b)`` when ``c >= max(a, b)``, ``max(a, b)`` when ``c <= min(a, b)``, else
``a + b - c``; the first row predicts from the left, the first column from above, the
first pixel is predicted as 0). The residual ``x - prediction`` (mod 256, as a signed
byte) is zig-zag mapped (0, -1, 1, -2, ... to 0, 1, 2, 3, ...) and the residual bytes
are compressed with LZMA2. On FER2013 this keeps 65% of the raw bytes, against 75% for
LZMA2 on the raw pixels and 70% for lossless WebP (measured on its first 5,000 images).

A pack is written into a temporary folder beside its destination and renamed into place;
reading it checks every file's sha256 and every data set's fingerprint, and an error
names the file at fault.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import re
import subprocess
import time
from pathlib import Path

import numpy as np

from ferlib import atomic, destinations
from ferlib.datasets.base import FaceDataset
from ferlib.fingerprint import dataset_fingerprint
from ferlib.jsonfile import read_json_object
from ferlib.vocabulary import SOURCE_DATASET, TARGET_RUN_DATASETS

PACK_FILE = "pack.json"
PACK_FORMAT = "ferlib-pack"
PACK_VERSION = 1
IMAGE_ENCODING = "med-zigzag-lzma2"
#: The data sets ``python -m ferlib pack`` writes by default (those found;
#: :func:`ferlib.datasets.discover.pack_data`): the ones the
#: GPU campaign trains (``tests/test_transfer_runs.py`` checks them against its plan); the
#: six-class CK+48 (``ckplus``), a stated variant, is packed only when named.
PACK_NAMES = (SOURCE_DATASET, *TARGET_RUN_DATASETS)
#: LZMA2 settings: literal context of 4 bits and no position bits suit residual bytes
#: (about 0.5% smaller than the defaults on FER2013).
_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9, "lc": 4, "lp": 0, "pb": 0}]
_STRING_COLUMNS = ("split", "subject", "sequence", "source")
_CHUNK = 4096  # images coded at a time (bounds the int16 work arrays)


# --------------------------------------------------------------------------- images


def _check_images(images) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"images must be a (n, height, width) uint8 array, got {images.dtype} {images.shape}")
    return images


def residuals(images) -> np.ndarray:
    """The zig-zag mapped prediction residuals of ``(n, h, w)`` uint8 images, same shape, uint8."""
    images = _check_images(images)
    out = np.empty_like(images)
    for start in range(0, len(images), _CHUNK):
        x = images[start:start + _CHUNK].astype(np.int16)
        pred = np.zeros_like(x)
        pred[:, 0, 1:] = x[:, 0, :-1]                      # first row: left
        pred[:, 1:, 0] = x[:, :-1, 0]                      # first column: above
        a, b, c = x[:, 1:, :-1], x[:, :-1, 1:], x[:, :-1, :-1]
        high, low = np.maximum(a, b), np.minimum(a, b)
        pred[:, 1:, 1:] = np.where(c >= high, low, np.where(c <= low, high, a + b - c))
        signed = ((x - pred + 128) % 256 - 128).astype(np.int16)
        out[start:start + _CHUNK] = ((signed << 1) ^ (signed >> 15)).astype(np.uint8)
    return out


def unresiduals(codes) -> np.ndarray:
    """Inverse of :func:`residuals`: ``(n, h, w)`` uint8 residual codes -> images."""
    codes = _check_images(codes)
    n, h, w = codes.shape
    z = codes.astype(np.int16)
    signed = (z >> 1) ^ -(z & 1)
    # position-major work array: x[i, j] is one contiguous vector over the images
    s = np.ascontiguousarray(signed.transpose(1, 2, 0))
    x = np.empty((h, w, n), dtype=np.int16)
    if h and w:
        x[0] = np.cumsum(s[0], axis=0) & 255               # first row: left prediction
        for i in range(1, h):
            x[i, 0] = (x[i - 1, 0] + s[i, 0]) & 255        # first column: above
            up = x[i - 1]
            for j in range(1, w):
                a, b, c = x[i, j - 1], up[j], up[j - 1]
                high, low = np.maximum(a, b), np.minimum(a, b)
                pred = np.where(c >= high, low, np.where(c <= low, high, a + b - c))
                x[i, j] = (pred + s[i, j]) & 255
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype(np.uint8)


def encode_images(images) -> bytes:
    """``(n, h, w)`` uint8 images -> xz bytes of their residual codes (lossless)."""
    return lzma.compress(residuals(images).tobytes(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                         filters=_FILTERS)


def bounded_decompress(data: bytes, limit: int) -> bytes:
    """The xz stream ``data`` decompressed, stopping once it gives more than ``limit``
    bytes (``ValueError``): a stream is never decompressed beyond what its use needs."""
    decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    raw = decompressor.decompress(data, max_length=limit + 1)
    if len(raw) > limit:
        raise ValueError(f"decompresses to more than the {limit:,} bytes expected")
    if not decompressor.eof:
        raise ValueError("the xz stream ends early: truncated")
    return raw


def decode_images(data: bytes, shape) -> np.ndarray:
    """Inverse of :func:`encode_images`; ``shape`` is ``(n, h, w)``. Decompression stops
    at the bytes ``shape`` needs (:func:`bounded_decompress`)."""
    shape = tuple(int(v) for v in shape)
    needed = int(np.prod(shape))
    raw = bounded_decompress(data, needed)
    if len(raw) != needed:
        raise ValueError(f"image stream holds {len(raw)} bytes, shape {shape} needs {needed}")
    return unresiduals(np.frombuffer(raw, dtype=np.uint8).reshape(shape))


# --------------------------------------------------------------------------- columns


def encode_columns(dataset) -> bytes:
    """Labels, the string columns (as distinct values + codes), dtypes and notes of a
    :class:`~ferlib.datasets.FaceDataset`, as xz-compressed JSON."""
    columns = {"name": dataset.name, "notes": list(dataset.notes),
               "labels": {"dtype": dataset.labels.dtype.str, "values": dataset.labels.tolist()}}
    for column in _STRING_COLUMNS:
        array = np.asarray(getattr(dataset, column))
        values, codes = np.unique(array, return_inverse=True)
        columns[column] = {"dtype": array.dtype.str, "values": values.tolist(),
                           "codes": codes.astype(np.int64).tolist()}
    text = json.dumps(columns, separators=(",", ":"), ensure_ascii=False)
    return lzma.compress(text.encode("utf-8"), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)


#: The most bytes a columns file may decompress to, per image and in all: far above what
#: labels, splits, subjects, sequences and source paths need (FER2013: about 60 per image).
COLUMN_BYTES_PER_IMAGE = 4096
COLUMN_BYTES_BASE = 2**20
_DTYPES = re.compile(r"^[<>|=]?(i[1248]|u[1248]|U\d{1,4})$")


def decode_columns(data: bytes, n: int | None = None) -> dict:
    """Inverse of :func:`encode_columns`: ``{"name", "notes", "labels", "split", ...}``
    with numpy arrays of the stored dtypes. ``n``: the number of images; each column must
    have that many rows, and decompression stops beyond what ``n`` rows can need.

    Raises ``ValueError`` saying what is wrong for a stream that is not xz, not JSON or
    not the columns :func:`encode_columns` writes."""
    limit = COLUMN_BYTES_BASE + COLUMN_BYTES_PER_IMAGE * (n if n is not None else 10**5)
    try:
        columns = json.loads(bounded_decompress(data, limit).decode("utf-8"))
    except (lzma.LZMAError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not xz-compressed JSON columns ({type(error).__name__}: {str(error)[:200]})") from None
    try:
        out = {"name": str(columns["name"]), "notes": tuple(str(note) for note in columns["notes"]),
               "labels": _column_array(columns["labels"]["values"], columns["labels"]["dtype"])}
        for column in _STRING_COLUMNS:
            entry = columns[column]
            values = _column_array(entry["values"], entry["dtype"])
            codes = np.asarray(entry["codes"], dtype=np.int64)
            if codes.ndim != 1 or (len(codes) and (codes.min() < 0 or codes.max() >= len(values))):
                raise ValueError(f"column {column!r} has codes outside its {len(values)} values")
            out[column] = values[codes] if len(codes) else np.array([], dtype=entry["dtype"])
    except (KeyError, TypeError, AttributeError, OverflowError) as error:
        raise ValueError(f"not the columns of a pack (missing or malformed {str(error)[:80]})") from None
    if n is not None:
        lengths = {column: len(out[column]) for column in ("labels", *_STRING_COLUMNS)}
        wrong = {column: length for column, length in lengths.items() if length != n}
        if wrong:
            raise ValueError(f"columns of {wrong} rows for {n} images")
    return out


def _column_array(values, dtype) -> np.ndarray:
    """A 1-D array of one of the dtypes a pack stores (integers, fixed-width strings)."""
    if not isinstance(dtype, str) or not _DTYPES.match(dtype) or not isinstance(values, list):
        raise ValueError(f"a column of dtype {str(dtype)[:40]!r}; expected integers or strings")
    return np.asarray(values, dtype=dtype)


# --------------------------------------------------------------------------- files


def is_pack(path) -> bool:
    """Whether ``path`` is a pack folder (holds ``pack.json``)."""
    return path is not None and (Path(path) / PACK_FILE).is_file()


def read_pack(pack_dir) -> dict:
    """The validated ``pack.json`` of a pack folder.

    Raises ``FileNotFoundError`` when there is none and ``ValueError`` naming the file
    when it is not a pack of this format and version.
    """
    path = Path(pack_dir) / PACK_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found; {pack_dir} is not a data pack "
                                f"(make one with `python -m ferlib pack --data-dir DATA --out DIR`)")
    manifest = read_json_object(path, what=f"a {PACK_FORMAT} manifest", remedy="the pack is corrupt, make it again")
    if manifest.get("format") != PACK_FORMAT:
        raise ValueError(f"{path}: not a {PACK_FORMAT} manifest")
    if manifest.get("version") != PACK_VERSION:
        raise ValueError(f"{path}: pack version {manifest.get('version')!r}, this ferlib reads version "
                         f"{PACK_VERSION}; make the pack again with this ferlib")
    if not isinstance(manifest.get("datasets"), dict):
        raise ValueError(f"{path}: has no 'datasets' table")
    for name, entry in manifest["datasets"].items():
        problem = _entry_problem(name, entry)
        if problem:
            raise ValueError(f"{path}: datasets[{str(name)[:80]!r}]: {problem}; the pack is corrupt, make it again")
    return manifest


#: The most images one packed data set may declare (FER2013 has 35,887), and the largest
#: image side: decoding allocates what the manifest declares.
MAX_PACKED_IMAGES = 1_000_000
MAX_PACKED_SIDE = 256
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry_problem(name, entry) -> str | None:
    """What is wrong with one data set's entry of ``pack.json`` (``None``: nothing)."""
    if not isinstance(name, str) or not _FILE_NAME.match(name):
        return "not a data set name"
    if not isinstance(entry, dict):
        return f"expected an object, got {type(entry).__name__}"
    shape = entry.get("shape")
    if not (isinstance(shape, list) and len(shape) == 3 and all(_whole(v) for v in shape)):
        return f"'shape' must be [images, height, width], got {str(shape)[:80]}"
    if shape[0] > MAX_PACKED_IMAGES or not (1 <= shape[1] <= MAX_PACKED_SIDE and 1 <= shape[2] <= MAX_PACKED_SIDE):
        return f"'shape' {shape} is beyond {MAX_PACKED_IMAGES:,} images of at most {MAX_PACKED_SIDE} pixels a side"
    if entry.get("images") != shape[0]:
        return f"'images' {str(entry.get('images'))[:40]} differs from the shape's {shape[0]}"
    if not isinstance(entry.get("fingerprint"), str) or not _HEX64.match(entry["fingerprint"]):
        return "'fingerprint' must be 64 hex digits"
    files = entry.get("files")
    if not isinstance(files, dict):
        return f"'files' must be {{'images': ..., 'columns': ...}}, got {str(files)[:80]}"
    for kind in ("images", "columns"):
        item = files.get(kind)
        if not isinstance(item, dict):
            return f"files.{kind} must be {{'name', 'bytes', 'sha256'}}, got {str(item)[:80]}"
        if not isinstance(item.get("name"), str) or not _FILE_NAME.match(item["name"]):
            return (f"files.{kind}.name {str(item.get('name'))[:80]!r} is not a file name inside the pack "
                    f"(letters, digits, '.', '_' and '-' only)")
        if not _whole(item.get("bytes")) or not isinstance(item.get("sha256"), str) \
                or not _HEX64.match(item["sha256"]):
            return f"files.{kind} needs 'bytes' (a whole number) and 'sha256' (64 hex digits)"
    return None


def pack_files(manifest: dict) -> set:
    """The file names (besides ``pack.json``) a pack's manifest lists; ``ValueError`` when
    the manifest does not say."""
    try:
        return {entry["files"][kind]["name"] for entry in manifest["datasets"].values()
                for kind in ("images", "columns")}
    except (KeyError, TypeError, AttributeError):
        raise ValueError(f"{PACK_FILE}: a data set entry does not list its files") from None


def packed_names(pack_dir) -> tuple:
    """The data sets a pack holds, in the order they were written."""
    return tuple(read_pack(pack_dir)["datasets"])


def _read_checked(pack_dir: Path, entry: dict) -> bytes:
    """The bytes of a pack's file (an entry validated by :func:`read_pack`: a plain name
    inside the pack), once its size and sha256 match the manifest."""
    path = pack_dir / entry["name"]
    if path.is_symlink():
        raise ValueError(f"{path}: a link; a pack's files are plain files inside it")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: listed in {pack_dir / PACK_FILE} but missing; the pack is incomplete")
    if path.stat().st_size != entry["bytes"]:
        raise ValueError(f"{path}: {path.stat().st_size} bytes, but {PACK_FILE} records {entry['bytes']} bytes: "
                         f"the file is truncated or corrupt; make the pack again")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != entry["bytes"] or digest != entry["sha256"]:
        raise ValueError(f"{path}: {len(data)} bytes with sha256 {digest[:16]}..., but {PACK_FILE} records "
                         f"{entry['bytes']} bytes with sha256 {entry['sha256'][:16]}...: the file is "
                         f"corrupt; make the pack again")
    return data


def load_packed(name: str, pack_dir):
    """Data set ``name`` from a pack: a :class:`~ferlib.datasets.FaceDataset` equal, array
    for array and dtype for dtype, to the one its loader gave when the pack was made.

    Raises ``FileNotFoundError`` when the pack or the data set is not there and
    ``ValueError`` naming the file when a file's sha256 or the data set's fingerprint
    does not match ``pack.json``.
    """
    pack_dir = Path(pack_dir)
    manifest = read_pack(pack_dir)
    if name not in manifest["datasets"]:
        raise FileNotFoundError(f"{pack_dir}: the pack holds {', '.join(manifest['datasets']) or 'nothing'}, "
                                f"not {name!r}")
    entry = manifest["datasets"][name]
    decoded = {}
    for kind, decode in (("images", lambda data: decode_images(data, entry["shape"])),
                         ("columns", lambda data: decode_columns(data, entry["shape"][0]))):
        path = pack_dir / entry["files"][kind]["name"]
        data = _read_checked(pack_dir, entry["files"][kind])
        try:
            decoded[kind] = decode(data)
        except (ValueError, lzma.LZMAError, EOFError) as error:
            raise ValueError(f"{path}: {error}; the pack is corrupt, make it again") from None
    try:
        dataset = FaceDataset(images=decoded["images"], **decoded["columns"])
    except ValueError as error:
        raise ValueError(f"{pack_dir / entry['files']['columns']['name']}: {error}; the pack is corrupt, "
                         f"make it again") from None
    fingerprint = dataset_fingerprint(dataset)
    if fingerprint != entry["fingerprint"]:
        raise ValueError(f"{pack_dir / entry['files']['images']['name']}: {name} decodes to fingerprint "
                         f"{fingerprint[:16]}..., {PACK_FILE} records {entry['fingerprint'][:16]}...; "
                         f"make the pack again")
    return dataset


def check_replaceable_pack(folder) -> None:
    """Raise ``ValueError`` unless ``folder`` is missing, empty, or a data pack ferlib
    wrote: a readable ``pack.json`` of :data:`PACK_FORMAT` and :data:`PACK_VERSION` whose
    files are all that the folder holds. A pack is replaced whole, so anything else there
    would be lost: nothing is replaced then."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ValueError(f"{folder}: is a file; expected a folder for the pack (it is made if missing)")
    if not any(folder.iterdir()):
        return
    try:
        files = pack_files(read_pack(folder))
    except (FileNotFoundError, ValueError) as error:
        raise ValueError(f"{folder}: exists and is not a data pack ferlib wrote ({error}); nothing was "
                         f"replaced: choose a new or empty folder") from None
    extra = destinations.unexpected_names(folder, {PACK_FILE, *files})
    if extra:
        raise ValueError(f"{folder}: a data pack, but it also holds {destinations.listed(extra)}, which "
                         f"{PACK_FILE} does not list; nothing was replaced: move them away or choose a new folder")


def write_pack(datasets: dict, out_dir, *, log=None) -> dict:
    """Write ``{name: FaceDataset}`` as a pack at ``out_dir``; returns its manifest.

    The pack is built in a temporary folder beside ``out_dir`` and renamed into place; an
    existing pack there is replaced, any other non-empty folder is refused
    (:func:`check_replaceable_pack`).
    Each data set's entry gains ``seconds`` (encoding time) and ``raw_bytes``.
    """
    out_dir = Path(out_dir)
    check_replaceable_pack(out_dir)
    if not datasets:
        raise ValueError("nothing to pack: no data sets given")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with atomic.replacing_folder(out_dir) as tmp:
        manifest = {"format": PACK_FORMAT, "version": PACK_VERSION, "datasets": {}}
        for name, dataset in datasets.items():
            tic = time.perf_counter()
            files = {}
            for kind, suffix, data in (("images", "images.xz", encode_images(dataset.images)),
                                       ("columns", "columns.json.xz", encode_columns(dataset))):
                path = tmp / f"{name}.{suffix}"
                path.write_bytes(data)
                files[kind] = {"name": path.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            manifest["datasets"][name] = {
                "images": int(len(dataset)), "shape": list(dataset.images.shape),
                "fingerprint": dataset_fingerprint(dataset), "encoding": IMAGE_ENCODING, "files": files,
                "raw_bytes": int(dataset.images.nbytes), "seconds": round(time.perf_counter() - tic, 2),
            }
            if log:
                packed = sum(f["bytes"] for f in files.values())
                log(f"{name}: {len(dataset)} images, {dataset.images.nbytes / 2**20:.1f} MiB raw -> "
                    f"{packed / 2**20:.2f} MiB packed ({packed / dataset.images.nbytes:.1%}) in "
                    f"{manifest['datasets'][name]['seconds']:.1f} s")
        (tmp / PACK_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def pack_size(pack_dir) -> int:
    """Bytes of every file in a pack folder."""
    return sum(p.stat().st_size for p in Path(pack_dir).rglob("*") if p.is_file())


def tree_size(root) -> int | None:
    """Bytes of the files git tracks under ``root`` (``None`` when it is not a git checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    paths = [Path(root) / p for p in out.stdout.decode().split("\0") if p]
    return sum(p.stat().st_size for p in paths if p.is_file())



# --------------------------------------------------------------------------- what a GPU call carries

#: The sizes a GPU call carries besides the tracked tree, recorded in advance (relative to
#: the project root): wheels, each data set's pack files, model files of FER2013 runs.
CARRY_FILE = Path("tools") / "gpu-carry.json"
#: What a GPU call may carry, with room to spare below :data:`CALL_LIMIT`.
CARRY_LIMIT = 62 * 2**20
#: The most a GPU call can carry at all: the tracked tree, the pack, the wheels and any
#: carried run store together.
CALL_LIMIT = 64 * 2**20


def read_carry(root) -> dict:
    """The recorded sizes of :data:`CARRY_FILE` under the project ``root``."""
    path = Path(root) / CARRY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no record of the wheels' and the pack's sizes")
    return json.loads(path.read_text())


def carry_bytes(root, *, datasets=PACK_NAMES, source_models=()) -> dict:
    """What one GPU call carries, in bytes, from the tracked tree (:func:`tree_size`) and the
    recorded sizes (:func:`read_carry`): no wheel fetched and no data packed.

    Args:
        root: the project root (a git checkout).
        datasets: the data sets in the call's pack.
        source_models: one entry per FER2013 run carried with its weights in a run store (a
            small-data call, whose fine-tunes start from them), its model, e.g. ``(2, 2, 2)``.

    Returns:
        ``{"tree", "pack", "wheels", "sources", "total"}``; ``tree`` is ``None`` (and
        counts 0) outside a git checkout. Raises ``KeyError`` naming a data set or model
        whose size is not recorded.
    """
    record = read_carry(root)
    tree = tree_size(root)
    pack = 0
    for name in datasets:
        if name not in record["pack"]:
            raise KeyError(f"{name}: its pack size is not recorded in {CARRY_FILE}")
        entry = record["pack"][name]
        pack += entry["images"] + entry["columns"] + record["pack_json_bytes_per_dataset"]
    wheels = sum(entry["bytes"] for entry in record["wheels"].values())
    sources = 0
    for model in source_models:
        if str(model) not in record["model_file_bytes"]:
            raise KeyError(f"model {model}: its model file's size is not recorded in {CARRY_FILE}")
        sources += record["model_file_bytes"][str(model)] + record["run_files_bytes"]["fer2013"]
    return {"tree": tree, "pack": pack, "wheels": wheels, "sources": sources,
            "total": (tree or 0) + pack + wheels + sources}
