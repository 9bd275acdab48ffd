# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Does a FER2013 start help? The verdict per network

# %% tags=["parameters", "remove-cell"]
results_dir = None  # the results this page reads; None: results/paper of this project

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import compare, finetune_pairs, findings, missing, results, verdicts
from ferlib.chapter import glue_values, long_table, open_results
from ferlib import formatting as fmt

results_dir, clock = open_results("12_transfer", results_dir=results_dir)  # checks the parameter first
committed_runs = results.committed_runs(results_dir)
report = compare.read_baselines(results_dir / "baselines.json")
RULE = verdicts.VERDICT_RULE
transfer = verdicts.finetune_verdicts(committed_runs, report, rule=RULE)
glue_values(findings.transfer_glues(transfer))
findings.box(findings.transfer_findings(transfer))

# %% [markdown]
# The paper {cite}`borgalli2022` asks one question of its three networks: does a network
# that first learned FER2013 beat the same network trained from scratch on JAFFE and on
# CK+? Its answer rests on one run of each. This page answers it per network and small
# data set with a rule written down before the runs that can test it were trained
# (`ferlib.verdicts.VerdictRule`), and says, where runs are missing, what they would cost.
#
# ## The rule
#
# Every comparison is paired: the fine-tune and the run from scratch are trained with the
# same settings and seed, differ only in their starting weights, and are tested on the
# same images. The evidence comes in three strands.
#
# 1. **Training seeds on the paper's split** (the anchor): each seed's fine-tune against
#    the run from scratch of the same seed. With at least
#    {glue:text}`rule_min_seeds` paired seeds, the {glue:text}`rule_confidence:.0f`%
#    t-interval of the mean gain decides: wholly above zero is a gain, wholly below a loss.
# 2. **Subject folds**: every fold of the subject-independent evaluation (JAFFE leaves one
#    poser out; CK+ is split into folds grouped by person), fine-tuned and from scratch,
#    training seed {glue:text}`rule_subject_seed`. Pooled, each image is tested once, by
#    the fold that holds its person out, and the two networks are paired image by image
#    (exact {term}`McNemar test` at {glue:text}`rule_level`).
# 3. **Split seeds**: the paper's split drawn again with split seeds
#    {glue:text}`rule_split_seeds`, each judged as the anchor is (a single pair by its exact
#    McNemar test).
#
# *The gain holds* when the anchor shows a gain and every other strand present shows one
# too; *a loss* is the mirror; otherwise there is *no evidence of a gain*. Without the
# anchor a network is *untested*. A missing strand does not block a verdict, but the table
# says which strands each verdict stands on; where there is no evidence of a gain, the
# verdict names in brackets each strand present that showed none (a split seed on its
# own), with its p-value. The rule judges accuracy, the paper's
# measure; {term}`balanced accuracy` (the mean recall over classes) is given beside it,
# and on CK+ (7 classes) the gain on the expression (peak) frames and on the neutral
# first frames apart.

# %% tags=["remove-cell"]
glue("rule_min_seeds", RULE.min_seeds, display=False)
glue("rule_confidence", 100 * RULE.confidence, display=False)
glue("rule_level", RULE.level, display=False)
glue("rule_subject_seed", RULE.subject_seed, display=False)
glue("rule_split_seeds", " and ".join(str(seed) for seed in RULE.split_seeds), display=False)

# %% [markdown]
# ## The verdicts

# %% tags=["hide-input"]
fmt.table(transfer, [fmt.text("model"), fmt.run_dataset(),
                     fmt.Column("verdict", lambda row: findings.verdict_text(row["verdict"], row["blocked_by"])),
                     fmt.number("seeds", "paired seeds"), fmt.points("gain", "gain (points)"),
                     fmt.interval("gain_low", "gain_high", "95% interval"),
                     fmt.text("missing", "not yet tested", fmt=lambda text: text or "nothing")],
          missing="no run for this strand yet (the last section says what each needs)", filename="transfer-verdicts.csv")

# %% [markdown]
# The anchor in detail (the mean over the paired seeds on the paper's split), then the
# other two strands where they have runs:

# %% tags=["hide-input"]
display(fmt.table(transfer, [fmt.text("model"), fmt.run_dataset(), fmt.percent("scratch", "scratch"),
                             fmt.percent("fine_tuned", "fine-tuned"), fmt.p_value("seeds_p", "p over seeds"),
                             fmt.percent("scratch_balanced", "balanced, scratch"),
                             fmt.percent("fine_tuned_balanced", "balanced, fine-tuned")],
                  missing="no paired seeds yet", filename="transfer-verdicts.csv"))
fmt.table(transfer, [fmt.text("model"), fmt.run_dataset(),
                     fmt.text("folds", "subject folds paired"), fmt.points("fold_gain", "fold gain (points)"),
                     fmt.p_value("fold_p", "fold p"),
                     fmt.text("split_gains", "gain by split seed (points)",
                              fmt=lambda gains: ", ".join(f"{seed}: {fmt.points_text(gain)}"
                                                          for seed, gain in gains.items()) or fmt.DASH)],
          missing="no run for this strand yet", filename="transfer-verdicts.csv")

# %% [markdown]
# ## New people: the subject folds
#
# The paper's split puts the same people in the training and the test part. On the subject
# folds no test person is ever seen in training. Beside each data set: how many folds have
# a fine-tune and a run from scratch, and, once every fold has both, the pooled accuracies and the exact McNemar test on the images only one of the two got
# right.

# %% tags=["hide-input"]
subject = finetune_pairs.subject_finetune_comparison(committed_runs, models=(1, 2, 3), seed=RULE.subject_seed)
subject = subject[(subject["scratch_folds"] > 0) | (subject["fine_tuned_folds"] > 0)]
glue("subject_pooled_sets", int(subject["complete"].sum()), display=False)
display(fmt.table(subject, [fmt.text("model"), fmt.run_dataset(), fmt.text("split", "folds paired"),
                            fmt.number("scratch_folds", "scratch folds"),
                            fmt.number("fine_tuned_folds", "fine-tuned folds"), fmt.number("n", "images")],
                  empty="No subject-independent fold has been trained.", filename="transfer-subject-folds.csv"))
if len(subject):
    display(fmt.table(subject, [fmt.text("model"), fmt.run_dataset(), fmt.percent("scratch"),
                                fmt.percent("fine_tuned", "fine-tuned"), fmt.points("gain", "gain (points)"),
                                fmt.p_value("p_value", "McNemar p"),
                                fmt.percent("scratch_balanced", "balanced, scratch"),
                                fmt.percent("fine_tuned_balanced", "balanced, fine-tuned")],
                      missing="shown once every fold has both runs", filename="transfer-subject-folds.csv"))
    display(fmt.table(subject, [fmt.text("model"), fmt.run_dataset(),
                                fmt.gains_by_seed("by_fold", "gain (McNemar p) by fold")],
                      missing="shown once every fold has both runs", filename="transfer-subject-folds.csv"))

# %% [markdown]
# {glue:text}`subject_pooled_sets:d` data sets have both runs for every fold. The
# folds from scratch are on the protocol page; their fine-tunes are trained with
# `python -m ferlib finetune --protocol loso --fold F` (JAFFE) or `--protocol subject-kfold
# --folds 10 --fold F` (CK+), each from the FER2013 run of the same training seed.
#
# ## Other draws of the split
#
# One draw of the paper's split decides a lot on small test parts. Below, the fine-tune
# gain on each split seed with runs (split seed 0 is the protocol's), and beside it
# {term}`HOG` + logistic regression on the same split: its accuracy moves by
# {glue:text}`hog_spread_jaffe:.1f` points on JAFFE and {glue:text}`hog_spread_ckplus7:.1f`
# points on CK+ (7 classes) over split seeds {glue:text}`hog_split_seeds`, from the split
# alone.

# %% tags=["hide-input"]
splits = verdicts.split_seed_comparison(committed_runs, report, rule=RULE)
spread = verdicts.split_seed_spread(splits, report)
for dataset in ("jaffe", "ckplus7"):
    seeds = sorted({s for r in report["results"] if r["dataset"] == dataset and r["baseline"] == "hog_logistic"
                    for s in r["split_seeds"]})
    hog = [verdicts.hog_accuracy(report, dataset, s) for s in seeds]
    glue(f"hog_spread_{dataset}", float(100 * (max(hog) - min(hog))), display=False)
glue("hog_split_seeds", ", ".join(str(s) for s in seeds), display=False)
display(fmt.table(splits, [fmt.text("model"), fmt.run_dataset(), fmt.number("split_seed", "split seed"),
                           fmt.number("seeds", "paired seeds"), fmt.percent("scratch"),
                           fmt.percent("fine_tuned", "fine-tuned"), fmt.points("gain", "gain (points)"),
                           fmt.interval("gain_low", "gain_high", "95% interval")],
                  missing="one seed: no interval", filename="transfer-split-seeds.csv"))
display(fmt.table(splits, [fmt.text("model"), fmt.run_dataset(), fmt.number("split_seed", "split seed"),
                           fmt.p_value("p_value", "p"), fmt.text("test"), fmt.text("state", "reading"),
                           fmt.percent("hog_logistic", "HOG + LR, same split"), fmt.gains_by_seed()],
                  missing="one seed: no interval", filename="transfer-split-seeds.csv"))
fmt.table(spread, [fmt.text("model"), fmt.run_dataset(),
                   fmt.text("split_seeds", "split seeds with runs", fmt=lambda s: ", ".join(map(str, s))),
                   fmt.points("gain_spread", "spread of the gain (points)", sign=False),
                   fmt.points("hog_spread", "HOG's spread, same split seeds (points)", sign=False),
                   fmt.points("hog_spread_all", "HOG's spread, every split seed (points)", sign=False)],
          missing="one split seed: no spread yet", filename="transfer-split-spread.csv")

# %% [markdown]
# ## CK+ (7 classes): expression frames and neutral frames
#
# Half of the test part of CK+ (7 classes) is the neutral first frames of its sequences, all
# of one class, and many test people have a neutral frame of another sequence in training. A
# gain can come from naming expressions better or from telling a face at rest from one
# that is not. Each comparison below is split into the two kinds of frame (read from each
# image's file name: the release's `neutral` folder, or frame one of a sequence) and
# tested on each part alone. On the protocol's split, averaged over the paired seeds, the
# fine-tune's gain is {glue:text}`transfer_2_ckplus7_peak_gain:.1f` points on the
# expression frames and {glue:text}`transfer_2_ckplus7_neutral_gain:.1f` points on the
# neutral frames (Model 2).

# %% tags=["hide-input"]
frames = finetune_pairs.ckplus_finetune_frames(committed_runs, subject_seed=RULE.subject_seed)
display(long_table(frames, [fmt.text("model"), fmt.text("split"), fmt.number("split_seed", "split seed"),
                            fmt.number("seed"), fmt.text("frames"), fmt.number("n", "images"), fmt.percent("scratch"),
                            fmt.percent("fine_tuned", "fine-tuned"), fmt.points("gain", "gain (points)")],
                   missing="pooled subject folds have no split seed", empty="No pair of runs on CK+ (7 classes) yet.",
                   title="Gain by kind of frame, every pair", filename="transfer-ckplus7-frames.csv"))
if len(frames):
    display(long_table(frames, [fmt.text("model"), fmt.text("split"), fmt.number("seed"), fmt.text("frames"),
                                fmt.number("only_fine_tuned", "right only fine-tuned"),
                                fmt.number("only_scratch", "right only from scratch"),
                                fmt.p_value("p_value", "McNemar p"),
                                fmt.percent("scratch_balanced", "balanced, scratch"),
                                fmt.percent("fine_tuned_balanced", "balanced, fine-tuned")],
                       title="Paired test by kind of frame, every pair", filename="transfer-ckplus7-frames.csv"))

# %% [markdown]
# The same split for every run of the protocol on CK+ (7 classes), on its own: its accuracy
# on each kind of frame, with a 95% {term}`Wilson interval` (balanced accuracy on the
# neutral frames, one class, is their accuracy).

# %% tags=["hide-input"]
protocol_ck = [run for found in results.protocol_seed_runs(committed_runs).values() for run in found
               if run.config.dataset == "ckplus7"]
long_table(finetune_pairs.ckplus_frame_accuracy(protocol_ck),
           [fmt.text("model"), fmt.text("training"), fmt.number("seed"), fmt.text("frames"),
            fmt.number("n", "images"), fmt.percent_interval("accuracy", "low", "high", "accuracy [95% interval]"),
            fmt.percent("balanced_accuracy", "balanced accuracy")],
           title="Every run of the protocol on CK+ (7 classes), by kind of frame", filename="ckplus7-frames.csv",
           empty="No run of the protocol on CK+ (7 classes) yet.")

# %% [markdown]
# ## What the missing strands need
#
# The runs that would complete each verdict, or add training seeds to a strand that
# already has its pairs, and the compute they take on 2 CPU cores with AVX2 and, where a
# network's rate was measured there, with AVX-512 (minutes on a GPU). A
# fine-tune starts from the weights of its FER2013 run, which are not kept with the
# results, so those runs are trained again first.

# %% tags=["hide-input"]
still = findings.transfer_missing_sentences(
    missing.transfer_missing(committed_runs, summaries=results.read_dataset_summaries(results_dir)))
absent = results.missing_runs(results_dir)
starts = [f"Model {row.model} on FER2013: {row.reason}." for row in absent.itertuples()
          if row.dataset == "fer2013"]
display(Markdown("\n".join(f"- {line}" for line in starts + still) or "Nothing: every strand has its runs."))

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-transfer-seeds
#
# Three paired seeds of a network gain 15, 2 and 10 points from fine-tuning. Compute the
# 95% t-interval of the mean gain with `ferlib.stats.seed_summary([15, 2, 10])["interval"]`.
# What does the anchor say under the rule above? Add a fourth seed that gains 9 points:
# what changes, and why?
# ```
#
# ```{solution} ex-transfer-seeds
# :class: dropdown
#
# The mean gain is 9 points, but the interval runs from about -7 to +25 points: it holds
# zero, so the anchor shows neither a gain nor a loss, and the verdict is *no evidence of
# a gain*. With a fourth seed at 9 points the mean stays at 9 while the interval narrows
# to about +0.5 to +17.5 points, wholly above zero: a gain. With three seeds the t
# quantile is 4.3 and the spread of one seed (here the one at 2 points) weighs heavily;
# a mean gain of several points is not yet evidence until the seeds agree or are many.
# ```
#
# ```{exercise}
# :label: ex-transfer-frames
#
# In the table of expression and neutral frames above, take a pair on the expression
# frames and compute its exact McNemar p yourself with
# `scipy.stats.binomtest(b, b + c).pvalue`, where `b` is "right only fine-tuned" and `c`
# "right only from scratch". Why do the images both runs get right, or both get wrong,
# not enter the test?
# ```
#
# ```{solution} ex-transfer-frames
# :class: dropdown
#
# The p-value equals the table's "McNemar p": the exact test asks whether `b` out of
# `b + c` disagreements is more lopsided than a fair coin would make it. Images both runs
# get right, or both get wrong, say nothing about which run is better, so they carry no
# evidence either way; only the disagreements do. A large gain built on few
# disagreements can still be chance.
# ```

# %% tags=["remove-input"]
clock.box()
