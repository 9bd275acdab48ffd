"""Tests of the synthetic faces (ferlib.synthetic)."""

import re
import time
from collections import Counter, defaultdict

import numpy as np
import pytest

from ferlib.labels import EMOTIONS, NUM_CLASSES
from ferlib.synthetic import (
    CKPLUS_SEQUENCE_COUNTS,
    DEFAULT_SIZES,
    DOMAINS,
    FACE_DEFAULTS,
    FER2013_CLASS_COUNTS,
    FER2013_SPLIT_COUNTS,
    JAFFE_CLASS_COUNTS,
    JAFFE_SUBJECTS,
    apply_expression,
    make_synthetic,
    prototype_faces,
    render_face,
    render_faces,
    sample_params,
)


@pytest.fixture(scope="module")
def default_sets():
    """Each domain at its default size, seed 0 (built once for the module)."""
    return {d: make_synthetic(d) for d in DOMAINS}


def columns(ds):
    return (ds.images, ds.labels, ds.split, ds.subject, ds.sequence, ds.source)


# ------------------------------------------------------------------ shapes, columns

@pytest.mark.parametrize("domain", DOMAINS)
def test_shapes_dtypes_and_columns(domain):
    ds = make_synthetic(domain, 70, seed=1)
    assert ds.name == f"synthetic-{domain}"
    assert ds.images.shape == (70, 48, 48) and ds.images.dtype == np.uint8
    assert ds.labels.shape == (70,) and ds.labels.dtype == np.int64
    assert ds.labels.min() >= 0 and ds.labels.max() < NUM_CLASSES
    for col in (ds.split, ds.subject, ds.sequence, ds.source):
        assert col.shape == (70,) and col.dtype.kind == "U"
    assert list(ds.source[:2]) == [f"synthetic:{domain}:seed1:0", f"synthetic:{domain}:seed1:1"]
    assert len(set(ds.source)) == 70
    assert any("synthetic" in note for note in ds.notes)
    # real pictures, not blank frames: every image has some contrast
    assert (ds.images.reshape(70, -1).std(axis=1) > 5).all()


def test_default_sizes(default_sets):
    for domain, ds in default_sets.items():
        assert len(ds) == DEFAULT_SIZES[domain]
    assert DEFAULT_SIZES == {"fer2013": 3000, "ckplus": 981, "jaffe": 213}


# -------------------------------------------------------------------- determinism

@pytest.mark.parametrize("domain", DOMAINS)
def test_same_seed_gives_identical_output(domain):
    first, second = make_synthetic(domain, 40, seed=5), make_synthetic(domain, 40, seed=5)
    for a, b in zip(columns(first), columns(second)):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert first.notes == second.notes


@pytest.mark.parametrize("domain", DOMAINS)
def test_different_seeds_give_different_output(domain):
    a, b = make_synthetic(domain, 40, seed=0), make_synthetic(domain, 40, seed=1)
    assert not np.array_equal(a.images, b.images)
    # no image of one seed reappears in the other
    flat_a = {img.tobytes() for img in a.images}
    assert not flat_a & {img.tobytes() for img in b.images}


def test_synthetic_data_matches_the_recorded_fingerprints():
    """The synthetic data sets are byte-identical to the ones recorded in
    tests/golden_numerics.json: their fingerprints enter the id of every synthetic run,
    so a refactoring of ferlib.synthetic must not move a pixel."""
    from golden import read_golden, synthetic_fingerprints

    assert synthetic_fingerprints() == read_golden()["synthetic_data"], (
        "the synthetic faces changed: every synthetic run id changes with them. If that is "
        "intended, run `python tests/golden.py --update`")


def test_domains_differ_for_the_same_seed():
    images = [make_synthetic(d, 21, seed=0).images for d in DOMAINS]
    assert not np.array_equal(images[0], images[1])
    assert not np.array_equal(images[1], images[2])


# ------------------------------------------------------------------ class balance

def test_every_domain_has_every_class(default_sets):
    for ds in default_sets.values():
        assert set(np.unique(ds.labels)) == set(range(NUM_CLASSES)), ds.name


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("n", [7, 8, 20])
def test_small_n_still_has_every_class(domain, n):
    ds = make_synthetic(domain, n, seed=2)
    assert len(ds) == n
    assert set(ds.labels) == set(range(NUM_CLASSES))


def test_fer2013_splits_have_every_class_and_official_proportions(default_sets):
    ds = default_sets["fer2013"]
    total = sum(FER2013_SPLIT_COUNTS.values())
    for part, official in FER2013_SPLIT_COUNTS.items():
        in_part = ds.split == part
        assert abs(in_part.sum() - len(ds) * official / total) <= 1, part
        assert set(ds.labels[in_part]) == set(range(NUM_CLASSES)), part
    assert set(ds.split) == set(FER2013_SPLIT_COUNTS)
    assert (ds.subject == "").all() and (ds.sequence == "").all()


def test_fer2013_class_proportions_follow_fer2013(default_sets):
    ds = default_sets["fer2013"]
    expected = np.array(FER2013_CLASS_COUNTS) / sum(FER2013_CLASS_COUNTS)
    observed = np.bincount(ds.labels, minlength=NUM_CLASSES) / len(ds)
    np.testing.assert_allclose(observed, expected, atol=0.005)
    # the imbalance itself: happy is the largest class, disgust the smallest
    assert np.argmax(observed) == EMOTIONS.index("happy")
    assert np.argmin(observed) == EMOTIONS.index("disgust")


def test_jaffe_class_counts_and_subjects(default_sets):
    ds = default_sets["jaffe"]
    assert tuple(np.bincount(ds.labels, minlength=NUM_CLASSES)) == JAFFE_CLASS_COUNTS
    assert set(ds.subject) == set(JAFFE_SUBJECTS) and len(JAFFE_SUBJECTS) == 10
    per_subject_and_class = Counter(zip(ds.subject, ds.labels))
    assert len(per_subject_and_class) == 10 * NUM_CLASSES
    assert set(per_subject_and_class.values()) <= {2, 3, 4}
    assert (ds.split == "").all() and (ds.sequence == "").all()


# ------------------------------------------------------------------------ CK+ style

def test_ckplus_sequences_of_three_frames_one_label_one_subject(default_sets):
    ds = default_sets["ckplus"]
    frames = defaultdict(list)
    for i, seq in enumerate(ds.sequence):
        frames[seq].append(i)
    assert len(frames) == len(ds) // 3
    for seq, rows in frames.items():
        assert len(rows) == 3, seq
        assert len(set(ds.labels[rows])) == 1, seq
        assert len(set(ds.subject[rows])) == 1, seq
        subject = ds.subject[rows[0]]
        assert re.fullmatch(r"S\d{3}", subject) and re.fullmatch(rf"{subject}_\d{{3}}", seq)
    assert (ds.split == "").all()


def test_ckplus_subjects_have_several_sequences(default_sets):
    ds = default_sets["ckplus"]
    sequences_of = defaultdict(set)
    for subject, seq in zip(ds.subject, ds.sequence):
        sequences_of[subject].add(seq)
    counts = np.array([len(v) for v in sequences_of.values()])
    assert 100 <= len(counts) <= 130          # CK+ has 118 subjects for 327 sequences
    assert counts.mean() > 2 and counts.max() >= 4
    # a subject's sequences show different expressions, as in CK+
    labels_of = defaultdict(list)
    for seq in set(ds.sequence):
        row = np.flatnonzero(ds.sequence == seq)[0]
        labels_of[ds.subject[row]].append(ds.labels[row])
    repeated = sum(len(v) - len(set(v)) for v in labels_of.values())
    assert repeated <= 0.05 * len(set(ds.sequence))


def test_ckplus_sequence_proportions_follow_ckplus(default_sets):
    ds = default_sets["ckplus"]
    first_rows = np.unique(ds.sequence, return_index=True)[1]
    observed = np.bincount(ds.labels[first_rows], minlength=NUM_CLASSES)
    expected = np.array(CKPLUS_SEQUENCE_COUNTS) / sum(CKPLUS_SEQUENCE_COUNTS) * len(first_rows)
    assert np.abs(observed - expected).max() <= 1
    assert np.argmax(observed) == EMOTIONS.index("surprise")


def test_ckplus_frames_are_near_duplicates(default_sets):
    ds = default_sets["ckplus"]
    img = ds.images.astype(np.float32)
    within, between = [], []
    for seq in np.unique(ds.sequence)[:60]:
        rows = np.flatnonzero(ds.sequence == seq)
        within.append(np.abs(img[rows[0]] - img[rows[2]]).mean())
        others = np.flatnonzero((ds.subject == ds.subject[rows[0]]) & (ds.sequence != seq))
        if len(others):
            between.append(np.abs(img[rows[2]] - img[others[0]]).mean())
    # frames of one sequence differ much less than two sequences of the same person
    assert np.median(within) < 0.5 * np.median(between)
    assert np.median(within) > 0          # but they are not byte-identical copies


# ---------------------------------------------------------------------- domain style

def _style_stats(ds):
    img = ds.images.astype(np.float32)
    half = img.shape[2] // 2
    return {
        "mean_spread": img.mean(axis=(1, 2)).std(),          # lighting variety
        "contrast_spread": img.std(axis=(1, 2)).std(),       # contrast variety
        "left_minus_right": img[:, :, :half].mean(axis=(1, 2)) - img[:, :, half:].mean(axis=(1, 2)),
        "border": np.concatenate([img[:, :3].reshape(len(img), -1),
                                  img[:, -3:].reshape(len(img), -1)], 1).mean(),
        "centre": img[:, 16:32, 16:32].mean(),
    }


def test_domain_styles_differ_measurably(default_sets):
    fer, ck, jaffe = (_style_stats(default_sets[d]) for d in DOMAINS)
    # in the wild: far more varied brightness and contrast than the two labs
    assert fer["mean_spread"] > 1.5 * ck["mean_spread"]
    assert fer["mean_spread"] > 1.5 * jaffe["mean_spread"]
    assert fer["contrast_spread"] > 1.2 * ck["contrast_spread"]
    # JAFFE: the same strong side light on every image; FER2013: light from anywhere
    assert (jaffe["left_minus_right"] > 0).mean() > 0.95
    assert 0.25 < (fer["left_minus_right"] > 0).mean() < 0.75
    # CK+: tight crop, bright face filling the frame, dark surround at the borders
    assert ck["centre"] - ck["border"] > 30
    assert ck["centre"] - ck["border"] > fer["centre"] - fer["border"] + 15


def test_domain_can_be_told_from_simple_image_statistics(default_sets):
    # a domain shift is the point: a nearest-mean rule on 4 summary statistics
    # recognises the domain of most images
    feats, names = [], []
    for d, ds in default_sets.items():
        img = ds.images[:200].astype(np.float32)
        f = np.stack([img.mean((1, 2)), img.std((1, 2)),
                      img[:, :, :24].mean((1, 2)) - img[:, :, 24:].mean((1, 2)),
                      img[:, 16:32, 16:32].mean((1, 2)) - img[:, :4].mean((1, 2))], 1)
        feats.append(f)
        names += [d] * len(f)
    x = np.concatenate(feats)
    x = (x - x.mean(0)) / x.std(0)
    names = np.array(names)
    centres = {d: x[names == d].mean(0) for d in DOMAINS}
    guess = np.array(DOMAINS)[np.argmin(
        [np.linalg.norm(x - centres[d], axis=1) for d in DOMAINS], axis=0)]
    assert (guess == names).mean() > 0.8


# --------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, word", [
    (dict(domain="affectnet"), "domain"),
    (dict(domain="FER2013"), "domain"),
    (dict(domain="fer2013", n=6), "n"),
    (dict(domain="fer2013", n=0), "n"),
    (dict(domain="jaffe", n=-5), "n"),
    (dict(domain="jaffe", n=10.0), "n"),
    (dict(domain="ckplus", n=True), "n"),
    (dict(domain="fer2013", n=20, seed=-1), "seed"),
    (dict(domain="fer2013", n=20, seed=1.5), "seed"),
])
def test_bad_arguments_raise_naming_the_parameter(kwargs, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        make_synthetic(**kwargs)


def test_prototype_faces_bad_arguments():
    with pytest.raises(ValueError, match="domain"):
        prototype_faces("lab")
    with pytest.raises(ValueError, match="seed"):
        prototype_faces("jaffe", seed=-2)


def test_render_bad_parameters():
    with pytest.raises(ValueError, match="nose_length"):
        render_face({"nose_length": 1.0})
    with pytest.raises(ValueError, match="scale"):
        render_face({"scale": [10.0, 12.0]})
    with pytest.raises(ValueError, match="skin"):
        render_faces({"skin": [0.5, 0.6], "hair": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="angle"):
        render_face({"angle": float("nan")})
    with pytest.raises(ValueError, match="emotion"):
        apply_expression({}, "contempt")


# ------------------------------------------------------------- building blocks

def test_render_face_and_expressions():
    neutral = render_face()
    assert neutral.shape == (48, 48) and neutral.dtype == np.uint8
    assert np.array_equal(neutral, render_face(seed=0))
    assert np.array_equal(render_face(apply_expression({}, "happy", 0.0)), neutral)
    faces = {e: render_face(apply_expression({}, e)).astype(np.float32) for e in EMOTIONS}
    # each expression changes the face, and no two expressions look the same
    for a in EMOTIONS:
        for b in EMOTIONS:
            if a < b:
                assert np.abs(faces[a] - faces[b]).mean() > 0.3, (a, b)
    # the open mouth of surprise darkens the mouth region; the wide eyes of
    # surprise show more white than narrowed angry eyes
    mouth = (slice(33, 40), slice(19, 30))
    eyes = (slice(20, 25), slice(14, 34))
    assert faces["surprise"][mouth].mean() < faces["neutral"][mouth].mean() - 10
    assert faces["surprise"][eyes].mean() > faces["angry"][eyes].mean()


def test_render_faces_matches_parameter_table():
    table = {name: np.full(3, value) for name, value in FACE_DEFAULTS.items()}
    table["mouth_open"] = np.array([0.0, 0.15, 0.3])
    images = render_faces(table, np.random.default_rng(4))
    assert images.shape == (3, 48, 48) and images.dtype == np.uint8
    mouth = images[:, 33:40, 19:30].astype(np.float32).mean(axis=(1, 2))
    assert mouth[0] > mouth[1] > mouth[2]        # the wider open, the darker


@pytest.mark.parametrize("domain", DOMAINS)
def test_sample_params_are_the_parameters_behind_make_synthetic(domain):
    labels, params = sample_params(domain, 30, seed=4)
    ds = make_synthetic(domain, 30, seed=4)
    assert np.array_equal(labels, ds.labels)
    assert set(params) <= set(FACE_DEFAULTS)
    assert all(np.shape(v) == (30,) for v in params.values())
    images = render_faces(params, np.random.default_rng(0))
    # same geometry, other pixel noise: close to the data set's images, not equal
    diff = np.abs(images.astype(np.float32) - ds.images.astype(np.float32)).mean()
    assert 0 < diff < 10


@pytest.mark.parametrize("domain", DOMAINS)
def test_clear_expressions_change_only_the_expressions(domain):
    """The same people, pictures, labels and splits; stronger, plainer expressions."""
    labels, standard = sample_params(domain, 210, seed=2)
    clear_labels, clear = sample_params(domain, 210, seed=2, expressions="clear")
    assert np.array_equal(labels, clear_labels)
    for name in ("skin", "face_w", "scale", "angle", "light", "noise"):
        np.testing.assert_array_equal(standard[name], clear[name])
    happy, sad = labels == EMOTIONS.index("happy"), labels == EMOTIONS.index("sad")
    for name, rows in (("mouth_curve", happy), ("cheek_raise", happy), ("brow_inner", sad)):
        plain, strong = standard[name][rows], clear[name][rows]
        assert strong.mean() > plain.mean() and strong.std() < plain.std(), name
    a, b = make_synthetic(domain, 70, seed=2), make_synthetic(domain, 70, seed=2, expressions="clear")
    for column in ("labels", "split", "subject", "sequence"):
        assert np.array_equal(getattr(a, column), getattr(b, column))
    assert not np.array_equal(a.images, b.images)
    assert b.source[0] == f"synthetic:{domain}-clear:seed2:0" and any("clear" in n for n in b.notes)
    with pytest.raises(ValueError, match="expressions must be one of"):
        make_synthetic(domain, 70, expressions="obvious")


def test_the_config_knows_every_kind_of_expressions():
    from ferlib.config import SYNTHETIC_EXPRESSIONS
    from ferlib.synthetic.domains import EXPRESSIONS

    assert SYNTHETIC_EXPRESSIONS == tuple(EXPRESSIONS)
    assert all(set(looks) == set(DOMAINS) for looks in EXPRESSIONS.values())


@pytest.mark.parametrize("domain", DOMAINS)
def test_prototype_faces(domain):
    faces = prototype_faces(domain, seed=3)
    assert faces.shape == (NUM_CLASSES, 48, 48) and faces.dtype == np.uint8
    assert np.array_equal(faces, prototype_faces(domain, seed=3))
    assert not np.array_equal(faces, prototype_faces(domain, seed=4))
    assert len({f.tobytes() for f in faces}) == NUM_CLASSES


def test_generation_is_fast():
    start = time.process_time()
    ds = make_synthetic("fer2013", 3000, seed=9)
    per_second = len(ds) / max(time.process_time() - start, 1e-6)
    assert per_second > 1000, f"only {per_second:.0f} images per CPU second"


# ------------------------------------------------------------------ learnability

def _standardise(images):
    x = images.astype("float32")
    x = (x - x.mean(axis=(1, 2), keepdims=True)) / (x.std(axis=(1, 2), keepdims=True) + 5)
    return x[..., None]


def test_linear_model_on_pixels_is_far_from_perfect():
    # the expression is in small, moving features: pixels alone are not enough
    from sklearn.linear_model import RidgeClassifier
    from sklearn.neighbors import NearestCentroid

    train = make_synthetic("fer2013", 1500, seed=11)
    test = make_synthetic("fer2013", 600, seed=12)
    flat_train = train.images.reshape(len(train), -1) / 255.0
    flat_test = test.images.reshape(len(test), -1) / 255.0
    ridge = RidgeClassifier(alpha=30.0).fit(flat_train, train.labels)
    centroid = NearestCentroid().fit(flat_train, train.labels)
    assert ridge.score(flat_test, test.labels) < 0.6
    assert centroid.score(flat_test, test.labels) < 0.6


@pytest.mark.slow
def test_small_cnn_learns_fer2013_style_expressions():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    train = make_synthetic("fer2013", 2000, seed=21)
    test = make_synthetic("fer2013", 700, seed=22)
    model = keras.Sequential([
        keras.Input((48, 48, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(_standardise(train.images), train.labels, epochs=10, batch_size=32, verbose=0)
    predicted = model.predict(_standardise(test.images), verbose=0).argmax(axis=1)
    accuracy = float((predicted == test.labels).mean())
    majority = np.bincount(test.labels).max() / len(test)
    assert accuracy > 0.6, f"test accuracy {accuracy:.3f} (chance 1/7, majority {majority:.3f})"
