import numpy as np

from ferlib.datasets import make_dataset
from ferlib.fingerprint import dataset_fingerprint, fingerprint_arrays, fingerprint_json


def _ds(pixel=0):
    images = np.zeros((7, 48, 48), np.uint8)
    images[0, 0, 0] = pixel
    return make_dataset("x", images, np.arange(7), subject=list("abcdefg"))


def test_dataset_fingerprint_changes_with_any_pixel_label_or_split():
    base = dataset_fingerprint(_ds())
    assert base == dataset_fingerprint(_ds())
    assert len(base) == 64
    assert base != dataset_fingerprint(_ds(pixel=1))
    relabelled = _ds().subset(np.arange(7)[::-1])
    assert base != dataset_fingerprint(relabelled)
    split = np.array(["train"] * 5 + ["val", "test"])
    assert base != dataset_fingerprint(_ds(), split=split)


def test_fingerprint_arrays_names_matter_but_order_does_not():
    a, b = np.arange(3), np.arange(3, 6)
    assert fingerprint_arrays(x=a, y=b) == fingerprint_arrays(y=b, x=a)
    assert fingerprint_arrays(x=a, y=b) != fingerprint_arrays(x=b, y=a)
    assert fingerprint_arrays(x=a.astype(np.int32)) != fingerprint_arrays(x=a.astype(np.int64))


def test_fingerprint_json_is_key_order_independent():
    assert fingerprint_json({"a": 1, "b": [1, 2]}) == fingerprint_json({"b": [1, 2], "a": 1})
    assert fingerprint_json({"a": 1}) != fingerprint_json({"a": 2})
