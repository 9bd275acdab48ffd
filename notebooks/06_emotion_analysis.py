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

# %% [markdown]
# ## Any image: `python -m ferlib predict`
#
# The faces above come from the data sets' own crops. To try a trained network on any
# image, `python -m ferlib predict IMAGE... --run RUN_ID` finds each face with the
# loaders' Haar cascade, crops and resizes it as they do, and prints the network's seven
# probabilities (`--out` writes the image with each face boxed and labelled). The same
# function (`ferlib.predict.predict_images`) reads image files here: one synthetic
# person drawn with each expression and saved as PNG (and, with a data directory, JAFFE's
# own photographs), predicted by the FER2013 network of this page.

# %%
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
        show(figures.emotion_analysis_figure([f for f, _, _ in first], [p for _, p, _ in first],
                                             [t for _, _, t in first], captions=[p.name for p in files]))
    else:
        crops = [predict.image_faces(path)[2][0] for path in files]
        display(Markdown("The committed runs keep no weights (results in git hold none), so no network "
                         "predicts here; these are the faces the detector finds and crops in the image "
                         "files. With a run trained into a local store, `python -m ferlib predict` "
                         "gives their seven probabilities."))
        show(figures.sample_faces_figure(crops, truth, per_class=1, seed=seed,
                                         title="Faces found in the image files"))
# --- end: predict on image files ---
