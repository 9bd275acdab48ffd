"""The book builds from the executed notebooks: index, one page per notebook with its
figures and tables, glued numbers filled in, and Sphinx warnings fail the build."""

import re
import shutil
from pathlib import Path

import pytest

from ferlib import book
from book_fixtures import paper_book as _paper_book, smoke_book as _smoke_book
from html_checks import launch_links, page_problems

ROOT = book.project_root()
NOTEBOOKS = [path.stem for path in book.notebook_sources(ROOT)]
PROSE = [entry.name for entry in book.toc_entries(ROOT) if not entry.is_notebook]
#: The chapters (not the landing page, not the appendix): each opens with what it found.
CHAPTERS = [entry.name for entry in book.toc_entries(ROOT)
            if entry.is_notebook and entry.part not in (None, "Appendix")]
FIGURES_PER_NOTEBOOK = {  # the least number of figures each page must show
    "00_summary": 1, "01_datasets": 4, "02_architectures": 0, "03_augmentation": 4, "04_training_curves": 4,
    "05_confusion_matrices": 3, "06_emotion_analysis": 3, "07_results": 1, "08_claims": 0, "09_protocol": 1,
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
    assert {"strategy", "method", "conclusions", "references", "glossary", "teachers"} <= set(PROSE)
    for name in PROSE:
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
    assert architectures.count("<table") >= 2 and "1,485,831" in architectures
    results = page(build_dir, "notebooks/07_results.html")
    assert "<table" in results and "79.07%" in results  # the paper's number, as printed, beside ours


@pytest.mark.slow
def test_prose_pages_have_glued_numbers_and_citations(smoke_book):
    build_dir, _, _ = smoke_book
    for name in PROSE:
        text = page(build_dir, f"book/{name}.html")
        assert "{glue" not in text and "{cite" not in text, name
    conclusions = page(build_dir, "book/conclusions.html")
    assert "pasted-text" in conclusions and "Of the paper" in conclusions  # the landing's verdict, glued
    references = page(build_dir, "book/references.html")
    assert "Borgalli" in references and "Lucey" in references
    glossary = page(build_dir, "book/glossary.html")
    for term in ("McNemar test", "Wilson interval", "HOG", "Balanced accuracy", "Live unit",
                 "CK+ (7 classes)", "CK+48 (6 classes)"):
        assert term in glossary, term


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


@pytest.fixture(scope="session")
def paper_book(tmp_path_factory):
    """The book of the committed paper results: no data, no training."""
    return _paper_book(tmp_path_factory)


@pytest.mark.slow
def test_paper_book_is_built_from_the_committed_results(paper_book):
    from ferlib import results

    build_dir, _ = paper_book
    committed = results.paper_results(ROOT / results.PAPER_RESULTS)
    provenance = page(build_dir, "notebooks/11_provenance.html")
    for run in results.committed_runs(ROOT / results.PAPER_RESULTS):
        assert run.id in provenance, f"run {run.id} is not in the provenance appendix"
    overview = page(build_dir, "notebooks/04_training_curves.html")
    missing = results.missing_runs(ROOT / results.PAPER_RESULTS)
    assert len(missing) == 15 - len(committed)
    for reason in set(missing["reason"]):
        assert reason.split(":")[0] in overview
    datasets = page(build_dir, "notebooks/01_datasets.html")
    assert "35,887" in datasets
    stand_ins = {"01_datasets": ["fig-faces-fer2013", "fig-faces-ckplus", "fig-faces-jaffe"],  # Figs. 3-5
                 "03_augmentation": ["fig-augmentation"],  # Fig. 6
                 "06_emotion_analysis": ["fig-emotions-fer2013", "fig-emotions-jaffe", "fig-emotions-ckplus"]}
    for name, figure_ids in stand_ins.items():  # without the data, drawn on synthetic faces and said so
        text = page(build_dir, f"notebooks/{name}.html")
        for figure_id in figure_ids:
            found = re.search(rf'<figure[^>]*id="{figure_id}".*?<figcaption>(.*?)</figcaption>', text, flags=re.S)
            assert found and "synthetic stand-ins" in found.group(1), f"{name}: {figure_id}"


@pytest.mark.slow
def test_claims_page_audits_every_reported_accuracy(paper_book):
    from ferlib import paper, results

    build_dir, _ = paper_book
    text = page(build_dir, "notebooks/08_claims.html")
    assert "PublicTest and PrivateTest" in text and "7,178" in text
    for value in paper.ACCURACY.values():
        assert f"{100 * value:.2f}%" in text, value
    from ferlib.protocol import deviation_lines, deviations

    for line in deviations("paper", summaries=results.read_dataset_summaries(ROOT / results.PAPER_RESULTS)):
        assert " ".join(line.split()[:6]) in text, "a departure from the paper is not on the claims page"
    for line in deviation_lines("paper"):
        assert line.split(". ")[0] in text, "a per-experiment deviation is not on the claims page"
    assert "no run of ours" in text or "within sampling error" in text
    probes = ROOT / results.PAPER_RESULTS / "probes.json"
    if probes.exists():
        from ferlib.diagnostics import read_probes

        assert "Runs that die before they learn" in text and "fewest live units" in text
        for row in read_probes(probes):
            weakest = min(row["live"], key=lambda k: row["live"][k] / row["units"][k])
            assert weakest in text


def book_pages(build_dir) -> list:
    """Every page of a built book that a reader reaches from its table of contents."""
    html = build_dir / "html"
    return sorted(p for p in html.rglob("*.html")
                  if not p.relative_to(html).parts[0].startswith("_")
                  and p.name not in ("genindex.html", "search.html"))


@pytest.mark.slow
def test_paper_book_pages_show_no_nan_none_index_or_empty_figure(paper_book):
    build_dir, _ = paper_book
    pages = book_pages(build_dir)
    assert len(pages) >= len(NOTEBOOKS) + 5
    problems = {str(p.relative_to(build_dir / "html")): page_problems(p) for p in pages}
    assert not any(problems.values()), "\n".join(f"{page}: {problem}" for page, found in problems.items()
                                                 for problem in found)


@pytest.mark.slow
def test_paper_book_chapters_open_with_what_we_found(paper_book):
    build_dir, _ = paper_book
    for name in CHAPTERS:
        text = page(build_dir, f"notebooks/{name}.html")
        article = text.index("<article")
        body = text[text.index("<h1", article):]
        box = body.find("What we found")
        assert box != -1, f"{name}: no 'What we found' box"
        assert box < body.find("<h2") or body.find("<h2") == -1, f"{name}: the box is not at the top"
        assert "Show code cell source" in body  # code folded behind a toggle
        assert "# Parameters" not in body and "root of the real data sets" not in body, \
            f"{name}: a parameters cell is on the page"
    claims_page = page(build_dir, "notebooks/08_claims.html")
    first_table = claims_page.index("<table")
    assert claims_page.index("The verdict on the paper") < first_table
    assert "verdict" in claims_page[first_table:claims_page.index("</table>", first_table)]


@pytest.mark.slow
def test_protocol_page_shows_each_round_of_the_study_with_its_verdicts(paper_book):
    """Every round of the sensitivity study with committed runs shows its table, and its
    verdict table once it has cells to compare (a table built inside a function must
    still be displayed), and the conclusions quote the study's numbers."""
    from ferlib import results, study

    runs = results.committed_runs(Path(__file__).resolve().parents[1] / results.PAPER_RESULTS)
    tables = {round: study.study_table(study.study_runs(runs, round=round, **({"datasets": ("jaffe",)}
                                                                               if round == "augmented recipe" else {})),
                                       round=round)
              for round in study.ROUNDS}
    shown = [round for round, table in tables.items() if not table.empty]
    judged = [round for round in shown if not study.study_verdicts(tables[round]).empty]
    assert {"protocol", "augmented recipe"} <= set(judged), "both scratch rounds have committed verdicts"
    build_dir, _ = paper_book
    text = page(build_dir, "notebooks/09_protocol.html")
    assert text.count("<p>median validation</p>") >= len(shown)  # one table per data set of each group
    assert text.count("<p>validation change (points)</p>") == len(judged)
    shown_text = re.sub(r'<div class="highlight.*?</pre></div>', "", text, flags=re.S)  # not the folded code
    assert ("No fine-tune of the study is part of this book yet." in shown_text) == ("fine-tune" not in shown)
    conclusions = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page(build_dir, "book/conclusions.html")))
    assert "What the evidence supports" in conclusions and "of at least 40% over their seeds" in conclusions


@pytest.mark.slow
def test_jupyter_book_build_at_the_root_builds_the_published_book(paper_book):
    """`jupyter-book build .`, the first command a Jupyter Book user runs (the fixture runs
    it in a copy of the project's root), executes the jupytext sources with Jupyter Book's
    cache on the results in results/paper and builds every page of the table of contents,
    with no Sphinx warning."""
    build_dir, _ = paper_book
    html = build_dir / "html"
    for entry in book.toc_entries(ROOT):
        assert (html / f"{entry.file}.html").is_file(), f"{entry.file}: not built"
    landing = (html / f"{book.toc_entries(ROOT)[0].file}.html").read_text(encoding="utf-8")
    assert "<table" in landing and 'id="fig-summary"' in landing and "{glue" not in landing
    conclusions = (html / "book" / "conclusions.html").read_text(encoding="utf-8")
    assert "pasted-text" in conclusions and "Of the paper" in conclusions  # glued across pages
    assert (build_dir / ".jupyter_cache").is_dir(), "the notebooks were not executed with the cache"


def launch_problems(build_dir) -> list:
    """Each notebook page of a built book whose launch buttons are not exactly one
    Binder link to the chapter's jupytext source, a file of the repository."""
    import yaml

    repository = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]
    org, repo = repository["url"].rstrip("/").split("/")[-2:]
    problems = []
    for name in NOTEBOOKS:
        source = f"notebooks/{name}.py"
        expected = [("Launch on Binder",
                     f"https://mybinder.org/v2/gh/{org}/{repo}/{repository['branch']}?urlpath=lab/tree/{source}")]
        found = launch_links(build_dir / "html" / "notebooks" / f"{name}.html")
        if found != expected or not (ROOT / source).is_file():
            problems.append(f"{name}: launch buttons {found}, expected {expected}")
    return problems


@pytest.mark.slow
def test_launch_buttons_of_python_m_ferlib_book_open_the_jupytext_sources(smoke_book):
    """The executed build shows notebooks/NN_name.ipynb, which the repository lacks; its
    Binder buttons open the sources it holds (ferlib.sphinxext)."""
    build_dir, _, _ = smoke_book
    assert launch_problems(build_dir) == []


@pytest.mark.slow
def test_launch_buttons_of_jupyter_book_build_open_the_jupytext_sources(paper_book):
    build_dir, _ = paper_book
    assert launch_problems(build_dir) == []
