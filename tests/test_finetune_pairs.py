"""Fine-tuned against from scratch, image by image: the CK+ frames apart, the pairs lined
up, the subject folds pooled, on made-up run records."""

import numpy as np
import pytest
from scipy import stats as st

from ferlib import finetune_pairs, protocol
from ferlib.datasets.ckplus import frame_kind
from pair_records import HAPPY, JAFFE, JAFFE_TRUE, NEUTRAL, ckplus_images, first, jaffe_folds, paper, record


# --------------------------------------------------------------------------- CK+ frames


@pytest.mark.parametrize("source, kind", [
    ("ckplus-neutral/CK+/neutral/S010_002_00000001.png", "neutral"),
    ("ckplus-neutral/CK+/neutral/S032_003_000000011.png", "neutral"),   # a second crop of frame 1
    ("ckplus-neutral/CK+/surprise/S010_002_00000014.png", "peak"),
    ("ckplus-neutral/CK+/anger/S032_003_000000151.png", "peak"),
    ("ck/cohn-kanade-images/S005/001/S005_001_00000001.png", "neutral"),
    ("ck/cohn-kanade-images/S005/001/S005_001_00000011.png", "peak"),
])
def test_a_ck_plus_frame_is_neutral_by_its_folder_or_as_frame_one(source, kind):
    assert frame_kind(source) == kind


def test_frame_kinds_are_checked_against_the_labels():
    sources = ["CK+/neutral/S010_002_00000001.png", "CK+/happiness/S010_002_00000014.png"]
    assert list(finetune_pairs.frame_kinds(sources, [NEUTRAL, HAPPY])) == ["neutral", "peak"]
    with pytest.raises(ValueError, match="S010_002_00000014.png: a peak frame by its name, but labelled neutral"):
        finetune_pairs.frame_kinds(sources, [NEUTRAL, NEUTRAL])
    with pytest.raises(ValueError, match="not a CK\\+ frame"):
        frame_kind("jaffe/KA.HA1.29.tiff")



def test_ck_plus_accuracy_on_peak_and_neutral_frames_apart():
    sources, true = ckplus_images(10)
    right = (true == NEUTRAL) | (np.arange(20) < 6)  # every neutral frame, 3 of 10 peak frames
    table = finetune_pairs.ckplus_frame_accuracy([record(paper(2, "ckplus"), sources, true, right),
                                           record(paper(2, "jaffe"), JAFFE, JAFFE_TRUE, first(42, 3))])
    assert list(table["frames"]) == ["all", "peak", "neutral"], "a JAFFE run has no CK+ frames"
    by = table.set_index("frames")
    assert by.loc["all", "accuracy"] == 13 / 20 and by.loc["peak", "accuracy"] == 0.3
    assert by.loc["neutral", "accuracy"] == 1.0 and by.loc["neutral", "n"] == 10
    assert by.loc["neutral", "balanced_accuracy"] == 1.0, "one class: balanced is the accuracy"
    assert by.loc["peak", "low"] < 0.3 < by.loc["peak", "high"]


def test_a_ck_plus_gain_is_tested_on_each_kind_of_frame():
    sources, true = ckplus_images(20)
    neutral = true == NEUTRAL
    scratch_right = ~neutral                     # scratch: every peak frame, no neutral frame
    tuned_right = neutral | (np.arange(40) < 10)  # fine-tuned: every neutral frame, 5 of 20 peak frames
    runs = [record(paper(2, "ckplus"), sources, true, scratch_right),
            record(paper(2, "ckplus", "fer2013"), sources, true, tuned_right)]
    table = finetune_pairs.ckplus_finetune_frames(runs).set_index("frames")
    assert table.loc["all", "gain"] == pytest.approx(5 / 40)
    assert table.loc["peak", "gain"] == pytest.approx(-15 / 20) and table.loc["neutral", "gain"] == 1.0
    assert table.loc["peak", "p_value"] == pytest.approx(st.binomtest(0, 15, 0.5).pvalue)
    assert table.loc["neutral", "p_value"] == pytest.approx(st.binomtest(20, 20, 0.5).pvalue)
    assert table.loc["all", "p_value"] == pytest.approx(st.binomtest(20, 35, 0.5).pvalue)
    assert set(table["split"]) == {"paper"} and set(table["seed"]) == {0}


def test_pairs_must_test_the_same_images_with_the_same_labels():
    a = record(paper(2, "jaffe"), JAFFE, JAFFE_TRUE, first(42, 3))
    b = record(paper(2, "jaffe", "fer2013"), JAFFE[:-1] + ["other.tiff"], JAFFE_TRUE, first(42, 3))
    with pytest.raises(ValueError, match="test other images: jaffe/KA.HA41.41.tiff only in the run from scratch"):
        finetune_pairs.aligned_pair(finetune_pairs.prediction_rows(a), finetune_pairs.prediction_rows(b))
    c = record(paper(2, "jaffe", "fer2013"), JAFFE, [(t + 1) % 7 for t in JAFFE_TRUE], first(42, 3))
    with pytest.raises(ValueError, match="labelled 0 by the run from scratch and 1 by the fine-tune"):
        finetune_pairs.aligned_pair(finetune_pairs.prediction_rows(a), finetune_pairs.prediction_rows(c))
    shuffled = record(paper(2, "jaffe", "fer2013"), JAFFE[::-1], JAFFE_TRUE[::-1], first(42, 3)[::-1])
    pair = finetune_pairs.aligned_pair(finetune_pairs.prediction_rows(a), finetune_pairs.prediction_rows(shuffled))
    assert list(pair["source"]) == JAFFE and finetune_pairs.paired_stats(pair)["gain"] == 0


# --------------------------------------------------------------------------- subject folds


def test_subject_folds_are_pooled_only_when_every_fold_of_both_is_there():
    runs = jaffe_folds(2, 1, 3)
    table = finetune_pairs.subject_finetune_comparison(runs).set_index("dataset")
    row = table.loc["jaffe"]
    assert row["complete"] and row["n"] == 40 and row["folds"] == 10
    assert row["scratch"] == 0.25 and row["fine_tuned"] == 0.75 and row["gain"] == 0.5
    assert row["p_value"] == pytest.approx(st.binomtest(20, 20, 0.5).pvalue)
    assert row["by_fold"][3] == (0.5, pytest.approx(st.binomtest(2, 2, 0.5).pvalue))
    assert not table.loc["ckplus7", "complete"] and table.loc["ckplus7", "n"] == 0
    partial = finetune_pairs.subject_finetune_comparison(runs[:-1]).set_index("dataset").loc["jaffe"]
    assert partial["folds"] == 9 and partial["scratch_folds"] == 10 and partial["fine_tuned_folds"] == 9
    assert np.isnan(partial["gain"]) and np.isnan(partial["p_value"]) and partial["n"] == 36
    clash = runs + [record(protocol.subject_fold_config("paper", 2, "jaffe", 0), ["jaffe/S1.0.tiff"], [0], [True])]
    with pytest.raises(ValueError, match="jaffe/S1.0.tiff"):
        finetune_pairs.subject_finetune_comparison(clash)
