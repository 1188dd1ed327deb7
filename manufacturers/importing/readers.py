"""Reading a landscape spreadsheet, CSV or XLSX, into one dict per row keyed by column."""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator

from core.csv_safety import unescape_cell

from .columns import normalise_header


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) > 180:
        value = int(value)  # a number a spreadsheet stored as float, such as a Companies House number
    # An exported cell that would have started a formula carries a leading quote; take it off so
    # re-importing an export changes nothing.
    return unescape_cell(str(value).strip())


def rows_from_table(header: list, records: Iterable[list]) -> Iterator[dict]:
    """Dicts keyed by normalised column, one per record, blank records included (they keep row numbers)."""
    columns = [normalise_header(name) for name in header]
    for record in records:
        values = [_cell(value) for value in record]
        values += [""] * (len(columns) - len(values))
        yield {column: value for column, value in zip(columns, values, strict=False) if column}


def csv_records(lines: Iterable[str]) -> tuple[list[str], Iterator[list[str]]]:
    """The header and the records of CSV text, without the byte order mark Excel writes first."""
    lines = iter(lines)
    first = next(lines, "")
    reader = csv.reader(itertools.chain([first.lstrip("\ufeff")], lines))
    return next(reader, []), reader


def rows_from_csv(handle) -> Iterator[dict]:
    header, records = csv_records(handle)
    yield from rows_from_table(header, records)


def rows_from_xlsx(content: bytes) -> Iterator[dict]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    rows = workbook.active.iter_rows(values_only=True)
    header = list(next(rows, []) or [])
    yield from rows_from_table(header, rows)


def rows_from_dataset(dataset) -> Iterator[dict]:
    """Rows of a tablib Dataset (what django-import-export reads an upload into)."""
    yield from rows_from_table(list(dataset.headers or []), dataset)
