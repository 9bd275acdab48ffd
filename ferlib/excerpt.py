"""Quoting the user's files in error messages: never more than :data:`QUOTE_LIMIT`
characters of them, so that one bad line of a large file (a CSV whose line ends a
reader does not see, a garbled checksum file) gives a one-line error, not the file."""

from __future__ import annotations

#: The most characters of a file an error message quotes.
QUOTE_LIMIT = 200


def excerpt(value, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` (``value`` made a ``str`` first) cut to at most ``limit`` characters
    of the text, saying how long the whole was, e.g. ``'1 2 3 ...' (first 200 of 993,131
    characters)``."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... (first {limit} of {len(text):,} characters)"


def shortened(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as it is when it has at most ``limit`` characters, else its first
    ``limit`` followed by how long the whole was (for text already quoted, e.g. a repr)."""
    try:
        text = str(text)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number of more than 4,300 digits"
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... (first {limit} of {len(text):,} characters)"
