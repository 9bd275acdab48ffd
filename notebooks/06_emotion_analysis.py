# %% [markdown]
# # Emotion analysis

# %% tags=["parameters"]
data_dir = None  # the real data root; None: synthetic faces (paper profile: the committed results)
profile = "smoke"  # smoke, quick or paper (ferlib.config.PROFILES)
models = [1, 2, 3]
epochs = None  # None: the profile default
seed = 0
store = "runs"  # the run store (for the committed results: results/paper)
cache_dir = None  # where parsed real data is cached
faces_per_dataset = 3
analysis_model = None  # None: the best model on the validation part

# %%
from IPython.display import Markdown, display

from ferlib import figures, findings, tables
from ferlib.chapter import open_chapter, show
from ferlib import formatting as fmt

chapter = open_chapter(profile=profile, data_dir=data_dir, store=store, models=models, seed=seed,
                       epochs=epochs, cache_dir=cache_dir, faces_per_dataset=faces_per_dataset,
                       analysis_model=analysis_model)  # checks every parameter first
runs = chapter.runs()
shown = chapter.pick_runs(model=analysis_model)
findings.box(findings.emotion_findings(shown))

# %% [markdown]
# Section 9 of the paper {cite}`borgalli2022` shows test faces next to the model's
# probability for each of the seven classes (its Fig. 10). Here the faces are drawn from
# the test part of each data set (distinct classes where possible) and the
# probabilities are those the run stored for them; the images are found again by the
# `source` of each prediction. The true class's bar is outlined in red, the predicted
# class's bar is dark.

# %%
display(Markdown(chapter.description))


def emotion_panel(dataset_name):
    """The selected run's test faces with their 7 probabilities (without data: the
    probabilities only)."""
    picked = chapter.pick_run(dataset_name, model=analysis_model)
    if picked is None:
        return
    (model, _, source), run = picked
    examples = tables.pick_examples(run.predictions, n=faces_per_dataset, seed=seed)
    display(Markdown(f"Model {model}, {tables.training_label(source)}, run `{run.id}`."))
    if chapter.committed:
        display(Markdown("No faces without a data directory; the stored probabilities of the same test images "
                         "(the predicted class is the most probable one):"))
        display(fmt.table(examples, [fmt.image(), fmt.emotion("true", "true class"), *fmt.probability_columns()]))
        return
    data, _ = chapter.dataset(dataset_name, limited=True)
    images = tables.images_for_sources(data, examples["source"])
    show(figures.emotion_analysis_figure(
        images, tables.probability_columns(examples), examples["true"].to_numpy(),
        title=figures.dataset_title(dataset_name)))

# %% [markdown]
# ## FER2013

# %%
emotion_panel("fer2013")

# %% [markdown]
# ## JAFFE

# %%
emotion_panel("jaffe")

# %% [markdown]
# ## CK+

# %%
emotion_panel("ckplus")
