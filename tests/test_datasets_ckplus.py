"""CK+ loaders on a fake CK+48 tree and a fake original-release tree made here."""

import cv2
import numpy as np
import pytest
from PIL import Image

from ferlib.datasets.ckplus import (
    load_ckplus,
    load_ckplus48,
    load_ckplus_original,
    parse_frame_name,
    read_emotion_code,
)
from ferlib.datasets.discover import find_dataset, find_datasets, load_dataset
from ferlib.labels import label_index

ANGRY, DISGUST, HAPPY, NEUTRAL, SURPRISE = (label_index(n) for n in
                                           ("angry", "disgust", "happy", "neutral",
                                            "surprise"))


def save_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def frame_image(value):
    """A 48x48 image whose pixel values tell which frame it is."""
    return np.full((48, 48), value, np.uint8)


def make_ck48(root):
    """CK+48 with 3 frames per sequence: anger S010_004, S011_001; contempt S010_002;
    happy S020_003. Frame k of a sequence has grey level 10 * k."""
    sequences = {"anger": ["S010_004", "S011_001"], "contempt": ["S010_002"],
                 "happy": ["S020_003"]}
    for folder, names in sequences.items():
        for name in names:
            for frame in (7, 8, 9):
                save_png(root / folder / f"{name}_{frame:08d}.png", frame_image(10 * frame))
    return root


def test_frame_names():
    assert parse_frame_name("S010_004_00000017.png") == ("S010", "S010_004", 17)
    with pytest.raises(ValueError, match=r"S10-4-17.png: file name does not match the CK\+ "
                                         r"pattern"):
        parse_frame_name("S10-4-17.png")


def test_ck48_counts_contempt_and_notes(tmp_path):
    root = make_ck48(tmp_path / "CK+48")
    dataset = load_ckplus48(root)
    assert dataset.name == "ckplus" and len(dataset) == 12
    assert dataset.class_counts() == {"angry": 6, "disgust": 3, "fear": 0, "happy": 3,
                                      "sad": 0, "surprise": 0, "neutral": 0}
    assert sorted(set(dataset.sequence)) == ["S010_002", "S010_004", "S011_001", "S020_003"]
    assert sorted(set(dataset.subject)) == ["S010", "S011", "S020"]
    contempt_rows = dataset.sequence == "S010_002"
    assert (dataset.labels[contempt_rows] == DISGUST).all()
    assert "CK+48/contempt/S010_002_00000007.png" in dataset.source.tolist()
    notes = "\n".join(dataset.notes)
    assert "contempt mapped to disgust (our choice; the paper does not say): 3 images, 1 sequences" in notes
    assert "no neutral class" in notes
    assert set(dataset.split) == {""}


def test_ck48_last_frames_and_contempt_drop(tmp_path):
    root = make_ck48(tmp_path / "CK+48")
    last = load_ckplus48(root, last_frames=1)
    assert len(last) == 4 and (last.images == 90).all()  # frame 9 of each sequence
    two = load_ckplus48(root, last_frames=2, contempt="drop")
    assert len(two) == 6 and set(np.unique(two.images)) == {80, 90}
    assert DISGUST not in two.labels
    assert any("contempt dropped: 2 images, 1 sequences" in n for n in two.notes)
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="last_frames must be a positive integer"):
            load_ckplus48(root, last_frames=bad)
    with pytest.raises(ValueError, match="contempt must be one of"):
        load_ckplus48(root, contempt="keep")


def test_ck48_bad_input(tmp_path):
    root = make_ck48(tmp_path / "CK+48")
    (root / "anger" / ".DS_Store").write_bytes(b"\0")
    with pytest.warns(UserWarning, match=r"\.DS_Store"):
        assert len(load_ckplus48(root)) == 12
    (root / "anger" / ".DS_Store").unlink()

    (root / "sadness").mkdir()
    with pytest.raises(ValueError, match=r"sadness: empty class folder"):
        load_ckplus48(root)
    (root / "sadness").rmdir()

    save_png(root / "joy" / "S030_001_00000001.png", frame_image(1))
    with pytest.raises(ValueError, match=r"unknown CK\+48 class folder 'joy'"):
        load_ckplus48(root)
    (root / "joy" / "S030_001_00000001.png").rename(root / "anger" / "frame1.png")
    (root / "joy").rmdir()
    with pytest.raises(ValueError, match="frame1.png: file name does not match"):
        load_ckplus48(root)
    (root / "anger" / "frame1.png").unlink()

    save_png(root / "happy" / "S010_004_00000010.png", frame_image(1))
    with pytest.raises(ValueError, match="sequence S010_004 is also in the class folder"):
        load_ckplus48(root)
    (root / "happy" / "S010_004_00000010.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (root / "happy" / "S010_004_00000010.png").rename(root / "happy" / "S099_001_00000001.png")
    with pytest.raises(ValueError, match="S099_001_00000001.png: not a readable image"):
        load_ckplus48(root)
    with pytest.raises(FileNotFoundError, match="CK\\+48 folder not found"):
        load_ckplus48(tmp_path / "absent")


def draw_face_frame(size=(160, 200)):
    """A 160x200 frame with a cartoon face the Haar cascade detects."""
    image = np.full(size, 60, np.uint8)
    cx, cy = size[1] // 2, size[0] // 2
    cv2.ellipse(image, (cx, cy), (36, 46), 0, 0, 360, 190, -1)
    for dx in (-14, 14):
        cv2.ellipse(image, (cx + dx, cy - 10), (7, 4), 0, 0, 360, 40, -1)
        cv2.line(image, (cx + dx - 9, cy - 20), (cx + dx + 9, cy - 20), 60, 2)
    cv2.line(image, (cx, cy - 4), (cx, cy + 12), 150, 2)
    cv2.ellipse(image, (cx, cy + 24), (13, 5), 0, 0, 360, 80, -1)
    return cv2.GaussianBlur(image, (5, 5), 0)


def make_original(root, *, blank_sequence=True):
    """Original CK+ tree: S005/001 disgust (4 frames), S010/002 contempt (3 frames),
    S010/003 unlabelled (3 frames), S011/001 surprise with blank frames (no face)."""
    sequences = {("S005", "001"): (4, 3.0), ("S010", "002"): (3, 2.0),
                 ("S010", "003"): (3, None), ("S011", "001"): (3, 7.0)}
    for (subject, number), (frames, code) in sequences.items():
        for frame in range(1, frames + 1):
            blank = blank_sequence and subject == "S011"
            image = np.full((160, 200), 100, np.uint8) if blank else draw_face_frame()
            image[0, 0] = frame  # tells the frames apart
            save_png(root / "cohn-kanade-images" / subject / number
                     / f"{subject}_{number}_{frame:08d}.png", image)
        if code is not None:
            label_dir = root / "Emotion" / subject / number
            label_dir.mkdir(parents=True)
            (label_dir / f"{subject}_{number}_{frames:08d}_emotion.txt").write_text(
                f"   {code:.7e}\n")
    return root


def frame_of(dataset, row):
    return int(dataset.source[row].rsplit("_", 1)[1].split(".")[0])


def test_original_release_last_frame_with_face_detection(tmp_path):
    root = make_original(tmp_path / "ckplus")
    dataset = load_ckplus_original(root)
    assert len(dataset) == 3
    assert dataset.labels.tolist() == [DISGUST, DISGUST, SURPRISE]
    assert dataset.sequence.tolist() == ["S005_001", "S010_002", "S011_001"]
    assert dataset.subject.tolist() == ["S005", "S010", "S011"]
    assert dataset.source[0] == "ckplus/cohn-kanade-images/S005/001/S005_001_00000004.png"
    notes = "\n".join(dataset.notes)
    assert "3 labelled sequences of 4; 1 without an emotion file skipped" in notes
    assert "contempt mapped to disgust (our choice; the paper does not say): 1 images, 1 sequences" in notes
    assert ("central-crop fallback (no face found): 1 of 3: "
            "ckplus/cohn-kanade-images/S011/001/S011_001_00000003.png") in notes
    # The detected crops hold the face (bright oval) in the middle, background round it.
    face = dataset.images[0].astype(int)
    assert face[18:30, 18:30].mean() > 120 and face[:4, :4].mean() < 90


def test_original_release_neutral_frames_and_options(tmp_path):
    root = make_original(tmp_path / "ckplus", blank_sequence=False)
    with_neutral = load_ckplus_original(root, last_frames=2, include_neutral=True,
                                        crop="center")
    assert len(with_neutral) == 9
    neutral = with_neutral.labels == NEUTRAL
    assert neutral.sum() == 3
    assert {frame_of(with_neutral, r) for r in np.flatnonzero(neutral)} == {1}
    assert sorted(frame_of(with_neutral, r) for r in np.flatnonzero(
        with_neutral.sequence == "S005_001")) == [1, 3, 4]
    dropped = load_ckplus_original(root, include_neutral=True, contempt="drop", crop="center")
    contempt_rows = dropped.sequence == "S010_002"
    assert dropped.labels[contempt_rows].tolist() == [NEUTRAL]  # its neutral frame stays
    everything = load_ckplus_original(root, last_frames=None, include_neutral=True,
                                      crop="center")
    assert len(everything) == 4 + 3 + 3 and NEUTRAL not in everything.labels


def test_original_release_bad_labels(tmp_path):
    root = make_original(tmp_path / "ckplus", blank_sequence=False)
    label = root / "Emotion" / "S005" / "001" / "S005_001_00000004_emotion.txt"
    for text in ("9.0", "abc", "2.5", ""):
        label.write_text(text)
        with pytest.raises(ValueError, match="S005_001_00000004_emotion.txt: emotion code"):
            load_ckplus_original(root, crop="center")
    assert read_emotion_code_of(label, "   1.0000000e+00\n") == 1
    (label.parent / "S005_001_00000003_emotion.txt").write_text("1")
    with pytest.raises(ValueError, match="2 emotion files; expected one"):
        load_ckplus_original(root, crop="center")
    (label.parent / "S005_001_00000003_emotion.txt").unlink()
    (root / "Emotion").rename(root / "Labels")
    with pytest.raises(FileNotFoundError, match="no emotion label folder"):
        load_ckplus_original(root, crop="center")
    with pytest.raises(FileNotFoundError, match="CK\\+ image folder not found"):
        load_ckplus_original(tmp_path / "absent")


def read_emotion_code_of(path, text):
    path.write_text(text)
    return read_emotion_code(path)


def test_layouts_discovery_and_dispatch(tmp_path):
    data = tmp_path / "data"
    make_ck48(data / "ckplus" / "CK+48")
    assert find_datasets(data) == {"ckplus": data / "ckplus" / "CK+48"}
    assert len(load_ckplus(data / "ckplus")) == 12
    assert len(load_dataset("ckplus", data, last_frames=1)) == 4
    with pytest.raises(ValueError, match=r"\['include_neutral'\] do not apply to the CK\+48"):
        load_ckplus(data / "ckplus", include_neutral=True)
    with pytest.raises(FileNotFoundError, match="no ckplus data"):
        find_dataset("ckplus", data, layout="original")

    make_original(data / "ckplus", blank_sequence=False)
    assert find_dataset("ckplus", data) == data / "ckplus"  # the original is preferred
    assert find_dataset("ckplus", data, layout="ck+48") == data / "ckplus" / "CK+48"
    original = load_dataset("ckplus", data, crop="center", include_neutral=True)
    assert len(original) == 6 and original.source[0].startswith("ckplus/cohn-kanade-images/")
    ck48 = load_dataset("ckplus", data, layout="ck+48")
    assert len(ck48) == 12 and ck48.source[0].startswith("ckplus/CK+48/")
    cache_dir = tmp_path / "cache"
    cached = load_dataset("ckplus", data, cache_dir=cache_dir, crop="center")
    again = load_dataset("ckplus", data, cache_dir=cache_dir, crop="center")
    np.testing.assert_array_equal(cached.images, again.images)
    assert len(list(cache_dir.glob("*.npz"))) == 1
    with pytest.raises(ValueError, match="layout must be one of"):
        load_dataset("ckplus", data, layout="ck48")
