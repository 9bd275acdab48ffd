# %% [markdown]
# # The data sets

# %% tags=["parameters"]
data_dir = None  # the real data root; None: synthetic faces (paper profile: the committed results)
profile = "smoke"  # smoke, quick or paper (ferlib.config.PROFILES)
seed = 0
store = "runs"  # the run store (for the committed results: results/paper)
cache_dir = None  # where parsed real data is cached
faces_per_class = 4

# %%
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import claims, figures, findings, paper
from ferlib.chapter import open_chapter, show
from ferlib import formatting as fmt

chapter = open_chapter(profile=profile, data_dir=data_dir, store=store, seed=seed,
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

# %%
display(Markdown(chapter.description))

# %% [markdown]
# ## Images per class and split (Table 1)
#
# The `paper` column is the paper's Table 1, with its 18 CK+ contempt sequences counted
# as disgust, as its section 5B does (so the column adds up to the paper's total of 654).
# For CK+ the paper counts one peak frame per
# labelled sequence and the first frame of every sequence as neutral; on the real data
# the protocol uses that seven-class set (the common CK+48 release has no neutral frames;
# its runs are kept outside the protocol). Where a table has a `sequences` column, it
# counts labelled sequences per class. The splits are the paper's: FER2013's official
# one, JAFFE 60/20/20 and CK+ 70/10/20 (sequences kept whole).

# %% [markdown]
# ### FER2013

# %%
fmt.table(views["fer2013"].table.reset_index())

# %% [markdown]
# ### CK+

# %%
fmt.table(views["ckplus"].table.reset_index())

# %% [markdown]
# ### JAFFE

# %%
fmt.table(views["jaffe"].table.reset_index())

# %% [markdown]
# What the loaders mapped, dropped or repaired, and where the paper's Table 1 is off:

# %%
display(Markdown("\n".join([*(f"- {view.title}: {note}" for view in views.values() for note in view.notes),
                            *(f"- The paper: {erratum}" for erratum in paper.ERRATA)])))

# %% [markdown]
# ## Sample faces (Figs. 3-5)
#
# One row per class, drawn at random with the notebook's seed. The faces appear only
# when the book is built from data (real or synthetic), never from the committed results.

# %%
for name, view in views.items():
    if view.dataset is None:
        display(Markdown(f"{view.title}: no sample faces in a book built from the committed results; "
                         f"rebuild with `--data-dir` to see them."))
        continue
    show(figures.sample_faces_figure(view.dataset.images, view.dataset.labels,
                                          per_class=faces_per_class, seed=seed,
                                          title=view.title))

# %% [markdown]
# ## Class imbalance
#
# Disgust is rare in FER2013; this is what the paper's data generator balances (see
# the augmentation notebook).

# %%
counts = {view.dataset.name if view.dataset is not None else name: view.class_counts
          for name, view in views.items()}
show(figures.class_counts_figure(counts))

# %%
fer_counts, fer_images = views["fer2013"].class_counts, views["fer2013"].images
glue("fer2013_disgust_share", float(fer_counts["disgust"] / fer_images), display=False)
glue("fer2013_largest_to_smallest", float(max(fer_counts.values()) / max(1, min(fer_counts.values()))),
     display=False)
display(Markdown(f"In FER2013, disgust is {fer_counts['disgust'] / fer_images:.1%} of the images; the largest "
                 f"class is {max(fer_counts.values()) / max(1, min(fer_counts.values())):.1f} times the smallest."))
