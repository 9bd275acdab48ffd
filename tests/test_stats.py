"""ferlib.stats against values worked out independently: closed forms, the definitions
of the intervals, and binomial / t / signed-rank distributions computed by hand."""

import math
import statistics

import numpy as np
import pytest
from scipy import stats as st

from ferlib import stats

Z95 = 1.959963984540054  # the 97.5% point of the standard normal


def wilson_closed_form(k, n, z=Z95):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(9, 42), (33, 42), (1, 20), (150, 196)])
def test_wilson_interval_matches_the_closed_form(k, n):
    low, high = stats.accuracy_interval(k, n)
    want = wilson_closed_form(k, n)
    assert low == pytest.approx(want[0], abs=1e-12) and high == pytest.approx(want[1], abs=1e-12)


@pytest.mark.parametrize("k, n", [(9, 42), (1, 10), (29, 30)])
def test_clopper_pearson_meets_its_definition(k, n):
    """The exact interval's ends are where the binomial tails are exactly alpha/2."""
    low, high = stats.accuracy_interval(k, n, method="clopper-pearson")
    assert st.binom.cdf(k, n, high) == pytest.approx(0.025, abs=1e-9)  # P(X <= k | high)
    assert st.binom.sf(k - 1, n, low) == pytest.approx(0.025, abs=1e-9)  # P(X >= k | low)
    wilson = stats.accuracy_interval(k, n)
    assert high - low > wilson[1] - wilson[0]  # exact is the more conservative


def test_interval_edges_and_level():
    assert stats.accuracy_interval(0, 42)[0] == 0.0
    assert stats.accuracy_interval(42, 42, method="clopper-pearson")[1] == 1.0
    # the exact interval of 0/n has the closed form (0, 1 - (alpha/2)^(1/n))
    assert stats.accuracy_interval(0, 42, method="clopper-pearson")[1] == pytest.approx(1 - 0.025 ** (1 / 42))
    narrow, wide = stats.accuracy_interval(9, 42, level=0.8), stats.accuracy_interval(9, 42, level=0.99)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]
    z80 = 1.2815515655446004
    assert narrow[0] == pytest.approx(wilson_closed_form(9, 42, z80)[0], abs=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: stats.accuracy_interval(43, 42), "correct must lie"),
    (lambda: stats.accuracy_interval(-1, 42), "correct must lie"),
    (lambda: stats.accuracy_interval(1, 0), "n must be at least 1"),
    (lambda: stats.accuracy_interval(4.5, 42), "correct must be a whole number"),
    (lambda: stats.accuracy_interval(4, 42, level=1.0), "level"),
    (lambda: stats.accuracy_interval(4, 42, method="wald"), "method"),
])
def test_interval_rejects_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _pairs(both_right, only_a, only_b, both_wrong):
    a = [1] * both_right + [1] * only_a + [0] * only_b + [0] * both_wrong
    b = [1] * both_right + [0] * only_a + [1] * only_b + [0] * both_wrong
    return np.array(a, bool), np.array(b, bool)


def test_mcnemar_exact_on_a_constructed_case():
    a, b = _pairs(30, 8, 2, 5)
    out = stats.mcnemar_exact(a, b)
    assert (out["b"], out["c"], out["n"]) == (8, 2, 45)
    # two-sided exact: 2 * P(X <= 2), X ~ Bin(10, 1/2) = 2 * (1 + 10 + 45) / 1024
    assert out["p_value"] == pytest.approx(112 / 1024, abs=1e-12)
    assert out["accuracy_a"] == pytest.approx(38 / 45) and out["accuracy_b"] == pytest.approx(32 / 45)
    assert out["difference"] == pytest.approx((8 - 2) / 45)
    swapped = stats.mcnemar_exact(b, a)
    assert (swapped["b"], swapped["c"]) == (2, 8)
    assert swapped["p_value"] == out["p_value"] and swapped["difference"] == pytest.approx(-out["difference"])


def test_mcnemar_extremes():
    a, b = _pairs(20, 10, 0, 3)
    assert stats.mcnemar_exact(a, b)["p_value"] == pytest.approx(2 / 2 ** 10)
    same = stats.mcnemar_exact([1, 0, 1, 1], [1, 0, 1, 1])
    assert same["p_value"] == 1.0 and same["b"] == same["c"] == 0 and same["difference"] == 0
    a, b = _pairs(5, 3, 3, 5)  # balanced disagreement: p is 1, not more
    assert stats.mcnemar_exact(a, b)["p_value"] == 1.0


@pytest.mark.parametrize("a, b, message", [
    ([1, 0, 1], [1, 0], "same test images"),
    ([1, 2, 1], [1, 0, 1], "correct_a must hold booleans"),
    ([1, 0, 1], [0.5, 0, 1], "correct_b must hold booleans"),
    ([], [], "correct_a is empty"),
    ([[1, 0]], [[1, 0]], "correct_a must be 1-D"),
])
def test_mcnemar_rejects_bad_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        stats.mcnemar_exact(a, b)


def _correct(n, accuracy, seed=0):
    correct = np.zeros(n, bool)
    correct[np.random.default_rng(seed).permutation(n)[:round(accuracy * n)]] = True
    return correct


def test_bootstrap_of_independent_images_is_near_the_normal_interval():
    correct = _correct(400, 0.7)
    low, high = stats.bootstrap_accuracy_interval(correct, None, n_boot=4000)
    half = Z95 * math.sqrt(0.7 * 0.3 / 400)
    assert low == pytest.approx(0.7 - half, abs=0.012) and high == pytest.approx(0.7 + half, abs=0.012)


def test_bootstrap_does_not_count_duplicated_frames_as_evidence():
    """Three copies of every image: grouped by image, the interval is the one of the
    original images (exactly, same seed); ungrouped, it shrinks by about sqrt(3)."""
    correct = _correct(60, 0.6, seed=3)
    tripled = np.repeat(correct, 3)
    frames_of = np.repeat(np.arange(60), 3)
    original = stats.bootstrap_accuracy_interval(correct, None, seed=5)
    grouped = stats.bootstrap_accuracy_interval(tripled, frames_of, seed=5)
    naive = stats.bootstrap_accuracy_interval(tripled, None, seed=5)
    assert grouped == pytest.approx(original, abs=1e-12)
    ratio = (naive[1] - naive[0]) / (grouped[1] - grouped[0])
    assert 0.45 < ratio < 0.72  # 1 / sqrt(3) = 0.577, with resampling noise
    # string group ids (CK+ sequences) work the same as integers
    named = np.array([f"S{i:03d}_001" for i in frames_of])
    assert stats.bootstrap_accuracy_interval(tripled, named, seed=5) == pytest.approx(grouped)


def test_bootstrap_groups_of_unequal_size_use_the_pooled_accuracy():
    """One group of 20 images all right, 20 singleton groups all wrong: 21 groups.
    A resample holding the big group j times has accuracy 20j / (20j + 21 - j).
    With j ~ Bin(21, 1/21): P(j = 0) = 0.358 > 2.5%, so the low end is 0;
    P(j >= 3) = 0.077 > 2.5% > P(j >= 4) = 0.018, so the high end is j = 3: 60/78."""
    correct = np.r_[np.ones(20, bool), np.zeros(20, bool)]
    groups = np.r_[np.zeros(20, int), np.arange(1, 21)]
    low, high = stats.bootstrap_accuracy_interval(correct, groups, n_boot=4000)
    assert st.binom.sf(2, 21, 1 / 21) > 0.025 > st.binom.sf(3, 21, 1 / 21)  # the reasoning above
    assert low == 0.0
    assert high == pytest.approx(60 / 78)


def test_bootstrap_is_seeded_and_checks_its_input():
    correct = _correct(300, 0.6)
    groups = np.random.default_rng(0).integers(0, 97, 300)  # groups of unequal size
    first = stats.bootstrap_accuracy_interval(correct, groups, seed=1)
    assert first == stats.bootstrap_accuracy_interval(correct, groups, seed=1)
    assert first != stats.bootstrap_accuracy_interval(correct, groups, seed=2)
    correct = correct[:50]
    with pytest.raises(ValueError, match="at least 2 groups"):
        stats.bootstrap_accuracy_interval(correct, np.zeros(50))
    with pytest.raises(ValueError, match="groups must be 1-D"):
        stats.bootstrap_accuracy_interval(correct, np.zeros(49))
    with pytest.raises(ValueError, match="n_boot"):
        stats.bootstrap_accuracy_interval(correct, n_boot=10)


def test_seed_summary_against_the_t_distribution():
    values = [0.71, 0.74, 0.69, 0.78]
    out = stats.seed_summary(values)
    mean = sum(values) / 4
    assert out["n"] == 4 and out["mean"] == pytest.approx(mean)
    assert out["sd"] == pytest.approx(statistics.stdev(values))
    assert (out["min"], out["max"], out["median"]) == (0.69, 0.78, pytest.approx(0.725))
    want = st.t.interval(0.95, df=3, loc=mean, scale=st.sem(values))
    assert out["interval"] == pytest.approx(want, abs=1e-12)
    t_975_2 = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # closed form of t quantiles at 2 degrees of freedom
    three = stats.seed_summary([0.6, 0.7, 0.8])
    assert three["interval"][1] - 0.7 == pytest.approx(t_975_2 * 0.1 / math.sqrt(3), abs=1e-12)


def test_seed_summary_of_one_seed_has_no_spread():
    out = stats.seed_summary([0.65])
    assert out["sd"] is None and out["interval"] is None and out["mean"] == 0.65
    with pytest.raises(ValueError, match="values holds NaN"):
        stats.seed_summary([0.6, float("nan")])
    with pytest.raises(ValueError, match="values is empty"):
        stats.seed_summary([])


def test_paired_seed_test_against_hand_computed_t_and_signed_rank():
    a = np.array([0.74, 0.70, 0.77, 0.72, 0.80])
    b = np.array([0.60, 0.69, 0.62, 0.66, 0.70])
    out = stats.paired_seed_test(a, b)
    d = a - b
    t = d.mean() / (statistics.stdev(d) / math.sqrt(5))
    assert out["mean_difference"] == pytest.approx(d.mean())
    assert out["sd_difference"] == pytest.approx(statistics.stdev(d))
    assert out["t_p_value"] == pytest.approx(2 * st.t.sf(abs(t), df=4), rel=1e-9)
    # all five differences positive and distinct: exact two-sided p = 2 / 2^5
    assert out["wilcoxon_p_value"] == pytest.approx(2 / 32)
    assert out["wilcoxon_min_p"] == pytest.approx(2 / 32)
    assert (out["a_greater"], out["b_greater"], out["ties"]) == (5, 0, 0)


def test_paired_seed_test_undefined_cases_say_so():
    three = stats.paired_seed_test([0.7, 0.72, 0.75], [0.6, 0.62, 0.65])  # difference 0.1 each time
    assert three["t_p_value"] is None and "zero spread" in three["notes"][0]
    assert three["wilcoxon_min_p"] == 0.25  # three seeds can never give p < 0.05
    equal = stats.paired_seed_test([0.7, 0.7], [0.7, 0.7])
    assert equal["wilcoxon_p_value"] is None and equal["ties"] == 2
    one = stats.paired_seed_test([0.7], [0.6])
    assert one["t_p_value"] is None and one["sd_difference"] is None
    # a zero difference is dropped: four positive distinct differences, exact p = 2 / 2^4
    dropped = stats.paired_seed_test([0.8, 0.9, 1.0, 1.1, 0.5], [0.7, 0.7, 0.7, 0.7, 0.5])
    assert dropped["wilcoxon_p_value"] == pytest.approx(2 / 16) and dropped["wilcoxon_min_p"] == 2 / 16
    mixed = stats.paired_seed_test([0.7, 0.6, 0.8], [0.6, 0.7, 0.8])
    assert (mixed["a_greater"], mixed["b_greater"], mixed["ties"]) == (1, 1, 1)
    with pytest.raises(ValueError, match="a has 2 values, b 3"):
        stats.paired_seed_test([0.7, 0.6], [0.6, 0.7, 0.8])
    with pytest.raises(ValueError, match="b must be numbers"):
        stats.paired_seed_test([0.7], ["x"])


def test_above_chance_is_a_one_sided_exact_binomial_test():
    # 42 JAFFE test images, 7 classes: chance is 6 right; 11 right is the first count that passes
    assert not stats.above_chance(10, 42, 1 / 7)["above"]
    found = stats.above_chance(11, 42, 1 / 7)
    assert found["above"] and found["p_value"] == pytest.approx(0.0305, abs=5e-4)
    assert found["chance"] == pytest.approx(1 / 7)
    assert not stats.above_chance(0, 42, 1 / 7)["above"]
    # always answering "neutral" on seven-class CK+ (66 of 132) is no better than the majority
    assert not stats.above_chance(66, 132, 0.5)["above"] and stats.above_chance(80, 132, 0.5)["above"]
    for bad, match in (((43, 42, 0.2), "correct"), ((5, 0, 0.2), "n must"), ((5, 42, 1.0), "chance"),
                       ((5, 42, 0.2, 1.5), "alpha")):
        with pytest.raises(ValueError, match=match):
            stats.above_chance(*bad)
