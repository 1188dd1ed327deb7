"""Keyset paging: pages that start strictly after (or end strictly before) a row's sort values.

The one implementation behind the API's `?cursor=` walks and the directory's deep pages. A page
costs an index range read whatever its depth, where `OFFSET` reads and discards every row before
it; and rows added or removed during a walk never make another row appear twice or be skipped.
"""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import and_, or_

import orjson
from django.contrib.postgres.search import SearchRank
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

# PostgreSQL's limits: bigint ids, and ts_rank's 4-byte real (a search's rank).
BIGINT_RANGE = (-(2**63), 2**63 - 1)
REAL_MAX = 3.4e38


class InvalidCursor(ValueError):
    """A cursor that was not made by this ordering's links; the message says what to do."""


def storable(value) -> bool:
    """Whether a cursor value can reach SQL as it is: a string without NUL (which PostgreSQL text
    cannot hold), an integer within bigint, or a number within a real (a rank, or a distance)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, int):
        return BIGINT_RANGE[0] <= value <= BIGINT_RANGE[1]
    if isinstance(value, float):
        return abs(value) <= REAL_MAX
    return False


@dataclass(frozen=True)
class Cursor:
    values: list
    reverse: bool = False
    # What a caller keeps beside the position (the directory: the page's number, for display).
    extra: dict = field(default_factory=dict)


@dataclass
class KeysetPage:
    rows: list
    has_previous: bool
    has_next: bool


class Keyset:
    """The keyset of a queryset's ordering (field names), with the id appended to break ties."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.keys = _ordering_keys(queryset)

    @property
    def names(self) -> list[str]:
        return [f"-{name}" if descending else name for name, descending in self.keys]

    def page(self, cursor: Cursor | None, size: int, *, read=None) -> KeysetPage:
        """The `size` rows after the cursor (before it, when it points backwards).

        `read(queryset, start, stop)` reads the rows (default: a slice), so a queryset that knows
        a cheaper road to its first rows (the KNN index) takes it.
        """
        queryset = self.queryset
        reverse = bool(cursor and cursor.reverse)
        if cursor:
            values = [
                self._comparable(name, value)
                for (name, _d), value in zip(self.keys, cursor.values, strict=True)
            ]
            try:
                queryset = queryset.filter(self._beyond(values, reverse=reverse))
            except (TypeError, ValueError, DjangoValidationError):
                raise InvalidCursor(invalid_cursor_message()) from None  # hand-made, values of the wrong type
        order_by = [(f"-{name}" if descending != reverse else name) for name, descending in self.keys]
        ordered = queryset.order_by(*order_by)
        rows = list(read(ordered, 0, size + 1) if read else ordered[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            return KeysetPage(rows, has_previous=more, has_next=True)
        return KeysetPage(rows, has_previous=cursor is not None, has_next=more)

    def encode(self, row, *, reverse: bool = False, **extra) -> str:
        """The cursor of the rows after `row` (before it, with `reverse`), opaque and URL-safe."""
        payload = {"k": self.names, "v": [_value(row, name) for name, _d in self.keys], "r": reverse}
        if extra:
            payload["x"] = extra
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")

    def decode(self, raw: str | None) -> Cursor | None:
        """The cursor in `raw`, None for none; InvalidCursor for one this ordering did not make."""
        if raw in (None, ""):
            return None
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            raise InvalidCursor(invalid_cursor_message()) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
            raise InvalidCursor(invalid_cursor_message())
        if payload.get("k") != self.names:
            raise InvalidCursor(
                _("This cursor belongs to a different ordering: keep the query the same while paging.")
            )
        values, extra = payload["v"], payload.get("x", {})
        if len(values) != len(self.keys) or not all(map(storable, values)) or not isinstance(extra, dict):
            raise InvalidCursor(invalid_cursor_message())
        return Cursor(values=values, reverse=bool(payload.get("r")), extra=extra)

    def _comparable(self, name: str, value):
        """The cursor's value as the database should compare it with the row's."""
        if isinstance(value, float) and isinstance(self.queryset.query.annotations.get(name), SearchRank):
            # ts_rank() returns a 4-byte real, which the driver reads as its shortest decimal text
            # (0.6079271); read back as a real, that text is exactly the stored value again.
            return RawSQL("%s::real", (value,))
        return value

    def _beyond(self, values: list, *, reverse: bool) -> Q:
        """Rows strictly after `values` in the ordering (before them, when paging backwards)."""
        conditions = []
        for index, (name, descending) in enumerate(self.keys):
            lookup = "lt" if descending != reverse else "gt"
            equal = [Q(**{earlier: values[i]}) for i, (earlier, _d) in enumerate(self.keys[:index])]
            conditions.append(reduce(and_, [*equal, Q(**{f"{name}__{lookup}": values[index]})]))
        # The same rows, with the first key's bound said on its own: PostgreSQL reads an OR of
        # conditions by scanning the index from its start and filtering, but starts an index
        # range at a plain bound; without it a page deep in a million rows reads them all.
        first, descending = self.keys[0]
        bound = Q(**{f"{first}__{'lte' if descending != reverse else 'gte'}": values[0]})
        return bound & reduce(or_, conditions)


def invalid_cursor_message() -> str:
    return _("This cursor is not valid: use the next or previous link as given.")


def _ordering_keys(queryset) -> list[tuple[str, bool]]:
    keys = []
    for term in queryset.query.order_by:
        if not isinstance(term, str):  # an expression: the filters never produce one
            raise TypeError("Keyset paging needs the queryset ordered by field names.")
        keys.append((term.lstrip("-"), term.startswith("-")))
    if not any(name in ("id", "pk") for name, _descending in keys):
        keys.append(("id", False))
    return keys


def _value(row, name: str):
    value = row
    for part in name.split("__"):
        value = getattr(value, part)
    return value.isoformat() if isinstance(value, datetime) else value
