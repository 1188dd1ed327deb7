"""Whole numbers as they arrive in paths, query strings, forms and spreadsheets.

``str.isdigit()`` is also true for superscripts and other scripts' digits ("¹", "٣"), which
``int()`` rejects or which no id, page number or version is written in, so a check built on it
lets "/sites/¹/" through to an ``int()`` that fails. Every such check uses this one rule.
"""


def is_whole_number(text: str) -> bool:
    """True for a non-empty run of ASCII digits 0-9."""
    return text.isascii() and text.isdigit()
