"""FER2013 loaders: the Kaggle CSV (plain, gzipped or in a tar.gz) and the image folders.

The CSV has the columns ``emotion,pixels,Usage`` (any order, header required):

- ``emotion``: 0..6 in the canonical order of :mod:`ferlib.labels`,
- ``pixels``: 2,304 space-separated integers 0..255 (48x48, row-major),
- ``Usage``: ``Training`` | ``PublicTest`` | ``PrivateTest``, mapped to the split
  ``train`` | ``val`` | ``test``.

The real file has 35,887 rows (301 MB uncompressed). It is parsed without a Python loop
over the pixels: the pixel fields of a block of rows are joined into one byte array,
and the digits are turned into numbers with numpy (see :func:`parse_pixel_fields`).

The image-folder release has ``train/`` and ``test/`` with one sub-folder per emotion,
holding 48x48 images named ``Training_*``, ``PublicTest_*`` and ``PrivateTest_*``; the
split comes from that prefix, not from the top folder. A copy without ``test/``, or
without the training, validation (``PublicTest_*``) or test (``PrivateTest_*``) images,
is refused with an error saying which part is missing.

Rows in error messages and in ``source`` are numbered from 1 for the first data row
(the header and blank lines are not counted); error messages give the file line too.
"""

from __future__ import annotations

import gzip
import re
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np

from ferlib.excerpt import QUOTE_LIMIT, excerpt
from ferlib.datasets.base import FaceDataset, make_dataset
from ferlib.datasets.faces import read_grey, resize_48
from ferlib.datasets.folders import list_class_folders, list_images, relative_name
from ferlib.labels import EMOTIONS, IMAGE_SIZE, NUM_CLASSES, label_index

#: ``Usage`` value -> split name.
USAGE_TO_SPLIT = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
#: Number of pixel values per row.
PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE
#: Rows parsed together by :func:`parse_pixel_fields` (about 17 MB of text a block).
ROWS_PER_BLOCK = 2048

_COLUMNS = ("emotion", "pixels", "usage")
_FOLDER_NAME_PATTERN = re.compile(r"^(Training|PublicTest|PrivateTest)_")


def read_csv_bytes(path) -> bytes:
    """Return the bytes of the FER2013 CSV at ``path``.

    Accepts ``*.csv``, ``*.csv.gz`` (or any ``*.gz``) and ``*.tar.gz`` / ``*.tgz`` /
    ``*.tar`` holding a member named ``fer2013.csv`` (usually ``fer2013/fer2013.csv``).
    Raises ``FileNotFoundError`` when the file or the tar member is missing and
    ``ValueError`` when the file is not of the format its name says.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FER2013 CSV not found: {path}")
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        return _read_tar_member(path)
    if name.endswith(".gz"):
        try:
            return gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as err:
            raise ValueError(f"{path}: not a readable gzip file ({err})") from err
    return path.read_bytes()


def _read_tar_member(path: Path) -> bytes:
    try:
        with tarfile.open(path) as archive:
            members = [m for m in archive.getmembers()
                       if m.isfile() and Path(m.name).name.lower() == "fer2013.csv"]
            if not members:
                raise FileNotFoundError(
                    f"{path}: no member named fer2013.csv (expected e.g. fer2013/fer2013.csv)"
                )
            member = min(members, key=lambda m: len(m.name))
            return archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a readable tar archive ({err})") from err


def parse_pixel_fields(fields, *, file_label="", first_row=1, line_numbers=None) -> np.ndarray:
    """Parse pixel strings into a ``(len(fields), 48, 48)`` uint8 array.

    Args:
        fields: sequence of bytes-like objects (``bytes`` or ``memoryview``), each
            holding 2,304 integers 0..255 separated by whitespace.
        file_label: the file name used in error messages.
        first_row: the 1-based row number of ``fields[0]``, for error messages.
        line_numbers: optional 1-based file line of each field, for error messages.

    Raises ``ValueError`` naming the file and row for a non-numeric value, a value
    above 255 or a wrong number of values.
    """
    images = np.empty((len(fields), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    flat = images.reshape(len(fields), PIXELS_PER_IMAGE)
    for start in range(0, len(fields), ROWS_PER_BLOCK):
        block = fields[start:start + ROWS_PER_BLOCK]
        try:
            flat[start:start + len(block)] = _parse_block(block)
        except _BadRow as bad:
            index = start + bad.index
            line = (f" (line {line_numbers[index]})" if line_numbers is not None else "")
            raise ValueError(
                f"{file_label}: row {first_row + index}{line}: {bad.message}"
            ) from None
    return images


class _BadRow(Exception):
    """A malformed pixel field: ``index`` within the block and what is wrong."""

    def __init__(self, index, message):
        super().__init__(message)
        self.index, self.message = int(index), message


def _parse_block(fields) -> np.ndarray:
    """Parse one block of pixel fields into ``(len(fields), 2304)`` uint8.

    Raises :class:`_BadRow` for the first malformed field of the block.
    """
    # One copy: the fields joined by "\n", with a "\n" before the first and after the
    # last, so that every digit run has a non-digit on both sides.
    text = np.frombuffer(b"\n".join([b"", *fields, b""]), dtype=np.uint8)
    lengths = np.fromiter((len(f) for f in fields), dtype=np.int64, count=len(fields))
    # bounds[r] is the "\n" before field r; field r lies strictly between bounds r, r+1.
    bounds = np.concatenate(([0], np.cumsum(lengths + 1)))

    digit = text - np.uint8(ord("0"))  # wraps round for non-digits, so digit < 10 tests
    is_digit = digit < 10
    if np.count_nonzero(is_digit) + np.count_nonzero(text <= ord(" ")) != len(text):
        position = int(np.flatnonzero(~is_digit & (text > ord(" ")))[0])
        row = int(np.searchsorted(bounds, position)) - 1
        token = _token_at(bytes(fields[row]), position - int(bounds[row]) - 1)
        raise _BadRow(row, f"pixels holds the non-numeric value {excerpt(token)}; "
                           f"expected integers 0..255")

    # Digit runs: +1 where a run starts (after index i), -1 where one ends (at i).
    edges = np.diff(is_digit.view(np.int8))
    starts = np.flatnonzero(edges == 1) + 1
    ends = np.flatnonzero(edges == -1)
    counts = np.diff(np.searchsorted(starts, bounds))
    wrong = np.flatnonzero(counts != PIXELS_PER_IMAGE)
    if len(wrong):
        row = int(wrong[0])
        raise _BadRow(row, f"pixels has {counts[row]} values; expected "
                           f"{PIXELS_PER_IMAGE} (48x48)")

    length = ends - starts + 1
    values = digit[ends].astype(np.int16)
    values += 10 * np.where(length >= 2, digit[ends - 1], 0).astype(np.int16)
    values += 100 * np.where(length >= 3, digit[ends - 2], 0).astype(np.int16)
    too_big = np.flatnonzero((length > 3) | (values > 255))
    if len(too_big):
        token = int(too_big[0])
        row = int(np.searchsorted(bounds, starts[token])) - 1
        value = bytes(text[starts[token]:ends[token] + 1]).decode()
        raise _BadRow(row, f"pixel value {excerpt(value)} is out of range; "
                           f"expected integers 0..255")
    return values.astype(np.uint8).reshape(len(fields), PIXELS_PER_IMAGE)


def _token_at(field: bytes, offset: int) -> str:
    """The whitespace-delimited token of ``field`` around byte ``offset``."""
    left = offset
    while left > 0 and field[left - 1] > ord(" "):
        left -= 1
    right = offset
    while right < len(field) and field[right] > ord(" "):
        right += 1
    return field[left:right].decode("utf-8", "replace")


def _header_columns(header: bytes, file_label: str) -> dict:
    """Map ``emotion``/``pixels``/``usage`` to their column index in ``header``."""
    names = [h.strip().strip(b'"').decode("utf-8", "replace").strip().lower()
             for h in header.lstrip(b"\xef\xbb\xbf").split(b",")]
    missing = [c for c in _COLUMNS if c not in names]
    if missing:
        bare_cr = (b"\r" in header.rstrip(b"\r")) and (
            "; its lines end with a bare CR (old Mac line ends): save it with LF or CRLF line ends")
        shown = str(names) if len(str(names)) <= QUOTE_LIMIT else excerpt(header.decode("utf-8", "replace"))
        raise ValueError(
            f"{file_label}: header {shown} lacks the column(s) {missing}; expected a "
            f"FER2013 CSV with the columns emotion,pixels,Usage{bare_cr or ''}"
        )
    return {c: names.index(c) for c in _COLUMNS}


def parse_fer2013_csv(data: bytes, *, file_label="fer2013.csv") -> tuple:
    """Parse the bytes of a FER2013 CSV.

    Returns ``(images, labels, split)``: ``(n, 48, 48)`` uint8, ``(n,)`` int64 0..6 and
    ``(n,)`` str in ``{"train", "val", "test"}``. Blank lines are ignored; CRLF
    line ends are accepted. The pixel fields are not copied row by row: they are
    ``memoryview`` slices of ``data`` parsed block by block.
    Raises ``ValueError`` naming ``file_label`` and the 1-based row for a malformed row.
    """
    size = len(data)
    header_end = data.find(b"\n")
    header_end = size if header_end < 0 else header_end
    if not data[:header_end].strip():
        raise ValueError(f"{file_label}: empty file; expected a FER2013 CSV with a header")
    columns = _header_columns(data[:header_end], file_label)
    n_commas = data.count(b",", 0, header_end)
    view = memoryview(data)
    label_list, split_list, pixel_fields, line_numbers = [], [], [], []
    row, line, position = 0, 1, header_end + 1
    while position < size:
        end = data.find(b"\n", position)
        end = size if end < 0 else end
        line += 1
        line_end = end - 1 if end > position and data[end - 1] == ord("\r") else end
        if line_end - position > 64 or data[position:line_end].strip():
            row += 1
            if data.count(b",", position, line_end) != n_commas:
                raise ValueError(
                    f"{file_label}: row {row} (line {line}): "
                    f"{data.count(b',', position, line_end) + 1} fields; expected "
                    f"{n_commas + 1} as in the header"
                )
            cuts = [position - 1]
            for _ in range(n_commas):
                cuts.append(data.find(b",", cuts[-1] + 1, line_end))
            cuts.append(line_end)
            label_list.append(_parse_label(
                data[cuts[columns["emotion"]] + 1:cuts[columns["emotion"] + 1]],
                file_label, row, line))
            split_list.append(_parse_usage(
                data[cuts[columns["usage"]] + 1:cuts[columns["usage"] + 1]],
                file_label, row, line))
            first, last = cuts[columns["pixels"]] + 1, cuts[columns["pixels"] + 1]
            if last - first >= 2 and data[first] == data[last - 1] == ord('"'):
                first, last = first + 1, last - 1
            pixel_fields.append(view[first:last])
            line_numbers.append(line)
        position = end + 1
    if not pixel_fields:
        raise ValueError(f"{file_label}: no data rows after the header")
    images = parse_pixel_fields(pixel_fields, file_label=file_label,
                                line_numbers=line_numbers)
    return images, np.array(label_list, dtype=np.int64), np.array(split_list, dtype=str)


def _parse_label(field: bytes, file_label: str, row: int, line: int) -> int:
    text = field.strip().strip(b'"').decode("utf-8", "replace")
    try:
        label = int(text)
    except ValueError:
        label = -1
    if not 0 <= label < NUM_CLASSES or text.strip() != str(label):
        raise ValueError(
            f"{file_label}: row {row} (line {line}): emotion {excerpt(text)} is not a label; "
            f"expected an integer 0..{NUM_CLASSES - 1}"
        )
    return label


def _parse_usage(field: bytes, file_label: str, row: int, line: int) -> str:
    text = field.strip().strip(b'"').decode("utf-8", "replace")
    if text not in USAGE_TO_SPLIT:
        raise ValueError(
            f"{file_label}: row {row} (line {line}): Usage {excerpt(text)} is unknown; "
            f"expected one of {sorted(USAGE_TO_SPLIT)}"
        )
    return USAGE_TO_SPLIT[text]


def load_fer2013_csv(path, *, relative_to=None) -> FaceDataset:
    """Load the FER2013 CSV (``.csv``, ``.csv.gz`` or ``.tar.gz``) at ``path``.

    ``source`` holds ``"<file>:row N"`` with the file relative to ``relative_to``
    (default: the folder holding ``path``) and N the 1-based data row.
    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file
    and row for a malformed one.
    """
    path = Path(path)
    file_label = relative_name(path, path.parent if relative_to is None else relative_to)
    data = read_csv_bytes(path)
    images, labels, split = parse_fer2013_csv(data, file_label=file_label)
    del data
    source = np.char.add(f"{file_label}:row ", np.arange(1, len(labels) + 1).astype(str))
    counts = Counter(split.tolist())
    notes = (
        f"FER2013 CSV {file_label}: {len(labels)} rows; Usage mapped Training->train "
        f"({counts['train']}), PublicTest->val ({counts['val']}), "
        f"PrivateTest->test ({counts['test']})",
        "emotion codes 0..6 are already the canonical order "
        + ", ".join(f"{i} {name}" for i, name in enumerate(EMOTIONS)),
    )
    return make_dataset("fer2013", images, labels, split=split, source=source, notes=notes)


def load_fer2013_folders(path, *, relative_to=None) -> FaceDataset:
    """Load the FER2013 image-folder release under ``path``.

    ``path`` holds ``train/`` and/or ``test/``, each with one sub-folder per emotion
    (names as in :data:`ferlib.labels.ALIASES`). Image names must start with
    ``Training_``, ``PublicTest_`` or ``PrivateTest_``, which gives the split.
    Images of another size are resized to 48x48 (counted in ``notes``); ``source``
    paths are relative to ``relative_to`` (default: the parent of ``path``).
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"FER2013 image folders not found: {path}")
    top = [path / part for part in ("train", "test") if (path / part).is_dir()]
    if not top:
        raise FileNotFoundError(
            f"{path}: no train/ or test/ folder; expected the FER2013 image-folder release "
            f"(train/<emotion>/Training_*.png, test/<emotion>/PublicTest_*.png ...)"
        )
    if not (path / "test").is_dir():
        raise ValueError(
            f"{path}: has train/ but no test/ folder; expected the FER2013 image-folder release "
            f"with test/<emotion>/PublicTest_*.png (validation) and PrivateTest_*.png (test) beside "
            f"train/: the evaluation needs them"
        )
    relative_to = path.parent if relative_to is None else Path(relative_to)
    images, labels, split, source = [], [], [], []
    resized = 0
    for part in top:
        for class_dir in list_class_folders(part):
            label = label_index(class_dir.name)
            for file in list_images(class_dir):
                match = _FOLDER_NAME_PATTERN.match(file.name)
                if not match:
                    raise ValueError(
                        f"{file}: file name does not start with Training_, PublicTest_ "
                        f"or PrivateTest_, which gives the FER2013 split"
                    )
                grey = read_grey(file)
                if grey.shape != (IMAGE_SIZE, IMAGE_SIZE):
                    resized += 1
                    grey = resize_48(grey)
                images.append(grey)
                labels.append(label)
                split.append(USAGE_TO_SPLIT[match.group(1)])
                source.append(relative_name(file, relative_to))
    counts = Counter(split)
    check_folder_parts(path, counts)
    notes = [
        f"FER2013 image folders {relative_name(path, relative_to)}: {len(labels)} images; "
        f"split from the file-name prefix Training->train ({counts['train']}), "
        f"PublicTest->val ({counts['val']}), PrivateTest->test ({counts['test']})",
    ]
    if resized:
        notes.append(f"{resized} images were not 48x48 and were resized (INTER_AREA)")
    return make_dataset("fer2013", np.stack(images), labels, split=split, source=source,
                        notes=notes)


def check_folder_parts(path, counts) -> None:
    """Raise ``ValueError`` naming the image-folder release ``path`` when it has no image
    of one of the splits (``counts``: images per split)."""
    prefixes = {"train": "Training_", "val": "PublicTest_", "test": "PrivateTest_"}
    words = {"train": "training", "val": "validation", "test": "test"}
    missing = [part for part in ("train", "val", "test") if not counts.get(part)]
    if missing:
        raise ValueError(
            f"{path}: no {' and no '.join(words[p] for p in missing)} images (no file named "
            f"{' or '.join(prefixes[p] + '*' for p in missing)}); expected the FER2013 image-folder "
            f"release with Training_* under train/ and PublicTest_* and PrivateTest_* under test/"
        )


def load_fer2013(path, *, relative_to=None) -> FaceDataset:
    """Load FER2013 from a CSV file (any accepted compression) or an image-folder root."""
    path = Path(path)
    if path.is_dir():
        return load_fer2013_folders(path, relative_to=relative_to)
    return load_fer2013_csv(path, relative_to=relative_to)
