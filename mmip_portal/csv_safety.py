"""Spreadsheet formula injection: make every exported cell read as text, never run as a formula.

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@` (or a tab
or carriage return before one) as a formula, so an organisation named `=HYPERLINK("http://evil",
"Click")` in a CSV export would run in the reader's spreadsheet. OWASP's remedy is to prefix such
a cell with a single quote, which spreadsheets show as text. Plain numbers such as `-0.2019` are
left alone, so coordinates still sort and sum. Every CSV the portal writes (API exports, import
error reports) goes through `safe_cell`, `safe_row` or `writer`.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value, or a string a spreadsheet will show as text if it would otherwise start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


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
