# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Data generator and augmentation

# %% tags=["parameters", "remove-cell"]
data_dir = None  # the real data root; None: the results in results/paper (other profiles: synthetic faces)
profile = "paper"  # paper, quick or smoke (ferlib.config.PROFILES)
seed = 0  # the seed of the class balancing and of the augmentations shown
store = "results/paper"  # where runs are kept; relative paths start at the project root
cache_dir = None  # where parsed real data is cached
faces = 4  # training faces shown, each with its augmented copies

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import augment, figures, findings, tables
from ferlib.chapter import STAND_IN, glue_figure, open_chapter, stand_in_faces
from ferlib import formatting as fmt
from ferlib.config import PROFILES

chapter = open_chapter("03_augmentation", profile=profile, data_dir=data_dir, store=store, seed=seed,
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
# noise. `ferlib.augment` implements both: an index sampler that repeats images of the
# smaller classes in every epoch, and the paper's augmentation as Keras preprocessing
# layers. The protocol uses the sampler only, so a repeated image is an identical copy:
# in the sensitivity study, training without augmentation had the best validation
# accuracy ({doc}`09_protocol`). This chapter shows each operation on the same faces
# (the paper's Fig. 6) and the class counts a training epoch sees before and after
# balancing.

# %% tags=["hide-input"]
display(Markdown(chapter.description))

# %% [markdown]
# ## Each augmentation on the same faces (Fig. 6)
#
# ```{glue:figure} augmentation_grid
# :name: fig-augmentation
# :alt: A grid of small grey faces. Each row is one face; the columns show it unchanged, flipped, rotated, zoomed, shifted, blurred, with noise, and with all operations together.
#
# Each augmentation of the paper on the same faces (the paper's Fig. 6): the original,
# each operation alone, then all of them together as the sensitivity study's runs with
# augmentation apply them. {glue:text}`augmentation_faces`.
# ```

# %% tags=["remove-input"]
fer = views["fer2013"]
if fer.dataset is None:
    train_faces, train_labels = stand_in_faces("fer2013", faces, seed=seed)
    faces_kind = f"The faces are {STAND_IN} drawn by ferlib in FER2013's style, not photographs of it"
else:
    train_faces, train_labels = fer.dataset.images[fer.split == "train"], fer.dataset.labels[fer.split == "train"]
    faces_kind = f"The faces are from the training part of {fer.title}"
picked = tables.example_indices(train_labels, n=faces, seed=seed)
glue("augmentation_faces", faces_kind, display=False)
glue_figure("augmentation_grid", figures.augmentation_figure(augment.augmentation_grid(train_faces[picked], seed=seed)))

# %% [markdown]
# ## Class balance before and after the generator
#
# The training part of each data set as the runs use it; "after" is one epoch of the
# balancing sampler, which raises every class to the largest one.

# %% tags=["hide-input"]
fmt.table(balance["fer2013"], [fmt.text("emotion", "class"), fmt.number("before"), fmt.number("after"),
                               fmt.number("before_percent", "before, %", digits=1),
                               fmt.number("after_percent", "after, %", digits=1)],
          filename="class-balance-fer2013.csv")

# %% [markdown]
# ```{glue:figure} balance_fer2013
# :name: fig-balance-fer2013
# :alt: Bar chart of FER2013 training images per class, before balancing (uneven bars) and after (equal bars).
#
# FER2013's training part per class, before and after one epoch of the balancing sampler.
# ```
#
# ```{glue:figure} balance_ckplus
# :name: fig-balance-ckplus
# :alt: Bar chart of CK+ training images per class, before and after balancing.
#
# The same for CK+ (7 classes): the neutral class, half the images, sets the size of
# every class after balancing.
# ```
#
# ```{glue:figure} balance_jaffe
# :name: fig-balance-jaffe
# :alt: Bar chart of JAFFE training images per class, before and after balancing; the bars barely change.
#
# The same for JAFFE, whose classes are almost equal to begin with.
# ```

# %% tags=["remove-input"]
for name, view in views.items():
    glue_figure(f"balance_{name}", figures.balancing_figure(balance[name], title=f"{view.title} training set"))

# %% tags=["hide-input"]
ratio = balance["fer2013"]["after"].sum() / balance["fer2013"]["before"].sum()
glue("fer2013_epoch_growth", float(ratio), display=False)
display(Markdown(f"Balancing makes a FER2013 epoch {ratio:.2f} times as long as its training set."))

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-augmentation-flip
#
# Which of the paper's augmentations can change the expression a face shows, and which
# cannot? Think of a horizontal flip, a rotation of 10 degrees and a strong crop.
# ```
#
# ```{solution} ex-augmentation-flip
# :class: dropdown
#
# A flip or a small rotation keeps the expression: a smile is still a smile. A crop that
# cuts off the mouth or the brows removes what tells the classes apart, and so does a
# blur strong enough to erase the wrinkles of disgust. Augmentation must be weak enough
# to keep the label true; the paper gives no strengths, so the sensitivity study tried
# two ({doc}`09_protocol`).
# ```
#
# ```{exercise}
# :label: ex-augmentation-balance
#
# With the table above, compute how many times each FER2013 disgust image is seen in
# one balanced epoch. Why can repeating a few images so often hurt?
# ```
#
# ```{solution} ex-augmentation-balance
# :class: dropdown
#
# Divide the "after" count of disgust by its "before" count: each disgust image is
# seen some sixteen times per epoch. Without augmentation those are identical copies,
# which a network with millions of weights can learn by heart (overfitting), so its
# accuracy on new disgust faces gains little.
# ```

# %% tags=["remove-input"]
chapter.clock.box(faces=faces)
