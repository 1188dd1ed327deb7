"""Whole numbers as they arrive in paths, query strings, forms and spreadsheets.

``str.isdigit()`` is also true for superscripts and other scripts' digits ("¹", "٣"), which
``int()`` rejects or which no id, page number or version is written in, so a check built on it
lets "/sites/¹/" through to an ``int()`` that fails. Every such check uses this one rule.

At most 18 digits: every such number fits PostgreSQL's bigint, and ``int()`` refuses text of
more than 4,300 digits outright.
"""

MAX_DIGITS = 18


def is_whole_number(text: str) -> bool:
    """True for a non-empty run of at most 18 ASCII digits 0-9."""
    return len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()
