# %% [markdown]
# # Data generator and augmentation
#
# Section 6 of the paper {cite}`borgalli2022` balances the classes of the training data
# and makes new training images by flipping, rotating, cropping, blurring and adding
# noise. `ferlib.augment` does this with Keras preprocessing layers, which run on the
# accelerator during training, and an index sampler that repeats minority-class images
# every epoch. This notebook shows each operation on the same faces (the paper's Fig. 6)
# and the class counts a training epoch sees before and after balancing.

# %% tags=["parameters"]
data_dir = None  # root of the real data sets; None: synthetic stand-ins
profile = "smoke"  # smoke, quick or paper (ferlib.config.PROFILES)
models = [1, 2, 3]
epochs = None  # None: the profile default
seed = 0
store = "runs"
cache_dir = None  # where parsed real data is cached
faces = 4

# %%
from myst_nb import glue

from ferlib import augment, book, figures, tables

fer, fer_split = book.book_dataset("fer2013", profile=profile, data_dir=data_dir,
                                   cache_dir=cache_dir, limited=True)
train_rows = fer_split == "train"
print(book.data_description(data_dir))

# %% [markdown]
# ## Each augmentation on the same faces (Fig. 6)
#
# Columns: the original, then each operation alone, then all of them together as in
# training (where flip and blur are applied to a random half of the images).

# %%
picked = tables.example_indices(fer.labels[train_rows], n=faces, seed=seed)
grid = augment.augmentation_grid(fer.images[train_rows][picked], seed=seed)
book.show(figures.augmentation_figure(grid))

# %% [markdown]
# ## Class balance before and after the generator
#
# The training part of each data set as the runs of this profile use it; "after" is one
# epoch of the balancing sampler, which raises every class to the largest one.

# %%
balance = {}
for name in ("fer2013", "ckplus", "jaffe"):
    dataset, split = book.book_dataset(name, profile=profile, data_dir=data_dir,
                                       cache_dir=cache_dir, limited=True)
    before = dataset.labels[split == "train"]
    after = before[augment.balanced_indices(before, seed=seed)]
    balance[name] = augment.class_balance_table(before, after)
balance["fer2013"]

# %%
book.show(figures.balancing_figure(balance["fer2013"], title="FER2013 training set"))

# %%
book.show(figures.balancing_figure(balance["ckplus"], title="CK+ training set"))

# %%
book.show(figures.balancing_figure(balance["jaffe"], title="JAFFE training set"))

# %%
ratio = balance["fer2013"]["after"].sum() / balance["fer2013"]["before"].sum()
glue("fer2013_epoch_growth", float(ratio), display=False)
print(f"balancing makes a FER2013 epoch {ratio:.2f} times as long as the training set")
