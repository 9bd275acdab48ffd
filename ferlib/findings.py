"""What each chapter of the book found, in words, computed from the runs.

Every function here takes what a chapter has already computed (tables of
:mod:`ferlib.tables`, :mod:`ferlib.claims`, :mod:`ferlib.compare`) and returns text:
sentences for the "What we found" box at the top of a chapter, or values that the
prose pages glue in. No number is typed here; each comes from its argument, and a
sentence says so plainly when a build has no run to support it.
"""

from __future__ import annotations

import pandas as pd

from ferlib.formatting import DASH, percent_text, points_text, range_text


def range_glues(ranges: pd.DataFrame, results: pd.DataFrame, *, quoted_fer2013: float) -> dict:
    """The values the conclusions glue for the paper's quoted ranges and ours.

    Args:
        ranges: :func:`ferlib.tables.range_table` output.
        results: :func:`ferlib.tables.results_table` output.
        quoted_fer2013: the paper's single FER2013 figure (:data:`ferlib.paper.QUOTED_FER2013_ACCURACY`).

    Returns:
        ``{"paper_<dataset>_<training>_range": "60.5% to 74.4%", "ours_...": ...,
        "paper_fer2013_quoted": "about 62%", "ours_fer2013_range": ...}``; a range with no
        run of ours is a dash.
    """
    values = {}
    for row in ranges.itertuples():
        key = f"{row.dataset}_{row.training.replace('-', '_')}"
        values[f"paper_{key}_range"] = range_text(row.paper_low, row.paper_high)
        values[f"ours_{key}_range"] = range_text(row.ours_low, row.ours_high)
    fer = results.loc[results["dataset"] == "fer2013", "ours"].dropna()
    values["paper_fer2013_quoted"] = f"about {percent_text(quoted_fer2013, 0)}"
    values["ours_fer2013_range"] = range_text(fer.min(), fer.max()) if len(fer) else DASH
    return values


def finetune_sentence(summary: dict) -> str:
    """What our runs say about fine-tuning, from :func:`ferlib.tables.finetune_summary`:
    ``"fine-tuning beat training from scratch in 1 of 2 comparisons, by +3.1 points on
    average"``, or that no pair of runs can be compared."""
    if not summary["compared"]:
        return ("no model has both a run from scratch and a fine-tuned run on the same data set, "
                "so none of our runs can test this yet")
    return (f"fine-tuning beat training from scratch in {summary['helped']} of {summary['compared']} "
            f"comparisons, by {points_text(summary['ours_mean_gain'])} points on average")
