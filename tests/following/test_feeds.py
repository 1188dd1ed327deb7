"""The feed of a search (Atom and JSON Feed 1.1): its changes, newest first, with stable ids."""

import xml.etree.ElementTree as ET

import pytest

from manufacturers.models import Site
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import SiteFactory, region

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ATOM = "{http://www.w3.org/2005/Atom}"


def atom_entries(client, query=""):
    response = client.get(f"/sites/feed/{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314  (our own feed)
    assert root.tag == f"{ATOM}feed"
    # Atom 1.0 requires id, title and updated on the feed and on each entry.
    for element in (root, *root.findall(f"{ATOM}entry")):
        assert all(element.find(f"{ATOM}{name}") is not None for name in ("id", "title", "updated"))
    return root.findall(f"{ATOM}entry")


def test_the_feed_of_a_search_has_the_changes_to_the_sites_it_matches_newest_first(client):
    scottish = SiteFactory(name="Glasgow fill-finish", region=region("scotland"), town="Glasgow")
    SiteFactory(name="Stevenage plant")
    scottish.town = "Paisley"
    scottish.save()

    entries = atom_entries(client, "?region=scotland")

    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert titles == ["Changed: Glasgow fill-finish", "Added: Glasgow fill-finish"]
    assert "town: Glasgow → Paisley" in entries[0].find(f"{ATOM}summary").text


def test_entry_ids_are_stable_and_a_closed_or_removed_site_is_said_so(client):
    site = SiteFactory(name="Ware")
    first = [entry.find(f"{ATOM}id").text for entry in atom_entries(client)]
    site.status = Site.Status.CLOSED
    site.save()
    kept = SiteFactory(name="Kept")
    site.delete()

    entries = atom_entries(client)
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert titles[0] == "Removed: Ware" and "Closed: Ware" in titles and "Added: Kept" in titles
    assert first[0] in [entry.find(f"{ATOM}id").text for entry in entries]
    assert kept.pk


def test_the_json_feed_is_json_feed_1_1_with_the_same_entries(client):
    SiteFactory(name="Glasgow", region=region("scotland"))
    atom_ids = [entry.find(f"{ATOM}id").text for entry in atom_entries(client, "?region=scotland")]

    response = client.get("/sites/feed.json?region=scotland")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/feed+json"
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert {"title", "home_page_url", "feed_url", "items"} <= feed.keys()
    assert [item["id"] for item in feed["items"]] == atom_ids
    assert all({"id", "content_text", "date_published"} <= item.keys() for item in feed["items"])


def test_a_bad_search_is_a_400_naming_the_parameter(client):
    for url in ("/sites/feed/?region=atlantis", "/sites/feed.json?region=atlantis"):
        response = client.get(url)
        assert response.status_code == 400
        assert "region" in response.json()


def test_feeds_carry_no_draft_case_study_or_anything_but_sites(client):
    CaseStudyFactory(title="Secret draft")
    SiteFactory(name="Public site")
    assert b"Secret draft" not in client.get("/sites/feed/").content
    assert b"Secret draft" not in client.get("/sites/feed.json").content


def test_directory_and_map_link_the_feed_of_their_search(client):
    for url in ("/sites/?region=scotland", "/map/?region=scotland"):
        html = client.get(url).content.decode()
        assert 'rel="alternate" type="application/atom+xml"' in html
        assert "/sites/feed/?region=scotland" in html
        assert "Follow this search" in html


def test_the_partner_guide_explains_following_and_verifying_a_signature(client):
    html = client.get("/api/").content.decode()
    assert 'id="following"' in html and "webhook-signature" in html
    assert "Webhook(SECRET).verify" in html and "openssl dgst -sha256 -mac HMAC" in html
