"""Tables for reading: a DataFrame as a Markdown table, formatted as a paper formats it.

The book shows every table through :func:`table` (or :func:`to_markdown`): the columns
to show are chosen and named, accuracies are percentages with their 95% interval, a
value that does not exist (a missing run, an undefined quantity: ``None``, ``NaN``,
``pd.NA``) is a dash, and a note under the table says what a dash means. No DataFrame
index is shown, and nothing ``NaN`` or ``None`` reaches the page. Beside each table a
link downloads its rows as CSV (:func:`csv_link`; ``filename=`` of :func:`table`).

A column is a :class:`Column`: a header, a function from a row to its text and an
alignment. The helpers below make the usual ones::

    table(results, [text("model"), dataset(), text("training"),
                    percent("paper"), percent_interval("ours", "ours_low", "ours_high")],
          missing="no committed run of this experiment", filename="accuracy_fer2013.csv")
"""

from __future__ import annotations

import base64
import dataclasses
import html
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from ferlib.labels import EMOTIONS
from ferlib.vocabulary import dataset_title, run_dataset_title

#: What a value that does not exist shows as.
DASH = "–"


def is_missing(value) -> bool:
    """Whether ``value`` stands for nothing: ``None``, ``NaN``, ``pd.NA`` or ``NaT``."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: present
        return False


def percent_text(value, digits: int = 1) -> str:
    """An accuracy fraction as a percentage: ``0.5690`` -> ``"56.9%"``; missing -> a dash."""
    if is_missing(value):
        return DASH
    return f"{100 * float(value):.{digits}f}%"


def interval_text(low, high, digits: int = 1) -> str:
    """An interval of fractions in percent: ``(0.553, 0.585)`` -> ``"[55.3, 58.5]"``;
    an empty string when either end is missing."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"[{100 * float(low):.{digits}f},\u00a0{100 * float(high):.{digits}f}]"  # no break inside


def percent_interval_text(value, low, high, digits: int = 1) -> str:
    """``"56.9% [55.3, 58.5]"``; without an interval just the percentage; missing -> a dash."""
    if is_missing(value):
        return DASH
    bounds = interval_text(low, high, digits)
    return f"{percent_text(value, digits)} {bounds}".strip()


def number_text(value, digits: int = 0, *, sign: bool = False) -> str:
    """A number with thousands separators (``3589`` -> ``"3,589"``), ``digits``
    decimals and an explicit sign when ``sign``; missing -> a dash."""
    if is_missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{float(value):{'+' if sign else ''},.{digits}f}"


def points_text(value, digits: int = 1, *, sign: bool = True) -> str:
    """A difference of two fractions in percentage points: ``-0.0468`` -> ``"-4.7"``
    (``+`` before a positive one unless ``sign`` is false)."""
    if is_missing(value):
        return DASH
    return f"{100 * float(value):{'+' if sign else ''}.{digits}f}"


def yes_no_text(value) -> str:
    """``True`` -> ``"yes"``, ``False`` -> ``"no"``, missing -> a dash."""
    if is_missing(value):
        return DASH
    return "yes" if bool(value) else "no"


def shape_text(value) -> str:
    """A Keras output shape without its batch dimension: ``"(None, 44, 44, 64)"`` ->
    ``"44×44×64"``; missing -> a dash."""
    if is_missing(value):
        return DASH
    dims = [d.strip() for d in str(value).strip("()").split(",") if d.strip()]
    if dims and dims[0] == "None":
        dims = dims[1:]
    return "×".join(dims)


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a reading table.

    Attributes:
        header: the column's heading.
        render: ``row -> str`` (``row`` is a mapping of the frame's columns).
        align: ``"left"`` or ``"right"`` (numbers).
    """

    header: str
    render: Callable[[Mapping], str]
    align: str = "left"


def _value_text(value) -> str:
    if is_missing(value):
        return DASH
    if isinstance(value, bool):
        return yes_no_text(value)
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def text(column: str, header: str | None = None, *, fmt: Callable | None = None,
         align: str = "left") -> Column:
    """The value of ``column`` as text (``fmt(value)`` when given; missing -> a dash)."""
    def render(row):
        value = row[column]
        if is_missing(value):
            return DASH
        return str(fmt(value)) if fmt is not None else _value_text(value)

    return Column(header if header is not None else column.replace("_", " "), render, align)


def template(pattern: str, header: str, *, align: str = "left") -> Column:
    """Several columns in one cell: ``pattern`` is a :meth:`str.format` pattern over the
    row (``"{min_live} of {min_live_units}"``); a dash when a value it names is missing."""
    names = [field for _, field, _, _ in string.Formatter().parse(pattern) if field]

    def render(row):
        if any(is_missing(row[name]) for name in names):
            return DASH
        return pattern.format(**row)

    return Column(header, render, align)


def code(column: str, header: str | None = None) -> Column:
    """The value of ``column`` in a code span (run ids, file names)."""
    return text(column, header, fmt=lambda v: f"`{v}`")


def shape(column: str, header: str | None = None) -> Column:
    """A Keras output shape per image (:func:`shape_text`)."""
    return Column(header if header is not None else column.replace("_", " "),
                  lambda row: shape_text(row[column]), "right")


def emotion(column: str, header: str | None = None) -> Column:
    """A class index (0..6) as its name (:data:`ferlib.labels.EMOTIONS`)."""
    return text(column, header, fmt=lambda index: EMOTIONS[int(index)])


def image_name(source) -> str:
    """A short name for an image's ``source``: its file name, or ``"row 33409"`` for a
    row of a CSV file (``"fer2013/fer2013.csv.gz:row 33409"``)."""
    if is_missing(source):
        return DASH
    name = str(source).replace("\\", "/").rsplit("/", 1)[-1]
    return name.split(":", 1)[1].strip() if ":" in name else name


def image(column: str = "source", header: str = "image") -> Column:
    """An image named by :func:`image_name`."""
    return text(column, header, fmt=image_name)


def probability_columns(*, digits: int = 0) -> list:
    """One percentage column per class from a predictions table's ``p_<class>`` columns."""
    return [percent(f"p_{name}", name, digits=digits) for name in EMOTIONS]


def dataset(column: str = "dataset", header: str = "data set") -> Column:
    """A data set's name as the book writes it (``"ckplus"`` -> ``"CK+"``)."""
    return text(column, header, fmt=dataset_title)


def run_dataset(column: str = "dataset", header: str = "data set") -> Column:
    """A run's own data set (``config.dataset``) as the book writes it where CK+48 and the
    seven-class CK+ sit together (``"ckplus"`` -> ``"CK+48 (6 classes)"``)."""
    return text(column, header, fmt=run_dataset_title)


def percent(column: str, header: str | None = None, *, digits: int = 1) -> Column:
    """An accuracy fraction as a percentage."""
    return Column(header if header is not None else column.replace("_", " "),
                  lambda row: percent_text(row[column], digits), "right")


def percent_interval(column: str, low: str, high: str, header: str | None = None, *,
                     digits: int = 1) -> Column:
    """An accuracy fraction as a percentage with its interval from the columns
    ``low`` and ``high`` (``"56.9% [55.3, 58.5]"``)."""
    return Column(header if header is not None else f"{column.replace('_', ' ')} [95% interval]",
                  lambda row: percent_interval_text(row[column], row[low], row[high], digits), "right")


def interval(low: str, high: str, header: str, *, digits: int = 1) -> Column:
    """Only an interval, from the columns ``low`` and ``high`` (a dash when it is missing)."""
    return Column(header, lambda row: interval_text(row[low], row[high], digits) or DASH, "right")


def p_value(column: str, header: str | None = None) -> Column:
    """A p-value with three decimals, ``"<0.001"`` below that."""
    return Column(header if header is not None else column.replace("_", " "), lambda row: p_text(row[column]),
                  "right")


def range_text(low, high, digits: int = 1) -> str:
    """A range of accuracy fractions: ``"60.5% to 74.4%"`` (one value when both ends
    agree; a dash when either is missing)."""
    if is_missing(low) or is_missing(high):
        return DASH
    first, last = percent_text(low, digits), percent_text(high, digits)
    return first if first == last else f"{first} to {last}"


def percent_range(low: str, high: str, header: str, *, digits: int = 1) -> Column:
    """A range of accuracy fractions from the columns ``low`` and ``high`` (:func:`range_text`)."""
    return Column(header, lambda row: range_text(row[low], row[high], digits), "right")


def number(column: str, header: str | None = None, *, digits: int = 0, sign: bool = False,
           scale: float = 1.0) -> Column:
    """A number (times ``scale``, e.g. ``1 / 60`` for seconds in minutes) with thousands
    separators and ``digits`` decimals."""
    def render(row):
        value = row[column]
        if is_missing(value) or isinstance(value, bool):
            return number_text(value, digits, sign=sign)
        return number_text(float(value) * scale, digits, sign=sign)

    return Column(header if header is not None else column.replace("_", " "), render, "right")


def points(column: str, header: str | None = None, *, digits: int = 1, sign: bool = True) -> Column:
    """A difference (or spread) of fractions, in percentage points, signed unless ``sign``
    is false."""
    return Column(header if header is not None else column.replace("_", " "),
                  lambda row: points_text(row[column], digits, sign=sign), "right")


def run_label(model, training=None, seed=None) -> str:
    """``"Model 2, fine-tuned, seed 1"``: a run as the book's tables name it."""
    parts = [f"Model {int(model)}"]
    if training is not None:
        parts.append(str(training))
    if seed is not None:
        parts.append(f"seed {int(seed)}")
    return ", ".join(parts)


def run(model: str = "model", training: str = "training", seed: str | None = "seed",
        header: str = "run") -> Column:
    """A run named by its model, training and seed (:func:`run_label`)."""
    return Column(header, lambda row: run_label(row[model], row[training],
                                                None if seed is None else row[seed]))


def experiment(model: str = "model", dataset_column: str = "dataset", training: str = "training",
               header: str = "experiment", *, run_names: bool = False) -> Column:
    """One of the paper's experiments in words: ``"Model 2 on JAFFE, fine-tuned"``.
    ``run_names``: ``dataset_column`` holds a run's own data set (``"ckplus"`` is then
    CK+48, :func:`ferlib.vocabulary.run_dataset_title`), not the paper's name."""
    title = run_dataset_title if run_names else dataset_title
    return Column(header, lambda row: f"Model {int(row[model])} on {title(row[dataset_column])}, "
                                      f"{row[training]}")


def by_seed(column: str = "by_seed", header: str = "by seed") -> Column:
    """A ``{seed: accuracy}`` mapping as ``"0: 69.0%, 1: 19.0%"``."""
    return text(column, header, fmt=lambda values: ", ".join(
        f"{seed}: {percent_text(value)}" for seed, value in dict(values).items()))


def p_text(value) -> str:
    """A p-value as in :func:`p_value`: three decimals, ``"<0.001"`` below that."""
    if is_missing(value):
        return DASH
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def gains_by_seed(column: str = "by_seed", header: str = "gain (McNemar p) by seed") -> Column:
    """A ``{seed: (gain, p)}`` mapping as ``"0: +11.9 (p 0.125), 1: -2.4 (p 1.000)"``."""
    return text(column, header, fmt=lambda values: ", ".join(
        f"{seed}: {points_text(gain)} (p {p_text(p)})" for seed, (gain, p) in dict(values).items()))


def points_with_p(column: str, p_column: str, header: str) -> Column:
    """A difference in percentage points with its p-value in one cell: ``"+3.1 (p 0.012)"``
    (a dash where the difference is missing)."""
    return Column(header, lambda row: DASH if is_missing(row[column]) else
                  f"{points_text(row[column])} (p {p_text(row[p_column])})", "right")


def yes_no(column: str, header: str | None = None) -> Column:
    """A flag as ``yes`` / ``no``."""
    return Column(header if header is not None else column.replace("_", " "),
                  lambda row: yes_no_text(row[column]))


def _cell(text_value: str) -> str:
    """Text safe inside a Markdown table cell (no pipe, no line break, no math)."""
    return (str(text_value).replace("\\", "\\\\").replace("|", "\\|").replace("$", "\\$")
            .replace("\r", " ").replace("\n", " ").strip()) or " "


def auto_columns(frame: pd.DataFrame) -> list:
    """A :class:`Column` for each column of ``frame``: flags as yes / no, whole numbers
    with thousands separators, other numbers with three significant digits, the rest as text."""
    types = pd.api.types
    columns = []
    for name in frame.columns:
        series = frame[name]
        if types.is_bool_dtype(series):
            columns.append(yes_no(name))
        elif types.is_integer_dtype(series):
            columns.append(number(name))
        elif types.is_float_dtype(series):
            whole = series.dropna().apply(float.is_integer).all()
            columns.append(number(name) if whole else text(name, align="right"))
        else:
            columns.append(text(name))
    return columns


#: The class of a table read as one card per row on a phone (``_static/ferlib.css``): its
#: cells stack under the row's first cell, each after its column's header.
STACKED_CLASS = "ferlib-stacked"
#: The class of the header repeated inside each cell of a stacked table (hidden where the
#: table is laid out as a table).
LABEL_CLASS = "ferlib-label"


def to_markdown(frame: pd.DataFrame, columns: Sequence[Column | str] | None = None, *, missing: str | None = None,
                notes: Sequence[str] = (), empty: str = "Nothing to show.",
                drop_empty: bool = False, stacked: bool = False) -> str:
    """``frame`` as a Markdown table with the given columns, one row per frame row.

    Args:
        frame: the data; its index is never shown (turn a meaningful index into a
            column first, e.g. ``frame.reset_index()``).
        columns: what to show, in order: :class:`Column` objects, or column names
            shown with :func:`text`; ``None``: every column (:func:`auto_columns`).
        missing: what a dash means here (e.g. ``"no committed run"``); written under
            the table as a note when some cell is a dash.
        notes: further notes, one line each, under the table.
        empty: the text shown instead of a table when ``frame`` has no rows.
        drop_empty: leave out the columns in which every cell is a dash.
        stacked: on a phone, show each row as a card (the first cell, then each other
            cell under it after its column's header) instead of narrow columns: the
            table goes in a container of class :data:`STACKED_CLASS` and every cell but
            the first starts with its header in a span of class :data:`LABEL_CLASS`,
            which only the phone layout shows (``_static/ferlib.css``).

    Returns:
        Markdown text: the table, then its notes.
    """
    if columns is None:
        columns = auto_columns(frame)
    columns = [text(c) if isinstance(c, str) else c for c in columns]
    if not columns:
        raise ValueError("columns is empty: name at least one column to show")
    absent = {c for c in columns if not isinstance(c, Column)}
    if absent:
        raise TypeError(f"columns must be Column objects or column names, got {absent!r}")
    if frame.empty:
        return "\n\n".join([empty, *notes])
    rows = [[_cell(column.render(row)) for column in columns]
            for row in frame.to_dict("records")]
    if drop_empty:
        keep = [i for i in range(len(columns)) if any(row[i] != DASH for row in rows)]
        columns = [columns[i] for i in keep]
        rows = [[row[i] for i in keep] for row in rows]
    lines = ["| " + " | ".join(_cell(c.header) for c in columns) + " |",
             "|" + "|".join("---:" if c.align == "right" else ":---" for c in columns) + "|"]
    labels = [f'<span class="{LABEL_CLASS}">{html.escape(_cell(c.header), quote=False)}:</span> ' if stacked and i else ""
              for i, c in enumerate(columns)]
    lines += ["| " + " | ".join(label + cell for label, cell in zip(labels, row)) + " |" for row in rows]
    below = []
    if missing and any(cell == DASH for row in rows for cell in row):
        below.append(f"{DASH} {missing}")
    below.extend(notes)
    body = "\n".join(lines)
    if stacked:
        body = f":::{{container}} {STACKED_CLASS}\n\n{body}\n:::"
    return body + ("\n\n" + "\n\n".join(below) if below else "")


def csv_link(frame: pd.DataFrame, filename: str, *, label: str | None = None) -> str:
    """An HTML link (class ``ferlib-csv``) that downloads ``frame`` as ``filename``: its
    columns as stored, without the index, as UTF-8 CSV embedded in the page (a ``data:``
    URI, so the book needs no extra file). The label defaults to
    ``"Download FILENAME (CSV)"``; both are HTML-escaped."""
    payload = base64.b64encode(frame.to_csv(index=False).encode("utf-8")).decode("ascii")
    label = html.escape(label or f"Download {filename} (CSV)")
    return (f'<a class="ferlib-csv" download="{html.escape(filename)}" '
            f'href="data:text/csv;base64,{payload}">{label}</a>')


def table_markdown(frame: pd.DataFrame, columns: Sequence[Column | str] | None = None, *,
                   filename: str | None, data: pd.DataFrame | None = None, **options) -> str:
    """:func:`to_markdown`, then (when ``frame`` has rows and ``filename`` is given) a
    :func:`csv_link` that downloads ``data`` (default ``frame``: the columns as stored,
    not as shown) as ``filename``."""
    body = to_markdown(frame, columns, **options)
    if filename is None or not len(frame):
        return body
    return f"{body}\n\n{csv_link(frame if data is None else data, filename)}"


def table(frame: pd.DataFrame, columns: Sequence[Column | str] | None = None, *,
          filename: str | None, data: pd.DataFrame | None = None, **options):
    """:func:`table_markdown` as an IPython Markdown object: a notebook cell that ends
    with it shows the table (the book renders it as a MyST table) and its CSV download.

    ``filename`` must be given: every table of the book can be downloaded, under a name
    that says what it holds (``"claims_fer2013.csv"``; one per table on a page, so a
    table drawn in a loop names its model or data set). ``None`` shows no link.
    """
    # saves start-up time: IPython loads only in a notebook
    from IPython.display import Markdown

    return Markdown(table_markdown(frame, columns, filename=filename, data=data, **options))


def note(markdown: str) -> None:
    """Show a line of Markdown: rendered in a notebook, printed elsewhere."""
    # saves start-up time: IPython loads only in a notebook
    from IPython import get_ipython

    if get_ipython() is None:
        print(markdown)
        return
    # saves start-up time: IPython loads only in a notebook
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def admonition(title: str, lines: Sequence[str], *, kind: str = "admonition", css: str = "tip") -> str:
    """A MyST admonition (a titled box) holding ``lines`` as a bullet list, as Markdown."""
    body = "\n".join(f"- {line}" for line in lines) if lines else "Nothing to report."
    return f":::{{{kind}}} {title}\n:class: {css}\n\n{body}\n:::"


#: The statistical terms a generated text links to the glossary at their first use: a
#: pattern of the words as sentences write them -> the glossary's entry.
GLOSSARY_TERMS = {
    r"McNemar(?: test)?": "McNemar test",
    r"Wilson interval": "Wilson interval",
    r"[Bb]alanced accuracy": "Balanced accuracy",
    r"HOG": "HOG",
}


def link_terms(markdown: str, terms: Mapping[str, str] = GLOSSARY_TERMS) -> str:
    """``markdown`` with the first use of each of ``terms`` (:data:`GLOSSARY_TERMS`)
    written as a MyST ``{term}`` role, which links it to its glossary entry:
    ``"the exact McNemar test"`` -> ``"the exact {term}`McNemar test`"``, ``"exact
    McNemar, p < 0.05"`` -> ``"exact {term}`McNemar <McNemar test>`, p < 0.05"``. Words
    in backticks (code, roles) are left as they are, and a term already linked there
    counts as used."""
    pieces = re.split(r"(\{[\w:-]+\}`[^`]*`|`[^`]*`)", markdown)
    linked = set()
    for i, piece in enumerate(pieces):
        for pattern, entry in terms.items():
            if entry in linked:
                continue
            if i % 2:  # a span in backticks: a term role there is the first use
                if re.fullmatch(r"\{term\}`(?:[^`<]*<)?" + re.escape(entry) + r">?`", piece, flags=re.I):
                    linked.add(entry)
                continue
            found = re.search(rf"\b{pattern}\b", piece)
            if found is None:
                continue
            words = found.group(0)
            role = f"{{term}}`{words}`" if words.lower() == entry.lower() else f"{{term}}`{words} <{entry}>`"
            piece = piece[:found.start()] + role + piece[found.end():]
            linked.add(entry)
        pieces[i] = piece
    return "".join(pieces)


# --------------------------------------------------------------------------- the book's recurring tables

#: What a dash means in a table of the paper's experiments.
MISSING_RUN = ("no run of this experiment yet; the training chapter says what each missing run needs")


def accuracy_columns(*, with_dataset: bool = False) -> list:
    """The columns of a table of :func:`ferlib.claims.results_table` rows: the paper's
    accuracy, ours with its 95% Wilson interval, the difference and the test size."""
    return [text("model"), *([dataset()] if with_dataset else []), text("training"),
            percent("paper"), percent_interval("ours", "ours_low", "ours_high", "ours [95% interval]"),
            points("difference", "ours − paper (points)"), number("test_n", "test images")]
