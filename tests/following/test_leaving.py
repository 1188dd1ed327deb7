"""A site that no longer matches a followed search is said so: in the feed, the digest and the webhook."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from following import alerts
from following.tasks import tick
from manufacturers import services
from manufacturers.models import Site, SiteState
from tests.following.factories import AlertFactory, WebhookEndpointFactory
from tests.manufacturers.factories import (
    CapabilityFactory,
    LicenceFactory,
    OrganisationFactory,
    SiteFactory,
    region,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("immediate_tasks"),
]
ATOM = "{http://www.w3.org/2005/Atom}"


def titles(client, query):
    response = client.get(f"/sites/feed/{query}")
    assert response.status_code == 200, response.content
    root = ET.fromstring(response.content)  # noqa: S314  (our own feed)
    return [entry.find(f"{ATOM}title").text for entry in root.findall(f"{ATOM}entry")]


def test_a_site_that_moves_out_of_a_region_leaves_that_regions_feed_and_joins_the_other(client):
    site = SiteFactory(name="Glasgow fill-finish", region=region("scotland"), town="Glasgow")
    site.region, site.town = region("wales"), "Cardiff"
    site.save()

    assert titles(client, "?region=scotland") == [
        "No longer matches: Glasgow fill-finish",
        "Added: Glasgow fill-finish",
    ]
    assert titles(client, "?region=wales") == ["Changed: Glasgow fill-finish"]
    assert titles(client, "?region=london") == []


def test_a_dropped_capability_or_licence_is_a_site_leaving_searches_by_it(client):
    aseptic = CapabilityFactory(slug="aseptic_fill_finish", name="Aseptic fill-finish")
    site = SiteFactory(name="Ware sterile", capabilities=[aseptic])
    licence = LicenceFactory(site=site)
    site.capabilities.remove(aseptic)
    licence.delete()

    assert titles(client, "?capability=aseptic_fill_finish")[0] == "No longer matches: Ware sterile"
    assert titles(client, f"?licence={licence.licence_type.slug}")[0] == "No longer matches: Ware sterile"
    assert titles(client, "?q=ware")[0] == "Changed: Ware sterile"  # still found by its name


def test_an_earlier_change_is_judged_on_the_site_as_it_was_then_not_as_it_is_now(client):
    site = SiteFactory(name="Paisley", region=region("scotland"), town="Glasgow")
    site.town = "Paisley"
    site.save()  # still in Scotland: a change that Scotland's followers hear of
    site.region = region("wales")
    site.save()  # then it leaves

    assert titles(client, "?region=scotland") == [
        "No longer matches: Paisley",
        "Changed: Paisley",
        "Added: Paisley",
    ]


def test_a_removed_site_is_told_to_the_searches_it_matched(client):
    site = SiteFactory(name="Dundee", region=region("scotland"))
    SiteFactory(name="Ware", region=region("east-of-england"))
    site.delete()

    assert titles(client, "?region=scotland") == ["Removed: Dundee", "Added: Dundee"]
    assert "Removed: Dundee" not in titles(client, "?region=east-of-england")


def test_a_site_whose_changes_leave_it_in_the_same_place_stays(client):
    site = SiteFactory(name="Livingston", region=region("scotland"))
    site.region = region("wales")
    site.save()
    site.region = region("scotland")
    site.save()  # back again in another transaction

    assert titles(client, "?region=scotland") == [
        "Changed: Livingston",
        "No longer matches: Livingston",
        "Added: Livingston",
    ]


def test_the_state_kept_is_the_site_as_its_transaction_found_it():
    aseptic = CapabilityFactory(slug="aseptic_fill_finish")
    with transaction.atomic():
        site = SiteFactory(name="Speke", town="Speke", capabilities=[aseptic])
    # Links added by the transaction that created the site do not make it look older.
    assert SiteState.objects.get(site_id=site.pk).existed is False

    with transaction.atomic():
        site.capabilities.set([])
        site.town = "Liverpool"
        services.site_save(site=site)

    state = SiteState.objects.filter(site_id=site.pk).latest("txid")
    assert (state.existed, state.capability_ids, state.name) == (True, [aseptic.pk], "Speke")
    assert state.region_id == site.region_id


def test_the_digest_and_the_webhook_say_a_site_left_as_the_feed_does(receiver):
    hook = receiver()
    endpoint = WebhookEndpointFactory(url=hook.url, query="region=scotland")
    site = SiteFactory(name="Glasgow fill-finish", region=region("scotland"))
    tick()  # the site's arrival is posted
    alert = AlertFactory(query="region=scotland", covered_until=timezone.now() - timedelta(days=1))
    site.status = Site.Status.PLANNED
    site.region = region("wales")
    site.save()

    assert alerts.send_digest(alert.pk, now=timezone.now() + timedelta(minutes=10)) is True
    [message] = mail.outbox
    assert "No longer matches: Glasgow fill-finish" in message.alternatives[0][0]
    assert "No longer matches: Glasgow fill-finish" in message.body
    tick()
    payloads = [
        Webhook(endpoint.secret).verify(request["body"], request["headers"]) for request in hook.requests
    ]
    assert [payload["type"] for payload in payloads] == ["site.added", "site.left"]
    assert json.dumps(payloads[1]["data"]["site"]["path"]) == '"/sites/' + site.slug + '/"'


def test_states_are_pruned_with_the_changes_record(settings):
    SiteFactory()
    SiteState.objects.update(recorded_at=timezone.now() - timedelta(days=31))
    call_command("prune_changes", days=30)
    assert not SiteState.objects.exists()


def test_merging_organisations_moves_the_kept_states_with_their_sites(django_user_model):
    keep, merge = OrganisationFactory(name="Keep Pharma"), OrganisationFactory(name="Merge Pharma")
    site = SiteFactory(organisation=merge, town="Stevenage")
    site.town = "Hitchin"
    site.save()  # a state that names the organisation about to be merged away

    services.organisations_merge(
        keep=keep, merge=merge, by=django_user_model.objects.create(username="staff")
    )

    kept = SiteState.objects.filter(site_id=site.pk, existed=True).values_list("organisation_id", flat=True)
    assert set(kept) == {keep.pk}
