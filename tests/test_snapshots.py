"""The book's prose on the committed results, compared with its snapshots.

Each test renders the sentences a page states from ``results/paper`` (the landing page's
answer, the "what we found" boxes, the protocol's departures, the missing runs) with the
calls its notebook makes, and compares them with ``tests/snapshots/<name>.md``
(``snapshot_files``). A change of wording or of a number fails with a diff; rerun with
``--update-snapshots`` when the change is wanted, and read ``git diff tests/snapshots``.
The numbers and verdicts themselves are tested on the data elsewhere.
"""

import json
import types

import pytest

from ferlib import (book, claims, compare, diagnostics, findings, missing, protocol, recipe_results, results, study,
                    summary, verdicts)
from book_sources import abstract_text, landing_values
from snapshot_files import UPDATE_VARIABLE, check, render, wants_update

ROOT = book.project_root()
RESULTS = ROOT / results.PAPER_RESULTS


@pytest.fixture(scope="module")
def committed():
    """What the pages read from ``results/paper``: every run, the protocol's runs by seed
    and of seed 0 (``paper``), the baselines and the data summary."""
    runs = results.committed_runs(RESULTS)
    return {"runs": runs, "seed_runs": results.protocol_seed_runs(runs), "paper": results.paper_results(RESULTS),
            "baselines": compare.read_baselines(RESULTS / "baselines.json"),
            "subject": compare.read_baselines(RESULTS / "baselines_subject.json"),
            "summaries": results.read_dataset_summaries(RESULTS),
            "probes": diagnostics.probes_table(diagnostics.read_probes(RESULTS / diagnostics.PROBES_FILE))}


def test_the_landing_pages_answer(committed, snapshot):
    """The sentences of 00_summary: its abstract as a reader reads it, the verdict, the
    gains, the untested networks, new people, the people in both parts, where the CK+ gain
    comes from, the runs that die; and 07_results' box."""
    runs, seed_runs = committed["runs"], committed["seed_runs"]
    missing_runs = results.missing_runs(RESULTS)
    gain_verdicts = summary.finetune_verdicts(seed_runs, runs, committed["baselines"])
    claim_rows = summary.claim_table(seed_runs, missing_runs, verdicts=gain_verdicts)
    subject_cnn = compare.subject_cnn_comparison(runs, committed["subject"])
    subject_tuned = compare.subject_cnn_comparison(runs, committed["subject"], fine_tuned=True)
    accuracy = compare.accuracy_summary(seed_runs, compare.baseline_accuracies(committed["baselines"]))
    beside = compare.baseline_comparison(runs, committed["baselines"])
    snapshot("landing", {
        "Abstract": abstract_text(landing_values(RESULTS)),
        "Verdict": summary.verdict_sentence(claim_rows),
        "Claims": [f"{row.number}. {row.claim} ({row.status}): paper {row.paper}; ours {row.ours}"
                   for row in claim_rows.itertuples()],
        "Gains": summary.gain_sentence(gain_verdicts),
        "Untested": summary.untested_sentence(seed_runs, missing_runs, gain_verdicts),
        "New people": summary.subject_sentence(subject_cnn, subject_tuned),
        "People in both parts": summary.leakage_sentence(json.loads((RESULTS / "leakage.json").read_text())),
        "Accuracies": summary.accuracy_sentences(accuracy),
        "Baselines": summary.baseline_sentence(beside[beside["protocol"].astype(bool)]),
        "CK+ frames": findings.ckplus_frames_sentence(
            verdicts.finetune_verdicts(runs, committed["baselines"], rule=verdicts.VERDICT_RULE)),
        "Runs that die": findings.dying_sentence(committed["probes"]),
    })


def test_the_what_we_found_boxes(committed, snapshot):
    """The boxes of the claims, protocol and transfer pages, and the study's sentences."""
    runs = committed["runs"]
    accuracy = claims.accuracy_claims(committed["paper"])
    finetune = claims.finetune_claims(committed["paper"])
    table = study.study_table(study.study_runs(runs))
    study_verdicts = study.study_verdicts(table)
    subject = compare.subject_comparison(committed["subject"], committed["baselines"])
    subject_cnn = compare.subject_cnn_comparison(runs, committed["subject"], model=2)
    transfer = verdicts.finetune_verdicts(runs, committed["baselines"], rule=verdicts.VERDICT_RULE)
    differences = summary.verdict_differences(claims.main_test_set(accuracy),
                                              summary.seed_agreements(committed["seed_runs"]))
    snapshot("findings", {
        "Claims": findings.claims_findings(claims.claims_summary(accuracy), finetune, differences),
        "Seed 0 and the mean over seeds": findings.rule_difference_sentence(differences),
        "Protocol": findings.protocol_findings(table, study_verdicts, subject, subject_cnn),
        "Study on JAFFE": findings.study_sentence(table, study_verdicts, model=2, dataset="jaffe"),
        "Study on CK+ (7 classes)": findings.study_sentence(table, study_verdicts, model=2, dataset="ckplus7"),
        "Study on both": findings.study_both_sentence(study_verdicts),
        "Learning rate": findings.rate_choice_sentences(study.rate_choices(table)),
        "New people": findings.subject_cnn_sentences(subject_cnn),
        "Fine-tune rate": [f"{name}: {value}" for name, value in findings.finetune_rate_glues(runs).items()],
        "Transfer": findings.transfer_findings(transfer),
        "Transfer runs still to train": findings.transfer_missing_sentences(missing.transfer_missing(runs)),
    })


def test_the_protocols_departures_and_the_missing_runs(committed, snapshot):
    """Every departure from the paper (the claims page's last section) and why each
    missing experiment has no run (``missing.json``)."""
    summaries = committed["summaries"]
    snapshot("protocol", {
        "Departures": protocol.deviations("paper", summaries=summaries),
        "Choices": [f"{choice.name}: {choice.ours} | {choice.why}" for choice in protocol.protocol_choices(summaries)],
        "Missing runs": [f"{key}: {entry['reason']}" for entry in missing.missing_entries(RESULTS)
                         for key in [tuple(entry["key"])]],
    })


def test_the_recipe_page(committed, snapshot):
    """The recipe page's box, its settings beside the protocol's, what each cell of its
    ablation changes, and the runs still to train with the compute they need."""
    runs, summaries = committed["runs"], committed["summaries"]
    missing_runs = recipe_results.missing_table(runs, summaries)
    snapshot("recipe", {
        "What we found": recipe_results.recipe_findings(runs, summaries),
        "Choices": [f"{row.setting}: {row.recipe} | protocol: {row.protocol} | {row.source}"
                    for row in recipe_results.choices_table().itertuples()],
        "Ablation": [f"{row.cell}: {row.changes} ({row.how})" for row in recipe_results.ablation_plan().itertuples()],
        "Runs still to train": [f"{row.what}: {row.runs} of {row.planned}, {row.cpu}; {row.needs or 'from scratch'}"
                                for row in missing_runs.itertuples()],
    })


def test_a_changed_sentence_fails_with_a_diff_and_an_update_rewrites_it(tmp_path, monkeypatch):
    """The mechanism itself: a missing file and a changed line fail, naming the way to
    update; the update writes the file, after which the same text passes."""
    sections = {"Box": ["Model 2 on JAFFE: 81.0%.", "Model 3 on JAFFE: 76.2%."]}
    with pytest.raises(pytest.fail.Exception, match="no snapshot box.md .*--update-snapshots"):
        check("box", sections, update=False, folder=tmp_path)
    check("box", sections, update=True, folder=tmp_path)
    assert (tmp_path / "box.md").read_text() == render(sections) and not list(tmp_path.glob(".*.tmp"))
    check("box", sections, update=False, folder=tmp_path)
    with pytest.raises(pytest.fail.Exception) as failure:
        check("box", {"Box": ["Model 2 on JAFFE: 83.3%.", "Model 3 on JAFFE: 76.2%."]}, update=False, folder=tmp_path)
    message = str(failure.value)
    assert "-Model 2 on JAFFE: 81.0%." in message and "+Model 2 on JAFFE: 83.3%." in message
    assert "-Model 3" not in message and "+Model 3" not in message  # an unchanged line is context only
    assert render({"Empty": []}) == "## Empty\n\n(none)\n"
    with pytest.raises(TypeError, match="snapshot section 'Bad'"):
        render({"Bad": [3]})
    option = types.SimpleNamespace(getoption=lambda name: name == "--update-snapshots")
    no_option = types.SimpleNamespace(getoption=lambda name: False)
    monkeypatch.delenv(UPDATE_VARIABLE, raising=False)
    assert wants_update(option) and not wants_update(no_option)
    monkeypatch.setenv(UPDATE_VARIABLE, "1")
    assert wants_update(no_option)
