"""Spreadsheet formula injection: every cell the portal writes to a CSV or XLSX reads as text.

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@` (or a tab
or carriage return before one) as a formula, so an organisation named `=HYPERLINK("http://evil",
"Click")` in an export would run in the reader's spreadsheet. OWASP's remedy is to prefix such a
cell with a single quote, which spreadsheets show as text. Negative numbers written as Python
writes them (`-0.2019`, `-1.5e3`) are left alone, so coordinates still sort and sum; text such
as `+44` is quoted, since a spreadsheet would otherwise turn it into the number 44.

This module is the one rule: `safe_cell` (and the writers built on it) for Python, `csv_cell` for
the API's cells, and `sql_safe_cell` for the exports PostgreSQL writes, generated from the same
prefixes and number pattern so both give the same bytes. `unescape_cell` undoes the quote when a
file the portal exported is imported again, so a round trip changes nothing.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.encoding import force_str

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits only: PostgreSQL's [0-9] must agree with Python's on every input.
NUMBER_PATTERN = r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_NUMBER = re.compile(NUMBER_PATTERN)
ESCAPE = "'"


def needs_escape(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text)


def safe_cell(value: Any) -> Any:
    """The value, or a string a spreadsheet will show as text if it would otherwise start a formula."""
    if isinstance(value, str) and needs_escape(value):
        return ESCAPE + value
    return value


def unescape_cell(value: Any) -> Any:
    """A cell read back from an export: the quote `safe_cell` added is taken off again."""
    if isinstance(value, str) and value.startswith(ESCAPE) and needs_escape(value[1:]):
        return value[1:]
    return value


def csv_cell(value) -> str | int | float:
    """One API CSV cell: lists joined with `;`, booleans as true/false, text made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = ";".join(force_str(item) for item in value)
    return safe_cell(force_str(value))


def sql_safe_cell(expression: str) -> str:
    """SQL applying `safe_cell` to a text expression (for exports PostgreSQL writes itself)."""
    prefixes = ", ".join(f"chr({ord(prefix)})" for prefix in FORMULA_PREFIXES)
    return (
        f"(CASE WHEN left({expression}, 1) IN ({prefixes}) AND {expression} !~ '^{NUMBER_PATTERN}$'"
        f" THEN chr({ord(ESCAPE)}) || {expression} ELSE {expression} END)"
    )


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: safe_cell(value) for key, value in row.items()}


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    def __init__(self, writer: csv.DictWriter):
        self._writer = writer

    def writeheader(self):
        return self._writer.writeheader()

    def writerow(self, row):
        return self._writer.writerow(safe_dict(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(file, **kwargs) -> _SafeWriter:
    """`csv.writer(file)` whose rows are guarded against formula injection."""
    return _SafeWriter(csv.writer(file, **kwargs))


def dict_writer(file, fieldnames, **kwargs) -> _SafeDictWriter:
    """`csv.DictWriter(file, fieldnames)` whose rows are guarded against formula injection."""
    return _SafeDictWriter(csv.DictWriter(file, fieldnames, **kwargs))
