from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from casestudies.models import CaseStudy
from manufacturers import quality
from manufacturers.models import Licence, Organisation, Site
from workstreams.models import Initiative

pytestmark = pytest.mark.django_db


def _load():
    output = StringIO()
    call_command("load_demo_data", stdout=output)
    return output.getvalue()


def test_demo_data_loads_the_real_landscape():
    _load()
    assert Site.objects.count() == 161
    assert Site.objects.values("region").distinct().count() == 12
    gsk_ware = Site.objects.get(organisation__name="GSK", name="Ware")
    assert gsk_ware.region.name == "East of England"
    assert gsk_ware.postcode == "SG12"
    assert (gsk_ware.latitude, gsk_ware.longitude) == (51.8106, -0.0288)
    assert set(gsk_ware.capabilities.values_list("slug", flat=True)) == {
        "inhaled_nasal",
        "drug_device_combination",
    }
    assert gsk_ware.source_urls and gsk_ware.confidence == "high"
    assert Organisation.objects.get(name="GSK").website == "https://gsk.com"
    # The licence is named in the source only for a handful of sites; elsewhere it is inferred.
    assert Licence.objects.filter(basis="confirmed").values("site").distinct().count() == 8
    assert Initiative.objects.count() >= 12
    assert CaseStudy.objects.published().count() >= 5
    assert set(CaseStudy.objects.values_list("status", flat=True)) >= {
        "draft",
        "in_review",
        "published",
        "withdrawn",
    }


def test_loading_twice_neither_duplicates_nor_fails():
    _load()
    counts = (
        Site.objects.count(),
        Organisation.objects.count(),
        Initiative.objects.count(),
        CaseStudy.objects.count(),
    )
    output = _load()
    assert "0 created, 0 updated, 161 unchanged" in output
    assert (
        Site.objects.count(),
        Organisation.objects.count(),
        Initiative.objects.count(),
        CaseStudy.objects.count(),
    ) == counts


def test_search_vectors_are_filled_for_loaded_sites():
    _load()
    assert not Site.objects.filter(search_vector__isnull=True).exists()
    assert Site.objects.search("biologics").exists()


EARLIER = Path(__file__).parent / "earlier_demo"


def test_a_database_loaded_with_the_earlier_demo_gains_the_new_sites_and_loses_its_duplicates():
    call_command("load_demo_data", fixtures=str(EARLIER), stdout=StringIO())
    assert Site.objects.count() == 88
    assert Organisation.objects.filter(name__in=["CPI", "Autolus", "MHRA"]).count() == 3  # held twice

    output = _load()

    assert "73 created" in output and "Duplicate organisations merged: 7." in output
    assert Site.objects.count() == 161
    assert not Organisation.objects.filter(name__in=["CPI", "Autolus", "MHRA"]).exists()
    cpi = Organisation.objects.get(name="CPI (Centre for Process Innovation)")
    assert cpi.initiatives.count() == 2  # its partnerships moved with the merge
    assert "0 created, 0 updated, 161 unchanged" in _load()


def test_the_demo_data_holds_no_likely_duplicate_organisations():
    _load()
    flagged = {f.subject for f in quality.check_all() if f.check == "likely_duplicate_organisation"}
    # The only one left is a real second organisation: a joint centre on the trust's website.
    assert flagged == {"King's College London and Guy's and St Thomas' NHS FT (PET Centre)"}
