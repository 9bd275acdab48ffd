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
import subprocess
import time
from pathlib import Path

import numpy as np

from ferlib import atomic
from ferlib.datasets.base import FaceDataset
from ferlib.fingerprint import dataset_fingerprint

PACK_FILE = "pack.json"
PACK_FORMAT = "ferlib-pack"
PACK_VERSION = 1
IMAGE_ENCODING = "med-zigzag-lzma2"
#: The data sets ``python -m ferlib pack`` writes by default (those found;
#: :func:`ferlib.datasets.discover.pack_data`).
PACK_NAMES = ("fer2013", "jaffe", "ckplus7", "ckplus")
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


def decode_images(data: bytes, shape) -> np.ndarray:
    """Inverse of :func:`encode_images`; ``shape`` is ``(n, h, w)``."""
    shape = tuple(int(v) for v in shape)
    raw = lzma.decompress(data, format=lzma.FORMAT_XZ)
    if len(raw) != int(np.prod(shape)):
        raise ValueError(f"image stream holds {len(raw)} bytes, shape {shape} needs {int(np.prod(shape))}")
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


def decode_columns(data: bytes) -> dict:
    """Inverse of :func:`encode_columns`: ``{"name", "notes", "labels", "split", ...}``
    with numpy arrays of the stored dtypes."""
    columns = json.loads(lzma.decompress(data, format=lzma.FORMAT_XZ).decode("utf-8"))
    out = {"name": columns["name"], "notes": tuple(columns["notes"]),
           "labels": np.asarray(columns["labels"]["values"], dtype=columns["labels"]["dtype"])}
    for column in _STRING_COLUMNS:
        entry = columns[column]
        values = np.asarray(entry["values"], dtype=entry["dtype"])
        codes = np.asarray(entry["codes"], dtype=np.int64)
        out[column] = values[codes] if len(codes) else np.array([], dtype=entry["dtype"])
    return out


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
    try:
        manifest = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error}); the pack is corrupt, make it again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        raise ValueError(f"{path}: not a {PACK_FORMAT} manifest")
    if manifest.get("version") != PACK_VERSION:
        raise ValueError(f"{path}: pack version {manifest.get('version')!r}, this ferlib reads version "
                         f"{PACK_VERSION}; make the pack again with this ferlib")
    if not isinstance(manifest.get("datasets"), dict):
        raise ValueError(f"{path}: has no 'datasets' table")
    return manifest


def packed_names(pack_dir) -> tuple:
    """The data sets a pack holds, in the order they were written."""
    return tuple(read_pack(pack_dir)["datasets"])


def _read_checked(pack_dir: Path, entry: dict) -> bytes:
    path = pack_dir / entry["name"]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: listed in {pack_dir / PACK_FILE} but missing; the pack is incomplete")
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
    images = decode_images(_read_checked(pack_dir, entry["files"]["images"]), entry["shape"])
    columns = decode_columns(_read_checked(pack_dir, entry["files"]["columns"]))
    dataset = FaceDataset(images=images, **columns)
    fingerprint = dataset_fingerprint(dataset)
    if fingerprint != entry["fingerprint"]:
        raise ValueError(f"{pack_dir / entry['files']['images']['name']}: {name} decodes to fingerprint "
                         f"{fingerprint[:16]}..., {PACK_FILE} records {entry['fingerprint'][:16]}...; "
                         f"make the pack again")
    return dataset


def write_pack(datasets: dict, out_dir, *, log=None) -> dict:
    """Write ``{name: FaceDataset}`` as a pack at ``out_dir``; returns its manifest.

    The pack is built in a temporary folder beside ``out_dir`` and renamed into place; an
    existing pack there is replaced, any other non-empty folder is refused.
    Each data set's entry gains ``seconds`` (encoding time) and ``raw_bytes``.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not is_pack(out_dir) and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValueError(f"{out_dir}: exists and is not a data pack; choose an empty or new folder")
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
