# %% [markdown]
# # Results: from scratch versus fine-tuned

# %% tags=["parameters"]
data_dir = None  # the real data root; None: synthetic faces (paper profile: the committed results)
profile = "smoke"  # smoke, quick or paper (ferlib.config.PROFILES)
models = [1, 2, 3]
epochs = None  # None: the profile default
seed = 0
store = "runs"  # the run store (for the committed results: results/paper)
cache_dir = None  # where parsed real data is cached

# %%
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import claims, compare, figures, findings, paper, tables
from ferlib.chapter import open_chapter, show, glue_values
from ferlib import formatting as fmt
from ferlib import results as committed

chapter = open_chapter(profile=profile, data_dir=data_dir, store=store, models=models, seed=seed,
                       epochs=epochs, cache_dir=cache_dir)  # checks every parameter first
runs = chapter.runs()
results = tables.results_table(runs)
summary = tables.finetune_summary(results)
results_dir = chapter.results_dir
committed_runs = committed.committed_runs(results_dir)
baseline_report = compare.read_baselines(results_dir / "baselines.json")
beside = compare.baseline_comparison(committed_runs, baseline_report)
glue("book_profile", profile, display=False)
glue("book_data", chapter.label, display=False)
glue("book_epochs", int(max(run.config.epochs for run in runs.values())) if runs else 0, display=False)
seed_runs = committed.protocol_seed_runs(committed_runs, models=models)
seeds = compare.seed_table(seed_runs)
majority = compare.baseline_accuracies(baseline_report).set_index("dataset")["majority"]
glue("ckplus7_majority", float(100 * majority.get("ckplus7", float("nan"))), display=False)
paired = compare.finetune_comparison(runs)
over_seeds = compare.finetune_over_seeds(seed_runs)
findings.box(findings.results_findings(claims.accuracy_claims(runs), summary, beside,
                                       seeds if chapter.committed else None, paired=paired,
                                       over_seeds=over_seeds if chapter.committed else None))

# %% [markdown]
# Section 10 of the paper {cite}`borgalli2022` reports the test accuracy of every model
# on FER2013 (Table 5) and, for JAFFE and CK+, trained from scratch and fine-tuned from
# FER2013 (Tables 6 and 7). This notebook puts our accuracy beside each of the paper's,
# with the difference, and checks the paper's numbers against the test-set sizes it
# states.

# %%
display(Markdown(f"{chapter.description} Profile `{profile}`, seed {seed}: "
                 f"{len(runs)} of the paper's {len(results)} experiments have a run."))

# %% [markdown]
# ## One call gives an interval
#
# A test accuracy is `k` right out of `n` images. `ferlib.stats.accuracy_interval` gives
# the 95% Wilson interval of the true accuracy those images allow. Most intervals on
# this page come from it; the others are t-intervals over seeds and, on CK+, a bootstrap
# interval that resamples whole sequences (said where each appears).

# %% tags=["remove-input"]
from ferlib.stats import accuracy_interval

(model, dataset, source), run = next(iter(runs.items())) if runs else ((None, None, None), None)

# %% tags=["show-input"]
if run is not None:
    n = run.metrics["test"]["n"]
    k = round(run.metrics["test"]["accuracy"] * n)  # images right
    low, high = accuracy_interval(k, n)  # the 95% Wilson interval

# %% tags=["remove-input"]
if run is None:
    result = Markdown("This build has no run.")
else:
    result = Markdown(f"Model {model} on {figures.dataset_title(dataset)}: {k:,} of {n:,} right, {k / n:.1%}; "
                      f"95% interval {low:.1%} to {high:.1%}.")
result

# %% [markdown]
# ## FER2013 (Table 5)
#
# Each accuracy of ours comes with its 95% Wilson interval: the range of true accuracies
# that the test images leave plausible. On a test part of a few dozen images it is wide.

# %%
fmt.table(results[results["dataset"] == "fer2013"], fmt.accuracy_columns(), missing=fmt.MISSING_RUN)

# %% [markdown]
# ## JAFFE (Table 6)

# %%
fmt.table(results[results["dataset"] == "jaffe"], fmt.accuracy_columns(), missing=fmt.MISSING_RUN)

# %% [markdown]
# The gain of fine-tuning (the fine-tuned accuracy minus the one from scratch), the
# paper's and ours, in percentage points:

# %%
GAIN_COLUMNS = [fmt.text("model"), fmt.percent("paper_scratch", "paper, scratch"),
                fmt.percent("paper_fine_tuned", "paper, fine-tuned"), fmt.points("paper_gain", "paper's gain"),
                fmt.percent("ours_scratch", "ours, scratch"), fmt.percent("ours_fine_tuned", "ours, fine-tuned"),
                fmt.points("ours_gain", "our gain")]
fmt.table(tables.scratch_vs_finetuned(results, "jaffe").reset_index(), GAIN_COLUMNS, missing=fmt.MISSING_RUN)

# %% [markdown]
# ## CK+ (Table 7)

# %%
fmt.table(results[results["dataset"] == "ckplus"], fmt.accuracy_columns(), missing=fmt.MISSING_RUN)

# %%
fmt.table(tables.scratch_vs_finetuned(results, "ckplus").reset_index(), GAIN_COLUMNS, missing=fmt.MISSING_RUN)

# %% [markdown]
# ## Fine-tuned against from scratch, image by image
#
# A fine-tune and the run from scratch it is compared with are tested on the same images,
# so the fair test of a gain is paired: the exact McNemar test counts only the images that
# one run gets right and the other wrong. The zero-shot column is the FER2013 network on
# the same images before any fine-tuning, the lower anchor of the gain.

# %%
fmt.table(paired,
          [fmt.text("model"), fmt.dataset(), fmt.number("n", "test images"), fmt.percent("scratch"),
           fmt.percent("fine_tuned", "fine-tuned"), fmt.points("gain", "gain (points)"),
           fmt.number("only_fine_tuned", "right only fine-tuned"), fmt.number("only_scratch", "right only scratch"),
           fmt.p_value("p_value", "McNemar p"), fmt.percent("zero_shot", "zero-shot")],
          empty="No fine-tune has its run from scratch in this build yet, so no pair can be tested.")

# %% [markdown]
# ## Fine-tuned against from scratch, over seeds
#
# One seed's pair can be lucky. Here every fine-tune is paired with the run from scratch
# of the same seed, each pair is tested image by image as above, and the seeds' gains are
# then tested together: a paired t-test and the exact Wilcoxon signed-rank test over
# seeds. With three seeds the Wilcoxon test cannot give a p below 0.25 however large the
# gains, so the count of seeds whose own McNemar test rejects says more.

# %%
glue("ours_finetune_seeds_sentence", findings.finetune_seeds_sentence(over_seeds), display=False)
fmt.table(over_seeds,
          [fmt.text("model"), fmt.dataset(), fmt.number("seeds", "seeds paired"),
           fmt.percent("scratch_mean", "scratch (mean)"), fmt.percent("fine_tuned_mean", "fine-tuned (mean)"),
           fmt.points("gain_mean", "mean gain (points)"), fmt.points("gain_sd", "sd (points)", sign=False),
           fmt.gains_by_seed(), fmt.number("significant_gains", "seeds with a significant gain"),
           fmt.number("significant_losses", "seeds with a significant loss"),
           fmt.p_value("t_p_value", "paired t p"), fmt.p_value("wilcoxon_p_value", "Wilcoxon p")],
          missing="one seed: no test over seeds yet",
          empty="No fine-tune of the protocol has its run from scratch of the same seed committed yet.")

# %% [markdown]
# ## Tables 5-7 in one figure
#
# Each diamond is the paper's accuracy; each dot is ours with its 95% interval: the
# t-interval of the mean where several seeds were run (ticks mark each seed), else the
# Wilson interval of the single run. The vertical lines are the baselines on the same
# test images (committed real-data runs only): the majority class, and logistic
# regression on pixels and on HOG features.

# %%
accuracy = compare.accuracy_summary(chapter.seed_runs(), chapter.baselines())
show(figures.accuracy_intervals_figure(accuracy))

# %% [markdown]
# ## The ranges the paper quotes
#
# The abstract and section 10 summarise Tables 6 and 7 as ranges over the three models.

# %%
ranges = tables.range_table(results)
glue_values(findings.range_glues(ranges, results, quoted_fer2013=paper.QUOTED_FER2013_ACCURACY))
glue_values(findings.seed_range_glues(accuracy))
fmt.table(ranges, [fmt.dataset(), fmt.text("training"), fmt.percent_range("paper_low", "paper_high", "paper"),
                   fmt.percent_range("ours_low", "ours_high", "ours"),
                   fmt.number("ours_models", "our networks with a run")], missing=fmt.MISSING_RUN)

# %%
finetune_text = findings.finetune_sentence(summary, paired, beside)
glue("ours_finetune_sentence", finetune_text, display=False)
glue("paper_mean_gain", fmt.points_text(summary["paper_mean_gain"]), display=False)
glue("paper_same_gain", fmt.points_text(summary["paper_same_gain"]), display=False)
display(Markdown(f"The paper's fine-tuned networks gain {fmt.points_text(summary['paper_mean_gain'])} points on "
                 f"average over those trained from scratch ({fmt.points_text(summary['paper_same_gain'])} over "
                 f"the pairs of models and data sets that we compare too); it gives no image-level results, so "
                 f"its gains cannot be tested paired. Here, {finetune_text}."))

# %% [markdown]
# ## Do the paper's accuracies fit its test sets?
#
# An accuracy measured on `n` test images is a multiple of `1/n`. For each printed
# accuracy (two decimals of a percentage) we check whether the test-set size the paper
# states can produce it, and give the smallest size that can.

# %%
audit = tables.test_size_audit()
jaffe_audit = audit[audit["dataset"] == "jaffe"]
glue("jaffe_accuracies_fitting_42", int(jaffe_audit["stated_n_possible"].sum()), display=False)
glue("jaffe_accuracies_fitting_43",
     sum(bool(paper.consistent_test_sizes(v, [43])) for v in jaffe_audit["paper"]), display=False)
glue("jaffe_accuracies", len(jaffe_audit), display=False)
fmt.table(audit, [fmt.text("model"), fmt.dataset(), fmt.text("training"), fmt.percent("paper", digits=2),
                  fmt.number("stated_n", "stated test size"), fmt.yes_no("stated_n_possible", "possible on it"),
                  fmt.number("smallest_possible_n", "smallest size that fits")],
          missing="the paper states no test size for CK+")

# %% [markdown]
# ## Beside the baselines, with intervals (committed real-data runs)
#
# A CNN's accuracy means little until it is set beside simple models on the same test
# images. Three baselines are fitted on the same training part and tested on the same
# images: the majority class, logistic regression on the raw pixels, and logistic
# regression on HOG features (each with its regularisation chosen on the validation part).

# %%
fmt.table(compare.baseline_accuracies(baseline_report),
          [fmt.run_dataset(), fmt.number("n", "test images"),
           *[fmt.percent_interval(name, f"{name}_low", f"{name}_high", f"{compare.BASELINE_TITLES[name]} [95% interval]")
             for name in compare.BASELINES]])

# %% [markdown]
# Every committed run on the real data (whatever profile this page was built with)
# beside the HOG baseline, on the paper's split. `p vs HOG` is the exact McNemar test on
# the images where the two disagree: below 0.05, the CNN and HOG differ by more than
# chance. On CK+ a test part holds several frames of one sequence, so the Wilson
# interval is too narrow there: the interval over whole sequences resamples sequences
# instead of images. For a fine-tune, "before fine-tuning" is its FER2013 network on the
# same test images: the lower anchor of what fine-tuning adds.

# %%
glue("cnn_runs_below_hog", int(((beside["p_vs_hog"] < 0.05) & (beside["cnn_minus_hog"] < 0)).sum()),
     display=False)
glue("cnn_runs_compared", len(beside), display=False)
for name in figures.DATASET_TITLES:
    part = beside[beside["dataset"] == name].sort_values(["model", "training", "seed"])
    if part.empty:
        continue
    display(Markdown(f"### {figures.run_dataset_title(name)}"))
    display(fmt.table(part, [fmt.run(), fmt.code("run", "id"), fmt.text("setting"),
                             fmt.percent_interval("accuracy", "low", "high", "CNN [95% interval]"),
                             fmt.interval("seq_low", "seq_high", "interval over whole sequences"),
                             fmt.percent("zero_shot", "before fine-tuning"),
                             fmt.points("cnn_minus_hog", "CNN − HOG (points)"),
                             fmt.p_value("p_vs_hog", "p vs HOG")], drop_empty=True,
                      missing="a run from scratch has no network before fine-tuning, and the fine-tunes "
                              "made before that score was stored have none either"))

# %% [markdown]
# ## Over seeds (the protocol's runs)
#
# Each experiment of the protocol with the seeds committed so far: the mean test
# accuracy with its 95% t-interval over seeds (clipped to 0-100%; none for one seed),
# the standard deviation, each seed's accuracy, and the median over seeds of the
# balanced accuracy (the mean recall over the classes: always answering one class scores
# 14.3% however the classes are spread, where plain accuracy rewards the largest class).

# %%
glue_values(findings.learning_glues(seeds))
fmt.table(seeds,
          [fmt.text("model"), fmt.dataset(), fmt.text("training"), fmt.number("seeds"),
           fmt.percent_interval("mean", "t_low", "t_high", "mean [95% interval]"),
           fmt.points("sd", "sd (points)", sign=False), fmt.by_seed(),
           fmt.percent("balanced_median", "median balanced accuracy")],
          missing="one seed: no spread to measure yet")
