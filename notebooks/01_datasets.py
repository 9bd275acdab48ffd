# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The data sets

# %% tags=["parameters", "remove-cell"]
data_dir = None  # the real data root; None: the results in results/paper (other profiles: synthetic faces)
profile = "paper"  # paper, quick or smoke (ferlib.config.PROFILES)
seed = 0  # the seed that picks the faces shown
store = "results/paper"  # where runs are kept; relative paths start at the project root
cache_dir = None  # where parsed real data is cached
faces_per_class = 4  # faces shown of each class, per data set

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import claims, figures, findings, paper
from ferlib.chapter import STAND_IN, glue_figure, open_chapter, stand_in_faces
from ferlib import formatting as fmt

chapter = open_chapter("01_datasets", profile=profile, data_dir=data_dir, store=store, seed=seed,
                       cache_dir=cache_dir, faces_per_class=faces_per_class)  # checks every parameter first
views = chapter.dataset_views()
counts = claims.count_claims(chapter.dataset_summaries())
for name, view in views.items():
    glue(f"{name}_images", view.images, display=False)
findings.box(findings.datasets_findings(views, counts))

# %% [markdown]
# Section 4 of the paper {cite}`borgalli2022` trains on FER2013 {cite}`goodfellow2013fer`
# and transfers to CK+ {cite}`lucey2010ckplus` and JAFFE {cite}`lyons1998jaffe`. This
# notebook counts the images per class and split part (the paper's Table 1 beside ours),
# shows sample faces of every class (the paper's Figs. 3-5) and the class imbalance that
# the data generator of section 6 has to correct.

# %% tags=["hide-input"]
display(Markdown(chapter.description))

# %% [markdown]
# ## Images per class and split (Table 1)
#
# The `paper` column is the paper's Table 1, with its 18 CK+ contempt sequences counted
# as disgust, as its section 5B does (so the column adds up to the paper's total of 654).
# For CK+ the paper counts one peak frame per labelled sequence and the first frame of
# every sequence as neutral: CK+ (7 classes), the set the protocol uses (the common
# release, CK+48 (6 classes), has no neutral frames; its runs are kept outside the
# protocol). Where a table has a `sequences` column, it
# counts labelled sequences per class. The splits are the paper's: FER2013's official
# one, JAFFE 60/20/20 and CK+ 70/10/20 (sequences kept whole).

# %% [markdown]
# ### FER2013

# %% tags=["hide-input"]
fmt.table(views["fer2013"].table.reset_index(), filename="images-fer2013.csv")

# %% [markdown]
# ### CK+ (7 classes)

# %% tags=["hide-input"]
fmt.table(views["ckplus"].table.reset_index(), filename="images-ckplus7.csv")

# %% [markdown]
# ### JAFFE

# %% tags=["hide-input"]
fmt.table(views["jaffe"].table.reset_index(), filename="images-jaffe.csv")

# %% [markdown]
# What the loaders mapped, dropped or repaired, and where the paper's Table 1 is off
# (folded: the loaders' own notes, file by file):

# %% tags=["remove-input", "hide-output"]
display(Markdown("\n".join([*(f"- {view.title}: {note}" for view in views.values() for note in view.notes),
                            *(f"- The paper: {erratum}" for erratum in paper.ERRATA)])))

# %% [markdown]
# ## Sample faces (Figs. 3-5)
#
# One row per class, drawn at random with the chapter's seed.
# {glue:text}`faces_note`
#
# ```{glue:figure} faces_fer2013
# :name: fig-faces-fer2013
# :alt: A grid of small grey faces, one row per expression from angry to neutral, four faces in each row, in the style of FER2013.
#
# Sample faces of FER2013, one row per class (the paper's Fig. 3):
# {glue:text}`faces_kind_fer2013`.
# ```
#
# ```{glue:figure} faces_ckplus
# :name: fig-faces-ckplus
# :alt: A grid of small grey faces, one row per expression from angry to neutral, in the style of CK+.
#
# Sample faces of CK+, one row per class (the paper's Fig. 4):
# {glue:text}`faces_kind_ckplus`.
# ```
#
# ```{glue:figure} faces_jaffe
# :name: fig-faces-jaffe
# :alt: A grid of small grey faces, one row per expression from angry to neutral, in the style of JAFFE.
#
# Sample faces of JAFFE, one row per class (the paper's Fig. 5):
# {glue:text}`faces_kind_jaffe`.
# ```

# %% tags=["remove-input"]
for name, view in views.items():
    if view.dataset is None:
        images, labels = stand_in_faces(name, faces_per_class, seed=seed)
        kind = (f"{STAND_IN}, drawn by ferlib in the style of {figures.dataset_title(name)}, "
                f"not photographs of the data set")
        title = f"{figures.dataset_title(name)}: {STAND_IN}"
    else:
        images, labels = view.dataset.images, view.dataset.labels
        kind = (f"{STAND_IN} drawn by ferlib" if "synthetic" in view.dataset.name
                else f"faces of the data set as the runs read them ({view.title})")
        title = view.title
    glue(f"faces_kind_{name}", kind, display=False)
    glue_figure(f"faces_{name}", figures.sample_faces_figure(images, labels, per_class=faces_per_class,
                                                             seed=seed, title=title))
glue("faces_note", "The data sets' licences do not allow their photographs in this book, so these "
     "faces are ferlib's synthetic stand-ins, drawn from facial geometry in the style of each data set "
     "(`python -m ferlib book --data-dir DATA` shows the real faces)." if not chapter.has_images
     else chapter.description, display=False)

# %% [markdown]
# ## Class imbalance
#
# Disgust is rare in FER2013; this is what the paper's data generator balances (see the
# augmentation chapter).
#
# ```{glue:figure} class_counts
# :name: fig-class-counts
# :alt: Three bar charts, one per data set, one above the other, with the number of images of each of the seven classes labelled on the bars.
#
# Images per class in each data set. FER2013's classes are far from balanced; CK+ (7
# classes) is half neutral.
# ```

# %% tags=["remove-input"]
counts = {view.dataset.name if view.dataset is not None else view.name: view.class_counts
          for name, view in views.items()}
glue_figure("class_counts", figures.class_counts_figure(counts))

# %% tags=["hide-input"]
fer_counts, fer_images = views["fer2013"].class_counts, views["fer2013"].images
glue("fer2013_disgust_share", float(fer_counts["disgust"] / fer_images), display=False)
glue("fer2013_largest_to_smallest", float(max(fer_counts.values()) / max(1, min(fer_counts.values()))),
     display=False)
display(Markdown(f"In FER2013, disgust is {fer_counts['disgust'] / fer_images:.1%} of the images; the largest "
                 f"class is {max(fer_counts.values()) / max(1, min(fer_counts.values())):.1f} times the smallest."))

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-datasets-majority
#
# From the CK+ (7 classes) table above, compute the accuracy of a "network" that
# answers "neutral" for every test face. Why must every CK+ accuracy in this book be
# read beside that number?
# ```
#
# ```{solution} ex-datasets-majority
# :class: dropdown
#
# Every labelled sequence gives one neutral first frame and one peak frame, so half the
# test faces are neutral and always answering "neutral" scores about 50%. An accuracy
# of 50% on CK+ (7 classes) shows no learning at all, where on balanced JAFFE it would
# be three and a half times chance. The results chapter draws this majority-class line
# beside every accuracy.
# ```
#
# ```{exercise}
# :label: ex-datasets-faces
#
# Run this chapter alone with more faces per class (`-p faces_per_class 8` in the
# command at the end of the page). Do the synthetic faces of one class look alike?
# What varies between them?
# ```
#
# ```{solution} ex-datasets-faces
# :class: dropdown
#
# Faces of one class share the geometry of their expression (the corners of the mouth,
# the brows, the eyes) and differ in the person (face shape, proportions) and the
# picture (light, blur, noise, position): the same kinds of variation a network must
# learn to ignore on real faces.
# ```

# %% tags=["remove-input"]
chapter.clock.box(faces_per_class=faces_per_class)
