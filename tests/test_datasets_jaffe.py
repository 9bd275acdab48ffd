"""JAFFE loader on a few small TIFFs made here, and the face detection / cropping code
(ferlib.datasets.faces) on drawn faces."""

import warnings

import cv2
import numpy as np
import pytest
from PIL import Image

from ferlib.datasets import faces
from ferlib.datasets.discover import find_datasets, load_dataset
from ferlib.datasets.jaffe import load_jaffe, parse_jaffe_name


def draw_face(size=160, center=(80, 80), scale=0.8, background=60):
    """A grey ``(size, size)`` uint8 cartoon face (oval, eyes, brows, nose, mouth)
    that OpenCV's frontal-face Haar cascade detects."""
    image = np.full((size, size), background, np.uint8)
    cx, cy = center

    def s(value):
        return int(round(value * scale))

    thick = max(1, s(3))
    cv2.ellipse(image, (cx, cy), (s(45), s(58)), 0, 0, 360, 190, -1)
    for dx in (-18, 18):
        cv2.ellipse(image, (cx + s(dx), cy - s(12)), (s(9), s(5)), 0, 0, 360, 40, -1)
        cv2.line(image, (cx + s(dx - 11), cy - s(25)), (cx + s(dx + 11), cy - s(25)), 60,
                 thick)
    cv2.line(image, (cx, cy - s(5)), (cx, cy + s(15)), 150, thick)
    cv2.ellipse(image, (cx, cy + s(30)), (s(16), s(6)), 0, 0, 360, 80, -1)
    return cv2.GaussianBlur(image, (5, 5), 0)


def save_tiff(path, array):
    Image.fromarray(array).save(path)
    return path


def save_palette_tiff(path, indices, palette_values):
    """A mode-P TIFF whose colour table maps index i to grey ``palette_values[i]``."""
    image = Image.frombytes("P", indices.shape[::-1], indices.tobytes())
    image.putpalette([int(v) for value in palette_values for v in (value,) * 3])
    image.save(path)
    return path


def make_jaffe(folder):
    """Six TIFFs: five drawn faces (one palette, inverted colour table) and one blank."""
    folder.mkdir(parents=True, exist_ok=True)
    save_tiff(folder / "KA.AN1.39.tiff", draw_face())
    save_tiff(folder / "KA.HA2.45.tiff", draw_face(center=(60, 95)))
    save_tiff(folder / "KM.SU3.12.tiff", draw_face(scale=0.9))
    save_tiff(folder / "YM.NE1.50.TIFF", draw_face(background=120))
    save_palette_tiff(folder / "KM.DI1.20.tiff", 255 - draw_face(), 255 - np.arange(256))
    save_tiff(folder / "UY.FE2.153.tiff", np.full((160, 160), 128, np.uint8))
    (folder / "JAFFE_labels.txt").write_text("# rating table\n1 2.87 2.52 KM-NE1\n")
    return folder


def test_names_give_subject_and_label():
    assert parse_jaffe_name("KA.AN1.39.tiff") == ("KA", 0)
    assert parse_jaffe_name("NA.DI1.214.tiff") == ("NA", 1)
    assert parse_jaffe_name("ym.su3.9.TIF") == ("YM", 5)
    with pytest.raises(ValueError, match=r"KA_AN1_39.tiff: file name does not match the "
                                         r"JAFFE pattern SUBJECT.EXPRn.ID.tiff"):
        parse_jaffe_name("KA_AN1_39.tiff")
    with pytest.raises(ValueError, match="unknown JAFFE expression code 'XX'"):
        parse_jaffe_name("KA.XX1.3.tiff")


def test_load_jaffe_detects_faces_and_counts_the_fallback(tmp_path):
    folder = make_jaffe(tmp_path / "jaffe")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # JAFFE_labels.txt is skipped silently
        dataset = load_jaffe(folder)
    assert dataset.name == "jaffe" and len(dataset) == 6
    assert dataset.images.shape == (6, 48, 48) and dataset.images.dtype == np.uint8
    by_source = {s: i for i, s in enumerate(dataset.source)}
    assert set(by_source) == {f"jaffe/{p.name}" for p in folder.glob("*.*[fF]")}
    row = by_source["jaffe/KA.AN1.39.tiff"]
    assert dataset.labels[row] == 0 and dataset.subject[row] == "KA"
    assert dataset.labels[by_source["jaffe/YM.NE1.50.TIFF"]] == 6
    assert set(dataset.split) == {""} and set(dataset.sequence) == {""}
    notes = "\n".join(dataset.notes)
    assert "central-crop fallback (no face found): 1 of 6: UY.FE2.153.tiff" in notes
    assert "P 1" in notes and "L 5" in notes
    assert "Haar cascade" in notes
    # The palette image reads through its (inverted) colour table: the same face.
    palette_face = dataset.images[by_source["jaffe/KM.DI1.20.tiff"]]
    plain_face = dataset.images[by_source["jaffe/KA.AN1.39.tiff"]]
    assert np.abs(palette_face.astype(int) - plain_face).mean() < 2
    # A crop around the detected face has the face (bright oval) in its middle, also
    # for the face drawn off the image centre; the blank fallback stays uniform.
    for name in ("KA.AN1.39.tiff", "KA.HA2.45.tiff"):
        bright_y, bright_x = np.nonzero(dataset.images[by_source[f"jaffe/{name}"]] > 150)
        assert abs(bright_x.mean() - 23.5) < 3 and abs(bright_y.mean() - 23.5) < 4
    assert np.ptp(dataset.images[by_source["jaffe/UY.FE2.153.tiff"]]) == 0


def test_center_crop_option_uses_no_detector(tmp_path):
    folder = make_jaffe(tmp_path / "jaffe")
    dataset = load_jaffe(folder, crop="center", fallback_fraction=0.5)
    grey = faces.read_grey(folder / "KA.AN1.39.tiff")
    row = dataset.source.tolist().index("jaffe/KA.AN1.39.tiff")
    np.testing.assert_array_equal(dataset.images[row], faces.resize_48(grey[40:120, 40:120]))
    assert not any("fallback (no face found)" in n for n in dataset.notes)
    with pytest.raises(ValueError, match="crop must be one of"):
        load_jaffe(folder, crop="mtcnn")


def test_bad_names_stray_files_and_bad_images(tmp_path):
    folder = make_jaffe(tmp_path / "jaffe")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "README.txt").write_text("hello")
    with pytest.warns(UserWarning) as record:
        load_jaffe(folder, crop="center")
    messages = " ".join(str(w.message) for w in record)
    assert ".DS_Store" in messages and "README.txt" in messages
    assert "JAFFE_labels.txt" not in messages

    save_tiff(folder / "KA-AN1-40.tiff", draw_face())
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="KA-AN1-40.tiff"):
        load_jaffe(folder, crop="center")
    (folder / "KA-AN1-40.tiff").unlink()

    (folder / "KA.SA1.41.tiff").write_text("not an image")
    with pytest.warns(UserWarning), pytest.raises(ValueError,
                                                  match="KA.SA1.41.tiff: not a readable"):
        load_jaffe(folder, crop="center")
    data = (folder / "KA.AN1.39.tiff").read_bytes()
    (folder / "KA.SA1.41.tiff").write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="KA.SA1.41.tiff.*truncated"):
        load_jaffe(folder, crop="center")


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="JAFFE folder not found"):
        load_jaffe(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no image files"):
        load_jaffe(tmp_path / "empty")


def test_discovery_and_cache_of_jaffe(tmp_path):
    make_jaffe(tmp_path / "data" / "jaffe")
    assert find_datasets(tmp_path / "data") == {"jaffe": tmp_path / "data" / "jaffe"}
    cache_dir = tmp_path / "cache"
    first = load_dataset("jaffe", tmp_path / "data", cache_dir=cache_dir, crop="center")
    second = load_dataset("jaffe", tmp_path / "data", cache_dir=cache_dir, crop="center")
    np.testing.assert_array_equal(first.images, second.images)
    assert len(list(cache_dir.glob("*.npz"))) == 1
    load_dataset("jaffe", tmp_path / "data", cache_dir=cache_dir, crop="detect")
    assert len(list(cache_dir.glob("*.npz"))) == 2  # the crop option is in the key
    with pytest.raises(ValueError, match="layout applies to ckplus and ckplus7 only"):
        load_dataset("jaffe", tmp_path / "data", layout="ck+48")


# --- faces: detection, crop geometry and the fallback --------------------------------

def test_haar_detector_finds_the_drawn_face_where_it_is():
    image = draw_face(size=200, center=(80, 110), scale=1.0)
    boxes = faces.detect_faces(image)
    x, y, w, h = faces.largest_box(boxes)
    assert abs(x + w / 2 - 80) < 12 and abs(y + h / 2 - 110) < 12
    assert 80 < w < 170
    assert len(faces.detect_faces(np.full((200, 200), 90, np.uint8))) == 0


def test_crop_face_uses_the_largest_box_or_falls_back_to_the_centre():
    image = np.zeros((100, 200), np.uint8)
    image[10:50, 20:60] = 255  # the "face" the fake detector reports
    face, found = faces.crop_face(image, detect=lambda g: [(0, 0, 5, 5), (20, 10, 40, 40)],
                                  margin=0.0)
    assert found and face.shape == (48, 48) and (face == 255).all()
    face, found = faces.crop_face(image, detect=lambda g: np.zeros((0, 4)),
                                  fallback_fraction=0.5)
    assert not found
    np.testing.assert_array_equal(face, faces.resize_48(image[25:75, 75:125]))


def test_crop_box_geometry():
    assert faces.largest_box([]) is None and faces.largest_box(None) is None
    assert faces.square_crop_box((40, 40, 20, 20), (100, 100), margin=0.5) == (30, 30, 70, 70)
    # Near a corner the square is shifted inside the image, not shrunk.
    assert faces.square_crop_box((0, 0, 20, 20), (100, 100), margin=0.5) == (0, 0, 40, 40)
    # Never larger than the image's shorter side.
    assert faces.square_crop_box((0, 0, 90, 90), (60, 100), margin=0.5) == (15, 0, 75, 60)
    assert faces.central_box((100, 200), 0.5) == (75, 25, 125, 75)
    with pytest.raises(ValueError, match="fraction"):
        faces.central_box((10, 10), 1.5)
    with pytest.raises(ValueError, match="margin"):
        faces.square_crop_box((0, 0, 1, 1), (10, 10), margin=-1)


def test_read_grey_converts_modes_and_rejects_non_images(tmp_path):
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 1] = 200
    Image.fromarray(rgb).save(tmp_path / "green.png")
    grey = faces.read_grey(tmp_path / "green.png")
    assert grey.shape == (20, 30) and grey.dtype == np.uint8
    assert abs(int(grey[0, 0]) - round(200 * 0.587)) <= 1  # ITU-R 601 luma
    indices = np.arange(64, dtype=np.uint8).reshape(8, 8)
    path = save_palette_tiff(tmp_path / "p.tiff", indices, 255 - np.arange(256))
    grey, mode = faces.read_grey_with_mode(path)
    assert mode == "P"
    np.testing.assert_array_equal(grey, 255 - indices)
    with pytest.raises(FileNotFoundError):
        faces.read_grey(tmp_path / "absent.png")
    (tmp_path / "fake.png").write_text("text")
    with pytest.raises(ValueError, match="fake.png: not a readable image"):
        faces.read_grey(tmp_path / "fake.png")


def test_missing_cascade_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(cv2.data, "haarcascades", str(tmp_path) + "/")
    faces._haar_classifier.cache_clear()
    try:
        with pytest.raises(faces.FaceDetectorUnavailable, match="opencv-python-headless<5"):
            faces.face_cropper("detect")
        cropper = faces.face_cropper("center")  # needs no detector
        assert cropper(np.zeros((60, 60), np.uint8))[1] is False
    finally:
        monkeypatch.undo()
        faces._haar_classifier.cache_clear()
