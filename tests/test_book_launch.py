"""The book's launch buttons open notebooks the repository holds, in both builds.

The theme (sphinx_book_theme) makes each notebook page's launch buttons from the file
it was given: ``notebooks/NN_name.py`` in ``jupyter-book build .``, the executed
``<build>/src/notebooks/NN_name.ipynb`` in ``python -m ferlib book``. These tests run
the theme's own code on both, from the root ``_config.yml`` as Jupyter Book reads it,
then ferlib.sphinxext's correction, and check that every button left opens a file of
this repository that its service can open; and that Binder's environment (binder/)
opens the ``.py`` sources as notebooks.
"""

import logging
import re
import types
from pathlib import Path

import pytest
import yaml

from ferlib import book, launch, sphinxext

ROOT = book.project_root()
NOTEBOOK_PAGES = [entry.file for entry in book.toc_entries(ROOT) if entry.is_notebook]


def theme_options(config: dict | None = None) -> dict:
    """The theme's options as Jupyter Book makes them from ``config`` (default: the
    project's ``_config.yml``)."""
    from jupyter_book.config import yaml_to_sphinx

    if config is None:
        config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return yaml_to_sphinx(config)[0]["html_theme_options"]


class _Config(dict):
    """Sphinx's config as the theme and ferlib.sphinxext read it: by key and by name."""

    __getattr__ = dict.__getitem__


def launch_buttons(pagename: str, given: Path, options: dict, root: Path, outdir: Path) -> tuple:
    """``(the theme's buttons, the buttons after ferlib.sphinxext)`` of one notebook page
    whose source file the build gave Sphinx as ``given``; each a list of ``(text, url)``."""
    from sphinx_book_theme.header_buttons import update_context_with_repository_info
    from sphinx_book_theme.header_buttons.launch import add_launch_buttons

    app = types.SimpleNamespace(
        config=_Config(html_theme_options=options, html_context={}, ferlib_repository_root=str(root)),
        env=types.SimpleNamespace(doc2path=lambda name: str(given),
                                  metadata={pagename: {"kernelspec": {"name": "python3"}}}),
        outdir=str(outdir), srcdir=str(given.parent.parent))
    update_context_with_repository_info(app)
    context = {**app.config.html_context, "pagename": pagename, "sourcename": pagename + given.suffix,
               "page_source_suffix": given.suffix, "header_buttons": []}
    add_launch_buttons(app, pagename, "page.html", context, None)

    def listed():
        return [(b["text"], b["url"]) for group in context["header_buttons"] if group["label"] == "launch-buttons"
                for b in group["buttons"]]

    made = listed()
    sphinxext.point_launch_buttons(app, pagename, "page.html", context, None)
    return made, listed()


def the_two_builds(tmp_path, pagename: str) -> dict:
    """The file each build gives Sphinx for a notebook page."""
    executed = tmp_path / "build" / "src" / f"{pagename}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    executed.write_text("{}", encoding="utf-8")
    return {"jupyter-book build .": ROOT / f"{pagename}.py", "python -m ferlib book": executed}


@pytest.mark.parametrize("pagename", NOTEBOOK_PAGES)
def test_each_launch_button_opens_the_chapters_notebook_in_the_repository(tmp_path, pagename):
    options = theme_options()
    org, repo, branch = launch.repository(options)
    assert options["repository_url"] == f"https://github.com/{org}/{repo}"  # the one setting
    for build, given in the_two_builds(tmp_path, pagename).items():
        made, kept = launch_buttons(pagename, given, options, ROOT, tmp_path)
        assert made, f"{build}: the theme made no launch button for {pagename}"
        assert [text for text, _ in kept] == ["Binder"], build
        url = kept[0][1]
        assert url.startswith(f"https://mybinder.org/v2/gh/{org}/{repo}/{branch}?urlpath=lab/tree/"), url
        service, path = launch.opened_path(url, options)
        assert (service, path) == ("Binder", f"{pagename}.py"), build
        assert (ROOT / path).is_file() and launch.target_problem(url, options, ROOT) is None
        assert "kernelspec" in (ROOT / path).read_text(encoding="utf-8").split("# ---")[1], path  # a notebook


def test_the_theme_alone_points_the_executed_build_at_a_notebook_the_repository_lacks(tmp_path):
    """Why ferlib.sphinxext rewrites the Binder link: without it the published book's
    buttons open notebooks/NN_name.ipynb, which is not in the repository."""
    pagename = NOTEBOOK_PAGES[0]
    made, _ = launch_buttons(pagename, the_two_builds(tmp_path, pagename)["python -m ferlib book"],
                             theme_options(), ROOT, tmp_path)
    assert made[0][1].endswith(f"{pagename}.ipynb") and not (ROOT / f"{pagename}.ipynb").exists()


def test_a_button_to_a_file_the_repository_lacks_is_left_out_with_a_warning(tmp_path, caplog):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["launch_buttons"]["colab_url"] = "https://colab.research.google.com"
    options, pagename = theme_options(config), NOTEBOOK_PAGES[0]
    with caplog.at_level(logging.WARNING):
        made, kept = launch_buttons(pagename, ROOT / f"{pagename}.py", options, ROOT, tmp_path)
    assert [text for text, _ in made] == ["Binder", "Colab"] and [text for text, _ in kept] == ["Binder"]
    assert f"{pagename}: its Colab button is left out: Colab opens only .ipynb notebooks" in caplog.text

    caplog.clear()
    elsewhere = tmp_path / "elsewhere"  # a repository folder without the chapter's source
    elsewhere.mkdir()
    with caplog.at_level(logging.WARNING):
        _, kept = launch_buttons(pagename, ROOT / f"{pagename}.py", theme_options(), elsewhere, tmp_path)
    assert kept == [] and "which the repository does not hold" in caplog.text


def test_a_launch_link_names_what_it_opens_only_in_this_repository_and_branch():
    options = theme_options()
    org, repo, branch = launch.repository(options)
    here = f"https://mybinder.org/v2/gh/{org}/{repo}/{branch}"
    assert launch.opened_path(f"{here}?urlpath=lab/tree/notebooks/x.py", options) == ("Binder", "notebooks/x.py")
    assert launch.opened_path(f"{here}?urlpath=tree/notebooks/x.py", options) == ("Binder", "notebooks/x.py")
    assert launch.opened_path(f"https://mybinder.org/v2/gh/{org}/other/{branch}?urlpath=lab/tree/a.py", options) is None
    assert launch.opened_path(f"https://mybinder.org/v2/gh/{org}/{repo}/dev?urlpath=lab/tree/a.py", options) is None
    assert launch.opened_path(f"https://colab.research.google.com/github/{org}/{repo}/blob/{branch}/a.ipynb",
                              options) is None  # no Colab configured
    assert launch.binder_url(options, "notebooks/x.py") == f"{here}?urlpath=lab/tree/notebooks/x.py"
    with pytest.raises(ValueError, match="repository: url"):
        launch.repository({"repository_url": "https://example.org/ferlib"})
    with pytest.raises(ValueError, match="notebook_interface"):
        launch.binder_url({**options, "launch_buttons": {"binderhub_url": "https://mybinder.org",
                                                         "notebook_interface": "vscode"}}, "a.py")


def test_binders_environment_opens_the_sources_as_notebooks():
    """binder/ installs the project's requirements (jupytext among them) on the Python
    the project is tested on, and makes a notebook JupyterLab's viewer of .py files,
    the interface the Binder links open."""
    lines = [line.split("#")[0].strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    assert "-r ../requirements.txt" in lines
    pins = dict(re.findall(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE))
    assert "jupytext" in pins
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    assert re.search(r"^jupytext-config set-default-viewer python\b", post_build.read_text(), re.MULTILINE)
    assert theme_options()["launch_buttons"]["notebook_interface"] == "jupyterlab"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    published_with = next(step["with"]["python-version"] for step in workflow["jobs"]["build"]["steps"]
                          if step.get("uses", "").startswith("actions/setup-python"))
    assert runtime == f"python-{published_with}"  # Binder runs the Python the book is published with


def test_the_executed_books_config_names_the_repository(tmp_path):
    written = yaml.safe_load(book.write_executed_config(ROOT / "_config.yml", tmp_path / "_config.yml").read_text())
    assert Path(written["sphinx"]["config"]["ferlib_repository_root"]) == ROOT.resolve()
    assert (ROOT / "_config.yml").read_text().count("github.com/") == 1  # the repository's address, once
