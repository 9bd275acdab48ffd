"""What a reader must never see on a page of the built book, found in its HTML.

:func:`page_problems` reads one page and names each problem: ``NaN``, ``None`` or
``<NA>`` in the text a reader sees (the article, outside code), a pandas DataFrame
dumped as HTML, a table whose first column is a DataFrame index (header cells
0, 1, 2, ...) and a figure with no image (no ``src``, an empty data URI, a missing or
empty file). Code (shown behind a toggle) may say ``None``: it is skipped.

:func:`figure_problems` names each image that is not a numbered, captioned figure with
alt text in words; :func:`broken_links` each link to a page or anchor that does not
exist; :func:`process_word_rate` counts the words about how the book was made per 1,000
words of prose; :func:`words_before_first_table` counts the prose a reader reads
before a page's first table; :func:`tables_without_download` names each table with no
CSV download link (class ``ferlib-csv``) after it. :func:`browser_report` measures a
page laid out by Chromium (Playwright): its tables wider than their column, whether
each of those scrolls in a box of its own with its first column held in view, and
whether the page itself overflows the window; :func:`card_problems` whether a table made
to be read as cards on a phone (:data:`ferlib.formatting.STACKED_CLASS`) is. :func:`launch_links`
lists the page's launch buttons (Binder and the like) with the address each opens.

Over pages: :func:`verdict_table_problems` says why the landing page does not open on
its verdict table; :func:`exercise_counts` counts a page's exercises and solutions;
:func:`process_word_report` counts the process and history words of the reader pages;
:func:`clipped_tables` and :func:`layout_problems` read a :func:`browser_report` as the
book is judged at a laptop's and a phone's width (:data:`WIDTHS`). The slow tier's
``test_book_browser.py`` and ``tools/book_report.py`` (which prints these figures for a
built book) share this one copy.
"""

from __future__ import annotations

import base64
import contextlib
import re
from html.parser import HTMLParser
from pathlib import Path

#: Words that mean a value was never filled in.
MISSING_WORDS = re.compile(r"(?<![\w-])(NaN|nan|None|<NA>|NaT)(?![\w-])")
#: Classes of elements whose text is code, not prose.
CODE_CLASSES = ("highlight", "cell_input", "literal-block")
SKIPPED_TAGS = ("script", "style", "pre", "code", "button")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}
#: The smallest image file that can hold a figure (an empty PNG is ~100 bytes).
MIN_IMAGE_BYTES = 1000


class _Page(HTMLParser):
    """Collects the article's visible text, its tables' header-cell columns and its images."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, in_article, skipped)
        self.texts = []
        self.images = []
        self.dataframes = 0
        self.tables = []  # per table: list of rows, a row is a list of (tag, text)
        self._cell = None
        self.figures = []  # per <figure>: {"captioned": bool, "images": [alt, ...]}
        self.loose_images = []  # alt text of each image outside any <figure>
        self.links = []  # every href of the page
        self.ids = set()  # every id of the page (link targets)
        self.words_before_table = None  # words of article text before its first table
        self.folded = []  # per table: whether it sits in a folded section (<details>)
        self.sequence = []  # "table", "heading" and "csv" (a download link), in page order
        self.exercises = 0  # sphinx-exercise admonitions (class "exercise")
        self.solutions = 0  # and their solutions (class "solution")

    @property
    def _in_article(self):
        return bool(self.stack) and self.stack[-1][1]

    @property
    def _skipped(self):
        return bool(self.stack) and self.stack[-1][2]

    @property
    def _in_heading_one(self):
        return any(entry[0] == "h1" for entry in self.stack)

    def _open_figure(self):
        for open_tag, _, _, figure in reversed(self.stack):
            if figure is not None:
                return figure
        return None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href") is not None:
            self.links.append(attrs["href"])
        in_article = self._in_article or tag == "article" or "bd-article" in classes
        skipped = self._skipped or tag in SKIPPED_TAGS or any(c in classes for c in CODE_CLASSES)
        figure = None
        if in_article and tag == "figure":
            figure = {"captioned": False, "images": []}
            self.figures.append(figure)
        if in_article and tag == "figcaption" and self._open_figure() is not None:
            self._open_figure()["captioned"] = True
        if in_article and "exercise" in classes:
            self.exercises += 1
        if in_article and "solution" in classes:
            self.solutions += 1
        if in_article and tag == "img":
            owner = self._open_figure()
            (owner["images"] if owner is not None else self.loose_images).append(attrs.get("alt") or "")
        if in_article and not skipped:
            if tag == "a" and "ferlib-csv" in classes:
                self.sequence.append("csv")
            if tag in HEADINGS:
                self.sequence.append("heading")
            if tag == "img":
                self.images.append(attrs.get("src"))
            if tag == "table":
                if self.words_before_table is None:
                    self.words_before_table = count_words(" ".join(self.texts))
                self.tables.append([])
                self.sequence.append("table")
                self.folded.append(any(entry[0] == "details" for entry in self.stack))
                if "dataframe" in classes:
                    self.dataframes += 1
            if tag == "tr" and self.tables:
                self.tables[-1].append([])
            if tag in ("td", "th") and self.tables and self.tables[-1]:
                self._cell = [tag, ""]
                self.tables[-1][-1].append(self._cell)
        if tag not in VOID_TAGS:
            self.stack.append((tag, in_article, skipped, figure))

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        while self.stack:  # close up to the matching tag (HTML allows unclosed elements)
            open_tag, _, _, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._in_article and not self._skipped and not self._in_heading_one:
            self.texts.append(data)
            if self._cell is not None:
                self._cell[1] += data


def count_words(text: str) -> int:
    """Words of ``text``: tokens holding a letter or a digit (brackets and dashes alone
    are not words)."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def _index_column(table) -> bool:
    """Whether the body rows of a table start with header cells 0, 1, 2, ..."""
    firsts = [row[0] for row in table if row]
    body = [text.strip() for tag, text in firsts[1:]] if firsts and firsts[0][0] == "th" else []
    headed = [tag for tag, _ in firsts[1:]]
    return (len(body) >= 2 and all(tag == "th" for tag in headed)
            and body == [str(i) for i in range(len(body))])


def _image_problem(src, page: Path):
    if not src or not src.strip():
        return "an image with no src"
    if src.startswith("data:"):
        payload = src.split(",", 1)[1] if "," in src else ""
        try:
            size = len(base64.b64decode(payload)) if ";base64" in src.split(",", 1)[0] else len(payload)
        except ValueError:
            return "an image whose data URI does not decode"
        return None if size >= MIN_IMAGE_BYTES else f"an empty image ({size} bytes of data)"
    if src.startswith(("http:", "https:")):
        return None
    path = (page.parent / src.split("#")[0].split("?")[0]).resolve()
    if not path.is_file():
        return f"an image whose file {src} is missing"
    if path.suffix.lower() != ".svg" and path.stat().st_size < MIN_IMAGE_BYTES:
        return f"an empty image {src} ({path.stat().st_size} bytes)"
    return None


def page_problems(path) -> list:
    """Sentences naming each problem a reader would see on the page at ``path``."""
    path = Path(path)
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    problems = []
    text = " ".join(" ".join(parser.texts).split())
    for found in MISSING_WORDS.finditer(text):
        context = text[max(0, found.start() - 60): found.end() + 30]
        problems.append(f"{found.group(1)!r} in the text: ...{context}...")
    if parser.dataframes:
        problems.append(f"{parser.dataframes} pandas DataFrame(s) dumped as HTML")
    for number, table in enumerate(parser.tables, 1):
        if _index_column(table):
            problems.append(f"table {number} starts with a DataFrame index column (0, 1, 2, ...)")
    for src in parser.images:
        problem = _image_problem(src, path)
        if problem:
            problems.append(problem)
    return problems


# --------------------------------------------------------------------------- figures, links, words


def _parse(path) -> _Page:
    parser = _Page()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser


#: Alt text that is a file name or a hash, not words.
MACHINE_ALT = re.compile(r"(^|/)[0-9a-f]{16,}|\.(png|jpe?g|svg|gif)$", re.IGNORECASE)


def page_tables(path) -> list:
    """The article's tables, in page order: each a list of rows, a row a list of cell texts
    (header and body cells alike)."""
    return [[[text.strip() for _, text in row] for row in table] for table in _parse(path).tables]


def figure_problems(path) -> list:
    """Each image of the page's article that a reader gets without a caption: outside a
    ``<figure>``, in a figure without ``<figcaption>``, or with alt text that is empty or
    a file name instead of words."""
    parser = _parse(path)
    problems = [f"an image outside a captioned figure (alt {alt!r})" for alt in parser.loose_images]
    for number, figure in enumerate(parser.figures, 1):
        if figure["images"] and not figure["captioned"]:
            problems.append(f"figure {number} has no caption")
        for alt in figure["images"]:
            if not alt.strip() or MACHINE_ALT.search(alt.strip()) or len(alt.split()) < 3:
                problems.append(f"figure {number}: its alt text {alt!r} is not a description in words")
    return problems


def tables_too_long(path, *, limit: int = 15) -> list:
    """Each table of the article shown open with more than ``limit`` body rows (a longer
    one belongs in a folded section, with its CSV download)."""
    parser = _parse(path)
    problems = []
    for number, (table, folded) in enumerate(zip(parser.tables, parser.folded), 1):
        rows = [row for row in table if row and not all(tag == "th" for tag, _ in row)]
        if not folded and len(rows) > limit:
            problems.append(f"table {number}: {len(rows)} rows shown open (at most {limit})")
    return problems


def tables_without_download(path) -> list:
    """Each table of the article not followed by its CSV download (a link of class
    ``ferlib-csv``, :func:`ferlib.formatting.csv_link`) before the next table or heading."""
    parser = _parse(path)
    problems, number, waiting = [], 0, None  # waiting: the table that still needs its link
    for event in [*parser.sequence, "end"]:
        if event == "csv":
            waiting = None
            continue
        if waiting is not None:
            first_row = parser.tables[waiting - 1][0] if parser.tables[waiting - 1] else []
            header = " | ".join(text.strip() for _, text in first_row[:3])
            problems.append(f"table {waiting} ({header}): no CSV download after it")
        number += event == "table"
        waiting = number if event == "table" else None
    return problems


class _LaunchLinks(HTMLParser):
    """Collects the links inside the theme's launch-buttons dropdown."""

    GROUP = "dropdown-launch-buttons"

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # how deep inside the group's <div>; 0: outside
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (self.depth or self.GROUP in (attrs.get("class") or "").split()):
            self.depth += 1
        elif self.depth and tag == "a" and attrs.get("href") is not None:
            self.links.append(((attrs.get("title") or "").strip(), attrs["href"]))

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1


def launch_links(path) -> list:
    """``(title, href)`` of each launch button of the page (``"Launch on Binder"``, its
    address), in page order; empty when the page has none."""
    parser = _LaunchLinks()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser.links


def _ids_of(path, cache) -> set:
    if path not in cache:
        cache[path] = _parse(path).ids if path.is_file() else None
    return cache[path]


def broken_links(path, html_dir, *, cache=None) -> list:
    """Each link of the page at ``path`` to a file under ``html_dir`` that does not exist,
    or to an anchor (``#id``) that its target page lacks. Links to other sites, ``data:``
    downloads and ``mailto:`` are not followed."""
    from urllib.parse import unquote, urlsplit

    path, html_dir = Path(path).resolve(), Path(html_dir).resolve()
    cache = {} if cache is None else cache
    problems = []
    for href in _parse(path).links:
        parts = urlsplit(href)
        if parts.scheme or href.startswith(("//", "javascript:")):
            continue
        target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"a link to {href!r}: no such file")
            continue
        if parts.fragment and target.suffix == ".html":
            ids = _ids_of(target, cache)
            if ids is not None and unquote(parts.fragment) not in ids:
                problems.append(f"a link to {href!r}: no such anchor")
    return problems


#: Words about how the book was produced rather than about the science (counted on
#: reader pages, whole words, any case).
PROCESS_WORDS = ("committed", "commit", "run store", "profile", "profiles", "hash", "hashes",
                 "first round", "settled", "first recipe", "this build", "rebuild", "papermill")
_PROCESS = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(PROCESS_WORDS, key=len, reverse=True))
                      + r")\b", re.IGNORECASE)


#: Words of the book's own history, of when and how its runs were produced: none belongs
#: on a page about the science (each thing is named for what it is: a run is trained, not
#: committed; the protocol is the protocol, not the settled one).
HISTORY_WORDS = ("committed", "first round", "settled", "first recipe", "session", "sessions", "this build",
                 "run store", "hash", "hashes", "rebuild")
_HISTORY = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(HISTORY_WORDS, key=len, reverse=True))
                      + r")\b", re.IGNORECASE)


def history_words(text: str) -> list:
    """Each word of :data:`HISTORY_WORDS` in ``text`` with the words around it (up to 40
    characters each side), as found."""
    return [text[max(0, m.start() - 40):m.end() + 40] for m in _HISTORY.finditer(text)]


def prose_text(path) -> str:
    """The article's visible text, outside code and the page title."""
    return " ".join(" ".join(_parse(path).texts).split())


def process_words(text: str) -> list:
    """Each process word of :data:`PROCESS_WORDS` in ``text``, as found."""
    return [match.group(1) for match in _PROCESS.finditer(text)]


def process_word_rate(text: str) -> float:
    """Process words per 1,000 words of ``text`` (0 for an empty text)."""
    words = count_words(text)
    return 1000 * len(process_words(text)) / words if words else 0.0


def words_before_first_table(path):
    """Words of prose a reader reads before the page's first table (the title left
    out), or ``None`` for a page without a table."""
    return _parse(path).words_before_table


def exercise_counts(path) -> tuple:
    """``(exercises, solutions)`` of the page's article: its sphinx-exercise admonitions
    (class ``exercise``) and their solutions (class ``solution``)."""
    parser = _parse(path)
    return parser.exercises, parser.solutions


def process_word_report(paths) -> dict:
    """The words about how the book was produced on the pages at ``paths`` (the reader
    pages), over them all and page by page.

    Returns ``{"words": n, "process": n, "history": n, "pages": [...]}``: the words of
    prose (:func:`prose_text`, :func:`count_words`), the process words of
    :data:`PROCESS_WORDS` and the history words of :data:`HISTORY_WORDS` among them;
    ``pages`` holds, per path in order, ``{"path", "words", "process": [word, ...],
    "history": [context, ...]}``. The rate per 1,000 words is
    ``1000 * process / words``."""
    pages = []
    for path in paths:
        text = prose_text(path)
        pages.append({"path": Path(path), "words": count_words(text), "process": process_words(text),
                      "history": history_words(text)})
    return {"words": sum(page["words"] for page in pages), "process": sum(len(page["process"]) for page in pages),
            "history": sum(len(page["history"]) for page in pages), "pages": pages}


#: The part of the table of contents about the software itself (``_toc.yml``'s caption):
#: the limit on process words is for the other pages, the reader pages, about the science.
APPENDIX_PART = "Appendix"
#: The first column's header of the landing page's verdict table (either apostrophe).
CLAIM_HEADERS = ("the paper’s claim", "the paper's claim")
#: The most words of prose a reader reads before the landing page's verdict table.
VERDICT_WORDS = 350


def verdict_table(path):
    """The landing page's verdict table, as :func:`page_tables` gives a table: the
    article's first table when its header reads the paper's claim
    (:data:`CLAIM_HEADERS`), then ``status``; ``None`` when the page has no table or
    another table comes first."""
    tables = page_tables(path)
    headers = tables[0][0] if tables and tables[0] else []
    return tables[0] if headers[:1] and headers[0] in CLAIM_HEADERS and headers[1:2] == ["status"] else None


def verdict_table_problems(path, *, max_words: int = VERDICT_WORDS) -> list:
    """Why the landing page at ``path`` does not open on its verdict table: it has none
    (:func:`verdict_table`); no claim's status reads reproduced (or not reproduced), or
    none reads partly or untested (the claims made for every network are tested for
    one network only); more than ``max_words`` words of prose before it; the summary
    figure (id ``fig-summary``) missing or after the scope (id ``scope``). Empty: the
    verdict comes first."""
    table = verdict_table(path)
    if table is None:
        tables = page_tables(path)
        if not tables:
            return ["no verdict table: the page has no table"]
        return [f"no verdict table first: the first table's header is {tables[0][0] if tables[0] else []}, "
                "not the paper's claim, then its status"]
    problems = []
    statuses = " ".join(row[1] for row in table[1:] if len(row) > 1)
    if "reproduced" not in statuses:
        problems.append("the verdict table's status column reads no claim reproduced or not reproduced")
    if "partly" not in statuses and "untested" not in statuses:
        problems.append("the verdict table reads no claim partly reproduced or untested: the paper's claims for "
                        "every network are tested for one network only")
    words = words_before_first_table(path)
    if words > max_words:
        problems.append(f"{words} words of prose before the verdict table (at most {max_words})")
    text = Path(path).read_text(encoding="utf-8")
    figure, scope = text.find('id="fig-summary"'), text.find('id="scope"')
    if figure < 0 or scope < 0 or figure > scope:
        problems.append("the summary figure (fig-summary) does not come before the scope (scope)")
    return problems


# --------------------------------------------------------------------------- in a browser

#: What :func:`browser_report` measures on a laid-out page.
_MEASURE = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const article = document.querySelector('article.bd-article') || document.querySelector('article');
  const column = article ? article.getBoundingClientRect().width : window.innerWidth;
  const tables = Array.from((article || document).querySelectorAll('table')).map((t, i) => ({
    index: i + 1, scroll: t.scrollWidth, client: t.clientWidth, width: t.getBoundingClientRect().width, column,
    header: Array.from(t.querySelectorAll('th')).slice(0, 3).map(h => h.innerText.trim()).join(' | ')}));
  const figures = Array.from((article || document).querySelectorAll('figure')).map(f => {
    const img = f.querySelector('img');
    return {width: img ? img.getBoundingClientRect().width : 0,
            column: article ? article.getBoundingClientRect().width : window.innerWidth,
            natural: img ? img.naturalWidth : 0};
  });
  return {tables, figures, pageWidth: document.documentElement.scrollWidth, window: window.innerWidth};
}"""

#: How a reader gets at a table wider than its box (``index``: its number among the
#: article's tables): the element that scrolls it sideways, whether that element is the
#: table's own box (the table, or wrappers holding nothing else) and fits the column,
#: and, scrolled to its right end, each row whose first cell is not held at the box's
#: left edge, is see-through, or lies under another cell; and how wide that column is.
_READ_WIDE_TABLE = """(index) => {
  const article = document.querySelector('article.bd-article') || document.querySelector('article');
  const table = Array.from((article || document).querySelectorAll('table'))[index - 1];
  const column = article ? article.getBoundingClientRect().width : window.innerWidth;
  const own = [table];
  for (let box = table; box.parentElement && box.parentElement.children.length === 1
       && box.parentElement !== article; box = box.parentElement) own.push(box.parentElement);
  let scroller = null;
  for (let box = table; box; box = box.parentElement) {
    const overflow = getComputedStyle(box).overflowX;
    if (box.scrollWidth > box.clientWidth + 1 && (overflow === 'auto' || overflow === 'scroll'
        || box === document.documentElement || box === document.body)) { scroller = box; break; }
  }
  const name = box => box === null ? 'nothing (the content spills out or is cut)'
    : box === document.documentElement || box === document.body ? 'the page'
    : box === article ? 'the article' : '<' + box.tagName.toLowerCase()
      + (box.className ? ' class=' + JSON.stringify(String(box.className)) : '') + '>';
  const result = {scroller: name(scroller), own: own.includes(scroller),
                  boxWidth: scroller ? scroller.getBoundingClientRect().width : 0, column, rows: 0, loose: [],
                  labels: 0, inside: scroller ? scroller.clientWidth : 0};
  if (!result.own) return result;
  const opaque = color => { const m = color.match(/rgba?\\(([^)]*)\\)/);
    if (!m) return false; const parts = m[1].split(/[ ,\\/]+/).filter(Boolean);
    return parts.length < 4 || parseFloat(parts[3]) >= 1; };
  const before = scroller.scrollLeft;
  const rows = Array.from(table.rows);
  result.rows = rows.length;
  rows.forEach((row, r) => {
    const cell = row.cells[0];
    if (!cell) return;
    row.scrollIntoView({block: 'center'});
    scroller.scrollLeft = scroller.scrollWidth;  // to its right end (scrollIntoView may move it)
    if (scroller.scrollLeft < 1) { result.loose.push(`row ${r + 1}: the box does not scroll`); return; }
    const edge = scroller.getBoundingClientRect().left + scroller.clientLeft;
    const rect = cell.getBoundingClientRect();
    result.labels = Math.max(result.labels, rect.width);
    const style = getComputedStyle(cell);
    const hit = document.elementFromPoint(rect.left + Math.min(4, rect.width / 2), rect.top + rect.height / 2);
    const why = [];
    if (Math.abs(rect.left - edge) > 1.5) why.push(`moves ${Math.round(edge - rect.left)} px with the scroll`);
    if (!opaque(style.backgroundColor)) why.push(`has a see-through background (${style.backgroundColor})`);
    if (!hit || !cell.contains(hit)) why.push('lies under another cell');
    if (why.length) result.loose.push(`row ${r + 1}: ${why.join(', ')}`);
  });
  scroller.scrollLeft = before;
  window.scrollTo(0, 0);
  return result;
}"""


#: The fewest image pixels per CSS pixel a figure is shown at for its text to be sharp on
#: a screen of 2 device pixels per CSS pixel (:data:`ferlib.figures.FIGURE_DPI` draws 2;
#: rounding the width a page gives it may lose one).
SHARP_PIXELS = 1.9
#: The largest image file a figure of the book may be (the heaviest figures are 150-300 KiB
#: at the book's resolution).
MAX_FIGURE_BYTES = 512 * 1024


def large_images(path, *, limit: int = MAX_FIGURE_BYTES) -> list:
    """Each image file of the page's article larger than ``limit`` bytes, with its size."""
    problems = []
    for src in _parse(path).images:
        if not src or src.startswith(("data:", "http:", "https:")):
            continue
        image = (Path(path).parent / src.split("#")[0].split("?")[0]).resolve()
        if image.is_file() and image.stat().st_size > limit:
            problems.append(f"an image of {image.stat().st_size // 1024} KiB ({src}; at most {limit // 1024} KiB)")
    return problems


def _read_wide_table(page, table):
    """``(own_box, problems)`` for ``table``, a measured table wider than its box or its
    column: whether a box of its own scrolls it sideways, and why a reader cannot use it
    (empty when that box fits the column and holds the first column in place, opaque
    and on top, that column taking at most half of the box)."""
    label = f"table {table['index']} ({table['header']})"
    found = page.evaluate(_READ_WIDE_TABLE, table["index"])
    if not found["own"]:
        return False, [f"{label}: scrolled by {found['scroller']}, not by a box of its own"]
    if found["boxWidth"] > found["column"] + 1:
        return True, [f"{label}: its scrolling box is {found['boxWidth']:.0f} px wide "
                      f"in a {found['column']:.0f} px column"]
    if found["loose"]:
        return True, [f"{label}: its first column does not stay in view, opaque and on top, while the table scrolls "
                      f"({len(found['loose'])} of {found['rows']} rows; {found['loose'][0]})"]
    if found["labels"] > found["inside"] / 2:
        return True, [f"{label}: its first column takes {found['labels']:.0f} of the {found['inside']:.0f} px "
                      "it scrolls in, leaving less than half to the cells that scroll"]
    return True, []


def browser_report(page, path, width: int) -> dict:
    """Lay out the page at ``path`` in a Playwright ``page`` (Chromium) ``width`` pixels
    wide, with every folded section open, and measure it.

    Returns ``{"clipped": [...], "scrolling": n, "unusable": [...], "overflow": bool,
    "figures_too_wide": [...], "tables": n}``:

    - ``clipped``: the tables whose content is wider than their box (it scrolls or is
      cut) or than the article's column;
    - ``scrolling``: how many of those scroll sideways in a box of their own;
    - ``unusable``: of the clipped tables, each one a reader cannot use, with why: it is
      not scrolled by a box of its own (the table, or wrappers holding nothing else)
      that fits the column, but by the page or the article, or it is cut; or its first
      column, the row labels, does not stay at the box's left edge, opaque and on top,
      when the table is scrolled to its right end; or that column takes more than half
      of the box;
    - ``overflow``: whether the page is wider than the window;
    - ``figures_too_wide``: the figures wider than the article's column;
    - ``figures_blurry``: the figures whose image has fewer than :data:`SHARP_PIXELS`
      pixels per CSS pixel it is shown at (a high-density screen, a phone's or most
      laptops', shows 2 or more device pixels per CSS pixel);
    - ``tables``: the number of tables in the article.
    """
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(Path(path).resolve().as_uri())
    found = page.evaluate(_MEASURE)
    wide = [t for t in found["tables"]
            if t["client"] > 0 and (t["scroll"] > t["client"] + 1 or t["width"] > t["column"] + 1)]
    clipped = [f"table {t['index']} ({t['header']}): {max(t['scroll'], t['width']):.0f} px of content in "
               f"{min(t['client'], t['column']):.0f} px" for t in wide]
    read = [_read_wide_table(page, t) for t in wide]
    unusable = [problem for _, problems in read for problem in problems]
    too_wide = [f"figure {i}: {f['width']:.0f} px in a {f['column']:.0f} px column"
                for i, f in enumerate(found["figures"], 1) if f["width"] > f["column"] + 1]
    blurry = [f"figure {i}: {f['natural']} image pixels shown {f['width']:.0f} px wide (fewer than "
              f"{SHARP_PIXELS} per pixel shown: its text is blurred on a high-density screen)"
              for i, f in enumerate(found["figures"], 1) if f["width"] > 0 and f["natural"] < SHARP_PIXELS * f["width"]]
    return {"clipped": clipped, "scrolling": sum(own for own, _ in read), "unusable": unusable,
            "overflow": found["pageWidth"] > found["window"] + 1,
            "figures_too_wide": too_wide, "figures_blurry": blurry, "tables": len(found["tables"])}


#: How the rows of a table read as cards (``index``: its number among the article's
#: tables): per body row, each cell narrower than the table or beyond the window's edges,
#: each cell not below the one before it, and each cell after the first whose column
#: header (class ``ferlib-label``) is not shown.
_READ_CARDS = """(index) => {
  const article = document.querySelector('article.bd-article') || document.querySelector('article');
  const table = Array.from((article || document).querySelectorAll('table'))[index - 1];
  if (!table) return ['no such table'];
  const box = table.getBoundingClientRect();
  const problems = [];
  const body = table.tBodies.length ? Array.from(table.tBodies[0].rows) : Array.from(table.rows).slice(1);
  body.forEach((row, r) => {
    const cells = Array.from(row.cells);
    cells.forEach((cell, c) => {
      const rect = cell.getBoundingClientRect();
      const where = `row ${r + 1}, cell ${c + 1}`;
      if (rect.width < 0.9 * box.width) problems.push(`${where}: ${Math.round(rect.width)} px wide in a ${Math.round(box.width)} px table`);
      if (rect.left < -1 || rect.right > window.innerWidth + 1) problems.push(`${where}: beyond the window's edge`);
      if (c > 0 && rect.top < cells[c - 1].getBoundingClientRect().bottom - 1) problems.push(`${where}: beside the cell before it, not under it`);
      const label = cell.querySelector('.ferlib-label');
      if (c > 0 && (!label || getComputedStyle(label).display === 'none')) problems.push(`${where}: its column's header is not shown`);
    });
  });
  return problems;
}"""


def card_problems(page, path, width: int, index: int = 1) -> list:
    """Lay out the page at ``path`` in a Playwright ``page`` ``width`` pixels wide and say
    why its table number ``index`` (1: the article's first) does not read as one card
    per row: a cell narrower than nine tenths of the table or beyond the window's edge, a
    cell beside the one before it rather than under it, or a cell after the first without
    its column's header shown. Empty: every row is a card, read top to bottom without
    scrolling sideways."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(Path(path).resolve().as_uri())
    return page.evaluate(_READ_CARDS, index)


#: The widths the book is read at: a laptop's window, where every table fits the
#: article's column, and a phone's, where a wide table may scroll in a box of its own.
LAPTOP, PHONE = 1280, 430
WIDTHS = (LAPTOP, PHONE)


def clipped_tables(report: dict, width: int) -> list:
    """The tables of a :func:`browser_report` made ``width`` pixels wide that a reader
    gets clipped: at a laptop's width (:data:`LAPTOP` or wider) each table wider than
    its column; narrower, each wide table a reader cannot use (``report["unusable"]``:
    not scrolled in a box of its own that fits the column, its row labels held in
    view)."""
    return report["clipped"] if width >= LAPTOP else report["unusable"]


def layout_problems(report: dict, width: int) -> list:
    """Each problem a reader sees on a page laid out ``width`` pixels wide, from its
    :func:`browser_report`: its :func:`clipped_tables`, the page wider than the window,
    a figure wider than the column or blurred."""
    problems = list(clipped_tables(report, width))
    if report["overflow"]:
        problems.append("the page is wider than the window")
    return problems + report["figures_too_wide"] + report["figures_blurry"]


#: The names Debian and others give Chromium's binary.
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def find_chromium():
    """The path of the system's Chromium, or ``None`` (``apt-get install chromium``)."""
    import shutil

    return next((found for found in map(shutil.which, CHROMIUM_NAMES) if found), None)


@contextlib.contextmanager
def chromium_page(executable):
    """A Playwright page of the Chromium at ``executable`` (the system's: Playwright
    downloads no browser), for :func:`browser_report` and :func:`card_problems`; the
    browser closes on leaving."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(executable), args=["--no-sandbox"])
        try:
            yield chromium.new_page()
        finally:
            chromium.close()
