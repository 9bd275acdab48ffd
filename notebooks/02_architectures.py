# %% [markdown]
# # The three architectures

# %% tags=["parameters"]
models = [1, 2, 3]  # the models to build and check

# %%
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import findings
from ferlib import formatting as fmt
from ferlib import tables
from ferlib.chapter import validate_parameters

models = validate_parameters(models=models)["models"]
counts = tables.parameter_table(models)
layer_tables = {model: tables.architecture_table(model) for model in models}
findings.box(findings.architecture_findings(counts, layer_tables))

# %% [markdown]
# Section 3 of the paper {cite}`borgalli2022` gives each model as a Keras summary table:
# layer, output shape and parameter count. The paper leaves kernel sizes, padding,
# pooling and dropout rates implicit; `ferlib.models` chooses the ones that reproduce
# every shape and count of the tables. This notebook builds our models and checks them
# against the paper's tables, row by row.

# %% [markdown]
# ## One call builds a network
#
# `ferlib.models.build_model` makes each of the three networks as a Keras model; this
# cell's code is shown, the others' are behind their toggles.

# %% tags=["show-input"]
from ferlib.models import build_model, layer_table

network = build_model(models[0])

# %% tags=["remove-input"]
Markdown(f"Model {models[0]}: {network.count_params():,} parameters in the {len(layer_table(models[0]))} layers "
         f"of the table below (plus a weightless input scaling the paper's tables leave out), "
         f"from a {network.input_shape[1]}×{network.input_shape[2]} grey face to {network.output_shape[1]} "
         f"class probabilities.")

# %% [markdown]
# ## Parameter counts
#
# `matches` is true when the total and the non-trainable counts equal the paper's.

# %%
glue("all_parameter_counts_match", "yes" if bool(counts["matches"].all()) else "no", display=False)
fmt.table(counts, [fmt.text("model"), fmt.number("params", "parameters"), fmt.number("trainable"),
                   fmt.number("non_trainable", "non-trainable"), fmt.number("paper_params", "paper: parameters"),
                   fmt.number("paper_non_trainable", "paper: non-trainable"), fmt.yes_no("matches")])

# %% [markdown]
# ## Layer by layer
#
# Our layers (output shape per image and parameters) beside the paper's; `matches`
# checks name, shape and count of each row. The weightless input scaling layer (0..255
# to 0..1), which the paper's tables do not list, is left out.

# %%
for model, table in layer_tables.items():
    display(Markdown(f"### Model {model}: {int(table['matches'].sum())} of {len(table)} rows match"))
    display(fmt.table(table, [fmt.text("layer"), fmt.shape("output_shape", "output shape"),
                              fmt.number("params", "parameters"), fmt.shape("paper_output_shape", "paper's shape"),
                              fmt.number("paper_params", "paper's parameters"), fmt.yes_no("matches")],
                      missing="the other table has no layer in this row"))
glue("all_layers_match", "yes" if all(t["matches"].all() for t in layer_tables.values()) else "no",
     display=False)
