"""The book's Sphinx extension: every page's footer names the version of ferlib, the
git commit and the date the book was built from, and every launch button opens a
notebook the repository holds (:mod:`ferlib.launch`).

``_config.yml`` loads it (``sphinx: extra_extensions: [ferlib.sphinxext]``), so the
stamp is the same whether the book is built with ``python -m ferlib book`` or with
``jupyter-book build .``:

    ferlib 0.1.0 · commit 3fbf28e1b5ed · built 2026-11-24

A notebook page's Binder button opens the chapter's jupytext source
(``notebooks/07_results.py``) in both builds; the theme would point it at the file it
was given, which in ``python -m ferlib book``'s build folder is an executed ``.ipynb``
the repository does not hold. A launch button whose target is missing is left out with
a warning (both builds turn warnings into errors). The repository's folder is the
book's source folder, or the one ``ferlib_repository_root`` names (the copy of
``_config.yml`` that ``python -m ferlib book`` writes sets it).

The commit comes from :func:`ferlib.identity.git_commit` (12 hex digits), as a run's does.
It imports nothing heavy (no Keras, no TensorFlow): a book build starts Sphinx once.
"""

from __future__ import annotations

import datetime
import html
import os
from pathlib import Path

from sphinx.util import logging

import ferlib
from ferlib import launch
from ferlib.identity import git_commit

LOGGER = logging.getLogger(__name__)
#: The theme's label of the launch buttons' group (sphinx_book_theme).
LAUNCH_GROUP = "launch-buttons"


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


def repository_root(app) -> Path:
    """The repository's folder: ``ferlib_repository_root`` when set, else the book's
    source folder (``jupyter-book build .`` builds at the repository's root)."""
    return Path(app.config.ferlib_repository_root or app.srcdir)


def point_launch_buttons(app, pagename, templatename, context, doctree) -> None:
    """Point the page's Binder button at its jupytext source and leave out every launch
    button that would open a file the repository does not hold (a warning names it).

    Runs after the theme has made the buttons (``html-page-context``, priority 502); a
    page without launch buttons is left alone."""
    buttons = context.get("header_buttons") or []
    group = next((b for b in buttons if b.get("label") == LAUNCH_GROUP), None)
    if group is None:
        return
    options, root = app.config.html_theme_options, repository_root(app)
    source = launch.notebook_source(pagename, root, options)
    kept = []
    for button in group.get("buttons", []):
        if button.get("text") == "Binder" and source is not None:
            button["url"] = launch.binder_url(options, source)
        problem = launch.target_problem(str(button.get("url", "")), options, root)
        if problem is None:
            kept.append(button)
        else:
            LOGGER.warning(f"{pagename}: its {button.get('text', 'launch')} button is left out: {problem}",
                           location=pagename)
    if kept:
        group["buttons"] = kept
    else:
        buttons.remove(group)


def setup(app):
    """Register the footer stamp and the launch buttons' targets with Sphinx."""
    app.add_config_value("ferlib_repository_root", "", "html", types=[str])
    app.connect("config-inited", _stamp_footer)
    app.connect("html-page-context", point_launch_buttons, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
