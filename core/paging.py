"""The public lists' pages: numbered near the top, by keyset below, so no page reads past a million rows.

`?page=N` addresses the first NUMBERED_PAGES pages (an `OFFSET` of a few hundred rows at most,
and links a person can read and share). From the last of them, "Next page" carries a keyset
cursor (`?cursor=`) that starts strictly after the page's last row, as the API's cursors do: a
page deep in a million sites costs an index range read, where a page number would make
PostgreSQL read and discard every row before it. The cursor carries the page's number for
display ("Page 41 of about 40,000").
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.paginator import InvalidPage
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from core.api.pagination import EstimatedCountPaginator, read_rows
from core.keyset import InvalidCursor, Keyset, invalid_cursor_message
from core.numbers import is_whole_number

NUMBERED_PAGES = 20


class PageRefused(ValueError):
    """A page the list does not serve; `parameter` names the query parameter at fault."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


@dataclass
class ListPage(Sequence):
    """One page of rows, with the query changes that reach the pages either side (None: no page).

    Quacks like Django's Page where templates read it (`number`, `paginator.count`,
    `has_previous`...), so a list's template does not care how its page was read.
    """

    object_list: list
    number: int
    paginator: "DirectoryPaginator"
    previous: dict | None
    next: dict | None

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    def has_previous(self) -> bool:
        return self.previous is not None

    def has_next(self) -> bool:
        return self.next is not None

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next()


class DirectoryPaginator:
    """Pages of `queryset` (ordered by field names), `per_page` rows each; see the module's note."""

    def __init__(self, queryset, per_page: int):
        self.queryset = queryset
        self.per_page = per_page
        self.numbered = EstimatedCountPaginator(queryset, per_page)

    @cached_property
    def keyset(self) -> Keyset:
        return Keyset(self.queryset)

    @property
    def count(self) -> int:
        return self.numbered.count

    @property
    def count_is_estimate(self) -> bool:
        return self.numbered.count_is_estimate

    @property
    def num_pages(self) -> int:
        return self.numbered.num_pages

    def get_page(self, raw_page: str | None, raw_cursor: str | None) -> ListPage:
        """The page a request asks for; PageRefused for a numbered page too deep or a bad cursor."""
        if raw_cursor:
            return self._keyset_page(raw_cursor)
        number = int(raw_page) if raw_page and is_whole_number(raw_page) else 1
        # Past the numbered pages of a long list; a short one answers with its last page.
        if number > NUMBERED_PAGES and self.numbered.num_pages > NUMBERED_PAGES:
            raise PageRefused(
                "page",
                _(
                    "Pages after page %(last)d are reached with “Next page” from page %(last)d; "
                    "or narrow the search with the filters."
                )
                % {"last": NUMBERED_PAGES},
            )
        try:
            # As Django's get_page: past the end (as counted), the last page.
            page = self.numbered.page(max(number, 1))
        except InvalidPage:
            page = self.numbered.page(self.numbered.num_pages)
        rows, number = list(page.object_list), page.number
        following = None
        if page.has_next() and rows:
            following = {"page": number + 1, "cursor": None}
            if number == NUMBERED_PAGES:
                following = {"page": None, "cursor": self.keyset.encode(rows[-1], n=number + 1)}
        previous = {"page": number - 1, "cursor": None} if number > 1 else None
        return ListPage(rows, number, self, previous, following)

    def _keyset_page(self, raw_cursor: str) -> ListPage:
        try:
            cursor = self.keyset.decode(raw_cursor)
            number = cursor.extra.get("n")
            # The page's number comes only from our own links, past the numbered pages.
            if not isinstance(number, int) or isinstance(number, bool) or number <= NUMBERED_PAGES:
                raise InvalidCursor(invalid_cursor_message())
            read = self.keyset.page(cursor, self.per_page, read=read_rows)
        except InvalidCursor as error:
            raise PageRefused("cursor", str(error)) from None
        rows = read.rows
        if not rows:
            # Nothing left that side (rows removed since the link was made): back to the start.
            return ListPage(rows, number, self, {"page": 1, "cursor": None}, None)
        previous = None
        if read.has_previous:
            previous = {"page": number - 1, "cursor": None}
            if number - 1 > NUMBERED_PAGES:
                previous = {"page": None, "cursor": self.keyset.encode(rows[0], reverse=True, n=number - 1)}
        following = None
        if read.has_next:
            following = {"page": None, "cursor": self.keyset.encode(rows[-1], n=number + 1)}
        return ListPage(rows, number, self, previous, following)
