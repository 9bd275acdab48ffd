# %% [markdown]
# # Data generator and augmentation

# %% tags=["parameters"]
data_dir = None  # the real data root; None: synthetic faces (paper profile: the committed results)
profile = "smoke"  # smoke, quick or paper (ferlib.config.PROFILES)
seed = 0
store = "runs"  # the run store (for the committed results: results/paper)
cache_dir = None  # where parsed real data is cached
faces = 4

# %%
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import augment, figures, findings, tables
from ferlib.chapter import open_chapter, show
from ferlib import formatting as fmt
from ferlib.config import PROFILES

chapter = open_chapter(profile=profile, data_dir=data_dir, store=store, seed=seed,
                       cache_dir=cache_dir, faces=faces)  # checks every parameter first
views = chapter.dataset_views()
balance = {}
for name, view in views.items():
    before = view.train_labels
    after = before[augment.balanced_indices(before, seed=seed)]
    balance[name] = augment.class_balance_table(before, after)
findings.box(findings.augmentation_findings(balance, views,
                                           min_epoch_images=PROFILES[profile].get("min_epoch_images")))

# %% [markdown]
# Section 6 of the paper {cite}`borgalli2022` balances the classes of the training data
# and makes new training images by flipping, rotating, cropping, blurring and adding
# noise. `ferlib.augment` implements both: an index sampler that repeats minority-class
# images every epoch, and the paper's augmentation as Keras preprocessing layers, which
# run on the accelerator during training. The settled protocol uses the sampler only, so
# a repeated image is an identical copy: the first round of the sensitivity study chose
# to train without augmentation (see the protocol page). The augmentation is used by the
# study's augmentation cells and by the runs of the first recipe. This notebook shows each
# operation on the same faces (the paper's Fig. 6) and the class counts a training epoch
# sees before and after balancing.

# %%
display(Markdown(chapter.description))

# %% [markdown]
# ## Each augmentation on the same faces (Fig. 6)
#
# Columns: the original, then each operation alone, then all of them together as the
# runs that augment apply them (flip and blur to a random half of the images); the
# protocol's runs do not. Like the sample faces, the grid needs images: it is left out
# when the book shows committed results.

# %%
fer = views["fer2013"]
if fer.dataset is None:
    display(Markdown("No augmentation grid in a book built from the committed results (it needs the "
                     "images); rebuild with `--data-dir` to see it."))
else:
    train_faces = fer.dataset.images[fer.split == "train"]
    picked = tables.example_indices(fer.dataset.labels[fer.split == "train"], n=faces, seed=seed)
    show(figures.augmentation_figure(augment.augmentation_grid(train_faces[picked], seed=seed)))

# %% [markdown]
# ## Class balance before and after the generator
#
# The training part of each data set as the runs of this profile use it; "after" is one
# epoch of the balancing sampler, which raises every class to the largest one.

# %%
fmt.table(balance["fer2013"], [fmt.text("emotion", "class"), fmt.number("before"), fmt.number("after"),
                               fmt.number("before_percent", "before, %", digits=1),
                               fmt.number("after_percent", "after, %", digits=1)])

# %%
show(figures.balancing_figure(balance["fer2013"], title="FER2013 training set"))

# %%
show(figures.balancing_figure(balance["ckplus"], title="CK+ training set"))

# %%
show(figures.balancing_figure(balance["jaffe"], title="JAFFE training set"))

# %%
ratio = balance["fer2013"]["after"].sum() / balance["fer2013"]["before"].sum()
glue("fer2013_epoch_growth", float(ratio), display=False)
display(Markdown(f"Balancing makes a FER2013 epoch {ratio:.2f} times as long as its training set."))
