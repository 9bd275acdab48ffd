"""FER2013 loaders on small files made here: CSV, csv.gz, tar.gz and image folders;
discovery of the FER2013 layouts under a data root; the parsed-data cache."""

import gzip
import io
import tarfile
import time
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image

from ferlib.datasets import cache, fer2013
from ferlib.datasets.discover import find_dataset, find_datasets, load_dataset
from ferlib.datasets.fer2013 import (
    load_fer2013,
    load_fer2013_csv,
    load_fer2013_folders,
    parse_fer2013_csv,
)

USAGES = ["Training", "PublicTest", "PrivateTest", "Training", "Training", "PrivateTest",
          "PublicTest"]


def make_rows(n=7, seed=0):
    """``(images (n,48,48) uint8, labels (n,), usages)`` with values over the full
    0..255 range, so 1-, 2- and 3-digit numbers all occur."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 48, 48), dtype=np.uint8)
    images[0, 0, :4] = [0, 9, 10, 255]
    labels = (np.arange(n) * 3) % 7
    usages = [USAGES[i % len(USAGES)] for i in range(n)]
    return images, labels, usages


def csv_text(images, labels, usages, *, header="emotion,pixels,Usage", newline="\n",
             order=("emotion", "pixels", "usage")) -> str:
    lines = [header]
    for image, label, usage in zip(images, labels, usages):
        fields = {"emotion": str(label), "pixels": " ".join(map(str, image.ravel())),
                  "usage": usage}
        lines.append(",".join(fields[column] for column in order))
    return newline.join(lines) + newline


def write_csv(path, text):
    path.write_bytes(text.encode())
    return path


def write_gz(path, text):
    path.write_bytes(gzip.compress(text.encode()))
    return path


def write_tar(path, text, member="fer2013/fer2013.csv"):
    data = text.encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def check_dataset(dataset, images, labels, usages, file_label):
    assert dataset.name == "fer2013"
    assert dataset.images.dtype == np.uint8 and dataset.images.shape == images.shape
    np.testing.assert_array_equal(dataset.images, images)
    np.testing.assert_array_equal(dataset.labels, labels)
    expected_split = [{"Training": "train", "PublicTest": "val", "PrivateTest": "test"}[u]
                      for u in usages]
    assert dataset.split.tolist() == expected_split
    assert dataset.source[0] == f"{file_label}:row 1"
    assert dataset.source[-1] == f"{file_label}:row {len(labels)}"
    assert set(dataset.subject) == {""} and set(dataset.sequence) == {""}
    assert any("PublicTest->val" in note for note in dataset.notes)


@pytest.mark.parametrize("kind", ["csv", "csv.gz", "tar.gz", "crlf"])
def test_csv_layouts_give_the_same_images(tmp_path, kind):
    images, labels, usages = make_rows()
    text = csv_text(images, labels, usages, newline="\r\n" if kind == "crlf" else "\n")
    if kind == "tar.gz":
        path = write_tar(tmp_path / "fer2013.tar.gz", text)
    elif kind == "csv.gz":
        path = write_gz(tmp_path / "fer2013.csv.gz", text)
    else:
        path = write_csv(tmp_path / "fer2013.csv", text)
    dataset = load_fer2013_csv(path)
    check_dataset(dataset, images, labels, usages, path.name)


def test_parser_agrees_with_numpy_text_parsing_across_blocks(monkeypatch):
    # An independent parse (np.fromstring per row) as the reference; small blocks so
    # that rows straddle several blocks.
    monkeypatch.setattr(fer2013, "ROWS_PER_BLOCK", 3)
    images, labels, usages = make_rows(n=10, seed=3)
    text = csv_text(images, labels, usages)
    parsed_images, parsed_labels, split = parse_fer2013_csv(text.encode())
    rows = text.splitlines()[1:]
    reference = np.stack([np.fromstring(r.split(",")[1], dtype=np.int64, sep=" ")
                          for r in rows]).reshape(-1, 48, 48)
    np.testing.assert_array_equal(parsed_images, reference)
    np.testing.assert_array_equal(parsed_labels, labels)
    assert len(split) == 10


def test_other_column_order_extra_spaces_quotes_and_blank_lines(tmp_path):
    images, labels, usages = make_rows(n=4, seed=1)
    pixels = [" ".join(map(str, image.ravel())) for image in images]
    lines = [
        "emotion, Usage, pixels",
        f"{labels[0]},{usages[0]},{pixels[0]}",
        f'{labels[1]},{usages[1]},"{pixels[1]}"',  # quoted pixels field
        "",  # blank line
        f"{labels[2]},{usages[2]},  {pixels[2].replace(' ', '  ')} ",  # runs of spaces
        f"{labels[3]},{usages[3]},{pixels[3]}",
        "",
    ]
    dataset = load_fer2013_csv(write_csv(tmp_path / "fer2013.csv", "\n".join(lines)))
    check_dataset(dataset, images, labels, usages, "fer2013.csv")


def with_token(fields, index, value):
    """The CSV fields with pixel token ``index`` replaced by ``value``."""
    tokens = fields[1].split()
    tokens[index] = value
    return fields[0], " ".join(tokens), fields[2]


@pytest.mark.parametrize("row, mutate, message", [
    (3, lambda f: (f[0], " ".join(f[1].split()[:-1]), f[2]), "2303 values; expected 2304"),
    (2, lambda f: (f[0], f[1] + " 7", f[2]), "2305 values"),
    (4, lambda f: with_token(f, 5, "1x"), "non-numeric value '1x'"),
    (1, lambda f: with_token(f, 2303, "2.5"), "non-numeric value '2.5'"),
    (5, lambda f: with_token(f, 100, "256"), "'256' is out of range"),
    (5, lambda f: with_token(f, 0, "1000"), "'1000' is out of range"),
    (6, lambda f: with_token(f, 0, "-3"), "non-numeric value '-3'"),
    (2, lambda f: ("7", f[1], f[2]), "emotion '7' is not a label"),
    (3, lambda f: ("a", f[1], f[2]), "emotion 'a' is not a label"),
    (7, lambda f: (f[0], f[1], "Train"), "Usage 'Train' is unknown"),
    (1, lambda f: (f[0], f[1], f[2] + ",extra"), "4 fields; expected 3"),
])
def test_malformed_rows_name_the_file_and_row(tmp_path, monkeypatch, row, mutate, message):
    monkeypatch.setattr(fer2013, "ROWS_PER_BLOCK", 2)  # the row number crosses blocks
    images, labels, usages = make_rows()
    lines = csv_text(images, labels, usages).splitlines()
    lines[row] = ",".join(mutate(lines[row].split(",")))
    path = write_gz(tmp_path / "fer2013.csv.gz", "\n".join(lines) + "\n")
    with pytest.raises(ValueError) as error:
        load_fer2013_csv(path)
    text = str(error.value)
    assert "fer2013.csv.gz" in text
    assert f"row {row} (line {row + 1})" in text
    assert message in text


@pytest.mark.parametrize("name, text, message", [
    ("other.csv", "label,image\n0,1 2 3\n", r"other.csv.*lacks the column\(s\) \['emotion', 'pixels', 'usage'\]"),
    ("empty.csv", "", "empty.csv: empty file"),
    ("header.csv", "emotion,pixels,Usage\n", "no data rows"),
    ("fake.csv.gz", "emotion,pixels,Usage\n", "fake.csv.gz: not a readable gzip file"),
    ("fake.tar.gz", "hello", "fake.tar.gz: not a readable tar archive"),
])
def test_a_file_of_the_wrong_format_is_named(name, text, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        load_fer2013_csv(write_csv(tmp_path / name, text))


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.csv"):
        load_fer2013_csv(tmp_path / "nothere.csv")
    wrong_member = write_tar(tmp_path / "wrong.tar.gz", "x", member="data/other.csv")
    with pytest.raises(FileNotFoundError, match="wrong.tar.gz: no member named fer2013.csv"):
        load_fer2013_csv(wrong_member)


def save_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def make_fer_folders(root, images):
    names = [("train", "happy", "Training_10.png"), ("train", "angry", "Training_3.png"),
             ("test", "surprise", "PublicTest_7.png"), ("test", "neutral", "PrivateTest_1.png")]
    for (part, emotion, name), image in zip(names, images):
        save_png(root / part / emotion / name, image)
    return names


def test_image_folder_release_split_from_file_names(tmp_path):
    images, _, _ = make_rows(n=4, seed=2)
    root = tmp_path / "fer2013"
    make_fer_folders(root, images)
    big = np.full((96, 96), 200, dtype=np.uint8)
    save_png(root / "train" / "sad" / "Training_99.png", big)
    (root / "train" / "sad" / ".DS_Store").write_bytes(b"\0\1")
    with pytest.warns(UserWarning, match=r"skipping .*\.DS_Store"):
        dataset = load_fer2013_folders(root)
    by_source = dict(zip(dataset.source, range(len(dataset))))
    row = by_source["fer2013/train/happy/Training_10.png"]
    np.testing.assert_array_equal(dataset.images[row], images[0])
    assert dataset.labels[row] == 3 and dataset.split[row] == "train"
    row = by_source["fer2013/test/surprise/PublicTest_7.png"]
    assert dataset.labels[row] == 5 and dataset.split[row] == "val"
    row = by_source["fer2013/test/neutral/PrivateTest_1.png"]
    assert dataset.labels[row] == 6 and dataset.split[row] == "test"
    row = by_source["fer2013/train/sad/Training_99.png"]
    assert (dataset.images[row] == 200).all()
    assert any("1 images were not 48x48" in note for note in dataset.notes)
    with pytest.warns(UserWarning, match="DS_Store"):
        assert load_fer2013(root).source.tolist() == dataset.source.tolist()


def test_image_folder_release_rejects_other_names_and_bad_images(tmp_path):
    images, _, _ = make_rows(n=4, seed=2)
    root = tmp_path / "fer2013"
    make_fer_folders(root, images)
    save_png(root / "train" / "happy" / "img_1.png", images[0])
    with pytest.raises(ValueError, match=r"img_1.png: file name does not start with "
                                         r"Training_"):
        load_fer2013_folders(root)
    (root / "train" / "happy" / "img_1.png").unlink()
    (root / "train" / "happy" / "Training_5.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="Training_5.png: not a readable image"):
        load_fer2013_folders(root)
    with pytest.raises(FileNotFoundError, match="no train/ or test/"):
        load_fer2013_folders(tmp_path / "fer2013" / "train" / "angry")


@pytest.mark.parametrize("layout", ["fer2013/fer2013.csv", "fer2013/fer2013.csv.gz",
                                    "fer2013.tar.gz", "fer2013.csv", "folders"])
def test_discovery_and_load_dataset(tmp_path, layout):
    images, labels, usages = make_rows(n=4, seed=5)
    text = csv_text(images, labels, usages)
    target = tmp_path / layout
    target.parent.mkdir(parents=True, exist_ok=True)
    if layout == "folders":
        make_fer_folders(tmp_path / "fer2013", images)
        target = tmp_path / "fer2013"
    elif layout.endswith(".tar.gz"):
        write_tar(target, text)
    elif layout.endswith(".gz"):
        write_gz(target, text)
    else:
        write_csv(target, text)
    assert find_datasets(tmp_path) == {"fer2013": target}
    dataset = load_dataset("fer2013", tmp_path)
    assert len(dataset) == 4
    if layout != "folders":
        assert dataset.source[1] == f"{layout}:row 2"


def test_missing_data_dir_and_missing_data_set_say_where_they_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="data folder not found"):
        load_dataset("fer2013", tmp_path / "absent")
    with pytest.raises(FileNotFoundError) as error:
        load_dataset("fer2013", tmp_path)
    text = str(error.value)
    assert str(tmp_path / "fer2013" / "fer2013.csv.gz") in text
    assert "accepted layouts" in text and "fer2013.tar.gz" in text
    with pytest.raises(FileNotFoundError, match="no jaffe data"):
        find_dataset("jaffe", tmp_path)
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        load_dataset("mnist", tmp_path)
    assert find_datasets(tmp_path) == {}


def test_cache_second_load_reads_the_npz_and_is_keyed_by_content(tmp_path, monkeypatch):
    images, labels, usages = make_rows(n=5, seed=7)
    data_dir, cache_dir = tmp_path / "data", tmp_path / "cache"
    (data_dir / "fer2013").mkdir(parents=True)
    path = write_gz(data_dir / "fer2013" / "fer2013.csv.gz", csv_text(images, labels, usages))
    first = load_dataset("fer2013", data_dir, cache_dir=cache_dir)
    entries = sorted(cache_dir.glob("*.npz"))
    assert len(entries) == 1 and not list(cache_dir.glob("*.tmp"))
    with zipfile.ZipFile(entries[0]) as stored:  # uncompressed
        assert {info.compress_type for info in stored.infolist()} == {zipfile.ZIP_STORED}

    def no_parsing(*args, **kwargs):
        raise AssertionError("the cached load parsed the CSV again")

    monkeypatch.setattr("ferlib.datasets.discover.load_fer2013", no_parsing)
    second = load_dataset("fer2013", data_dir, cache_dir=cache_dir)
    for column in ("images", "labels", "split", "subject", "sequence", "source"):
        np.testing.assert_array_equal(getattr(second, column), getattr(first, column))
    assert second.notes == first.notes and second.name == first.name

    # New bytes -> new key -> parsed again (and the patched parser is called).
    images[0, 0, 0] ^= 1
    write_gz(path, csv_text(images, labels, usages))
    with pytest.raises(AssertionError, match="parsed the CSV again"):
        load_dataset("fer2013", data_dir, cache_dir=cache_dir)
    monkeypatch.undo()
    third = load_dataset("fer2013", data_dir, cache_dir=cache_dir)
    assert third.images[0, 0, 0] == images[0, 0, 0]
    assert len(list(cache_dir.glob("*.npz"))) == 2


def test_cache_key_depends_on_options_and_version(monkeypatch):
    key = cache.cache_key("jaffe", "abc", {"crop": "detect"})
    assert key != cache.cache_key("jaffe", "abc", {"crop": "center"})
    assert key != cache.cache_key("jaffe", "abd", {"crop": "detect"})
    assert key != cache.cache_key("ckplus", "abc", {"crop": "detect"})
    monkeypatch.setattr(cache, "LOADER_FORMAT_VERSION", cache.LOADER_FORMAT_VERSION + 1)
    assert key != cache.cache_key("jaffe", "abc", {"crop": "detect"})


def test_unreadable_cache_entry_is_reported_and_rebuilt(tmp_path):
    images, labels, usages = make_rows(n=3, seed=8)
    data_dir, cache_dir = tmp_path / "data", tmp_path / "cache"
    data_dir.mkdir()
    write_csv(data_dir / "fer2013.csv", csv_text(images, labels, usages))
    load_dataset("fer2013", data_dir, cache_dir=cache_dir)
    (entry,) = cache_dir.glob("*.npz")
    entry.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="ignoring unreadable cache entry"):
        again = load_dataset("fer2013", data_dir, cache_dir=cache_dir)
    np.testing.assert_array_equal(again.images, images)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_dataset("fer2013", data_dir, cache_dir=cache_dir)  # rewritten, readable


def test_fingerprint_tree_covers_paths_and_contents(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"1")
    (tmp_path / "b.png").write_bytes(b"2")
    first = cache.fingerprint_path(tmp_path)
    (tmp_path / "b.png").write_bytes(b"3")
    second = cache.fingerprint_path(tmp_path)
    (tmp_path / "b.png").rename(tmp_path / "c.png")
    third = cache.fingerprint_path(tmp_path)
    assert len({first, second, third}) == 3
    assert cache.fingerprint_path(tmp_path, subfolders=["a"]) != third
    with pytest.raises(FileNotFoundError):
        cache.fingerprint_path(tmp_path / "absent")


def test_cached_load_of_many_rows_is_fast(tmp_path):
    images, labels, usages = make_rows(n=400, seed=9)
    write_gz(tmp_path / "fer2013.csv.gz", csv_text(images, labels, usages))
    load_dataset("fer2013", tmp_path, cache_dir=tmp_path / "cache")
    start = time.perf_counter()
    again = load_dataset("fer2013", tmp_path, cache_dir=tmp_path / "cache")
    assert time.perf_counter() - start < 1.0
    np.testing.assert_array_equal(again.images, images)


def test_image_folders_without_test_or_without_a_split_are_refused(tmp_path):
    images, _, _ = make_rows(n=4, seed=2)
    root = tmp_path / "fer2013"
    save_png(root / "train" / "happy" / "Training_1.png", images[0])
    with pytest.raises(ValueError, match=r"fer2013: has train/ but no test/ folder; expected .*PublicTest_"):
        load_fer2013_folders(root)
    with pytest.raises(ValueError, match="no test/ folder"):
        load_dataset("fer2013", tmp_path)  # found by discovery, refused by the loader
    save_png(root / "test" / "sad" / "PrivateTest_2.png", images[1])
    with pytest.raises(ValueError, match=r"no validation images \(no file named PublicTest_\*\)"):
        load_fer2013_folders(root)
    (root / "train" / "happy" / "Training_1.png").unlink()
    save_png(root / "test" / "sad" / "PublicTest_3.png", images[2])
    with pytest.raises(ValueError, match=r"no training images \(no file named Training_\*\)"):
        load_fer2013_folders(root)
    save_png(root / "train" / "happy" / "Training_1.png", images[0])
    assert sorted(load_fer2013_folders(root).split) == ["test", "train", "val"]


def dead_pid() -> int:
    import subprocess
    import sys

    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)


def test_the_cache_removes_temporary_files_of_killed_writes(tmp_path):
    import os

    from ferlib.atomic import host_token

    images, labels, usages = make_rows(n=3, seed=8)
    data_dir, cache_dir = tmp_path / "data", tmp_path / "cache"
    data_dir.mkdir()
    cache_dir.mkdir()
    write_csv(data_dir / "fer2013.csv", csv_text(images, labels, usages))
    killed = cache_dir / f".fer2013-0123.npz.tmp.{dead_pid()}@{host_token()}.0badc0de"
    live = cache_dir / f".fer2013-4567.npz.tmp.{os.getpid()}@{host_token()}.0badc0de"
    old = cache_dir / ".fer2013-89ab.npz.k2j4h6g8.tmp"  # an untagged one of an older version
    recent = cache_dir / ".fer2013-cdef.npz.a1b2c3d4.tmp"
    for path in (killed, live, old, recent):
        path.write_bytes(b"\0" * 4096)
    os.utime(old, (0, 0))
    load_dataset("fer2013", data_dir, cache_dir=cache_dir)
    left = {p.name for p in cache_dir.iterdir()}
    assert killed.name not in left and old.name not in left
    assert live.name in left and recent.name in left  # a live writer's, or too recent to tell
    assert len([name for name in left if name.endswith(".npz")]) == 1


def test_a_cache_dir_that_is_a_file_is_refused_before_loading(tmp_path, monkeypatch):
    images, labels, usages = make_rows(n=3, seed=8)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    write_csv(data_dir / "fer2013.csv", csv_text(images, labels, usages))
    (tmp_path / "cache").write_text("a file")
    monkeypatch.setattr("ferlib.datasets.discover.load_fer2013",
                        lambda *a, **k: pytest.fail("parsed before the cache folder was checked"))
    with pytest.raises(NotADirectoryError, match="expected a cache folder"):
        load_dataset("fer2013", data_dir, cache_dir=tmp_path / "cache")
