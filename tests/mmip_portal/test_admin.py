"""Every ModelAdmin: changelist, search, add and change pages load; a valid form saves, an invalid one does not."""

import pytest
from django.contrib import admin
from django.urls import reverse

from casestudies.models import CaseStudy
from manufacturers.models import Correction, Organisation, Site
from tests.casestudies.factories import CaseStudyFactory, RegulatoryTopicFactory
from tests.manufacturers.factories import (
    CapabilityFactory,
    LicenceFactory,
    LicenceTypeFactory,
    SiteFactory,
    TechnologyFactory,
)
from tests.workstreams.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {"manufacturers", "workstreams", "casestudies"}


@pytest.fixture
def objects():
    site = SiteFactory(capabilities=[CapabilityFactory()], technologies=[TechnologyFactory()])
    LicenceFactory(site=site, licence_type=LicenceTypeFactory())
    InitiativeFactory(partners=[site.organisation])
    CaseStudyFactory(organisation=site.organisation, sites=[site], topics=[RegulatoryTopicFactory()])
    Correction.objects.create(site=site, message="The town is wrong.")
    return site


def _our_model_admins():
    return [model for model in admin.site._registry if model._meta.app_label in OUR_APPS]


def test_every_portal_model_is_in_the_admin():
    registered = {model.__name__ for model in _our_model_admins()}
    assert registered >= {
        "Region",
        "Capability",
        "Technology",
        "LicenceType",
        "Organisation",
        "Site",
        "Licence",
        "Workstream",
        "Initiative",
        "RegulatoryTopic",
        "CaseStudy",
    }


@pytest.mark.parametrize("model", _our_model_admins(), ids=lambda model: model.__name__)
def test_admin_pages_load(admin_client, objects, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "a"}).status_code == 200
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    instance = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    assert admin_client.get(change).status_code == 200


def _site_form(site, **changes):
    data = {
        "organisation": site.organisation_id,
        "name": site.name,
        "slug": site.slug,
        "status": site.status,
        "town": site.town,
        "postcode": site.postcode,
        "region": site.region_id,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "location_precision": site.location_precision,
        "source_urls": ",".join(site.source_urls),
        "confidence": site.confidence,
        "licences-TOTAL_FORMS": 0,
        "licences-INITIAL_FORMS": 0,
        "licences-MIN_NUM_FORMS": 0,
        "licences-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


def test_a_valid_site_form_saves(admin_client):
    site = SiteFactory()
    url = reverse("admin:manufacturers_site_change", args=[site.pk])
    response = admin_client.post(url, _site_form(site, town="Hitchin", postcode="SG4 0TQ"))
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.town, site.postcode) == ("Hitchin", "SG4 0TQ")
    assert site.history.count() == 2  # created, then changed: every edit is kept


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latitude", "200", "Ensure this value is less than or equal to 90."),
        ("postcode", "ABC", "Enter a UK postcode"),
    ],
)
def test_an_invalid_site_form_is_refused_with_a_message(admin_client, field, value, message):
    site = SiteFactory()
    url = reverse("admin:manufacturers_site_change", args=[site.pk])
    response = admin_client.post(url, _site_form(site, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    site.refresh_from_db()
    assert str(getattr(site, field)) != value


def test_a_valid_organisation_form_saves_and_an_invalid_one_does_not(admin_client):
    url = reverse("admin:manufacturers_organisation_add")
    base = {
        "name": "Acme Biologics",
        "slug": "acme-biologics",
        "kind": "biotech",
        "sites-TOTAL_FORMS": 0,
        "sites-INITIAL_FORMS": 0,
        "sites-MIN_NUM_FORMS": 0,
        "sites-MAX_NUM_FORMS": 1000,
    }
    response = admin_client.post(url, {**base, "companies_house_number": "12"})
    assert response.status_code == 200
    assert "Enter a Companies House number" in response.content.decode()
    assert not Organisation.objects.filter(slug="acme-biologics").exists()
    response = admin_client.post(url, {**base, "companies_house_number": "SC123456"})
    assert response.status_code == 302
    assert Organisation.objects.get(slug="acme-biologics").companies_house_number == "SC123456"


def test_the_site_changelist_does_not_query_per_row(admin_client, django_assert_max_num_queries):
    SiteFactory.create_batch(30)
    # Session, user, count, rows with organisation and region joined, filter choices: never per row.
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("admin:manufacturers_site_changelist")).status_code == 200
    assert Site.objects.count() == 30


def test_case_study_changelist_lists_drafts_for_staff(admin_client):
    CaseStudyFactory(title="A draft only staff see")
    response = admin_client.get(reverse("admin:casestudies_casestudy_changelist"))
    assert "A draft only staff see" in response.content.decode()
    assert CaseStudy.objects.published().count() == 0
