"""The numbers the paper reports, transcribed, so the book can set ours beside them.

Borgalli & Surve (2022), *Deep Convolution Neural Networks for Cross-Dataset Facial
Expression Recognition System*, IJEM 12(6), 40-51. doi:10.5815/ijem.2022.06.05

Accuracies are fractions (0..1), not percent. Everything here is a transcription:
where the paper contradicts itself or the data, the transcription keeps the paper's
value and :data:`ERRATA` says what is off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferlib.labels import EMOTIONS

if TYPE_CHECKING:
    import pandas as pd

#: Table 1: images per class and data set. CK+ counts are sequences ("last frame"),
#: its neutral class is the first frame of every sequence; JAFFE is spelt "JAFPE" there.
TABLE_1 = {
    "fer2013": {"angry": 4593, "disgust": 547, "fear": 5121, "happy": 8989, "sad": 6077,
                "surprise": 4002, "neutral": 6198, "contempt": 0},
    "ckplus": {"angry": 45, "disgust": 59, "fear": 25, "happy": 69, "sad": 28,
               "surprise": 83, "neutral": 327, "contempt": 18},
    "jaffe": {"angry": 30, "disgust": 30, "fear": 31, "happy": 31, "sad": 31,
              "surprise": 30, "neutral": 30, "contempt": 0},
}

#: Train / val / test sizes stated in the text (section 5 and 7). CK+ is given only
#: as fractions (70 / 10 / 20 %). JAFFE is 129 / 42 / 42 in section 5 but
#: 130 / 41 / 42 in section 7; section 5's numbers are kept.
SPLIT_SIZES = {
    "fer2013": {"train": 28709, "val": 3589, "test": 3589},
    "jaffe": {"train": 129, "val": 42, "test": 42},
}
#: FER2013's PublicTest and PrivateTest parts together (3,589 + 3,589 images), a test set
#: some of the paper's FER2013 accuracies fit (:mod:`ferlib.claims`).
FER2013_MERGED_TEST_N = SPLIT_SIZES["fer2013"]["val"] + SPLIT_SIZES["fer2013"]["test"]
#: JAFFE's split as section 7 gives it.
JAFFE_SPLIT_SECTION_7 = {"train": 130, "val": 41, "test": 42}
SPLIT_FRACTIONS = {
    "fer2013": {"train": 0.8, "val": 0.1, "test": 0.1},
    "ckplus": {"train": 0.7, "val": 0.1, "test": 0.2},
    "jaffe": {"train": 0.6, "val": 0.2, "test": 0.2},
}

#: Tables 5-7: test accuracy per model, trained from scratch and fine-tuned from FER2013.
#: FER2013 (Table 5) is always trained from scratch. Keys ``(model, dataset, source)``
#: as in :func:`ferlib.protocol.reproduction_runs`.
ACCURACY = {
    (1, "fer2013", None): 0.6119,
    (2, "fer2013", None): 0.6158,
    (3, "fer2013", None): 0.6162,
    (1, "jaffe", None): 0.7402,
    (2, "jaffe", None): 0.7442,
    (3, "jaffe", None): 0.6047,
    (1, "jaffe", "fer2013"): 0.7674,
    (2, "jaffe", "fer2013"): 0.7907,
    (3, "jaffe", "fer2013"): 0.6512,
    (1, "ckplus", None): 0.4689,
    (2, "ckplus", None): 0.5073,
    (3, "ckplus", None): 0.6090,
    (1, "ckplus", "fer2013"): 0.5096,
    (2, "ckplus", "fer2013"): 0.6881,
    (3, "ckplus", "fer2013"): 0.6145,
}

#: The ranges quoted in the abstract and in section 10, as (low, high) fractions.
QUOTED_RANGES = {
    ("jaffe", "scratch"): (0.6047, 0.7442),
    ("ckplus", "scratch"): (0.4689, 0.6090),
    ("jaffe", "fine-tuned"): (0.6512, 0.7907),
    ("ckplus", "fine-tuned"): (0.5096, 0.6881),
}
#: "nearly the same accuracy of 62%" on FER2013 for every model (section 10).
QUOTED_FER2013_ACCURACY = 0.62
#: Training settings stated in section 5: 75 epochs, Adam, cross-entropy loss.
EPOCHS = 75

#: Where the paper's own numbers disagree with each other or with the data files.
ERRATA = (
    "Table 1 gives FER2013 angry as 4,593; the official FER2013 release has 4,953 "
    "(3,995 + 467 + 491): two digits swapped.",
    "Table 1 gives JAFFE disgust 30 and fear 31; the 213 files hold 29 and 32.",
    "JAFFE's split is 129 / 42 / 42 images in section 5 but 130 / 41 / 42 in section 7.",
)

#: (total, non-trainable) parameter counts printed under each of section 3's tables.
PARAM_COUNTS = {
    1: (20_007_687, 0),
    2: (1_485_831, 0),
    3: (5_905_863, 3_712),
}

#: Section 3's layer tables (Keras ``model.summary()``), one per model: rows of
#: ``(layer, type, output shape, params)``. The paper's type column is sometimes cut
#: short by its layout ("MaxPooling2", "Average", "Batch Normalization"); it is written
#: out here as the Keras class name, so that it can be compared with the built models.
LAYER_TABLES = {
    1: [
        ("conv2d_1", "Conv2D", (None, 48, 48, 64), 1664),
        ("max_pooling2d_1", "MaxPooling2D", (None, 24, 24, 64), 0),
        ("conv2d_2", "Conv2D", (None, 24, 24, 128), 73856),
        ("max_pooling2d_2", "MaxPooling2D", (None, 12, 12, 128), 0),
        ("flatten_1", "Flatten", (None, 18432), 0),
        ("dense_1", "Dense", (None, 1024), 18875392),
        ("dropout_1", "Dropout", (None, 1024), 0),
        ("dense_2", "Dense", (None, 1024), 1049600),
        ("dropout_2", "Dropout", (None, 1024), 0),
        ("dense_3", "Dense", (None, 7), 7175),
    ],
    2: [
        ("conv2d_1", "Conv2D", (None, 44, 44, 64), 1664),
        ("max_pooling2d_1", "MaxPooling2D", (None, 20, 20, 64), 0),
        ("conv2d_2", "Conv2D", (None, 18, 18, 64), 36928),
        ("conv2d_3", "Conv2D", (None, 16, 16, 64), 36928),
        ("average_pooling2d_1", "AveragePooling2D", (None, 7, 7, 64), 0),
        ("conv2d_4", "Conv2D", (None, 5, 5, 128), 73856),
        ("conv2d_5", "Conv2D", (None, 3, 3, 128), 147584),
        ("average_pooling2d_2", "AveragePooling2D", (None, 1, 1, 128), 0),
        ("flatten_1", "Flatten", (None, 128), 0),
        ("dense_1", "Dense", (None, 1024), 132096),
        ("dropout_1", "Dropout", (None, 1024), 0),
        ("dense_2", "Dense", (None, 1024), 1049600),
        ("dropout_2", "Dropout", (None, 1024), 0),
        ("dense_3", "Dense", (None, 7), 7175),
    ],
    3: [
        ("conv2d_1", "Conv2D", (None, 46, 46, 64), 640),
        ("conv2d_2", "Conv2D", (None, 46, 46, 64), 36928),
        ("batch_normalization_1", "BatchNormalization", (None, 46, 46, 64), 256),
        ("max_pooling2d_1", "MaxPooling2D", (None, 23, 23, 64), 0),
        ("dropout_1", "Dropout", (None, 23, 23, 64), 0),
        ("conv2d_3", "Conv2D", (None, 23, 23, 128), 73856),
        ("batch_normalization_2", "BatchNormalization", (None, 23, 23, 128), 512),
        ("conv2d_4", "Conv2D", (None, 23, 23, 128), 147584),
        ("batch_normalization_3", "BatchNormalization", (None, 23, 23, 128), 512),
        ("max_pooling2d_2", "MaxPooling2D", (None, 11, 11, 128), 0),
        ("dropout_2", "Dropout", (None, 11, 11, 128), 0),
        ("conv2d_5", "Conv2D", (None, 11, 11, 256), 295168),
        ("batch_normalization_4", "BatchNormalization", (None, 11, 11, 256), 1024),
        ("conv2d_6", "Conv2D", (None, 11, 11, 256), 590080),
        ("batch_normalization_5", "BatchNormalization", (None, 11, 11, 256), 1024),
        ("max_pooling2d_3", "MaxPooling2D", (None, 5, 5, 256), 0),
        ("dropout_3", "Dropout", (None, 5, 5, 256), 0),
        ("conv2d_7", "Conv2D", (None, 5, 5, 512), 1180160),
        ("batch_normalization_6", "BatchNormalization", (None, 5, 5, 512), 2048),
        ("conv2d_8", "Conv2D", (None, 5, 5, 512), 2359808),
        ("batch_normalization_7", "BatchNormalization", (None, 5, 5, 512), 2048),
        ("max_pooling2d_4", "MaxPooling2D", (None, 2, 2, 512), 0),
        ("dropout_4", "Dropout", (None, 2, 2, 512), 0),
        ("flatten_1", "Flatten", (None, 2048), 0),
        ("dense_1", "Dense", (None, 512), 1049088),
        ("dropout_5", "Dropout", (None, 512), 0),
        ("dense_2", "Dense", (None, 256), 131328),
        ("dropout_6", "Dropout", (None, 256), 0),
        ("dense_3", "Dense", (None, 128), 32896),
        ("dropout_7", "Dropout", (None, 128), 0),
        ("dense_4", "Dense", (None, 7), 903),
    ],
}

# ----------------------------------------------------------------- the data sets as released
# Facts of the public releases the paper's data sets come from, which the paper does not
# print; kept here beside its numbers because the synthetic stand-ins imitate them and
# the audit compares with them.

#: FER2013's Training part per class (the official release; canonical class order).
FER2013_TRAIN_CLASS_COUNTS = {"angry": 3995, "disgust": 436, "fear": 4097, "happy": 7215,
                              "sad": 4830, "surprise": 3171, "neutral": 4965}
#: CK+: labelled sequences and the subjects who posed them; CK+48 keeps the last three
#: frames of each labelled sequence.
CKPLUS_LABELLED_SEQUENCES = 327
CKPLUS_SUBJECTS = 118
CKPLUS48_IMAGES = 3 * CKPLUS_LABELLED_SEQUENCES
#: JAFFE: images per class in the 213 files, and the ten subjects (file-name prefixes).
JAFFE_FILE_CLASS_COUNTS = {"angry": 30, "disgust": 29, "fear": 32, "happy": 31, "sad": 31,
                           "surprise": 30, "neutral": 30}
JAFFE_SUBJECTS = ("KA", "KL", "KM", "KR", "MK", "NA", "NM", "TM", "UY", "YM")
JAFFE_IMAGES = sum(JAFFE_FILE_CLASS_COUNTS.values())



def check_key(model, dataset, source=None):
    """Validate an experiment key; returns it as ``(int, str, str | None)``."""
    key = (int(model), str(dataset), None if source is None else str(source))
    if key not in ACCURACY:
        known = ", ".join(str(k) for k in sorted(ACCURACY, key=str))
        raise ValueError(f"the paper reports no accuracy for {key}; known keys: {known}")
    return key


def paper_accuracy(model, dataset, source=None) -> float:
    """The paper's test accuracy (fraction) for one experiment."""
    return ACCURACY[check_key(model, dataset, source)]


def seven_class_counts(dataset: str) -> dict:
    """Table 1's counts for ``dataset`` over the seven classes, ``{emotion: int}``, with
    contempt counted as disgust as the paper's section 5B does (CK+'s 18 contempt
    sequences; the other data sets have none), so that they add up to Table 1's total."""
    counts = TABLE_1[dataset]
    return {e: counts[e] + (counts.get("contempt", 0) if e == "disgust" else 0) for e in EMOTIONS}


def table_1_frame() -> pd.DataFrame:
    """Table 1 as a DataFrame: rows = the 7 classes then ``contempt`` and ``total``,
    columns = ``fer2013``, ``ckplus``, ``jaffe`` (int image counts)."""
    # saves start-up time: the command line reads the paper's numbers without pandas
    import pandas as pd

    classes = list(EMOTIONS) + ["contempt"]
    frame = pd.DataFrame({name: [TABLE_1[name][c] for c in classes] for name in TABLE_1},
                         index=classes)
    frame.loc["total"] = frame.sum()
    frame.index.name = "class"
    return frame


def accuracy_frame() -> pd.DataFrame:
    """Tables 5-7 in long form: one row per experiment with columns ``model``,
    ``dataset``, ``training`` (``"scratch"`` or ``"fine-tuned"``) and ``accuracy``
    (fraction)."""
    # saves start-up time: the command line reads the paper's numbers without pandas
    import pandas as pd

    rows = [
        {"model": model, "dataset": dataset,
         "training": "scratch" if source is None else "fine-tuned", "accuracy": value}
        for (model, dataset, source), value in ACCURACY.items()
    ]
    return pd.DataFrame(rows)


def consistent_test_sizes(accuracy, sizes, *, decimals=4) -> list:
    """The test-set sizes ``n`` in ``sizes`` for which some ``k / n`` rounds to ``accuracy``.

    An accuracy measured on ``n`` test images is a multiple of ``1 / n``; a printed
    accuracy (``decimals`` places of a fraction, i.e. two of a percentage) that no
    ``k / n`` rounds to cannot come from a test set of ``n`` images.

    Args:
        accuracy: the printed accuracy, a fraction in 0..1.
        sizes: candidate test-set sizes (positive ints).
        decimals: decimal places the accuracy was printed with (as a fraction).

    Returns:
        the sizes, in the given order, that can produce the printed accuracy.
    """
    if not 0.0 <= float(accuracy) <= 1.0:
        raise ValueError(f"accuracy must be a fraction in 0..1, got {accuracy!r}")
    target = round(float(accuracy), decimals)
    found = []
    for n in sizes:
        if int(n) < 1:
            raise ValueError(f"test-set sizes must be positive, got {n!r}")
        k = round(target * n)
        if any(0 <= j <= n and round(j / n, decimals) == target for j in (k - 1, k, k + 1)):
            found.append(int(n))
    return found
