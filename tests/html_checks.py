"""What a reader must never see on a page of the built book, found in its HTML.

:func:`page_problems` reads one page and names each problem: ``NaN``, ``None`` or
``<NA>`` in the text a reader sees (the article, outside code), a pandas DataFrame
dumped as HTML, a table whose first column is a DataFrame index (header cells
0, 1, 2, ...) and a figure with no image (no ``src``, an empty data URI, a missing or
empty file). Code (shown behind a toggle) may say ``None``: it is skipped.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

#: Words that mean a value was never filled in.
MISSING_WORDS = re.compile(r"(?<![\w-])(NaN|nan|None|<NA>|NaT)(?![\w-])")
#: Classes of elements whose text is code, not prose.
CODE_CLASSES = ("highlight", "cell_input", "literal-block")
SKIPPED_TAGS = ("script", "style", "pre", "code", "button")
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

    @property
    def _in_article(self):
        return bool(self.stack) and self.stack[-1][1]

    @property
    def _skipped(self):
        return bool(self.stack) and self.stack[-1][2]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        in_article = self._in_article or tag == "article" or "bd-article" in classes
        skipped = self._skipped or tag in SKIPPED_TAGS or any(c in classes for c in CODE_CLASSES)
        if in_article and not skipped:
            if tag == "img":
                self.images.append(attrs.get("src"))
            if tag == "table":
                self.tables.append([])
                if "dataframe" in classes:
                    self.dataframes += 1
            if tag == "tr" and self.tables:
                self.tables[-1].append([])
            if tag in ("td", "th") and self.tables and self.tables[-1]:
                self._cell = [tag, ""]
                self.tables[-1][-1].append(self._cell)
        if tag not in VOID_TAGS:
            self.stack.append((tag, in_article, skipped))

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        while self.stack:  # close up to the matching tag (HTML allows unclosed elements)
            open_tag, _, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._in_article and not self._skipped:
            self.texts.append(data)
            if self._cell is not None:
                self._cell[1] += data


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
