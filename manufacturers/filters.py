"""The portal's one URL grammar for finding sites, shared by the directory, the map, the API and exports.

    ?q=sterile&region=scotland&capability=aseptic_fill_finish&near=51.90,-0.20&radius_km=50

Several values of one facet are OR-ed (`region=wales&region=scotland`, or `region=wales,scotland`);
different facets are AND-ed. Invalid values are form errors, which pages and the API answer with 400.
"""

from django import forms
from django.db.models import Count, FloatField, Max, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.cache import LANDSCAPE, cached

from . import places
from .models import (
    Capability,
    LicenceType,
    Organisation,
    OrganisationKind,
    Region,
    Site,
    SiteStatus,
    Technology,
)


class CommaSeparatedMultipleChoiceMixin:
    """Accept `a,b` as well as repeated parameters, so short shareable URLs work too."""

    def clean(self, value):
        if isinstance(value, str):
            value = [value]
        values = []
        for item in value or []:
            values.extend(part.strip() for part in str(item).split(",") if part.strip())
        return super().clean(values)


class SlugMultipleChoiceField(CommaSeparatedMultipleChoiceMixin, forms.ModelMultipleChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault(
            "invalid_choice",
            _("%(value)s is not a known value. Use one of the slugs listed at /api/v1/."),
        )
        super().__init__(*args, **kwargs)


class CommaMultipleChoiceField(CommaSeparatedMultipleChoiceMixin, forms.MultipleChoiceField):
    pass


class BoundingBoxField(forms.CharField):
    """`west,south,east,north` in decimal degrees (WGS84), as in OGC API and GeoJSON."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != 4:
            raise forms.ValidationError(_("Give four numbers: west,south,east,north."), code="invalid")
        try:
            west, south, east, north = (float(part) for part in parts)
        except ValueError:
            raise forms.ValidationError(
                _("Give four numbers: west,south,east,north."), code="invalid"
            ) from None
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise forms.ValidationError(_("Longitudes must be between -180 and 180."), code="out_of_range")
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            raise forms.ValidationError(_("Latitudes must be between -90 and 90."), code="out_of_range")
        if south > north:
            raise forms.ValidationError(_("South must not be greater than north."), code="invalid")
        if west > east:
            raise forms.ValidationError(
                _("West must not be greater than east (boxes across 180° are not supported)."),
                code="invalid",
            )
        return {"west": west, "south": south, "east": east, "north": north}


class PointField(forms.CharField):
    """Where to measure from: `latitude,longitude`, a UK town or city, or a postcode (see places.py)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return places.resolve(value)


class BoundingBoxFilter(filters.Filter):
    field_class = BoundingBoxField


class PointFilter(filters.Filter):
    field_class = PointField


class SlugMultipleFilter(filters.ModelMultipleChoiceFilter):
    field_class = SlugMultipleChoiceField


class ChoicesFilter(filters.MultipleChoiceFilter):
    field_class = CommaMultipleChoiceField


class SiteFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        ordering = cleaned.get("ordering") or []
        if any(term.lstrip("-") == "distance" for term in ordering) and not cleaned.get("near"):
            self.add_error("ordering", _("Ordering by distance needs a place to measure from: add near=."))
        if cleaned.get("radius_km") is not None and not cleaned.get("near"):
            self.add_error(
                "radius_km", _("radius_km needs a place to measure from: add near=, such as near=Stevenage.")
            )
        return cleaned


DEFAULT_RADIUS_KM = 50
MAX_RADIUS_KM = 1000

ORDERINGS = {
    "name": "name",
    "organisation": "organisation__name",
    "town": "town",
    "region": "region__name",
    "updated_at": "updated_at",
    # Only with near= (the distance is measured from it); nearest first is the default then anyway.
    "distance": "distance_km",
}


# The facets counted from the id arrays on the site row: (the array, the terms it holds ids of).
ARRAY_FACETS = {
    "capability": ("capability_ids", Capability),
    "technology": ("technology_ids", Technology),
    "licence": ("licence_type_ids", LicenceType),
}


class SiteFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"), max_length=200)
    region = SlugMultipleFilter(
        queryset=Region.objects.all(),
        to_field_name="slug",
        method="filter_region",
        label=_("Region"),
    )
    capability = SlugMultipleFilter(
        queryset=Capability.objects.all(),
        to_field_name="slug",
        method="filter_capability",
        label=_("Capability"),
    )
    technology = SlugMultipleFilter(
        queryset=Technology.objects.all(),
        to_field_name="slug",
        method="filter_technology",
        label=_("Technology"),
    )
    licence = SlugMultipleFilter(
        queryset=LicenceType.objects.all(),
        to_field_name="slug",
        method="filter_licence",
        label=_("Licence"),
    )
    organisation_kind = ChoicesFilter(
        choices=OrganisationKind.choices,
        method="filter_organisation_kind",
        label=_("Kind of organisation"),
    )
    status = ChoicesFilter(choices=SiteStatus.choices, field_name="status", label=_("Status"))
    bbox = BoundingBoxFilter(method="filter_bbox", label=_("Bounding box"))
    near = PointFilter(method="filter_near", label=_("Near"), max_length=200)
    radius_km = filters.NumberFilter(
        method="filter_noop", label=_("Radius (km)"), min_value=0.1, max_value=MAX_RADIUS_KM
    )
    ordering = filters.OrderingFilter(fields=tuple((field, name) for name, field in ORDERINGS.items()))

    # The order with no `ordering`, no search and no point, the same in the directory, the map's
    # list and the API (docs: the partner guide): by site name, the id breaking ties. The
    # (name, id) index serves it, so a deep page reads its rows instead of sorting them all.
    default_ordering = ("name", "id")

    # The facets a visitor narrows by, in the order the sidebar shows them.
    FACETS = ("region", "capability", "technology", "licence", "organisation_kind", "status")

    class Meta:
        model = Site
        fields = []
        form = SiteFilterForm

    def filter_q(self, queryset, name, value):
        return queryset.search(value) if value else queryset

    def filter_region(self, queryset, name, value):
        return queryset.in_regions(value) if value else queryset

    def filter_capability(self, queryset, name, value):
        return queryset.with_any_capability(value) if value else queryset

    def filter_technology(self, queryset, name, value):
        return queryset.with_any_technology(value) if value else queryset

    def filter_licence(self, queryset, name, value):
        return queryset.with_any_licence(value) if value else queryset

    def filter_organisation_kind(self, queryset, name, value):
        return queryset.of_organisation_kinds(value) if value else queryset

    def filter_bbox(self, queryset, name, value):
        return queryset.within_bbox(**value) if value else queryset

    def filter_near(self, queryset, name, value):
        if not value:
            return queryset
        radius = self.form.cleaned_data.get("radius_km") or DEFAULT_RADIUS_KM
        return queryset.within_radius(value[0], value[1], float(radius))

    def filter_noop(self, queryset, name, value):
        # radius_km is read by filter_near; on its own it filters nothing.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("ordering"):
            # With no explicit ordering: best match first for a search, nearest first for a
            # point, otherwise default_ordering; the id breaks ties so pages never overlap.
            if self.form.cleaned_data.get("q") and "rank" in queryset.query.annotations:
                queryset = queryset.order_by("-rank", "name", "id")
            elif self.form.cleaned_data.get("near"):
                queryset = queryset.order_by("distance_km", "name", "id")
            else:
                queryset = queryset.order_by(*self.default_ordering)
        else:
            # The id breaks ties so pages never overlap.
            queryset = queryset.order_by(*queryset.query.order_by, "id")
        return queryset

    @property
    def active_filters(self) -> dict:
        """The cleaned, non-empty filter values (for the 'remove this filter' links)."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "", [])}

    def queryset_without(self, facet: str):
        """The sites matching every active filter except `facet`: what a facet's counts are taken over."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name not in (facet, "ordering"):
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_counts(self, facets=None) -> dict[str, dict[str, int]]:
        """For each facet, how many sites each of its values would give under the other active filters.

        One grouped query per facet, keyed by slug (or choice value); values with no sites are left out.
        `facets` limits the work to some facets (the map's choropleth needs only regions).
        """
        if not self.is_valid():
            return {}
        return {
            facet: dict(self._facet_rows(facet, self.queryset_without(facet).order_by()))
            for facet in facets or self.FACETS
        }

    def cache_key(self, *, ordering: bool = False) -> list:
        """The valid filters normalised (slugs, sorted values, no empties) for keys of cached reads.

        `region=wales,scotland` and `region=scotland&region=wales` give the same key. The
        ordering counts only when asked for (facet counts do not depend on it; lists do).
        """
        return [
            type(self).__name__,
            sorted(
                (name, list(value) if name == "ordering" else _normalised(value))
                for name, value in self.form.cleaned_data.items()
                if value not in (None, "", []) and (ordering or name != "ordering")
            ),
        ]

    def cached_facet_counts(self, facets=None) -> dict[str, dict[str, int]]:
        """`facet_counts()` through the shared cache, until the next write to the landscape."""
        if not self.is_valid():
            return {}
        key = ("facet_counts", self.counted, self.cache_key(), sorted(facets) if facets else None)
        return cached(LANDSCAPE, key, lambda: self.facet_counts(facets))

    # What a facet count counts: distinct sites here, distinct organisations in OrganisationFilter.
    counted = "pk"

    def _facet_rows(self, facet, sites):
        """(value, count) rows for one facet over the given sites."""
        if facet in ARRAY_FACETS:
            column, term = ARRAY_FACETS[facet]
            return sites.count_by_term(column, term, distinct_organisations=self.counted != "pk")
        value_path = {
            "region": "region__slug",
            "organisation_kind": "organisation__kind",
            "status": "status",
        }[facet]
        # Each site is one row here (its region, kind and status are single), so sites are
        # counted by their never-null organisation column, which the facets index holds.
        distinct = self.counted != "pk"
        return sites.values_list(value_path).annotate(n=Count("organisation", distinct=distinct)).order_by()

    def value_labels(self) -> dict[str, dict[str, str]]:
        """For each facet, the label of each of its values (slug or choice value -> name)."""
        labels = {}
        for facet in self.FACETS:
            field = self.form.fields[facet]
            labels[facet] = {str(value): str(label) for value, label in field.choices}
        return labels

    def chips(self) -> list[dict]:
        """One entry per active filter value, with the query string that removes just that value.

        Each is `{"facet", "label", "value_label", "remove_query"}`; removing a value also
        resets the page (number or cursor), and removing `near` removes `radius_km` with it.
        """
        if not self.is_valid():
            return []
        cleaned = self.form.cleaned_data
        base = self.data.copy()
        base.pop("page", None)
        base.pop("cursor", None)
        chips = []
        for name in ("q", *self.FACETS, "bbox", "near"):
            value = cleaned.get(name)
            if value in (None, "", []):
                continue
            label = str(self.filters[name].label)
            if name in self.FACETS:
                for item in value:
                    key = getattr(item, "slug", item)
                    remaining = [
                        getattr(other, "slug", other)
                        for other in value
                        if getattr(other, "slug", other) != key
                    ]
                    query = base.copy()
                    query.setlist(name, [",".join(remaining)] if remaining else [])
                    chips.append(
                        {
                            "facet": name,
                            "label": label,
                            "value_label": str(item)
                            if hasattr(item, "slug")
                            else self._choice_label(name, item),
                            "remove_query": query.urlencode(),
                        }
                    )
                continue
            query = base.copy()
            query.pop(name, None)
            label = {"bbox": _("Area"), "near": _("Distance")}.get(name, label)
            if name == "q":
                value_label = value
            elif name == "bbox":
                value_label = _("the area %(west).2f, %(south).2f to %(east).2f, %(north).2f") % value
            else:
                query.pop("radius_km", None)
                radius = cleaned.get("radius_km") or DEFAULT_RADIUS_KM
                value_label = _("within %(radius)s km of %(place)s") % {
                    "radius": f"{float(radius):g}",
                    "place": value.label,
                }
            chips.append(
                {"facet": name, "label": label, "value_label": value_label, "remove_query": query.urlencode()}
            )
        return chips

    def _choice_label(self, name, value):
        return str(dict(self.form.fields[name].choices).get(value, value))

    def count_without(self, facet: str) -> int:
        """How many results there would be without one filter (for the empty state's suggestions)."""
        return self.queryset_without(facet).count()


def _normalised(value):
    """A cleaned filter value as plain, order-independent JSON (model rows by slug, lists sorted)."""
    if hasattr(value, "slug"):
        return value.slug
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in sorted(value.items())}
    if isinstance(value, tuple):  # a point: the order of its parts matters
        return [_normalised(item) for item in value]
    if isinstance(value, list | set | frozenset) or hasattr(value, "model"):  # lists and querysets
        return sorted(str(_normalised(item)) for item in value)
    return str(value)


class OrganisationFilter(SiteFilter):
    """Organisations with at least one site matching the site grammar (the same parameters as SiteFilter).

    Filters run over sites; `organisations()` then keeps each organisation with a matching
    site, annotated with `matching_site_count` (and `rank`, its best site's, for a search).
    Facet counts count organisations, not sites.
    """

    ordering = filters.OrderingFilter(
        fields=(("name", "name"), ("matching_site_count", "sites")),
        field_labels={"name": _("Name"), "matching_site_count": _("Number of matching sites")},
    )
    counted = "organisation"

    def filter_queryset(self, queryset):
        # Ordering applies to organisations, not to the sites filtered here.
        for name, value in self.form.cleaned_data.items():
            if name != "ordering":
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def organisations(self):
        """The matching organisations, ordered as asked (default: best match for a search, else by name)."""
        sites = self.qs.filter(organisation=OuterRef("pk")).order_by().values("organisation")
        organisations = Organisation.objects.annotate(
            matching_site_count=Subquery(sites.annotate(n=Count("pk")).values("n")[:1])
        ).filter(matching_site_count__gt=0)
        ordering = self.form.cleaned_data.get("ordering")
        if ordering:
            organisations = self.filters["ordering"].filter(organisations, ordering)
            return organisations.order_by(*organisations.query.order_by, "pk")
        if self.form.cleaned_data.get("q") and "rank" in self.qs.query.annotations:
            best = sites.annotate(best=Max("rank")).values("best")[:1]
            # As a double: ts_rank's 4-byte real would not compare equal to the double a deep
            # page's cursor carries back, and rows of equal rank could repeat or be skipped.
            rank = Cast(Subquery(best), FloatField())
            return organisations.annotate(rank=rank).order_by("-rank", "name", "pk")
        return organisations.order_by("name", "pk")
