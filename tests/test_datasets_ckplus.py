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
    assert "contempt mapped to disgust (as the paper's section 5B does): 3 images, 1 sequence" in notes
    assert "no neutral class" in notes
    assert set(dataset.split) == {""}


def test_ck48_last_frames_and_contempt_drop(tmp_path):
    root = make_ck48(tmp_path / "CK+48")
    last = load_ckplus48(root, last_frames=1)
    assert len(last) == 4 and (last.images == 90).all()  # frame 9 of each sequence
    two = load_ckplus48(root, last_frames=2, contempt="drop")
    assert len(two) == 6 and set(np.unique(two.images)) == {80, 90}
    assert DISGUST not in two.labels
    assert any("contempt dropped (the paper maps it to disgust): 2 images, 1 sequence" in n for n in two.notes)
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
    assert "contempt mapped to disgust (as the paper's section 5B does): 1 image, 1 sequence" in notes
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


# ---------------------------------------------------------------------------------------
# Crop release with a neutral folder (the paper's seven-class CK+, data set "ckplus7")

def face_crop(subject, frame, size=128):
    """A 128x128 cartoon face whose shape depends on the subject (eye spacing, face
    width, mouth), with a little per-frame noise."""
    number = int(subject[1:])
    rng = np.random.default_rng(number * 1000 + frame)
    image = np.full((size, size), 50, np.uint8)
    c = size // 2
    cv2.ellipse(image, (c, c), (30 + number % 7 * 3, 46), 0, 0, 360, 170, -1)
    spacing = 10 + number % 5 * 4
    for dx in (-spacing, spacing):
        cv2.ellipse(image, (c + dx, c - 12), (7, 4), 0, 0, 360, 30, -1)
    cv2.ellipse(image, (c, c + 22 + number % 3 * 4), (8 + number % 4 * 4, 4), 0, 0, 360, 70,
                -1)
    noisy = image.astype(int) + rng.integers(-6, 7, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def background_crop(seed, size=128):
    """Not a face: bright horizontal bars (the timestamp digits and collars of the
    release's extra crops), brighter on average than any face."""
    rng = np.random.default_rng(seed)
    image = np.full((size, size), 200, np.uint8)
    for top in range(4, size, 24):
        image[top:top + 10, int(rng.integers(0, 30)):] = 240
    return image


def make_crop_release(root):
    """A tiny crop release (128x128 crops) with every trap of the real one:

    - labelled sequences: S010_004 anger (peak 19), S010_002 contempt (peak 9),
      S011_001 surprise (peak 16, two crops: the face is crop 1, crop 0 is background),
      S020_003 happiness (peak 15, two crops: crop 0 is S011's face, crop 1 S020's);
    - neutral/ holds frame 1 of those four and of the unlabelled S010_001, S011_002 and
      S099_001; S011_001's frame 1 has three crops (the face is crop 0);
    - err/ holds a copy of a class file and a file with a name that does not parse.
    Returns ``{file name: image}`` of what was written.
    """
    written = {}

    def put(folder, name, image):
        save_png(root / folder / name, image)
        written[name] = image

    put("anger", "S010_004_00000019.png", face_crop("S010", 19))
    put("contempt", "S010_002_00000009.png", face_crop("S010", 9))
    put("surprise", "S011_001_000000160.png", background_crop(1))
    put("surprise", "S011_001_000000161.png", face_crop("S011", 16))
    put("happiness", "S020_003_000000150.png", face_crop("S011", 99))
    put("happiness", "S020_003_000000151.png", face_crop("S020", 15))
    for sequence in ("S010_004", "S010_002", "S020_003", "S010_001", "S011_002",
                     "S099_001"):
        put("neutral", f"{sequence}_00000001.png", face_crop(sequence[:4], 1))
    put("neutral", "S011_001_000000010.png", face_crop("S011", 1))
    put("neutral", "S011_001_000000011.png", background_crop(2))
    put("neutral", "S011_001_000000012.png", background_crop(3))
    (root / "err").mkdir()
    (root / "err" / "S010_004_00000019.png").write_bytes(
        (root / "anger" / "S010_004_00000019.png").read_bytes())
    (root / "err" / "not a frame.png").write_bytes(b"anything")
    return written


def rows_of(dataset):
    """``{source file name: (label, sequence, subject)}``."""
    return {s.rsplit("/", 1)[1]: (int(l), str(q), str(p)) for s, l, q, p in
            zip(dataset.source, dataset.labels, dataset.sequence, dataset.subject)}


def test_crop_names():
    from ferlib.datasets.ckplus import parse_crop_name
    assert parse_crop_name("S010_004_00000017.png") == ("S010", "S010_004", 17, None)
    assert parse_crop_name("S032_003_000000011.png") == ("S032", "S032_003", 1, 1)
    for bad in ("S10_4_17.png", "S010_004_0000017.png", "S010_004_00000017_1.png",
                "S010_004_00000017.jpg", "IMG_0001.png"):
        with pytest.raises(ValueError, match=rf"{bad}: file name does not match the CK\+ "
                                             r"crop-release pattern"):
            parse_crop_name(bad)


def test_crop_release_seven_classes_neutral_err_contempt_multi_crop(tmp_path):
    from ferlib.datasets.ckplus import load_ckplus_crops
    from ferlib.datasets.faces import resize_48
    written = make_crop_release(tmp_path / "CK+")
    dataset = load_ckplus_crops(tmp_path / "CK+")
    assert dataset.name == "ckplus7" and len(dataset) == 8
    assert rows_of(dataset) == {
        "S010_002_00000001.png": (NEUTRAL, "S010_002", "S010"),
        "S010_002_00000009.png": (DISGUST, "S010_002", "S010"),  # contempt -> disgust
        "S010_004_00000001.png": (NEUTRAL, "S010_004", "S010"),
        "S010_004_00000019.png": (ANGRY, "S010_004", "S010"),
        "S011_001_000000010.png": (NEUTRAL, "S011_001", "S011"),  # face of 3 crops
        "S011_001_000000161.png": (SURPRISE, "S011_001", "S011"),  # not the brighter crop 0
        "S020_003_00000001.png": (NEUTRAL, "S020_003", "S020"),
        "S020_003_000000151.png": (HAPPY, "S020_003", "S020"),  # S020's face, not S011's
    }
    # err/ is skipped (its unparseable name raises nothing), unlabelled neutral dropped
    assert not any("err/" in s or "S010_001" in s or "S011_002" in s or "S099" in s
                   for s in dataset.source)
    assert dataset.source[0] == "CK+/neutral/S010_002_00000001.png"
    for row, source in enumerate(dataset.source):  # 128x128 resized as faces.resize_48
        np.testing.assert_array_equal(dataset.images[row],
                                      resize_48(written[source.rsplit("/", 1)[1]]))
    notes = "\n".join(dataset.notes)
    assert "err/ skipped, not a class: 2 files" in notes
    assert ("dropped the neutral frames of 3 sequences without an emotion label (3 files"
            in notes)
    assert "327" not in notes and "of each labelled sequence, 4 of 4" in notes
    assert "contempt mapped to disgust (as the paper's section 5B does): 1 image," in notes
    assert "3 groups, 7 files in the release, 3 groups among the kept frames (4 extra" in notes
    assert "highest Pearson correlation" in notes
    assert "128x128 (15), resized to 48x48 with cv2.INTER_AREA" in notes
    assert "release's mean face" not in notes


def test_crop_release_multi_crop_choices_and_fallback(tmp_path):
    from ferlib.datasets.ckplus import choose_crop, load_ckplus_crops, multi_crop_choices
    root = tmp_path / "CK+"
    make_crop_release(root)
    choices = {(c["folder"], c["sequence"]): c["chosen"] for c in multi_crop_choices(root)}
    assert choices == {("surprise", "S011_001"): "S011_001_000000161.png",
                       ("happiness", "S020_003"): "S020_003_000000151.png",
                       ("neutral", "S011_001"): "S011_001_000000010.png"}
    index, scores = choose_crop([background_crop(5), face_crop("S010", 3)],
                                [face_crop("S010", 4)])
    assert index == 1 and scores[1] > 0.9 > scores[0]
    assert choose_crop([np.zeros((48, 48)), np.ones((48, 48))], [face_crop("S010", 4)])[0] == 0
    # A subject with no single-crop image is compared with the release's mean face.
    save_png(root / "fear" / "S030_001_000000120.png", background_crop(7))
    save_png(root / "fear" / "S030_001_000000121.png", face_crop("S030", 12))
    dataset = load_ckplus_crops(root)
    assert "S030_001_000000121.png" in rows_of(dataset)
    assert any("mean face (no single-crop image of the subject): S030" in n
               for n in dataset.notes)


def test_crop_release_contempt_drop_and_peak_is_last_frame(tmp_path):
    from ferlib.datasets.ckplus import load_ckplus_crops
    root = tmp_path / "CK+"
    make_crop_release(root)
    save_png(root / "anger" / "S010_004_00000012.png", face_crop("S010", 12))
    dropped = load_ckplus_crops(root, contempt="drop")
    rows = rows_of(dropped)
    assert "S010_002_00000009.png" not in rows and "S010_002_00000001.png" in rows
    assert "S010_004_00000019.png" in rows and "S010_004_00000012.png" not in rows
    assert any("1 earlier frames dropped" in n for n in dropped.notes)
    assert any("contempt dropped (the paper maps it to disgust): 1 image, 1 sequence" in n for n in dropped.notes)


def test_crop_release_errors_name_the_folder_or_file(tmp_path):
    from ferlib.datasets.ckplus import load_ckplus_crops
    root = tmp_path / "CK+"
    make_crop_release(root)
    with pytest.raises(FileNotFoundError, match="CK\\+ crop release not found"):
        load_ckplus_crops(tmp_path / "absent")

    (root / "neutral").rename(tmp_path / "neutral-away")
    with pytest.raises(FileNotFoundError, match=r"CK\+: no neutral/ folder; a CK\+ crop "
                                                r"release for the seven-class task needs"):
        load_ckplus_crops(root)
    (tmp_path / "neutral-away").rename(root / "neutral")

    bad = root / "anger" / "S010_004_frame19.png"
    save_png(bad, face_crop("S010", 19))
    with pytest.raises(ValueError, match="S010_004_frame19.png: file name does not match"):
        load_ckplus_crops(root)
    bad.unlink()

    broken = root / "fear" / "S040_001_00000010.png"
    broken.parent.mkdir()
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(ValueError, match="S040_001_00000010.png: not a readable image"):
        load_ckplus_crops(root)
    save_png(broken, np.zeros((1100, 900), np.uint8))
    with pytest.raises(ValueError, match=r"S040_001_00000010.png: image is 900x1100 pixels, "
                                         r"larger than 1024 on a side"):
        load_ckplus_crops(root)
    broken.unlink()
    with pytest.raises(ValueError, match=r"fear: empty folder"):
        load_ckplus_crops(root)
    broken.parent.rmdir()

    save_png(root / "joy" / "S040_001_00000010.png", face_crop("S040", 10))
    with pytest.raises(ValueError, match=r"joy: unknown folder 'joy' in a CK\+ crop release"):
        load_ckplus_crops(root)
    (root / "joy" / "S040_001_00000010.png").rename(root / "happiness" /
                                                     "S010_004_00000015.png")
    (root / "joy").rmdir()
    with pytest.raises(ValueError, match="sequence S010_004 is also in the emotion folder"):
        load_ckplus_crops(root)
    (root / "happiness" / "S010_004_00000015.png").unlink()
    for folder in ("anger", "contempt", "surprise", "happiness"):
        for file in (root / folder).iterdir():
            file.unlink()
        (root / folder).rmdir()
    with pytest.raises(ValueError, match="CK\\+: no emotion folder"):
        load_ckplus_crops(root)


def test_ckplus7_discovery_layouts_and_cache(tmp_path, monkeypatch):
    data = tmp_path / "data"
    make_crop_release(data / "ckplus-neutral" / "CK+")
    assert find_datasets(data) == {"ckplus7": data / "ckplus-neutral" / "CK+"}
    with pytest.raises(FileNotFoundError, match="no ckplus data"):  # ckplus is still CK+48
        find_dataset("ckplus", data)
    dataset = load_dataset("ckplus7", data)
    assert len(dataset) == 8 and dataset.source[0].startswith("ckplus-neutral/CK+/neutral/")
    assert len(load_dataset("ckplus7", data, layout="crops", contempt="drop")) == 7
    with pytest.raises(ValueError, match="layout must be one of .* for ckplus7"):
        load_dataset("ckplus7", data, layout="ck+48")

    cache_dir = tmp_path / "cache"
    first = load_dataset("ckplus7", data, cache_dir=cache_dir)
    monkeypatch.setattr("ferlib.datasets.discover.load_ckplus_crops",
                        lambda *a, **k: pytest.fail("the cached load read the release again"))
    again = load_dataset("ckplus7", data, cache_dir=cache_dir)
    np.testing.assert_array_equal(again.images, first.images)
    assert again.name == "ckplus7" and again.notes == first.notes
    assert [p.name[:8] for p in cache_dir.glob("*.npz")] == ["ckplus7-"]
    monkeypatch.undo()

    # The same release under ckplus/CK+ beside CK+48: ckplus keeps meaning CK+48.
    (data / "ckplus-neutral" / "CK+").rename(tmp_path / "CK+")
    (tmp_path / "CK+").rename(data / "ckplus" / "CK+") if (data / "ckplus").is_dir() else (
        (data / "ckplus").mkdir(), (tmp_path / "CK+").rename(data / "ckplus" / "CK+"))
    (data / "ckplus-neutral").rmdir()
    make_ck48(data / "ckplus" / "CK+48")
    assert find_datasets(data) == {"ckplus": data / "ckplus" / "CK+48",
                                   "ckplus7": data / "ckplus" / "CK+"}
    assert load_dataset("ckplus", data).name == "ckplus" and len(load_dataset("ckplus", data)) == 12
    assert len(load_dataset("ckplus7", data)) == 8
    assert len(load_ckplus(data / "ckplus" / "CK+")) == 8
    with pytest.raises(ValueError, match=r"\['last_frames'\] do not apply to a CK\+ crop"):
        load_ckplus(data / "ckplus" / "CK+", last_frames=1)

    # The original release gives the same task (and is preferred, as for ckplus).
    make_original(data / "ckplus", blank_sequence=False)
    original = load_dataset("ckplus7", data, crop="center")
    assert original.name == "ckplus7"
    assert original.source[0].startswith("ckplus/cohn-kanade-images/")
    assert original.class_counts() == {"angry": 0, "disgust": 2, "fear": 0, "happy": 0,
                                       "sad": 0, "surprise": 1, "neutral": 3}
    for sequence in set(original.sequence):
        assert sorted(original.labels[original.sequence == sequence])[-1] == NEUTRAL
    with pytest.raises(ValueError, match="include_neutral=False does not apply"):
        load_dataset("ckplus7", data, crop="center", include_neutral=False)
    assert load_dataset("ckplus7", data, layout="crops").source[0].startswith("ckplus/CK+/")
    assert load_dataset("ckplus", data, crop="center").class_counts()["neutral"] == 0


def test_ckplus7_paper_split_keeps_sequences_and_subject_split_is_possible(tmp_path):
    from ferlib.splits import make_split, paper_split, subject_kfold
    data = tmp_path / "data"
    make_crop_release(data / "ckplus-neutral" / "CK+")
    dataset = load_dataset("ckplus7", data)
    for seed in range(5):
        split = paper_split(dataset, seed=seed)
        for sequence in set(dataset.sequence):
            assert len(set(split[dataset.sequence == sequence])) == 1, sequence
    assert set(make_split(dataset, "paper")) <= {"train", "val", "test"}
    for split in subject_kfold(dataset, 3, seed=0):
        for subject in set(dataset.subject):
            assert len(set(split[dataset.subject == subject])) == 1, subject


def test_unrecognised_folders_are_reported(tmp_path, capsys):
    from ferlib.cli import main
    from ferlib.datasets import unrecognised_folders
    data = tmp_path / "data"
    make_crop_release(data / "ckplus-neutral" / "CK+")
    make_ck48(data / "ckplus" / "CK+48")
    assert unrecognised_folders(data) == []
    (data / "mystery").mkdir()
    (data / "ckplus" / "CK+ copy").mkdir()
    (data / ".cache").mkdir()
    (data / "README.md").write_text("notes")
    report = unrecognised_folders(data)
    assert [path for path, _ in report] == [data / "ckplus" / "CK+ copy", data / "mystery"]
    assert "no data set loader recognises this folder" in report[1][1]
    assert "ckplus7: " in report[1][1] and "with neutral/ beside" in report[1][1]

    assert main(["datasets", "--data-dir", str(data)]) == 0
    out, err = capsys.readouterr()
    assert "== ckplus7: 8 images, 3 subjects, 4 sequences" in out
    assert "== ckplus: 12 images" in out
    assert f"warning: skipped {data / 'mystery'}: no data set loader" in err
    assert f"warning: skipped {data / 'ckplus' / 'CK+ copy'}" in err

    empty = tmp_path / "empty"
    (empty / "my_faces").mkdir(parents=True)
    assert main(["datasets", "--data-dir", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "no FER2013, JAFFE or CK+ data found" in err and "my_faces: no data set loader" in err
