"""load_folders on class folders made here: any size and mode, optional split folders,
bad input."""

import numpy as np
import pytest
from PIL import Image

from ferlib.datasets.discover import load_dataset
from ferlib.datasets.folders import list_images, load_folders
from ferlib.labels import label_index


def save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array)
    image = image.convert(mode) if mode else image
    image.save(path)
    return path


def grey(value, shape=(48, 48)):
    return np.full(shape, value, np.uint8)


def test_class_folders_of_any_size_and_mode(tmp_path):
    root = tmp_path / "mine"
    save(root / "anger" / "a.png", grey(10))
    rgb = np.zeros((120, 90, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: luma 0.299 * 255
    save(root / "Happy" / "b.jpg", rgb)
    save(root / "happy" / "c.bmp", grey(200, (30, 100)))
    save(root / "surprised" / "d.png", grey(99), mode="RGBA")
    dataset = load_folders(root)
    assert dataset.name == "mine" and len(dataset) == 4
    assert dataset.images.shape == (4, 48, 48) and dataset.images.dtype == np.uint8
    by_source = {s: i for i, s in enumerate(dataset.source)}
    assert set(by_source) == {"mine/anger/a.png", "mine/Happy/b.jpg", "mine/happy/c.bmp",
                              "mine/surprised/d.png"}
    assert dataset.labels[by_source["mine/anger/a.png"]] == label_index("angry")
    assert dataset.labels[by_source["mine/Happy/b.jpg"]] == label_index("happy")
    assert dataset.labels[by_source["mine/surprised/d.png"]] == label_index("surprise")
    assert abs(int(dataset.images[by_source["mine/Happy/b.jpg"]].mean()) - 76) <= 2
    assert (dataset.images[by_source["mine/happy/c.bmp"]] == 200).all()
    assert (dataset.images[by_source["mine/surprised/d.png"]] == 99).all()
    assert set(dataset.split) == {""}
    assert any("2 images were not 48x48" in n for n in dataset.notes)


def test_split_folders(tmp_path):
    root = tmp_path / "mine"
    save(root / "train" / "sad" / "1.png", grey(1))
    save(root / "train" / "fear" / "2.png", grey(2))
    save(root / "validation" / "sad" / "3.png", grey(3))
    save(root / "test" / "neutral" / "4.png", grey(4))
    dataset = load_folders(root)
    split_of = {int(img[0, 0]): part for img, part in zip(dataset.images, dataset.split)}
    assert split_of == {1: "train", 2: "train", 3: "val", 4: "test"}
    assert any("validation->val" in n for n in dataset.notes)
    via_entry_point = load_dataset("folders", root)
    assert via_entry_point.source.tolist() == dataset.source.tolist()

    save(root / "happy" / "5.png", grey(5))
    with pytest.raises(ValueError, match=r"mixes split folders .* with other folders "
                                         r"\['happy'\]"):
        load_folders(root)


def test_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="image folder not found"):
        load_folders(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="image folder not found"):
        load_dataset("folders", tmp_path / "absent")

    root = tmp_path / "mine"
    save(root / "happy" / "a.png", grey(1))
    (root / "contempt").mkdir()
    with pytest.raises(ValueError, match=r"contempt: unknown class folder name 'contempt'"):
        load_folders(root)
    (root / "contempt").rmdir()

    (root / "sad").mkdir()
    with pytest.raises(ValueError, match=r"sad: empty class folder"):
        load_folders(root)
    (root / "sad" / "README.txt").write_text("notes")
    with pytest.warns(UserWarning, match="README.txt"), \
            pytest.raises(ValueError, match="empty class folder"):
        load_folders(root)
    (root / "sad" / ".DS_Store").write_bytes(b"\0")
    save(root / "sad" / "b.png", grey(2))
    with pytest.warns(UserWarning) as record:
        assert len(load_folders(root)) == 2
    assert {str(w.message).split(":")[0].rsplit("/", 1)[-1] for w in record} == {
        ".DS_Store", "README.txt"}

    (root / "sad" / "c.png").write_text("not a png")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="c.png: not a readable"):
        load_folders(root)
    data = (root / "sad" / "b.png").read_bytes()
    (root / "sad" / "c.png").write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="c.png: .*truncated"):
        load_folders(root)

    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_folders(empty)


def test_list_images_skips_folders_and_hidden_files(tmp_path):
    save(tmp_path / "b.PNG", grey(1))
    save(tmp_path / "a.tif", grey(1))
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden.png").write_bytes(b"")
    (tmp_path / "labels.txt").write_text("")
    with pytest.warns(UserWarning) as record:
        files = list_images(tmp_path, ignore_names=("labels.txt",))
    assert [f.name for f in files] == ["a.tif", "b.PNG"]
    assert len(record) == 2  # the sub-folder and the hidden file


def png_header(width, height) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels (header only, no pixel data)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IEND", b""))


def test_oversize_images_are_refused_from_their_header_naming_the_file(tmp_path, monkeypatch):
    from ferlib.datasets import faces

    bomb = tmp_path / "faces" / "happy" / "bomb.png"
    bomb.parent.mkdir(parents=True)
    bomb.write_bytes(png_header(9000, 9000))  # 81 megapixels: over the limit, under Pillow's error
    with pytest.raises(ValueError, match=r"bomb.png: image too large to decode \(9000x9000 pixels\); "
                                         r"expected at most 50,000,000 pixels"):
        faces.read_grey(bomb)
    bomb.write_bytes(png_header(20000, 20000))  # Pillow's decompression-bomb error
    with pytest.raises(ValueError, match=r"bomb.png: image too large to decode \(refused by Pillow"):
        load_folders(tmp_path / "faces")
    monkeypatch.setattr(faces, "MAX_IMAGE_PIXELS", 64 * 64)  # a real image over a lower limit
    save(bomb.with_name("big.png"), grey(9, (80, 80)))
    bomb.unlink()
    with pytest.raises(ValueError, match=r"big.png: image too large to decode \(80x80 pixels\)"):
        load_folders(tmp_path / "faces")
