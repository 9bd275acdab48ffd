"""What each chapter of the book found, in words, computed from the runs.

Every function here takes what a chapter has already computed (tables of
:mod:`ferlib.tables`, :mod:`ferlib.claims`, :mod:`ferlib.compare`, :mod:`ferlib.verdicts`,
:mod:`ferlib.study`) and returns text: sentences for the "What we found" box at the top
of a chapter, or values that the prose pages glue in. No number is typed here and nothing
is decided here: each number comes from its argument, each verdict (significant or not,
learned or not, which runs show what) from the comparison, verdict and statistics modules, at the
thresholds of :mod:`ferlib.vocabulary`; a sentence says so plainly when a build has no
run to support it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ferlib import paper
from ferlib.claims import Z_LIMIT, at_majority_class, main_test_set
from ferlib.config import PROFILES
from ferlib.diagnostics import live_fractions, most_live_probe
from ferlib.formatting import (
    DASH,
    admonition,
    link_terms,
    p_text,
    percent_interval_text,
    percent_text,
    points_text,
    range_text,
)
from ferlib.missing import CPU_CORES
from ferlib.protocol import FINETUNE_SOURCE
from ferlib.study import STUDY_DATASETS, STUDY_SEEDS, changes_on_every_dataset, largest_changes
from ferlib.tables import confused_pairs, probability_columns, training_label
from ferlib.verdicts import (
    at_majority,
    best_run,
    finetune_rate_evidence,
    finetune_gain_counts,
    hog_verdicts,
    learned_over_seeds,
    paired_verdict,
)
from ferlib.vocabulary import (
    LEARNED_BALANCED,
    PAPER_MODELS,
    SIGNIFICANCE,
    SUBJECT_PROTOCOL_TITLES,
    dataset_title,
    protocol_dataset,
    run_dataset_title,
)


def _seeds(n) -> str:
    """``3`` -> ``"3 seeds"``, ``1`` -> ``"1 seed"``."""
    return f"{int(n)} seed{'s' if int(n) != 1 else ''}"


def _range_key(dataset: str, training: str | None = None) -> str:
    """The glue-name part of a quoted range: ``("jaffe", "fine-tuned")`` -> ``"jaffe_fine_tuned"``,
    ``("fer2013", None)`` -> ``"fer2013"``."""
    return dataset if training is None else f"{dataset}_{training.replace('-', '_')}"


def _listed(texts) -> str:
    """``["a"]`` -> ``"a"``, ``["a", "b", "c"]`` -> ``"a, b and c"``."""
    texts = [str(text) for text in texts]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + f" and {texts[-1]}"


def _models_note(models) -> str | None:
    """Which of the paper's three networks a range of ours covers, where not all:
    ``[2]`` -> ``"Model 2 only"``, ``[1, 2]`` -> ``"Models 1 and 2"``; None for all three."""
    models = sorted({int(m) for m in models})
    if models == sorted(PAPER_MODELS):
        return None
    return f"Model {models[0]} only" if len(models) == 1 else f"Models {_listed(models)}"


def range_glues(ranges: pd.DataFrame, results: pd.DataFrame, *, quoted_fer2013: float) -> dict:
    """The values the conclusions glue for the paper's quoted ranges and ours.

    Args:
        ranges: :func:`ferlib.claims.range_table` output.
        results: :func:`ferlib.claims.results_table` output.
        quoted_fer2013: the paper's single FER2013 figure (:data:`ferlib.paper.QUOTED_FER2013_ACCURACY`).

    Returns:
        ``{"paper_<dataset>_<training>_range": "60.5% to 74.4%", "ours_...": ...,
        "paper_fer2013_quoted": "about 62%", "ours_fer2013_range": ...}``; a range of ours
        that covers fewer than the three networks says which (``"59.6% (Model 2 only)"``),
        and one with no run of ours is a dash.
    """
    def ours(rows) -> str:
        rows = rows.dropna(subset=["ours"])
        if rows.empty:
            return DASH
        note = _models_note(rows["model"])
        text = range_text(rows["ours"].min(), rows["ours"].max())
        return f"{text} ({note})" if note else text

    values = {}
    for row in ranges.itertuples():
        key = _range_key(row.dataset, row.training)
        values[f"paper_{key}_range"] = range_text(row.paper_low, row.paper_high)
        values[f"ours_{key}_range"] = ours(results[(results["dataset"] == row.dataset)
                                                   & (results["training"] == row.training)])
    values["paper_fer2013_quoted"] = f"about {percent_text(quoted_fer2013, 0)}"
    values["ours_fer2013_range"] = ours(results[results["dataset"] == "fer2013"])
    return values


def seed_range_glues(accuracy: pd.DataFrame) -> dict:
    """The conclusions' column of means over seeds: for each range the paper quotes
    (and FER2013), the lowest and highest mean over seeds among the models, with how
    many seeds stand behind them.

    Args:
        accuracy: :func:`ferlib.compare.accuracy_summary` output (``dataset``,
            ``training``, ``seeds``, ``ours``: the mean test accuracy over seeds).

    Returns:
        ``{"ours_<dataset>_<training>_seeds_range": "66.7% to 78.6% (1 to 3 seeds)", ...,
        "ours_fer2013_seeds_range": ...}``, naming the networks where not all three have a
        run (``"59.6% (Model 2 only, 1 seed)"``); a range with no run is a dash.
    """
    values = {}
    for dataset, training in [("fer2013", None), *paper.QUOTED_RANGES]:
        rows = accuracy[(accuracy["dataset"] == dataset) & (accuracy["seeds"] > 0)]
        if training is not None:
            rows = rows[rows["training"] == training]
        key = _range_key(dataset, training)
        if rows.empty:
            values[f"ours_{key}_seeds_range"] = DASH
            continue
        fewest, most = int(rows["seeds"].min()), int(rows["seeds"].max())
        seeds = _seeds(most) if fewest == most else f"{fewest} to {_seeds(most)}"
        note = _models_note(rows["model"])
        values[f"ours_{key}_seeds_range"] = (f"{range_text(rows['ours'].min(), rows['ours'].max())} "
                                             f"({note + ', ' if note else ''}{seeds})")
    return values


def finetune_sentence(summary: dict, paired: pd.DataFrame | None = None,
                      beside: pd.DataFrame | None = None) -> str:
    """What our runs say about fine-tuning.

    Args:
        summary: :func:`ferlib.claims.finetune_summary`.
        paired: :func:`ferlib.compare.finetune_comparison` of the same runs: each gain's
            exact McNemar test on the same test images; None leaves the tests out.
        beside: :func:`ferlib.compare.baseline_comparison` (with ``run`` ids and the
            ``majority`` baseline): a significant gain over a run from scratch that is
            no better than the majority class is said to be one
            (:func:`ferlib.verdicts.finetune_gain_counts` counts them).

    Returns:
        e.g. ``"fine-tuning scored higher than training from scratch in 2 of 2
        comparisons (+26.0 points on average); the gain is significant on the same test
        images (exact McNemar, p < 0.05) in 1, and that one is against a run from scratch
        that stayed at the majority class"``, or that no pair of runs can be compared.
    """
    if not summary["compared"]:
        return ("no model has both a run from scratch and a fine-tuned run on the same data set, "
                "so none of our runs can test this yet")
    sentence = (f"fine-tuning scored higher than training from scratch in {summary['helped']} of "
                f"{summary['compared']} comparisons ({points_text(summary['ours_mean_gain'])} points on average)")
    if paired is None or paired.empty:
        return sentence
    verdicts = finetune_gain_counts(paired, beside)
    sentence += (f"; the gain is significant on the same test images (exact McNemar, p < {SIGNIFICANCE:g}) "
                 f"in {verdicts['significant']}")
    return sentence + _against_floor(verdicts["significant"], verdicts["against_majority"])


def _against_floor(significant: int, against_floor: int) -> str:
    """The clause that says how many of ``significant`` gains were over a run from scratch
    at the majority class (``""`` for none)."""
    if not against_floor:
        return ""
    which = ("that one is" if significant == 1
             else f"{against_floor} of them {'is' if against_floor == 1 else 'are'}")
    return f", and {which} against a run from scratch that stayed at the majority class"


def finetune_seeds_sentence(over_seeds: pd.DataFrame) -> str:
    """What fine-tuning did over seeds, from :func:`ferlib.compare.finetune_over_seeds`:
    each (model, data set) with two paired seeds or more, its mean gain, each seed's gain,
    how many seeds' own McNemar tests reject, and the paired t-test over seeds.

    Returns:
        e.g. ``"Over seeds, each fine-tune paired with the run from scratch of the same
        seed: Model 2 on JAFFE gains +9.5 points on average over 2 seeds (each seed: +11.9,
        +7.1), significant on its own test images (exact McNemar, p < 0.05) in 0 of 2, paired
        t-test over seeds p = 0.210."``, or that no fine-tune has been repeated yet.
    """
    repeated = over_seeds[over_seeds["seeds"] >= 2] if len(over_seeds) else over_seeds
    if not len(repeated):
        return ("No fine-tune has more than one seed paired with its run from scratch yet, so none of "
                "these gains has been repeated.")
    parts = []
    for row in repeated.itertuples():
        each = ", ".join(points_text(gain) for _, (gain, _) in sorted(row.by_seed.items()))
        parts.append(f"Model {int(row.model)} on {dataset_title(row.dataset)} gains "
                     f"{points_text(row.gain_mean)} points on average over {_seeds(row.seeds)} (each seed: "
                     f"{each}), significant on its own test images (exact McNemar, p < {SIGNIFICANCE:g}) in "
                     f"{row.significant_gains} of {row.seeds}, paired t-test over seeds p = {p_text(row.t_p_value)}")
    return "Over seeds, each fine-tune paired with the run from scratch of the same seed: " + "; ".join(parts) + "."


def learning_glues(seeds: pd.DataFrame, *, bar: float = LEARNED_BALANCED) -> dict:
    """How the networks trained from scratch on the small data sets fare over seeds, for
    the conclusions, from :func:`ferlib.compare.seed_table`: ``small_scratch_runs``
    (experiments with a run, of the 6 scratch ones on JAFFE and CK+),
    ``small_scratch_above_bar`` (those whose median balanced test accuracy reaches
    ``bar``), ``small_scratch_bar`` (``bar`` in percent) and
    ``small_scratch_balanced_range`` (lowest to highest median balanced accuracy, a
    dash without runs) and ``small_scratch_below_bar_text`` (a sentence naming those below
    ``bar`` with their median, or saying that none is); which learned is
    :func:`ferlib.verdicts.learned_over_seeds`."""
    part = learned_over_seeds(seeds, bar=bar)
    balanced = part["balanced_median"].astype(float)
    below = part[~part["learned"]]
    below_text = ("No experiment falls below it." if below.empty else
                  "Below it: " + _listed([f"{_experiment(row.model, row.dataset, 'scratch')}, "
                                          f"{percent_text(row.balanced_median)} over {_seeds(row.seeds)}"
                                          for row in below.itertuples()]) + ".")
    return {"small_scratch_runs": int(len(part)),
            "small_scratch_above_bar": int(part["learned"].sum()),
            "small_scratch_bar": float(100 * bar),
            "small_scratch_balanced_range": range_text(balanced.min(), balanced.max()) if len(part) else DASH,
            "small_scratch_below_bar_text": below_text}


def finetune_rate_glues(runs, *, model: int = 2) -> dict:
    """What the fine-tuning rate did, for the prose, from committed runs (e.g.
    :func:`ferlib.results.committed_runs`; empty for a build without them).

    ``finetune_one_pass_augmented`` and ``finetune_one_pass_augmented_lower_rate``: the test accuracy of the JAFFE
    fine-tune of ``model`` made with augmentation and one balanced pass per epoch, at the
    protocol's learning rate and at a lower one (the newest of each);
    ``finetune_protocol_<name>`` and ``finetune_protocol_<name>_zero_shot`` for ``jaffe``
    and ``ckplus`` (the protocol's seven-class CK+): the protocol's fine-tunes, every
    committed seed, and their FER2013 networks on the same test images before
    fine-tuning. Each a percent text (``"81.0%"``), a dash where no such run is there;
    with several seeds a list in seed order, the fine-tunes' list naming its seeds
    (``"81.0% and 85.7% (seeds 0 and 1)"``); ``finetune_protocol_<name>_with_start`` gives
    both in one phrase (``"81.0% (before fine-tuning: 42.9%)"``); ``finetune_protocol_<name>_rate``
    is the learning rate the protocol fine-tunes at (``"0.001"``). ``finetune_protocol_vs_zero_shot``:
    ``"above"`` when every one of those fine-tunes beats its network before
    fine-tuning, else ``"not always above"``. The runs are those of
    :func:`ferlib.verdicts.finetune_rate_evidence`."""
    evidence = finetune_rate_evidence(runs, model=model)

    def accuracy(found):
        return percent_text(found[-1].metrics["test"]["accuracy"]) if found else DASH

    values = {f"finetune_{name}": accuracy(evidence[name])
              for name in ("one_pass_augmented", "one_pass_augmented_lower_rate")}
    for name, target in evidence["targets"].items():
        values[f"finetune_protocol_{name}_rate"] = f"{target['rate']:g}"
        tuned, tested, zero_shot = target["runs"], target["tested"], target["zero_shot"]
        seeds = [str(run.config.seed) for run in tuned]
        values[f"finetune_protocol_{name}"] = (
            DASH if not tuned else accuracy(tuned) if len(tuned) == 1
            else f"{_listed([percent_text(t) for t in tested])} (seeds {_listed(seeds)})")
        values[f"finetune_protocol_{name}_zero_shot"] = (_listed([percent_text(z) for z in zero_shot])
                                                          if tuned else DASH)
        start = f"before fine-tuning: {values[f'finetune_protocol_{name}_zero_shot']}"
        values[f"finetune_protocol_{name}_with_start"] = (
            DASH if not tuned else f"{accuracy(tuned)} ({start})" if len(tuned) == 1
            else f"{_listed([percent_text(t) for t in tested])} (seeds {_listed(seeds)}; {start})")
    values["finetune_protocol_vs_zero_shot"] = "above" if evidence["above_zero_shot"] else "not always above"
    return values


#: Keras' default learning rate for Adam (``keras.optimizers.Adam()``).
ADAM_DEFAULT_RATE = 1e-3


def _augmentation_words(flags) -> str:
    """``{True, False}`` -> ``"with and without augmentation"``."""
    flags = {bool(flag) for flag in flags}
    return ("with and without augmentation" if len(flags) == 2 else
            "with augmentation" if flags == {True} else "without augmentation")


def dying_sentence(probes: pd.DataFrame, *, model: int = 2) -> str:
    """What the collapse probes of ``model`` on FER2013 (a :func:`ferlib.diagnostics.probes_table`)
    say, in one sentence for the landing page: at the highest rate probed, how many probes
    lost most units of a layer (the weakest layer's live share below one half) and how
    many answered one class for every face; at each lower rate, the least live share of
    a weakest layer. "Dies" where most probes do both, else "keeps learning". ``"Model 2 dies on FER2013 at Adam's default learning rate of 0.001:
    after 300 steps, most units of one layer no longer fire for any image in 8 of 8 probes
    (4 seeds, with and without augmentation; at most 25.8% stay live), and 6 of them answer
    one class for every face; at 0.0001 the weakest layer of each of 2 probes keeps 71.7%
    or more of its units live"``."""
    mine = probes[(probes["model"] == model) & (probes["dataset"] == "fer2013")] if len(probes) else probes
    if mine.empty:
        return f"No probe of Model {model} on FER2013 is part of the results"
    rate = float(mine["learning_rate"].max())
    fast = mine[mine["learning_rate"] == rate]
    live = live_fractions(fast)
    most_dead, one_class, n = int((live < 0.5).sum()), int((fast["val_predicted_classes"] == 1).sum()), len(fast)
    named = f"Adam's default learning rate of {rate:g}" if rate == ADAM_DEFAULT_RATE else f"a learning rate of {rate:g}"
    steps = _listed(sorted({str(int(s)) for s in fast["steps"]}))
    dies = 2 * most_dead > n and 2 * one_class > n
    text = (f"Model {model} {'dies' if dies else 'keeps learning'} on FER2013 at {named}: after "
            f"{steps} steps, most units of one layer no longer fire for any image in {most_dead} of {n} "
            f"probe{'s' if n != 1 else ''} "
            f"({_seeds(fast['seed'].nunique())}, {_augmentation_words(fast['augment'])}; at most "
            f"{percent_text(live.max())} stay live), and {one_class} of them answer one class for every face")
    for lower, found in sorted(mine[mine["learning_rate"] < rate].groupby("learning_rate"), reverse=True):
        text += (f"; at {lower:g} the weakest layer of each of {len(found)} probe{'s' if len(found) != 1 else ''} "
                 f"keeps {percent_text(live_fractions(found).min())} or more of its units live")
    return text


def probe_sentences(collapse: pd.DataFrame, probes: pd.DataFrame, *, model: int = 2) -> list:
    """What the probes of ``model`` show, one sentence per setting (learning rate,
    augmentation), from :func:`ferlib.diagnostics.collapse_summary` and the probes
    table it summarises: how many seeds answered a single class, and the live share of
    the weakest layer over the seeds, lowest to highest, and the seed that kept the most."""
    lines = []
    for row in collapse[collapse["model"] == model].itertuples():
        same = probes[(probes["model"] == model) & (probes["learning_rate"] == row.learning_rate)
                      & (probes["augment"] == row.augment) & (probes["steps"] == row.steps)]
        live = live_fractions(same)
        most = most_live_probe(same)
        augmentation = "with augmentation" if row.augment else "without augmentation"
        lines.append(f"Model {model} at {row.learning_rate:g}, {augmentation}: after {int(row.steps)} steps, "
                     f"{int(row.one_class)} of {int(row.probes)} seeds answered a single class, and the "
                     f"weakest layer kept {range_text(live.min(), live.max())} of its units live (the most: "
                     f"seed {int(most['seed'])}, {int(most['min_live']):,} of {int(most['min_live_units']):,} "
                     f"in {most['min_live_layer']}).")
    return lines


def subject_glues(subject: pd.DataFrame) -> dict:
    """The baselines on the paper's split and on people they have never seen, for the
    prose, from :func:`ferlib.compare.subject_comparison`:
    ``subject_<dataset>_<baseline>_paper_split`` and ``..._independent``, in percent."""
    values = {}
    for row in subject.itertuples():
        values[f"subject_{row.dataset}_{row.baseline}_paper_split"] = float(100 * row.paper_split)
        values[f"subject_{row.dataset}_{row.baseline}_independent"] = float(100 * row.subject_independent)
    return values


# --------------------------------------------------------------------------- the boxes

#: The title of the box at the top of each chapter.
BOX_TITLE = "What we found"


def box(lines):
    """The "what we found" box of a chapter: ``lines`` as a MyST admonition that a
    notebook cell shows (an IPython Markdown object). The box comes first on its page, so
    the statistical terms it uses are linked to the glossary there (:func:`link_terms`)."""
    # saves start-up time: IPython loads only in a notebook
    from IPython.display import Markdown

    return Markdown(link_terms(admonition(BOX_TITLE, list(lines))))


def _experiment(model, dataset, training) -> str:
    how = "from scratch" if training == "scratch" else "fine-tuned"
    return f"Model {int(model)} on {dataset_title(dataset)} ({how})"


def datasets_findings(views: dict, counts: pd.DataFrame) -> list:
    """For the data chapter, from :func:`ferlib.chapter`-style data set views
    (``{name: view}`` with ``title``, ``images``, ``class_counts``) and
    :func:`ferlib.claims.count_claims`."""
    sizes = ", ".join(f"{view.title} {view.images:,}" for view in views.values())
    lines = [f"Images per data set: {sizes}."]
    compared = counts[counts["class"] != "total"].dropna(subset=["ours"])
    differ = compared[compared["difference"] != 0]
    if len(compared):
        lines.append(f"{len(differ)} of the {len(compared)} class counts we can compare differ from the "
                     f"paper's Table 1; the table below says why for each.")
    fer = views.get("fer2013")
    if fer is not None and fer.images:
        shares = {name: n / fer.images for name, n in fer.class_counts.items()}
        rarest = min(shares, key=shares.get)
        largest = max(fer.class_counts.values())
        smallest = max(1, min(fer.class_counts.values()))
        lines.append(f"FER2013 is unbalanced: {rarest} is {percent_text(shares[rarest])} of its images, and "
                     f"its largest class is {largest / smallest:.1f} times its smallest.")
    return lines


def architecture_findings(counts: pd.DataFrame, layer_tables: dict) -> list:
    """For the architecture chapter, from :func:`ferlib.tables.parameter_table` and
    ``{model: ferlib.tables.architecture_table(model)}``."""
    rows = sum(len(table) for table in layer_tables.values())
    matching = sum(int(table["matches"].sum()) for table in layer_tables.values())
    models = ", ".join(f"Model {row.model} {row.params:,}" for row in counts.itertuples())
    lines = [f"{matching} of the {rows} layer rows of the paper's tables match ours in name, output "
             f"shape and parameter count.",
             f"Parameters: {models}; "
             + ("every total and non-trainable count equals the paper's." if counts["matches"].all()
                else f"{int((~counts['matches']).sum())} model(s) differ from the paper's counts.")]
    return lines


def augmentation_findings(balance: dict, views: dict, *, min_epoch_images=None) -> list:
    """For the augmentation chapter, from ``{name: ferlib.augment.class_balance_table}``,
    the data set views and the profile's least number of images per epoch."""
    lines = []
    for name, table in balance.items():
        before, after = int(table["before"].sum()), int(table["after"].sum())
        present = int((table["before"] > 0).sum())
        line = (f"{views[name].title}: balancing raises each of its {present} classes to the largest, "
                f"{after:,} images per pass instead of {before:,} ({after / max(1, before):.2f} times as many)")
        if min_epoch_images and int(min_epoch_images) > after:
            line += (f"; as an epoch draws at least {int(min_epoch_images):,} images, it holds "
                     f"{int(min_epoch_images):,}")
        lines.append(line + ".")
    return lines


def training_findings(overview: pd.DataFrame, missing: pd.DataFrame, experiments: int,
                      runs: dict | None = None) -> list:
    """For the training chapter, from :func:`ferlib.tables.runs_overview` and the missing
    runs table; with the ``runs`` behind the overview (``{(model, dataset, source): Run}``),
    also each run no better than always answering its test part's most frequent class
    (:func:`ferlib.claims.at_majority_class`)."""
    lines = [f"{len(overview)} of the paper's {experiments} experiments have a run"
             + (f"; the other {len(missing)} are listed below with the compute each needs."
                if len(missing) else ".")]
    for (model, dataset, source), run in (runs or {}).items():
        if at_majority_class(run):
            lines.append(f"{_experiment(model, dataset, training_label(source))}, seed "
                         f"{int(run.config.seed)}: no better than always answering the most frequent class of its "
                         f"test part, so it shows no learning; its curves below show what happened in training.")
    if len(overview):
        hours = overview["train_time_s"].sum() / 3600
        lines.append(f"Training the runs shown took {hours:.1f} hours in all; each keeps the epoch with "
                     f"the best validation accuracy.")
        best = best_run(overview)
        lines.append(f"Highest test accuracy: {_experiment(best['model'], best['dataset'], best['training'])}, "
                     f"{percent_text(best['accuracy'])} on {int(best['test_n']):,} images.")
    return lines


def _per_picked_run(picked: dict, describe) -> list:
    """One line per data set of ``picked`` (``{dataset: ((model, dataset, source), run) or
    None}``): ``describe(key, run)`` for the run shown, or that the build has none."""
    return [f"{dataset_title(dataset)}: no run to show." if found is None
            else f"{dataset_title(dataset)} {describe(*found)}" for dataset, found in picked.items()]


def confusion_findings(picked: dict) -> list:
    """For the confusion chapter, from ``{dataset: ((model, dataset, source), run) or None}``
    (the run shown for each data set)."""
    def describe(key, run):
        model, _, source = key
        test = run.metrics["test"]
        pairs = confused_pairs(test["confusion"], top=1)
        mistake = (f"; its most frequent mistake is {pairs['true'][0]} taken for {pairs['predicted'][0]} "
                   f"({percent_text(pairs['share_of_true'][0])} of the {pairs['true'][0]} images)"
                   if len(pairs) else "; it makes no mistake")
        return (f"(Model {model}, {training_label(source)}): "
                f"{percent_text(test['accuracy'])} of {test['n']:,} test images right{mistake}.")

    return _per_picked_run(picked, describe)


def emotion_findings(picked: dict) -> list:
    """For the emotion-analysis chapter: for the run shown per data set, the mean
    probability it gives the true class of its test images, and how often the true class
    is among its two most probable."""
    def describe(key, run):
        test = run.predictions[run.predictions["part"] == "test"]
        probabilities = probability_columns(test)
        true = test["true"].to_numpy(dtype=int)
        on_true = probabilities[np.arange(len(true)), true]
        top_two = (np.argsort(-probabilities, axis=1)[:, :2] == true[:, None]).any(axis=1)
        return (f"(Model {key[0]}): the true class gets {percent_text(on_true.mean())} of the probability on "
                f"average, and is among the two most probable classes for {percent_text(top_two.mean())} "
                f"of the test images.")

    return _per_picked_run(picked, describe)


def accuracy_findings(accuracy: pd.DataFrame) -> list:
    """One line per experiment with a run, from :func:`ferlib.claims.accuracy_claims`
    (the paper's own test sets): ours with its interval against the paper's value, and
    the two-sample z of the difference (both accuracies' binomial errors: so a paper value
    just outside our own interval can still be within sampling error)."""
    main = main_test_set(accuracy).dropna(subset=["ours"])
    lines = []
    for row in main.itertuples():
        verdict = ("within sampling error of it" if row.within_sampling_error
                   else f"{'above' if row.difference > 0 else 'below'} it beyond sampling error")
        verdict += f" (z = {row.z:.2f}, counting the sampling error of both test sets)"
        lines.append(f"{_experiment(row.model, row.dataset, row.training)}: "
                     f"{percent_interval_text(row.ours, row.ours_low, row.ours_high)} against the paper's "
                     f"{percent_text(row.paper)}, {verdict}.")
    return lines


def results_findings(accuracy: pd.DataFrame, finetune_summary: dict, beside: pd.DataFrame,
                     seeds: pd.DataFrame | None = None, paired: pd.DataFrame | None = None,
                     over_seeds: pd.DataFrame | None = None) -> list:
    """For the results chapter: each experiment with a run (:func:`accuracy_findings`),
    each experiment run with several seeds (``seeds``: :func:`ferlib.compare.seed_table`),
    what fine-tuning did (:func:`finetune_sentence`, with the paired tests of ``paired``:
    :func:`ferlib.compare.finetune_comparison`, and over seeds, :func:`finetune_seeds_sentence`
    of ``over_seeds``: :func:`ferlib.compare.finetune_over_seeds`), and how the protocol's
    runs compare with the HOG baseline."""
    lines = accuracy_findings(accuracy) or ["No experiment of the paper has a run."]
    for row in (seeds.itertuples() if seeds is not None else []):
        if row.seeds > 1:
            each = ", ".join(percent_text(value) for _, value in sorted(row.by_seed.items()))
            lines.append(f"Over its {row.seeds} seeds, {_experiment(row.model, row.dataset, row.training)} "
                         f"averages {percent_text(row.mean)} (each seed: {each}).")
    sentence = finetune_sentence(finetune_summary, paired, beside)
    lines.append(sentence[0].upper() + sentence[1:] + ".")
    if over_seeds is not None:
        lines.append(finetune_seeds_sentence(over_seeds))
    protocol = beside[beside["protocol"]] if "protocol" in beside else beside.iloc[:0]
    lines += majority_findings(protocol)
    hog = hog_verdicts(beside)
    if hog["runs"]:
        lines.append(f"Against logistic regression on HOG features, on the same test images: of the "
                     f"protocol's {hog['runs']} runs, {hog['above']} beat it and {hog['below']} fell "
                     f"below it by more than chance (exact McNemar test); the rest cannot be told apart from it.")
    return lines


def majority_findings(beside: pd.DataFrame) -> list:
    """One line per run of ``beside`` (:func:`ferlib.compare.baseline_comparison`) whose
    test accuracy is no better than always answering the test part's most frequent class
    (:func:`ferlib.verdicts.at_majority`): such a run has learned nothing it shows."""
    lines = []
    for row in beside.itertuples():
        if at_majority(row):
            lines.append(f"{_experiment(row.model, row.dataset, row.training)}, seed {row.seed}: "
                         f"{percent_text(row.accuracy)} is no better than always answering the most "
                         f"frequent class ({percent_text(row.majority)} of these test images), so this run "
                         f"has learned nothing it shows, whatever its distance from the paper.")
    return lines


def z_exercise_glues(accuracy: pd.DataFrame, *, model: int = 2, dataset: str = "fer2013") -> dict:
    """The numbers of the claims page's exercise on the z of one accuracy, from its row of
    :func:`ferlib.claims.accuracy_claims` (the paper's own test set), as text for its
    solution, named ``exercise_z_<name>``: ``paper`` (the paper's accuracy), ``paper_se``,
    ``ours``, ``ours_se``, ``difference`` and ``se`` (of the difference) in points, ``z``
    and ``reading`` (whether ``|z|`` is within :data:`ferlib.claims.Z_LIMIT`). Without a
    run of ours the values are dashes and the reading says so."""
    rows = main_test_set(accuracy)
    row = rows[(rows["model"] == model) & (rows["dataset"] == dataset) & (rows["training"] == "scratch")]
    if row.empty:
        raise ValueError(f"no paper accuracy for Model {model} on {dataset} from scratch")
    row = row.iloc[0]
    paper_se = 100 * np.sqrt(row["paper"] * (1 - row["paper"]) / row["stated_n"])
    values = {"paper": f"{100 * row['paper']:.2f}%", "paper_se": f"{paper_se:.2f}"}
    if not np.isfinite(row["z"]):
        return {f"exercise_z_{name}": value for name, value in {
            **values, "ours": DASH, "ours_se": DASH, "difference": DASH, "se": DASH, "z": DASH,
            "reading": f"no run of ours of Model {model} on {dataset_title(dataset)} to compare"}.items()}
    within = abs(row["z"]) <= Z_LIMIT
    values.update(ours=percent_text(row["ours"], digits=2), ours_se=f"{100 * row['ours_se']:.2f}",
                  difference=points_text(row["difference"], digits=2), se=f"{100 * row['se']:.2f}", z=f"{row['z']:.2f}",
                  reading=(f"within {Z_LIMIT} in size, so the difference is no larger than sampling error"
                           if within else f"beyond {Z_LIMIT} in size, so the difference is larger than "
                           f"sampling error alone would make it"))
    return {f"exercise_z_{name}": value for name, value in values.items()}


def _experiment_name(row) -> str:
    """``"Model 2 on FER2013"``, ``"Model 2 fine-tuned on CK+ (7 classes)"`` (the paper's
    data set names, titled as the book writes them)."""
    where = run_dataset_title(protocol_dataset(row["dataset"]))
    if row["dataset"] == "fer2013":
        return f"Model {int(row['model'])} on {where}"
    how = "from scratch" if row["training"] == "scratch" else "fine-tuned"
    return f"Model {int(row['model'])} {how} on {where}"


def rule_difference_sentence(differences: pd.DataFrame) -> str:
    """What the audit's table of the paper's accuracies judges, beside what the first
    page's claims table judges, and where their verdicts differ, from
    :func:`ferlib.summary.verdict_differences` (``.attrs["compared"]``: the experiments
    judged by both).

    Returns:
        e.g. ``"This table judges seed 0 alone against the paper's value, with the
        binomial error of the test set; the claims table on the first page judges our mean
        over seeds, with its standard error over seeds. The two verdicts differ for Model 2
        on FER2013 (within sampling error here, beyond it over 3 seeds); they agree for the
        other 8 of the 9 experiments with a run of ours. The first page's verdict, over
        seeds, is the one the book reports."``, or that they agree for every experiment
        judged by both.
    """
    text = ("This table judges seed 0 alone against the paper's value, with the binomial error of the test "
            "set; the claims table on the first page judges our mean over seeds, with its standard error over "
            "seeds.")
    compared = int(differences.attrs.get("compared", 0))
    if differences.empty:
        if not compared:
            return text + " No experiment has a run of ours to judge by both yet."
        return text + f" The two verdicts agree for every one of the {compared} experiments with a run of ours."
    named = [f"{_experiment_name(row)} ({'within' if row['seed0_agrees'] else 'beyond'} sampling error here, "
             f"{'within' if row['seeds_agree'] else 'beyond'} it over {_seeds(row['seeds'])})"
             for row in differences.to_dict("records")]
    return (text + f" The two verdicts differ for {_listed(named)}; they agree for the other "
            f"{compared - len(differences)} of the {compared} experiments with a run of ours. The first "
            f"page's verdict, over seeds, is the one the book reports.")


def claims_findings(summary: dict, finetune: pd.DataFrame, differences: pd.DataFrame | None = None) -> list:
    """For the claims chapter, from :func:`ferlib.claims.claims_summary` and
    :func:`ferlib.claims.finetune_claims`; with ``differences``
    (:func:`ferlib.summary.verdict_differences` of the same accuracies, judged by both
    rules for the same experiments), also how many agree on the mean over seeds, as the
    first page judges them."""
    agree = f"{summary['agree']} of those agree with the paper within sampling error"
    if differences is not None and int(differences.attrs.get("compared", -1)) == summary["compared"]:
        over_seeds = (summary["agree"] - int((differences["seed0_agrees"] & ~differences["seeds_agree"]).sum())
                      + int((~differences["seed0_agrees"] & differences["seeds_agree"]).sum()))
        agree += (f" on seed 0 alone, and {over_seeds} on the mean over seeds, as the first page's claims "
                  f"table judges them")
    lines = [f"{summary['compared']} of the paper's {summary['reported']} accuracies have a run of ours "
             f"(one run each, as in the paper); {agree}.",
             f"{summary['impossible']} of the paper's accuracies cannot be a whole number of correct images "
             f"out of the test-set size it states; {summary['fit_merged']} of its 3 FER2013 accuracies fit "
             f"PublicTest and PrivateTest together ({paper.FER2013_MERGED_TEST_N:,} images) instead."]
    pairs = finetune.dropna(subset=["ours_gain"])
    if len(pairs):
        significant = pairs["significant"].astype(bool)
        line = (f"Fine-tuning scored higher than training from scratch by more than chance on the same "
                f"test images (exact McNemar, p < {SIGNIFICANCE:g}) in {int(significant.sum())} of {len(pairs)} "
                f"(model, data set) pairs with both runs")
        at_floor = pairs.get("scratch_at_majority", pd.Series(False, index=pairs.index))
        against_floor = int((significant & at_floor.fillna(False).astype(bool)).sum())
        if against_floor:
            line += (_against_floor(int(significant.sum()), against_floor)
                     + ": it shows that the fine-tune learned, not that the transfer helped")
        lines.append(line + ".")
    else:
        lines.append("The paper's main claim, that fine-tuning beats training from scratch, has no pair of "
                     "runs to test it.")
    return lines


def subject_cnn_sentences(cnn: pd.DataFrame) -> list:
    """A network tested on people it has never seen, per data set with a fold committed,
    from :func:`ferlib.compare.subject_cnn_comparison`: its pooled accuracy beside its mean
    on the paper's split and HOG + logistic regression on the same folds with the paired
    test, or how many folds are still to come (none yet, for a data set without a fold
    beside one with folds). Empty when no fold is committed."""
    lines = []
    for row in cnn.itertuples():
        name = dataset_title(row.dataset)
        if row.folds == 0:
            if (cnn["folds"] > 0).any():
                lines.append(f"{name}: none of the {row.of} subject-independent folds of Model {row.model} with "
                             f"the protocol's settings has a run yet.")
            continue
        if not row.complete:
            lines.append(f"{name}: {row.folds} of the {row.of} subject-independent folds of Model {row.model} "
                         f"have a run; its pooled accuracy waits for the other {row.of - row.folds}.")
            continue
        seed = f", seed {int(row.seed)}" if not pd.isna(getattr(row, "seed", np.nan)) else ""
        line = (f"{name}: Model {row.model} tested on people it has never seen ({SUBJECT_PROTOCOL_TITLES[row.protocol]}"
                f"{seed}) scores {percent_text(row.accuracy)} [{percent_text(row.low)}, {percent_text(row.high)}]")
        if row.paper_seeds:
            line += (f", against {percent_text(row.paper_split_mean)} on the paper's split (mean over "
                     f"{_seeds(row.paper_seeds)})")
        if not pd.isna(row.p_vs_hog):
            verdict = {"same": "not significantly different", "better": "significantly better",
                       "worse": "significantly worse"}[paired_verdict(row.cnn_minus_hog, row.p_vs_hog)]
            line += (f"; HOG with logistic regression scores {percent_text(row.hog_logistic)} on the same "
                     f"folds, so the network is {verdict} ({int(row.only_cnn)} images right only by the "
                     f"network, {int(row.only_hog)} only by HOG; exact McNemar {_p(row.p_vs_hog)})")
        if row.one_class_folds:
            line += (f". In {int(row.one_class_folds)} of the {row.of} folds the network gave every test "
                     f"face the same class, and the pooled accuracy counts those folds as they are")
        lines.append(line + ".")
    return lines


def protocol_findings(table: pd.DataFrame, verdicts: pd.DataFrame, subject_rows: pd.DataFrame,
                      subject_cnn: pd.DataFrame | None = None) -> list:
    """For the protocol chapter, from :func:`ferlib.study.study_table`,
    :func:`ferlib.study.study_verdicts`, :func:`ferlib.compare.subject_comparison` and
    (optional) :func:`ferlib.compare.subject_cnn_comparison`."""
    lines = []
    if len(table):
        lines.append(f"The sensitivity study has {int(table['seeds'].sum())} runs in "
                     f"{len(table)} (model, data set, setting) cells.")
    for top in largest_changes(verdicts).itertuples():
        lines.append(f"Model {top.model} on {dataset_title(top.dataset)}: the change that moves median validation "
                     f"accuracy most is \"{top.cell}\", by {points_text(top.val_change)} points "
                     f"({_seeds(top.seeds)}).")
    for row in subject_rows.itertuples():
        if row.baseline == "hog_logistic" and not pd.isna(row.paper_split):
            lines.append(f"{run_dataset_title(row.dataset)}: tested on people it has never seen, HOG with "
                         f"logistic regression reaches {percent_text(row.subject_independent)}, against "
                         f"{percent_text(row.paper_split)} on the paper's split.")
    if subject_cnn is not None:
        lines.extend(subject_cnn_sentences(subject_cnn))
    return lines or ["The sensitivity study has no run yet."]


def study_sentence(table: pd.DataFrame, verdicts: pd.DataFrame, *, model: int, dataset: str,
                   protocol: str = "the protocol") -> str:
    """One data set's sensitivity study in a sentence: the protocol cell's median validation
    accuracy over seeds, then every other cell's, largest change first, each with the
    seeds whose test accuracy beat the majority class (:func:`ferlib.study.learned`).

    Args:
        table: :func:`ferlib.study.study_table` output.
        verdicts: :func:`ferlib.study.study_verdicts` of that table.
        model, dataset: which (model, data set) to describe (the run's data set name,
            e.g. ``"ckplus7"``).
        protocol: what the protocol cell is called (e.g. "the protocol's fine-tune").

    Returns:
        the sentence, or ``""`` when the study has no protocol cell for that model and
        data set (nothing to compare with).
    """
    part = table[(table["model"] == model) & (table["dataset"] == dataset)].set_index("cell")
    if "protocol" not in part.index:
        return ""

    def seeds_text(row) -> str:
        return f"{int(row['learned'])} of {_seeds(row['seeds'])} beat the majority class"

    base = part.loc["protocol"]
    text = (f"Model {model} on {dataset_title(dataset)}: {protocol} reaches a median validation "
            f"accuracy of {percent_text(base['val_median'])} ({seeds_text(base)} on test)")
    changed = verdicts[(verdicts["model"] == model) & (verdicts["dataset"] == dataset)]
    if changed.empty:
        return text + "; no other cell has a run yet."
    cells = [f"{row.cell} {percent_text(part.loc[row.cell, 'val_median'])} "
             f"({points_text(row.val_change)} points; {seeds_text(part.loc[row.cell])})"
             for row in changed.itertuples()]
    return text + "; changed one at a time, largest change first: " + ", ".join(cells) + "."


def study_both_sentence(verdicts: pd.DataFrame, *, model: int = 2, datasets=STUDY_DATASETS,
                        min_seeds: int = 3) -> str:
    """Whether any one change of the study raises the median validation accuracy on every
    data set of ``datasets`` at once (each cell with at least ``min_seeds`` seeds), from
    :func:`ferlib.study.study_verdicts`: the test of a change to the protocol itself,
    which serves all data sets (:func:`ferlib.study.changes_on_every_dataset`). ``""`` when
    no cell has such a verdict on every data set yet."""
    by_cell = changes_on_every_dataset(verdicts, model=model, datasets=datasets, min_seeds=min_seeds)
    if by_cell.empty:
        return ""
    better = by_cell[by_cell["raises_all"]]
    names = " and ".join(dataset_title(d) for d in datasets)
    seeds = f"With {min_seeds} or more seeds per cell"

    def changes(rows) -> str:
        return "; ".join(f"{cell} ({', '.join(f'{points_text(row[d])} points on {dataset_title(d)}' for d in datasets)})"
                         for cell, row in rows.iterrows())

    if not better.empty:
        return f"{seeds}, Model {model}'s median validation accuracy rises on both {names} with: {changes(better)}."
    text = f"{seeds}, no single change raises Model {model}'s median validation accuracy on both {names}"
    mixed = by_cell[by_cell["raises_some"]]
    if mixed.empty:
        return text + "."
    which = "the one that raises it on one data set lowers" if len(mixed) == 1 else \
        "those that raise it on one data set lower"
    return f"{text}; {which} it on the other: {changes(mixed)}."


def rate_choice_sentences(choices: pd.DataFrame, *, profile: str = "paper") -> list:
    """The protocol's learning rate on each data set against the study's other rate, one
    sentence each, from :func:`ferlib.study.rate_choices` (of the same ``profile``): the
    seeds above the majority class at each rate, the median validation accuracy (the
    protocol's rule) and the mean beside it, and whether the protocol trains at the rate
    the rule picks (a stated deviation where that is not the profile's rate); where the
    study's default seeds alone gave the other verdict, that too."""
    profile_rate = PROFILES[profile]["learning_rate"]
    lines = []
    for row in choices.itertuples():
        ours, other = f"{row.protocol_rate:g}", f"{row.other_rate:g}"
        text = (f"Model {row.model} on {dataset_title(row.dataset)} ended above the majority class of its "
                f"test part in {int(row.protocol_learned)} of {_seeds(row.protocol_seeds)} at {ours} and in "
                f"{int(row.other_learned)} of {_seeds(row.other_seeds)} at {other}; by the protocol's rule, "
                f"the median validation accuracy over seeds, {ours} scores {percent_text(row.protocol_val_median)} "
                f"and {other} {percent_text(row.other_val_median)} (by the mean, which a seed left at the "
                f"majority class pulls down, {percent_text(row.protocol_val_mean)} and "
                f"{percent_text(row.other_val_mean)})")
        if not row.agrees:
            text += f", yet the protocol trains this experiment at {ours}: the rule picks {other}"
        elif row.protocol_rate == profile_rate:
            text += f", so this experiment keeps the {ours} of the other experiments"
        else:
            text += (f", so this experiment trains at {ours}, a stated deviation from the {profile_rate:g} of the "
                     f"other experiments")
        text += "."
        if not pd.isna(row.study_seeds_rule_rate) and row.study_seeds_rule_rate != row.rule_rate:
            first = f"{row.study_seeds_rule_rate:g}"
            mine, theirs = ((row.study_seeds_protocol_val_median, row.study_seeds_other_val_median)
                            if first == ours else (row.study_seeds_other_val_median, row.study_seeds_protocol_val_median))
            text += (f" Over seeds {_listed([str(seed) for seed in STUDY_SEEDS])} alone, the study's usual "
                     f"seeds, the rule would pick {first} ({percent_text(mine)} against {percent_text(theirs)}); "
                     f"over every seed it picks {ours}, and the choice rests on every seed: which rate wins "
                     f"depends on which seeds are counted.")
        lines.append(text)
    return lines


# --------------------------------------------------------------------------- does a FER2013 start help?


def _p(value) -> str:
    """A p-value in a sentence: ``"p = 0.017"``, ``"p < 0.001"``."""
    text = p_text(value)
    return f"p {text.replace('<', '< ')}" if text.startswith("<") else f"p = {text}"


#: How the book names each strand of :class:`ferlib.verdicts.VerdictRule`
#: (:data:`ferlib.verdicts.STRANDS`); a split seed is named by its number.
STRAND_TITLES = {"seeds": "training seeds", "folds": "subject folds", "split": "split seed"}


def _strand_title(blocker: dict) -> str:
    """``{"strand": "split", "split_seed": 2}`` -> ``"split seed 2"``."""
    title = STRAND_TITLES[blocker["strand"]]
    return f"{title} {int(blocker['split_seed'])}" if blocker["strand"] == "split" else title


def _strand_evidence(blocker: dict) -> str:
    """What a blocking strand shows: ``"p = 0.062"``, ``"a loss, p = 0.004"`` (no p-value
    where its test gave none)."""
    parts = ["a loss"] if blocker["state"] == "loss" else []
    if not pd.isna(blocker["p_value"]):
        parts.append(_p(blocker["p_value"]))
    return ", ".join(parts)


def blocker_text(blocked_by) -> str:
    """The strands that kept a gain from holding (:func:`ferlib.verdicts.blocking_strands`),
    for a table cell: ``"split seed 2: p = 0.062"``, several joined by commas
    (``"training seeds: p = 0.051, split seed 2: a loss, p = 0.004"``); ``""`` for none."""
    parts = []
    for blocker in blocked_by or ():
        evidence = _strand_evidence(blocker)
        parts.append(f"{_strand_title(blocker)}: {evidence}" if evidence else _strand_title(blocker))
    return ", ".join(parts)


def blocker_phrase(blocked_by) -> str:
    """The same strands for a sentence: ``"split seed 2 (p = 0.062)"``, ``"the training
    seeds (p = 0.051) and split seed 2 (p = 0.062)"``; ``""`` for none."""
    parts = []
    for blocker in blocked_by or ():
        title = _strand_title(blocker)
        title = title if blocker["strand"] == "split" else f"the {title}"
        evidence = _strand_evidence(blocker)
        parts.append(f"{title} ({evidence})" if evidence else title)
    return _listed(parts) if parts else ""


def verdict_text(verdict, blocked_by=()) -> str:
    """A verdict of :func:`ferlib.verdicts.finetune_verdicts` as a table cell shows it:
    ``"no evidence of a gain (split seed 2: p = 0.062)"``, naming the strands that blocked
    the gain (:func:`blocker_text`); other verdicts as they are, and a verdict not
    decided yet (None) as ``"not decided yet"``."""
    if not isinstance(verdict, str):
        return "not decided yet"
    blockers = blocker_text(blocked_by if isinstance(blocked_by, (list, tuple)) else ())
    return f"{verdict} ({blockers})" if blockers else verdict


def verdict_sentence(row) -> str:
    """One row of :func:`ferlib.verdicts.finetune_verdicts` in words: the verdict, the
    anchor's mean gain with its interval and test, balanced accuracy beside accuracy, the
    other strands where they exist, the CK+ frames apart, and what is missing."""
    where = f"Model {int(row['model'])} on {run_dataset_title(row['dataset'])}"
    if row["verdict"] == "untested":
        return f"{where}: untested ({row['reason']})."
    blocked = blocker_phrase(row.get("blocked_by"))
    text = (f"{where}: {row['verdict']}{f', blocked by {blocked}' if blocked else ''}. Fine-tuned from FER2013 it scores {points_text(row['gain'])} points "
            f"over the run from scratch on the paper's split, the mean over {int(row['seeds'])} paired "
            f"seed{'s' if int(row['seeds']) != 1 else ''}")
    if np.isfinite(row["gain_low"]):
        text += (f" (95% interval {points_text(row['gain_low'])} to {points_text(row['gain_high'])}, paired "
                 f"t-test {_p(row['seeds_p'])})")
    elif row["seeds_test"] == "McNemar, every seed":
        text += f" (the same gain on every seed, each seed's exact McNemar test {_p(row['seeds_p'])} or less)"
    text += (f"; balanced accuracy {percent_text(row['scratch_balanced'])} from scratch, "
             f"{percent_text(row['fine_tuned_balanced'])} fine-tuned.")
    if np.isfinite(row["peak_gain"]):
        text += (f" On the expression (peak) frames the gain is {points_text(row['peak_gain'])} points, on the "
                 f"neutral first frames {points_text(row['neutral_gain'])}.")
    if np.isfinite(row["fold_gain"]):
        text += (f" On people it has never seen (subject folds, pooled) the gain is {points_text(row['fold_gain'])} "
                 f"points ({_p(row['fold_p'])}).")
    if row["split_gains"]:
        text += " On other draws of the split: " + ", ".join(
            f"split seed {seed} {points_text(gain)} points ({_p(row['split_p'][seed])})"
            for seed, gain in row["split_gains"].items()) + "."
    if row["missing"]:
        text += f" Not yet tested: {row['missing']}."
    return text


def _frames_source(peak: float, neutral: float) -> str:
    """Which kind of CK+ frame a fine-tune gain comes from, by the sign of the gain on
    each (points or fractions)."""
    if neutral > 0 >= peak:
        return "it comes from the neutral faces"
    if peak > 0 >= neutral:
        return "it comes from the expressions"
    return "it holds on both" if peak > 0 else "it is no gain on either"


def ckplus_frames_sentence(verdicts: pd.DataFrame) -> str:
    """Where the fine-tune gain on CK+ (7 classes) comes from, per network with paired
    seeds (:func:`ferlib.verdicts.finetune_verdicts` rows with ``peak_gain`` and
    ``neutral_gain``, the mean gains over seeds on each kind of frame): ``"On CK+ (7
    classes) the fine-tune gain of Model 2, +9.3 points, is +21.7 on the neutral first
    frames and -3.0 on the expression (peak) frames: it comes from the neutral faces, and
    its balanced accuracy moves only from 73.8% to 74.8%"``. "Only" where the balanced
    accuracy moves by less than half the gain in accuracy. An empty string where no
    network has paired seeds on CK+ (7 classes)."""
    rows = verdicts[(verdicts["dataset"] == "ckplus7") & np.isfinite(verdicts["peak_gain"].astype(float))]
    parts = []
    for row in rows.sort_values("model").to_dict("records"):
        only = " only" if abs(row["balanced_gain"]) < abs(row["gain"]) / 2 else ""
        parts.append(f"the fine-tune gain of Model {int(row['model'])}, {points_text(row['gain'])} points, is "
                     f"{points_text(row['neutral_gain'])} on the neutral first frames and "
                     f"{points_text(row['peak_gain'])} on the expression (peak) frames: "
                     f"{_frames_source(row['peak_gain'], row['neutral_gain'])}, and its balanced accuracy "
                     f"moves{only} from {percent_text(row['scratch_balanced'])} to "
                     f"{percent_text(row['fine_tuned_balanced'])}")
    return f"On {run_dataset_title('ckplus7')} " + "; ".join(parts) if parts else ""


def transfer_findings(verdicts: pd.DataFrame) -> list:
    """The box of the transfer chapter: one sentence per model and data set with a verdict
    (:func:`verdict_sentence`), then the models still untested in one line."""
    lines = [verdict_sentence(row) for _, row in verdicts.iterrows() if row["verdict"] != "untested"]
    untested = verdicts[verdicts["verdict"] == "untested"]
    for model, found in untested.groupby("model", sort=True):
        reasons = list(dict.fromkeys(found["reason"]))
        lines.append(f"Model {int(model)} on {_listed(run_dataset_title(d) for d in found['dataset'])}: untested "
                     f"({'; '.join(reasons)}).")
    return lines or ["No fine-tune has been trained: every network is untested."]


def transfer_glues(verdicts: pd.DataFrame) -> dict:
    """Values the transfer chapter and the prose pages glue, per model and data set
    (``transfer_<model>_<dataset>_<name>``): ``verdict`` and ``sentence`` (text), ``gain``,
    ``gain_low``, ``gain_high``, ``peak_gain`` and ``neutral_gain`` in points (NaN where
    there is none), ``seeds`` and ``seeds_p``."""
    values = {}
    for _, row in verdicts.iterrows():
        key = f"transfer_{int(row['model'])}_{row['dataset']}"
        values[f"{key}_verdict"] = row["verdict"]
        values[f"{key}_sentence"] = verdict_sentence(row)
        values[f"{key}_seeds"] = int(row["seeds"])
        values[f"{key}_seeds_p"] = float(row["seeds_p"])
        for name in ("gain", "gain_low", "gain_high", "peak_gain", "neutral_gain"):
            values[f"{key}_{name}"] = float(100 * row[name])
    return values


def transfer_missing_sentences(rows) -> list:
    """The runs still to train for the transfer chapter (:func:`ferlib.missing.transfer_missing`),
    one sentence per model and kind, in terms of the compute they need. Runs that only add
    training seeds to a strand that already has its pairs (``adds_seeds``) say so, and
    which seeds: ``"Model 2: 16 more runs on split seeds 1 and 2, from scratch and
    fine-tuned (training seeds 1 and 2), would add seeds to a strand that is complete:
    ..."``."""
    lines = []
    for row in rows:
        size = (f"{row['images'] / 1e6:.1f} million training images, {row['cpu']} on {CPU_CORES} CPU cores; "
                f"they need {row['needs']}.")
        if row.get("adds_seeds"):
            lines.append(f"Model {row['model']}: {row['runs']} more {row['what']} (training "
                         f"seed{'s' if len(row['training_seeds']) != 1 else ''} {_listed(row['training_seeds'])}), "
                         f"would add seeds to a strand that is complete: {size}")
        else:
            lines.append(f"Model {row['model']}: {row['runs']} {row['what']}, {size}")
    return lines


def precision_check_sentences(check: pd.DataFrame, validated) -> list:
    """What the bfloat16 equivalence check says, from :func:`ferlib.tables.precision_check_table`
    and :func:`ferlib.precision_check.validated_models` (a set of model numbers): a sentence
    on the finished cells, one on those still waiting, and which models may train on
    FER2013 in bfloat16."""
    done = check[~check["verdict"].str.startswith("waiting")]
    waiting = check[check["verdict"].str.startswith("waiting")]
    lines = []
    if len(done):
        differ = done[done["verdict"] == "differs"]
        worst = done.loc[done["difference"].abs().idxmax()]
        lines.append(f"{len(done) - len(differ)} of {len(done)} finished cells are equivalent; the largest "
                     f"difference of means is {points_text(worst['difference'] / 100)} points (Model {worst['model']}, "
                     f"{dataset_title(worst['dataset'])})."
                     + (" " + "; ".join(f"Model {row.model} on {dataset_title(row.dataset)} differs by "
                                       f"{points_text(row.difference / 100)} points" for row in differ.itertuples()) + "."
                        if len(differ) else ""))
    if len(waiting):
        runs = int(waiting["verdict"].str.extract(r"(\d+)")[0].astype(int).sum())
        lines.append(f"{len(waiting)} of {len(check)} cells still wait for {runs} "
                     f"run{'s' if runs != 1 else ''}.")
    def named(numbers):
        return f"Model {numbers[0]}" if len(numbers) == 1 else f"Models {_listed(numbers)}"

    models = sorted(int(m) for m in validated)
    small = done[done["dataset"] != FINETUNE_SOURCE]
    failed = {int(m) for m in small[small["verdict"] == "differs"]["model"]}
    if (done[done["dataset"] == FINETUNE_SOURCE]["verdict"] == "differs").any():  # no network can pass
        failed = {int(m) for m in check["model"]}
    failed = sorted(failed)
    if models:
        lines.append(f"bfloat16 is validated for {named(models)}: "
                     f"{'its FER2013 run' if len(models) == 1 else 'their FER2013 runs'} may use it as a stated "
                     f"deviation.")
    if failed:
        lines.append(f"{named(failed)} {'fails' if len(failed) == 1 else 'fail'} the check (a cell differs): "
                     f"{'its FER2013 run trains' if len(failed) == 1 else 'their FER2013 runs train'} in float32.")
    if not models and not failed:
        lines.append("No network is validated yet: every run of the protocol trains in float32.")
    return lines
