"""The words ferlib's modules share, each defined once: the models, the data sets (name,
title, classes), the split parts and protocols, and the thresholds a verdict is decided
by.

Everything here is plain data (no array, no framework), so the run configuration, the
loaders, the statistics and the book's pages all read their names from here and never
from each other. :mod:`ferlib.labels` holds the classes themselves.

Two registries grow the vocabulary: :func:`ferlib.models.register_model` gives each id
of :data:`MODELS` its builder, and :func:`ferlib.datasets.register_loader` gives each
data set of :data:`DATASETS` its loader (a data set is one entry here plus its loader).
"""

from __future__ import annotations

import dataclasses

from ferlib.labels import EMOTIONS

# --------------------------------------------------------------------------- models

#: The models ferlib builds, ``{id: name}`` (:func:`ferlib.models.register_model` gives
#: each id its builder).
MODELS = {1: "Model 1", 2: "Model 2", 3: "Model 3"}
#: Their ids, in order.
MODEL_IDS = tuple(MODELS)
#: The paper's three networks (its section 3): the models of its 15 experiments.
PAPER_MODELS = (1, 2, 3)


def check_dropout_scale(value) -> float:
    """``value`` as a dropout scale, a number in [0, 1] (1.0: the paper's dropout rates; 0.0:
    none); raises ``ValueError`` naming ``dropout_scale`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"dropout_scale must be a number in [0, 1], got {value!r}")
    return float(value)


def check_seeds(seeds, name: str = "seeds") -> tuple:
    """``seeds`` (an iterable of whole numbers) as a tuple of ints; raises ``ValueError``
    naming ``name`` when it is empty or holds a negative seed."""
    checked = tuple(int(seed) for seed in seeds)
    if not checked or any(seed < 0 for seed in checked):
        raise ValueError(f"{name} must be whole numbers of at least 0, got {seeds!r}")
    return checked


def model_name(model_id) -> str:
    """``2`` -> ``"Model 2"``; raises ``ValueError`` naming the known ids."""
    if isinstance(model_id, bool) or model_id not in MODELS:
        raise ValueError(f"unknown model {model_id!r}; expected one of {list(MODEL_IDS)}")
    return MODELS[model_id]


# --------------------------------------------------------------------------- data sets


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One data set a run can train on (a ``RunConfig.dataset``).

    Attributes:
        name: its name in configs, caches and run folders (``"ckplus7"``).
        title: how the book writes a run's data set (``"CK+ (7 classes)"``).
        classes: the classes it holds, names of :data:`ferlib.labels.EMOTIONS` in that order.
        paper: the paper's data set it stands for (``"ckplus"``), or ``None``.
    """

    name: str
    title: str
    classes: tuple = EMOTIONS
    paper: str | None = None


#: The paper's data sets, in the order of its Table 1, with their titles.
PAPER_DATASET_TITLES = {"fer2013": "FER2013", "ckplus": "CK+", "jaffe": "JAFFE"}
#: Their names.
PAPER_DATASETS = tuple(PAPER_DATASET_TITLES)

#: Every data set a run can train on, by name.
DATASET_INFO = {
    "fer2013": Dataset("fer2013", "FER2013", paper="fer2013"),
    # CK+48 keeps the last three frames of each labelled sequence: no neutral frame
    "ckplus": Dataset("ckplus", "CK+48 (6 classes)", classes=EMOTIONS[:-1], paper="ckplus"),
    "ckplus7": Dataset("ckplus7", "CK+ (7 classes)", paper="ckplus"),
    "jaffe": Dataset("jaffe", "JAFFE", paper="jaffe"),
}
#: Their names.
DATASETS = tuple(DATASET_INFO)

#: The data set the paper's networks are first trained on, and those they are then
#: fine-tuned on (and trained on from scratch, to compare): its small data sets.
SOURCE_DATASET = "fer2013"
TARGET_DATASETS = ("jaffe", "ckplus")

#: The data set each of the paper's data sets is run on, with the real data. The paper's
#: CK+ has seven classes: the peak frames of the 327 labelled sequences and their 327
#: neutral first frames (``ckplus7``). CK+48 (``ckplus``) has no neutral frames, so its
#: six-class runs are kept as a stated variant, outside the protocol.
PROTOCOL_DATASETS = {"ckplus": "ckplus7"}

#: How the book writes a data set where the paper's names are meant: ``"ckplus"`` is the
#: paper's CK+.
DATASET_TITLES = {name: PAPER_DATASET_TITLES.get(name, info.title) for name, info in DATASET_INFO.items()}
#: How a run's own data set reads where runs on CK+48 (six classes) and on the
#: protocol's seven-class CK+ are listed together: a run's ``dataset`` "ckplus" is CK+48.
RUN_DATASET_TITLES = {name: info.title for name, info in DATASET_INFO.items()}


def dataset_title(name: str) -> str:
    """``"synthetic-jaffe"`` -> ``"JAFFE (synthetic)"``; ``"ckplus"`` -> ``"CK+"``."""
    synthetic = name.startswith("synthetic-")
    base = name.split("-", 1)[1] if synthetic else name
    title = DATASET_TITLES.get(base, base)
    return f"{title} (synthetic)" if synthetic else title


def run_dataset_title(name: str) -> str:
    """A run's ``config.dataset`` as the book writes it: ``"ckplus"`` -> ``"CK+48 (6 classes)"``,
    ``"ckplus7"`` -> ``"CK+ (7 classes)"``; others as :func:`dataset_title`."""
    return RUN_DATASET_TITLES.get(name, dataset_title(name))


def protocol_dataset(name: str, data: str = "real") -> str:
    """The data set the protocol runs for the paper's data set ``name`` (synthetic data
    keeps the paper's names: its CK+ stand-in is one data set)."""
    return PROTOCOL_DATASETS.get(name, name) if data == "real" else name


def paper_dataset(name: str) -> str:
    """The paper's name for a data set the protocol runs (``"ckplus7"`` -> ``"ckplus"``)."""
    return {run: paper for paper, run in PROTOCOL_DATASETS.items()}.get(name, name)


#: The data sets the protocol's runs on the small data sets train on with the real data
#: (:data:`TARGET_DATASETS` as :func:`protocol_dataset` runs them): ``("jaffe", "ckplus7")``.
TARGET_RUN_DATASETS = tuple(protocol_dataset(name) for name in TARGET_DATASETS)
#: The paper's data sets as the split audits (the baselines, the leakage report) take
#: them, the small ones first: ``("jaffe", "ckplus", "fer2013")``.
AUDIT_DATASETS = TARGET_DATASETS + (SOURCE_DATASET,)


def audit_datasets(data: str = "synthetic") -> tuple:
    """The data sets a split audit covers by default: :data:`AUDIT_DATASETS`, and with the
    real data (``data="real"``) each one's protocol data set before it where they differ:
    ``("jaffe", "ckplus7", "ckplus", "fer2013")`` (seven-class CK+ has no synthetic
    stand-in)."""
    if data != "real":
        return AUDIT_DATASETS
    return tuple(dict.fromkeys(run for name in AUDIT_DATASETS for run in (protocol_dataset(name, data), name)))


#: The experiment ``(model, dataset, source)`` whose settings the protocol's prose quotes
#: and its table of choices shows: Model 2 on JAFFE, from scratch.
REFERENCE_EXPERIMENT = (2, "jaffe", None)


# --------------------------------------------------------------------------- splits

#: The parts of a split, in order.
SPLIT_PARTS = ("train", "val", "test")
#: How a run's images are split (:mod:`ferlib.splits`): the paper's split, folds grouped
#: by subject, or leave one subject out.
SPLIT_PROTOCOLS = ("paper", "subject-kfold", "loso")
#: How the book names each subject-independent protocol.
SUBJECT_PROTOCOL_TITLES = {"loso": "leave one subject out", "subject-kfold": "folds grouped by subject"}
#: The subject-independent split of each data set with subject ids: ``(protocol, k)``,
#: ``k`` the folds of ``"subject-kfold"`` (``None`` for one fold per subject). The
#: baselines and the networks' subject-independent folds both use it, so they hold out
#: the same people.
SUBJECT_PROTOCOLS = {"jaffe": ("loso", None), "ckplus7": ("subject-kfold", 10), "ckplus": ("subject-kfold", 10)}

# --------------------------------------------------------------------------- the sensitivity study

#: The rounds of the sensitivity study (:data:`ferlib.study.ROUNDS`), each named by what its
#: cells change one setting around: the protocol; the augmented recipe the protocol was
#: chosen from; the protocol at the profile's learning rate, 0.001; the protocol's fine-tunes.
STUDY_ROUNDS = ("protocol", "augmented recipe", "rate 0.001", "fine-tune")
#: The round the study means when none is named.
DEFAULT_ROUND = "protocol"

# --------------------------------------------------------------------------- baselines

#: The baselines fitted on the same splits as the networks, and how the book names them.
BASELINE_TITLES = {"majority": "majority class", "logistic_pixels": "pixels + logistic regression",
                   "hog_logistic": "HOG + logistic regression"}
BASELINES = tuple(BASELINE_TITLES)

# --------------------------------------------------------------------------- decisions

#: The significance level of every test a verdict counts (exact McNemar, the one-sided
#: binomial test against the majority class, the tests over seeds).
SIGNIFICANCE = 0.05
#: The confidence level of the intervals a verdict is decided by (the t-interval of the
#: mean gain over seeds): 95%.
CONFIDENCE = 1 - SIGNIFICANCE
#: Differences of two accuracies on independent test sets up to this many standard
#: errors count as sampling error (about a 95% two-sided band).
SAMPLING_ERROR_Z = 1.96
#: The median balanced test accuracy over seeds that counts as a network that learned
#: (well above the 1/7 of always answering one class).
LEARNED_BALANCED = 0.40
