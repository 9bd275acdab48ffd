"""The audit of the paper's numbers (ferlib.claims), on made-up runs whose answers
follow from arithmetic done here independently."""

import math
import types

import numpy as np
import pandas as pd
import pytest

from ferlib import claims, paper


def fake_run(accuracy, n, *, val_accuracy=None, val_n=None):
    """A stand-in for a finished run: metrics and predictions with the given accuracies."""
    def part_rows(part, acc, size):
        correct = round(acc * size)
        true = np.arange(size) % 7
        predicted = np.where(np.arange(size) < correct, true, (true + 1) % 7)
        return pd.DataFrame({"part": part, "true": true, "predicted": predicted,
                             "source": [f"{part}{i}.png" for i in range(size)]})

    val_accuracy = accuracy if val_accuracy is None else val_accuracy
    val_n = n if val_n is None else val_n
    predictions = pd.concat([part_rows("val", val_accuracy, val_n), part_rows("test", accuracy, n)])
    test_acc = round(accuracy * n) / n
    return types.SimpleNamespace(
        metrics={"test": {"accuracy": test_acc, "n": n}, "val": {"accuracy": val_accuracy, "n": val_n}},
        predictions=predictions, path="fake")


def brute_force_possible(value, n):
    return any(round(k / n, 4) == round(value, 4) for k in range(n + 1))


def test_binomial_se():
    assert claims.binomial_se(0.5, 100) == pytest.approx(0.05)
    assert claims.binomial_se(1.0, 10) == 0.0
    assert math.isnan(claims.binomial_se(float("nan"), 10))
    with pytest.raises(ValueError, match="0..1"):
        claims.binomial_se(61.6, 100)


def test_paper_possible_agrees_with_brute_force_on_every_reported_accuracy():
    table = claims.accuracy_claims({})
    for row in table.itertuples():
        if not pd.isna(row.stated_n):
            assert row.paper_possible == brute_force_possible(row.paper, int(row.stated_n)), row


def test_fer2013_model_3_fits_only_the_merged_test_set():
    table = claims.accuracy_claims({})
    rows = table[(table["model"] == 3) & (table["dataset"] == "fer2013")].set_index("test_set")
    assert rows.loc["PrivateTest", "paper_possible"] == False  # noqa: E712
    assert rows.loc["PublicTest+PrivateTest", "paper_possible"]
    assert brute_force_possible(0.6162, 7178) and not brute_force_possible(0.6162, 3589)


def test_difference_z_and_verdict():
    value = paper.ACCURACY[(1, "jaffe", None)]
    runs = {(1, "jaffe", None): fake_run(value, 42), (2, "jaffe", None): fake_run(0.1, 42)}
    table = claims.accuracy_claims(runs).set_index(["model", "dataset", "training"])
    close, far = table.loc[(1, "jaffe", "scratch")], table.loc[(2, "jaffe", "scratch")]
    ours = round(value * 42) / 42
    assert close["ours"] == pytest.approx(ours)
    se = math.sqrt(value * (1 - value) / 42 + ours * (1 - ours) / 42)
    assert close["se"] == pytest.approx(se)
    assert close["within_sampling_error"]
    assert "agrees within sampling error" in close["verdict"]
    assert not far["within_sampling_error"] and "ours lower" in far["verdict"]
    assert far["z"] == pytest.approx(far["difference"] / far["se"])
    missing = table.loc[(3, "jaffe", "scratch")]
    assert np.isnan(missing["ours"]) and "no run of ours" in missing["verdict"]


def test_ours_se_is_the_binomial_error_of_ours_and_nan_without_a_run():
    runs = {(1, "jaffe", None): fake_run(0.5, 42)}
    table = claims.accuracy_claims(runs).set_index(["model", "dataset", "training"])
    assert table.loc[(1, "jaffe", "scratch"), "ours_se"] == pytest.approx(math.sqrt(0.5 * 0.5 / 42))
    assert np.isnan(table.loc[(2, "jaffe", "scratch"), "ours_se"])


def test_the_results_page_and_the_claims_page_compare_the_same_numbers():
    """tables.results_table and claims.finetune_claims select from claims.accuracy_claims:
    every number they share with it is the same."""
    from ferlib import tables

    runs = {(1, "jaffe", None): fake_run(0.5, 42), (1, "jaffe", "fer2013"): fake_run(0.9, 42),
            (2, "fer2013", None): fake_run(0.6, 3589, val_accuracy=0.62, val_n=3589)}
    accuracy = claims.accuracy_claims(runs)
    main = claims.main_test_set(accuracy).reset_index(drop=True)
    assert len(main) == len(paper.ACCURACY) and "PublicTest+PrivateTest" not in set(main["test_set"])
    results = tables.results_table(runs)
    shared = ["model", "dataset", "training", "paper", "ours", "ours_low", "ours_high", "difference", "ours_se"]
    pd.testing.assert_frame_equal(results[shared], main[shared])
    assert results["test_n"].tolist() == [n if n else pd.NA for n in main["ours_n"]]
    finetune = claims.finetune_claims(runs).set_index(["model", "dataset"])
    gains = tables.scratch_vs_finetuned(results, "jaffe")
    for column in ("ours_scratch", "ours_fine_tuned", "ours_gain", "paper_gain"):
        assert finetune.loc[(1, "jaffe"), column] == gains.loc[1, column], column
    from ferlib import compare

    paired = compare.finetune_comparison(runs).set_index(["model", "dataset"])
    assert finetune.loc[(1, "jaffe"), "p_value"] == paired.loc[(1, "jaffe"), "p_value"], \
        "the claims page tests our gains as the results page does: paired"


def test_the_test_size_audit_is_the_papers_side_of_the_claims():
    from ferlib import tables

    audit = tables.test_size_audit()
    main = claims.main_test_set(claims.accuracy_claims({})).reset_index(drop=True)
    assert audit["stated_n_possible"].tolist() == main["paper_possible"].tolist()
    assert audit["stated_n"].tolist() == main["stated_n"].tolist()
    assert audit["smallest_possible_n"].tolist() == [paper.consistent_test_sizes(v, range(20, 400))[0]
                                                     for v in main["paper"]]


def test_merged_fer2013_row_uses_both_parts():
    runs = {(2, "fer2013", None): fake_run(0.60, 3589, val_accuracy=0.62, val_n=3589)}
    table = claims.accuracy_claims(runs)
    merged = table[(table["model"] == 2) & (table["test_set"] == "PublicTest+PrivateTest")].iloc[0]
    expected = (round(0.60 * 3589) + round(0.62 * 3589)) / 7178
    assert merged["ours_n"] == 7178
    assert merged["ours"] == pytest.approx(expected)


def test_count_claims_compare_ckplus_by_sequence_and_flag_the_fer2013_typo():
    summaries = {
        "fer2013": {"counts": {"all": {**paper.TABLE_1["fer2013"], "angry": 4953}}},
        "ckplus": {"counts": {"sequences": {**{c: paper.TABLE_1["ckplus"][c] for c in paper.TABLE_1["ckplus"]},
                                            "neutral": 0}}},
        "jaffe": {"counts": {"all": dict(paper.TABLE_1["jaffe"])}},
    }
    for summary in summaries.values():
        counts = next(iter(summary["counts"].values()))
        counts["total"] = sum(v for k, v in counts.items() if k != "contempt")
    table = claims.count_claims(summaries).set_index(["dataset", "class"])
    assert table.loc[("fer2013", "angry"), "difference"] == 360
    assert "swapped" in table.loc[("fer2013", "angry"), "note"]
    assert table.loc[("ckplus", "neutral"), "difference"] == -327
    assert "section 5B" in table.loc[("ckplus", "contempt"), "note"], "contempt as disgust follows the paper"
    assert table.loc[("jaffe", "happy"), "difference"] == 0


def test_range_and_finetune_claims():
    runs = {(1, "jaffe", None): fake_run(0.5, 42), (1, "jaffe", "fer2013"): fake_run(0.9, 42),
            (2, "jaffe", None): fake_run(0.6, 42)}
    ranges = claims.range_claims(runs).set_index(["dataset", "training"])
    assert ranges.loc[("jaffe", "scratch"), "models"] == 2
    assert ranges.loc[("jaffe", "scratch"), "ours_low"] == pytest.approx(round(0.5 * 42) / 42)
    assert ranges.loc[("ckplus", "scratch"), "overlaps"] is None
    finetune = claims.finetune_claims(runs).set_index(["model", "dataset"])
    gain = round(0.9 * 42) / 42 - round(0.5 * 42) / 42
    assert finetune.loc[(1, "jaffe"), "ours_gain"] == pytest.approx(gain)
    assert finetune.loc[(1, "jaffe"), "significant"]
    # 38 right against 21, the fine-tune right on every image the scratch run got: exact McNemar
    assert finetune.loc[(1, "jaffe"), "p_value"] == pytest.approx(2 * 0.5 ** 17)
    assert finetune.loc[(2, "jaffe"), "significant"] is None and pd.isna(finetune.loc[(2, "jaffe"), "p_value"])
    assert "se" not in finetune, "two runs on the same images are not tested as independent"
    # the test parts hold 7 classes in turn (6 of 42 each): 21 right is well above them
    assert finetune.loc[(1, "jaffe"), "scratch_at_majority"] is False
    assert finetune.loc[(1, "ckplus"), "scratch_at_majority"] is None


def test_a_run_no_better_than_its_test_parts_largest_class_is_at_the_majority_class():
    # 6 of 42 right is the share of each class in fake_run's test part; 12 of 42 is above it
    assert claims.at_majority_class(fake_run(6 / 42, 42)) is True
    assert claims.at_majority_class(fake_run(12 / 42, 42)) is False


def test_our_gain_is_tested_paired_not_as_two_independent_accuracies():
    """36 of 42 against 30 of 42, the fine-tune right on every image the scratch run got:
    treated as independent the gain (6 images) is below 1.96 standard errors, but paired
    (6 images only the fine-tune gets right, none the other way) p = 2 / 2**6."""
    runs = {(2, "jaffe", None): fake_run(30 / 42, 42), (2, "jaffe", "fer2013"): fake_run(36 / 42, 42)}
    row = claims.finetune_claims(runs).set_index(["model", "dataset"]).loc[(2, "jaffe")]
    unpaired_se = math.hypot(claims.binomial_se(30 / 42, 42), claims.binomial_se(36 / 42, 42))
    assert row["ours_gain"] < claims.Z_LIMIT * unpaired_se
    assert row["p_value"] == pytest.approx(2 / 2 ** 6) and row["significant"] is True


def test_claims_summary_counts():
    summary = claims.claims_summary(claims.accuracy_claims({}))
    table = claims.accuracy_claims({})
    main = table[table["test_set"] != "PublicTest+PrivateTest"]
    assert summary["reported"] == len(paper.ACCURACY) == len(main)
    assert summary["compared"] == 0 and summary["agree"] == 0
    expected_impossible = sum(not brute_force_possible(v, claims.stated_test_sizes()[d])
                              for (m, d, s), v in paper.ACCURACY.items() if d in claims.stated_test_sizes())
    assert summary["impossible"] == expected_impossible


def test_table_1_compares_the_papers_ck_plus_with_the_seven_class_set_when_there():
    """With ckplus7 in the summaries the paper's 327 neutral images are matched; without
    it CK+48 is compared by sequences and its neutral count is 0."""
    import json

    from ferlib import claims, results
    from ferlib.book import project_root

    summaries = json.loads((project_root() / results.PAPER_RESULTS / "datasets.json").read_text())
    seven = claims.count_claims(summaries).set_index(["dataset", "class"])
    assert seven.loc[("ckplus", "neutral"), "ours"] == 327 == seven.loc[("ckplus", "neutral"), "paper"]
    assert seven.loc[("ckplus", "total"), "difference"] == 0
    six = claims.count_claims({k: v for k, v in summaries.items() if k != "ckplus7"}).set_index(["dataset", "class"])
    assert six.loc[("ckplus", "neutral"), "ours"] == 0
    assert "no neutral" in six.loc[("ckplus", "neutral"), "note"]


def test_seven_class_counts_fold_contempt_into_disgust_and_add_up_to_table_1():
    counts = paper.seven_class_counts("ckplus")
    table = paper.TABLE_1["ckplus"]
    assert counts["disgust"] == table["disgust"] + table["contempt"] and "contempt" not in counts
    assert sum(counts.values()) == sum(table.values())
    assert paper.seven_class_counts("jaffe") == {e: paper.TABLE_1["jaffe"][e] for e in counts}
