import numpy as np
import pytest

from ferlib import splits
from ferlib.datasets import make_dataset


def _jaffe_like(seed=0):
    """213 rows, 10 subjects, JAFFE's class counts."""
    counts = [30, 29, 32, 31, 31, 30, 30]  # angry disgust fear happy sad surprise neutral
    labels = np.repeat(np.arange(7), counts)
    rng = np.random.default_rng(seed)
    subjects = np.array([f"S{i}" for i in rng.integers(0, 10, len(labels))])
    images = np.zeros((len(labels), 48, 48), np.uint8)
    return make_dataset("jaffe", images, labels, subject=subjects)


def _ckplus_like():
    """40 subjects, 3 sequences each, 3 frames per sequence, one class per sequence."""
    rng = np.random.default_rng(1)
    subject, sequence, labels = [], [], []
    for s in range(40):
        for q in range(3):
            label = rng.integers(0, 7)
            for _ in range(3):
                subject.append(f"S{s:03d}")
                sequence.append(f"S{s:03d}_{q:03d}")
                labels.append(label)
    images = np.zeros((len(labels), 48, 48), np.uint8)
    return make_dataset("synthetic-ckplus", images, labels, subject=subject, sequence=sequence)


def test_jaffe_paper_split_matches_paper_sizes():
    ds = _jaffe_like()
    split = splits.paper_split(ds, seed=0)
    sizes = {p: int((split == p).sum()) for p in ("train", "val", "test")}
    # the paper's section 5C: 129 / 42 / 42
    assert sizes == {"train": 129, "val": 42, "test": 42}
    for label in range(7):
        in_class = split[ds.labels == label]
        assert (in_class == "test").sum() >= 5  # every class is represented in test


def test_split_is_deterministic_and_seed_sensitive():
    ds = _jaffe_like()
    a = splits.paper_split(ds, seed=3)
    b = splits.paper_split(ds, seed=3)
    c = splits.paper_split(ds, seed=4)
    assert (a == b).all()
    assert (a != c).any()


def test_ckplus_sequences_never_straddle_parts():
    ds = _ckplus_like()
    split = splits.paper_split(ds, seed=0)
    for seq in np.unique(ds.sequence):
        assert len(set(split[ds.sequence == seq])) == 1, seq
    n_seq = len(np.unique(ds.sequence))
    test_seqs = len(np.unique(ds.sequence[split == "test"]))
    assert abs(test_seqs - 0.2 * n_seq) <= 7  # rounding per class


@pytest.mark.parametrize("maker", ["kfold", "loso"])
def test_no_subject_in_two_parts(maker):
    ds = _ckplus_like() if maker == "kfold" else _jaffe_like()
    folds = (splits.subject_kfold(ds, 5, seed=2) if maker == "kfold"
             else splits.leave_one_subject_out(ds, seed=2))
    assert len(folds) == (5 if maker == "kfold" else 10)
    tested = set()
    for split in folds:
        for subject in np.unique(ds.subject):
            parts = set(split[ds.subject == subject])
            assert len(parts) == 1, (subject, parts)
        assert {"train", "val", "test"} <= set(split)
        tested |= set(ds.subject[split == "test"])
    assert tested == set(ds.subject)  # every subject is tested exactly in some fold
    if maker == "kfold":
        for split in folds:  # CK+ frames of a sequence stay together too
            for seq in np.unique(ds.sequence):
                assert len(set(split[ds.sequence == seq])) == 1


def test_official_split_kept_for_fer2013():
    labels = np.arange(30) % 7
    split = np.array(["train"] * 20 + ["val"] * 5 + ["test"] * 5)
    ds = make_dataset("fer2013", np.zeros((30, 48, 48), np.uint8), labels, split=split)
    assert (splits.paper_split(ds) == split).all()


def test_bad_arguments():
    ds = _jaffe_like()
    with pytest.raises(ValueError, match="fractions"):
        splits.stratified_split(ds.labels, (0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="k must be"):
        splits.subject_kfold(ds, 50)
    with pytest.raises(ValueError, match="protocol"):
        splits.make_split(ds, "random")
    with pytest.raises(ValueError, match="fold"):
        splits.make_split(ds, "loso", fold=10)
    nosubject = make_dataset("fer2013", np.zeros((14, 48, 48), np.uint8), np.arange(14) % 7)
    with pytest.raises(ValueError, match="subject id"):
        splits.subject_kfold(nosubject, 3)
    mixed = np.array(["a", "a", "b"])
    with pytest.raises(ValueError, match="more than one class"):
        splits.stratified_split([0, 1, 1], (0.6, 0.2, 0.2), groups=mixed)


def _ckplus7_like(name="ckplus7"):
    """40 subjects, 3 sequences each; a sequence is a neutral first frame and a peak
    frame of one emotion (0..5), as the seven-class CK+."""
    rng = np.random.default_rng(2)
    subject, sequence, labels = [], [], []
    for s in range(40):
        for q in range(3):
            emotion = int(rng.integers(0, 6))
            for label in (6, emotion):
                subject.append(f"S{s:03d}")
                sequence.append(f"S{s:03d}_{q:03d}")
                labels.append(label)
    images = np.zeros((len(labels), 48, 48), np.uint8)
    return make_dataset(name, images, labels, subject=subject, sequence=sequence)


@pytest.mark.parametrize("name", ["ckplus7", "synthetic-ckplus7"])
def test_ckplus7_paper_split_keeps_a_sequences_neutral_and_peak_together(name):
    ds = _ckplus7_like(name)
    assert splits.PAPER_FRACTIONS["ckplus7"] == (0.7, 0.1, 0.2)
    split = splits.paper_split(ds, seed=0)
    for seq in np.unique(ds.sequence):
        assert len(set(split[ds.sequence == seq])) == 1, seq
    peaks = ds.labels != 6
    for emotion in range(6):  # stratified by the sequence's emotion
        m = int((ds.labels == emotion).sum())
        in_class = split[ds.labels == emotion]
        assert (in_class == "test").sum() == round(0.2 * m)
        assert (in_class == "val").sum() == round(0.1 * m)
    assert (split[~peaks] == "test").sum() == (split[peaks] == "test").sum()
    # a subject-grouped split of the same data is possible
    for fold in splits.subject_kfold(ds, 5, seed=0):
        for subject in np.unique(ds.subject):
            assert len(set(fold[ds.subject == subject])) == 1


def test_mixed_groups_only_for_ckplus7_and_single_class_splits_unchanged():
    with pytest.raises(ValueError, match="more than one class"):
        splits.paper_split(_ckplus7_like("ckplus"))  # ckplus stays one class per sequence
    ds = _ckplus_like()
    for seed in range(3):
        plain = splits.stratified_split(ds.labels, (0.7, 0.1, 0.2), seed=seed, groups=ds.sequence)
        mixed = splits.stratified_split(ds.labels, (0.7, 0.1, 0.2), seed=seed, groups=ds.sequence,
                                        mixed_groups=True)
        assert (plain == mixed).all()


def test_distinct_splits_runs_each_different_split_once():
    ds = _jaffe_like()
    found = splits.distinct_splits(ds, "paper", (0, 1, 0))
    assert [seeds for seeds, _ in found] == [(0, 0), (1,)]
    assert (found[0][1] == splits.paper_split(ds, seed=0)).all()
    assert (found[1][1] == splits.paper_split(ds, seed=1)).all()
    official = np.array(["train"] * 20 + ["val"] * 5 + ["test"] * 5)
    fer = make_dataset("fer2013", np.zeros((30, 48, 48), np.uint8), np.arange(30) % 7, split=official)
    (seeds, split), = splits.distinct_splits(fer, "paper", (0, 1, 2))
    assert seeds == (0, 1, 2) and (split == official).all()
