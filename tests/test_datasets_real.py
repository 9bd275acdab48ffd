"""The loaders on the real data sets (skipped without ``--data-dir`` / FERLIB_DATA_DIR).

The expected counts are the official ones, listed in the data folder's README:
FER2013 per split and class, JAFFE per expression, CK+48 per class and sequence, and
the seven-class CK+ (``ckplus7``) from the crop release with a neutral class, per its
``SOURCE.md``: the 327 labelled sequences' peak frames and their 327 neutral first frames.
"""

import csv
import gzip
import time

import numpy as np
import pytest

from ferlib.datasets import find_datasets, load_dataset, multi_crop_choices, unrecognised_folders

pytestmark = pytest.mark.realdata

FER_COUNTS = {
    "train": {"angry": 3995, "disgust": 436, "fear": 4097, "happy": 7215, "sad": 4830,
              "surprise": 3171, "neutral": 4965},
    "val": {"angry": 467, "disgust": 56, "fear": 496, "happy": 895, "sad": 653,
            "surprise": 415, "neutral": 607},
    "test": {"angry": 491, "disgust": 55, "fear": 528, "happy": 879, "sad": 594,
             "surprise": 416, "neutral": 626},
}
JAFFE_COUNTS = {"angry": 30, "disgust": 29, "fear": 32, "happy": 31, "sad": 31,
                "surprise": 30, "neutral": 30}
CK48_COUNTS = {"angry": 135, "disgust": 177 + 54, "fear": 75, "happy": 207, "sad": 84,
               "surprise": 249, "neutral": 0}
#: The paper's seven-class CK+ (Table 1 with contempt 18 merged into disgust 59).
CK7_COUNTS = {"angry": 45, "disgust": 59 + 18, "fear": 25, "happy": 69, "sad": 28,
              "surprise": 83, "neutral": 327}
#: At most this many JAFFE faces may fall back to the central crop.
JAFFE_MAX_FALLBACKS = 5


@pytest.fixture(scope="module")
def fer_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("fer-cache")


@pytest.fixture(scope="module")
def fer2013(data_dir, fer_cache):
    """FER2013 parsed once for this module (cold: the cache folder starts empty)."""
    start = time.perf_counter()
    dataset = load_dataset("fer2013", data_dir, cache_dir=fer_cache)
    return dataset, time.perf_counter() - start


def test_all_data_sets_are_found_and_no_folder_is_left_over(data_dir):
    found = find_datasets(data_dir)
    assert set(found) == {"fer2013", "jaffe", "ckplus", "ckplus7"}
    assert found["ckplus"].name == "CK+48"  # ckplus stays the six-class CK+48
    assert found["ckplus7"].relative_to(data_dir).as_posix() == "ckplus-neutral/CK+"
    assert unrecognised_folders(data_dir) == []


def test_fer2013_counts_per_split_and_class(fer2013):
    dataset, seconds = fer2013
    assert len(dataset) == 35887
    assert dataset.images.shape == (35887, 48, 48) and dataset.images.dtype == np.uint8
    assert dataset.summary()["per_split"] == {"train": 28709, "val": 3589, "test": 3589}
    for part, counts in FER_COUNTS.items():
        assert dataset.class_counts(part) == counts, part
    print(f"FER2013 cold load with cache write: {seconds:.1f} s")
    assert seconds < 60  # generous for a shared CI machine; the benchmark measures it


def test_fer2013_rows_match_an_independent_parse(fer2013, data_dir):
    dataset, _ = fer2013
    path = find_datasets(data_dir)["fer2013"]
    assert path.name.endswith(".csv.gz")
    with gzip.open(path, "rt") as handle:
        header = handle.readline().strip().split(",")
        rows = [handle.readline().strip().split(",") for _ in range(25)]
    column = {name.lower(): i for i, name in enumerate(header)}
    for number, row in enumerate(rows, start=1):
        pixels = np.array(row[column["pixels"]].split(), dtype=np.int64).reshape(48, 48)
        np.testing.assert_array_equal(dataset.images[number - 1], pixels)
        assert dataset.labels[number - 1] == int(row[column["emotion"]])
        assert dataset.source[number - 1].endswith(f"fer2013.csv.gz:row {number}")


def test_fer2013_second_load_from_cache_is_fast(fer2013, data_dir, fer_cache):
    dataset, _ = fer2013
    start = time.perf_counter()
    again = load_dataset("fer2013", data_dir, cache_dir=fer_cache)
    seconds = time.perf_counter() - start
    print(f"FER2013 cached load: {seconds:.2f} s")
    assert seconds < 2.0
    assert (again.images == dataset.images).all()
    assert (again.labels == dataset.labels).all() and (again.split == dataset.split).all()


def test_jaffe_counts_subjects_and_fallbacks(data_dir, tmp_path):
    dataset = load_dataset("jaffe", data_dir, cache_dir=tmp_path)
    assert len(dataset) == 213
    assert dataset.class_counts() == JAFFE_COUNTS
    assert sorted(set(dataset.subject)) == ["KA", "KL", "KM", "KR", "MK", "NA", "NM", "TM",
                                            "UY", "YM"]
    notes = "\n".join(dataset.notes)
    assert "P 23" in notes  # the palette images of KA and KM
    (fallback_line,) = [n for n in dataset.notes if n.startswith("central-crop fallback")]
    fallbacks = int(fallback_line.split(": ")[1].split(" of ")[0])
    print(f"JAFFE central-crop fallbacks: {fallbacks} of 213")
    assert fallbacks <= JAFFE_MAX_FALLBACKS
    # Crops differ from image to image (a detector that returned one fixed box would
    # still give different faces, but not 213 near-identical mean levels).
    assert len(np.unique(dataset.images.reshape(213, -1).mean(1).round())) > 20


def test_ckplus48_counts_sequences_subjects(data_dir):
    dataset = load_dataset("ckplus", data_dir)
    assert len(dataset) == 981
    assert dataset.class_counts() == CK48_COUNTS
    assert len(set(dataset.sequence)) == 327
    assert len(set(dataset.subject)) == 118
    assert any("contempt mapped to disgust" in n and "54 images, 18 sequences" in n
               for n in dataset.notes)
    last = load_dataset("ckplus", data_dir, last_frames=1)
    assert len(last) == 327 and len(set(last.sequence)) == 327
    dropped = load_dataset("ckplus", data_dir, contempt="drop")
    assert len(dropped) == 981 - 54 and dropped.class_counts()["disgust"] == 177


@pytest.fixture(scope="module")
def ckplus7(data_dir, tmp_path_factory):
    """ckplus7 loaded cold into an empty cache folder, then again from the cache."""
    cache = tmp_path_factory.mktemp("ck7-cache")
    start = time.perf_counter()
    cold = load_dataset("ckplus7", data_dir, cache_dir=cache)
    cold_seconds = time.perf_counter() - start
    start = time.perf_counter()
    cached = load_dataset("ckplus7", data_dir, cache_dir=cache)
    cached_seconds = time.perf_counter() - start
    print(f"ckplus7 load: cold with cache write {cold_seconds:.2f} s, cached {cached_seconds:.3f} s")
    return cold, cached, cold_seconds, cached_seconds


def test_ckplus7_counts_sequences_subjects_and_notes(ckplus7):
    dataset, cached, cold_seconds, cached_seconds = ckplus7
    assert dataset.name == "ckplus7" and len(dataset) == 654
    assert dataset.class_counts() == CK7_COUNTS
    assert len(set(dataset.sequence)) == 327 and len(set(dataset.subject)) == 118
    for sequence in set(dataset.sequence):  # one neutral and one peak frame each
        labels = sorted(dataset.labels[dataset.sequence == sequence])
        assert len(labels) == 2 and labels[1] == 6 and labels[0] != 6, sequence
    neutral = dataset.source[dataset.labels == 6]
    assert all(s.startswith("ckplus-neutral/CK+/neutral/") for s in neutral)
    assert not any("/err/" in s for s in dataset.source)
    notes = "\n".join(dataset.notes)
    assert "err/ skipped, not a class: 476 files" in notes
    assert ("327 of 327; dropped the neutral frames of 266 sequences without an emotion "
            "label (284 files" in notes)
    assert "55 groups, 112 files in the release, 38 groups among the kept frames (39 extra" in notes
    assert "contempt mapped to disgust (as the paper's section 5B does): 18 images" in notes
    assert "128x128 (977), resized to 48x48" in notes
    np.testing.assert_array_equal(cached.images, dataset.images)
    assert (cached.labels == dataset.labels).all() and cached.notes == dataset.notes
    assert cold_seconds < 60 and cached_seconds < 2.0


def test_ckplus7_peaks_are_ck48s_last_frames_with_the_same_labels(ckplus7, data_dir):
    dataset = ckplus7[0]
    ck48 = load_dataset("ckplus", data_dir, last_frames=1)
    last = {q: (int(l), s.rsplit("_", 1)[1]) for q, l, s in
            zip(ck48.sequence, ck48.labels, ck48.source)}
    peaks = dataset.labels != 6
    assert len(last) == peaks.sum() == 327
    for sequence, label, source in zip(dataset.sequence[peaks], dataset.labels[peaks],
                                       dataset.source[peaks]):
        frame = source.rsplit("_", 1)[1]
        assert last[sequence][0] == label, sequence
        assert frame[:8] == last[sequence][1][:8], (source, last[sequence])  # same frame


def test_ckplus7_multi_crop_rule_agrees_with_the_hand_judgement(data_dir, ckplus7):
    release = find_datasets(data_dir)["ckplus7"]
    with open(release.parent / "multi_crop_files.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 112
    hand = {(r["folder"], r["file"]) for r in rows if r["judgement"] == "face"}
    extras = {r["file"] for r in rows if r["judgement"] == "extra"}
    choices = multi_crop_choices(release)
    assert len(choices) == 55 and sum(len(c["files"]) for c in choices) == 112
    differ = [c for c in choices if (c["folder"], c["chosen"]) not in hand]
    leads = sorted(sorted(c["scores"])[-1] - sorted(c["scores"])[-2] for c in choices)
    print(f"multi-crop rule vs hand judgement: {len(choices) - len(differ)} of {len(choices)} "
          f"groups agree; smallest lead {leads[0]:.3f}")
    assert differ == []
    kept = {s.rsplit("/", 1)[1] for s in ckplus7[0].source}
    assert not kept & extras
    assert len(kept & {f for _, f in hand}) == 38


def test_ckplus7_paper_split_is_grouped_by_sequence(ckplus7):
    from ferlib.splits import make_split
    dataset = ckplus7[0]
    split = make_split(dataset, "paper")
    for sequence in set(dataset.sequence):
        assert len(set(split[dataset.sequence == sequence])) == 1, sequence
    sizes = {p: int((split == p).sum()) for p in ("train", "val", "test")}
    print(f"ckplus7 paper split (seed 0): {sizes}")
    assert sizes == {"train": 458, "val": 64, "test": 132}
    for fold in make_split(dataset, "subject-kfold", fold=0), make_split(dataset, "loso", fold=3):
        for subject in set(dataset.subject):
            assert len(set(fold[dataset.subject == subject])) == 1, subject
