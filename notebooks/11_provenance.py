# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Provenance: the run behind every number

# %% tags=["parameters", "remove-cell"]
results_dir = None  # the results this page reads; None: results/paper of this project

# %% tags=["remove-cell"]
import pandas as pd
from myst_nb import glue

from ferlib import provenance
from ferlib import formatting as fmt
from ferlib import results as committed
from ferlib.chapter import long_table, open_results

results_dir, clock = open_results("11_provenance", results_dir=results_dir)  # checks the parameter first
runs = committed.committed_runs(results_dir)
listing = provenance.run_listing(runs)
glue("provenance_runs", len(listing), display=False)

# %% [markdown]
# Every number of the book comes from a run kept in `results/paper`: one folder per
# run, named by its *run id*. The id is computed from the run's settings, a fingerprint
# of its data and the version of ferlib's numerics, so the same settings on the same
# data always give the same id, and a changed setting a new one. Each folder holds the
# settings, the training history, the metrics and every prediction, with a checksum
# of each file. This page lists all {glue:text}`provenance_runs` of them by the role
# they play in the book; the other pages name runs by what they are (model, data set,
# training, seed).
#
# ## The paper's experiments

# %% tags=["hide-input"]
COLUMNS = [fmt.code("run_id", "run id"), fmt.text("experiment"), fmt.number("seed"),
           fmt.percent("accuracy", "test accuracy")]
long_table(listing[listing["role"] == provenance.ROLES[0]], COLUMNS, title="Runs of the paper's experiments",
           filename="runs-protocol.csv")

# %% [markdown]
# ## The sensitivity study

# %% tags=["hide-input"]
long_table(listing[listing["role"] == provenance.ROLES[1]], [*COLUMNS, fmt.text("setting", "setting changed")],
           title="Runs of the sensitivity study", filename="runs-study.csv")

# %% [markdown]
# ## Subject-independent folds

# %% tags=["hide-input"]
long_table(listing[listing["role"] == provenance.ROLES[2]], [*COLUMNS, fmt.number("fold")],
           title="Runs on subject-independent folds", filename="runs-folds.csv")

# %% [markdown]
# ## Other settings
#
# Runs whose settings differ from the protocol's in the way the last column says.

# %% tags=["hide-input"]
long_table(listing[listing["role"] == provenance.ROLES[3]], [*COLUMNS, fmt.text("setting", "settings")],
           title="Runs with other settings", filename="runs-other.csv")

# %% tags=["remove-input"]
clock.box()
