# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Training, validation accuracy and loss

# %% tags=["parameters", "remove-cell"]
data_dir = None  # the real data root; None: the results in results/paper (other profiles: synthetic faces)
profile = "paper"  # paper, quick or smoke (ferlib.config.PROFILES)
models = [1, 2, 3]  # the models trained, whose learning curves this page shows
epochs = None  # None: the profile default
seed = 0  # the training seed
store = "results/paper"  # where runs are kept; relative paths start at the project root
cache_dir = None  # where parsed real data is cached

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import findings, tables
from ferlib.chapter import glue_figure, glue_protocol_numbers, missing_runs_markdown, open_chapter, overfitting_sentences
from ferlib import formatting as fmt

chapter = open_chapter("04_training_curves", profile=profile, data_dir=data_dir, store=store, models=models,
                       seed=seed, epochs=epochs, cache_dir=cache_dir)  # checks every parameter first
runs = chapter.runs()
overview = tables.runs_overview(runs)
missing = chapter.missing_runs()
glue("runs_count", len(runs), display=False)
glue("runs_train_time_min", float(overview["train_time_s"].sum() / 60), display=False)
glue("runs_epochs", int(overview["epochs"].max()) if len(overview) else 0, display=False)
glue("runs_missing", len(missing), display=False)
glue("runs_seed", int(seed), display=False)
glue_protocol_numbers()
findings.box(findings.training_findings(overview, missing, 5 * len(models), runs))

# %% [markdown]
# Section 8 of the paper {cite}`borgalli2022` shows learning curves for FER2013, JAFFE
# and CK+ (its Figs. 7-9): the accuracy and the loss on the training and the validation
# part after each epoch. This chapter first trains a network in three calls, small
# enough to run in seconds on any computer, then shows the curves of the paper's
# experiments, one run per experiment (seed {glue:text}`runs_seed`) as the paper shows
# one.
#
# ## A network in three calls
#
# Training a Keras network is three calls: build it, `fit` it to training images, and
# `evaluate` it on images it has not seen. The run below uses ferlib's synthetic faces
# in the style of JAFFE, drawn with clear expressions so that a small network learns
# them in a few epochs; it really runs when the page is built.

# %% tags=["show-input"]
import keras

from ferlib.models import build_model, set_input_statistics
from ferlib.synthetic import make_synthetic

# 800 grey 48×48 faces in seven classes: images (800, 48, 48, 1), labels (800,)
faces = make_synthetic("jaffe", 800, seed=0, expressions="clear")
images, labels = faces.images[..., None], faces.labels
x_train, y_train = images[:640], labels[:640]
x_test, y_test = images[640:], labels[640:]  # 160 faces kept for the test

keras.utils.set_random_seed(0)
# the paper's Model 2; its first layer standardises each pixel
model = build_model(2, seed=0, input_scaling="standardize")
_ = set_input_statistics(model, x_train)

# %% tags=["show-input"]
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.0003),  # step size
    loss="sparse_categorical_crossentropy",  # labels are 0..6
    metrics=["accuracy"],
)
history = model.fit(
    x_train, y_train,
    batch_size=16,  # images per update
    epochs=8,  # passes over the training images
    validation_split=0.15,  # the last 15% validate each epoch
    verbose=0,
)

# %% tags=["show-input"]
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)

# %% tags=["remove-input"]
import pandas as pd

from ferlib import figures
from ferlib.summary import paper_dataset_title

small = pd.DataFrame({"epoch": [epoch + 1 for epoch in history.epoch], **history.history})
glue("small_test_accuracy", f"{test_accuracy:.1%}", display=False)
glue("small_best_val", f"{max(history.history['val_accuracy']):.1%}", display=False)
glue_figure("small_curves", figures.training_curves_figure({"Model 2, synthetic JAFFE-like faces": small}))

# %% [markdown]
# The network answers {glue:text}`small_test_accuracy` of the 160 test faces right,
# where guessing would get one in seven. Its curves:
#
# ```{glue:figure} small_curves
# :name: fig-small-curves
# :alt: Two panels over eight epochs. Left, training and validation accuracy rise from near chance. Right, training loss falls steadily, validation loss falls and then levels off.
#
# The small run above: accuracy (left) and cross-entropy loss (right) on the training
# images (solid) and on the validation images (dashed) after each epoch.
# ```
#
# The paper's runs differ in scale, not in kind: the same `fit` call with
# {glue:text}`protocol_epochs` epochs of at least {glue:text}`protocol_min_epoch_images:,`
# images, batches of {glue:text}`protocol_batch_size` and Adam at
# {glue:text}`protocol_learning_rate:g` ({glue:text}`protocol_lower_rate:g` for
# {glue:text}`protocol_lower_rate_experiments`; {doc}`09_protocol` says why), on the real data sets. ferlib wraps it in
# `ferlib.experiment.train_run`, which also balances the classes of each epoch, keeps
# the epoch with the best validation accuracy and stores everything the book reads.
#
# ## The runs of the paper's experiments
#
# Beside each test accuracy, its 95% {term}`Wilson interval`: the true accuracies that
# the number of right answers on that many test images leaves plausible.

# %% tags=["hide-input"]
fmt.table(overview.sort_values("model", kind="stable"),
          [fmt.run(seed=None), fmt.dataset(), fmt.number("epochs"),
           fmt.number("best_epoch", "best epoch"), fmt.number("train_images", "training images"),
           fmt.percent_interval("accuracy", "accuracy_low", "accuracy_high", "test accuracy [95% interval]"),
           fmt.number("train_time_s", "training, min", scale=1 / 60)], empty="No run in this book.",
          filename="runs.csv", data=overview.sort_values("model", kind="stable").drop(columns=["run_id"]))

# %% [markdown]
# Experiments of the paper with no run here, and the compute each needs:

# %% tags=["hide-input"]
display(Markdown(missing_runs_markdown(missing)))

# %% [markdown]
# ## FER2013 (Fig. 7)
#
# ```{glue:figure} curves_fer2013
# :name: fig-curves-fer2013
# :alt: Accuracy and loss per epoch on FER2013, training solid and validation dashed, one row of two panels per run.
#
# Learning curves on FER2013 (the paper's Fig. 7): accuracy (left) and loss (right) per
# epoch, training solid and validation dashed, one row per run.
# ```
#
# ## JAFFE (Fig. 8)
#
# ```{glue:figure} curves_jaffe
# :name: fig-curves-jaffe
# :alt: Accuracy and loss per epoch on JAFFE, training solid and validation dashed, one row of two panels per run.
#
# Learning curves on JAFFE (the paper's Fig. 8), as in {numref}`fig-curves-fer2013`.
# ```
#
# ## CK+ (7 classes) (Fig. 9)
#
# ```{glue:figure} curves_ckplus
# :name: fig-curves-ckplus
# :alt: Accuracy and loss per epoch on CK+ (7 classes), training solid and validation dashed, one row of two panels per run.
#
# Learning curves on CK+ (the paper's Fig. 9), as in {numref}`fig-curves-fer2013`.
# ```
#
# ## What the curves show

# %% tags=["remove-input"]
histories = {}
for name in ("fer2013", "jaffe", "ckplus"):
    glue_figure(f"curves_{name}", chapter.curves_figure(name))
    if any(key[1] == name for key in runs):
        histories.update({f"{label} on {paper_dataset_title(name)}": history
                          for label, history in tables.histories_for(runs, name).items()})
overfits = overfitting_sentences(histories)
display(Markdown("\n".join(f"- {line}" for line in overfits) if overfits else
                 "No run's validation loss climbs far above its lowest value."))

# %% [markdown]
# Keeping the epoch with the best validation accuracy, not the last one, protects the
# reported accuracy from the worst of the overfitting; the test part is never used to
# choose it.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-training-epochs
#
# Run the small network above for 30 epochs instead of 8 (change `epochs=8`). Where do
# the training and the validation loss part ways, and what happens to the test
# accuracy?
# ```
#
# ```{solution} ex-training-epochs
# :class: dropdown
#
# The training loss keeps falling, while the validation loss stops falling after a
# few epochs and then rises: from there the network learns its 544 training faces
# rather than expressions (overfitting). The test accuracy stops improving at about the
# same epoch. This is why `train_run` keeps the epoch with the best validation accuracy.
# ```
#
# ```{exercise}
# :label: ex-training-rate
#
# Set the learning rate of the small run to 0.01, then to 0.00003. What happens to the
# curves, and why does a rate too large make some runs "die" ({doc}`08_claims`)?
# ```
#
# ```{solution} ex-training-rate
# :class: dropdown
#
# At 0.01 the loss jumps and the accuracy may stay at chance: steps that large push
# many ReLU units to a state where they output zero for every image, and no gradient
# flows through them again. At 0.00003 the loss falls slowly and eight epochs are not
# enough. The paper states no learning rate; {doc}`09_protocol` shows how the
# protocol chose one.
# ```

# %% tags=["remove-input"]
chapter.clock.box(profile="quick")
