"""/insights/: every chart's figures match the database under the common filters, with CSV and tables."""

import csv
import io

import pytest
from django.urls import reverse

from manufacturers.models import Site
from pages import charts
from tests.manufacturers.factories import (
    CapabilityFactory,
    LicenceFactory,
    LicenceTypeFactory,
    OrganisationFactory,
    SiteFactory,
    TechnologyFactory,
    region,
)

pytestmark = pytest.mark.django_db

INSIGHTS = "/insights/"


@pytest.fixture
def landscape():
    """Sites in three regions with overlapping capabilities, technologies, licences and statuses."""
    sterile, oral = CapabilityFactory(name="Sterile fill"), CapabilityFactory(name="Oral solids")
    mrna = TechnologyFactory(name="mRNA platform")
    mia = LicenceTypeFactory(name="Test MIA")
    nhs = OrganisationFactory(kind="nhs")
    sites = [
        SiteFactory(region=region("wales"), capabilities=[sterile], technologies=[mrna]),
        SiteFactory(region=region("wales"), capabilities=[sterile, oral], organisation=nhs),
        SiteFactory(region=region("scotland"), capabilities=[oral], technologies=[mrna]),
        SiteFactory(region=region("scotland"), capabilities=[sterile], status=Site.Status.PLANNED),
        SiteFactory(region=region("london"), capabilities=[oral]),
    ]
    for site in sites[:3]:
        LicenceFactory(site=site, licence_type=mia)
    return {"sterile": sterile, "oral": oral, "mrna": mrna, "mia": mia, "sites": sites}


def _figures(response, key):
    chart = response.context["insights"].chart(key)
    return {row.slug: row.value for row in chart.rows if row.value}


def test_unfiltered_figures_match_the_database(client, landscape):
    response = client.get(INSIGHTS)
    assert response.status_code == 200
    figures = response.context["insights"].figures
    assert (figures.sites, figures.organisations, figures.regions) == (5, 5, 3)
    assert _figures(response, "regions") == {"wales": 2, "scotland": 2, "london": 1}
    assert _figures(response, "capabilities") == {landscape["sterile"].slug: 3, landscape["oral"].slug: 3}
    assert _figures(response, "technologies") == {landscape["mrna"].slug: 2}
    assert _figures(response, "licences") == {landscape["mia"].slug: 3}
    assert _figures(response, "organisation-kinds") == {"cdmo": 4, "nhs": 1}
    assert _figures(response, "statuses") == {"operational": 4, "planned": 1}


def test_each_chart_counts_under_every_filter_but_its_own(client, landscape):
    sterile = landscape["sterile"].slug
    response = client.get(INSIGHTS, {"capability": sterile, "region": "wales"})
    figures = response.context["insights"].figures
    # Sites matching both filters: the two Welsh sites with sterile fill.
    assert (figures.sites, figures.regions) == (2, 1)
    # Regions are counted under the capability filter only, so Wales can be compared with the rest.
    expected_regions = {
        slug: Site.objects.filter(capabilities__slug=sterile, region__slug=slug).count()
        for slug in ("wales", "scotland")
    }
    assert _figures(response, "regions") == expected_regions == {"wales": 2, "scotland": 1}
    # Capabilities are counted under the region filter only.
    assert _figures(response, "capabilities") == {sterile: 2, landscape["oral"].slug: 1}
    # Every other chart is counted under both filters.
    assert _figures(response, "technologies") == {landscape["mrna"].slug: 1}
    assert _figures(response, "licences") == {landscape["mia"].slug: 2}
    assert _figures(response, "statuses") == {"operational": 2}
    chart = response.context["insights"].chart("regions")
    assert [row.slug for row in chart.rows if row.selected] == ["wales"]


def test_status_and_search_filters_narrow_the_figures(client, landscape):
    response = client.get(INSIGHTS, {"status": "planned"})
    assert response.context["insights"].figures.sites == 1
    assert _figures(response, "regions") == {"scotland": 1}
    assert client.get(INSIGHTS, {"q": "no-such-word-anywhere"}).context["insights"].figures.sites == 0


def test_every_chart_has_its_table_and_a_csv_link_keeping_the_filters(client, landscape):
    html = client.get(INSIGHTS, {"region": "wales"}).content.decode()
    for key in ("regions", "capabilities", "technologies", "licences", "organisation-kinds", "statuses"):
        assert f'id="chart-{key}-table"' in html
        assert f'href="{reverse("pages:insights-csv", args=[key])}?region=wales"' in html
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in html
    # Each figure links to the same sites in the directory.
    assert (
        f'href="{reverse("manufacturers:site-list")}?region=wales&amp;capability={landscape["sterile"].slug}"'
        in html
    )


def test_map_filters_without_form_controls_are_kept_when_the_form_is_submitted(client, landscape):
    SiteFactory(latitude=51.48, longitude=-3.18)  # Cardiff: the landscape's sites are at Stevenage
    response = client.get(INSIGHTS, {"near": "51.9,-0.2", "radius_km": "20"})
    assert response.context["insights"].figures.sites == 5
    html = response.content.decode()
    assert '<input type="hidden" name="near" value="51.9,-0.2">' in html
    assert '<input type="hidden" name="radius_km" value="20">' in html


def test_csv_download_matches_the_chart_under_the_same_filters(client, landscape):
    response = client.get(reverse("pages:insights-csv", args=["capabilities"]), {"region": "wales"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mmip-capabilities.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["slug", "name", "sites"],
        [landscape["sterile"].slug, "Sterile fill", "2"],
        [landscape["oral"].slug, "Oral solids", "1"],
    ]


def test_csv_cells_cannot_become_spreadsheet_formulas(client):
    SiteFactory(capabilities=[CapabilityFactory(name="=HYPERLINK(1)")])
    response = client.get(reverse("pages:insights-csv", args=["capabilities"]))
    assert "'=HYPERLINK(1)" in response.content.decode()


def test_region_csv_lists_every_region(client, landscape):
    response = client.get(reverse("pages:insights-csv", args=["regions"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 12
    assert {row["slug"]: int(row["sites"]) for row in rows}["wales"] == 2


def test_bad_filters_are_a_400_naming_the_field(client):
    response = client.get(INSIGHTS, {"region": "atlantis"})
    assert response.status_code == 400
    assert "atlantis is not a known value" in response.content.decode()
    csv_response = client.get(reverse("pages:insights-csv", args=["regions"]), {"bbox": "1,2,3"})
    assert csv_response.status_code == 400
    assert csv_response.content.decode() == "bbox: Give four numbers: west,south,east,north.\n"


def test_unknown_chart_is_a_404(client):
    assert client.get("/insights/unknown.csv").status_code == 404


def test_insights_query_count_does_not_grow_with_the_data(client, django_assert_num_queries):
    # 6 facet counts; 3 taxonomy names; 1 regions with boundaries; 1 totals.
    SiteFactory()
    with django_assert_num_queries(11):
        client.get(INSIGHTS)
    capability = CapabilityFactory()
    for site in SiteFactory.create_batch(15, capabilities=[capability], technologies=[TechnologyFactory()]):
        LicenceFactory(site=site)
    with django_assert_num_queries(11):
        client.get(INSIGHTS)
    # A filter adds one query: the form checks the capability slug exists.
    with django_assert_num_queries(12):
        client.get(INSIGHTS, {"capability": capability.slug})


def test_bar_chart_scales_bars_to_the_largest_value():
    class Row:
        def __init__(self, label, value, selected=False):
            self.label, self.value, self.selected = label, value, selected

    drawing = charts.bar_chart([Row("A", 10), Row("B" * 80, 5, selected=True)])
    first, second = drawing.bars
    assert first.width == charts.BAR_CHART_WIDTH - charts.BAR_VALUE_ROOM
    assert second.width == pytest.approx(first.width / 2, abs=0.1)
    assert second.short_label.endswith("…") and len(second.short_label) == charts.BAR_LABEL_MAX_CHARS
    assert second.selected
    assert drawing.height == 2 * charts.BAR_ROW_HEIGHT


def test_class_breaks_cover_one_to_the_largest_value_without_gaps():
    assert charts.class_breaks(0) == []
    assert charts.class_breaks(2) == [(1, 1), (2, 2)]
    breaks = charts.class_breaks(13)
    assert breaks[0][0] == 1 and breaks[-1][1] == 13
    assert all(high + 1 == next_low for (_, high), (next_low, _) in zip(breaks, breaks[1:], strict=False))


def test_projection_keeps_north_up_and_fits_the_width():
    square = {"type": "Polygon", "coordinates": [[[-2, 50], [0, 50], [0, 52], [-2, 52], [-2, 50]]]}
    projection = charts.Projection([square], width=100, padding=0)
    assert projection(-2, 52) == (0, 0)  # north-west corner at the top left
    x, y = projection(0, 50)
    assert x == 100
    # A degree of longitude is shorter than a degree of latitude at 51°N, so the box is taller than wide.
    assert y == pytest.approx(100 / 0.629, rel=0.01)
    assert projection.path(square) == "M0.0 158.9L100.0 158.9L100.0 0.0L0.0 0.0L0.0 158.9Z"
