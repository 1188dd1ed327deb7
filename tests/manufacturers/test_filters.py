"""The shared URL grammar (SiteFilter) that the directory, map and API all use."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from manufacturers.filters import SiteFilter
from manufacturers.models import Capability, Site
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region

pytestmark = pytest.mark.django_db


def _filter(query: str) -> SiteFilter:
    return SiteFilter(QueryDict(query), queryset=Site.objects.all())


def _names(query: str) -> set[str]:
    site_filter = _filter(query)
    assert site_filter.is_valid(), site_filter.errors
    return {site.name for site in site_filter.qs}


@pytest.fixture
def landscape():
    aseptic = Capability.objects.get(slug="aseptic_fill_finish")
    vectors = Capability.objects.get(slug="viral_vectors")
    SiteFactory(
        name="Livingston fill",
        region=region("scotland"),
        capabilities=[aseptic],
        latitude=55.88,
        longitude=-3.52,
    )
    SiteFactory(
        name="Glasgow vectors",
        region=region("scotland"),
        capabilities=[vectors],
        latitude=55.86,
        longitude=-4.25,
    )
    SiteFactory(name="Stevenage vectors", region=region("east-of-england"), capabilities=[vectors, aseptic])
    SiteFactory(
        name="Cardiff planned",
        region=region("wales"),
        status="planned",
        latitude=51.48,
        longitude=-3.18,
        organisation=OrganisationFactory(kind="nhs"),
    )


def test_values_of_one_facet_are_ored_and_facets_are_anded(landscape):
    assert _names("region=scotland&region=wales") == {
        "Livingston fill",
        "Glasgow vectors",
        "Cardiff planned",
    }
    assert _names("region=scotland,wales") == {
        "Livingston fill",
        "Glasgow vectors",
        "Cardiff planned",
    }
    assert _names("region=scotland&capability=aseptic_fill_finish") == {"Livingston fill"}
    assert _names("capability=aseptic_fill_finish,viral_vectors&status=operational") == {
        "Livingston fill",
        "Glasgow vectors",
        "Stevenage vectors",
    }
    assert _names("organisation_kind=nhs") == {"Cardiff planned"}


def test_near_and_radius(landscape):
    # "Who makes viral vectors within 50 km of Stevenage?"
    assert _names("capability=viral_vectors&near=51.90,-0.20&radius_km=50") == {"Stevenage vectors"}
    assert _names("near=55.95,-3.20&radius_km=80") == {"Livingston fill", "Glasgow vectors"}


def test_bbox(landscape):
    assert _names("bbox=-5,55,-3,57") == {"Livingston fill", "Glasgow vectors"}


def test_facet_counts_use_the_other_active_filters(landscape):
    counts = _filter("region=scotland&capability=viral_vectors").facet_counts()
    # Region counts ignore the region filter but honour the capability filter.
    assert counts["region"] == {"scotland": 1, "east-of-england": 1}
    # Capability counts ignore the capability filter but honour the region filter.
    assert counts["capability"] == {"aseptic_fill_finish": 1, "viral_vectors": 1}
    assert counts["status"] == {"operational": 1}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "region=atlantis",
            "region",
            "atlantis is not a known value. Use one of the slugs listed at /api/v1/.",
        ),
        ("bbox=1,2,3", "bbox", "Give four numbers: west,south,east,north."),
        ("bbox=a,b,c,d", "bbox", "Give four numbers: west,south,east,north."),
        ("near=200,1", "near", "Latitude must be between -90 and 90."),
        (
            "radius_km=10",
            "radius_km",
            "radius_km needs a place to measure from: add near=, such as near=Stevenage.",
        ),
        (
            "status=demolished",
            "status",
            "Select a valid choice. demolished is not one of the available choices.",
        ),
        (
            "ordering=password",
            "ordering",
            "Select a valid choice. password is not one of the available choices.",
        ),
    ],
)
def test_bad_values_are_form_errors_naming_the_field(query, field, message):
    site_filter = _filter(query)
    assert not site_filter.is_valid()
    assert site_filter.errors[field] == [message]


def test_directory_answers_bad_input_with_400_and_a_message(client):
    response = client.get("/sites/?region=atlantis")
    assert response.status_code == 400
    assert "atlantis is not a known value" in response.content.decode()


def test_search_ranks_names_above_descriptions():
    in_description = SiteFactory(
        name="Plant A",
        organisation=OrganisationFactory(name="Alpha", description="We make biologics."),
    )
    in_name = SiteFactory(name="Biologics centre", organisation=OrganisationFactory(name="Beta"))
    assert list(_filter("q=biologics").qs) == [in_name, in_description]


def test_technology_and_licence_filters(landscape):
    from manufacturers.models import Technology
    from tests.manufacturers.factories import LicenceFactory, LicenceTypeFactory

    continuous = Technology.objects.get(slug="continuous_manufacturing")
    Site.objects.get(name="Glasgow vectors").technologies.add(continuous)
    mia = LicenceTypeFactory(slug="mia_test", name="MIA test")
    LicenceFactory(site=Site.objects.get(name="Cardiff planned"), licence_type=mia)
    assert _names("technology=continuous_manufacturing") == {"Glasgow vectors"}
    assert _names("licence=mia_test") == {"Cardiff planned"}
    assert _names("licence=mia_test&region=scotland") == set()
    assert _names("technology=continuous_manufacturing&capability=viral_vectors&region=scotland") == {
        "Glasgow vectors"
    }


def test_status_filter_and_near_without_radius_defaults_to_50_km(landscape):
    assert _names("status=planned") == {"Cardiff planned"}
    assert _names("status=planned,operational&region=wales") == {"Cardiff planned"}
    # Stevenage to Livingston is far more than the default 50 km.
    assert _names("near=51.90,-0.20") == {"Stevenage vectors"}


def test_free_text_search_matches_prefixes_and_combines_with_facets(landscape):
    SiteFactory(name="Biologics plant", region=region("scotland"))
    assert _names("q=bio") == {"Biologics plant"}
    assert _names("q=vect") == {"Glasgow vectors", "Stevenage vectors"}
    assert _names("q=vect&region=scotland") == {"Glasgow vectors"}
    assert _names("q=!!!") == {site.name for site in Site.objects.all()}  # nothing searchable: no filter


def test_search_ranks_names_above_towns_above_descriptions():
    in_description = SiteFactory(
        name="Plant C",
        town="Leeds",
        organisation=OrganisationFactory(name="Gamma", description="Near Ware, we make biologics."),
    )
    in_town = SiteFactory(name="Plant B", town="Ware", organisation=OrganisationFactory(name="Beta"))
    in_name = SiteFactory(name="Ware works", town="Leeds", organisation=OrganisationFactory(name="Alpha"))
    assert list(_filter("q=ware").qs) == [in_name, in_town, in_description]


def test_ordering_is_an_allow_list_with_a_stable_tie_break(landscape):
    site_filter = _filter("ordering=-name")
    assert [site.name for site in site_filter.qs] == [
        "Stevenage vectors",
        "Livingston fill",
        "Glasgow vectors",
        "Cardiff planned",
    ]
    assert site_filter.qs.query.order_by[-1] == "id"


def test_the_directory_the_map_and_the_api_share_one_default_order(client, api_client):
    beta = OrganisationFactory(name="Beta")
    SiteFactory(name="A site", organisation=beta)
    SiteFactory(name="Z site", organisation=OrganisationFactory(name="Alpha"))
    SiteFactory(name="B site", organisation=beta)
    # By site name, the id breaking ties.
    assert [site.name for site in _filter("").qs] == ["A site", "B site", "Z site"]
    directory = client.get(reverse("manufacturers:site-list")).context["page"].object_list
    assert [site.name for site in directory] == ["A site", "B site", "Z site"]
    api = api_client.get(reverse("api-v1:site-list")).json()["results"]
    assert [row["name"] for row in api] == ["A site", "B site", "Z site"]


def test_facet_counts_for_every_facet(landscape):
    counts = _filter("").facet_counts()
    assert counts["region"] == {"scotland": 2, "east-of-england": 1, "wales": 1}
    assert counts["capability"] == {"aseptic_fill_finish": 2, "viral_vectors": 2}
    assert counts["technology"] == {}
    assert counts["licence"] == {}
    assert counts["organisation_kind"] == {"cdmo": 3, "nhs": 1}
    assert counts["status"] == {"operational": 3, "planned": 1}
    assert _filter("").facet_counts(facets=["status"]) == {"status": {"operational": 3, "planned": 1}}
    assert _filter("region=atlantis").facet_counts() == {}


def test_facet_counts_with_several_values_of_a_facet_chosen(landscape):
    counts = _filter("region=scotland,wales&status=operational").facet_counts()
    # The region facet ignores its own choice, so every region still shows what it would add.
    assert counts["region"] == {"scotland": 2, "east-of-england": 1}
    assert counts["status"] == {"operational": 2, "planned": 1}


def test_chips_remove_one_value_at_a_time(landscape):
    site_filter = _filter(
        "region=scotland,wales&capability=viral_vectors&q=vect&near=55.9,-3.2&radius_km=80&page=2"
    )
    chips = {(chip["facet"], chip["value_label"]): chip["remove_query"] for chip in site_filter.chips()}
    assert chips == {
        ("q", "vect"): "region=scotland%2Cwales&capability=viral_vectors&near=55.9%2C-3.2&radius_km=80",
        ("region", "Scotland"): "region=wales&capability=viral_vectors&q=vect&near=55.9%2C-3.2&radius_km=80",
        ("region", "Wales"): "region=scotland&capability=viral_vectors&q=vect&near=55.9%2C-3.2&radius_km=80",
        ("capability", "Viral vectors"): "region=scotland%2Cwales&q=vect&near=55.9%2C-3.2&radius_km=80",
        # Removing the point removes its radius too.
        (
            "near",
            "within 80 km of 55.9000, -3.2000",
        ): "region=scotland%2Cwales&capability=viral_vectors&q=vect",
    }


def test_organisation_filter_keeps_organisations_with_any_matching_site():
    from manufacturers.filters import OrganisationFilter

    aseptic = Capability.objects.get(slug="aseptic_fill_finish")
    both = OrganisationFactory(name="Both")
    SiteFactory(organisation=both, region=region("scotland"), capabilities=[aseptic])
    SiteFactory(organisation=both, region=region("wales"))
    SiteFactory(organisation=both, region=region("wales"))
    only_wales = OrganisationFactory(name="Only Wales")
    SiteFactory(organisation=only_wales, region=region("wales"), capabilities=[aseptic])
    OrganisationFactory(name="No sites")

    def organisations(query):
        organisation_filter = OrganisationFilter(QueryDict(query), queryset=Site.objects.all())
        assert organisation_filter.is_valid(), organisation_filter.errors
        return [(o.name, o.matching_site_count) for o in organisation_filter.organisations()]

    assert organisations("") == [("Both", 3), ("Only Wales", 1)]
    assert organisations("region=scotland") == [("Both", 1)]
    assert organisations("region=wales&capability=aseptic_fill_finish") == [("Only Wales", 1)]
    assert organisations("ordering=sites") == [("Only Wales", 1), ("Both", 3)]
    assert organisations("ordering=-name") == [("Only Wales", 1), ("Both", 3)]
    counts = OrganisationFilter(QueryDict("capability=aseptic_fill_finish"), queryset=Site.objects.all())
    # Facets count organisations, not sites: "Both" has two Welsh sites but counts once.
    assert counts.facet_counts()["region"] == {"scotland": 1, "wales": 1}
    assert OrganisationFilter(QueryDict(""), queryset=Site.objects.all()).facet_counts()["region"] == {
        "scotland": 1,
        "wales": 2,
    }


def test_organisation_search_ranks_by_best_matching_site():
    from manufacturers.filters import OrganisationFilter

    SiteFactory(name="Plant", organisation=OrganisationFactory(name="Alpha", description="Some biologics."))
    SiteFactory(name="Biologics hub", organisation=OrganisationFactory(name="Beta"))
    organisation_filter = OrganisationFilter(QueryDict("q=biologics"), queryset=Site.objects.all())
    assert [o.name for o in organisation_filter.organisations()] == ["Beta", "Alpha"]


def test_organisation_ordering_rejects_site_only_fields():
    from manufacturers.filters import OrganisationFilter

    organisation_filter = OrganisationFilter(QueryDict("ordering=town"), queryset=Site.objects.all())
    assert not organisation_filter.is_valid()
    assert organisation_filter.errors["ordering"] == [
        "Select a valid choice. town is not one of the available choices."
    ]
