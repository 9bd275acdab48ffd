"""The reproduction's protocol: per-experiment deviations, stated and applied everywhere
the paper profile is used (CLI, book, committed-results check)."""

import dataclasses
from pathlib import Path

import pytest

from ferlib import cli, protocol, results
from ferlib.config import PROFILES, RunConfig, profile_config
from ferlib.experiment import PAPER_EXPERIMENTS, experiment_plan

M2_FER = (2, "fer2013", None)
M2_CK = (2, "ckplus", None)
M2_CK_TUNED = (2, "ckplus", "fer2013")
#: The experiments the paper profile trains at 0.0001.
SLOW_KEYS = {M2_FER, M2_CK, M2_CK_TUNED}
ALL_KEYS = [(m, target, source) for m in (1, 2, 3) for target, source in PAPER_EXPERIMENTS]
#: The committed data summary of the real data sets, which the protocol's prose counts from.
SUMMARIES = results.read_dataset_summaries(Path(__file__).resolve().parents[1] / results.PAPER_RESULTS)
CHOICES = protocol.protocol_choices(SUMMARIES)


def choice_named(name):
    (choice,) = [c for c in CHOICES if c.name == name]
    return choice


def test_paper_profile_states_its_deviations_with_a_reason():
    deviations = protocol.EXPERIMENT_DEVIATIONS["paper"]
    assert set(deviations) == SLOW_KEYS
    for key, entry in deviations.items():
        assert entry["reason"].strip(), key
        assert set(entry["settings"]) <= {f.name for f in dataclasses.fields(profile_config(
            "paper", model=1, dataset="jaffe"))}, "a deviation names a field RunConfig lacks"


def test_deviation_changes_only_its_experiment():
    for key in ALL_KEYS:
        config = protocol.experiment_config("paper", key, data="real")
        expected = 1e-4 if key in SLOW_KEYS else PROFILES["paper"]["learning_rate"]
        assert config.learning_rate == expected, key
        plain = profile_config("paper", model=key[0], dataset=protocol.protocol_dataset(key[1]), data="real")
        assert dataclasses.replace(config, learning_rate=plain.learning_rate) == plain, key


def test_the_protocol_runs_the_papers_ck_plus_on_seven_classes():
    """With the real data the paper's CK+ is ckplus7 (neutral first frames included);
    synthetic data keeps one CK+ stand-in; a ckplus7 run is keyed as the paper's CK+."""
    config = protocol.experiment_config("paper", (2, "ckplus", None), data="real")
    assert config.dataset == "ckplus7"
    assert protocol.experiment_config("quick", (2, "ckplus", None)).dataset == "ckplus"
    assert results.experiment_key(config) == (2, "ckplus", None)
    assert results.is_paper_config(config)
    six = dataclasses.replace(config, dataset="ckplus")
    assert not results.is_paper_config(six)
    assert protocol.departures(six) == {"dataset": ("ckplus", "ckplus7")}


def test_profiles_without_deviations_give_the_profile_config():
    for profile in ("smoke", "quick"):
        for key in ALL_KEYS:
            assert protocol.experiment_config(profile, key) == profile_config(profile, model=key[0],
                                                                               dataset=key[1]), key


def test_given_settings_win_over_a_deviation_and_none_is_ignored():
    assert protocol.experiment_config("paper", M2_FER, learning_rate=1e-3).learning_rate == 1e-3
    assert protocol.experiment_config("paper", M2_FER, learning_rate=None).learning_rate == 1e-4
    assert protocol.experiment_config("paper", M2_FER, epochs=2).epochs == 2


def test_deviations_are_the_choices_departures_then_the_experiments():
    departures = [choice.departs for choice in CHOICES if choice.departs]
    assert protocol.deviations("paper", summaries=SUMMARIES) == departures + protocol.deviation_lines("paper")
    assert protocol.deviations("smoke", summaries=SUMMARIES) == departures
    names = {choice.name for choice in CHOICES if choice.departs}
    assert {"augmentation", "fine-tuning", "splits", "CK+ classes", "JAFFE images", "layer details"} <= names


def test_the_augmentation_departure_says_what_the_paper_profile_does():
    choice = choice_named("augmentation")
    assert PROFILES["paper"]["augment"] is False
    assert "trains without augmentation" in choice.departs and "section 6" in choice.departs
    fine_tuning = choice_named("fine-tuning")
    assert "no augmentation" in fine_tuning.departs


def test_the_images_per_epoch_departure_lengthens_jaffe_alone():
    """The sentence says at least min_epoch_images per epoch changes JAFFE only: checked
    on the committed data summaries."""
    from ferlib.epochs import training_updates

    minimum = PROFILES["paper"]["min_epoch_images"]
    choice = choice_named("images per epoch")
    assert f"at least {minimum:,} images per epoch" in choice.departs and "JAFFE alone" in choice.departs
    assert "those of CK+ and FER2013 are longer" in choice.departs
    lengthened = {name for name in ("fer2013", "ckplus7", "jaffe")
                  if training_updates(SUMMARIES[name]["counts"]["train"], batch_size=64, epochs=1)
                  ["epoch_images"] < minimum}
    assert lengthened == {"jaffe"}



def test_the_epochs_the_prose_gives_are_counted_from_the_data_summary_and_the_settings():
    """The images and updates of the images-per-epoch choice are counted from the committed
    class counts, the protocol's settings and the source code's training loops, and they
    are the figures the book has always given (a balanced pass is seven classes times the
    largest one: FER2013 7 x 7,215, CK+ 7 x 229, JAFFE 7 x 20)."""
    numbers = protocol.epoch_numbers(SUMMARIES)
    assert {name: counted["pass"] for name, counted in numbers.items()} == {"fer2013": 50_505, "ckplus": 1_603,
                                                                          "jaffe": 140}
    jaffe = numbers["jaffe"]
    assert (jaffe["protocol"]["updates_per_epoch"], jaffe["protocol"]["updates"]) == (16, 1_200)
    assert jaffe["one pass"]["updates"] == 225
    sources = protocol.source_training(SUMMARIES["fer2013"]["images"])
    assert sources["model 2"] == {"epoch_images": 65_536, "updates": 1_280}
    assert (sources["model 3"]["train_images"], sources["model 3"]["updates_per_epoch"]) == (29_068, 455)
    choice = choice_named("images per epoch")
    assert (f"({sources['model 2']['epoch_images']:,} images, {sources['model 2']['updates']:,} updates in all)"
            in choice.sources)
    assert f"one pass ({sources['model 3']['updates_per_epoch']} updates per epoch)" in choice.sources
    assert f"(CK+ {numbers['ckplus']['pass']:,} images, FER2013 {numbers['fer2013']['pass']:,})" in choice.ours
    assert f"only JAFFE (a {jaffe['pass']}-image pass) changes" in choice.ours
    assert f"{jaffe['protocol']['updates_per_epoch']} updates per epoch, {jaffe['protocol']['updates']:,} in all" \
        in choice.ours
    assert f"JAFFE gets {jaffe['one pass']['updates']} updates" in choice.why
    assert (f"{jaffe['protocol']['updates']:,} updates is about the {sources['model 2']['updates']:,} of Model 2's"
            in choice.why)
    assert "Model 3: all images pooled and split at random 81/9/10" in choice_named("splits").sources


def test_the_epoch_numbers_follow_the_counts_they_are_given():
    """Other class counts give other numbers and other words: nothing is typed."""
    import copy

    summaries = copy.deepcopy(SUMMARIES)
    summaries["jaffe"]["counts"]["train"]["fear"] = 30  # a pass of 7 x 30 images
    summaries["fer2013"]["images"] = 64 * 100
    choice = next(c for c in protocol.protocol_choices(summaries) if c.name == "images per epoch")
    assert "JAFFE (a 210-image pass) changes" in choice.ours
    assert f"JAFFE gets {-(-210 // 64) * PROFILES['paper']['epochs']} updates" in choice.why
    train = 64 * 100 - 640  # 10% held out for test, then 10% of the rest (576) for validation
    assert f"one pass ({-(-(train - 576) // 64)} updates per epoch)" in choice.sources
    summaries["jaffe"]["counts"]["train"]["fear"] = 200  # no data set's pass is shorter than the minimum
    with pytest.raises(ValueError, match="lengthens the epochs of 0 of the paper's 3 data sets"):
        protocol.protocol_choices(summaries)
    del summaries["ckplus7"]
    with pytest.raises(ValueError, match=r"no \['ckplus7'\]\['counts'\]\['train'\]"):
        protocol.epoch_numbers(summaries)
    for bad in (0, True, 12.5):
        with pytest.raises(ValueError, match="fer2013_images must be a whole number"):
            protocol.source_training(bad)


def test_model_3s_training_part_is_what_scikit_learn_leaves_of_fer2013():
    """Model 3's code splits all of FER2013 with train_test_split twice (10% each time):
    source_training gives the training part that leaves."""
    sklearn = pytest.importorskip("sklearn.model_selection")
    import numpy as np

    images = SUMMARIES["fer2013"]["images"]
    rest, _ = sklearn.train_test_split(np.arange(images), test_size=0.1, random_state=42)
    train, _ = sklearn.train_test_split(rest, test_size=0.1, random_state=41)
    assert protocol.source_training(images)["model 3"]["train_images"] == len(train)


def test_the_learning_rates_of_the_prose_are_the_settings():
    rate, lower = PROFILES["paper"]["learning_rate"], protocol.experiment_settings("paper", M2_FER)["learning_rate"]
    choice = choice_named("learning rate")
    assert choice.ours.startswith(f"{rate:g}; ") and f"fine-tuned, {lower:g} (stated deviations)" in choice.ours
    assert choice.why.endswith(f"on JAFFE the study keeps {rate:g}")
    for key in (M2_FER, M2_CK):
        assert protocol.EXPERIMENT_DEVIATIONS["paper"][key]["reason"].startswith(
            f"At the other experiments' learning rate (Adam, {rate:g}) Model 2")
    assert f"within the {PROFILES['paper']['epochs']} epochs" in choice_named("augmentation").why


def test_the_rates_the_learning_rate_and_fine_tuning_reasons_quote_follow_the_settings(monkeypatch):
    """The rates in the reasons are glued from the profile's rate and the deviations' lower
    one: change them and the words change with them."""
    monkeypatch.setattr(protocol, "_PROFILE_RATE", 2e-3)
    monkeypatch.setattr(protocol, "_LOWER_RATE", 5e-4)
    choices = {choice.name: choice for choice in protocol.protocol_choices(SUMMARIES)}
    rate, tune = choices["learning rate"].why, choices["fine-tuning"].why
    assert "dies on FER2013 at 0.002" in rate and "majority class at 0.002 and learns at 0.0005" in rate
    assert "fine-tune at 0.002 ended near chance and the one at 0.0005 did not" in tune
    assert "0.0001" not in rate + tune
    assert "dies on FER2013 at 0.001" in choice_named("learning rate").why, "the protocol's own rates"


def test_the_numbers_the_book_glues_are_the_settings_and_the_counts(monkeypatch):
    """What the pages glue instead of typing: the protocol run's settings, its lower rate,
    JAFFE's balanced pass and the images of an epoch of Model 2's source code."""
    numbers = protocol.protocol_numbers(SUMMARIES)
    assert numbers == {"epochs": 75, "batch_size": 64, "min_epoch_images": 1024, "learning_rate": 0.001,
                       "lower_rate": 0.0001, "lower_rate_experiments": "3 experiments of Model 2", "jaffe_pass": 140,
                       "model_2_source_epoch_images": 65_536}
    assert numbers["lower_rate_experiments"].startswith(f"{len(protocol._RATE_DEVIATIONS)} experiments")
    assert numbers["jaffe_pass"] == protocol.epoch_numbers(SUMMARIES)["jaffe"]["pass"]
    monkeypatch.setitem(protocol._RATE_DEVIATIONS, M2_CK, 3e-4)
    with pytest.raises(ValueError, match="names one lower learning rate, 0.0001; its deviations train at 0.0001, 0.0003"):
        protocol.protocol_numbers(SUMMARIES)

def test_the_ck_plus_classes_count_contempt_as_disgust_as_the_paper_does():
    """The paper's section 5B turns contempt into disgust: the protocol follows it there."""
    choice = choice_named("CK+ classes")
    assert "as the paper's section 5B does" in choice.departs and "section 5B" in choice.why
    assert "because the models have seven outputs" not in choice.departs


def test_the_fine_tuning_choice_puts_the_collapse_at_0_001_with_augmentation_and_one_pass():
    choice = choice_named("fine-tuning")
    assert "loses it at 0.001" not in choice.why
    assert "with augmentation and one balanced pass per epoch" in choice.why and "the fine-tunes learn" in choice.why
    epochs = choice_named("images per epoch")
    assert "with augmentation on" in epochs.why, "the one-pass runs at chance all augmented"
    assert "'one pass per epoch' cell" in epochs.why and "augmented-recipe round" in epochs.why


def test_a_fine_tune_deviates_exactly_where_the_run_from_scratch_it_is_compared_with_does():
    """The pairing rule: a fine-tune and the run from scratch on its target differ only in
    their starting weights, so their deviations are the same (FER2013's own deviation,
    a source's, does not carry over)."""
    for profile in protocol.EXPERIMENT_DEVIATIONS:
        for model, target, source in ALL_KEYS:
            if source is not None:
                assert (protocol.experiment_settings(profile, (model, target, source))
                        == protocol.experiment_settings(profile, (model, target, None))), (profile, model, target)


def test_deviations_are_found_by_either_name_of_a_data_set():
    assert protocol.experiment_settings("paper", (2, "ckplus7", None)) == {"learning_rate": 1e-4}
    assert protocol.experiment_settings("paper", (2, "ckplus", None)) == {"learning_rate": 1e-4}
    assert protocol.experiment_settings("paper", (2, "jaffe", None)) == {}
    assert protocol.experiment_config("paper", (2, "ckplus7", None), data="real") == \
        protocol.experiment_config("paper", M2_CK, data="real")


def test_deviation_lines_name_the_experiment_and_value():
    lines = protocol.deviation_lines("paper")
    assert len(lines) == len(SLOW_KEYS)
    assert [line.split(" uses ")[0] for line in lines] == [
        "Model 2 on FER2013 (from scratch)", "Model 2 on CK+ (7 classes) (from scratch)",
        "Model 2 on CK+ (7 classes) (fine-tuned from FER2013)"]
    for line, entry in zip(lines, protocol.EXPERIMENT_DEVIATIONS["paper"].values()):
        assert f" uses learning rate {entry['settings']['learning_rate']:g}. " in line and entry["reason"] in line
    assert protocol.deviation_lines("smoke") == []


def test_the_learning_rate_departure_names_every_experiment_at_another_rate():
    choice = choice_named("learning rate")
    assert "Model 2 on FER2013 from scratch (0.0001)" in choice.departs
    assert "Model 2 on CK+ (7 classes) fine-tuned from FER2013 (0.0001)" in choice.departs
    assert choice.departs.count("(0.0001)") == len(SLOW_KEYS)


def test_is_paper_config_accepts_the_stated_deviation_only():
    m2_fer = protocol.experiment_config("paper", M2_FER, data="real")
    assert results.is_paper_config(m2_fer)
    assert not results.is_paper_config(dataclasses.replace(m2_fer, learning_rate=1e-3))
    assert not results.is_paper_config(dataclasses.replace(m2_fer, seed=1))
    assert results.is_paper_config(dataclasses.replace(m2_fer, seed=1), seed=1)
    m2_jaffe = protocol.experiment_config("paper", (2, "jaffe", None), data="real")
    assert results.is_paper_config(m2_jaffe)
    assert not results.is_paper_config(dataclasses.replace(m2_jaffe, learning_rate=1e-4))
    tuned = dataclasses.replace(m2_jaffe, source="fer2013", source_run="0123456789abcdef")
    assert results.is_paper_config(tuned), "a fine-tune keeps the profile's rate"
    m2_ck = protocol.experiment_config("paper", M2_CK, data="real")
    assert results.is_paper_config(m2_ck) and m2_ck.learning_rate == 1e-4
    assert not results.is_paper_config(dataclasses.replace(m2_ck, learning_rate=1e-3))
    tuned_ck = dataclasses.replace(m2_ck, source="fer2013", source_run="0123456789abcdef")
    assert results.is_paper_config(tuned_ck), "the CK+ fine-tune keeps its run from scratch's rate"
    assert not results.is_paper_config(dataclasses.replace(tuned_ck, learning_rate=1e-3))


def test_cli_configs_follow_the_protocol():
    parser = cli.build_parser()
    args = parser.parse_args(["train", "--model", "2", "--dataset", "fer2013", "--profile", "paper",
                              "--data-dir", "."])
    assert cli._config(args, model=2, dataset="fer2013").learning_rate == 1e-4
    args = parser.parse_args(["train", "--model", "2", "--dataset", "fer2013", "--profile", "paper",
                              "--data-dir", ".", "--learning-rate", "0.001"])
    assert cli._config(args, model=2, dataset="fer2013").learning_rate == 1e-3
    args = parser.parse_args(["finetune", "--model", "2", "--target", "jaffe", "--profile", "paper",
                              "--data-dir", "."])
    assert cli._config(args, model=2, dataset=args.source).learning_rate == 1e-4
    assert cli._config(args, model=2, dataset=args.target, source=args.source).learning_rate == 1e-3
    args = parser.parse_args(["finetune", "--model", "2", "--target", "ckplus", "--profile", "paper",
                              "--data-dir", "."])
    assert cli._config(args, model=2, dataset=args.target, source=args.source).learning_rate == 1e-4


# --------------------------------------------------------------------------- subject-independent folds


def test_subject_configs_are_the_protocol_on_the_baselines_folds():
    from ferlib.baselines import SUBJECT_PROTOCOLS

    configs = protocol.subject_configs(model=2, backend="tensorflow")
    assert [(c.dataset, c.protocol, c.fold) for c in configs] == (
        [("jaffe", "loso", f) for f in range(10)] + [("ckplus7", "subject-kfold", f) for f in range(10)])
    assert SUBJECT_PROTOCOLS["ckplus7"] == ("subject-kfold", 10) and SUBJECT_PROTOCOLS["jaffe"][0] == "loso"
    for config in configs:
        paper_key = (2, protocol.paper_dataset(config.dataset), None)
        plain = protocol.experiment_config("paper", paper_key, data="real", backend="tensorflow")
        assert config.folds == (10 if config.protocol == "subject-kfold" else 5)
        assert dataclasses.replace(config, protocol="paper", fold=0, folds=5) == plain, "only the split differs"
        assert results.is_subject_fold(config) and not results.is_paper_config(config, seed=None)
    fer = protocol.subject_configs(model=2, backend="tensorflow", seed=1)
    assert {c.seed for c in fer} == {1} and results.is_subject_fold(fer[0])


def test_subject_fold_config_refuses_folds_and_data_sets_it_has_not():
    with pytest.raises(ValueError, match=r"fold must be in 0\.\.9"):
        protocol.subject_fold_config("paper", 2, "jaffe", 10, backend="tensorflow")
    with pytest.raises(ValueError, match="dataset must be one of"):
        protocol.subject_fold_config("paper", 2, "fer2013", 0, backend="tensorflow")
    assert protocol.subject_fold_config("paper", 2, "ckplus", 9, backend="tensorflow").dataset == "ckplus7"


def test_only_the_protocols_folds_are_subject_folds():
    fold = protocol.subject_fold_config("paper", 2, "jaffe", 3, backend="tensorflow")
    assert results.is_subject_fold(fold)
    assert results.is_subject_fold(dataclasses.replace(fold, backend="jax"))
    assert not results.is_subject_fold(dataclasses.replace(fold, precision="mixed_bfloat16")), \
        "the precision is the protocol's (float32), the backend is free"
    augmented = dataclasses.replace(fold, augment=True)
    assert not results.is_subject_fold(augmented)
    assert protocol.departure_text(augmented) == (
        "one subject left out, fold 3 (protocol: the paper's split), augmentation (protocol: no augmentation)")
    ck_fold = protocol.subject_fold_config("paper", 2, "ckplus", 4, backend="tensorflow")
    assert protocol.departure_text(ck_fold).startswith(
        "folds grouped by subject, fold 4 of 10 (protocol: the paper's split)")
    kfold_jaffe = dataclasses.replace(fold, protocol="subject-kfold", folds=10)
    assert not results.is_subject_fold(kfold_jaffe), "JAFFE's folds leave one subject out"
    ck = protocol.subject_fold_config("paper", 2, "ckplus", 3, backend="tensorflow")
    assert not results.is_subject_fold(dataclasses.replace(ck, folds=5)), "CK+'s folds are ten"
    six = dataclasses.replace(ck, dataset="ckplus")
    assert not results.is_subject_fold(six), "six-class CK+48 is a variant, not the protocol"
    assert not results.is_subject_fold(dataclasses.replace(fold, data="synthetic", synthetic_size=213))
    assert not results.is_subject_fold(protocol.experiment_config("paper", (2, "jaffe", None), data="real"))


# --------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def smoke_store(tmp_path_factory):
    return tmp_path_factory.mktemp("protocol-store")


@pytest.fixture(scope="module")
def smoke_runs(smoke_store):
    return protocol.reproduction_runs("smoke", store=smoke_store, models=[2])


def former_paper_runs_plan(profile, models, *, seed=0):
    """``(key, config, source config)`` of each run the former ``experiment.paper_runs``
    made, in its order: the profile's config of each data set, on synthetic data."""
    import keras

    def config(model, dataset):
        return profile_config(profile, model=model, dataset=dataset, data="synthetic", seed=seed,
                              backend=keras.backend.backend())

    return [((m, target, source), config(m, target), None if source is None else config(m, source))
            for m in models for target, source in PAPER_EXPERIMENTS]


def test_the_protocols_plan_keeps_the_former_loops_runs_byte_for_byte():
    """Run ids hash the config: the one loop must give the smoke profile the configs, keys
    and order the two loops gave (no smoke deviation, so the protocol's are the profile's)."""
    plan = list(experiment_plan(protocol.protocol_configs("smoke"), models=(1, 2, 3)))
    former = former_paper_runs_plan("smoke", (1, 2, 3))
    assert [key for key, _, _ in plan] == [key for key, _, _ in former]
    for (key, config, source), (_, old_config, old_source) in zip(plan, former):
        assert config.to_json() == old_config.to_json(), key
        assert (source and source.to_json()) == (old_source and old_source.to_json()), key


def test_the_protocols_plan_applies_a_deviation_to_its_run_and_its_fine_tunes_source():
    plan = {key: (config, source) for key, config, source in
            experiment_plan(protocol.protocol_configs("paper", data="real", seed=1), models=[2])}
    fer2013, _ = plan[M2_FER]
    assert fer2013.learning_rate == 1e-4 and fer2013.seed == 1
    for target in ("jaffe", "ckplus"):
        tuned, source = plan[(2, target, "fer2013")]
        assert source == fer2013, "a fine-tune starts from the protocol's FER2013 run"
        assert tuned == plan[(2, target, None)][0], "a fine-tune trains like its run from scratch"
    assert plan[(2, "ckplus", None)][0].dataset == "ckplus7"
    assert protocol.protocol_configs("paper", data="real", epochs=None)(M2_FER).epochs == PROFILES["paper"]["epochs"]


@pytest.mark.slow
def test_reproduction_runs_apply_a_deviation_to_its_run_and_its_fine_tunes_source(
        smoke_runs, smoke_store, monkeypatch):
    monkeypatch.setitem(protocol.EXPERIMENT_DEVIATIONS, "smoke",
                        {(2, "fer2013", None): {"settings": {"learning_rate": 5e-4}, "reason": "test"}})
    runs = protocol.reproduction_runs("smoke", store=smoke_store, models=[2])
    source = runs[(2, "fer2013", None)]
    assert source.config.learning_rate == 5e-4
    assert source.id != smoke_runs[(2, "fer2013", None)].id
    for target in ("jaffe", "ckplus"):
        tuned = runs[(2, target, "fer2013")]
        assert tuned.config.source_run == source.id
        assert tuned.config.learning_rate == PROFILES["smoke"]["learning_rate"]
        assert runs[(2, target, None)].id == smoke_runs[(2, target, None)].id, "scratch runs are untouched"


def test_cli_reproduce_prints_the_five_runs(smoke_runs, smoke_store, capsys):
    assert cli.main(["reproduce", "--models", "2", "--profile", "smoke", "--store", str(smoke_store),
                     "--quiet"]) == 0
    out = capsys.readouterr().out
    for run in smoke_runs.values():
        assert run.id in out


def test_protocol_table_covers_every_training_setting():
    """Every RunConfig field that changes how a run trains is one of the table's choices,
    so no choice the paper leaves open goes unstated."""
    covered = {name for choice in CHOICES for name in choice.fields}
    bookkeeping = {"model", "data", "synthetic_size", "data_seed", "synthetic_expressions", "fold", "folds", "source_run", "backend",
                   "limit_train"}
    # the settings of a recipe choice that the protocol leaves off (momentum of SGD...) keep
    # their defaults unless that choice is on (RunConfig refuses them otherwise)
    from ferlib.config import RECIPE_DEPENDENT

    bookkeeping |= set(RECIPE_DEPENDENT)
    # the dropout rates are the network's own, stated with each architecture (ferlib.models);
    # dropout_scale departs from them in the quick profile only, which profile_notes states
    bookkeeping.add("dropout_scale")
    from ferlib.config import PROFILES
    assert all(settings.get("dropout_scale", 1.0) == 1.0 for settings in PROFILES["paper"].get("models", {}).values())
    assert PROFILES["paper"].get("dropout_scale", 1.0) == 1.0
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    assert fields - bookkeeping <= covered, f"not in the protocol table: {sorted(fields - bookkeeping - covered)}"
    assert covered <= fields, f"the table names fields RunConfig lacks: {sorted(covered - fields)}"
    table = protocol.protocol_table(summaries=SUMMARIES)
    assert list(table["choice"]) == [choice.name for choice in CHOICES]
    row = table.set_index("choice").loc["images per epoch"]
    assert row["settings"] == f"min_epoch_images={PROFILES['paper']['min_epoch_images']}"
    assert table[["paper", "source code", "protocol", "why"]].map(str.strip).ne("").all().all()


def test_departure_text_names_settings_in_words():
    import dataclasses

    from ferlib import protocol

    config = protocol.experiment_config("paper", (2, "jaffe", None), data="real")
    one_pass = dataclasses.replace(config, min_epoch_images=None)
    text = protocol.departure_text(one_pass)
    assert text == "one pass per epoch (protocol: at least 1,024 images per epoch)"
    other = dataclasses.replace(config, dataset="ckplus", augment=True, augment_scale=0.5)
    assert protocol.departure_text(other, with_protocol=False) == (
        "CK+48 (6 classes), Adam at learning rate 0.001, augmentation, augmentation magnitudes x0.5")
    assert "None" not in text
