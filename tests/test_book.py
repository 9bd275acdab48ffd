"""The book builds from the executed notebooks: index, one page per notebook with its
figures and tables, glued numbers filled in, and Sphinx warnings fail the build."""

import re
import shutil
from pathlib import Path

import pytest

from ferlib import book
from book_fixtures import smoke_book as _smoke_book

ROOT = book.project_root()
NOTEBOOKS = [path.stem for path in book.notebook_sources(ROOT)]
FIGURES_PER_NOTEBOOK = {  # the least number of figures each page must show
    "01_datasets": 4, "02_architectures": 0, "03_augmentation": 4, "04_training_curves": 3,
    "05_confusion_matrices": 3, "06_emotion_analysis": 3, "07_results": 1,
}


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory):
    return _smoke_book(tmp_path_factory)


def page(build_dir, name) -> str:
    return (build_dir / "html" / name).read_text(encoding="utf-8")


def images_of(html_path: Path) -> list:
    """The local image files an HTML page shows (each must exist)."""
    sources = re.findall(r'<img[^>]*src="([^"]+)"', html_path.read_text(encoding="utf-8"))
    return [(html_path.parent / src).resolve() for src in sources if not src.startswith(("http", "data:"))]


@pytest.mark.slow
def test_book_has_an_index_and_a_page_per_notebook(smoke_book):
    build_dir, _, _ = smoke_book
    html = build_dir / "html"
    assert (html / "index.html").is_file()
    for name in NOTEBOOKS:
        assert (html / "notebooks" / f"{name}.html").is_file(), name
    for name in ("intro", "strategy", "method", "conclusions", "references"):
        assert (html / "book" / f"{name}.html").is_file(), name


@pytest.mark.slow
def test_notebook_pages_show_their_figures_and_tables(smoke_book):
    build_dir, _, _ = smoke_book
    for name, least in FIGURES_PER_NOTEBOOK.items():
        path = build_dir / "html" / "notebooks" / f"{name}.html"
        images = [p for p in images_of(path) if "_images" in p.parts]
        assert len(images) >= least, f"{name}: {len(images)} figures"
        for image in images:
            assert image.is_file() and image.stat().st_size > 1000, image
    architectures = page(build_dir, "notebooks/02_architectures.html")
    assert architectures.count("<table") >= 2 and "1485831" in architectures
    results = page(build_dir, "notebooks/07_results.html")
    assert "<table" in results and "0.7907" in results  # the paper's number beside ours


@pytest.mark.slow
def test_prose_pages_have_glued_numbers_and_citations(smoke_book):
    build_dir, _, _ = smoke_book
    for name in ("intro", "strategy", "method", "conclusions"):
        text = page(build_dir, f"book/{name}.html")
        assert "{glue" not in text and "{cite" not in text, name
    conclusions = page(build_dir, "book/conclusions.html")
    assert "pasted-text" in conclusions
    assert re.search(r"beat\s+training from scratch in <span[^>]*>\d+</span>", conclusions)
    intro = page(build_dir, "book/intro.html")
    assert "synthetic stand-ins" in intro and ">smoke<" in intro
    references = page(build_dir, "book/references.html")
    assert "Borgalli" in references and "Lucey" in references


@pytest.mark.slow
def test_a_sphinx_warning_fails_the_build(smoke_book, tmp_path):
    build_dir, _, _ = smoke_book
    root = tmp_path / "project"
    root.mkdir()
    for name in book.BOOK_FILES:
        shutil.copy2(ROOT / name, root / name)
    shutil.copytree(ROOT / "book", root / "book")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    conclusions = root / "book" / "conclusions.md"
    conclusions.write_text(conclusions.read_text() + "\nA number that was never glued: "
                           "{glue:text}`/notebooks/07_results.ipynb::no_such_key:.2f`.\n")
    broken_build = tmp_path / "build"
    shutil.copytree(build_dir / "src" / "notebooks", broken_build / "src" / "notebooks")
    with pytest.raises(RuntimeError, match="no_such_key"):
        book.build_html(root, broken_build, log=lambda line: None)
    assert not (broken_build / "html").exists()


def test_build_html_needs_every_executed_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match="01_datasets"):
        book.build_html(ROOT, tmp_path, log=lambda line: None)
