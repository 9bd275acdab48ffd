"""Data packs (ferlib.pack): lossless, checked, interchangeable with the data root."""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from ferlib import pack
from ferlib.datasets import find_datasets, load_dataset
from ferlib.experiment import load_data
from ferlib.fingerprint import dataset_fingerprint
from ferlib.synthetic import make_synthetic

COLUMNS = ("images", "labels", "split", "subject", "sequence", "source")
#: What a GPU call carries at most: the tracked tree, the pack and the wheels together.
CARRY_LIMIT = 64 * 2**20
WHEELS_FILE = Path(__file__).resolve().parents[1] / "tools" / "gpu-wheels.txt"


def assert_same_dataset(got, expected):
    assert got.name == expected.name and got.notes == expected.notes
    for column in COLUMNS:
        a, b = getattr(got, column), getattr(expected, column)
        assert a.dtype == b.dtype and a.shape == b.shape, column
        assert np.array_equal(a, b), column
    assert dataset_fingerprint(got) == dataset_fingerprint(expected)


@pytest.fixture(scope="module")
def small():
    """Synthetic stand-ins under the real data sets' names (ckplus7 with sequences)."""
    made = {"fer2013": make_synthetic("fer2013", 70), "jaffe": make_synthetic("jaffe", 21),
            "ckplus7": make_synthetic("ckplus", 42)}
    return {name: dataclasses.replace(dataset, name=name) for name, dataset in made.items()}


@pytest.fixture
def packed(small, tmp_path):
    pack.write_pack(small, tmp_path / "pack")
    return tmp_path / "pack"


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 1, 48), (3, 48, 1), (5, 48, 48), (2, 7, 5)])
def test_images_round_trip_exactly(shape):
    rng = np.random.default_rng(sum(shape))
    noise = rng.integers(0, 256, shape, dtype=np.uint8)  # every residual value, wrap-around included
    ramp = np.broadcast_to((np.arange(shape[1])[:, None] * 37 + np.arange(shape[2]) * 11) % 256,
                           shape).astype(np.uint8)
    for images in (noise, ramp, np.zeros(shape, np.uint8), np.full(shape, 255, np.uint8)):
        assert np.array_equal(pack.decode_images(pack.encode_images(images), shape), images)


def test_faces_compress_below_raw(small):
    images = small["fer2013"].images
    assert len(pack.encode_images(images)) < 0.9 * images.nbytes


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match="uint8"):
        pack.encode_images(np.zeros((2, 48, 48), dtype=np.int16))
    with pytest.raises(ValueError, match="needs"):
        pack.decode_images(pack.encode_images(np.zeros((2, 4, 4), np.uint8)), (3, 4, 4))


def test_pack_gives_the_same_arrays_and_fingerprint(small, packed):
    manifest = pack.read_pack(packed)
    assert list(manifest["datasets"]) == list(small)
    for name, dataset in small.items():
        assert manifest["datasets"][name]["fingerprint"] == dataset_fingerprint(dataset)
        assert_same_dataset(pack.load_packed(name, packed), dataset)
        assert_same_dataset(load_dataset(name, packed), dataset)       # a pack is a data root
        assert_same_dataset(load_data(name, pack_dir=packed), dataset)
    assert set(find_datasets(packed)) == set(small)
    assert not [p.name for p in packed.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_pack_errors_name_the_file(small, packed, tmp_path):
    with pytest.raises(FileNotFoundError, match="holds fer2013, jaffe, ckplus7, not 'ckplus'"):
        pack.load_packed("ckplus", packed)
    with pytest.raises(ValueError, match="layout and loader options do not apply"):
        load_dataset("ckplus7", packed, layout="crops")
    with pytest.raises(ValueError, match="not both"):
        load_data("jaffe", data_dir=packed, pack_dir=packed)
    target = packed / "jaffe.images.xz"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"jaffe\.images\.xz: .* corrupt"):
        pack.load_packed("jaffe", packed)
    (packed / "ckplus7.columns.json.xz").unlink()
    with pytest.raises(FileNotFoundError, match=r"ckplus7\.columns\.json\.xz.*missing"):
        pack.load_packed("ckplus7", packed)
    manifest = json.loads((packed / pack.PACK_FILE).read_text())
    manifest["version"] = 99
    (packed / pack.PACK_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="pack version 99"):
        pack.read_pack(packed)
    with pytest.raises(FileNotFoundError, match="not a data pack"):
        pack.read_pack(tmp_path)


def test_a_pack_replaces_a_pack_but_no_other_folder(small, packed, tmp_path):
    pack.write_pack({"jaffe": small["jaffe"]}, packed)
    assert pack.packed_names(packed) == ("jaffe",)
    assert sorted(p.name for p in packed.iterdir()) == ["jaffe.columns.json.xz", "jaffe.images.xz", "pack.json"]
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a data pack"):
        pack.write_pack(small, other)
    assert (other / "notes.txt").read_text() == "keep me"


def test_cli_pack_and_pack_option(small, tmp_path, capsys, monkeypatch):
    """``--pack DIR`` reads the same data as ``--data-dir`` (here: the datasets command)."""
    from ferlib.cli import main

    pack.write_pack(small, tmp_path / "p")
    assert main(["datasets", "--pack", str(tmp_path / "p"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["jaffe"]["images"] == len(small["jaffe"])
    assert main(["datasets", "--pack", str(tmp_path / "p"), "--data-dir", str(tmp_path)]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["datasets", "--pack", str(tmp_path)]) == 2
    assert "not a data pack" in capsys.readouterr().err


# --------------------------------------------------------------------------- the real data
# (the fixture real_pack, conftest.py, writes the real data sets as a pack)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_pack_gives_exactly_the_raw_data(real_pack):
    data_dir, cache, out = real_pack
    names = pack.packed_names(out)
    assert {"fer2013", "jaffe", "ckplus7"} <= set(names)
    for name in names:
        assert_same_dataset(pack.load_packed(name, out), load_dataset(name, data_dir, cache_dir=cache))


@pytest.mark.realdata
@pytest.mark.slow
def test_tree_pack_and_wheels_fit_what_a_gpu_call_carries(real_pack):
    _, _, out = real_pack
    root = Path(__file__).resolve().parents[1]
    tree = pack.tree_size(root)
    if tree is None:
        pytest.skip(f"{root} is not a git checkout: the tracked tree's size is unknown")
    wanted = [line.split("==")[0].strip().lower().replace("-", "_") for line in WHEELS_FILE.read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    wheels = list((root / ".whl").glob("*.whl"))
    have = {w.name.split("-")[0].lower() for w in wheels}
    if not set(wanted) <= have:
        pytest.skip(f"wheels {sorted(set(wanted) - have)} not in .whl/: fetch them with tools/fetch_wheels.sh")
    total = tree + pack.pack_size(out) + sum(w.stat().st_size for w in wheels)
    assert total < CARRY_LIMIT, (f"tree {tree / 2**20:.1f} MiB + pack {pack.pack_size(out) / 2**20:.1f} MiB + "
                                 f"wheels: {total / 2**20:.1f} MiB, over {CARRY_LIMIT // 2**20} MiB")


# --------------------------------------------------------------------------- a bounded reader


def _rewrite(packed, edit):
    manifest = json.loads((packed / pack.PACK_FILE).read_text())
    edit(manifest)
    (packed / pack.PACK_FILE).write_text(json.dumps(manifest))


def _replace_file(packed, name, kind, data):
    """Put ``data`` in place of data set ``name``'s ``kind`` file, with a manifest that
    records its true size and sha256 (a consistent, hostile pack)."""
    import hashlib

    def edit(manifest):
        entry = manifest["datasets"][name]["files"][kind]
        (packed / entry["name"]).write_bytes(data)
        entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())

    _rewrite(packed, edit)


@pytest.mark.parametrize("name", ["../../outside.xz", "/etc/hostname", "sub/jaffe.images.xz", ".hidden", ""])
def test_a_pack_names_only_files_inside_itself(name, packed, tmp_path):
    (tmp_path / "outside.xz").write_bytes(pack.encode_images(np.zeros((21, 48, 48), np.uint8)))
    _rewrite(packed, lambda m: m["datasets"]["jaffe"]["files"]["images"].update(name=name))
    with pytest.raises(ValueError, match=r"pack\.json: datasets\['jaffe'\]: files\.images\.name .* is not a file "
                                         r"name inside the pack"):
        pack.load_packed("jaffe", packed)


def test_a_link_inside_a_pack_is_not_followed(packed, tmp_path):
    target = packed / "jaffe.images.xz"
    (tmp_path / "elsewhere.xz").write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(tmp_path / "elsewhere.xz")
    with pytest.raises(ValueError, match=r"jaffe\.images\.xz: a link"):
        pack.load_packed("jaffe", packed)


def test_decompression_stops_at_the_size_the_manifest_declares(packed):
    """An xz of 32 MiB of zeros for 21 images of 48x48 (48,384 bytes): the reader stops
    after the declared bytes, never holding the 32 MiB."""
    import tracemalloc

    bomb = lzma_zeros(32 * 2**20)
    _replace_file(packed, "jaffe", "images", bomb)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"jaffe\.images\.xz: decompresses to more than the 48,384 bytes "
                                             r"expected; the pack is corrupt"):
            pack.load_packed("jaffe", packed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, peak
    with pytest.raises(ValueError, match="decompresses to more than"):
        pack.decode_columns(bomb, 10)


def lzma_zeros(size):
    import lzma

    return lzma.compress(bytes(size), format=lzma.FORMAT_XZ, preset=0)


@pytest.mark.parametrize("edit, message", [
    (lambda e: e.pop("files"), "'files' must be"),
    (lambda e: e.update(files="jaffe.images.xz"), "'files' must be"),
    (lambda e: e["files"].update(images=["jaffe.images.xz"]), "files.images must be"),
    (lambda e: e["files"]["columns"].pop("sha256"), "files.columns needs 'bytes'"),
    (lambda e: e["files"]["images"].update(bytes="12"), "files.images needs 'bytes'"),
    (lambda e: e.update(shape=[21, 48]), "'shape' must be"),
    (lambda e: e.update(shape=[10**9, 48, 48], images=10**9), "beyond 1,000,000 images"),
    (lambda e: e.update(images=5), "'images' 5 differs"),
    (lambda e: e.update(fingerprint=None), "'fingerprint' must be"),
])
def test_a_malformed_manifest_gives_a_clear_error(edit, message, packed, capsys):
    from ferlib.cli import main

    _rewrite(packed, lambda m: edit(m["datasets"]["jaffe"]))
    with pytest.raises(ValueError, match=re.escape(message)):
        pack.read_pack(packed)
    assert main(["datasets", "--pack", str(packed)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {packed / pack.PACK_FILE}: datasets['jaffe']: ") and len(err.splitlines()) == 1


@pytest.mark.parametrize("garbage, message", [
    (b"not xz at all", "not xz-compressed JSON columns"),
    (None, "not xz-compressed JSON columns"),                    # xz of bytes that are not JSON
    ({"name": "jaffe"}, "not the columns of a pack"),
    ("short", "columns of {"),
    ("codes", "column 'split' has codes outside its"),
    ("dtype", "a column of dtype 'O'"),
])
def test_a_garbage_columns_file_gives_a_clear_error_naming_it(garbage, message, small, packed):
    import lzma

    good = json.loads(lzma.decompress(pack.encode_columns(small["jaffe"])))
    if garbage is None:
        garbage = lzma.compress(b"\xff\xfe garbage", format=lzma.FORMAT_XZ)
    elif garbage == "short":
        good["labels"]["values"] = good["labels"]["values"][:-1]
    elif garbage == "codes":
        good["split"]["codes"][0] = 99
    elif garbage == "dtype":
        good["labels"]["dtype"] = "O"
    if not isinstance(garbage, bytes):
        garbage = lzma.compress(json.dumps(good if isinstance(garbage, str) else garbage).encode(),
                                format=lzma.FORMAT_XZ)
    _replace_file(packed, "jaffe", "columns", garbage)
    with pytest.raises(ValueError, match=r"jaffe\.columns\.json\.xz: " + re.escape(message)):
        pack.load_packed("jaffe", packed)
