# %% [markdown]
# # Training, validation accuracy and loss

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

from ferlib import findings, tables
from ferlib.chapter import open_chapter, missing_runs_markdown
from ferlib import formatting as fmt

chapter = open_chapter(profile=profile, data_dir=data_dir, store=store, models=models, seed=seed,
                       epochs=epochs, cache_dir=cache_dir)  # checks every parameter first
runs = chapter.runs()
overview = tables.runs_overview(runs)
missing = chapter.missing_runs()
glue("runs_count", len(runs), display=False)
glue("runs_train_time_min", float(overview["train_time_s"].sum() / 60), display=False)
glue("runs_epochs", int(overview["epochs"].max()) if len(overview) else 0, display=False)
glue("runs_missing", len(missing), display=False)
findings.box(findings.training_findings(overview, missing, 5 * len(models), runs))

# %% [markdown]
# What this build's profile trains:

# %%
from ferlib.protocol import profile_notes

display(Markdown("\n".join(f"- {line}" for line in profile_notes(profile))))

# %% [markdown]
# Section 8 of the paper {cite}`borgalli2022` shows learning curves for FER2013, JAFFE
# and CK+ (its Figs. 7-9). This notebook trains the paper's five experiments per model
# (FER2013 from scratch; JAFFE and CK+ from scratch and fine-tuned from the FER2013
# weights), or fetches them from the run store when they are there already, and draws
# each run's curves. Every later notebook reads these same runs: one per experiment, of
# the seed this page was built with (the `seed` parameter, 0 by default), as the paper
# shows one; the results page gives every committed seed.

# %%
fmt.table(overview.sort_values("model", kind="stable"),
          [fmt.run(seed=None), fmt.dataset(), fmt.code("run_id", "run id"), fmt.number("epochs"),
           fmt.number("best_epoch", "best epoch"), fmt.number("train_images", "training images"),
           fmt.percent_interval("accuracy", "accuracy_low", "accuracy_high", "test accuracy [95% interval]"),
           fmt.number("train_time_s", "training, min", scale=1 / 60)], empty="No run in this build.")

# %% [markdown]
# Experiments of the paper with no run here, and why:

# %%
display(Markdown(missing_runs_markdown(missing)))

# %% [markdown]
# ## One call trains a run
#
# Each run is one call to `ferlib.experiment.train_run` with the run's settings (a
# fine-tune: `finetune_run`, which starts from its FER2013 run's weights). The call
# returns the stored run when the store already has one with the same settings, data and
# numerics, as here; a book built from the committed results shows the run the same call
# made on the real data.

# %% tags=["remove-input"]
from ferlib import experiment
from ferlib.figures import dataset_title

key = next((key for key in runs if key[2] is None), None)  # a run from scratch
config = runs[key].config if key else None

# %% tags=["show-input"]
if config is not None and not chapter.committed:
    run = experiment.train_run(config, store, data_dir=data_dir,
                               cache_dir=cache_dir, verbose=0)

# %% tags=["remove-input"]
if config is None:
    result = Markdown("This build has no run from scratch.")
else:
    run = runs[key] if chapter.committed else run
    result = Markdown(f"Model {config.model} on {dataset_title(config.dataset)}: {config.epochs} epochs, batches of "
                      f"{config.batch_size}, learning rate {config.learning_rate:g}; best epoch "
                      f"{run.metrics['best_epoch']}, test accuracy {run.metrics['test']['accuracy']:.1%} "
                      f"(run `{run.id}`).")
result

# %% [markdown]
# The run id is a hash of the run's configuration, its data and the version of ferlib's
# numerics: rebuilding the book reuses a stored run only when all three are unchanged. The best
# epoch (on the validation part) is the one kept and tested.

# %% [markdown]
# ## FER2013 (Fig. 7)

# %%
chapter.show_curves("fer2013")

# %% [markdown]
# ## JAFFE (Fig. 8)

# %%
chapter.show_curves("jaffe")

# %% [markdown]
# ## CK+ (Fig. 9)

# %%
chapter.show_curves("ckplus")
