"""The book's first page as data (ferlib.summary), its provenance appendix
(ferlib.provenance), the one list of chapters (_toc.yml through ferlib.book) and the
page helpers of ferlib.chapter: each fails when what it states stops being true."""

import base64
import json
import re
import types

import numpy as np
import pandas as pd
import pytest

from ferlib import book, chapter, paper, provenance, results, study, summary

ROOT = book.project_root()
RESULTS = ROOT / results.PAPER_RESULTS


def fake_run(accuracy, n=42, seed=0, **manifest):
    return types.SimpleNamespace(metrics={"test": {"accuracy": accuracy, "n": n}}, manifest=manifest,
                                 config=types.SimpleNamespace(seed=seed))


# --------------------------------------------------------------------------- the chapter list


def test_the_toc_is_the_one_list_of_chapters():
    entries = book.toc_entries(ROOT)
    assert entries[0].file == "notebooks/00_summary" and entries[0].part is None  # the answer first
    parts = list(dict.fromkeys(e.part for e in entries[1:]))
    assert parts[0] == "Results" and "Evidence" in parts
    assert parts.index("Results") < parts.index("Evidence")  # results before the protocol's evidence
    assert [e.part for e in entries if e.name == "09_protocol"] == ["Evidence"]
    sources = book.notebook_sources(ROOT)
    assert [s.stem for s in sources] == [e.name for e in entries if e.is_notebook]
    assert book.unlisted_notebooks(ROOT) == []


def test_a_page_listed_twice_or_a_missing_notebook_is_refused(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: notebooks/01_a\nparts:\n"
                                       "  - caption: X\n    chapters:\n      - file: notebooks/01_a\n")
    with pytest.raises(ValueError, match="listed more than once"):
        book.toc_entries(tmp_path)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: notebooks/01_a\n")
    with pytest.raises(FileNotFoundError, match="01_a.py is missing"):
        book.notebook_sources(tmp_path)
    (tmp_path / "notebooks" / "01_a.py").write_text("# %%\n")
    (tmp_path / "notebooks" / "02_b.py").write_text("# %%\n")
    assert [p.name for p in book.unlisted_notebooks(tmp_path)] == ["02_b.py"]


def test_the_copied_config_turns_execution_off_and_the_root_one_executes(tmp_path):
    import yaml

    root_config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert root_config["execute"]["execute_notebooks"] == "cache"  # jupyter-book build . runs the sources
    assert ".py" in root_config["sphinx"]["config"]["nb_custom_formats"]
    assert root_config["repository"]["url"].startswith("https://")
    assert {"use_repository_button", "use_issues_button"} <= {k for k, v in root_config["html"].items() if v is True}
    assert root_config["launch_buttons"]["binderhub_url"]  # launch buttons: tests/test_book_launch.py
    written = yaml.safe_load(book.write_executed_config(ROOT / "_config.yml", tmp_path / "_config.yml").read_text())
    assert written["execute"]["execute_notebooks"] == "off"
    assert written["title"] == root_config["title"]


def test_the_book_skips_hidden_folders_and_reads_its_chapters():
    """`jupyter-book build .` run where pytest ran reads no page from .pytest_cache (its
    README.md warned "not included in any toctree"), nor from another hidden folder."""
    import yaml
    from jupyter_book.config import yaml_to_sphinx
    from sphinx.util.matching import Matcher

    config = yaml_to_sphinx(yaml.safe_load((ROOT / "_config.yml").read_text()))[0]
    excluded = Matcher(config.get("exclude_patterns", []))
    for hidden in (".pytest_cache", ".benchmarks", ".github", ".venv", "notebooks/.ipynb_checkpoints", "_build"):
        assert excluded(hidden), hidden
    chapters = [entry.file for entry in book.toc_entries(ROOT)]
    assert chapters and not [path for path in ("book", "notebooks", "_static", *chapters) if excluded(path)]


def test_every_notebook_runs_with_the_published_book_as_its_default():
    """Executed without parameters (as `jupyter-book build .` executes them), a notebook
    reads the results in results/paper."""
    import jupytext

    for path in book.notebook_sources(ROOT):
        notebook = jupytext.read(path)
        assert notebook.metadata.get("kernelspec", {}).get("name") == "python3", path.name
        cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        assert "remove-cell" in cell.metadata["tags"], path.name
        defaults = {}
        exec(cell.source, {}, defaults)
        assert defaults.get("profile", "paper") == "paper", path.name
        assert defaults.get("store", "results/paper") == "results/paper", path.name
        assert defaults.get("data_dir") is None, path.name


def test_relative_paths_start_at_the_project_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as Jupyter Book runs a kernel: in notebooks/, not the root
    assert chapter.from_root("results/paper") == str(ROOT / "results" / "paper")
    assert chapter.from_root(str(tmp_path)) == str(tmp_path) and chapter.from_root(None) is None
    opened = chapter.open_chapter(profile="paper", store="results/paper")
    assert opened.committed and len(opened.runs()) > 0


# --------------------------------------------------------------------------- the claims


def test_an_accuracy_agrees_within_the_sampling_error_of_both():
    agrees = summary.accuracy_agreement(0.7402, [0.6667, 0.6667, 0.6667], 42, 42)
    assert agrees["agrees"] and agrees["n"] == 3 and agrees["low"] == pytest.approx(0.6667)
    far = summary.accuracy_agreement(0.4689, [0.86, 0.85, 0.89], 132, None)
    assert not far["agrees"] and far["z"] > 1.96
    one = summary.accuracy_agreement(0.60, [0.55], 3589, 3589)  # one seed: the Wilson interval
    assert one["sd"] is None and one["low"] < 0.55 < one["high"] and not one["agrees"]
    with pytest.raises(ValueError):
        summary.accuracy_agreement(0.5, [], 42, 42)


def test_a_claims_status_follows_its_networks():
    assert summary._status({1: True, 2: True, 3: True}) == "reproduced"
    assert summary._status({1: None, 2: True, 3: None}) == "partly"
    assert summary._status({1: True, 2: False, 3: False}) == "partly"
    assert summary._status({1: None, 2: False, 3: None}) == "not reproduced"
    assert summary._status({1: None, 2: None, 3: None}) == "untested"


def test_claim_table_on_the_committed_results():
    runs = results.committed_runs(RESULTS)
    seed_runs = results.protocol_seed_runs(runs)
    missing = results.missing_runs(RESULTS)
    claims = summary.claim_table(seed_runs, missing)
    assert list(claims["number"]) == list(range(1, len(summary.CLAIMS) + 1))
    assert set(claims["status"]) <= set(summary.STATUSES)
    for row in claims.to_dict("records"):
        claim = summary.CLAIMS[row["number"] - 1]
        if claim.kind == "accuracy":  # the paper's range at the precision it prints
            source = None if claim.training == "scratch" else "fer2013"
            values = [paper.ACCURACY[(model, claim.dataset, source)] for model in summary.MODELS]
            assert row["paper"].startswith(f"{100 * min(values):.2f}% to {100 * max(values):.2f}%"), row["paper"]
        tested = [m for m in summary.MODELS if seed_runs.get((m, claim.dataset, None if claim.kind == "gain"
                                                                else (None if claim.training == "scratch" else "fer2013")))]
        if claim.kind == "accuracy":
            assert row["tested"] == tested
        for model in row["tested"]:
            assert f"Model {model}:" in row["ours"]
    counts = summary.status_counts(claims)
    assert sum(counts.values()) == len(claims)
    assert summary.verdict_sentence(claims).startswith(f"Of the paper's {len(claims)} claims")


def _experiment_names(row) -> str:
    """How the sentence names an experiment, written out here to check it."""
    where = {"fer2013": "FER2013", "jaffe": "JAFFE", "ckplus": "CK+ (7 classes)"}[row["dataset"]]
    how = "" if row["dataset"] == "fer2013" else (" from scratch" if row["training"] == "scratch" else " fine-tuned")
    return f"Model {row['model']}{how} on {where}"


def test_the_audit_names_each_experiment_whose_two_verdicts_differ():
    """The audit's table judges seed 0 with the binomial error of the test set, the first
    page's claims table the mean over seeds: the sentence beside the audit's table names
    exactly the experiments where the two verdicts differ, each computed here from the
    committed results on its own."""
    from ferlib import claims
    from ferlib import findings

    runs = results.committed_runs(RESULTS)
    seed_runs = results.protocol_seed_runs(runs)
    main = claims.main_test_set(claims.accuracy_claims(results.paper_results(RESULTS)))
    sizes = claims.stated_test_sizes()
    seed0, over = {}, {}
    for row in main.dropna(subset=["ours"]).to_dict("records"):
        key = (row["model"], row["dataset"], None if row["training"] == "scratch" else "fer2013")
        seed0[key] = bool(row["within_sampling_error"])
        values = [run.metrics["test"]["accuracy"] for run in seed_runs[key]]
        over[key] = summary.accuracy_agreement(row["paper"], values, seed_runs[key][0].metrics["test"]["n"],
                                               sizes.get(row["dataset"]))["agrees"]
    differ = {key for key in seed0 if seed0[key] != over[key]}
    agreements = summary.seed_agreements(seed_runs)
    # the claims table judges by the same rule, network by network
    claim_rows = summary.claim_table(seed_runs)
    for claim, row in zip(summary.CLAIMS, claim_rows.to_dict("records")):
        if claim.kind == "accuracy":
            mine = agreements[(agreements["dataset"] == claim.dataset) & (agreements["training"] == claim.training)]
            assert {int(m): bool(a) for m, a in zip(mine["model"], mine["agrees"])} == {
                m: a for m, a in row["agreements"].items() if a is not None}
    differences = summary.verdict_differences(main, agreements)
    assert differences.attrs["compared"] == len(seed0)
    got = {(int(r["model"]), r["dataset"], None if r["training"] == "scratch" else "fer2013")
           for r in differences.to_dict("records")}
    assert got == differ
    sentence = findings.rule_difference_sentence(differences)
    assert sentence.startswith("This table judges seed 0 alone against the paper's value, with the binomial error")
    for key in seed0:
        name = _experiment_names({"model": key[0], "dataset": key[1],
                                  "training": "scratch" if key[2] is None else "fine-tuned"})
        assert (name in sentence) == (key in differ), name
    if differ:
        assert sentence.endswith("The first page's verdict, over seeds, is the one the book reports.")
        for key in differ:
            here = "within" if seed0[key] else "beyond"
            there = "within" if over[key] else "beyond"
            assert f"({here} sampling error here, {there} it over {len(seed_runs[key])} seeds)" in sentence
    else:
        assert "agree for every one of the" in sentence


def test_two_rules_that_agree_everywhere_say_so_and_a_difference_either_way_is_named():
    from ferlib import findings

    seed0 = pd.DataFrame([
        {"model": 2, "dataset": "fer2013", "training": "scratch", "ours": 0.60, "within_sampling_error": True},
        {"model": 1, "dataset": "jaffe", "training": "scratch", "ours": 0.67, "within_sampling_error": False},
        {"model": 2, "dataset": "ckplus", "training": "fine-tuned", "ours": 0.88, "within_sampling_error": False},
        {"model": 3, "dataset": "jaffe", "training": "fine-tuned", "ours": np.nan, "within_sampling_error": None}])
    over = pd.DataFrame([
        {"model": 2, "dataset": "fer2013", "training": "scratch", "agrees": True, "seeds": 3},
        {"model": 1, "dataset": "jaffe", "training": "scratch", "agrees": False, "seeds": 1},
        {"model": 2, "dataset": "ckplus", "training": "fine-tuned", "agrees": False, "seeds": 3}])
    none = summary.verdict_differences(seed0, over)
    assert none.empty and none.attrs["compared"] == 3
    sentence = findings.rule_difference_sentence(none)
    assert sentence.endswith("The two verdicts agree for every one of the 3 experiments with a run of ours.")
    assert "Model" not in sentence and "reports" not in sentence
    flipped = over.assign(agrees=[False, True, False])
    both = summary.verdict_differences(seed0, flipped)
    assert list(zip(both["model"], both["dataset"])) == [(2, "fer2013"), (1, "jaffe")]
    sentence = findings.rule_difference_sentence(both)
    assert ("differ for Model 2 on FER2013 (within sampling error here, beyond it over 3 seeds) and Model 1 "
            "from scratch on JAFFE (beyond sampling error here, within it over 1 seed); they agree for the other "
            "1 of the 3 experiments") in sentence
    assert "CK+" not in sentence
    empty = summary.verdict_differences(seed0.iloc[[3]], over)
    assert findings.rule_difference_sentence(empty).endswith("No experiment has a run of ours to judge by both yet.")
    box = findings.claims_findings({"compared": 3, "reported": 15, "agree": 1, "impossible": 7, "fit_merged": 2},
                                   pd.DataFrame(columns=["ours_gain"]), both)[0]
    assert box.endswith("1 of those agree with the paper within sampling error on seed 0 alone, and 1 on the mean "
                        "over seeds, as the first page's claims table judges them.")
    box = findings.claims_findings({"compared": 3, "reported": 15, "agree": 1, "impossible": 7, "fit_merged": 2},
                                   pd.DataFrame(columns=["ours_gain"]), summary.verdict_differences(
                                       seed0, over.assign(agrees=[False, False, False])))[0]
    assert "and 0 on the mean over seeds" in box


def _fer2013_missing(times: dict, reason: str = "... about 99 CPU-hours with AVX2, or minutes on a GPU"):
    """Rows of :func:`ferlib.results.missing_runs` for the FER2013 runs from scratch of the
    networks of ``times`` (``{model: {class: seconds}}``); their reason names another time,
    so a need read from the text rather than the numbers shows."""
    return pd.DataFrame([{"model": model, "dataset": "fer2013", "training": "scratch", "reason": reason,
                          "cpu_seconds": seconds} for model, seconds in times.items()])


def _hours(seconds: float) -> int:
    return round(seconds / 3600)


def test_untested_networks_are_named_with_the_compute_they_need():
    times = {1: {"avx2": 17.2 * 3600}, 3: {"avx2": 41.6 * 3600}}
    missing = _fer2013_missing(times)
    expected = {m: f"about {_hours(s['avx2'])} CPU-hours with AVX2" for m, s in times.items()}
    assert summary.compute_needs(missing) == expected
    assert summary.compute_seconds(missing) == times
    sentence = summary.untested_sentence({(2, "jaffe", "fer2013"): [object()]}, missing)
    assert sentence.startswith("Models 1 and 3 are untested: their FER2013 runs")
    one = summary.untested_sentence({(m, "jaffe", "fer2013"): [object()] for m in (1, 2)}, missing)
    assert one == f"Model 3 is untested: its FER2013 run needs {expected[3]} on 2 CPU cores"
    assert sentence.endswith(f"need about {_hours(times[1]['avx2'])} and {_hours(times[3]['avx2'])} CPU-hours "
                             f"with AVX2 on 2 CPU cores")
    every = {(m, d, "fer2013"): [object()] for m in (1, 2, 3) for d in ("jaffe", "ckplus")}
    assert "tested for all three" in summary.untested_sentence(every, missing)
    del every[(3, "ckplus", "fer2013")]
    assert summary.untested_sentence(every, missing) == "Model 3 has no fine-tune on CK+ (7 classes) yet"
    tuned = missing.assign(training="fine-tuned")
    assert summary.compute_needs(tuned) == {}, "a fine-tune's row gives no need of its network's FER2013 run"


def test_the_compute_of_two_networks_is_joined_class_by_class_from_their_numbers():
    """Two networks timed on both classes of processor: one time per network and class,
    joined class by class, each number the seconds in hours; where the classes or units
    differ, each network's time whole."""
    times = {1: {"avx2": 10.8 * 3600, "avx512": 2.6 * 3600}, 3: {"avx512": 7.3 * 3600, "avx2": 34.1 * 3600}}
    missing = _fer2013_missing(times)
    (a1, b1), (a3, b3) = ((_hours(times[m]["avx2"]), _hours(times[m]["avx512"])) for m in (1, 3))
    assert summary.compute_needs(missing) == {1: f"about {a1} CPU-hours with AVX2 or {b1} with AVX-512",
                                              3: f"about {a3} CPU-hours with AVX2 or {b3} with AVX-512"}
    both = summary.untested_sentence({(2, "jaffe", "fer2013"): [object()]}, missing)
    assert both == (f"Models 1 and 3 are untested: their FER2013 runs need about {a1} and {a3} CPU-hours with "
                    f"AVX2 or {b1} and {b3} with AVX-512 on 2 CPU cores")
    one = _fer2013_missing({1: {"avx2": 2.2 * 3600}, 3: times[3]})
    assert summary.untested_sentence({(2, "jaffe", "fer2013"): [object()]}, one).endswith(
        f"need about 2 CPU-hours with AVX2 and about {a3} CPU-hours with AVX2 or {b3} with AVX-512 on 2 CPU cores")
    minutes = _fer2013_missing({1: {"avx2": 2.2 * 3600, "avx512": 1800.0}})
    assert summary.compute_needs(minutes) == {1: "about 2 CPU-hours with AVX2 or about 30 min with AVX-512"}


def test_a_missing_file_without_times_gives_no_need(tmp_path):
    """A ``missing.json`` written before its rows carried ``cpu_seconds`` still reads: its
    reasons' words are not parsed, so no network has a need and the sentence names the
    untested networks without one."""
    old = {"runs": [{"key": [3, "fer2013", None],
                     "reason": "... about 34 CPU-hours with AVX2 or 7 with AVX-512, or minutes on a GPU"}]}
    (tmp_path / results.MISSING_FILE).write_text(json.dumps(old))
    missing = results.missing_runs(tmp_path)
    assert missing["cpu_seconds"].isna().all() and len(missing) == 15
    assert summary.compute_needs(missing) == {} and summary.compute_seconds(missing) == {}
    assert summary.untested_sentence({(m, "jaffe", "fer2013"): [object()] for m in (1, 2)}, missing) == (
        "Model 3 is untested")
    with_times = json.loads(json.dumps(old))
    with_times["runs"][0]["cpu_seconds"] = {"avx2": 34 * 3600.0}
    (tmp_path / results.MISSING_FILE).write_text(json.dumps(with_times))
    assert summary.compute_needs(results.missing_runs(tmp_path)) == {3: "about 34 CPU-hours with AVX2"}


def test_the_fine_tune_verdict_is_the_verdict_rule(monkeypatch):
    """The landing page's verdicts are verdicts.finetune_verdicts on every committed run
    (the page on the verdict per network shows the same), beside the per-seed evidence."""
    from ferlib import compare, verdicts
    from ferlib.protocol import paper_dataset

    assert set(summary.GAIN_VERDICTS) == set(verdicts.VERDICTS)
    runs = results.committed_runs(RESULTS)
    seed_runs = results.protocol_seed_runs(runs)
    report = compare.read_baselines(RESULTS / "baselines.json")
    evidence = summary.finetune_verdicts(seed_runs, runs, report)
    assert len(evidence) and {"model", "dataset", "seeds", "gain_mean", "verdict"} <= set(evidence.columns)
    rule = verdicts.finetune_verdicts(runs, report, models=tuple(sorted(set(evidence["model"]))))
    expected = {(int(r.model), paper_dataset(r.dataset)): r.verdict for r in rule.itertuples()}
    assert {(int(r.model), r.dataset): r.verdict for r in evidence.itertuples()} == {
        key: expected[key] for key in zip(evidence["model"].astype(int), evidence["dataset"])}
    reasons = {(int(r.model), paper_dataset(r.dataset)): r.reason for r in rule.itertuples()}
    untested = evidence[evidence["verdict"] == verdicts.UNTESTED]
    assert all(reason == reasons[(int(model), dataset)] and reason
               for model, dataset, reason in zip(untested["model"], untested["dataset"], untested["reason"]))
    claims = summary.claim_table(seed_runs, verdicts=evidence)
    gains = claims[claims["number"].isin([c.number for c in summary.CLAIMS if c.kind == "gain"])]
    assert all(any(v in text for v in verdicts.VERDICTS) for text in gains["ours"] if "Model 2" in text)
    monkeypatch.setattr(verdicts, "finetune_verdicts", lambda runs, report=None, **k: rule.assign(verdict="maybe"))
    with pytest.raises(ValueError, match="maybe"):
        summary.finetune_verdicts(seed_runs, runs, report)


#: Strands that blocked a gain, as verdicts.blocking_strands gives them.
SEEDS_BLOCK = [{"strand": "seeds", "split_seed": None, "state": "neither", "p_value": 0.051}]
SPLIT_BLOCK = [{"strand": "split", "split_seed": 2, "state": "neither", "p_value": 0.062}]


def _gain_cases() -> dict:
    """The fine-tune verdicts the gain sentence is tested on: none decided, one per data
    set, one shared by both (each blocked by one strand), and one shared by both where
    one data set is blocked by two strands."""
    verdicts = pd.DataFrame([
        {"model": 2, "dataset": "ckplus", "seeds": 3, "gain_mean": 0.093, "significant_gains": 2, "verdict": None,
         "blocked_by": []},
        {"model": 2, "dataset": "jaffe", "seeds": 3, "gain_mean": 0.159, "significant_gains": 0, "verdict": None,
         "blocked_by": []}])
    return {"undecided": verdicts,
            "decided": verdicts.assign(verdict=["no evidence of a gain", "the gain holds"], seeds=[3, 2],
                                       blocked_by=[SEEDS_BLOCK, []]),
            "same": verdicts.assign(verdict="no evidence of a gain", blocked_by=[SEEDS_BLOCK, SPLIT_BLOCK]),
            "two strands": verdicts.assign(verdict="no evidence of a gain",
                                           blocked_by=[SEEDS_BLOCK, SEEDS_BLOCK + SPLIT_BLOCK])}


#: The claims the verdict sentence is tested on.
CLAIMS = pd.DataFrame({"status": ["reproduced", "partly", "partly", "not reproduced", "untested"]})


def test_gain_sentence_groups_a_networks_data_sets():
    cases = _gain_cases()
    verdicts, decided, same = cases["undecided"], cases["decided"], cases["same"]
    sentence = summary.gain_sentence(verdicts)
    assert sentence.count("Model 2") == 1  # one network, its data sets together
    assert sentence.index("JAFFE") < sentence.index("CK+")  # in the vocabulary's order of data sets
    assert ": " not in sentence and "evidence" not in sentence  # no verdict given, none said
    assert summary.gain_sentence(decided).endswith(
        ": the gain holds on JAFFE and no evidence of a gain on CK+ (7 classes), blocked by the training seeds "
        "(p = 0.051)")
    assert summary.gain_sentence(same).count("no evidence of a gain") == 1  # a shared verdict said once
    assert summary.gain_sentence(verdicts.iloc[0:0]).startswith("No fine-tune")


def test_a_verdict_names_the_strands_that_blocked_the_gain_on_each_data_set():
    """The strand that blocked each data set's gain is named with its p-value beside that
    data set; the abstract's compact form names them in the data sets' order, and falls
    back to naming each data set where one has several."""
    cases = _gain_cases()
    rows = sorted(cases["same"].to_dict("records"), key=lambda r: r["dataset"] != "jaffe")
    assert summary.verdict_clause(rows) == ("no evidence of a gain on either, blocked on JAFFE by split seed 2 "
                                            "(p = 0.062) and on CK+ (7 classes) by the training seeds (p = 0.051)")
    assert summary.verdict_clause(rows, compact=True) == (
        "no evidence of a gain on either, blocked by split seed 2 (p = 0.062) and the training seeds (p = 0.051) "
        "respectively")
    two = sorted(cases["two strands"].to_dict("records"), key=lambda r: r["dataset"] != "jaffe")
    assert summary.verdict_clause(two, compact=True) == summary.verdict_clause(two)
    assert summary.verdict_clause(two).endswith(
        "on JAFFE by the training seeds (p = 0.051) and split seed 2 (p = 0.062), and on CK+ (7 classes) by the "
        "training seeds (p = 0.051)")
    held = [dict(r, verdict="the gain holds", blocked_by=[]) for r in rows]
    assert summary.verdict_clause(held) == "the gain holds on both" == summary.verdict_clause(held, compact=True)
    assert summary.verdict_clause([dict(r, verdict=None) for r in rows]) == ""
    claims = summary.claim_table({}, verdicts=cases["same"].assign(
        gain_sd=0.03, fine_tuned_better=3, significant_losses=0, t_p_value=0.05))
    gains = claims.set_index("number")["ours"]
    assert gains[6].startswith("Model 2: no evidence of a gain (split seed 2: p = 0.062), +15.9 points")
    assert gains[7].startswith("Model 2: no evidence of a gain (training seeds: p = 0.051), +9.3 points")


def test_the_verdict_sentence_counts_the_statuses_present():
    claims = CLAIMS
    assert summary.verdict_sentence(claims).startswith("Of the paper's 5 claims")
    assert "untested" not in summary.verdict_sentence(claims.iloc[[1, 3, 3]])  # only the statuses present
    assert summary.verdict_sentence(claims.iloc[[0]]).endswith("1 claim, 1 is reproduced")


def test_the_summary_sentences_of_every_case_read_as_recorded(snapshot):
    """The words of the cases above, in one file (tests/snapshots/summary_cases.md): the
    gain sentence with and without seeds, with a verdict per data set, one shared verdict
    and one data set; the verdict sentence for five, three and one claims."""
    cases = _gain_cases()
    verdicts, decided, same = cases["undecided"], cases["decided"], cases["same"]
    claims = CLAIMS
    snapshot("summary_cases", {
        "Fine-tune gains": [summary.gain_sentence(verdicts), summary.gain_sentence(verdicts, seeds=False),
                            summary.gain_sentence(decided, seeds=False), summary.gain_sentence(same),
                            summary.gain_sentence(same, seeds=False), summary.gain_sentence(cases["two strands"]),
                            summary.gain_sentence(same.iloc[[0]]), summary.gain_sentence(verdicts.iloc[0:0])],
        "Claims": [summary.verdict_sentence(claims), summary.verdict_sentence(claims.iloc[[1, 3, 3]]),
                   summary.verdict_sentence(claims.iloc[[0]]),
                   summary.verdict_sentence(pd.DataFrame({"status": ["untested"] * 7}))],
    })


def test_landing_sentences_without_runs_say_so():
    """The landing page's sentences before any run: nothing is typed, nothing fails."""
    claims = pd.DataFrame({"status": ["untested"] * 7})
    accuracy = pd.DataFrame(columns=["model", "dataset", "training", "ours", "paper"])
    baselines = pd.DataFrame([{"dataset": "ckplus7", "hog_logistic": 0.848, "majority": 0.5}])
    sentences = summary.landing_sentences(
        claims, pd.DataFrame(), {}, missing=None, subject_cnn=pd.DataFrame(columns=["complete"]), leakage={},
        audit={"impossible": 7, "reported": 15}, accuracy=accuracy, baselines=baselines)
    assert sentences["verdict"] == summary.verdict_sentence(claims)
    assert sentences["ckplus"] == "on CK+ (7 classes) no network has a run from scratch yet"
    assert sentences["fer2013"] == "No network has a FER2013 run yet"
    assert sentences["ckplus_hog"] == "84.8%" and sentences["ckplus_majority"] == "50.0%"
    assert sentences["gains"] == sentences["gain_verdicts"] and sentences["gains"].startswith("No fine-tune")
    assert sentences["impossible"] == "7 of the paper's 15 accuracies" and sentences["subject"] == ""


def test_leakage_and_subject_sentences():
    report = {"rows": [{"dataset": "jaffe", "split_seeds": [0], "test_n": 42,
                        "same_subject": {"count": 42, "fraction": 1.0}}]}
    assert summary.leakage_sentence(report) == "Every JAFFE test image has its poser in the training part"
    report["rows"][0]["same_subject"]["count"] = 40
    assert summary.leakage_sentence(report).startswith("40 of the 42 JAFFE test images")
    cnn = pd.DataFrame([{"model": 2, "dataset": "jaffe", "complete": True, "accuracy": 0.347,
                         "hog_logistic": 0.563, "cnn_minus_hog": -0.22, "p_vs_hog": 1e-6},
                        {"model": 2, "dataset": "ckplus7", "complete": True, "accuracy": 0.694,
                         "hog_logistic": 0.878, "cnn_minus_hog": -0.18, "p_vs_hog": 1e-6}])
    sentence = summary.subject_sentence(cnn)
    assert sentence == ("On people absent from training, HOG with logistic regression scores 56.3% on JAFFE and "
                        "87.8% on CK+ (7 classes); trained from scratch, Model 2 falls below it (34.7%, 69.4%)")
    tuned = cnn.assign(accuracy=[0.573, 0.853], cnn_minus_hog=[0.01, -0.02], p_vs_hog=[0.92, 0.14])
    assert summary.subject_sentence(cnn, tuned) == sentence + "; fine-tuned, it matches it (57.3%, 85.3%)", \
        "the network fine-tuned on the same folds: not told apart from HOG on either"
    mixed = tuned.assign(p_vs_hog=[0.92, 0.01])
    assert summary.subject_sentence(cnn, mixed).endswith("; fine-tuned, it is set beside it (57.3%, 85.3%)")
    assert summary.subject_sentence(cnn, tuned.assign(complete=[True, False])) == sentence, \
        "a fine-tuned set without every fold is not said"
    assert summary.subject_sentence(cnn.assign(complete=False), tuned) == ""


def test_the_baseline_sentence_agrees_in_number():
    """One run is "falls", several "fall" (and "beats" / "beat")."""
    beside = pd.DataFrame({"p_vs_hog": [0.001, 0.001, 0.001, 0.5], "cnn_minus_hog": [0.1, 0.1, -0.1, 0.0]})
    sentence = summary.baseline_sentence(beside)
    assert "of the 4 runs of the protocol, 2 beat it and 1 falls below it by more than chance" in sentence
    sentence = summary.baseline_sentence(beside.iloc[[0, 2, 2]])
    assert "1 beats it and 2 fall below it" in sentence


# --------------------------------------------------------------------------- compute, provenance


def test_compute_table_sums_the_measured_training_time():
    config = types.SimpleNamespace(model=2, dataset="jaffe", source=None, seed=0)
    runs = [types.SimpleNamespace(config=config, manifest={"train_seconds": 3600.0, "train_images_per_s": 400.0,
                                                           "hardware": {"processor": "cpu A"}}),
            types.SimpleNamespace(config=config, manifest={"train_seconds": 1800.0, "train_images_per_s": 500.0,
                                                           "hardware": {"processor": "cpu A"}})]
    table = summary.compute_table(runs)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["runs"] == 2 and row["train_hours"] == pytest.approx(1.5) and row["images_per_s"] == 450
    assert row["label"] == "Model 2, JAFFE, from scratch" and row["processor"] == "cpu A"
    resumed = types.SimpleNamespace(config=config, history=pd.DataFrame({"seconds": [1000.0, 1000.0, 1600.0]}),
                                    manifest={"train_seconds": 1600.0, "resumed_from_epoch": 2,
                                              "train_images_per_s": 450.0, "hardware": {"processor": "cpu A"}})
    row = summary.compute_table([*runs, resumed]).iloc[0]  # a resumed run counts all its epochs
    assert row["runs"] == 3 and row["train_hours"] == pytest.approx(2.5)
    other = types.SimpleNamespace(config=config, manifest={"train_seconds": 900.0, "train_images_per_s": 900.0,
                                                           "hardware": {"processor": "cpu A",
                                                                        "vector_extensions": ["avx", "avx512f"]}})
    table = summary.compute_table([*runs, other])  # the same processor's name, a wider vector unit: another row
    assert list(table["processor"]) == ["cpu A", "cpu A (AVX-512)"] and list(table["runs"]) == [2, 1]
    assert list(table["images_per_s"]) == [450, 900] and list(table["label"]) == ["Model 2, JAFFE, from scratch"] * 2
    assert summary.duration_text(45) == "45 s" and summary.duration_text(600) == "10 min"
    assert summary.duration_text(7200) == "2.0 h" and summary.duration_text(float("nan")) == "–"


def test_every_committed_run_has_one_role_in_the_provenance_appendix():
    runs = results.committed_runs(RESULTS)
    listing = provenance.run_listing(runs)
    assert sorted(listing["run_id"]) == sorted(run.id for run in runs)
    assert set(listing["role"]) <= set(provenance.ROLES)
    protocol = {run.id for rs in results.protocol_seed_runs(runs).values() for run in rs}
    assert set(listing.loc[listing["role"] == provenance.ROLES[0], "run_id"]) == protocol
    assert (listing.loc[listing["role"] == provenance.ROLES[2], "fold"].notna()).all()
    assert set(provenance.ROUND_WORDS) == set(study.ROUNDS), "every round of the study reads in words"
    in_study = listing[listing["role"] == provenance.ROLES[1]]
    assert not in_study["setting"].str.endswith(("(protocol)", "(augmented recipe)")).any()


# --------------------------------------------------------------------------- page helpers


def test_a_long_table_is_folded_with_a_csv_download():
    short = pd.DataFrame({"model": [1, 2], "accuracy": [0.5, 0.6]})
    shown = chapter.long_table(short, title="t", filename="short.csv").data
    assert "{dropdown}" not in shown and 'download="short.csv"' in shown
    long = pd.DataFrame({"model": range(chapter.VISIBLE_ROWS + 1), "accuracy": 0.5})
    folded = chapter.long_table(long, title="Every run", filename="long.csv").data
    assert folded.startswith(f"::::{{dropdown}} Every run ({chapter.VISIBLE_ROWS + 1} rows)")
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)", folded).group(1)
    csv = base64.b64decode(payload).decode()
    assert csv.splitlines()[0] == "model,accuracy" and len(csv.splitlines()) == chapter.VISIBLE_ROWS + 2


def test_reproduce_box_names_the_command_and_the_time():
    box = chapter.reproduce_box("07_results", 21.4, parameters={"profile": "quick", "models": [2]})
    assert "jupytext --to ipynb notebooks/07_results.py" in box
    assert "papermill notebooks/07_results.ipynb 07_results-out.ipynb -p profile quick -y \"models: [2]\"" in box
    assert "took 21 s" in box and box.startswith(":::{admonition} Reproduce this page")


def test_overfitting_is_said_where_validation_loss_climbs():
    climbing = pd.DataFrame({"epoch": [1, 2, 3, 4], "val_loss": [1.5, 1.2, 2.0, 3.2], "loss": [1.6, 1.1, 0.6, 0.2]})
    flat = pd.DataFrame({"epoch": [1, 2, 3], "val_loss": [1.5, 1.2, 1.3], "loss": [1.6, 1.2, 1.0]})
    lines = chapter.overfitting_sentences({"Model 2 on FER2013": climbing, "Model 3": flat})
    assert len(lines) == 1 and "overfits" in lines[0] and "1.20 at epoch 2" in lines[0] and "3.20 by epoch 4" in lines[0]
    stuck = climbing.assign(loss=[1.9, 1.9, 1.95, 1.95])
    (line,) = chapter.overfitting_sentences({"Model 2": stuck})
    assert "overfits" not in line and "went wrong" in line and "(1.90 to 1.90 at best)" in line


def test_a_training_loss_near_zero_that_ends_a_little_higher_is_overfitting_not_a_failure():
    """Model 3 on JAFFE: the training loss falls from 3.8 to 0.10 by the epoch of the lowest
    validation loss, reaches 0.02 later and ends at 0.13, while the validation loss swings.
    Comparing only the last training loss with the one at the lowest validation loss
    called this a training that went wrong."""
    epochs = np.arange(1, 13)
    val_loss = [1.9, 1.9, 2.2, 1.3, 0.9, 0.65, 8.7, 2.0, 0.84, 1.5, 3.5, 4.4]
    loss = [3.8, 2.0, 1.2, 0.6, 0.3, 0.10, 0.12, 0.09, 0.02, 0.06, 0.08, 0.13]
    history = pd.DataFrame({"epoch": epochs, "val_loss": val_loss, "loss": loss})
    (line,) = chapter.overfitting_sentences({"Model 3 on JAFFE": history})
    assert "went wrong" not in line
    assert "0.65 at epoch 6, then climbs to 4.40 by epoch 12" in line
    assert "the training loss keeps falling, to 0.02 by epoch 9: the network overfits" in line
    assert "the validation loss also swings between 0.84 and 8.70" in line, "over epochs 7 to 12"
    assert "doubling or halving from one epoch to the next 3 times" in line
    calm = history.assign(val_loss=[1.9, 1.9, 1.8, 1.3, 0.9, 0.65, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3])
    (line,) = chapter.overfitting_sentences({"Model 3 on JAFFE": calm})
    assert "overfits" in line and "swings" not in line
    flat = history.assign(loss=[3.8, 2.0, 1.2, 0.6, 0.3, 0.02, 0.05, 0.09, 0.1, 0.2, 0.3, 0.4])
    (line,) = chapter.overfitting_sentences({"Model 3": flat})
    assert "stays low (0.02 there, 0.40 at the end): the network overfits" in line
    unstable = flat.assign(loss=[3.8, 2.0, 1.2, 0.6, 0.3, 0.02, 0.05, 0.09, 0.5, 1.2, 2.0, 2.5])
    (line,) = chapter.overfitting_sentences({"Model 3": unstable})
    assert "climbs back too, from 0.02 to 2.50: the training became unstable" in line


def test_stand_in_faces_cover_every_class():
    images, labels = chapter.stand_in_faces("jaffe", 2)
    assert images.shape[1:] == (48, 48) and images.dtype == np.uint8
    assert (np.bincount(labels, minlength=7) >= 2).all()


def test_build_stamp_names_version_commit_and_date():
    import datetime

    from ferlib.sphinxext import build_stamp, footer_html

    stamp = build_stamp(ROOT, now=datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc))
    assert stamp["date"] == "2026-01-02" and re.fullmatch(r"[0-9a-f]{12}(-dirty)?|unknown", stamp["commit"])
    html = footer_html(stamp)
    assert stamp["version"] in html and stamp["commit"] in html and "2026-01-02" in html


def test_license_citation_and_book_agree_on_version_licence_and_repository():
    import tomllib

    import yaml

    import ferlib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entry = provenance.citation(ROOT)
    assert entry["version"] == project["version"] == ferlib.__version__
    assert entry["license"] == project["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert entry["url"] == yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["references"][0]["doi"] == "10.5815/ijem.2022.06.05"  # the paper reproduced
    entry_text = provenance.bibtex(entry, commit="0123456789ab")
    assert entry_text.startswith("@software{ferlib,") and "commit 0123456789ab" in entry_text
    assert entry["url"] in entry_text and entry["version"] in entry_text


def test_intervals_a_reader_could_misread_are_explained():
    from ferlib.tables import accuracy_bounds

    equal = [fake_run(28 / 42, seed=s) for s in range(3)]
    spread = [fake_run(a, seed=s) for s, a in enumerate((0.786, 0.810, 0.548))]
    close = [fake_run(a, seed=s) for s, a in enumerate((0.70, 0.72, 0.71))]
    notes = summary.interval_notes({(1, "jaffe", None): equal, (3, "jaffe", None): spread,
                                    (2, "jaffe", None): close, (2, "fer2013", None): [fake_run(0.6, n=3589)]})
    low, high = accuracy_bounds(28 / 42, 42)
    assert notes == [
        f"Model 1, JAFFE, from scratch: all 3 seeds scored 66.7%, so the interval over seeds has no width; "
        f"on its 42 test images one run's Wilson interval is [{100 * low:.1f}, {100 * high:.1f}].",
        "Model 3, JAFFE, from scratch: the seeds scored 78.6, 81.0, 54.8%, so far apart that the interval "
        "over 3 seeds is cut at 100%."]
    assert summary.interval_notes({(2, "jaffe", None): close}) == []


def test_a_processor_is_named_with_its_widest_vector_extension():
    assert summary.processor_label({"processor": "AMD EPYC", "vector_extensions": ["avx", "avx2", "fma"]}) == (
        "AMD EPYC (AVX2)")
    assert summary.processor_label({"processor": "Intel Xeon", "vector_extensions": ["avx2", "avx512f", "amx_tile"]}) == (
        "Intel Xeon (AMX)")
    assert summary.processor_label({"processor": "AMD EPYC"}) == "AMD EPYC", "older runs recorded no extension"
    assert summary.processor_label({}) == "unknown"


def test_an_untested_verdict_says_why():
    """A network with fine-tunes but too few paired seeds for the rule is untested, and the
    sentence gives the reason (one reason said once where both data sets share it)."""
    rows = sorted(_gain_cases()["same"].to_dict("records"), key=lambda r: r["dataset"] != "jaffe")
    reason = "1 paired seed on the paper's split, 2 needed"
    untested = [dict(r, verdict="untested", blocked_by=[], reason=reason) for r in rows]
    assert summary.verdict_clause(untested) == f"untested on both ({reason})"
    mixed = [untested[0], dict(rows[1], verdict="the gain holds", blocked_by=[])]
    assert summary.verdict_clause(mixed) == f"untested on JAFFE ({reason}) and the gain holds on CK+ (7 classes)"
    assert summary.verdict_clause([dict(r, reason=None) for r in untested]) == "untested on both"


def test_the_fer2013_accuracies_share_one_clause():
    import pandas as pd

    rows = pd.DataFrame({"model": [1, 2], "ours": [0.526, 0.594], "paper": [0.6119, 0.6158]})
    assert summary.fer2013_sentence(rows) == ("Models 1 and 2 reach 52.6% and 59.4% on FER2013 against the "
                                              "paper's 61.19% and 61.58%")
    assert summary.fer2013_sentence(rows.iloc[1:]) == "Model 2 reaches 59.4% on FER2013 against the paper's 61.58%"
    assert summary.fer2013_sentence(rows.iloc[0:0]) == "No network has a FER2013 run yet"


def test_a_network_with_too_few_seeds_is_named_untested_not_given_a_gain_in_the_abstract():
    """The abstract's gain sentence leaves out a network whose every verdict is untested;
    the untested sentence names it beside the networks with no FER2013 run."""
    cases = _gain_cases()
    judged = cases["same"]
    too_few = judged.assign(model=1, verdict="untested", blocked_by=[[], []])
    both = pd.concat([too_few, judged], ignore_index=True)
    assert "Model 1" not in summary.gain_sentence(summary._judged(both), seeds=False)
    assert "Model 2" in summary.gain_sentence(summary._judged(both), seeds=False)
    seed_runs = {(m, d, "fer2013"): ["a run"] for m in (1, 2) for d in ("jaffe", "ckplus")}
    assert summary.untested_sentence(seed_runs, None, both) == "Models 1 and 3 are untested"
    assert summary.untested_sentence(seed_runs, None, judged) == "Model 3 is untested"
