"""One search across the portal: organisations, sites, case studies, initiatives and workstreams.

PostgreSQL full-text search throughout, with the same prefix-matching query the directory
uses, so "bio vect" finds "biologics" and "viral vectors" everywhere; sites are found by
`Site.objects.matching`, the very search the directory, the map and the API use. Organisations and sites
search their indexed, stored vectors; case studies, initiatives and workstreams are a few
hundred rows at most, so their vectors are computed as the query runs. Only what the public
may see is searched: case studies through `CaseStudy.objects.published()`.
"""

import re
from dataclasses import dataclass

from django import forms
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchHeadline, SearchRank, SearchVector
from django.db.models import Count, F, Func, OuterRef, Subquery, TextField, Value, Window
from django.db.models.functions import Coalesce, Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from casestudies.models import CaseStudy
from manufacturers.models import Capability, Organisation, Site, Technology, search_query
from workstreams.models import Initiative, Workstream

# ts_headline marks matches with these private-use characters; the text is escaped first and
# only then are they turned into <mark>, so nothing in the stored text can inject markup.
_START, _STOP = "\ue000", "\ue001"
HEADLINE_OPTIONS = {
    "start_sel": _START,
    "stop_sel": _STOP,
    "max_words": 30,
    "min_words": 12,
    "max_fragments": 2,
    "fragment_delimiter": " … ",
    "config": "english",
}
RESULTS_PER_GROUP = 5
RESULTS_PER_PAGE = 20


@dataclass(frozen=True)
class SearchKind:
    key: str
    label: str


KINDS = (
    SearchKind("organisations", _("Organisations")),
    SearchKind("sites", _("Sites")),
    SearchKind("case-studies", _("Case studies")),
    SearchKind("initiatives", _("Initiatives")),
    SearchKind("workstreams", _("Workstreams")),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the portal"), max_length=200, required=False, strip=True)
    kind = forms.ChoiceField(
        label=_("Only"), choices=[("", _("Everything"))] + [(k.key, k.label) for k in KINDS], required=False
    )
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=10_000, required=False)


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    snippet: SafeString
    context: str


@dataclass
class SearchGroup:
    kind: SearchKind
    hits: list[SearchHit]
    total: int


def highlight(headline: str | None) -> SafeString:
    """Escape a ts_headline result, then turn its match markers into <mark> elements.

    Markdown's emphasis and heading marks are dropped, since a snippet is plain text.
    """
    text = re.sub(r"\*\*|__|`|#{1,6} |^- ", "", headline or "", flags=re.MULTILINE)
    text = escape(" ".join(text.split()))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above


def _text(*parts):
    """Fields (named by string) and expressions joined by spaces into one text for ts_headline."""
    joined = []
    for part in parts:
        if joined:
            joined.append(Value(" "))
        joined.append(Coalesce(part, Value(""), output_field=TextField()))
    return Concat(*joined, output_field=TextField())


def _names_of(model):
    """A site's taxonomy terms as one comma-separated text, for the snippet."""
    return Subquery(
        model.objects.filter(sites=OuterRef("pk"))
        .order_by()
        .values("sites")
        .annotate(names=StringAgg("name", ", ", order_by="name"))
        .values("names")[:1],
        output_field=TextField(),
    )


def _weighted(*fields: tuple[str, str]):
    vector = None
    for name, weight in fields:
        part = SearchVector(name, weight=weight, config="english")
        vector = part if vector is None else vector + part
    return vector


def _ranked(queryset, vector, query, headline_of, *order):
    return (
        queryset.annotate(document=vector)
        .filter(document=query)
        .annotate(
            rank=SearchRank(F("document"), query),
            headline=SearchHeadline(headline_of, query, **HEADLINE_OPTIONS),
            total=Window(Count("pk")),
        )
        .order_by("-rank", *order, "pk")
    )


def _organisations(query):
    return (
        Organisation.objects.filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            headline=SearchHeadline(_text("name", "description"), query, **HEADLINE_OPTIONS),
            total=Window(Count("pk")),
        )
        .order_by("-rank", "name", "pk")
    )


def _sites(query):
    # The portal's one site search (the directory's, the map's and the API's), with a snippet.
    return (
        Site.objects.matching(query)
        .select_related("organisation", "region")
        .annotate(
            # The title already names the site and its place: the snippet shows what it does.
            headline=SearchHeadline(
                # CONCAT_WS skips a missing list, so no stray separator is left behind.
                Func(
                    Value(". "),
                    _names_of(Capability),
                    _names_of(Technology),
                    function="CONCAT_WS",
                    output_field=TextField(),
                ),
                query,
                **{**HEADLINE_OPTIONS, "max_fragments": 0, "highlight_all": True},
            ),
            total=Window(Count("pk")),
        )
        .order_by("-rank", "name", "pk")
    )


def _case_studies(query):
    return _ranked(
        CaseStudy.objects.published().select_related("organisation"),
        _weighted(("title", "A"), ("summary", "B"), ("body", "C")),
        query,
        _text("summary", "body"),
        "title",
    )


def _initiatives(query):
    return _ranked(
        Initiative.objects.select_related("workstream"),
        _weighted(("title", "A"), ("summary", "B"), ("outcome", "C"), ("body", "C")),
        query,
        _text("summary", "outcome", "body"),
        "title",
    )


def _workstreams(query):
    return _ranked(
        Workstream.objects.all(),
        _weighted(("name", "A"), ("summary", "B"), ("body", "C")),
        query,
        _text("summary", "body"),
        "position",
    )


def _hit(kind: str, row) -> SearchHit:
    if kind == "organisations":
        return SearchHit(row.name, row.get_absolute_url(), highlight(row.headline), row.get_kind_display())
    if kind == "sites":
        context = f"{row.town}, {row.region.name}"
        return SearchHit(
            f"{row.organisation.name}, {row.name}", row.get_absolute_url(), highlight(row.headline), context
        )
    if kind == "case-studies":
        return SearchHit(row.title, row.get_absolute_url(), highlight(row.headline), row.organisation.name)
    if kind == "initiatives":
        context = f"{row.workstream.name} · {row.get_kind_display()} · {row.get_status_display()}"
        return SearchHit(row.title, row.get_absolute_url(), highlight(row.headline), context)
    return SearchHit(row.name, row.get_absolute_url(), highlight(row.headline), str(_("Workstream")))


def portal_search(
    text: str, *, kinds=None, limit: int = RESULTS_PER_GROUP, offset: int = 0
) -> list[SearchGroup]:
    """The best matches of each kind, best first, with how many there are in all; one query per kind."""
    query = search_query(text)
    chosen = [KINDS_BY_KEY[key] for key in kinds] if kinds else list(KINDS)
    if query is None:
        return [SearchGroup(kind=kind, hits=[], total=0) for kind in chosen]
    querysets = {
        "organisations": lambda: _organisations(query),
        "sites": lambda: _sites(query),
        "case-studies": lambda: _case_studies(query),
        "initiatives": lambda: _initiatives(query),
        "workstreams": lambda: _workstreams(query),
    }
    groups = []
    for kind in chosen:
        queryset = querysets[kind.key]()
        rows = list(queryset[offset : offset + limit])
        # The window count is taken before LIMIT, so any row carries the full total; only a
        # page past the end needs a count of its own.
        total = rows[0].total if rows else (queryset.count() if offset else 0)
        groups.append(SearchGroup(kind=kind, hits=[_hit(kind.key, row) for row in rows], total=total))
    return groups
