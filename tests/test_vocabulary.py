"""The vocabulary's derived names: the data set lists the modules take their defaults
from follow the protocol's mapping of the paper's data sets, defined once."""

import inspect

from ferlib import baselines, finetune_pairs, leakage, pack, protocol, study, verdicts, vocabulary


def test_the_protocols_target_runs_are_the_small_data_sets_as_the_protocol_runs_them():
    assert vocabulary.TARGET_RUN_DATASETS == ("jaffe", "ckplus7")
    assert vocabulary.TARGET_RUN_DATASETS == tuple(map(vocabulary.protocol_dataset, vocabulary.TARGET_DATASETS))
    assert set(vocabulary.TARGET_RUN_DATASETS) <= set(vocabulary.DATASETS)


def test_the_audits_cover_the_small_data_sets_first_and_the_seven_class_ck_plus_only_on_real_data():
    assert vocabulary.audit_datasets() == vocabulary.AUDIT_DATASETS == ("jaffe", "ckplus", "fer2013")
    real = vocabulary.audit_datasets("real")
    assert real == ("jaffe", "ckplus7", "ckplus", "fer2013")
    assert set(real) <= set(vocabulary.DATASETS) and len(set(real)) == len(real)
    for name in vocabulary.AUDIT_DATASETS:
        assert real.index(vocabulary.protocol_dataset(name)) <= real.index(name)


def test_the_reference_experiment_is_a_known_model_on_a_small_data_set_from_scratch():
    model, dataset, source = vocabulary.REFERENCE_EXPERIMENT
    assert model in vocabulary.MODEL_IDS and dataset in vocabulary.TARGET_DATASETS and source is None
    run = protocol._PROTOCOL_RUN
    assert (run.model, run.dataset, run.source) == (2, "jaffe", None), "the run the protocol's prose quotes"


def test_the_modules_take_their_data_set_and_model_defaults_from_the_vocabulary():
    assert pack.PACK_NAMES == (vocabulary.SOURCE_DATASET, *vocabulary.TARGET_RUN_DATASETS)
    assert study.STUDY_DATASETS == vocabulary.TARGET_RUN_DATASETS
    assert protocol.SUBJECT_EXPERIMENTS == vocabulary.TARGET_DATASETS
    for function in (baselines.baseline_table, leakage.leakage_table):
        assert inspect.signature(function).parameters["datasets"].default == vocabulary.AUDIT_DATASETS
    for function in (finetune_pairs.finetune_pairs, finetune_pairs.ckplus_finetune_frames,
                     verdicts.split_seed_comparison, verdicts.finetune_verdicts):
        assert inspect.signature(function).parameters["models"].default == vocabulary.PAPER_MODELS
    assert inspect.signature(verdicts.finetune_verdicts).parameters["datasets"].default == ("jaffe", "ckplus7")
