"""The three synthetic domains: data sets in the style of FER2013, CK+ and JAFFE.

Every image is a 48x48 grey face drawn from a handful of numbers. The expression
comes from facial geometry only (brows, eyes, nose, mouth), the same in every domain;
identity, pose, framing, lighting and noise come from the *domain*, which imitates
how one of the paper's three data sets looks (:mod:`ferlib.synthetic.looks`):

``"fer2013"``
    in the wild: every image a new person, varied pose, scale, lighting, blur and
    noise, some occlusions and glasses, some low-contrast images; FER2013's class
    imbalance and its official train / val / test proportions.
``"ckplus"``
    lab: frontal, even lighting, tightly cropped; many subjects with several
    sequences each, one expression per sequence, three near-duplicate frames per
    sequence (intensities just below the peak), like the CK+48 release; no split.
``"jaffe"``
    ten posed subjects, strong light always from the same side, the face smaller
    in the frame with long dark hair around it; about three images per subject and
    expression; no split.

:func:`sample_params` draws the labels and parameters of a whole domain, and
:func:`make_synthetic` renders them into a data set; the same ``seed`` gives
byte-identical images, a different one different images. :func:`prototype_faces`
shows one person's seven expressions for a figure.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ferlib import paper
from ferlib.datasets.base import FaceDataset, make_dataset
from ferlib.labels import EMOTIONS, NUM_CLASSES
from ferlib.synthetic.face import FACE_DEFAULTS, apply_expression
from ferlib.synthetic.looks import sample_actions, sample_identity, sample_style
from ferlib.synthetic.render import render_faces
from ferlib.vocabulary import PAPER_DATASETS

#: The data sets with a synthetic stand-in: the paper's three.
DOMAINS = PAPER_DATASETS

@dataclasses.dataclass(frozen=True)
class Expressions:
    """How plainly the faces of a domain show their expression.

    Attributes:
        intensity: ``(low, high)``: each face's expression is drawn at an intensity
            uniform in this range (CK+: of a sequence's peak frame), 1 the full
            expression of :data:`~ferlib.synthetic.face.EXPRESSION_ACTIONS`.
        spread: personal variation of every action, times
            :data:`~ferlib.synthetic.face.ACTION_SPREAD`.
        blend: each face also shows up to this much of another expression.
    """

    intensity: tuple
    spread: float
    blend: float


#: ``{name: {domain: Expressions}}``. ``"standard"`` imitates the ambiguity of the real
#: data sets (weak, mixed and personal expressions, most of all in the wild);
#: ``"clear"`` shows every expression strongly and plainly, in the same domains (the
#: same people, poses, lighting and noise), so that a small network learns them in
#: minutes: for teaching.
EXPRESSIONS = {
    "standard": {"fer2013": Expressions((0.45, 1.0), spread=0.8, blend=0.2),
                 "ckplus": Expressions((0.75, 1.0), spread=0.6, blend=0.1),
                 "jaffe": Expressions((0.45, 0.95), spread=0.8, blend=0.15)},
    "clear": {domain: Expressions((0.9, 1.0), spread=0.3, blend=0.0)
              for domain in DOMAINS},
}

#: Number of images :func:`make_synthetic` draws when ``n`` is None.
DEFAULT_SIZES = {"fer2013": 3000, "ckplus": paper.CKPLUS48_IMAGES, "jaffe": paper.JAFFE_IMAGES}

#: FER2013 training counts per class (canonical order), used as class proportions.
FER2013_CLASS_COUNTS = tuple(paper.FER2013_TRAIN_CLASS_COUNTS[e] for e in EMOTIONS)
#: FER2013 official split sizes: Training, PublicTest (val), PrivateTest (test).
FER2013_SPLIT_COUNTS = dict(paper.SPLIT_SIZES["fer2013"])
#: Neutral sequences of the synthetic CK+: CK+48 has none; a modest share, so that all
#: seven classes occur.
CKPLUS_NEUTRAL_SEQUENCES = 30
#: CK+ labelled sequences per class (canonical order; contempt merged into disgust),
#: neutral :data:`CKPLUS_NEUTRAL_SEQUENCES`.
CKPLUS_SEQUENCE_COUNTS = tuple(
    CKPLUS_NEUTRAL_SEQUENCES if e == "neutral" else paper.seven_class_counts("ckplus")[e]
    for e in EMOTIONS)
#: CK+'s subjects per labelled sequence.
CKPLUS_SUBJECTS_PER_SEQUENCE = paper.CKPLUS_SUBJECTS / paper.CKPLUS_LABELLED_SEQUENCES
#: JAFFE images per class (canonical order) and its ten subjects.
JAFFE_CLASS_COUNTS = tuple(paper.JAFFE_FILE_CLASS_COUNTS[e] for e in EMOTIONS)
JAFFE_SUBJECTS = paper.JAFFE_SUBJECTS


def _largest_remainder(total, weights):
    """Split integer ``total`` in proportion to ``weights`` (sums exactly)."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _at_least_one_each(counts):
    """Move single items from the largest classes so every class has one (if possible)."""
    counts = counts.copy()
    if counts.sum() >= len(counts):
        for j in np.flatnonzero(counts == 0):
            counts[np.argmax(counts)] -= 1
            counts[j] += 1
    return counts


def _fer2013(n, rng, look):
    split_sizes = _largest_remainder(n, list(FER2013_SPLIT_COUNTS.values()))
    counts = np.stack([_at_least_one_each(_largest_remainder(size, FER2013_CLASS_COUNTS))
                       for size in split_sizes])                    # (split, class)
    # parts smaller than 7 cannot hold every class: make sure the whole set does
    for missing in np.flatnonzero(counts.sum(axis=0) == 0):
        donor = np.argmax(counts.sum(axis=0))
        part = np.argmax(counts[:, donor])
        counts[part, donor] -= 1
        counts[part, missing] += 1
    labels = np.concatenate([rng.permutation(np.repeat(np.arange(NUM_CLASSES), c))
                             for c in counts])
    split = np.repeat(list(FER2013_SPLIT_COUNTS), split_sizes)
    intensity = rng.uniform(*look.intensity, n)
    params = {**sample_identity("fer2013", n, rng), **sample_style("fer2013", n, rng),
              **sample_actions(labels, intensity, rng, spread=look.spread, blend=look.blend)}
    columns = dict(split=split, subject=np.full(n, ""), sequence=np.full(n, ""))
    return labels, params, columns


def _ckplus(n, rng, look):
    n_seq = max(-(-n // 3), NUM_CLASSES)
    frames = np.full(n_seq, n // n_seq)
    frames[: n - frames.sum()] += 1                     # 3 each when n = 3 * n_seq
    seq_counts = _at_least_one_each(_largest_remainder(n_seq, CKPLUS_SEQUENCE_COUNTS))
    seq_labels = np.repeat(np.arange(NUM_CLASSES), seq_counts)  # grouped by class
    n_subj = int(np.clip(round(n_seq * CKPLUS_SUBJECTS_PER_SEQUENCE), 1, n_seq))
    capacity = 1 + rng.multinomial(n_seq - n_subj, np.full(n_subj, 1 / n_subj))
    # give each sequence (commonest class first) to the subject with the most room
    # left that does not show that expression yet: a subject's sequences differ
    seq_subject = np.empty(n_seq, dtype=int)
    room, shows = capacity.copy(), np.zeros((n_subj, NUM_CLASSES), dtype=bool)
    jitter = rng.random(n_subj)
    by_frequency = np.argsort(-seq_counts[seq_labels], kind="stable")
    for j in by_frequency:
        c = seq_labels[j]
        free = room > 0
        candidates = free & ~shows[:, c] if (free & ~shows[:, c]).any() else free
        s = np.argmax(np.where(candidates, room + jitter, -np.inf))
        seq_subject[j] = s
        room[s] -= 1
        shows[s, c] = True
    numbers = np.sort(rng.choice(np.arange(5, 1000), n_subj, replace=False))
    subj_ids = np.array([f"S{k:03d}" for k in numbers])
    seq_ids = np.empty(n_seq, dtype=object)
    for s in range(n_subj):
        mine = np.flatnonzero(seq_subject == s)
        nums = np.sort(rng.choice(np.arange(1, len(mine) + 4), len(mine), replace=False))
        for j, k in zip(mine, nums):
            seq_ids[j] = f"{subj_ids[s]}_{k:03d}"
    # per-image rows, sequences in order of subject then sequence id
    seq_order = np.lexsort((seq_ids.astype(str), seq_subject))
    seq_of_image = np.repeat(seq_order, frames[seq_order])
    frame_of_image = np.concatenate([np.arange(frames[j]) for j in seq_order])
    labels = seq_labels[seq_of_image]

    identity = sample_identity("ckplus", n_subj, rng)
    style = sample_style("ckplus", n_seq, rng)
    peak = rng.uniform(*look.intensity, n_seq)
    step = rng.uniform(0.03, 0.07, n_seq)
    seq_actions = sample_actions(seq_labels, peak, rng, spread=look.spread, blend=look.blend)
    params = {k: v[seq_subject[seq_of_image]] for k, v in identity.items()}
    params.update({k: v[seq_of_image] for k, v in style.items()})
    # last three frames: intensity climbs to the peak, the head moves a hair
    behind = (frames[seq_of_image] - 1 - frame_of_image).astype(float)
    ratio = 1 - behind * step[seq_of_image] / peak[seq_of_image]
    for name, value in seq_actions.items():
        value = value[seq_of_image]
        params[name] = value if name == "teeth" else value * ratio
    for name, sd in (("center_x", 0.15), ("center_y", 0.15), ("angle", 0.3)):
        params[name] = params[name] + rng.normal(0, sd, n)
    columns = dict(split=np.full(n, ""), subject=subj_ids[seq_subject[seq_of_image]],
                   sequence=seq_ids[seq_of_image].astype(str))
    return labels, params, columns


def _jaffe(n, rng, look):
    counts = _at_least_one_each(_largest_remainder(n, JAFFE_CLASS_COUNTS))
    labels = np.repeat(np.arange(NUM_CLASSES), counts)
    # within each class the subjects take turns: about 3 images per subject and class
    subject = np.concatenate([(np.arange(c) + rng.integers(10)) % len(JAFFE_SUBJECTS)
                              for c in counts])
    order = np.lexsort((labels, subject))
    labels, subject = labels[order], subject[order]
    identity = sample_identity("jaffe", len(JAFFE_SUBJECTS), rng)
    params = {k: v[subject] for k, v in identity.items()}
    params.update(sample_style("jaffe", n, rng))
    intensity = rng.uniform(*look.intensity, n)
    params.update(sample_actions(labels, intensity, rng, spread=look.spread, blend=look.blend))
    columns = dict(split=np.full(n, ""), subject=np.array(JAFFE_SUBJECTS)[subject],
                   sequence=np.full(n, ""))
    return labels, params, columns


_SAMPLERS = {"fer2013": _fer2013, "ckplus": _ckplus, "jaffe": _jaffe}


def _check_args(domain, seed):
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, got {domain!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _domain_rng(domain, seed, stream):
    return np.random.default_rng([int(seed), DOMAINS.index(domain), stream])


def _check_n(domain, n):
    if n is None:
        return DEFAULT_SIZES[domain]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < NUM_CLASSES:
        raise ValueError(f"n must be an integer >= {NUM_CLASSES} (one image per class), "
                         f"got {n!r}")
    return int(n)


def _sample(domain, n, seed, expressions):
    """``(n, labels, params, columns)`` of a domain, after checking the arguments."""
    _check_args(domain, seed)
    n = _check_n(domain, n)
    if expressions not in EXPRESSIONS:
        raise ValueError(f"expressions must be one of {list(EXPRESSIONS)}, got {expressions!r}")
    look = EXPRESSIONS[expressions][domain]
    return (n, *_SAMPLERS[domain](n, _domain_rng(domain, seed, 0), look))


def sample_params(domain: str, n: int | None = None, *, seed: int = 0, expressions: str = "standard"):
    """The labels and face parameters behind ``make_synthetic(domain, n, seed=seed)``.

    Returns ``(labels, params)``: labels (n,) int64 and a dict mapping every name of
    :data:`FACE_DEFAULTS` that the domain varies to an (n,) float array, ready for
    :func:`render_faces`. Arguments as in :func:`make_synthetic`.
    """
    _, labels, params, _ = _sample(domain, n, seed, expressions)
    return labels.astype(np.int64), params


def make_synthetic(domain: str, n: int | None = None, *, seed: int = 0,
                   expressions: str = "standard") -> FaceDataset:
    """Sample a synthetic data set in the style of ``domain``.

    Args:
        domain: one of :data:`DOMAINS`.
        n: number of images, at least 7 (so every class occurs); None takes
            :data:`DEFAULT_SIZES` (fer2013 3000, ckplus 981, jaffe 213).
        seed: non-negative integer; the same seed gives byte-identical output.
        expressions: how plainly the faces show their expression, a key of
            :data:`EXPRESSIONS`: ``"standard"`` or ``"clear"`` (the same draws of
            people, pictures and labels, with stronger, plainer expressions).

    Returns:
        A :class:`~ferlib.datasets.base.FaceDataset` named ``"synthetic-<domain>"``:
        images (n, 48, 48) uint8, labels (n,) int64 in the canonical order, split
        (fer2013: train / val / test in FER2013's proportions; others ""), subject
        (ckplus "S010"-style, jaffe "KA"-style, fer2013 ""), sequence (ckplus
        "S010_004"-style, 3 frames each when n is a multiple of 3 and n >= 21),
        source ``"synthetic:<domain>:seed<seed>:<row>"`` (``"synthetic:<domain>-clear:..."``
        for clear expressions).
    """
    n, labels, params, columns = _sample(domain, n, seed, expressions)
    images = render_faces(params, _domain_rng(domain, seed, 1))
    kind = domain if expressions == "standard" else f"{domain}-{expressions}"
    source = np.array([f"synthetic:{kind}:seed{seed}:{i}" for i in range(n)])
    notes = (
        f"synthetic data (ferlib.synthetic), domain {domain!r}, seed {seed}, {n} images: "
        "drawn faces, not photographs of people",
        "expressions come from facial geometry (brows, eyes, nose, mouth) shared by all "
        "synthetic domains; identity, pose, lighting and noise follow the domain's style",
    )
    if expressions != "standard":
        look = EXPRESSIONS[expressions][domain]
        notes += (f"{expressions} expressions: intensity {look.intensity[0]:g} to {look.intensity[1]:g}, "
                  f"personal spread {look.spread:g} of the standard one, "
                  + (f"at most {look.blend:g} of another expression" if look.blend else "no other expression mixed in"),)
    if domain == "ckplus":
        notes += ("ckplus: contempt counted as disgust; a modest neutral class is added "
                  "(the CK+48 release has none)",)
    return make_dataset(f"synthetic-{domain}", images, labels, source=source,
                        notes=notes, **columns)


def prototype_faces(domain: str = "fer2013", seed: int = 0) -> np.ndarray:
    """One face per class, (7, 48, 48) uint8, canonical order, for a figure.

    The same person (sampled from ``domain`` with ``seed``) shows each expression at
    full intensity, frontal, in the domain's framing and lighting, without
    occlusion or personal variation.
    """
    _check_args(domain, seed)
    rng = _domain_rng(domain, seed, 2)
    identity = {k: v[0] for k, v in sample_identity(domain, 1, rng).items()}
    style = {k: v[0] for k, v in sample_style(domain, 1, rng).items()}
    style.update(angle=0.0, yaw=0.0, gaze_x=0.0, glasses=0.0, occluder=0.0,
                 center_x=24.0, center_y=25.5 if domain == "ckplus" else 25.0)
    if domain == "fer2013":
        style.update(contrast=1.0, light=0.2, blur=0.3, noise=0.01, gamma=1.0,
                     brightness=0.0, scale=16.0)
    base = {**identity, **style}
    faces = [apply_expression(base, e, 1.0) for e in EMOTIONS]
    table = {k: np.array([f[k] for f in faces]) for k in FACE_DEFAULTS}
    return render_faces(table, _domain_rng(domain, seed, 3))
