"""Paging for every list: page numbers with a total count, or keyset cursors where a walk must be stable.

Both answer with the same envelope, `{"count", "next", "previous", "results"}`, plus an RFC 8288
`Link` header, so the GeoJSON and CSV renderers can reshape any page.
"""

import base64
import binascii
from datetime import datetime
from functools import reduce
from operator import and_, or_

import orjson
from django.contrib.postgres.search import SearchRank
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.cache import LANDSCAPE, cached
from core.numbers import is_whole_number

# Above this many rows (by the planner's estimate) a list's total is the estimate, not a COUNT(*).
ESTIMATE_COUNTS_ABOVE = 10_000


def planner_estimate(queryset) -> int:
    """How many rows PostgreSQL's planner expects `queryset` to return (EXPLAIN, nothing executed)."""
    plan = orjson.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _count(queryset) -> tuple[int, bool]:
    estimate = planner_estimate(queryset)
    if estimate > ESTIMATE_COUNTS_ABOVE:
        return estimate, True
    return queryset.order_by().count(), False


def count_rows(queryset) -> tuple[int, bool]:
    """(total, whether it is an estimate): exact up to ESTIMATE_COUNTS_ABOVE rows, the planner's estimate above.

    No exact COUNT(*) runs over a big list: counting a million rows costs a scan of them on
    every request, and a visitor reading "about 1,000,000" loses nothing. Shared through the
    cache until the next write to the landscape, keyed by the query's SQL.
    """
    sql, params = queryset.order_by().query.sql_with_params()
    return tuple(
        cached(LANDSCAPE, ("count", sql, [str(param) for param in params]), lambda: _count(queryset))
    )


def read_rows(queryset, start: int, stop: int):
    """`queryset[start:stop]`, or the same rows by a cheaper road where the queryset knows one
    (the sites nearest a point: through the KNN index)."""
    read = getattr(queryset, "rows", None)
    return read(start, stop) if read else queryset[start:stop]


class EstimatedCountPaginator(Paginator):
    """Django's Paginator with `count_rows()` for the total; `count_is_estimate` says which it is."""

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        return count_rows(self.object_list)

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @property
    def count_is_estimate(self) -> bool:
        return self._counted[1]

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        # As Paginator's, except that an estimate may be low: a page is never cut short at it.
        if not self.count_is_estimate and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(read_rows(self.object_list, bottom, top), number, self)


def _page_size(request, *, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    value = int(raw) if is_whole_number(raw) else 0
    if not 1 <= value <= maximum:
        raise exceptions.ValidationError(
            {name: [_("Enter a whole number from 1 to %(maximum)d.") % {"maximum": maximum}]}
        )
    return value


def _link_header(next_url: str | None, previous_url: str | None) -> str:
    links = [f'<{url}>; rel="{rel}"' for rel, url in (("next", next_url), ("prev", previous_url)) if url]
    return ", ".join(links)


def _envelope_schema(schema: dict, *, count_description: str) -> dict:
    return {
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer", "description": count_description},
            "next": {"type": "string", "nullable": True, "format": "uri"},
            "previous": {"type": "string", "nullable": True, "format": "uri"},
            "results": schema,
        },
    }


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=2&page_size=100`: numbered pages with the total count of matching rows."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    @property
    def query_params(self) -> tuple[str, ...]:
        return (self.page_query_param, self.page_size_query_param)

    def get_page_size(self, request):
        return _page_size(
            request, name=self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def paginate_queryset(self, queryset, request, view=None):
        raw_page = request.query_params.get(self.page_query_param, "1")
        if not is_whole_number(raw_page) or int(raw_page) < 1:
            raise exceptions.ValidationError(
                {self.page_query_param: [_("Enter a whole number of 1 or more.")]}
            )
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            raise exceptions.NotFound(
                _("There is no page %(page)s of this list.") % {"page": raw_page}
            ) from None

    def get_paginated_response(self, data):
        response = Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )
        if link := _link_header(self.get_next_link(), self.get_previous_link()):
            response["Link"] = link
        return response

    def get_paginated_response_schema(self, schema):
        return _envelope_schema(schema, count_description="How many rows match, over all pages.")

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "The page to return, counting from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# PostgreSQL's limits: bigint ids, and ts_rank's 4-byte real (a search's rank).
BIGINT_RANGE = (-(2**63), 2**63 - 1)
REAL_MAX = 3.4e38


def _storable(value) -> bool:
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


class KeysetCursorPagination(pagination.BasePagination):
    """`?cursor=...`: opaque cursors over the list's ordering plus the id, so a full walk is stable.

    A cursor remembers the sort values of the last row seen, and the next page starts strictly
    after them. Rows added, changed or removed during a walk never make another row appear twice
    or be skipped, which offset paging cannot promise. The ordering is whatever the filters chose
    (by name unless `ordering` says otherwise); the id is appended to break ties.
    """

    page_size = 100
    max_page_size = 1000
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    @property
    def query_params(self) -> tuple[str, ...]:
        return (self.cursor_query_param, self.page_size_query_param)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = _page_size(
            request, name=self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )
        self.keys = self._ordering_keys(queryset)
        cursor = self._decode(request.query_params.get(self.cursor_query_param))
        self.count, self.count_is_estimate = count_rows(queryset)
        reverse = bool(cursor and cursor["reverse"])
        if cursor:
            values = [
                self._comparable(queryset, field, value)
                for (field, _d), value in zip(self.keys, cursor["values"], strict=True)
            ]
            try:
                queryset = queryset.filter(self._beyond(values, reverse=reverse))
            except (TypeError, ValueError, DjangoValidationError):
                raise self._invalid_cursor() from None  # a hand-made cursor with values of the wrong type
        order_by = [(f"-{field}" if descending != reverse else field) for field, descending in self.keys]
        rows = list(read_rows(queryset.order_by(*order_by), 0, size + 1))
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_previous, self.has_next = cursor is not None, more
        self.rows = rows
        return rows

    def cursor_after(self, queryset, row) -> str:
        """The cursor of the page that starts after `row` of `queryset` (in that queryset's order)."""
        self.keys = self._ordering_keys(queryset)
        return self._encode(row, reverse=False)

    def _ordering_keys(self, queryset) -> list[tuple[str, bool]]:
        keys = []
        for term in queryset.query.order_by:
            if not isinstance(term, str):  # an expression: the filters never produce one for the API
                raise TypeError("Keyset paging needs the queryset ordered by field names.")
            keys.append((term.lstrip("-"), term.startswith("-")))
        if not any(field in ("id", "pk") for field, _descending in keys):
            keys.append(("id", False))
        return keys

    def _comparable(self, queryset, field: str, value):
        """The cursor's value as the database should compare it with the row's."""
        if isinstance(value, float) and isinstance(queryset.query.annotations.get(field), SearchRank):
            # ts_rank() returns a 4-byte real, which the driver reads as its shortest decimal text
            # (0.6079271); read back as a real, that text is exactly the stored value again.
            return RawSQL("%s::real", (value,))
        return value

    def _beyond(self, values: list, *, reverse: bool) -> Q:
        """Rows strictly after `values` in the ordering (before them, when paging backwards)."""
        conditions = []
        for index, (field, descending) in enumerate(self.keys):
            lookup = "lt" if descending != reverse else "gt"
            equal = [Q(**{name: values[i]}) for i, (name, _desc) in enumerate(self.keys[:index])]
            conditions.append(reduce(and_, [*equal, Q(**{f"{field}__{lookup}": values[index]})]))
        return reduce(or_, conditions)

    def _value(self, row, field: str):
        value = row
        for part in field.split("__"):
            value = getattr(value, part)
        return value.isoformat() if isinstance(value, datetime) else value

    def _encode(self, row, *, reverse: bool) -> str:
        payload = {
            "k": [f"-{field}" if descending else field for field, descending in self.keys],
            "v": [self._value(row, field) for field, _descending in self.keys],
            "r": reverse,
        }
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")

    def _invalid_cursor(self):
        return exceptions.ValidationError(
            {
                self.cursor_query_param: [
                    _("This cursor is not valid: use the next or previous link as given.")
                ]
            }
        )

    def _decode(self, raw: str | None) -> dict | None:
        if raw in (None, ""):
            return None
        invalid = self._invalid_cursor()
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            raise invalid from None
        if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
            raise invalid
        expected = [f"-{field}" if descending else field for field, descending in self.keys]
        if payload.get("k") != expected:
            raise exceptions.ValidationError(
                {
                    self.cursor_query_param: [
                        _(
                            "This cursor belongs to a different ordering: keep the query the same while paging."
                        )
                    ]
                }
            )
        values = payload["v"]
        if len(values) != len(self.keys) or not all(map(_storable, values)):
            raise invalid
        return {"values": values, "reverse": bool(payload.get("r"))}

    def _url(self, cursor: str | None) -> str:
        url = self.request.build_absolute_uri()
        return (
            replace_query_param(url, self.cursor_query_param, cursor)
            if cursor
            else remove_query_param(url, self.cursor_query_param)
        )

    def get_next_link(self) -> str | None:
        if not self.has_next or not self.rows:
            return None
        return self._url(self._encode(self.rows[-1], reverse=False))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.rows:
            return self._url(None)
        return self._url(self._encode(self.rows[0], reverse=True))

    def get_paginated_response(self, data):
        next_url, previous_url = self.get_next_link(), self.get_previous_link()
        response = Response(
            {"count": self.count, "next": next_url, "previous": previous_url, "results": data}
        )
        if link := _link_header(next_url, previous_url):
            response["Link"] = link
        return response

    def get_paginated_response_schema(self, schema):
        return _envelope_schema(
            schema,
            count_description=(
                "How many rows match the filters, over all pages: exact up to "
                f"{ESTIMATE_COUNTS_ABOVE:,}, PostgreSQL's estimate above."
            ),
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "An opaque position, taken from the `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
