"""The data migrations load the reference data every environment needs."""

import pytest

from casestudies.models import RegulatoryTopic
from manufacturers.models import Capability, LicenceType, Region, Technology
from workstreams.models import Workstream

pytestmark = pytest.mark.django_db


def test_the_twelve_itl1_regions_arrive_with_boundaries():
    regions = list(Region.objects.order_by("code"))
    assert [region.code for region in regions] == [
        "TLC",
        "TLD",
        "TLE",
        "TLF",
        "TLG",
        "TLH",
        "TLI",
        "TLJ",
        "TLK",
        "TLL",
        "TLM",
        "TLN",
    ]
    scotland = Region.objects.get(slug="scotland")
    assert scotland.name == "Scotland"
    assert scotland.nuts_code == "UKM"
    assert scotland.boundary["type"] == "MultiPolygon"
    assert scotland.min_latitude < scotland.centroid_latitude < scotland.max_latitude
    assert all(region.boundary["coordinates"] for region in regions)


def test_taxonomies_arrive_complete():
    assert Capability.objects.count() == 30
    assert Technology.objects.count() == 24
    assert LicenceType.objects.count() == 9
    mia = LicenceType.objects.get(slug="mia")
    assert mia.name == "Manufacturer's/importer's licence (MIA)"
    assert all(url.startswith("http") for url in mia.source_urls)
    assert Capability.objects.get(slug="aseptic_fill_finish").name == "Aseptic fill-finish"


def test_the_five_workstreams_arrive_in_order():
    assert list(Workstream.objects.values_list("slug", flat=True)) == [
        "regulatory-environment",
        "skills",
        "fiscal-environment",
        "supply-chain",
        "technology",
    ]
    assert all(workstream.summary and workstream.body for workstream in Workstream.objects.all())


def test_regulatory_topics_arrive():
    assert RegulatoryTopic.objects.count() >= 8
