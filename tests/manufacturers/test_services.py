"""The write services of manufacturers/services.py, called as the admin, the API and commands call them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from manufacturers.models import Correction, Organisation, Site
from manufacturers.services import (
    correction_accept,
    correction_reject,
    correction_submit,
    corrections_purge_personal_data,
    organisation_save,
    site_save,
    sites_mark_verified,
)
from tests.manufacturers.factories import CapabilityFactory, OrganisationFactory, SiteFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="steward", password="x", is_staff=True)


# --- organisation_save ------------------------------------------------------------------------


def test_organisation_save_gives_a_new_organisation_a_slug_without_its_bracketed_name(staff):
    organisation = organisation_save(
        organisation=Organisation(name="Stockport NHS FT (Stockport Pharmaceuticals)", kind="nhs"),
        by=staff,
        reason="Added by hand",
    )

    assert organisation.slug == "stockport-nhs-ft"
    record = organisation.history.get()
    assert (record.history_user, record.history_change_reason) == (staff, "Added by hand")


def test_organisation_save_takes_the_next_free_slug_and_keeps_an_existing_one():
    OrganisationFactory(name="Acme Ltd", slug="acme")
    second = organisation_save(organisation=Organisation(name="Acme"))
    assert second.slug == "acme-2"

    second.name = "Acme Biologics"
    assert organisation_save(organisation=second).slug == "acme-2"


def test_organisation_save_refuses_an_invalid_organisation_keyed_by_field():
    with pytest.raises(ValidationError) as excinfo:
        organisation_save(organisation=Organisation(name="Acme", companies_house_number="123"))
    assert excinfo.value.message_dict == {
        "companies_house_number": [
            "Enter a Companies House number: eight digits, or two capital letters and six digits."
        ]
    }
    assert not Organisation.objects.exists()


# --- site_save --------------------------------------------------------------------------------


def _new_site(**values) -> Site:
    fields = {
        "organisation": OrganisationFactory(name="Acme Biologics (formerly Acme Ltd)"),
        "name": "Gunnels Wood Road",
        "town": "Stevenage",
        "postcode": "SG1",
        "region": region("east-of-england"),
        "latitude": 51.9017,
        "longitude": -0.2019,
    }
    return Site(**{**fields, **values})


def test_site_save_makes_a_slug_from_the_short_names_of_organisation_and_site(staff):
    site = site_save(site=_new_site(), by=staff, reason="Visited")

    assert site.slug == "acme-biologics-gunnels-wood-road"
    record = site.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == ("+", staff, "Visited")


def test_site_save_cuts_a_long_slug_at_a_word_boundary():
    name = "Cell and Gene Therapy Manufacturing Innovation Centre Expansion Building"
    site = site_save(site=_new_site(name=name))
    # slugify() gives 87 characters, and the first 80 end in "-b" of "building".
    assert site.slug == "acme-biologics-cell-and-gene-therapy-manufacturing-innovation-centre-expansion"


def test_site_save_refuses_the_quality_errors_and_the_models_own_keyed_by_field():
    with pytest.raises(ValidationError) as excinfo:
        site_save(site=_new_site(region=region("wales"), postcode="sg1", town=""))
    assert excinfo.value.message_dict == {
        "town": ["This field cannot be blank."],
        "postcode": [
            'Enter a UK postcode such as "SG1 2NY", or its outward code such as "SG1", in capitals.'
        ],
        "region": ["The coordinates 51.9017, -0.2019 are in East of England, not Wales."],
    }
    assert not Site.objects.exists()


def test_site_save_refuses_coordinates_outside_the_uk():
    with pytest.raises(ValidationError) as excinfo:
        site_save(site=_new_site(latitude=48.8566, longitude=2.3522))
    assert excinfo.value.message_dict == {"latitude": ["The coordinates 48.8566, 2.3522 are outside the UK."]}


# --- sites_mark_verified ----------------------------------------------------------------------


def test_sites_mark_verified_records_who_and_when_for_each_site(staff):
    sites = SiteFactory.create_batch(2)
    other = SiteFactory()
    on = datetime.date(2026, 3, 2)

    assert sites_mark_verified(sites=sites, by=staff, on=on) == 2

    for site in sites:
        site.refresh_from_db()
        assert (site.last_verified_on, site.last_verified_by) == (on, staff)
        record = site.history.first()
        assert (record.history_user, record.history_change_reason) == (staff, "Verified")
    other.refresh_from_db()
    assert other.last_verified_on is None


def test_sites_mark_verified_defaults_to_today(staff):
    site = SiteFactory()
    sites_mark_verified(sites=[site], by=staff)
    site.refresh_from_db()
    assert site.last_verified_on == timezone.localdate()


# --- Corrections ------------------------------------------------------------------------------


def test_correction_submit_stores_a_pending_correction_against_its_target_and_changes_nothing():
    site = SiteFactory(town="Stevenage")
    organisation = OrganisationFactory()

    about_site = correction_submit(target=site, message="  It moved to Hitchin.  ", email=" a@example.com ")
    about_organisation = correction_submit(target=organisation, message="New website.")

    assert (about_site.site, about_site.organisation, about_site.status) == (site, None, "pending")
    assert (about_site.message, about_site.email) == ("It moved to Hitchin.", "a@example.com")
    assert about_organisation.target == organisation
    assert Site.objects.get(pk=site.pk).town == "Stevenage"


def test_correction_submit_refuses_an_empty_message():
    with pytest.raises(ValidationError) as excinfo:
        correction_submit(target=SiteFactory(), message="   ")
    assert excinfo.value.message_dict == {"message": ["This field cannot be blank."]}


def test_correction_accept_applies_the_change_through_the_save_service(staff):
    site = SiteFactory(town="Stevenage", postcode="SG1")
    capability = CapabilityFactory()
    correction = correction_submit(target=site, message="It is in Hertford now.")

    correction_accept(
        correction=correction, changes={"town": "Hertford", "capabilities": [capability]}, by=staff
    )

    site.refresh_from_db()
    assert site.town == "Hertford" and list(site.capabilities.all()) == [capability]
    record = site.history.first()
    assert (record.history_user, record.history_change_reason) == (
        staff,
        f"Public correction #{correction.pk}: town, capabilities",
    )
    correction.refresh_from_db()
    assert (correction.status, correction.reviewed_by, correction.changed_fields) == (
        "accepted",
        staff,
        ["town", "capabilities"],
    )
    assert correction.reviewed_at is not None


def test_correction_accept_of_an_organisation_goes_through_organisation_save(staff):
    organisation = OrganisationFactory(website="https://old.example.com")
    correction = correction_submit(target=organisation, message="New website.")
    correction_accept(correction=correction, changes={"website": "https://new.example.com"}, by=staff)
    organisation.refresh_from_db()
    assert organisation.website == "https://new.example.com"
    assert (
        organisation.history.first().history_change_reason == f"Public correction #{correction.pk}: website"
    )


def test_correction_accept_refuses_no_change_an_invalid_change_and_a_second_review(staff):
    site = SiteFactory()
    correction = correction_submit(target=site, message="Wrong region")

    with pytest.raises(ValidationError) as excinfo:
        correction_accept(correction=correction, changes={"town": site.town}, by=staff)
    assert excinfo.value.message_dict == {
        "__all__": ["Nothing would change. Edit the fields the correction is about, or reject it."]
    }
    with pytest.raises(ValidationError) as excinfo:
        correction_accept(correction=correction, changes={"region": region("wales")}, by=staff)
    assert excinfo.value.message_dict == {
        "region": ["The coordinates 51.9017, -0.2019 are in East of England, not Wales."]
    }
    assert Correction.objects.get(pk=correction.pk).status == "pending"

    correction_reject(correction=correction, reason="Checked: it is right.", by=staff)
    with pytest.raises(ValidationError) as excinfo:
        correction_accept(correction=correction, changes={"town": "Ware"}, by=staff)
    assert excinfo.value.message_dict == {"status": ["This correction has already been reviewed."]}


def test_correction_reject_needs_a_reason_and_records_it(staff):
    correction = correction_submit(target=SiteFactory(), message="Nonsense")

    with pytest.raises(ValidationError) as excinfo:
        correction_reject(correction=correction, reason="  ", by=staff)
    assert excinfo.value.message_dict == {"rejection_reason": ["Give a reason for rejecting the correction."]}

    correction_reject(correction=correction, reason=" The source says otherwise. ", by=staff)
    correction.refresh_from_db()
    assert (correction.status, correction.rejection_reason, correction.reviewed_by) == (
        "rejected",
        "The source says otherwise.",
        staff,
    )


def test_corrections_purge_personal_data_erases_only_old_emails(settings):
    settings.CORRECTION_EMAIL_RETENTION_DAYS = 90
    old = correction_submit(target=SiteFactory(), message="Old", email="old@example.com")
    recent = correction_submit(target=SiteFactory(), message="Recent", email="new@example.com")
    now = timezone.now()
    Correction.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(days=91))

    assert corrections_purge_personal_data(now=now) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.email, old.email_purged_at, old.message) == ("", now, "Old")
    assert recent.email == "new@example.com"
