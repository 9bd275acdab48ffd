"""Finished runs as the paired comparisons read them, made up: a config and test
predictions, each image right or not as a test says. Shared by ``test_finetune_pairs.py``
and ``test_verdicts.py``."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from ferlib import protocol
from ferlib.labels import label_index

NEUTRAL = label_index("neutral")
HAPPY = label_index("happy")


def record(config, sources, true, right, rid=None):
    """A finished run as the comparisons read it: its config and test predictions, each
    image right where ``right`` says (else the next class)."""
    true = np.asarray(true, dtype=int)
    predicted = np.where(right, true, (true + 1) % 7)
    predictions = pd.DataFrame({"part": ["val"] + ["test"] * len(true), "true": [0, *true],
                                "predicted": [0, *predicted], "source": ["val.png", *sources]})
    return SimpleNamespace(id=rid or f"r{id(predictions) % 10**8}", config=config, predictions=predictions,
                           metrics={"test": {"accuracy": float(np.mean(right))}})


def first(n, k):
    """``(n,)`` bool: the first ``k`` right."""
    return np.arange(n) < k


def paper(model, dataset, source=None, *, seed=0, split_seed=0):
    if split_seed:
        return protocol.split_seed_config("paper", (model, dataset, source), split_seed, seed=seed,
                                          source=source, source_run="src" if source else None)
    return protocol.experiment_config("paper", (model, dataset, source), data="real", seed=seed, source=source,
                                      source_run="src" if source else None)


JAFFE = [f"jaffe/KA.HA{i}.{i}.tiff" for i in range(42)]
JAFFE_TRUE = [i % 7 for i in range(42)]


def jaffe_pair(model, k_scratch, k_tuned, *, seed=0, split_seed=0):
    return [record(paper(model, "jaffe", seed=seed, split_seed=split_seed), JAFFE, JAFFE_TRUE, first(42, k_scratch)),
            record(paper(model, "jaffe", "fer2013", seed=seed, split_seed=split_seed), JAFFE, JAFFE_TRUE,
                   first(42, k_tuned))]


def fer2013(model, seed=0):
    return record(paper(model, "fer2013", seed=seed), ["f.png"], [0], [True])


def jaffe_folds(model, k_scratch, k_tuned, *, folds=10, per_fold=4):
    """Every leave-one-subject-out fold of JAFFE, from scratch and fine-tuned: fold f tests
    ``per_fold`` images of its subject, the first k of each right."""
    runs = []
    for fold in range(folds):
        sources = [f"jaffe/S{fold}.{i}.tiff" for i in range(per_fold)]
        true = [i % 7 for i in range(per_fold)]
        scratch = protocol.subject_fold_config("paper", model, "jaffe", fold)
        tuned = protocol.subject_finetune_config("paper", model, "jaffe", fold, source="fer2013", source_run="src")
        runs += [record(scratch, sources, true, first(per_fold, k_scratch)),
                 record(tuned, sources, true, first(per_fold, k_tuned))]
    return runs


def ckplus_images(n):
    """``n`` sequences: each its neutral first frame, then its peak frame (happy)."""
    sources, true = [], []
    for i in range(n):
        sources += [f"CK+/neutral/S{i:03d}_001_00000001.png", f"CK+/happiness/S{i:03d}_001_00000012.png"]
        true += [NEUTRAL, HAPPY]
    return sources, np.array(true)
