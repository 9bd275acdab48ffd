"""How much of a split's test part the train part has already seen, measured from the data.

For the test images of a split, :func:`split_leakage` counts those whose

- subject (person) also has images in the train part (``same_subject``);
- subject has images *with the same expression label* in train
  (``same_subject_and_label``: the same person posing the same expression);
- sequence (CK+: frames of one recording, near-duplicates) is also in train
  (``same_sequence``; 0 by construction for the paper's sequence-grouped CK+ split);
- exact pixels (48 x 48 bytes) also occur in train (``same_pixels``).

Where the data set does not record a quantity (FER2013 has no subject ids, JAFFE no
sequences) the row is ``None`` and a note says why: nothing is guessed.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ferlib import splits
from ferlib.experiment import load_data
from ferlib.vocabulary import AUDIT_DATASETS

#: What each count means (written into the report).
MEASURES = {
    "same_subject": "test images whose subject has at least one image in the train part",
    "same_subject_and_label": "test images whose subject has a train image with the same expression label",
    "same_sequence": "test images whose sequence (CK+ recording) has a frame in the train part",
    "same_pixels": "test images whose 48x48 pixels occur byte for byte in the train part "
                   "(exact copies only: re-encoded or shifted near-duplicates are not found)",
}


def _count(flags, n) -> dict:
    count = int(np.sum(flags))
    return {"count": count, "fraction": count / n}


def _seen_in_train(keys, known, train, test):
    """For each test row: is its key (where known) among the train rows' known keys?"""
    seen = set(keys[train & known].tolist())
    return np.array([k in seen for k in keys[test]]) & known[test]


def split_leakage(dataset, split) -> dict:
    """Test images that share a subject, subject and label, sequence or pixels with train.

    Args:
        dataset: a :class:`~ferlib.datasets.FaceDataset` with ``n`` rows.
        split: ``(n,)`` str ``"train"`` / ``"val"`` / ``"test"`` aligned with the rows.

    Returns:
        a JSON-ready dict: ``dataset``, ``train_n``, ``test_n``; for each of
        :data:`MEASURES` either ``{"count", "fraction"}`` (fraction of the test
        images) or ``None`` where the data has no such ids; ``test_subjects`` and
        ``test_subjects_in_train`` (distinct subjects, ``None`` without subject ids);
        and ``notes``. Only the train part counts as seen (not val).
    """
    split = np.asarray(split)
    if split.shape != (len(dataset),):
        raise ValueError(f"split must have shape ({len(dataset)},) like the data set, got {split.shape}")
    train, test = split == "train", split == "test"
    n_test = int(test.sum())
    if n_test == 0:
        raise ValueError("split has no 'test' rows")
    out = {"dataset": dataset.name, "train_n": int(train.sum()), "test_n": n_test, "notes": []}

    subject = np.asarray(dataset.subject, dtype=str)
    has_subject = subject != ""
    if not has_subject[test].any() or not has_subject[train].any():
        out.update(same_subject=None, same_subject_and_label=None, test_subjects=None,
                   test_subjects_in_train=None)
        out["notes"].append(f"{dataset.name} records no subject ids: identity leakage cannot be "
                            "measured from the data")
    else:
        if not has_subject[test].all():
            out["notes"].append(f"{int((~has_subject[test]).sum())} test images have no subject id "
                                "and count as not seen")
        same = _seen_in_train(subject, has_subject, train, test)
        pair = np.char.add(np.char.add(subject, "|"), dataset.labels.astype(str))
        same_label = _seen_in_train(pair, has_subject, train, test)
        tested = set(subject[test & has_subject].tolist())
        out.update(same_subject=_count(same, n_test), same_subject_and_label=_count(same_label, n_test),
                   test_subjects=len(tested),
                   test_subjects_in_train=len(tested & set(subject[train & has_subject].tolist())))

    sequence = np.asarray(dataset.sequence, dtype=str)
    has_sequence = sequence != ""
    if not has_sequence.any():
        out["same_sequence"] = None
        out["notes"].append(f"{dataset.name} records no sequence ids (single photographs)")
    else:
        out["same_sequence"] = _count(_seen_in_train(sequence, has_sequence, train, test), n_test)

    digests = np.array([hashlib.sha1(image.tobytes()).hexdigest() for image in dataset.images])
    out["same_pixels"] = _count(_seen_in_train(digests, np.ones(len(digests), bool), train, test), n_test)
    return out


def leakage_table(data_dir=None, datasets=AUDIT_DATASETS, seeds=(0, 1, 2),
                  protocol="paper", *, cache_dir=None, synthetic_size=None) -> dict:
    """:func:`split_leakage` for every data set and distinct split: a JSON-ready report.

    Args:
        data_dir: root of the real data sets; ``None``: synthetic stand-ins.
        datasets: data set names.
        seeds: split seeds; seeds giving the same split (FER2013's official one) share
            one row, whose ``split_seeds`` lists them.
        protocol: split protocol (:func:`ferlib.splits.make_split`).

    Returns:
        ``{"protocol", "data", "measures", "rows"}``: ``measures`` is
        :data:`MEASURES`, ``rows`` a list of :func:`split_leakage` dicts with
        ``split_seeds`` added.
    """
    rows = []
    for name in datasets:
        dataset = load_data(name, data_dir=data_dir, synthetic_size=synthetic_size, data_seed=0,
                            cache_dir=cache_dir)
        for split_seeds, split in splits.distinct_splits(dataset, protocol, seeds):
            rows.append({"split_seeds": list(split_seeds), **split_leakage(dataset, split)})
    return {"protocol": protocol, "data": "synthetic" if data_dir is None else "real",
            "measures": dict(MEASURES), "rows": rows}


def leakage_frame(report) -> pd.DataFrame:
    """One printable row per data set and split of a :func:`leakage_table` report."""
    def cell(value):
        return "n/a" if value is None else f"{value['count']} ({100 * value['fraction']:.0f}%)"

    return pd.DataFrame([{
        "dataset": row["dataset"], "seeds": ",".join(map(str, row["split_seeds"])),
        "test n": row["test_n"],
        **{name.replace("_", " "): cell(row[name]) for name in MEASURES},
    } for row in report["rows"]])
