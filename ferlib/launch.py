"""Where the book's launch buttons point, and whether the repository holds what they open.

Every chapter of the book is a notebook kept as a jupytext source, ``notebooks/NN_name.py``
(the page ``notebooks/NN_name``). Its Binder button opens that file in JupyterLab, in
the environment that ``binder/`` describes: the project's ``requirements.txt`` (which
installs jupytext) and jupytext's default viewer for Python files, so that JupyterLab
opens the ``.py`` as a notebook, not as text::

    https://mybinder.org/v2/gh/ORG/REPO/BRANCH?urlpath=lab/tree/notebooks/07_results.py

The two builds of the book give the theme different files for the same page:
``jupyter-book build .`` reads the ``.py`` itself, ``python -m ferlib book`` the
executed ``.ipynb`` copy in its build folder, which the repository does not hold.
:func:`ferlib.sphinxext` therefore points every Binder button at the jupytext source
with :func:`binder_url`, and leaves out any launch button whose target
:func:`target_problem` finds missing (with a Sphinx warning, which fails both builds).
Colab opens only ``.ipynb`` notebooks kept in a GitHub repository; this one keeps
none, so the book has no Colab button (the reproducibility page says how to open a
chapter there).

Everything reads the theme's options as Jupyter Book writes them from ``_config.yml``:
``repository_url`` and ``repository_branch`` (the ``repository:`` setting, the one
place the repository's address is written), ``path_to_docs`` and ``launch_buttons``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

#: A notebook page's source in the repository: ``<page><SOURCE_SUFFIX>`` (jupytext).
SOURCE_SUFFIX = ".py"
#: How a Binder link names the file it opens, per ``launch_buttons: notebook_interface``.
INTERFACE_PREFIXES = {"classic": "tree", "jupyterlab": "lab/tree"}


def repository(options: dict) -> tuple:
    """``(org, repo, branch)`` of the book's repository, from the theme's options.

    Raises ``ValueError`` naming the setting when ``repository: url`` is not a GitHub
    repository address (``https://github.com/ORG/REPO``).
    """
    url = str(options.get("repository_url") or "")
    parts = urlsplit(url)
    names = [name for name in parts.path.split("/") if name]
    if parts.netloc != "github.com" or len(names) != 2:
        raise ValueError(f"_config.yml repository: url is {url!r}; expected https://github.com/ORG/REPO "
                         f"(the launch buttons open files of a GitHub repository)")
    return names[0], names[1].removesuffix(".git"), str(options.get("repository_branch") or "main")


def _launch_options(options: dict) -> dict:
    return options.get("launch_buttons") or {}


def notebook_source(pagename: str, root, options: dict | None = None) -> str | None:
    """The repository path of a notebook page's jupytext source (``notebooks/07_results.py``
    for the page ``notebooks/07_results``), or ``None`` when ``root`` (the repository's
    folder) does not hold it."""
    prefix = str((options or {}).get("path_to_docs") or "").strip("/")
    path = f"{prefix}/{pagename}{SOURCE_SUFFIX}" if prefix else f"{pagename}{SOURCE_SUFFIX}"
    return path if (Path(root) / path).is_file() else None


def binder_url(options: dict, path: str) -> str:
    """The Binder link that opens ``path`` (relative to the repository's root) in the
    interface ``launch_buttons: notebook_interface`` names (``classic`` or
    ``jupyterlab``). Raises ``ValueError`` naming the setting when Binder is not
    configured or the interface is unknown."""
    launch = _launch_options(options)
    hub = str(launch.get("binderhub_url") or "").rstrip("/")
    if not hub:
        raise ValueError("_config.yml launch_buttons: binderhub_url is not set")
    interface = launch.get("notebook_interface", "classic")
    if interface not in INTERFACE_PREFIXES:
        raise ValueError(f"_config.yml launch_buttons: notebook_interface is {interface!r}; "
                         f"expected one of {sorted(INTERFACE_PREFIXES)}")
    org, repo, branch = repository(options)
    return f"{hub}/v2/gh/{org}/{repo}/{branch}?urlpath={INTERFACE_PREFIXES[interface]}/{path.lstrip('/')}"


def opened_path(url: str, options: dict) -> tuple | None:
    """``(service, path)`` for a launch link into this book's repository and branch:
    ``("Binder", "notebooks/07_results.py")`` for a Binder link, ``("Colab", ...)`` for
    a Colab one. ``None`` for any other link, or one to another repository or branch."""
    org, repo, branch = repository(options)
    launch = _launch_options(options)
    binder = str(launch.get("binderhub_url") or "").rstrip("/")
    colab = str(launch.get("colab_url") or "").rstrip("/")
    if binder and url.startswith(f"{binder}/v2/gh/{org}/{repo}/{branch}?"):
        urlpath = parse_qs(urlsplit(url).query).get("urlpath", [""])[0]
        for prefix in sorted(INTERFACE_PREFIXES.values(), key=len, reverse=True):
            if urlpath.startswith(prefix + "/"):
                return "Binder", urlpath[len(prefix) + 1:]
        return None
    start = f"{colab}/github/{org}/{repo}/blob/{branch}/"
    if colab and url.startswith(start):
        return "Colab", url[len(start):]
    return None


def target_problem(url: str, options: dict, root) -> str | None:
    """Why a launch link would not open a notebook of the repository (its folder:
    ``root``), in words, or ``None`` when it would: the link leads elsewhere, the file
    is not there, or Colab is asked to open something other than an ``.ipynb``."""
    opened = opened_path(url, options)
    if opened is None:
        org, repo, branch = repository(options)
        return f"{url!r} does not open a file of github.com/{org}/{repo} on branch {branch}"
    service, path = opened
    if not (Path(root) / path).is_file():
        return f"it would open {path}, which the repository does not hold"
    if service == "Colab" and not path.endswith(".ipynb"):
        return f"Colab opens only .ipynb notebooks, not {path}"
    return None
