"""Paging for every list: page numbers with a total count, or keyset cursors where a walk must be stable.

Both answer with the same envelope, `{"count", "next", "previous", "results"}`, plus an RFC 8288
`Link` header, so the GeoJSON and CSV renderers can reshape any page.
"""

import orjson
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.cache import LANDSCAPE, cached
from core.keyset import InvalidCursor, Keyset
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
        self.keyset = Keyset(queryset)
        try:
            cursor = self.keyset.decode(request.query_params.get(self.cursor_query_param))
            self.count, self.count_is_estimate = count_rows(queryset)
            page = self.keyset.page(cursor, size, read=read_rows)
        except InvalidCursor as error:
            raise exceptions.ValidationError({self.cursor_query_param: [str(error)]}) from None
        self.rows, self.has_previous, self.has_next = page.rows, page.has_previous, page.has_next
        return page.rows

    def cursor_after(self, queryset, row) -> str:
        """The cursor of the page that starts after `row` of `queryset` (in that queryset's order)."""
        return Keyset(queryset).encode(row)

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
        return self._url(self.keyset.encode(self.rows[-1]))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.rows:
            return self._url(None)
        return self._url(self.keyset.encode(self.rows[0], reverse=True))

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
