"""A followed search: the directory's own filter grammar (manufacturers.filters.SiteFilter), kept as
a normalised query string so two spellings of one search are one search.

Paging and ordering say nothing about which sites match, so they are dropped.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.translation import gettext as _

from manufacturers.filters import SiteFilter
from manufacturers.models import Site, SiteState

IGNORED = {"ordering", "page", "cursor", "format", "f", "limit"}
FREE_TEXT = {"q", "near", "radius_km", "bbox"}  # one value each, commas part of it
MAX_QUERY_LENGTH = 1000


class SearchError(ValueError):
    """The search is not valid; `errors` maps each parameter to its messages, as the API answers them."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    def messages(self) -> list[str]:
        """One line per bad parameter, naming it: where the search is one field (a form, a JSON body)."""
        return [
            _("%(parameter)s: %(reason)s") % {"parameter": name, "reason": " ".join(reasons)}
            for name, reasons in self.errors.items()
        ]


@dataclass(frozen=True)
class Search:
    query: str  # normalised: known parameters only, sorted, repeated values joined by commas

    @property
    def params(self) -> QueryDict:
        return QueryDict(self.query)

    def matching_sites(self):
        """The sites this search matches now, as a queryset of ids (for `id__in`)."""
        return SiteFilter(self.params, queryset=Site.objects.all()).qs.order_by().values("pk")

    def matching_states(self):
        """The kept earlier states of sites (manufacturers.SiteState) that this search matched."""
        return SiteFilter(self.params, queryset=SiteState.objects.filter(existed=True)).qs.order_by()

    def describe(self) -> str:
        """The search in words for emails and admin lists: "region: scotland; capability: …"."""
        if not self.query:
            return _("All sites")
        return "; ".join(f"{name}: {value}" for name, value in self.params.items())

    @property
    def is_everything(self) -> bool:
        return not self.query


def parse_search(data) -> Search:
    """Validate a directory query (a QueryDict or a query string) and normalise it; SearchError if invalid."""
    if isinstance(data, str):
        if len(data) > MAX_QUERY_LENGTH:
            raise SearchError({"query": [_("The search is too long.")]})
        data = QueryDict(data)
    known = SiteFilter.base_filters.keys() - IGNORED
    values = {}
    for name in sorted(known & set(data.keys())):
        if name in FREE_TEXT:
            value = (data.get(name) or "").strip()
        else:
            parts = {part.strip() for value in data.getlist(name) for part in value.split(",")}
            value = ",".join(sorted(parts - {""}))
        if value:
            values[name] = value
    query = urlencode(values)
    filterset = SiteFilter(QueryDict(query), queryset=Site.objects.none())
    if not filterset.is_valid():
        raise SearchError(
            {name: [str(message) for message in messages] for name, messages in filterset.errors.items()}
        )
    return Search(query=query)
