# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reproducibility: software, hardware and compute

# %% tags=["parameters", "remove-cell"]
results_dir = None  # the results this page reads; None: results/paper of this project

# %% tags=["remove-cell"]
import platform

from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import summary
from ferlib import formatting as fmt
from ferlib import results as committed
from ferlib.chapter import long_table, open_results
from ferlib.sphinxext import build_stamp

results_dir, clock = open_results("10_reproducibility", results_dir=results_dir)  # checks the parameter first
runs = committed.committed_runs(results_dir)
compute = summary.compute_table(runs)
trained_with = summary.environments(runs)
stamp = build_stamp()
glue("repro_runs", len(runs), display=False)
glue("repro_hours", f"{compute['train_hours'].sum():.1f}", display=False)
glue("repro_commit", stamp["commit"], display=False)
glue("repro_version", stamp["version"], display=False)
glue("repro_date", stamp["date"], display=False)

# %% [markdown]
# This page says what every number of the book was computed with, how long it took,
# and how to compute it again. This build of the book is ferlib
# {glue:text}`repro_version` at commit {glue:text}`repro_commit`, built on
# {glue:text}`repro_date` (every page's footer says the same).
#
# ## The software and the processor of the runs
#
# Each run records, when it is trained, the versions of Python, TensorFlow, Keras and
# NumPy it ran with, the Keras backend and the processor. The
# {glue:text}`repro_runs` runs behind the book were trained with:

# %% tags=["hide-input"]
fmt.table(trained_with, [fmt.text("python", "Python"), fmt.text("tensorflow", "TensorFlow"),
                         fmt.text("keras", "Keras"), fmt.text("numpy", "NumPy"), fmt.text("backend"),
                         fmt.text("processor"), fmt.number("cores", "CPU cores"), fmt.number("runs")],
          filename="software-of-the-runs.csv")

# %% [markdown]
# ## This build
#
# The environment that executed this page (the book reads the runs; it trains
# nothing):

# %% tags=["hide-input"]
import keras
import numpy

try:
    import tensorflow

    tensorflow_version = tensorflow.__version__
except ImportError:  # a JAX-only environment
    tensorflow_version = "not installed"


def processor_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what the platform says."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


import os

import pandas as pd

here = pd.DataFrame([{"what": "Python", "version": platform.python_version()},
                     {"what": "TensorFlow", "version": tensorflow_version},
                     {"what": "Keras", "version": keras.__version__},
                     {"what": "NumPy", "version": numpy.__version__},
                     {"what": "processor", "version": f"{processor_name()}, {os.cpu_count()} logical CPUs"},
                     {"what": "system", "version": f"{platform.system()} {platform.release()}"}])
fmt.table(here, [fmt.text("what", " "), fmt.text("version")], filename="software-of-this-page.csv")

# %% [markdown]
# ## The compute, measured
#
# Training time per kind of run and processor, as each run measured it (only the
# training loop: loading the data and testing are left out), summed over its seeds; runs
# of one kind trained on different processors are separate rows, since their speeds
# differ. All
# {glue:text}`repro_runs` runs took {glue:text}`repro_hours` hours of training on 2 CPU
# cores. CK+48 (6 classes) rows are a variant outside the protocol.

# %% tags=["hide-input"]
long_table(compute, [fmt.text("label", "experiment"), fmt.text("processor"), fmt.number("runs"),
                     fmt.Column("training in all", lambda row: summary.duration_text(3600 * row["train_hours"]), "right"),
                     fmt.Column("per run (median)", lambda row: summary.duration_text(3600 * row["hours_per_run"]), "right"),
                     fmt.number("images_per_s", "images/s"), fmt.text("precision")],
           title="Every kind of run", filename="compute.csv")

# %% [markdown]
# ## How to compute every number again
#
# The book itself, from the results kept in the repository (no data, no training; a
# few minutes on 2 CPU cores):
#
# ```bash
# pip install -r requirements.txt
# jupyter-book build .          # or: python -m ferlib book
# ```
#
# The runs themselves need the real data sets (their licences forbid copying them
# here) and the compute above: `python -m ferlib reproduce --profile paper --data-dir
# DATA` trains every experiment of the paper, and `python -m ferlib check` verifies
# that every kept run's numbers follow from its stored predictions. Each chapter ends
# with the command that executes it alone.
#
# A chapter can also be run in the browser. The rocket button at the top of its page
# opens it on Binder: JupyterLab, with the repository and its requirements installed,
# opens the chapter's source `notebooks/NN_name.py` as a notebook. Colab opens only
# `.ipynb` notebooks, and the chapters are kept as jupytext `.py` sources: convert one
# with `jupytext --to ipynb notebooks/07_results.py` in a copy of the repository,
# upload the `.ipynb` to Colab, and run it where the repository is cloned and its
# requirements are installed (the notebook reads ferlib and the results kept in the
# repository).
#
# ## How to cite
#
# Cite the paper reproduced {cite}`borgalli2022`, and this reproduction by its version
# and commit (the repository's `CITATION.cff` holds the same):

# %% tags=["remove-input"]
from ferlib.chapter import project_root
from ferlib.provenance import bibtex, citation

Markdown(f"```bibtex\n{bibtex(citation(project_root()), commit=stamp['commit'])}\n```")

# %% [markdown]
# The code is under the MIT licence (`LICENSE`). The data sets are not part of it:
# each has its own licence, for research use.

# %% tags=["remove-input"]
clock.box()
