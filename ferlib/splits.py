"""Deterministic train / val / test splits.

Two families:

- the paper's: FER2013's official ``Usage`` column, JAFFE 60/20/20 and CK+ 70/10/20
  (``ckplus`` and the seven-class ``ckplus7``), stratified by class (CK+ keeps the
  frames of one sequence together, in ``ckplus7`` its neutral and peak frames);
- subject-independent ones: k folds grouped by subject, and leave-one-subject-out,
  so that no person is seen in training and in testing.

Every function returns a ``(n,)`` str array of ``"train"``, ``"val"`` or ``"test"``
aligned with the data set's rows, and never reorders the data set.
"""

from __future__ import annotations

import numpy as np

PAPER_FRACTIONS = {
    "jaffe": (0.6, 0.2, 0.2),
    "ckplus": (0.7, 0.1, 0.2),
    "ckplus7": (0.7, 0.1, 0.2),  # the paper's CK+: neutral + peak frame per sequence
    "fer2013": (0.8, 0.1, 0.1),  # only where a FER2013-like set has no official split
}
PARTS = np.array(["train", "val", "test"])
#: Data sets whose paper split groups the rows of a sequence.
SEQUENCE_GROUPED = ("ckplus", "ckplus7")


def base_name(name: str) -> str:
    """``"synthetic-jaffe"`` -> ``"jaffe"``: the real data set a name stands for."""
    return name.split("-", 1)[1] if name.startswith("synthetic-") else name


def _check_fractions(fractions):
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(
            f"fractions must be three non-negative numbers (train, val, test) summing "
            f"to 1, got {fractions}"
        )
    if fractions[0] == 0:
        raise ValueError("fractions: the train part must not be empty")
    return fractions


def _groups_or_rows(groups, n):
    """Integer group codes: one per row, or the given groups (e.g. sequences)."""
    if groups is None:
        return np.arange(n)
    groups = np.asarray(groups)
    if len(groups) != n:
        raise ValueError(f"groups has {len(groups)} entries, labels {n}")
    if groups.dtype.kind == "U" and (groups == "").any():
        raise ValueError("groups: some rows have an empty group id")
    return np.unique(groups, return_inverse=True)[1]


def stratified_split(labels, fractions, *, seed=0, groups=None,
                     mixed_groups=False) -> np.ndarray:
    """Split rows into train / val / test, stratified by class.

    Args:
        labels: ``(n,)`` int class per row.
        fractions: ``(train, val, test)`` summing to 1.
        seed: the shuffle seed; the same seed gives the same split.
        groups: optional ``(n,)`` group per row (e.g. a CK+ sequence); all rows of one
            group land in the same part.
        mixed_groups: ``False`` (default): each group must hold a single class.
            ``True``: a group may hold several classes (a ``ckplus7`` sequence: its
            neutral and its peak frame); groups are then stratified by the set of
            classes they hold (the sequence's emotion plus neutral).

    Within each class (or class set), ``round(test * m)`` groups go to test,
    ``round(val * m)`` to val and the rest to train, where ``m`` is its number of groups.
    Groups of one class give the same split whatever ``mixed_groups`` is.
    """
    labels = np.asarray(labels)
    fractions = _check_fractions(fractions)
    codes = _groups_or_rows(groups, len(labels))
    n_groups = codes.max() + 1 if len(codes) else 0
    classes = [set() for _ in range(n_groups)]
    for code, label in zip(codes, labels):
        classes[code].add(int(label))
    if not mixed_groups and any(len(c) > 1 for c in classes):
        raise ValueError("groups: a group holds more than one class; cannot stratify "
                         "(pass mixed_groups=True to stratify by each group's set of classes)")
    # Strata in the order of their sorted class tuples: for single-class groups this is
    # the order of the class indices, so those splits do not change.
    keys = [tuple(sorted(c)) for c in classes]
    order = {key: i for i, key in enumerate(sorted(set(keys)))}
    group_label = np.array([order[key] for key in keys], dtype=int)

    rng = np.random.default_rng(seed)
    group_part = np.zeros(n_groups, dtype=int)
    for label in np.unique(group_label):
        members = rng.permutation(np.flatnonzero(group_label == label))
        n_test = int(round(fractions[2] * len(members)))
        n_val = int(round(fractions[1] * len(members)))
        group_part[members[:n_test]] = 2
        group_part[members[n_test:n_test + n_val]] = 1
    return PARTS[group_part[codes]]


def paper_split(dataset, *, seed=0) -> np.ndarray:
    """The paper's split for a FaceDataset (real or synthetic stand-in).

    - FER2013: the official split (``Usage``) as loaded; 80/10/10 stratified if the
      data carries none.
    - JAFFE: 60/20/20 stratified by class (213 images give 129 / 42 / 42).
    - CK+: 70/10/20 stratified by class, with the frames of one sequence kept in one
      part (rows without a sequence id are their own group). ``ckplus7``: the same,
      a sequence's neutral and peak frame in one part, its groups stratified by the
      sequence's emotion (its class set).
    - anything else (a user's folders): its own split if complete, else 70/10/20.
    """
    kind = base_name(dataset.name)
    if (dataset.split != "").all() and kind not in ("jaffe", *SEQUENCE_GROUPED):
        return dataset.split.copy()
    fractions = PAPER_FRACTIONS.get(kind, (0.7, 0.1, 0.2))
    groups = None
    if kind in SEQUENCE_GROUPED or (dataset.sequence != "").any():
        groups = np.where(dataset.sequence != "", dataset.sequence,
                          np.char.add("row", np.arange(len(dataset)).astype(str)))
    return stratified_split(dataset.labels, fractions, seed=seed, groups=groups,
                            mixed_groups=kind == "ckplus7")


def subject_kfold(dataset, k=5, *, seed=0) -> list:
    """k subject-independent folds: a list of k ``(n,)`` split arrays.

    Subjects are shuffled by ``seed`` and dealt into k folds of near-equal size
    (in subjects). In fold ``i`` the subjects of fold ``i`` are the test part, those
    of fold ``i + 1 (mod k)`` the val part, and the rest train. No subject ever
    appears in two parts of one fold.
    """
    subjects = _subjects(dataset)
    k = int(k)
    unique = np.unique(subjects)
    if k < 3 or k > len(unique):
        raise ValueError(f"k must be between 3 and the number of subjects ({len(unique)}), got {k}")
    order = np.random.default_rng(seed).permutation(unique)
    fold_of = {s: i % k for i, s in enumerate(order)}
    fold = np.array([fold_of[s] for s in subjects])
    splits = []
    for i in range(k):
        part = np.zeros(len(subjects), dtype=int)
        part[fold == (i + 1) % k] = 1
        part[fold == i] = 2
        splits.append(PARTS[part])
    return splits


def leave_one_subject_out(dataset, *, seed=0) -> list:
    """One split per subject: that subject is the test part, the next (in a seeded
    order) is the val part, all others train. Returns a list of ``(n,)`` arrays,
    in the sorted order of subject ids."""
    subjects = _subjects(dataset)
    unique = np.unique(subjects)
    if len(unique) < 3:
        raise ValueError(f"leave-one-subject-out needs at least 3 subjects, got {len(unique)}")
    order = list(np.random.default_rng(seed).permutation(unique))
    splits = []
    for subject in unique:
        val_subject = order[(order.index(subject) + 1) % len(order)]
        part = np.zeros(len(subjects), dtype=int)
        part[subjects == val_subject] = 1
        part[subjects == subject] = 2
        splits.append(PARTS[part])
    return splits


def _subjects(dataset):
    subjects = np.asarray(dataset.subject)
    if (subjects == "").any():
        raise ValueError(
            f"{dataset.name}: a subject-independent split needs a subject id for every "
            f"image; {(subjects == '').sum()} images have none"
        )
    return subjects


def make_split(dataset, protocol="paper", *, seed=0, fold=0, k=5) -> np.ndarray:
    """One split array by protocol name: ``"paper"``, ``"subject-kfold"`` (fold
    ``fold`` of ``k``) or ``"loso"`` (fold ``fold`` = the ``fold``-th subject)."""
    if protocol == "paper":
        return paper_split(dataset, seed=seed)
    if protocol == "subject-kfold":
        folds = subject_kfold(dataset, k, seed=seed)
    elif protocol == "loso":
        folds = leave_one_subject_out(dataset, seed=seed)
    else:
        raise ValueError(f"unknown split protocol {protocol!r}; expected 'paper', 'subject-kfold' or 'loso'")
    if not 0 <= fold < len(folds):
        raise ValueError(f"fold must be in 0..{len(folds) - 1} for {protocol!r}, got {fold}")
    return folds[fold]


def distinct_splits(dataset, protocol="paper", seeds=(0,), *, fold=0) -> list:
    """The different splits that ``seeds`` give, each once: a list of
    ``(seeds, split)`` with ``seeds`` the tuple of seeds giving that ``(n,)`` split.

    FER2013's paper split is its official one whatever the seed, so it comes back once
    with every seed; JAFFE's and CK+'s differ by seed (in the order of ``seeds``).
    """
    found = []
    for seed in seeds:
        split = make_split(dataset, protocol, seed=int(seed), fold=fold)
        for i, (same, other) in enumerate(found):
            if np.array_equal(split, other):
                found[i] = (same + (int(seed),), other)
                break
        else:
            found.append(((int(seed),), split))
    return found
