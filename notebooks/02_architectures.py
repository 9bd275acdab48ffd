# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The three architectures

# %% tags=["parameters", "remove-cell"]
models = [1, 2, 3]  # the models to build and check

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from ferlib import findings
from ferlib import formatting as fmt
from ferlib import tables
from ferlib.chapter import PageClock, long_table, validate_parameters

clock = PageClock("02_architectures")
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

# %% tags=["hide-input"]
glue("all_parameter_counts_match", "yes" if bool(counts["matches"].all()) else "no", display=False)
fmt.table(counts, [fmt.text("model"), fmt.number("params", "parameters"), fmt.number("trainable"),
                   fmt.number("non_trainable", "non-trainable"), fmt.number("paper_params", "paper: parameters"),
                   fmt.number("paper_non_trainable", "paper: non-trainable"), fmt.yes_no("matches")],
          filename="parameter-counts.csv")

# %% [markdown]
# ## Layer by layer
#
# Our layers (output shape per image and parameters) beside the paper's; `matches`
# checks name, shape and count of each row. The weightless input scaling layer (0..255
# to 0..1), which the paper's tables do not list, is left out.

# %% tags=["hide-input"]
for model, table in layer_tables.items():
    display(Markdown(f"### Model {model}: {int(table['matches'].sum())} of {len(table)} rows match"))
    display(long_table(table, [fmt.text("layer"), fmt.shape("output_shape", "output shape"),
                               fmt.number("params", "parameters"), fmt.shape("paper_output_shape", "paper's shape"),
                               fmt.number("paper_params", "paper's parameters"), fmt.yes_no("matches")],
                       title=f"Model {model}, every layer", filename=f"model-{model}-layers.csv",
                       missing="the other table has no layer in this row"))
glue("all_layers_match", "yes" if all(t["matches"].all() for t in layer_tables.values()) else "no",
     display=False)

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-architectures-count
#
# Model 2's first layer is a convolution with 64 filters of 5×5 pixels on a grey
# image. Count its parameters by hand (each filter has one weight per pixel and one
# bias), and check your count against the table.
# ```
#
# ```{solution} ex-architectures-count
# :class: dropdown
#
# 64 × (5 × 5 × 1 + 1) = 1,664, the count in the table's first row. A convolution's
# parameters depend on the filter size and the number of channels, not on the image
# size: that is why a convolution has so few weights next to a dense layer.
# ```
#
# ```{exercise}
# :label: ex-architectures-dense
#
# Where do most of Model 1's twenty million parameters sit? Build it with
# `build_model(1)` and call `.summary()`. What does that say about the risk of
# overfitting a small data set such as JAFFE?
# ```
#
# ```{solution} ex-architectures-dense
# :class: dropdown
#
# In its first dense layer: 18,432 flattened features times 1,024 units, about 18.9
# million weights. A network with over a hundred thousand times more weights than JAFFE has
# training images can learn each image by heart; dropout after the dense layers, and
# the pooling that shrinks the image first, are the paper's guards against that.
# ```

# %% tags=["remove-input"]
clock.box(models=[2])
