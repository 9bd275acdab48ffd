"""Leakage of a split, on tiny data sets whose answer is known by construction."""

import json

import numpy as np
import pytest

from ferlib import leakage, splits
from ferlib.cli import main
from ferlib.datasets import make_dataset


def _known():
    """Train: A angry, A disgust, B fear (sequence B_1), D happy; val: C angry.
    Test: A angry (same subject and label), A fear (same subject only), C angry (C is
    only in val: not seen), B fear from sequence B_1 (same subject, label and
    sequence), and a copy of D's train image under subject E (same pixels only)."""
    rng = np.random.default_rng(0)
    rows = [  # subject, label, sequence, part
        ("A", 0, "", "train"), ("A", 1, "", "train"), ("B", 2, "B_1", "train"), ("D", 3, "", "train"),
        ("C", 0, "", "val"),
        ("A", 0, "", "test"), ("A", 2, "", "test"), ("C", 0, "", "test"), ("B", 2, "B_1", "test"),
        ("E", 3, "", "test"),
    ]
    images = rng.integers(0, 256, (len(rows), 48, 48), dtype=np.uint8)
    images[9] = images[3]  # E's test image is D's train image
    subject, labels, sequence, part = map(list, zip(*rows))
    dataset = make_dataset("jaffe", images, labels, subject=subject, sequence=sequence)
    return dataset, np.array(part)


def test_counts_known_by_construction():
    dataset, split = _known()
    out = leakage.split_leakage(dataset, split)
    assert (out["train_n"], out["test_n"]) == (4, 5)
    assert out["same_subject"] == {"count": 3, "fraction": 3 / 5}  # A, A, B
    assert out["same_subject_and_label"] == {"count": 2, "fraction": 2 / 5}  # A angry, B fear
    assert out["same_sequence"] == {"count": 1, "fraction": 1 / 5}  # B_1
    assert out["same_pixels"] == {"count": 1, "fraction": 1 / 5}  # E's copy of D
    assert (out["test_subjects"], out["test_subjects_in_train"]) == (4, 2)  # A B C E; A B
    json.dumps(out)


def test_no_subject_ids_give_none_and_say_so():
    labels = np.arange(20) % 7
    split = np.array(["train"] * 12 + ["val"] * 4 + ["test"] * 4)
    images = np.random.default_rng(0).integers(0, 256, (20, 48, 48), dtype=np.uint8)
    images[-1] = images[0]
    out = leakage.split_leakage(make_dataset("fer2013", images, labels, split=split), split)
    assert out["same_subject"] is None and out["same_subject_and_label"] is None
    assert out["same_sequence"] is None and out["test_subjects"] is None
    assert any("no subject ids" in note for note in out["notes"])
    assert out["same_pixels"]["count"] == 1  # pixels are measured all the same


def _ckplus_like():
    """30 subjects x 2 sequences x 3 frames, one class per sequence."""
    rng = np.random.default_rng(2)
    subject, sequence, labels = [], [], []
    for s in range(30):
        for q, label in enumerate(rng.choice(7, 2, replace=False)):
            for _ in range(3):
                subject.append(f"S{s:03d}")
                sequence.append(f"S{s:03d}_{q:03d}")
                labels.append(label)
    images = rng.integers(0, 256, (len(labels), 48, 48), dtype=np.uint8)
    return make_dataset("ckplus", images, labels, subject=subject, sequence=sequence)


def test_sequence_grouped_split_has_no_sequence_leak_and_a_row_split_has():
    dataset = _ckplus_like()
    paper = leakage.split_leakage(dataset, splits.paper_split(dataset, seed=0))
    assert paper["same_sequence"]["count"] == 0
    assert paper["same_subject"]["count"] > 0  # the paper's split is not subject-independent
    rows = splits.stratified_split(dataset.labels, (0.7, 0.1, 0.2), seed=0)  # frames not grouped
    by_rows = leakage.split_leakage(dataset, rows)
    assert by_rows["same_sequence"]["count"] > 0
    # a test frame's sequence is in train unless all its 3 frames are outside train
    test = np.flatnonzero(rows == "test")
    expected = sum((rows[dataset.sequence == dataset.sequence[i]] == "train").any() for i in test)
    assert by_rows["same_sequence"]["count"] == expected


def test_subject_kfold_has_no_subject_leak():
    dataset = _ckplus_like()
    out = leakage.split_leakage(dataset, splits.subject_kfold(dataset, 5, seed=0)[0])
    assert out["same_subject"]["count"] == out["same_subject_and_label"]["count"] == 0
    assert out["same_sequence"]["count"] == 0 and out["test_subjects_in_train"] == 0


def test_bad_split():
    dataset, split = _known()
    with pytest.raises(ValueError, match="split must have shape"):
        leakage.split_leakage(dataset, split[:-1])
    with pytest.raises(ValueError, match="no 'test' rows"):
        leakage.split_leakage(dataset, np.where(split == "test", "train", split))


def test_table_and_cli_on_synthetic_data(tmp_path, capsys):
    report = leakage.leakage_table(None, ("jaffe", "fer2013"), seeds=(0, 1), synthetic_size=140)
    assert [(r["dataset"], r["split_seeds"]) for r in report["rows"]] == [
        ("synthetic-jaffe", [0]), ("synthetic-jaffe", [1]), ("synthetic-fer2013", [0, 1])]
    path = tmp_path / "leakage.json"
    assert main(["leakage", "--datasets", "jaffe", "fer2013", "--seeds", "0-1", "--synthetic-size", "140",
                 "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "same subject" in out and "n/a" in out and "no subject ids" in out
    assert json.loads(path.read_text()) == json.loads(json.dumps(report))


@pytest.mark.realdata
def test_real_ckplus_paper_split_keeps_sequences_apart(data_dir, tmp_path):
    from ferlib.experiment import load_data

    dataset = load_data("ckplus", data_dir=data_dir, cache_dir=tmp_path)
    for seed in (0, 1):
        out = leakage.split_leakage(dataset, splits.make_split(dataset, "paper", seed=seed))
        assert out["same_sequence"]["count"] == 0
        assert out["test_subjects"] > 0
