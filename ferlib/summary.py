"""The book's first page as data: the paper's claims, numbered, each with its status,
and the compute each experiment took.

    claims = claim_table(seed_runs, missing)      # one row per claim of the paper
    compute = compute_table(runs)                 # measured, from the runs' manifests

A claim of the paper (:data:`CLAIMS`) is an accuracy range it quotes (abstract and
section 10) or its conclusion that fine-tuning from FER2013 beats training from scratch
on a small data set. Each is judged network by network, then as a whole:

- an accuracy agrees when our mean test accuracy over seeds and the paper's value
  differ by at most 1.96 standard errors of the difference (the claims page's rule,
  :data:`ferlib.claims.Z_LIMIT`, with our standard error taken over seeds);
- a fine-tune gain takes its verdict from :func:`finetune_verdicts`;
- a claim is *reproduced* when every network agrees, *partly* when some tested
  network agrees, *not reproduced* when no tested network agrees, and *untested* when
  no network has a run.

The numbers are never typed: they come from the runs (``seed_runs``), the paper's
transcription (:mod:`ferlib.paper`) and the list of missing experiments.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from ferlib import compare, findings, paper, stats, verdicts
from ferlib import formatting as fmt
from ferlib.claims import Z_LIMIT, binomial_se, stated_test_sizes
from ferlib.missing import CPU_CORES, joined_time_words, time_words
from ferlib.protocol import paper_dataset
from ferlib.store import training_seconds
from ferlib.tables import accuracy_bounds
from ferlib.verdicts import NO_EVIDENCE, UNTESTED  # by name: here, verdicts is also a table's name
from ferlib.vocabulary import PAPER_MODELS, SOURCE_DATASET, TARGET_DATASETS, protocol_dataset, run_dataset_title

#: The four statuses a claim can have, best first.
STATUSES = ("reproduced", "partly", "not reproduced", "untested")
#: The three networks of the paper.
MODELS = PAPER_MODELS
#: How a per-network fine-tune verdict maps to agreement with the paper's claim.
GAIN_VERDICTS = {"the gain holds": True, "no evidence of a gain": False, "a loss": False, "untested": None}


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim of the paper.

    Attributes:
        number: its number in the book (1, 2, ...).
        text: the claim in one sentence, as the paper makes it.
        dataset: ``"fer2013"``, ``"jaffe"`` or ``"ckplus"`` (the paper's names).
        kind: ``"accuracy"`` (a quoted accuracy range) or ``"gain"`` (fine-tuning beats
            training from scratch).
        training: for an accuracy claim, ``"scratch"`` or ``"fine-tuned"``.
        where: where the paper makes it.
    """

    number: int
    text: str
    dataset: str
    kind: str
    training: str | None
    where: str


CLAIMS = (
    Claim(1, "Each network reaches about 62% on FER2013", "fer2013", "accuracy", "scratch",
          "abstract, Table 5"),
    Claim(2, "Trained from scratch on JAFFE, the networks reach the quoted range", "jaffe", "accuracy",
          "scratch", "abstract, Table 6"),
    Claim(3, "Fine-tuned from FER2013 on JAFFE, they reach the quoted range", "jaffe", "accuracy",
          "fine-tuned", "abstract, Table 6"),
    Claim(4, "Trained from scratch on CK+ (7 classes), the networks reach the quoted range", "ckplus", "accuracy",
          "scratch", "abstract, Table 7"),
    Claim(5, "Fine-tuned from FER2013 on CK+ (7 classes), they reach the quoted range", "ckplus", "accuracy",
          "fine-tuned", "abstract, Table 7"),
    Claim(6, "Fine-tuning from FER2013 beats training from scratch on JAFFE, for every network",
          "jaffe", "gain", None, "section 10, conclusion"),
    Claim(7, "Fine-tuning from FER2013 beats training from scratch on CK+ (7 classes), for every network",
          "ckplus", "gain", None, "section 10, conclusion"),
)


# --------------------------------------------------------------------------- numbers


def paper_percent(value) -> str:
    """A value of the paper at the precision it prints (two decimals of a percent)."""
    return f"{100 * float(value):.2f}%"


def paper_points(value) -> str:
    """A difference of two of the paper's values, in points at its precision."""
    return f"{100 * float(value):+.2f}"


def _source(training: str):
    return None if training == "scratch" else SOURCE_DATASET


def accuracy_agreement(paper_value: float, accuracies, test_n: int, paper_n: int | None,
                       *, z_limit: float | None = None) -> dict:
    """Whether our accuracy over seeds agrees with one of the paper's.

    Args:
        paper_value: the paper's accuracy (a fraction).
        accuracies: ``(n,)`` our test accuracies, one per seed (at least one).
        test_n: the size of our test part.
        paper_n: the size of the paper's test set (``None`` where it states none: then
            ours stands in, the same fraction of the same data set).
        z_limit: the agreement band in standard errors (default
            :data:`ferlib.claims.Z_LIMIT`, 1.96).

    Returns:
        ``{"mean", "sd", "low", "high", "n", "z", "agrees"}``: our mean with its 95%
        interval (t over seeds, clipped to 0..1; Wilson for one seed), the number of
        seeds, and ``z``, the difference over the standard error of the difference: the
        paper's binomial error on ``paper_n`` images combined with ours, which is
        ``sd / sqrt(n)`` over seeds, or the binomial error of one run.
    """
    values = np.asarray(list(accuracies), dtype=float)
    if values.size == 0 or test_n < 1:
        raise ValueError("accuracies must hold at least one value and test_n must be at least 1")
    limit = Z_LIMIT if z_limit is None else float(z_limit)
    summary = stats.seed_summary(values)
    if values.size == 1:
        low, high = accuracy_bounds(float(values[0]), int(test_n))
        ours_se = binomial_se(float(values[0]), int(test_n))
    else:
        low, high = (max(0.0, summary["interval"][0]), min(1.0, summary["interval"][1]))
        ours_se = summary["sd"] / math.sqrt(values.size)
    se = math.sqrt(binomial_se(paper_value, paper_n or int(test_n)) ** 2 + ours_se ** 2)
    z = (summary["mean"] - paper_value) / se if se > 0 else 0.0
    return {"mean": summary["mean"], "sd": summary["sd"], "low": low, "high": high, "n": int(values.size),
            "z": float(z), "agrees": bool(abs(z) <= limit)}


def experiment_agreement(key, runs) -> dict:
    """:func:`accuracy_agreement` of one experiment of the paper, ``key`` ``(model,
    dataset, source)`` (the paper's names), from its runs over seeds (at least one):
    the rule the claims table judges an accuracy claim by, network by network."""
    runs = list(runs)
    if not runs:
        raise ValueError(f"experiment {key} has no run to judge")
    return accuracy_agreement(paper.ACCURACY[tuple(key)], [run.metrics["test"]["accuracy"] for run in runs],
                              runs[0].metrics["test"]["n"], stated_test_sizes().get(key[1]))


def seed_agreements(seed_runs: dict) -> pd.DataFrame:
    """Every experiment of the paper with a run, judged as the claims table judges it
    (:func:`experiment_agreement`: our mean over seeds, its standard error over seeds).

    Args:
        seed_runs: ``{(model, dataset, source): [Run, ...]}`` (:func:`ferlib.results.protocol_seed_runs`).

    Returns:
        one row per experiment with runs, in the paper's order: ``model``, ``dataset``
        (the paper's name), ``training`` (``"scratch"`` or ``"fine-tuned"``), ``seeds``,
        ``mean``, ``low``, ``high``, ``z`` and ``agrees``.
    """
    rows = []
    for key in paper.ACCURACY:
        runs = seed_runs.get(key) or []
        if not runs:
            continue
        found = experiment_agreement(key, runs)
        rows.append({"model": int(key[0]), "dataset": key[1], "training": "scratch" if key[2] is None else "fine-tuned",
                     "seeds": found["n"], "mean": found["mean"], "low": found["low"], "high": found["high"],
                     "z": found["z"], "agrees": found["agrees"]})
    return pd.DataFrame(rows, columns=["model", "dataset", "training", "seeds", "mean", "low", "high", "z", "agrees"])


def verdict_differences(seed0: pd.DataFrame, over_seeds: pd.DataFrame) -> pd.DataFrame:
    """The experiments whose two verdicts differ: the audit's, seed 0 against the paper's
    value with the binomial error of the test set (:func:`ferlib.claims.main_test_set` of
    :func:`ferlib.claims.accuracy_claims`, ``within_sampling_error``), and the claims
    table's, the mean over seeds (:func:`seed_agreements`, ``agrees``).

    Returns:
        one row per experiment judged by both whose verdicts differ, in the paper's
        order: ``model``, ``dataset``, ``training``, ``seed0_agrees``, ``seeds_agree``
        and ``seeds`` (the number of seeds of the mean); ``compared``, the number of
        experiments judged by both, is in ``.attrs``.
    """
    columns = ["model", "dataset", "training", "seed0_agrees", "seeds_agree", "seeds"]
    judged = seed0.dropna(subset=["ours"])
    judged = judged[judged["within_sampling_error"].notna()]
    mine = judged[["model", "dataset", "training", "within_sampling_error"]].astype({"model": int})
    both = mine.merge(over_seeds[["model", "dataset", "training", "agrees", "seeds"]],
                      on=["model", "dataset", "training"], how="inner")
    differ = both[both["within_sampling_error"].astype(bool) != both["agrees"].astype(bool)]
    table = differ.rename(columns={"within_sampling_error": "seed0_agrees", "agrees": "seeds_agree"})
    table = table.astype({"seed0_agrees": bool, "seeds_agree": bool})[columns].reset_index(drop=True)
    table.attrs["compared"] = int(len(both))
    return table


def finetune_verdicts(seed_runs: dict, runs=None, report=None) -> pd.DataFrame:
    """The per-network verdict on the paper's conclusion, one row per (model, small
    data set) with a fine-tune and its run from scratch of the same seed.

    The verdict is :func:`ferlib.verdicts.finetune_verdicts` (the rule of
    :class:`ferlib.verdicts.VerdictRule`: training seeds on the paper's split, pooled
    subject folds, split seeds 1 and 2) on ``runs`` (every committed run; by default the
    runs of ``seed_runs``, which give the first strand only) with the baselines
    ``report`` (HOG's spread over split seeds; optional); beside it the per-seed evidence
    of :func:`ferlib.compare.finetune_over_seeds`.

    Returns:
        columns ``model``, ``dataset`` (the paper's names), ``seeds``, ``gain_mean``,
        ``gain_sd``, ``fine_tuned_better``, ``significant_gains``, ``significant_losses``,
        ``t_p_value``, ``verdict`` (one of :data:`GAIN_VERDICTS`), ``blocked_by`` (the
        strands that kept the gain from holding, :func:`ferlib.verdicts.blocking_strands`)
        and ``reason`` (why a network is untested; empty otherwise).
    """
    evidence = compare.finetune_over_seeds(seed_runs)
    columns = ["model", "dataset", "seeds", "gain_mean", "gain_sd", "fine_tuned_better", "significant_gains",
               "significant_losses", "t_p_value"]
    rows = evidence[columns].copy()
    if rows.empty:
        return rows.assign(verdict=pd.Series(dtype=object), blocked_by=pd.Series(dtype=object),
                           reason=pd.Series(dtype=object))
    if runs is None:
        runs = [run for group in seed_runs.values() for run in group]
    decided = verdicts.finetune_verdicts(list(runs), report, models=tuple(sorted({int(m) for m in rows["model"]})))
    decided = decided[["model", "dataset", "verdict", "blocked_by", "reason"]].assign(
        dataset=lambda t: t["dataset"].map(paper_dataset))
    unknown = set(decided["verdict"].dropna()) - set(GAIN_VERDICTS)
    if unknown:
        raise ValueError(f"verdicts.finetune_verdicts gave verdicts {sorted(unknown)}; "
                         f"expected {sorted(GAIN_VERDICTS)}")
    return rows.merge(decided, on=["model", "dataset"], how="left")


def _status(agreements: dict) -> str:
    """A claim's status from ``{model: True | False | None}`` (None: not tested or not
    judged yet)."""
    judged = [a for a in agreements.values() if a is not None]
    if not judged:
        return "untested"
    if all(judged) and len(judged) == len(agreements):
        return "reproduced"
    return "partly" if any(judged) else "not reproduced"


def _models_text(models) -> str:
    models = sorted(models)
    if len(models) == 1:
        return f"Model {models[0]}"
    return "Models " + ", ".join(map(str, models[:-1])) + f" and {models[-1]}"


def _untested_text(models, missing_reasons: dict) -> str:
    """``"Models 1 and 3: no run"`` (the compute they need is said elsewhere)."""
    return f"{_models_text(models)}: no run"


def _percent_interval(mean, low, high) -> str:
    return f"{100 * mean:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"


def compute_seconds(missing) -> dict:
    """``{model: {class: seconds}}``: the training time on :data:`ferlib.missing.CPU_CORES`
    CPU cores per class of processor of each network whose FER2013 run from scratch is
    missing, read from the missing experiments' ``cpu_seconds``
    (:func:`ferlib.results.missing_runs`, or rows with ``model``, ``dataset``, ``training``
    and ``cpu_seconds``). A row without it (a ``missing.json`` written before it gave
    times, or a build that trains its own runs) gives no time."""
    frame = missing if isinstance(missing, pd.DataFrame) else pd.DataFrame(missing)
    found = {}
    for row in frame.to_dict("records"):
        seconds = row.get("cpu_seconds")
        if (row.get("dataset") == SOURCE_DATASET and row.get("training") == "scratch"
                and isinstance(seconds, dict) and seconds):
            found[int(row["model"])] = {kind: float(value) for kind, value in seconds.items()}
    return found


def compute_needs(missing) -> dict:
    """``{model: "about 34 CPU-hours with AVX2 or 7 with AVX-512"}``: :func:`compute_seconds`
    in words (:func:`ferlib.missing.time_words`), one time per class of processor."""
    return {model: time_words(seconds) for model, seconds in compute_seconds(missing).items()}


def claim_table(seed_runs: dict, missing=None, *, verdicts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paper's claims (:data:`CLAIMS`), each with its status and our numbers.

    Args:
        seed_runs: ``{(model, dataset, source): [Run, ...]}`` over seeds
            (:func:`ferlib.results.protocol_seed_runs`); CK+ runs are the protocol's
            seven-class ones.
        missing: the missing experiments (``model``, ``dataset``, ``training``,
            ``reason``, ``cpu_seconds``), for the compute an untested network needs; optional.
        verdicts: :func:`finetune_verdicts` output (default: computed from ``seed_runs``).

    Returns:
        one row per claim: ``number``, ``claim``, ``where``, ``paper`` (its values at its
        printed precision), ``ours`` (ours per network with the 95% interval, or the
        fine-tune evidence), ``status`` (one of :data:`STATUSES`), ``tested`` (the
        networks with a run) and ``agreements`` (``{model: True/False/None}``).
    """
    needs = compute_needs(missing) if missing is not None else {}
    if verdicts is None:
        verdicts = finetune_verdicts(seed_runs)
    rows = []
    for claim in CLAIMS:
        agreements, ours, untested = {}, [], []
        if claim.kind == "accuracy":
            values = [paper.ACCURACY[(m, claim.dataset, _source(claim.training))] for m in MODELS]
            paper_text = (" to ".join(paper_percent(v) for v in (min(values), max(values)))
                          + (" (\"about 62%\")" if claim.dataset == SOURCE_DATASET else ""))
            for model in MODELS:
                runs = seed_runs.get((model, claim.dataset, _source(claim.training)), [])
                if not runs:
                    agreements[model] = None
                    untested.append(model)
                    continue
                result = experiment_agreement((model, claim.dataset, _source(claim.training)), runs)
                agreements[model] = result["agrees"]
                ours.append(f"Model {model}: {_percent_interval(result['mean'], result['low'], result['high'])}")
        else:
            gains = [paper.ACCURACY[(m, claim.dataset, SOURCE_DATASET)] - paper.ACCURACY[(m, claim.dataset, None)]
                     for m in MODELS]
            paper_text = "gains of " + ", ".join(paper_points(g) for g in gains) + " points"
            part = verdicts[verdicts["dataset"] == claim.dataset].set_index("model")
            for model in MODELS:
                if model not in part.index:
                    agreements[model] = None
                    untested.append(model)
                    continue
                row = part.loc[model]
                verdict = row.get("verdict")
                agreements[model] = GAIN_VERDICTS.get(verdict) if isinstance(verdict, str) else None
                seeds = int(row["seeds"])
                evidence = (f"{100 * row['gain_mean']:+.1f} points, significant alone for "
                            f"{int(row['significant_gains'])} of {_count_words(seeds, 'seed', 'seeds')}")
                said = f"{findings.verdict_text(verdict, row.get('blocked_by'))}, " if isinstance(verdict, str) else ""
                ours.append(f"Model {model}: {said}{evidence}")
        if untested:
            ours.append(_untested_text(untested, needs))
        rows.append({"number": claim.number, "claim": claim.text, "where": claim.where, "paper": paper_text,
                     "ours": "; ".join(ours), "status": _status(agreements),
                     "tested": [m for m in MODELS if m not in untested], "agreements": agreements})
    return pd.DataFrame(rows)


def status_counts(claims: pd.DataFrame) -> dict:
    """``{status: number of claims}`` for every status of :data:`STATUSES`."""
    return {status: int((claims["status"] == status).sum()) for status in STATUSES}


def interval_notes(seed_runs: dict) -> list:
    """Sentences for the intervals over seeds a reader could misread, one per experiment
    of ``seed_runs`` (:func:`ferlib.results.protocol_seed_runs`) with two seeds or more:

    - every seed scored the same test accuracy: the t-interval has no width, which says
      nothing of the test part's own sampling error; the sentence gives the Wilson
      interval of one run on its test images instead;
    - the t-interval reaches below 0% or above 100% and is clipped there.

    Returns ``[]`` when there is none."""
    notes = []
    for (model, dataset, source), runs in sorted(seed_runs.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        if len(runs) < 2:
            continue
        accuracies = np.array([float(run.metrics["test"]["accuracy"]) for run in runs])
        label = _experiment_label(model, dataset, source)
        if np.ptp(accuracies) == 0:
            n = int(runs[0].metrics["test"]["n"])
            low, high = accuracy_bounds(float(accuracies[0]), n)
            notes.append(f"{label}: all {len(runs)} seeds scored {100 * accuracies[0]:.1f}%, so the interval "
                         f"over seeds has no width; on its {n:,} test images one run's Wilson interval is "
                         f"[{100 * low:.1f}, {100 * high:.1f}].")
            continue
        low, high = stats.seed_summary(accuracies)["interval"]
        cut = " and ".join(bound for bound, out in (("0%", low < 0), ("100%", high > 1)) if out)
        if cut:
            notes.append(f"{label}: the seeds scored {', '.join(f'{100 * a:.1f}' for a in accuracies)}%, so "
                         f"far apart that the interval over {len(runs)} seeds is cut at {cut}.")
    return notes


# --------------------------------------------------------------------------- compute


def _experiment_label(model, dataset, source) -> str:
    how = "from scratch" if source is None else "fine-tuned"
    return f"Model {model}, {run_dataset_title(dataset)}, {how}"


def compute_table(runs) -> pd.DataFrame:
    """The compute the runs took, measured, from their manifests: one row per experiment
    and processor, so that runs timed on different processors are never pooled.

    Args:
        runs: a list of :class:`ferlib.store.Run` (e.g. every run in ``results/paper``).

    Returns:
        one row per experiment ``(model, data set, source)`` and processor
        (:func:`processor_label` of each run's ``hardware``), sorted by model, then
        processor: ``model``, ``dataset``, ``training``, ``label``, ``processor``,
        ``runs``, ``train_hours`` (the training seconds of all its runs, every epoch of a
        resumed run included, in hours), ``hours_per_run`` (their median),
        ``images_per_s`` (median training images per second) and ``precision`` (as the
        manifests record it, joined when several).
    """
    groups = {}
    for run in runs:
        config = run.config
        processor = processor_label(run.manifest.get("hardware") or {})
        groups.setdefault((config.model, config.dataset, config.source, processor), []).append(run)
    rows = []
    for (model, dataset, source, processor), members in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]), kv[0][3])):
        seconds = [float(training_seconds(r) or 0.0) for r in members]
        speeds = [float(r.manifest["train_images_per_s"]) for r in members if r.manifest.get("train_images_per_s")]
        precisions = sorted({str(r.manifest.get("precision") or "float32") for r in members})
        rows.append({"model": model, "dataset": dataset, "training": "scratch" if source is None else "fine-tuned",
                     "label": _experiment_label(model, dataset, source), "processor": processor,
                     "runs": len(members), "train_hours": sum(seconds) / 3600,
                     "hours_per_run": float(np.median(seconds)) / 3600,
                     "images_per_s": float(np.median(speeds)) if speeds else float("nan"),
                     "precision": ", ".join(precisions)})
    return pd.DataFrame(rows, columns=["model", "dataset", "training", "label", "processor", "runs", "train_hours",
                                       "hours_per_run", "images_per_s", "precision"])


#: ``(/proc/cpuinfo flag, name)``: the widest vector extension names a processor's kind
#: (two processors of one name can differ: an AMD EPYC with AVX-512 trains about twice as
#: fast as one with AVX2 only).
WIDEST_EXTENSION = (("amx_tile", "AMX"), ("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"),
                    ("sve", "SVE"), ("asimd", "NEON"))


def processor_label(hardware: dict) -> str:
    """A manifest's ``hardware`` as ``"AMD EPYC (AVX-512)"``: the processor's name and the
    widest vector extension it recorded (the name alone where the run recorded none)."""
    name = str((hardware or {}).get("processor") or "unknown")
    found = set((hardware or {}).get("vector_extensions") or ())
    widest = next((label for flag, label in WIDEST_EXTENSION if flag in found), None)
    return f"{name} ({widest})" if widest else name


def environments(runs) -> pd.DataFrame:
    """The software and hardware the runs were trained with, from their manifests: one
    row per distinct combination, with the number of runs.

    Columns ``python``, ``tensorflow``, ``keras``, ``numpy``, ``backend``, ``processor``,
    ``cores`` and ``runs``.
    """
    counts = {}
    for run in runs:
        manifest = run.manifest
        versions = manifest.get("versions") or {}
        hardware = manifest.get("hardware") or {}
        key = (versions.get("python", "unknown"), versions.get("tensorflow", "–"), versions.get("keras", "unknown"),
               versions.get("numpy", "unknown"), manifest.get("backend", "unknown"),
               processor_label(hardware), int(hardware.get("cpu_count") or 0))
        counts[key] = counts.get(key, 0) + 1
    rows = [dict(zip(("python", "tensorflow", "keras", "numpy", "backend", "processor", "cores"), key), runs=n)
            for key, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return pd.DataFrame(rows, columns=["python", "tensorflow", "keras", "numpy", "backend", "processor", "cores",
                                       "runs"])


# --------------------------------------------------------------------------- the abstract


def _count_words(n: int, singular: str, plural: str) -> str:
    """``n`` and the word that agrees with it: ``(1, "seed", "seeds")`` -> ``"1 seed"``,
    ``(3, "falls", "fall")`` -> ``"3 fall"`` (a verb after a count agrees the same way)."""
    return f"{n} {singular if n == 1 else plural}"


def verdict_sentence(claims: pd.DataFrame) -> str:
    """``"Of the paper's 7 claims, 1 is reproduced, 1 partly, 3 are not and 2 are
    untested"``; a status no claim has is left out after the first
    (``"..., 1 is reproduced, 2 partly and 4 are not"``)."""
    counts = status_counts(claims)

    def verb(n):
        return "is" if n == 1 else "are"

    parts = []
    for status, word in zip(STATUSES, ("reproduced", None, "not", "untested")):  # "partly" takes no verb
        n = counts[status]
        if n or not parts:  # the first status always, the others where a claim has them
            parts.append(f"{n} partly" if word is None else f"{n} {verb(n)} {word}")
    listed = f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else parts[0]
    noun = "claim" if len(claims) == 1 else "claims"
    return f"Of the paper's {len(claims)} {noun}, {listed}"


def paper_dataset_title(name: str) -> str:
    """A data set named as the paper names it, titled as the book writes it: the
    paper's CK+ is the seven-class set (``"ckplus"`` -> ``"CK+ (7 classes)"``)."""
    return run_dataset_title(protocol_dataset(name))


def fer2013_sentence(fer2013: pd.DataFrame) -> str:
    """The FER2013 accuracies of :func:`ferlib.compare.accuracy_summary`'s FER2013 rows
    with a run, in one clause: ``"Models 1 and 2 reach 52.6% and 59.4% on FER2013 against
    the paper's 61.19% and 61.58%"``."""
    rows = fer2013.to_dict("records")
    if not rows:
        return "No network has a FER2013 run yet"
    ours = findings._listed(fmt.percent_text(r["ours"]) for r in rows)
    theirs = findings._listed(paper_percent(r["paper"]) for r in rows)
    verb = "reaches" if len(rows) == 1 else "reach"
    return f"{_models_text([int(r['model']) for r in rows])} {verb} {ours} on FER2013 against the paper's {theirs}"


def _judged(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`finetune_verdicts` of networks with at least one verdict other
    than untested (the abstract names the untested ones apart, :func:`untested_sentence`)."""
    if verdicts.empty or "verdict" not in verdicts:
        return verdicts
    judged = verdicts.groupby("model")["verdict"].transform(lambda v: (v != UNTESTED).any())
    return verdicts[judged.astype(bool)]


def untested_sentence(seed_runs: dict, missing=None, verdicts: pd.DataFrame | None = None) -> str:
    """Which networks have no fine-tune yet and what their FER2013 runs need on each
    class of processor measured (``"Models 1 and 3 are untested: their FER2013 runs need
    about 11 and 34 CPU-hours with AVX2 or 3 and 7 with AVX-512 on 2 CPU cores"``); where
    each has one, which small data sets a network still lacks one on (``"Model 3 has no
    fine-tune on CK+ (7 classes) yet"``), or that every network has all of them. With
    ``verdicts`` (:func:`finetune_verdicts`), a network whose fine-tunes are all untested
    (too few paired seeds) is named too, and the compute is left out where the reasons differ (``"Models 1 and 3 are untested"``:
    the claims table gives each one's reason)."""
    gaps = {m: [d for d in TARGET_DATASETS if not seed_runs.get((m, d, SOURCE_DATASET))] for m in MODELS}
    gaps = {m: datasets for m, datasets in gaps.items() if datasets}  # the data sets each network lacks
    lacking = [m for m, datasets in gaps.items() if len(datasets) == len(TARGET_DATASETS)]
    if verdicts is not None and not verdicts.empty and "verdict" in verdicts:
        with_verdicts = set(verdicts["model"].astype(int)) - set(_judged(verdicts)["model"].astype(int))
        too_few = [m for m in MODELS if m in with_verdicts and m not in lacking]
        if too_few:
            named = sorted(set(lacking) | set(too_few))
            return f"{_models_text(named)} {'are' if len(named) > 1 else 'is'} untested"
    if not lacking:
        if not gaps:
            return "Every network has its fine-tunes, so the paper's question is tested for all three"
        alike = {}  # the networks that lack the same data sets, named together
        for m, datasets in gaps.items():
            alike.setdefault(tuple(datasets), []).append(m)
        return "; ".join(f"{_models_text(models)} {'have' if len(models) > 1 else 'has'} no fine-tune on "
                         f"{findings._listed(paper_dataset_title(d) for d in datasets)} yet"
                         for datasets, models in alike.items())
    times = compute_seconds(missing) if missing is not None else {}
    several = len(lacking) > 1
    cost = (f": {'their' if several else 'its'} FER2013 run{'s' if several else ''} "
            f"need{'' if several else 's'} {joined_time_words([times[m] for m in lacking])} on {CPU_CORES} CPU cores"
            if all(m in times for m in lacking) else "")
    return f"{_models_text(lacking)} {'are' if several else 'is'} untested{cost}"


def _blocked(row) -> list:
    """The strands that blocked a row's gain (``blocked_by``; ``[]`` where it has none)."""
    found = row.get("blocked_by")
    return list(found) if isinstance(found, (list, tuple)) else []


def _untested_reason(row) -> str:
    """Why a row of :func:`finetune_verdicts` is untested (its ``reason``: ``"1 paired seed
    on the paper's split, 2 needed"``), ``""`` where it gives none."""
    reason = row.get("reason")
    return reason if isinstance(reason, str) else ""


def verdict_clause(rows, *, compact: bool = False) -> str:
    """One network's verdicts on its small data sets (rows of :func:`finetune_verdicts`,
    in the order of :data:`ferlib.vocabulary.TARGET_DATASETS`), each "no evidence of a
    gain" with the strands that blocked it (:func:`ferlib.findings.blocker_phrase`):
    ``"no evidence of a gain on either, blocked on JAFFE by split seed 2 (p = 0.062) and on
    CK+ (7 classes) by the training seeds (p = 0.051)"``, or ``"the gain holds on JAFFE
    and no evidence of a gain on CK+ (7 classes), blocked by the training seeds (p =
    0.051)"``; ``""`` when no verdict is decided. ``compact`` (the abstract's form): one
    verdict on both data sets, each blocked by one strand, names them in the data sets'
    order: ``"..., blocked by split seed 2 (p = 0.062) and the training seeds (p = 0.051)
    respectively"``."""
    said = [r for r in rows if isinstance(r.get("verdict"), str)]
    if not said:
        return ""
    if len(said) == 2 == len(rows) and said[0]["verdict"] == said[1]["verdict"] == UNTESTED:
        reasons = list(dict.fromkeys(_untested_reason(r) for r in said))
        return f"untested on both ({'; '.join(reasons)})" if all(reasons) else "untested on both"
    if len(said) == 2 == len(rows) and said[0]["verdict"] == said[1]["verdict"]:
        blocked = [(r, findings.blocker_phrase(_blocked(r))) for r in said]
        # A negative verdict shared by both data sets holds on either, not on both.
        both = "on either" if said[0]["verdict"] == NO_EVIDENCE else "on both"
        if compact and all(len(_blocked(r)) == 1 for r in said):
            return f"{said[0]['verdict']} {both}, blocked by {' and '.join(p for _, p in blocked)} respectively"
        several = any(len(_blocked(r)) > 1 for r in said)  # "x and y" inside: the data sets apart by a comma
        where = (", and " if several else " and ").join(
            f"on {paper_dataset_title(r['dataset'])} by {phrase}" for r, phrase in blocked if phrase)
        return f"{said[0]['verdict']} {both}" + (f", blocked {where}" if where else "")
    parts = []
    for r in said:
        if r["verdict"] == UNTESTED:
            reason = _untested_reason(r)
            parts.append(f"untested on {paper_dataset_title(r['dataset'])}" + (f" ({reason})" if reason else ""))
            continue
        phrase = findings.blocker_phrase(_blocked(r))
        parts.append(f"{r['verdict']} on {paper_dataset_title(r['dataset'])}" + (f", blocked by {phrase}" if phrase else ""))
    return " and ".join(parts)


def gain_sentence(verdicts: pd.DataFrame, *, seeds: bool = True) -> str:
    """The fine-tune gains measured so far, network by network, over seeds:
    ``"Fine-tuned from FER2013, Model 2 gains 15.9 points on JAFFE and 9.3 on CK+ (7
    classes), significant on its own test images for 0 and 2 of 3 seeds"``, then the
    verdicts decided with what blocked a gain (:func:`verdict_clause`, after a colon:
    ``": no evidence of a gain on either, blocked on JAFFE by split seed 2 (p = 0.062) and
    ..."``). Without ``seeds``, the abstract's shorter form, which gives the number of
    seeds but not how many of them are significant alone (``"Fine-tuned, Model 2 gains ...,
    9.3 on CK+ (7 classes) over 3 seeds"``: the abstract has said from what), and the
    verdicts' compact form."""
    if verdicts.empty:
        return "No fine-tune has its run from scratch yet, so no gain is measured"
    order = {name: i for i, name in enumerate(TARGET_DATASETS)}
    parts = []
    for model, rows in verdicts.groupby("model", sort=True):
        rows = sorted(rows.to_dict("records"), key=lambda r: order.get(r["dataset"], 2))
        verb = "gains" if all(r["gain_mean"] > 0 for r in rows) else "changes by"
        gains = " and ".join(f"{100 * r['gain_mean']:.1f}{' points' if i == 0 else ''} on {paper_dataset_title(r['dataset'])}"
                             for i, r in enumerate(rows))
        seed_counts = {int(r["seeds"]) for r in rows}
        significant = " and ".join(str(int(r["significant_gains"])) for r in rows)
        counted = (_count_words(seed_counts.pop(), "seed", "seeds") if len(seed_counts) == 1
                   else " and ".join(str(int(r["seeds"])) for r in rows) + " seeds")
        decided = verdict_clause(rows, compact=not seeds)
        over = f", significant on its own test images for {significant} of {counted}" if seeds else f" over {counted}"
        parts.append(f"Model {model} {verb} {gains}{over}" + (f": {decided}" if decided else ""))
    return ("Fine-tuned from FER2013, " if seeds else "Fine-tuned, ") + "; ".join(parts)


#: How a network's pooled subject folds fare against HOG + logistic regression on the
#: same images (:func:`ferlib.verdicts.against_hog`), in words; "matches" is no difference
#: the exact McNemar test finds at the 0.05 level.
_AGAINST_HOG = {"below": "falls below it", "above": "beats it", "same": "matches it"}


def _against_hog_text(rows: pd.DataFrame) -> str:
    """``"falls below it (34.7%, 69.4%)"``: the verdict the data sets of ``rows`` share
    (``"is set beside it"`` where they differ) and the accuracies in their order."""
    states = set(verdicts.against_hog(rows))
    verb = _AGAINST_HOG[states.pop()] if len(states) == 1 else "is set beside it"
    return f"{verb} ({', '.join(fmt.percent_text(value) for value in rows['accuracy'])})"


def subject_sentence(subject_cnn: pd.DataFrame, tuned: pd.DataFrame | None = None) -> str:
    """How the network trained from scratch on subject-independent folds does against HOG +
    logistic regression on the same people and, where ``tuned`` (the same folds
    fine-tuned from FER2013, ``compare.subject_cnn_comparison(..., fine_tuned=True)``) has
    every fold of the same data sets, how the fine-tuned network does: ``"On people absent
    from training, HOG with logistic regression scores 56.3% on JAFFE and 87.8% on CK+ (7
    classes); trained from scratch, Model 2 falls below it (34.7%, 69.4%); fine-tuned, it
    matches it (57.3%, 85.3%)"``. An empty string without complete folds from scratch."""
    done = subject_cnn[subject_cnn["complete"].astype(bool)] if len(subject_cnn) else subject_cnn
    if done.empty:
        return ""
    hog = " and ".join(f"{fmt.percent_text(row['hog_logistic'])} on {run_dataset_title(row['dataset'])}"
                       for row in done.to_dict("records"))
    model = int(done["model"].iloc[0])
    text = (f"On people absent from training, HOG with logistic regression scores {hog}; trained from scratch, "
            f"Model {model} {_against_hog_text(done)}")
    if tuned is not None and len(tuned):
        tuned_done = tuned[tuned["complete"].astype(bool) & (tuned["model"] == model)]
        if list(tuned_done["dataset"]) == list(done["dataset"]):
            text += f"; fine-tuned, it {_against_hog_text(tuned_done)}"
    return text


def leakage_sentence(report: dict) -> str:
    """How many JAFFE test images have their poser in the training part (split seed 0)."""
    for row in report.get("rows", []):
        if row["dataset"] == "jaffe" and 0 in row["split_seeds"] and row.get("same_subject"):
            count, n = row["same_subject"]["count"], row["test_n"]
            if count == n:
                return "Every JAFFE test image has its poser in the training part"
            return f"{count} of the {n} JAFFE test images have their poser in the training part"
    return ""


def duration_text(seconds) -> str:
    """Seconds as a reader reads a duration: ``"45 s"``, ``"6 min"``, ``"2.4 h"``; a
    dash when missing."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    seconds = float(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def image_worth(n: int) -> str:
    """What one test image is worth in points of accuracy on ``n`` images: ``"2.4"``."""
    return f"{100 / int(n):.1f}"


def baseline_sentence(beside: pd.DataFrame) -> str:
    """How the runs compare with logistic regression on HOG features on the same test
    images (:func:`ferlib.compare.baseline_comparison` rows): how many beat it and how
    many fall below it by more than chance (:func:`ferlib.verdicts.hog_counts`)."""
    if beside.empty:
        return "No run has the HOG baseline on its test images"
    counts = verdicts.hog_counts(beside)
    return (f"Against logistic regression on HOG features, on the same test images: of the {counts['runs']} "
            f"runs of the protocol, {_count_words(counts['above'], 'beats', 'beat')} it and "
            f"{_count_words(counts['below'], 'falls', 'fall')} below it by more than chance (exact McNemar test); "
            f"the others cannot be told apart from it")


def accuracy_sentences(accuracy: pd.DataFrame) -> list:
    """One sentence per data set and training: the paper's values beside our means over
    seeds (:func:`ferlib.compare.accuracy_summary` rows), networks without a run named."""
    lines = []
    for (dataset, training), part in accuracy.groupby(["dataset", "training"], sort=False):
        have = part.dropna(subset=["ours"])
        if have.empty:
            continue
        ours = ", ".join(f"Model {r['model']} {100 * r['ours']:.1f}% (paper {paper_percent(r['paper'])})"
                         for r in have.to_dict("records"))
        none = sorted(set(part["model"]) - set(have["model"]))
        how = "from scratch" if training == "scratch" else "fine-tuned"
        lines.append(f"{paper_dataset_title(dataset)}, {how}, mean over seeds: {ours}"
                     + (f"; {_models_text(none)}: no run" if none else "") + ".")
    return lines


def landing_sentences(claims: pd.DataFrame, verdicts: pd.DataFrame, seed_runs: dict, *, missing,
                      subject_cnn: pd.DataFrame, leakage: dict, audit: dict, accuracy: pd.DataFrame,
                      baselines: pd.DataFrame, subject_tuned: pd.DataFrame | None = None) -> dict:
    """The sentences and numbers the landing page glues as ``summary_<key>``: its
    abstract, and the results its prose quotes (the conclusions glue some of them too).

    Args:
        claims: :func:`claim_table`; verdicts: :func:`finetune_verdicts`; seed_runs:
            the protocol's runs by experiment; missing: the missing runs.
        subject_cnn: :func:`ferlib.compare.subject_cnn_comparison`; subject_tuned: the same
            of the fine-tuned folds (``fine_tuned=True``), or ``None``.
        leakage: the leakage report (``leakage.json``).
        audit: :func:`ferlib.claims.claims_summary` of the paper's accuracies.
        accuracy: :func:`ferlib.compare.accuracy_summary`; baselines:
            :func:`ferlib.compare.baseline_accuracies` (one row per data set).

    Returns ``{key: text}``, each sentence without its full stop.
    """
    by_dataset = baselines.set_index("dataset")
    ckplus = accuracy[(accuracy["dataset"] == "ckplus") & (accuracy["training"] == "scratch")].dropna(subset=["ours"])
    fer2013 = accuracy[accuracy["dataset"] == "fer2013"].dropna(subset=["ours"])
    if len(ckplus):
        ckplus_text = (f"on CK+ (7 classes) the networks trained from scratch score "
                       f"{fmt.range_text(ckplus['ours'].min(), ckplus['ours'].max())} against the paper's "
                       f"{paper_percent(ckplus['paper'].min())} to {paper_percent(ckplus['paper'].max())}")
        gap = fmt.range_text(*(ckplus["ours"] - ckplus["paper"]).agg(["min", "max"])).replace("%", "")
    else:
        ckplus_text, gap = "on CK+ (7 classes) no network has a run from scratch yet", fmt.DASH
    return {
        "verdict": verdict_sentence(claims),
        "gains": gain_sentence(verdicts),
        "gain_verdicts": gain_sentence(_judged(verdicts), seeds=False),
        "untested": untested_sentence(seed_runs, missing, verdicts),
        "subject": subject_sentence(subject_cnn, subject_tuned),
        "leakage": leakage_sentence(leakage),
        "ckplus": ckplus_text,
        "ckplus_hog": fmt.percent_text(by_dataset["hog_logistic"]["ckplus7"]),
        "impossible": f"{audit['impossible']} of the paper's {audit['reported']} accuracies",
        "fer2013": fer2013_sentence(fer2013),
        "jaffe_image": image_worth(stated_test_sizes()["jaffe"]),
        "ckplus_gap": gap,
        "ckplus_majority": fmt.percent_text(by_dataset["majority"]["ckplus7"]),
    }
