"""The loaders on the real data sets (skipped without ``--data-dir`` / FERLIB_DATA_DIR).

The expected counts are the official ones, listed in the data folder's README:
FER2013 per split and class, JAFFE per expression, CK+48 per class and sequence.
"""

import gzip
import time

import numpy as np
import pytest

from ferlib.datasets import find_datasets, load_dataset

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


def test_all_three_are_found(data_dir):
    assert set(find_datasets(data_dir)) == {"fer2013", "jaffe", "ckplus"}


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
