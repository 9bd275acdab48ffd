# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Confusion matrices

# %% tags=["parameters", "remove-cell"]
data_dir = None  # the real data root; None: the results in results/paper (other profiles: synthetic faces)
profile = "paper"  # paper, quick or smoke (ferlib.config.PROFILES)
models = [1, 2, 3]  # the models trained; confusion_model picks the one shown
epochs = None  # None: the profile default
seed = 0  # the training seed
store = "results/paper"  # where runs are kept; relative paths start at the project root
cache_dir = None  # where parsed real data is cached
confusion_model = None  # None: the best model on the validation part
top_pairs = 5  # the most confused pairs of classes named per data set

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import figures, findings, tables
from ferlib.chapter import glue_figure, open_chapter, placeholder_figure
from ferlib import formatting as fmt
from ferlib.evaluation import confusion_frame
from ferlib.labels import EMOTIONS

chapter = open_chapter("05_confusion_matrices", profile=profile, data_dir=data_dir, store=store, models=models,
                       seed=seed, epochs=epochs, cache_dir=cache_dir,
                       confusion_model=confusion_model, top_pairs=top_pairs)  # checks every parameter first
runs = chapter.runs()
shown = chapter.pick_runs(model=confusion_model)
findings.box(findings.confusion_findings(shown))

# %% [markdown]
# Section 7 of the paper {cite}`borgalli2022` shows one confusion matrix per data set,
# counts and normalised side by side (its Tables 2-4), and names the classes that are
# confused most. Here rows are the true class and columns the predicted one. For each
# data set we show, as the paper does, one network: on FER2013 the run from scratch, on
# JAFFE and CK+ the fine-tuned run, each time the one with the best *validation*
# accuracy among the networks that have it (seed 0), unless `confusion_model` names a
# model.

# %% tags=["hide-input"]
def confusion_section(dataset):
    """Show the run, its counts and the most confused pairs; glue its heatmaps as
    ``confusion_<dataset>``."""
    picked = chapter.pick_run(dataset, model=confusion_model)
    if picked is None:
        glue_figure(f"confusion_{dataset}", placeholder_figure(f"{figures.dataset_title(dataset)}: no run"))
        return None
    (model, _, source), run = picked
    test = run.metrics["test"]
    low, high = tables.accuracy_bounds(test["accuracy"], test["n"])
    display(Markdown(f"Model {model}, {tables.training_label(source)}, seed {run.config.seed}: test accuracy "
                     f"{fmt.percent_interval_text(test['accuracy'], low, high)} on {test['n']:,} images "
                     f"(95% {{term}}`Wilson interval` in brackets)."))
    glue_figure(f"confusion_{dataset}", figures.confusion_figure(
        test["confusion"], title=f"{figures.run_dataset_title(run.config.dataset)}, model {model} "
                                 f"({tables.training_label(source)})"))
    display(Markdown("Most confused pairs:"))
    pairs = tables.confused_pairs(test["confusion"], top=top_pairs)
    display(fmt.table(pairs, [fmt.text("true", "true class"), fmt.text("predicted", "taken for"),
                              fmt.number("count", "images"),
                              fmt.percent("share_of_true", "share of the true class")],
                      empty="No mistakes.", filename=f"confused-pairs-{dataset}.csv"))
    return pairs

# %% [markdown]
# ## One call evaluates a run
#
# Every run stores the seven class probabilities it gives each validation and test image;
# `ferlib.evaluation.classification_metrics` turns them into the accuracy, the per-class
# recall and the confusion matrix the sections below show.

# %% tags=["remove-input"]
from ferlib.evaluation import classification_metrics

found = next((picked for picked in shown.values() if picked is not None), None)
(model, dataset, source), run = found if found else ((None, None, None), None)

# %% tags=["show-input"]
if run is not None:
    test = run.predictions[run.predictions["part"] == "test"]
    metrics = classification_metrics(test["true"].to_numpy(),
                                     tables.probability_columns(test))

# %% tags=["remove-input"]
if run is None:
    result = Markdown("This build has no run to evaluate.")
else:
    result = Markdown(f"Model {model} on {figures.dataset_title(dataset)}: {metrics['n']:,} test images, "
                      f"accuracy {metrics['accuracy']:.1%}, the same as stored with the run "
                      f"({run.metrics['test']['accuracy']:.1%}).")
result

# %% [markdown]
# ## FER2013 (Table 2)
#
# ```{glue:figure} confusion_fer2013
# :name: fig-confusion-fer2013
# :alt: Two seven-by-seven heatmaps of FER2013 test images, counts above and shares of each true class below, rows the true class and columns the predicted class, every cell labelled.
#
# Confusion matrix on FER2013's test part (the paper's Table 2): counts (above) and each
# row as shares of its true class (below); rows are the true class, columns the
# predicted one, so the diagonal holds the faces recognised.
# ```

# %% tags=["hide-input"]
pairs = confusion_section("fer2013")
glue("fer2013_top_confusion", f"{pairs['true'][0]} taken for {pairs['predicted'][0]}"
     if pairs is not None and len(pairs) else "none", display=False)

# %% [markdown]
# ## JAFFE (Table 3)
#
# ```{glue:figure} confusion_jaffe
# :name: fig-confusion-jaffe
# :alt: Two seven-by-seven heatmaps of JAFFE test images, counts and shares of each true class, every cell labelled.
#
# Confusion matrix on JAFFE's test part (the paper's Table 3), as in
# {numref}`fig-confusion-fer2013`.
# ```

# %% tags=["hide-input"]
pairs = confusion_section("jaffe")

# %% [markdown]
# ## CK+ (7 classes) (Table 4)
#
# ```{glue:figure} confusion_ckplus
# :name: fig-confusion-ckplus
# :alt: Two seven-by-seven heatmaps of CK+ (7 classes) test images, counts and shares of each true class, every cell labelled.
#
# Confusion matrix on the test part of CK+ (7 classes) (the paper's Table 4), as in
# {numref}`fig-confusion-fer2013`. Half the test faces are neutral.
# ```

# %% tags=["hide-input"]
pairs = confusion_section("ckplus")

# %% [markdown]
# ## Recall per class, every run of this page's seed
#
# The share of each class's test images that a run recognises. The paper reports anger,
# disgust, fear and sadness as hardest on FER2013.

# %% tags=["hide-input"]
recall = tables.recall_table(runs)
hardest = recall[recall["dataset"] == "fer2013"].drop(
    columns=["model", "dataset", "training", "accuracy"]).mean().sort_values().dropna()
glue("fer2013_hardest_class", str(hardest.index[0]) if len(hardest) else "no run", display=False)
for name in figures.DATASET_TITLES:
    part = recall[recall["dataset"] == name]
    if len(part):
        display(Markdown(f"**{figures.dataset_title(name)}**"))
        display(fmt.table(part, [fmt.run(seed=None), *(fmt.percent(label, digits=0) for label in EMOTIONS)],
                          drop_empty=True, missing="no test image of this class", filename=f"recall-{name}.csv"))

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-confusion-recall
#
# From the FER2013 counts, compute the recall of disgust (its diagonal cell over its
# row) and the share of faces predicted as disgust that are disgust (its diagonal cell
# over its column). Why can a rare class have a high one and a low other?
# ```
#
# ```{solution} ex-confusion-recall
# :class: dropdown
#
# Recall divides by the true disgust faces (a row), precision by the faces the network
# called disgust (a column). A network that rarely answers "disgust" misses most
# disgust faces (low recall) but is often right when it does answer it (high
# precision). Accuracy hides both, because disgust is under 2% of the test faces.
# ```

# %% tags=["remove-input"]
chapter.clock.box(confusion_model=2)
