import random

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from manufacturers.models import Licence, Site
from tests.manufacturers.factories import (
    LicenceFactory,
    LicenceTypeFactory,
    OrganisationFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", 90.5),
        ("latitude", -91),
        ("longitude", 180.5),
        ("status", "demolished"),
        ("postcode", "ABC"),
    ],
)
def test_the_database_refuses_a_site_that_breaks_an_invariant(field, value):
    site = SiteFactory()
    setattr(site, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        site.save()


@pytest.mark.parametrize("postcode", ["SG1", "SG1 2NY", "EC1A 1BB", "W1A 0AX", "L24", "BT63 5QD", ""])
def test_full_and_outward_uk_postcodes_are_valid(postcode):
    site = SiteFactory.build(organisation=OrganisationFactory(), postcode=postcode)
    site.full_clean()


@pytest.mark.parametrize("postcode", ["sg1", "SG12NY", "12345", "SG1 2N", "ZZZ"])
def test_malformed_postcodes_are_rejected(postcode):
    site = SiteFactory.build(organisation=OrganisationFactory(), postcode=postcode)
    with pytest.raises(ValidationError) as error:
        site.full_clean()
    assert "postcode" in error.value.message_dict


def test_slugs_are_unique():
    SiteFactory(slug="gsk-ware")
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteFactory(slug="gsk-ware")


def test_a_site_holds_one_licence_of_a_type():
    licence = LicenceFactory()
    duplicate = Licence(site=licence.site, licence_type=licence.licence_type)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "This site already holds a licence of this type." in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    Licence.objects.create(site=licence.site, licence_type=LicenceTypeFactory())


@pytest.mark.parametrize("number", ["01234567", "SC123456", "NI012345", "OC301234"])
def test_companies_house_numbers_in_the_registry_formats_are_valid(number):
    OrganisationFactory.build(companies_house_number=number).full_clean()


@pytest.mark.parametrize("number", ["1234567", "sc123456", "ABC12345", "123456789"])
def test_malformed_companies_house_numbers_are_rejected(number):
    with pytest.raises(ValidationError):
        OrganisationFactory.build(companies_house_number=number).full_clean()


def test_a_companies_house_number_belongs_to_one_organisation():
    OrganisationFactory(companies_house_number="01234567")
    OrganisationFactory(companies_house_number="")
    OrganisationFactory(companies_house_number="")  # blank is allowed many times
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(companies_house_number="01234567")


def test_search_vector_follows_site_and_organisation_changes():
    site = SiteFactory(name="Sterile suite", organisation=OrganisationFactory(name="Quokka Biologics"))
    assert list(Site.objects.search("quokka")) == [site]
    assert list(Site.objects.search("biolog")) == [site]  # prefix matching
    organisation = site.organisation
    organisation.name = "Wombat Vaccines"
    organisation.save()
    assert list(Site.objects.search("wombat")) == [site]
    assert not Site.objects.search("quokka").exists()


def test_nearest_to_orders_by_distance_with_great_circle_kilometres():
    stevenage = SiteFactory(latitude=51.9017, longitude=-0.2019)
    hitchin = SiteFactory(latitude=51.9471, longitude=-0.2831)
    edinburgh = SiteFactory(latitude=55.9521, longitude=-3.1965)
    ordered = list(Site.objects.nearest_to(51.90, -0.20))
    assert ordered == [stevenage, hitchin, edinburgh]
    assert ordered[1].distance_km == pytest.approx(7.7, abs=0.2)
    assert ordered[2].distance_km == pytest.approx(494, abs=5)


def test_nearest_reranks_the_index_candidates_by_great_circle_distance():
    # At 55°N a degree of longitude is 64 km and one of latitude 111 km: in planar degrees the
    # site 0.12° east (7.7 km) looks farther than the one 0.1° north (11.1 km).
    north = SiteFactory(name="North", latitude=55.1, longitude=-1.6)
    east = SiteFactory(name="East", latitude=55.0, longitude=-1.48)
    assert list(Site.objects.nearest_to(55.0, -1.6)) == [north, east]
    nearest = Site.objects.nearest(55.0, -1.6, 2)
    assert nearest == [east, north]
    assert [round(site.distance_km, 1) for site in nearest] == [7.7, 11.1]
    assert Site.objects.nearest(55.0, -1.6, 1) == [east]


def test_the_rows_nearest_a_point_are_those_of_the_plain_slice():
    # Sites scattered around 55°N, where planar degrees skew the KNN walk the most: the page read
    # through the index's reach is, row for row, the one the haversine over every site gives.
    generator = random.Random(7)
    for number in range(60):
        SiteFactory(
            name=f"Site {number % 7}",
            latitude=55.0 + generator.uniform(-0.4, 0.4),
            longitude=-1.6 + generator.uniform(-0.6, 0.6),
        )
    within = Site.objects.within_radius(55.0, -1.6, 40).order_by("distance_km", "name", "id")
    for start, stop in ((0, 1), (0, 2), (0, 5), (3, 8), (0, 17), (20, 60), (40, 100)):
        assert list(within.rows(start, stop)) == list(within[start:stop])
    beyond = within.filter(distance_km__gt=20)
    assert list(beyond.rows(0, 5)) == list(beyond[:5])
    assert list(within.filter(name="Nobody").rows(0, 5)) == []
