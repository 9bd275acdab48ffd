# %% [markdown]
# # Results: from scratch versus fine-tuned
#
# Section 10 of the paper {cite}`borgalli2022` reports the test accuracy of every model
# on FER2013 (Table 5) and, for JAFFE and CK+, trained from scratch and fine-tuned from
# FER2013 (Tables 6 and 7). This notebook puts our accuracy beside each of the paper's,
# with the difference, and checks the paper's numbers against the test-set sizes it
# states.

# %% tags=["parameters"]
data_dir = None  # root of the real data sets; None: synthetic stand-ins
profile = "smoke"  # smoke, quick or paper (ferlib.config.PROFILES)
models = [1, 2, 3]
epochs = None  # None: the profile default
seed = 0
store = "runs"
cache_dir = None  # where parsed real data is cached

# %%
from myst_nb import glue

from ferlib import book, figures, paper, tables

runs = book.book_runs(profile, store=store, models=models, data_dir=data_dir, seed=seed,
                      epochs=epochs, cache_dir=cache_dir)
results = tables.results_table(runs)
print(book.data_description(data_dir, profile))
glue("book_profile", profile, display=False)
glue("book_data", book.data_label(data_dir, profile), display=False)
glue("book_epochs", int(max(run.config.epochs for run in runs.values())), display=False)
print(f"profile {profile!r}, seed {seed}, {len(runs)} runs; accuracies are fractions of the test part")

# %% [markdown]
# ## All experiments
#
# `ours_se` is the binomial standard error of our accuracy: with a test part of `test_n`
# images, differences of a few standard errors are noise.

# %%
results.round(4)

# %% [markdown]
# ## FER2013 (Table 5)

# %%
results[results["dataset"] == "fer2013"].round(4)

# %% [markdown]
# ## JAFFE (Table 6)
#
# `gain` is the fine-tuned accuracy minus the accuracy from scratch.

# %%
jaffe = tables.scratch_vs_finetuned(results, "jaffe")
jaffe.round(4)

# %% [markdown]
# ## CK+ (Table 7)

# %%
ckplus = tables.scratch_vs_finetuned(results, "ckplus")
ckplus.round(4)

# %%
book.show(figures.results_figure(results, title="Test accuracy: the paper's (pale) and ours (dark)"))

# %% [markdown]
# ## The ranges the paper quotes
#
# The abstract and section 10 summarise Tables 6 and 7 as ranges over the three models.

# %%
ranges = tables.range_table(results)
for row in ranges.itertuples():
    key = f"{row.dataset}_{row.training.replace('-', '_')}"
    for who in ("paper", "ours"):
        glue(f"{who}_{key}_low", float(getattr(row, f"{who}_low")), display=False)
        glue(f"{who}_{key}_high", float(getattr(row, f"{who}_high")), display=False)
glue("paper_fer2013_quoted", paper.QUOTED_FER2013_ACCURACY, display=False)
ranges.round(4)

# %%
summary = tables.finetune_summary(results)
glue("ours_finetune_helped", summary["helped"], display=False)
glue("ours_finetune_compared", summary["compared"], display=False)
glue("ours_mean_gain", summary["ours_mean_gain"], display=False)
glue("paper_mean_gain", summary["paper_mean_gain"], display=False)
fer = results[results["dataset"] == "fer2013"]
glue("ours_fer2013_low", float(fer["ours"].min()), display=False)
glue("ours_fer2013_high", float(fer["ours"].max()), display=False)
print(f"fine-tuning beat training from scratch in {summary['helped']} of {summary['compared']} "
      f"comparisons; mean gain {summary['ours_mean_gain']:+.3f} (the paper: {summary['paper_mean_gain']:+.3f})")

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
audit

# %% [markdown]
# ## Beside the baselines, with intervals (committed real-data runs)
#
# A CNN's accuracy means little until it is set beside simple models on the same test
# images. For every committed run on the real data (whatever profile this page was built
# with), this table gives its test accuracy with a 95% Wilson interval, three baselines
# fitted on the same training part and tested on the same images (the majority class;
# logistic regression on the raw pixels; logistic regression on HOG features, each with
# its regularisation chosen on the validation part), and the exact McNemar test of the
# CNN against the HOG baseline: `p_vs_hog` below 0.05 says the two differ on these
# images by more than chance. On CK+ a test part holds several frames of one sequence,
# so the Wilson interval is too narrow there: `seq_low` and `seq_high` bound the accuracy
# with whole sequences resampled. For a fine-tune, `zero_shot` is its FER2013 network on
# the same test images before any fine-tuning: the lower anchor of what fine-tuning
# adds. Accuracies are fractions.

# %%
from ferlib import compare, results as committed

committed_runs = committed.committed_runs(book.project_root() / committed.PAPER_RESULTS)
baseline_report = compare.read_baselines(book.project_root() / committed.PAPER_RESULTS / "baselines.json")
beside = compare.baseline_comparison(committed_runs, baseline_report)
beside["protocol"] = beside["run"].map({run.id: committed.is_paper_config(run.config, seed=None)
                                       for run in committed_runs})
glue("cnn_runs_below_hog", int(((beside["p_vs_hog"] < 0.05) & (beside["cnn_minus_hog"] < 0)).sum()),
     display=False)
glue("cnn_runs_compared", len(beside), display=False)
beside.round(4)

# %% [markdown]
# ## Over seeds (the protocol's runs)
#
# Each experiment of the protocol with the seeds committed so far: mean, standard
# deviation and 95% t-interval of the test accuracy over seeds (none for one seed).

# %%
compare.seed_table(committed.protocol_seed_runs(committed_runs)).round(4)
