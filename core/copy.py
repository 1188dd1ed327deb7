"""PostgreSQL COPY in its text format: values written as COPY reads them, streamed without building
the whole table in memory, into temporary staging tables that set-based SQL then merges.

Used where many rows are written at once (the spreadsheet import, the bench's data load): one
COPY and one INSERT … SELECT or UPDATE … FROM per table instead of a statement per batch of rows.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection


def quote_name(name: str) -> str:
    """Django's quoting of a table or column name (looked up when called: the bench imports this
    module before Django is set up)."""
    return connection.ops.quote_name(name)


# Backslash first: the others add backslashes of their own.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def array_literal(items: Iterable) -> str:
    """A list as a PostgreSQL array literal ({"a","b"}), each element quoted."""
    elements = (
        "NULL" if item is None else '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"'
        for item in items
    )
    return "{" + ",".join(elements) + "}"


def copy_value(value) -> str:
    """One value as a field of COPY's text format."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | tuple):
        text = array_literal(value)
    elif isinstance(value, datetime.datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return text.translate(_ESCAPES)


def copy_line(values: Sequence) -> str:
    return "\t".join(copy_value(value) for value in values) + "\n"


class LineStream(io.RawIOBase):
    """A read()-able stream over lines made on demand, so COPY never needs the whole table in memory."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self._buffer = b""

    def readable(self):
        return True

    def read(self, size=-1):
        while size < 0 or len(self._buffer) < size:
            chunk = "".join(line for _, line in zip(range(2000), self._lines, strict=False))
            if not chunk:
                break
            self._buffer += chunk.encode()
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY `rows` (tuples in the order of `columns`) into `table`, streamed."""
    names = ", ".join(quote_name(column) for column in columns)
    stream = LineStream(copy_line(row) for row in rows)
    # The Django cursor wraps psycopg2's; copy_expert is psycopg2's own.
    cursor.cursor.copy_expert(f"COPY {quote_name(table)} ({names}) FROM STDIN", stream)


@contextmanager
def staging_table(cursor, name: str, *, like: str, columns: Sequence[str], extra: str = ""):
    """A temporary table with `columns` typed as in table `like` (and `extra` column definitions),
    without its constraints, so a row may give only some of them; dropped on leaving.

    The table is dropped on leaving as well as with the transaction, so one transaction can stage
    twice under the same name (two imports inside one test's transaction).
    """
    names = ", ".join(quote_name(column) for column in columns)
    cursor.execute(f"DROP TABLE IF EXISTS {quote_name(name)}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {quote_name(name)} ON COMMIT DROP AS "  # noqa: S608 (quoted names)
        f"SELECT {names} FROM {quote_name(like)} WITH NO DATA"
    )
    if extra:
        cursor.execute(f"ALTER TABLE {quote_name(name)} {extra}")
    yield name
    # Not in a `finally`: after an error the transaction is aborted, and rolling it back (or the
    # savepoint) drops the table anyway.
    cursor.execute(f"DROP TABLE {quote_name(name)}")


def next_ids(cursor, table: str, count: int) -> list[int]:
    """`count` ids from the sequence behind `table`.id, taken now so rows can be linked before they
    are written (a site's organisation, a link's site) and written by one COPY each."""
    if not count:
        return []
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
    )
    return [row[0] for row in cursor.fetchall()]
