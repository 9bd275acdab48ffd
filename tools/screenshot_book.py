"""Screenshot every page of the built book with headless Chromium, to check it by eye.

    python tools/screenshot_book.py [OUT] [--html _build/html] [--width 1280] [--tile 1600]

One PNG per HTML page of the book (``notebooks/00_summary.png``,
``notebooks/07_results.png``...) is written under ``OUT`` (default
``_build/screenshots``), cropped below the page's last line. ``--width 430`` shows the
book as a phone does. ``--tile N`` also cuts each page into pieces ``N`` pixels high
(``07_results-01.png``...), which are easier to read at full size.

Needs a Chromium or Chrome binary (``apt-get install chromium`` on Debian); it is
driven through its public command line (``--headless --screenshot``) only. The
screenshots are for looking at, not for git.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Pages of a Jupyter Book build that are not the book's own.
SKIPPED = {"genindex.html", "search.html", "py-modindex.html"}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BACKGROUND_TOLERANCE = 12  # grey levels a "blank" pixel may differ from the page background


def find_browser() -> str:
    """The first Chromium-like binary on the PATH; ``FileNotFoundError`` naming what to install."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(f"no Chromium found (tried {', '.join(BROWSERS)}); "
                            f"install it, e.g. `apt-get install -y chromium`")


def book_pages(html_dir) -> list:
    """The book's HTML pages under ``html_dir`` (its sources and theme files left out)."""
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise FileNotFoundError(f"{html_dir}: no index.html; build the book first (python -m ferlib book)")
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        relative = path.relative_to(html_dir)
        if relative.parts[0].startswith("_") or relative.name in SKIPPED:
            continue
        if relative.name == "index.html" and len(relative.parts) == 1:
            continue  # a redirect to the first page
        pages.append(path)
    return pages


#: The footer ("By the ferlib authors") sits at the bottom of the window, however tall.
FOOTER_HEIGHT = 110


def content_bottom(image, *, margin: int = 40) -> int:
    """The row below the last non-blank row of the page's main column, above the footer
    (the side bars run the whole height and are ignored)."""
    import numpy as np

    grey = np.asarray(image.convert("L"), dtype=np.int16)
    height, width = grey.shape
    middle = grey[: height - FOOTER_HEIGHT, int(width * 0.22): int(width * 0.78)]
    background = np.median(middle[-20:], axis=None)
    rows = np.flatnonzero((np.abs(middle - background) > BACKGROUND_TOLERANCE).any(axis=1))
    return height if not len(rows) else min(height, int(rows[-1]) + margin)


def screenshot(browser: str, page: Path, target: Path, *, width: int, height: int) -> None:
    """One headless Chromium screenshot of ``page`` at ``width`` x ``height``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [browser, "--headless", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
               "--no-first-run", "--force-device-scale-factor=1", f"--window-size={width},{height}",
               f"--screenshot={target}", page.resolve().as_uri()]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    with tempfile.TemporaryDirectory(prefix="screenshot-profile-") as profile:
        command.insert(1, f"--user-data-dir={profile}")
        completed = subprocess.run(command, capture_output=True, text=True, timeout=180)
    if completed.returncode != 0 or not target.is_file():
        raise RuntimeError(f"{page}: chromium failed (exit {completed.returncode}): {completed.stderr[-1500:]}")


def capture_page(browser: str, page: Path, target: Path, *, width: int = 1280, start_height: int = 6000,
                 max_height: int = 32000) -> tuple:
    """A full-page screenshot of ``page`` in ``target``: the window grows until the page
    ends above its bottom edge (or ``max_height`` is reached), then the PNG is cropped.
    Returns ``(height, cut_off)``."""
    from PIL import Image

    height = start_height
    while True:
        screenshot(browser, page, target, width=width, height=height)
        with Image.open(target) as image:
            bottom = content_bottom(image)
            cut_off = bottom >= height - FOOTER_HEIGHT
            if not cut_off or height >= max_height:
                image.crop((0, 0, width, bottom)).save(target)
                return bottom, cut_off
        height = min(max_height, height * 2)


def tile(target: Path, tile_height: int) -> list:
    """Cut ``target`` into pieces ``tile_height`` high next to it; returns their paths."""
    from PIL import Image

    pieces = []
    with Image.open(target) as image:
        for number, top in enumerate(range(0, image.height, tile_height), 1):
            piece = target.with_name(f"{target.stem}-{number:02d}.png")
            image.crop((0, top, image.width, min(image.height, top + tile_height))).save(piece)
            pieces.append(piece)
    return pieces


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default="_build/screenshots", help="where the PNGs go")
    parser.add_argument("--html", default="_build/html", help="the built book (default _build/html)")
    parser.add_argument("--width", type=int, default=1280, help="window width in pixels")
    parser.add_argument("--tile", type=int, default=0, help="also cut each page into pieces this high")
    parser.add_argument("--only", nargs="*", default=None, help="only pages whose path contains one of these")
    args = parser.parse_args(argv)
    try:
        browser = find_browser()
        pages = book_pages(args.html)
        if args.only:
            pages = [p for p in pages if any(part in p.as_posix() for part in args.only)]
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out, html = Path(args.out), Path(args.html)
    for page in pages:
        target = out / page.relative_to(html).with_suffix(".png")
        height, cut_off = capture_page(browser, page, target, width=args.width)
        note = " (cut off at the maximum height)" if cut_off else ""
        pieces = tile(target, args.tile) if args.tile else []
        print(f"{target}: {args.width} x {height}{note}" + (f", {len(pieces)} tiles" if pieces else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
