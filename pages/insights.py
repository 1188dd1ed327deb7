"""The landscape in numbers: the analyses behind the home page and /insights/.

Every figure comes from `SiteFilter`, the portal's one URL grammar, so a chart, its data table,
its CSV download and the directory it links to always count the same sites. Each chart counts
the sites matching every active filter except its own (`SiteFilter.facet_counts`), so a
visitor who picks Wales still sees how Wales compares with the other regions.
"""

from dataclasses import dataclass, field, replace

from django.db.models import Count
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.cache import LANDSCAPE, cached
from manufacturers.filters import SiteFilter
from manufacturers.models import (
    Capability,
    LicenceType,
    OrganisationKind,
    Region,
    Site,
    SiteStatus,
    Technology,
)

from . import charts


@dataclass(frozen=True)
class ChartRow:
    slug: str
    label: str
    value: int
    selected: bool = False
    # Where the sites behind the figure are listed: the directory, with the filters applied.
    url: str = ""
    boundary: dict | None = None


@dataclass(frozen=True)
class ChartSpec:
    key: str
    facet: str
    title: str
    description: str
    column: str  # the heading of the data table's first column
    kind: str = "bar"  # "bar" or "map"


CHART_SPECS = (
    ChartSpec(
        key="regions",
        column=_("Region"),
        facet="region",
        title=_("Sites per region"),
        description=_(
            "How many manufacturing sites each UK region (ITL1) has. Darker regions have more sites."
        ),
        kind="map",
    ),
    ChartSpec(
        key="capabilities",
        column=_("Capability"),
        facet="capability",
        title=_("Capability mix"),
        description=_(
            "How many sites offer each capability. A site can offer several, so the bars add up to more than the number of sites."
        ),
    ),
    ChartSpec(
        key="technologies",
        column=_("Technology"),
        facet="technology",
        title=_("Technology mix"),
        description=_(
            "How many sites use each manufacturing technology their sources name. A site can use several."
        ),
    ),
    ChartSpec(
        key="licences",
        column=_("Licence type"),
        facet="licence",
        title=_("Licence types"),
        description=_(
            "How many sites hold, or by their activity need, each kind of MHRA licence. Most licence types are inferred from what a site does."
        ),
    ),
    ChartSpec(
        key="organisation-kinds",
        column=_("Kind of organisation"),
        facet="organisation_kind",
        title=_("Kinds of organisation"),
        description=_("How many sites belong to each kind of organisation, from large pharma to the NHS."),
    ),
    ChartSpec(
        key="statuses",
        column=_("Status"),
        facet="status",
        title=_("Site status"),
        description=_("How many sites are operational, planned or closed."),
    ),
)
CHARTS_BY_KEY = {spec.key: spec for spec in CHART_SPECS}


@dataclass
class Chart:
    spec: ChartSpec
    rows: list[ChartRow]

    @property
    def key(self):
        return self.spec.key

    @property
    def title(self):
        return self.spec.title

    @property
    def description(self):
        return self.spec.description

    @property
    def rows_by_label(self) -> list[ChartRow]:
        """The rows in alphabetical order, as a list of filters reads best."""
        return sorted(self.rows, key=lambda row: row.label)

    @property
    def has_selection(self) -> bool:
        return any(row.selected for row in self.rows)

    @property
    def total(self) -> int:
        return sum(row.value for row in self.rows)

    @cached_property
    def drawing(self):
        if self.spec.kind == "map":
            return charts.choropleth(self.rows)
        return charts.bar_chart([row for row in self.rows if row.value])

    @property
    def summary(self) -> str:
        """The largest values in words, for the chart's <desc> (screen readers get the gist without the table)."""
        largest = self.nonzero_rows[:3]
        if not largest:
            return str(_("No sites match these filters."))
        parts = ", ".join(f"{row.label} ({row.value})" for row in largest)
        return str(_("Largest: %(parts)s.") % {"parts": parts})

    @property
    def nonzero_rows(self) -> list[ChartRow]:
        return [row for row in self.rows if row.value]

    def top(self, count: int) -> "Chart":
        """The same chart cut to its `count` largest values (for the home page)."""
        return Chart(spec=self.spec, rows=self.nonzero_rows[:count])


@dataclass
class Figures:
    sites: int
    organisations: int
    regions: int


@dataclass
class Insights:
    filter: SiteFilter
    figures: Figures
    charts: list[Chart] = field(default_factory=list)

    def chart(self, key: str) -> Chart:
        return next(chart for chart in self.charts if chart.key == key)


def _directory_url(base_params: QueryDict, facet: str, slug: str) -> str:
    params = base_params.copy()
    params.setlist(facet, [slug])
    params.pop("page", None)
    return f"{reverse('manufacturers:site-list')}?{params.urlencode()}"


def _labels() -> dict[str, list[tuple[str, str]]]:
    """(slug, name) in display order for each facet; reference tables are read once each."""
    return {
        "capability": list(Capability.objects.values_list("slug", "name")),
        "technology": list(Technology.objects.values_list("slug", "name")),
        "licence": list(LicenceType.objects.values_list("slug", "name")),
        "organisation_kind": [(value, str(label)) for value, label in OrganisationKind.choices],
        "status": [(value, str(label)) for value, label in SiteStatus.choices],
    }


def landscape_figures(site_filter: SiteFilter) -> Figures:
    """Sites, organisations and regions matching every active filter, in one query."""
    totals = site_filter.qs.order_by().aggregate(
        sites=Count("pk", distinct=True),
        organisations=Count("organisation", distinct=True),
        regions=Count("region", distinct=True),
    )
    return Figures(**totals)


def landscape_insights(site_filter: SiteFilter) -> Insights:
    """Every chart for a valid filter: rows sorted by size (regions keep all twelve, for the map)."""
    counts = site_filter.facet_counts()
    selected = {name: site_filter.form.cleaned_data.get(name) or [] for name in SiteFilter.FACETS}
    selected_slugs = {
        name: {getattr(value, "slug", value) for value in values} for name, values in selected.items()
    }
    params = site_filter.data.copy() if isinstance(site_filter.data, QueryDict) else QueryDict(mutable=True)
    labels = _labels()
    charts_ = []
    for spec in CHART_SPECS:
        facet_counts = counts.get(spec.facet, {})
        if spec.facet == "region":
            rows = [
                ChartRow(
                    slug=region.slug,
                    label=region.name,
                    value=facet_counts.get(region.slug, 0),
                    selected=region.slug in selected_slugs["region"],
                    url=_directory_url(params, "region", region.slug),
                    boundary=region.boundary,
                )
                for region in Region.objects.only("slug", "name", "boundary")
            ]
        else:
            rows = [
                ChartRow(
                    slug=slug,
                    label=label,
                    value=facet_counts.get(slug, 0),
                    selected=slug in selected_slugs[spec.facet],
                    url=_directory_url(params, spec.facet, slug),
                )
                for slug, label in labels[spec.facet]
                # Retired terms stay out of the charts unless a site still carries them.
                if facet_counts.get(slug) or slug in selected_slugs[spec.facet]
            ]
        rows.sort(key=lambda row: (-row.value, row.label))
        charts_.append(Chart(spec=spec, rows=rows))
    return Insights(filter=site_filter, figures=landscape_figures(site_filter), charts=charts_)


def cached_landscape_insights(site_filter: SiteFilter) -> Insights:
    """`landscape_insights()` through the shared cache, until the next write to the landscape.

    Keyed by the query string as given (its order included: the charts' links to the directory
    repeat it), drawings computed before they are stored.
    """

    def compute():
        insights = landscape_insights(site_filter)
        for chart in insights.charts:
            chart.drawing  # noqa: B018 (fills the cached_property, so it is stored with the chart)
            # Drawn, the map needs its regions' boundaries no more: stored with the rows they
            # were hundreds of kilobytes that every page using the figures unpickled again.
            chart.rows = [replace(row, boundary=None) for row in chart.rows]
        return insights.figures, insights.charts

    data = site_filter.data
    query = list(data.lists()) if isinstance(data, QueryDict) else sorted(dict(data).items())
    figures, charts_ = cached(LANDSCAPE, ("landscape_insights", query), compute)
    return Insights(filter=site_filter, figures=figures, charts=charts_)


def site_filter_for(data) -> SiteFilter:
    """The common filters over every site; `data` is a request's GET (or an empty dict)."""
    return SiteFilter(data, queryset=Site.objects.all())
