"""Corrections from the public: the form, spam and rate limits, moderation, and erasing emails."""

import datetime
import os
import uuid
from io import StringIO

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_ratelimit.core import get_usage

from manufacturers.models import Correction, Site
from manufacturers.services import correction_submit, corrections_purge_personal_data
from tests.manufacturers.factories import CapabilityFactory, OrganisationFactory, SiteFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site():
    return SiteFactory(name="Ware", town="Ware")


def site_url(site):
    return reverse("corrections:site-correction", kwargs={"slug": site.slug})


def test_the_form_is_on_every_site_and_organisation(client, site):
    response = client.get(site_url(site))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Suggest a correction" in page and 'name="csrfmiddlewaretoken"' in page
    assert "delete it after 90 days" in page
    url = reverse("corrections:organisation-correction", kwargs={"slug": site.organisation.slug})
    assert client.get(url).status_code == 200
    assert client.get(reverse("corrections:site-correction", kwargs={"slug": "nowhere"})).status_code == 404


def test_a_correction_is_stored_for_review_and_changes_nothing(client, site):
    response = client.post(
        site_url(site), {"message": "The site moved to Hertford.", "email": "a@example.com"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("corrections:site-correction-sent", kwargs={"slug": site.slug})
    correction = Correction.objects.get()
    assert (correction.site, correction.status, correction.email) == (site, "pending", "a@example.com")
    site.refresh_from_db()
    assert site.town == "Ware"
    assert "Thank you" in client.get(response["Location"]).content.decode()


def test_organisation_corrections_are_stored_against_the_organisation(client):
    organisation = OrganisationFactory()
    url = reverse("corrections:organisation-correction", kwargs={"slug": organisation.slug})
    client.post(url, {"message": "The website has changed.", "email": ""})
    assert Correction.objects.get().organisation == organisation


def test_an_empty_or_invalid_form_is_a_400_naming_the_field(client, site):
    response = client.post(site_url(site), {"message": "", "email": "not-an-email"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "message": ["Tell us what is wrong."],
        "email": ["Enter an email address such as name@example.com, or leave it empty."],
    }
    assert not Correction.objects.exists()


def test_csrf_is_required(site):
    client = Client(enforce_csrf_checks=True)
    assert client.post(site_url(site), {"message": "Spam"}).status_code == 403
    assert not Correction.objects.exists()


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(client, site):
    response = client.post(site_url(site), {"message": "Buy now", "homepage": "https://spam.example"})
    assert response.status_code == 302
    assert not Correction.objects.exists()


def test_the_rate_limit_stops_a_sixth_correction_within_the_hour_from_one_address(client, site, settings):
    settings.CORRECTION_RATE_LIMIT = 5
    for n in range(5):
        assert client.post(site_url(site), {"message": f"Note {n}"}).status_code == 302
    response = client.post(site_url(site), {"message": "One more"})
    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [
        "You have sent several corrections in a short time. Please try again in an hour."
    ]
    assert Correction.objects.count() == 5
    # Another address is not affected.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(site_url(site), {"message": "Different person"}).status_code == 302


def test_staff_accept_a_correction_through_the_save_service_and_history_names_it(
    admin_client, admin_user, site
):
    correction = correction_submit(target=site, message="It is in Hertford now.")
    url = reverse("admin:manufacturers_correction_accept", args=[correction.pk])
    form = admin_client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(town="Hertford", postcode="SG13", capabilities=[CapabilityFactory().pk], source_urls="")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.town, site.postcode) == ("Hertford", "SG13")
    assert site.capabilities.count() == 1
    record = site.history.first()
    assert record.history_change_reason == f"Public correction #{correction.pk}: town, postcode, capabilities"
    assert record.history_user == admin_user
    correction.refresh_from_db()
    assert (correction.status, correction.reviewed_by) == ("accepted", admin_user)
    assert correction.changed_fields == ["town", "postcode", "capabilities"]
    # Reviewed once only.
    assert admin_client.get(url).status_code == 302


def test_accepting_with_no_change_or_a_bad_change_is_refused(admin_client, site):
    correction = correction_submit(target=site, message="Wrong region")
    url = reverse("admin:manufacturers_correction_accept", args=[correction.pk])
    form = admin_client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["source_urls"] = ",".join(site.source_urls)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Nothing would change. Edit the fields the correction is about, or reject it."
    ]
    data["region"] = region("wales").pk
    response = admin_client.post(url, data)
    assert response.context["form"].errors["region"] == [
        "The coordinates 51.9017, -0.2019 are in East of England, not Wales."
    ]
    correction.refresh_from_db()
    assert correction.status == "pending"
    assert Site.objects.get(pk=site.pk).region.slug == "east-of-england"


def test_staff_reject_with_a_reason(admin_client, admin_user, site):
    correction = correction_submit(target=site, message="Nonsense")
    url = reverse("admin:manufacturers_correction_reject", args=[correction.pk])
    response = admin_client.post(url, {"reason": ""})
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    response = admin_client.post(url, {"reason": "The source says otherwise."})
    assert response.status_code == 302
    correction.refresh_from_db()
    assert (correction.status, correction.rejection_reason, correction.reviewed_by) == (
        "rejected",
        "The source says otherwise.",
        admin_user,
    )


def test_the_moderation_queue_lists_pending_corrections(admin_client, site):
    correction_submit(target=site, message="The town is wrong.", email="a@example.com")
    response = admin_client.get(
        reverse("admin:manufacturers_correction_changelist"), {"status__exact": "pending"}
    )
    assert "The town is wrong." in response.content.decode()
    change = admin_client.get(
        reverse("admin:manufacturers_correction_change", args=[Correction.objects.get().pk])
    ).content.decode()
    assert "Accept and apply the change" in change and "Reject" in change


def test_emails_are_erased_after_the_retention_period(settings):
    settings.CORRECTION_EMAIL_RETENTION_DAYS = 90
    site = SiteFactory()
    old = correction_submit(target=site, message="Old", email="old@example.com")
    new = correction_submit(target=site, message="New", email="new@example.com")
    Correction.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=91))

    assert corrections_purge_personal_data() == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.email, old.message) == ("", "Old") and old.email_purged_at is not None
    assert new.email == "new@example.com"

    out = StringIO()
    call_command("purge_corrections", stdout=out)
    assert "Erased the email of 0 corrections older than 90 days." in out.getvalue()


def test_the_form_page_costs_one_query(client, site, django_assert_num_queries):
    # The site with its organisation joined; the form itself reads nothing.
    with django_assert_num_queries(1):
        assert client.get(site_url(site)).status_code == 200


def test_site_and_organisation_pages_link_to_the_correction_form(client):
    site = SiteFactory()
    site_page = client.get(site.get_absolute_url()).content.decode()
    assert f'href="/sites/{site.slug}/correction/"' in site_page
    organisation_page = client.get(site.organisation.get_absolute_url()).content.decode()
    assert f'href="/organisations/{site.organisation.slug}/correction/"' in organisation_page


def test_behind_a_load_balancer_each_client_has_its_own_correction_limit(settings, site):
    """Behind the proxies docs/deployment.md describes, REMOTE_ADDR is always the load balancer:
    the limit must count the client named in X-Forwarded-For, not the balancer."""
    settings.NUM_PROXIES = 1
    settings.CORRECTION_RATE_LIMIT = 2
    balancer = {"REMOTE_ADDR": "10.0.0.1"}
    first = Client(HTTP_X_FORWARDED_FOR="203.0.113.5", **balancer)
    for n in range(2):
        assert first.post(site_url(site), {"message": f"Note {n}"}).status_code == 302
    assert first.post(site_url(site), {"message": "One more"}).status_code == 429
    # Another visitor through the same balancer is not affected...
    second = Client(HTTP_X_FORWARDED_FOR="198.51.100.7", **balancer)
    assert second.post(site_url(site), {"message": "Different person"}).status_code == 302
    # ...and the first cannot escape by forging an address to the left of the real one.
    forged = Client(HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.5", **balancer)
    assert forged.post(site_url(site), {"message": "Forged"}).status_code == 429


def _redis_cache():
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis to test against")
    return {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": url, "KEY_PREFIX": uuid.uuid4().hex}


@pytest.mark.parametrize("backend", ["locmem", "file", "redis"])
def test_the_correction_limit_keeps_its_hour_on_every_cache_backend(settings, site, tmp_path, backend):
    """Django's file cache re-saves a counter with its 5-minute default timeout on incr(), which
    would end the hour's window early; every backend the portal runs on must keep the hour."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": (
            _redis_cache()
            if backend == "redis"
            else {
                "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "limits"},
                "file": {"BACKEND": "core.filecache.CountingFileBasedCache", "LOCATION": str(tmp_path)},
            }[backend]
        ),
    }
    settings.CORRECTION_RATE_LIMIT = 2
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        usage = get_usage(
            RequestFactory().post("/"),
            group="corrections",
            key=lambda _group, request: request.META["REMOTE_ADDR"],
            rate="2/h",
        )
        if usage["time_left"] < 1800:  # start near the beginning of a window
            clock.shift(datetime.timedelta(seconds=usage["time_left"] + 1))
            usage["time_left"] = 3600
        for n in range(2):
            assert client_post(site, f"Note {n}").status_code == 302
        assert client_post(site, "Too soon").status_code == 429
        clock.shift(datetime.timedelta(seconds=usage["time_left"] - 120))  # far past 5 minutes
        assert client_post(site, "Still too soon").status_code == 429
        clock.shift(datetime.timedelta(seconds=121))  # the next hour
        assert client_post(site, "A new hour").status_code == 302


def client_post(site, message):
    return Client().post(site_url(site), {"message": message})
