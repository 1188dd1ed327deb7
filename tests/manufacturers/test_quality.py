"""The data-quality checks: geometry, each check, the save service and the check_data command."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from manufacturers import quality
from manufacturers.models import Region, Site
from manufacturers.services import site_save
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region

SQUARE = {
    "type": "MultiPolygon",
    "coordinates": [
        [
            [[0.0, 50.0], [1.0, 50.0], [1.0, 51.0], [0.0, 51.0], [0.0, 50.0]],
            # A hole (a lake, or another region inside this one).
            [[0.4, 50.4], [0.6, 50.4], [0.6, 50.6], [0.4, 50.6], [0.4, 50.4]],
        ]
    ],
}


def VerifiedSiteFactory(**kwargs):  # noqa: N802 (used as the factory it wraps)
    """A site checked by staff today, for tests about other findings."""
    return SiteFactory(last_verified_on=timezone.localdate(), **kwargs)


def _regions():
    home = Region(pk=1, name="Home", boundary=SQUARE)
    neighbour = Region(
        pk=2,
        name="Neighbour",
        boundary={"type": "Polygon", "coordinates": [[[1, 50], [2, 50], [2, 51], [1, 51], [1, 50]]]},
    )
    return quality.RegionShapes([home, neighbour]), home, neighbour


def test_location_errors_name_the_region_the_point_is_really_in():
    shapes, home, neighbour = _regions()
    assert shapes.location_errors(latitude=50.2, longitude=0.2, region=home) == {}
    assert shapes.location_errors(latitude=50.2, longitude=1.5, region=home) == {
        "region": "The coordinates 50.2, 1.5 are in Neighbour, not Home."
    }
    assert shapes.location_errors(latitude=40.0, longitude=0.5, region=home) == {
        "latitude": "The coordinates 40.0, 0.5 are outside the UK."
    }


@pytest.mark.django_db
def test_every_demo_site_is_inside_its_region_with_the_tolerance_but_not_all_without():
    call_command("load_demo_data", verbosity=0)
    shapes = quality.RegionShapes.load()
    sites = list(Site.objects.select_related("region"))
    assert all(
        shapes.location_errors(latitude=s.latitude, longitude=s.longitude, region=s.region) == {}
        for s in sites
    )
    # Why the tolerance exists: some waterside sites fall just outside the mean-high-water line.
    strictly_outside = [s for s in sites if not shapes.shapes[s.region_id].contains(s.latitude, s.longitude)]
    assert strictly_outside


def test_postcode_format():
    assert quality.postcode_error("SG1 2NY") is None
    assert quality.postcode_error("SG1") is None
    assert quality.postcode_error("") is None
    assert quality.postcode_error("sg1") == (
        'Enter a UK postcode such as "SG1 2NY", or its outward code such as "SG1", in capitals.'
    )


def _point(key, organisation="Acme", postcode="", latitude=51.9, longitude=-0.2, precise=False):
    return quality.SitePoint(key, f"site {key}", organisation, postcode, latitude, longitude, precise)


def test_likely_duplicates_same_organisation_and_postcode():
    pairs = quality.likely_duplicates(
        [_point(1, postcode="SG1 2NY", latitude=51.0), _point(2, postcode="SG12NY", latitude=52.0)]
    )
    assert [(a.key, b.key, reason) for a, b, reason in pairs] == [(1, 2, "same organisation and postcode")]


def test_likely_duplicates_within_50_metres():
    # 0.0003 degrees of latitude is about 33 m; 0.001 is about 111 m.
    near = [_point(1, "Acme", precise=True), _point(2, "Other", latitude=51.9003, precise=True)]
    assert [reason for *_, reason in quality.likely_duplicates(near)] == ["33 m apart"]
    far = [_point(1, precise=True), _point(2, latitude=51.901, precise=True)]
    assert quality.likely_duplicates(far) == []


def test_two_organisations_placed_at_the_same_town_centre_are_not_duplicates():
    town_points = [_point(1, "Acme"), _point(2, "Other")]
    assert quality.likely_duplicates(town_points) == []
    same_organisation = [_point(1, "Acme"), _point(2, "Acme")]
    assert len(quality.likely_duplicates(same_organisation)) == 1


@pytest.mark.django_db
def test_site_save_refuses_a_site_outside_its_region_or_the_uk():
    site = SiteFactory.build(organisation=OrganisationFactory(), region=region("wales"))
    with pytest.raises(ValidationError) as excinfo:
        site_save(site=site)
    assert excinfo.value.message_dict == {
        "region": ["The coordinates 51.9017, -0.2019 are in East of England, not Wales."]
    }
    site.region, site.latitude, site.longitude = region("east-of-england"), 48.85, 2.35
    with pytest.raises(ValidationError) as excinfo:
        site_save(site=site)
    assert excinfo.value.message_dict == {"latitude": ["The coordinates 48.85, 2.35 are outside the UK."]}
    assert not Site.objects.exists()


@pytest.mark.django_db
def test_check_data_reports_errors_and_warnings_and_fails_on_errors():
    organisation = OrganisationFactory(name="Acme")
    SiteFactory = VerifiedSiteFactory  # noqa: N806 (verification has its own test)
    SiteFactory(
        organisation=organisation, name="Wrong region", region=region("wales"), latitude=52.0, longitude=0.0
    )
    SiteFactory(organisation=organisation, name="Twin A", postcode="SG1 2NY")
    SiteFactory(organisation=organisation, name="Twin B", postcode="SG1 2NY", latitude=52.2, longitude=0.12)
    OrganisationFactory(name="Empty Ltd")
    closed = SiteFactory(name="Shut", status=Site.Status.CLOSED, latitude=52.2, longitude=0.5)
    CaseStudyFactory(title="A story", organisation=organisation, sites=[closed], published=True)

    findings = quality.check_all()

    assert [(f.level, f.check, f.subject) for f in findings] == [
        ("error", "region_mismatch", "Acme, Wrong region"),
        ("warning", "likely_duplicate", "Acme, Twin A"),
        ("warning", "organisation_without_sites", "Empty Ltd"),
        ("warning", "case_study_closed_site", "A story"),
    ]
    out = StringIO()
    with pytest.raises(CommandError, match="The data has 1 errors."):
        call_command("check_data", stdout=out)
    assert "Warning [organisation_without_sites] Empty Ltd: The organisation has no sites." in out.getvalue()
    assert "1 errors, 3 warnings." in out.getvalue()


@pytest.mark.django_db
def test_check_data_passes_on_the_demo_data():
    call_command("load_demo_data", verbosity=0)
    out = StringIO()
    call_command("check_data", "--json", stdout=out)
    assert '"level": "error"' not in out.getvalue()


@pytest.mark.django_db
def test_staff_see_the_quality_report_in_the_admin_with_links(admin_client):
    from django.urls import reverse

    site = VerifiedSiteFactory(name="Wrong region", region=region("wales"))
    OrganisationFactory(name="Empty Ltd")
    changelist = admin_client.get(reverse("admin:manufacturers_site_changelist")).content.decode()
    url = reverse("admin:manufacturers_site_quality")
    assert url in changelist
    page = admin_client.get(url).content.decode()
    assert "1 error, 1 warning." in page
    assert f'href="{reverse("admin:manufacturers_site_change", args=[site.pk])}"' in page
    assert "The coordinates 51.9017, -0.2019 are in East of England, not Wales." in page
    assert "Empty Ltd" in page


@pytest.mark.django_db
def test_check_data_reports_sites_never_verified_or_not_for_a_year_and_a_point_just_outside_its_region():
    today = timezone.localdate()
    VerifiedSiteFactory(name="Fresh")
    SiteFactory(name="Never")
    SiteFactory(name="Stale", last_verified_on=today - datetime.timedelta(days=400))
    SiteFactory(name="Just in time", last_verified_on=today - datetime.timedelta(days=364))
    # Elstree: 51.6497, -0.3009 is in the East of England polygon, about 1.4 km from London's.
    edge = VerifiedSiteFactory(name="Elstree", region=region("london"), latitude=51.6497, longitude=-0.3009)

    findings = {(f.check, f.subject.split(", ")[-1]): f for f in quality.check_all() if f.level == "warning"}

    assert {key for key in findings if key[0] in {"never_verified", "verification_stale"}} == {
        ("never_verified", "Never"),
        ("verification_stale", "Stale"),
    }
    assert findings[("verification_stale", "Stale")].message == (
        f"Last verified on {(today - datetime.timedelta(days=400)).isoformat()}, more than 12 months ago."
    )
    message = findings[("region_edge", "Elstree")].message
    assert message.endswith("km outside London, within the 2 km allowed at a boundary.")
    assert 0 < float(message.split(" km")[0]) <= 2
    assert not [f for f in quality.check_all() if f.level == "error" and edge.name in f.subject]
    out = StringIO()
    call_command("check_data", stdout=out)
    assert "Warning [never_verified]" in out.getvalue() and "Warning [region_edge]" in out.getvalue()


@pytest.mark.django_db
def test_check_data_warns_about_organisations_that_are_probably_one():
    for name, website in [
        ("CPI (Centre for Process Innovation)", "https://www.uk-cpi.com"),
        ("CPI", ""),
        ("Autolus Therapeutics", ""),
        ("Autolus", ""),
        ("Medicines and Healthcare products Regulatory Agency (MHRA)", ""),
        ("MHRA", ""),
        ("Centre for Process Innovation Ltd", ""),
        ("Process Partners", "http://uk-cpi.com/about"),
        ("Oxford Biomedica", ""),
        ("Oxford Nanopore", ""),
    ]:
        OrganisationFactory(name=name, website=website)

    findings = [f for f in quality.check_all() if f.check == "likely_duplicate_organisation"]

    assert {(f.subject, f.message.split(" (")[0]) for f in findings} == {
        ("CPI", "May be the same organisation as CPI"),
        ("Autolus", "May be the same organisation as Autolus Therapeutics"),
        ("MHRA", "May be the same organisation as Medicines and Healthcare products Regulatory Agency"),
        ("Centre for Process Innovation Ltd", "May be the same organisation as CPI"),
        ("Process Partners", "May be the same organisation as CPI"),
    }
    reasons = {f.subject: f.message for f in findings}
    assert "(same website domain)" in reasons["Process Partners"]
    assert "(similar names)" in reasons["Autolus"]
