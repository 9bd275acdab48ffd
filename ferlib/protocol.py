"""The reproduction's protocol: the paper's 15 experiments under a profile, with the
per-experiment settings we had to change, each stated with its reason.

A profile (:data:`ferlib.config.PROFILES`) gives every run the same settings. Where one
experiment cannot run with them, :data:`EXPERIMENT_DEVIATIONS` names the settings that
change for that experiment alone. :func:`experiment_config` applies them, so the CLI, the
book and the check of committed results (:func:`ferlib.results.is_paper_config`) all
agree on what "the paper profile" trains. Settings a user passes explicitly (``--learning-rate``)
win over a deviation.

An experiment is keyed ``(model, dataset, source)``: ``source`` is ``None`` for training
from scratch, or the data set a fine-tune starts from.
"""

from __future__ import annotations

from ferlib.config import RunConfig, profile_config

#: ``{profile: {(model, dataset, source): {"settings": {field: value}, "reason": str}}}``.
#: Only the named experiment changes. The fine-tunes that start from it keep the
#: profile's settings for their own training, like the runs from scratch they are
#: compared with, so each pair differs only in its starting weights.
EXPERIMENT_DEVIATIONS = {
    "paper": {
        (2, "fer2013", None): {
            "settings": {"learning_rate": 1e-4},
            "reason": "At the profile's learning rate (Adam, 0.001) Model 2 dies on FER2013: in "
                      "the first full run no unit of dense_2 fired for any of 2,000 images after "
                      "5 epochs, and the model stayed at chance; probes on four seeds each lost "
                      "most units of a late layer within 300 steps. At 0.0001 both probed seeds "
                      "kept most units live. Only this run changes: its fine-tunes and every "
                      "other run keep 0.001 (from scratch on CK+, Model 2 did much better in 75 "
                      "epochs at 0.001 than at 0.0001; see the runs outside the protocol).",
        },
    },
}


def experiment_settings(profile: str, key) -> dict:
    """The settings that depart from ``profile`` for experiment ``key`` (often ``{}``)."""
    model, dataset, source = key
    entry = EXPERIMENT_DEVIATIONS.get(profile, {}).get((int(model), dataset, source))
    return dict(entry["settings"]) if entry else {}


def experiment_config(profile: str, key, *, data: str = "synthetic", **overrides) -> RunConfig:
    """The config of one experiment: the profile, then its deviations, then ``overrides``.

    Args:
        profile: a name in :data:`ferlib.config.PROFILES`.
        key: ``(model, dataset, source)``. A fine-tune's config is its *target* run's
            (``source`` is filled in by :func:`ferlib.experiment.finetune_run`); the
            deviations of the source experiment do not carry over to it.
        data: ``"real"`` or ``"synthetic"``.
        overrides: RunConfig fields; ``None`` values are ignored (CLI options left
            unset), others win over the deviations.
    """
    model, dataset, _ = key
    settings = experiment_settings(profile, key)
    settings.update({name: value for name, value in overrides.items() if value is not None})
    return profile_config(profile, model=int(model), dataset=dataset, data=data, **settings)


def deviation_lines(profile: str = "paper") -> list:
    """Each deviation of ``profile`` as a sentence for the book."""
    from ferlib.figures import dataset_title

    lines = []
    for (model, dataset, source), entry in EXPERIMENT_DEVIATIONS.get(profile, {}).items():
        training = "from scratch" if source is None else f"fine-tuned from {dataset_title(source)}"
        settings = ", ".join(f"{name.replace('_', ' ')} {value:g}" if isinstance(value, float)
                             else f"{name.replace('_', ' ')} {value}"
                             for name, value in entry["settings"].items())
        lines.append(f"Model {model} on {dataset_title(dataset)} ({training}) uses {settings}. "
                     f"{entry['reason']}")
    return lines


def reproduction_runs(profile="quick", *, store, models=(1, 2, 3), data_dir=None, cache_dir=None,
                      seed=0, verbose=0, log=print, **overrides) -> dict:
    """The paper's 15 runs (5 per model) under ``profile`` and its stated deviations:
    fetched from the store, or trained.

    Like :func:`ferlib.experiment.paper_runs` (the same keys and order, and the same runs
    where a profile has no deviation), but each run's config comes from
    :func:`experiment_config`. Returns ``{(model, dataset, source): Run}``.
    """
    import keras

    from ferlib.experiment import PAPER_EXPERIMENTS, finetune_run, load_data, train_run

    data = "real" if data_dir is not None else "synthetic"
    loaded = {}

    given = {name: value for name, value in overrides.items() if value is not None}
    settings = {"seed": seed, "backend": keras.backend.backend(), **given}

    def config(key):
        return experiment_config(profile, key, data=data, **settings)

    def dataset(cfg):  # each data set is loaded (or made) once
        if cfg.dataset not in loaded:
            loaded[cfg.dataset] = load_data(cfg.dataset, data_dir=data_dir, cache_dir=cache_dir,
                                            synthetic_size=cfg.synthetic_size, data_seed=cfg.data_seed)
        return loaded[cfg.dataset]

    options = dict(data_dir=data_dir, cache_dir=cache_dir, verbose=verbose, log=log)
    runs = {}
    for model in (int(m) for m in models):
        for target, source in PAPER_EXPERIMENTS:
            target_config = config((model, target, source))
            if source is None:
                runs[(model, target, None)] = train_run(target_config, store,
                                                        dataset=dataset(target_config), **options)
            else:
                source_config = config((model, source, None))
                _, runs[(model, target, source)] = finetune_run(
                    source_config, target_config, store, source_dataset=dataset(source_config),
                    target_dataset=dataset(target_config), **options)
    return runs
