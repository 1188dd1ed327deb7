"""Optimistic locking on sites and organisations: two staff saving the same record never
silently overwrite each other, in the admin or through the services."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.locking import CONFLICT_MESSAGE
from manufacturers.models import Organisation, Site
from manufacturers.services import organisation_save, site_save
from tests.manufacturers.factories import OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

SITE_CONFLICT = str(CONFLICT_MESSAGE) % {"thing": "site"}
ORGANISATION_CONFLICT = str(CONFLICT_MESSAGE) % {"thing": "organisation"}


def _site_form(site, **changes):
    return {
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
        **changes,
    }


def _organisation_form(organisation, **changes):
    return {
        "name": organisation.name,
        "slug": organisation.slug,
        "kind": organisation.kind,
        "website": organisation.website,
        "description": organisation.description,
        "companies_house_number": organisation.companies_house_number,
        "sites-TOTAL_FORMS": 0,
        "sites-INITIAL_FORMS": 0,
        "sites-MIN_NUM_FORMS": 0,
        "sites-MAX_NUM_FORMS": 1000,
        **changes,
    }


def test_two_staff_saving_the_same_site_in_the_admin_the_second_is_told_and_nothing_is_lost(admin_client):
    site = SiteFactory(town="Ware")
    url = reverse("admin:manufacturers_site_change", args=[site.pk])
    form = admin_client.get(url).context["adminform"].form
    started_from = form["expected_version"].value()
    assert started_from == 1
    assert 'name="expected_version"' in admin_client.get(url).content.decode()

    first = admin_client.post(url, _site_form(site, town="Hitchin", expected_version=started_from))
    assert first.status_code == 302
    second = admin_client.post(url, _site_form(site, town="Hertford", expected_version=started_from))

    assert second.status_code == 200
    assert second.context["adminform"].form.non_field_errors() == [SITE_CONFLICT]
    site.refresh_from_db()
    assert (site.town, site.version) == ("Hitchin", 2)
    assert site.history.count() == 2


def test_two_staff_saving_the_same_organisation_in_the_admin_the_second_is_told(admin_client):
    organisation = OrganisationFactory(description="First words.")
    url = reverse("admin:manufacturers_organisation_change", args=[organisation.pk])
    started_from = admin_client.get(url).context["adminform"].form["expected_version"].value()

    first = admin_client.post(
        url, _organisation_form(organisation, description="Mine.", expected_version=started_from)
    )
    assert first.status_code == 302
    second = admin_client.post(
        url, _organisation_form(organisation, description="Theirs.", expected_version=started_from)
    )

    assert second.status_code == 200
    assert second.context["adminform"].form.non_field_errors() == [ORGANISATION_CONFLICT]
    organisation.refresh_from_db()
    assert (organisation.description, organisation.version) == ("Mine.", 2)


def test_the_services_refuse_a_save_started_from_an_older_version():
    site = SiteFactory(town="Ware")
    stale = Site.objects.get(pk=site.pk)
    site.town = "Hitchin"
    site_save(site=site, expected_version=1)
    stale.town = "Hertford"
    with pytest.raises(ValidationError) as refused:
        site_save(site=stale, expected_version=1)
    assert refused.value.code == "conflict"
    assert refused.value.messages == [SITE_CONFLICT]
    assert Site.objects.get(pk=site.pk).town == "Hitchin"

    organisation = Organisation.objects.get(pk=site.organisation_id)
    organisation_save(organisation=organisation, expected_version=1)
    with pytest.raises(ValidationError):
        organisation_save(organisation=organisation, expected_version=1)
    assert Organisation.objects.get(pk=organisation.pk).version == 2


def test_every_save_numbers_a_new_version_and_a_new_record_starts_at_one():
    site = SiteFactory()
    assert site.version == 1
    site_save(site=site)
    site_save(site=site)
    assert Site.objects.get(pk=site.pk).version == 3
