# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Emotion analysis

# %% tags=["parameters", "remove-cell"]
data_dir = None  # the real data root; None: the results in results/paper (other profiles: synthetic faces)
profile = "paper"  # paper, quick or smoke (ferlib.config.PROFILES)
models = [1, 2, 3]  # the models trained; analysis_model picks the one shown
epochs = None  # None: the profile default
seed = 0  # the training seed (and the test faces drawn)
store = "results/paper"  # where runs are kept; relative paths start at the project root
cache_dir = None  # where parsed real data is cached
faces_per_dataset = 3  # test faces shown per data set, with their probabilities
analysis_model = None  # None: the best model on the validation part

# %% tags=["hide-input"]
from IPython.display import Markdown, display

import numpy as np

from myst_nb import glue

from ferlib import figures, findings, tables
from ferlib.chapter import STAND_IN, glue_figure, open_chapter, placeholder_figure, stand_in_faces
from ferlib import formatting as fmt

chapter = open_chapter("06_emotion_analysis", profile=profile, data_dir=data_dir, store=store, models=models,
                       seed=seed, epochs=epochs, cache_dir=cache_dir,
                       faces_per_dataset=faces_per_dataset,
                       analysis_model=analysis_model)  # checks every parameter first
runs = chapter.runs()
shown = chapter.pick_runs(model=analysis_model)
findings.box(findings.emotion_findings(shown))

# %% [markdown]
# Section 9 of the paper {cite}`borgalli2022` shows test faces next to the network's
# probability for each of the seven classes (its Fig. 10). Here the faces are drawn from
# the test part of each data set (distinct classes where possible) and the
# probabilities are those the network gave them. The true class's bar is outlined in
# red, the predicted class's bar is dark.

# %% tags=["hide-input"]
display(Markdown(chapter.description))


def emotion_panel(dataset_name):
    """The selected run's test faces with their 7 probabilities, glued as the figure
    ``emotions_<dataset>``; without the data sets, synthetic stand-in faces of the same
    true classes carry the real probabilities, and a table gives them too."""
    picked = chapter.pick_run(dataset_name, model=analysis_model)
    if picked is None:
        glue_figure(f"emotions_{dataset_name}", placeholder_figure(f"{figures.dataset_title(dataset_name)}: no run"))
        glue(f"emotions_kind_{dataset_name}", "no run", display=False)
        return
    (model, _, source), run = picked
    examples = tables.pick_examples(run.predictions, n=faces_per_dataset, seed=seed)
    display(Markdown(f"Model {model}, {tables.training_label(source)}, seed {run.config.seed}."))
    true = examples["true"].to_numpy()
    if chapter.committed:
        display(fmt.table(examples, [fmt.emotion("true", "true class"), *fmt.probability_columns()],
                          filename=f"probabilities-{dataset_name}.csv"))
        faces, labels = stand_in_faces(dataset_name, faces_per_dataset, seed=seed)
        images = np.stack([faces[np.flatnonzero(labels == label)[0]] for label in true])
        kind = (f"the faces are {STAND_IN} of the same true classes, drawn by ferlib, since the data sets' "
                f"photographs cannot be shown here; the bars are the probabilities the network gave the real test "
                f"faces listed in the table above")
    else:
        data, _ = chapter.dataset(dataset_name, limited=True)
        images = tables.images_for_sources(data, examples["source"])
        kind = "faces and probabilities from the same test images"
    glue(f"emotions_kind_{dataset_name}", kind, display=False)
    glue_figure(f"emotions_{dataset_name}", figures.emotion_analysis_figure(
        images, tables.probability_columns(examples), true,
        title=figures.run_dataset_title(run.config.dataset) + (f" ({STAND_IN})" if chapter.committed else "")))

# %% [markdown]
# ## FER2013

# %% tags=["hide-input"]
emotion_panel("fer2013")

# %% [markdown]
# ```{glue:figure} emotions_fer2013
# :name: fig-emotions-fer2013
# :alt: Test faces of FER2013, each beside a bar chart of the network's seven class probabilities; the true class outlined in red, the predicted class dark.
#
# Predicted probabilities on FER2013 test faces (the paper's Fig. 10):
# {glue:text}`emotions_kind_fer2013`.
# ```
#
# ## JAFFE

# %% tags=["hide-input"]
emotion_panel("jaffe")

# %% [markdown]
# ```{glue:figure} emotions_jaffe
# :name: fig-emotions-jaffe
# :alt: Test faces of JAFFE, each beside a bar chart of the seven class probabilities.
#
# The same on JAFFE test faces: {glue:text}`emotions_kind_jaffe`.
# ```
#
# ## CK+ (7 classes)

# %% tags=["hide-input"]
emotion_panel("ckplus")

# %% [markdown]
# ```{glue:figure} emotions_ckplus
# :name: fig-emotions-ckplus
# :alt: Test faces of CK+ (7 classes), each beside a bar chart of the seven class probabilities.
#
# The same on CK+ (7 classes) test faces: {glue:text}`emotions_kind_ckplus`.
# ```
#
# ## Any image: `python -m ferlib predict`
#
# The faces above come from the data sets' own crops. To try a trained network on any
# image, `python -m ferlib predict IMAGE... --run RUN_ID` finds each face with the
# loaders' Haar cascade, crops and resizes it as they do, and prints the network's seven
# probabilities (`--out` writes the image with each face boxed and labelled). The same
# function (`ferlib.predict.predict_images`) reads image files here: one synthetic
# person drawn with each expression and saved as PNG (and, with a data directory, JAFFE's
# own photographs). Where the weights of the FER2013 network are at hand (a network
# trained on your own computer), it gives each face its seven probabilities; the results
# that come with this book hold each network's predictions but not its weights, so below
# are the faces the detector finds and crops, which is what the network would be given.

# %% tags=["hide-input"]
# --- begin: predict on image files (ferlib.predict), as the command does ---
import tempfile
from pathlib import Path

from PIL import Image

from ferlib import predict
from ferlib.datasets import find_datasets
from ferlib.datasets.jaffe import parse_jaffe_name
from ferlib.labels import EMOTIONS


def image_files(folder):
    """Synthetic faces saved as PNG files in ``folder`` (one per class) and, with a data
    directory, one JAFFE photograph per class: ``(paths, true classes)``."""
    paths, truth = [], []
    for emotion in EMOTIONS:
        path = Path(folder) / f"synthetic-{emotion}.png"
        Image.fromarray(predict.synthetic_picture(emotion)).save(path)
        paths.append(path)
        truth.append(EMOTIONS.index(emotion))
    jaffe = find_datasets(data_dir).get("jaffe") if data_dir is not None else None
    if jaffe is not None and Path(jaffe).is_dir():  # a pack holds arrays, not photographs
        first = {}
        for path in sorted(Path(jaffe).glob("*.tif*")):
            first.setdefault(parse_jaffe_name(path)[1], path)
        paths += [first[label] for label in sorted(first)]
        truth += sorted(first)
    return paths, truth


picked = chapter.pick_run("fer2013", model=analysis_model, quiet=True)
with tempfile.TemporaryDirectory() as folder:
    files, truth = image_files(folder)
    if picked is not None and picked[1].has_model:
        (model_id, _, _), run = picked
        found = predict.predict_images(files, predict.load_run_model(run.id, run.path.parent))
        first = [(item.faces[0], item.probabilities[0], label) for item, label in zip(found, truth)]
        display(Markdown(f"Model {model_id} trained on FER2013, run `{run.id}`; the first face found in "
                         f"each of {len(files)} image files."))
        glue("predict_files_kind", f"the first face found in each file and Model {model_id}'s seven probabilities "
                                   f"for it", display=False)
        glue_figure("predict_files", figures.emotion_analysis_figure(
            [f for f, _, _ in first], [p for _, p, _ in first], [t for _, _, t in first],
            captions=[p.name for p in files]))
    else:
        crops = [predict.image_faces(path)[2][0] for path in files]
        display(Markdown("No FER2013 network with its weights is at hand here (the results hold "
                         "predictions, not weights), so these are the faces the detector finds and crops in the image files. With a "
                         "run trained on your own computer, `python -m ferlib predict` gives their seven "
                         "probabilities."))
        glue("predict_files_kind", "the faces the detector finds and crops in the files (no network: the "
                                   "results hold no weights)", display=False)
        glue_figure("predict_files", figures.sample_faces_figure(crops, truth, per_class=1, seed=seed,
                                                                 title="Faces found in the image files"))
# --- end: predict on image files ---

# %% [markdown]
# ```{glue:figure} predict_files
# :name: fig-predict-files
# :alt: Faces found in image files of synthetic people, one per expression.
#
# Image files read as `python -m ferlib predict` reads them: {glue:text}`predict_files_kind`.
# ```

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-emotions-confidence
#
# Rerun this chapter with `-p faces_per_dataset 6`. Find a face that the network gets
# wrong with a high probability on the wrong class. What does that say about reading a
# probability as confidence?
# ```
#
# ```{solution} ex-emotions-confidence
# :class: dropdown
#
# A softmax output always sums to one, and networks trained with cross-entropy are
# often overconfident: a wrong answer can carry 0.9. A probability is a score, not a
# calibrated chance of being right, until it has been checked against how often
# answers of that score are right.
# ```

# %% tags=["remove-input"]
chapter.clock.box(faces_per_dataset=faces_per_dataset)
