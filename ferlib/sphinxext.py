"""The book's Sphinx extension: every page's footer names the version of ferlib, the
git commit and the date the book was built from.

``_config.yml`` loads it (``sphinx: extra_extensions: [ferlib.sphinxext]``), so the
stamp is the same whether the book is built with ``python -m ferlib book`` or with
``jupyter-book build .``:

    ferlib 0.1.0 · commit 3fbf28e1b5ed · built 2026-11-24

The commit comes from :func:`ferlib.identity.git_commit` (12 hex digits), as a run's does.
It imports nothing heavy (no Keras, no TensorFlow): a book build starts Sphinx once.
"""

from __future__ import annotations

import datetime
import html
import os

import ferlib
from ferlib.identity import git_commit


def build_date(now=None) -> str:
    """Today's date in UTC (``YYYY-MM-DD``), or the one ``$SOURCE_DATE_EPOCH`` gives
    (the reproducible-builds convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if now is None:
        now = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch.isdigit()
               else datetime.datetime.now(datetime.timezone.utc))
    return now.strftime("%Y-%m-%d")


def build_stamp(root=None, *, now=None) -> dict:
    """``{"version", "commit", "date"}`` of this build."""
    return {"version": ferlib.__version__, "commit": git_commit(root, digits=12), "date": build_date(now)}


def footer_html(stamp: dict) -> str:
    """The footer line of every page, as HTML."""
    return (f'<p class="ferlib-stamp">ferlib {html.escape(stamp["version"])} · commit '
            f'<code>{html.escape(stamp["commit"])}</code> · built {html.escape(stamp["date"])}</p>')


def _stamp_footer(app, config) -> None:
    stamp = build_stamp()
    options = dict(config.html_theme_options or {})
    existing = options.get("extra_footer") or ""
    options["extra_footer"] = footer_html(stamp) + existing
    config.html_theme_options = options
    config.html_context = {**(config.html_context or {}), "ferlib_stamp": stamp}


def setup(app):
    """Register the footer stamp with Sphinx."""
    app.connect("config-inited", _stamp_footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
