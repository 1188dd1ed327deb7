"""Open data, about, accessibility, privacy and contact pages; sitemap.xml, robots.txt, 404 and 500."""

import datetime
import re

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import SiteFactory
from tests.workstreams.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

PAGES = ["pages:data", "pages:about", "pages:accessibility", "pages:privacy", "pages:contact"]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_has_its_own_title_description_and_open_graph_tags(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.endswith("– MMIP innovation landscape") and not title.startswith("MMIP innovation landscape")
    description = re.search(r'<meta name="description" content="([^"]+)"', html).group(1)
    assert len(description) > 40
    og_title = re.search(r'<meta property="og:title" content="([^"]+)"', html).group(1)
    assert og_title != "MMIP innovation landscape"
    assert f'<meta property="og:url" content="http://testserver{reverse(name)}">' in html
    assert '<meta property="og:type" content="website">' in html


@pytest.mark.parametrize("name", PAGES)
def test_the_footer_links_every_page(client, name):
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse(name)}"' in html


def test_open_data_page_gives_licence_attribution_downloads_dictionary_and_citation(client):
    SiteFactory.create_batch(2)
    html = client.get(reverse("pages:data")).content.decode()
    assert "Open Government Licence v3.0" in html
    assert "GeoNames" in html and "CC BY 4.0" in html
    assert "Office for National Statistics" in html
    for path in [
        "/api/v1/downloads/sites.csv",
        "/api/v1/downloads/sites.geojson",
        "/api/v1/downloads/organisations.csv",
        "/api/v1/data-dictionary/",
    ]:
        assert f'href="{path}"' in html
    assert "One row for each of the 2 sites" in html
    assert f"Medicines Manufacturing Industry Partnership ({timezone.localdate().year})" in html
    assert "How often it is updated" in html


def test_privacy_notice_says_correction_emails_are_deleted_after_90_days(client, settings):
    settings.CONTACT_EMAIL = "data@mmip.example"
    html = client.get(reverse("pages:privacy")).content.decode()
    assert "We keep correction-report emails for 90 days and then delete them." in html
    assert "data@mmip.example" in html


def test_accessibility_statement_has_the_required_sections(client):
    html = client.get(reverse("pages:accessibility")).content.decode()
    for heading in [
        "How accessible this website is",
        "What we know is not accessible",
        "Enforcement procedure",
    ]:
        assert heading in html


def test_contact_page_gives_the_email_address(client, settings):
    settings.CONTACT_EMAIL = "data@mmip.example"
    assert 'href="mailto:data@mmip.example"' in client.get(reverse("pages:contact")).content.decode()


def test_sitemap_lists_public_pages_and_never_drafts(client):
    site = SiteFactory()
    initiative = InitiativeFactory()
    published = CaseStudyFactory(published=True)
    draft = CaseStudyFactory()
    in_review = CaseStudyFactory(status="in_review")
    scheduled = CaseStudyFactory(published=True, go_live_at=timezone.now() + datetime.timedelta(days=1))
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    xml = response.content.decode()
    for url in [
        reverse("home"),
        reverse("pages:insights"),
        reverse("pages:data"),
        site.get_absolute_url(),
        site.organisation.get_absolute_url(),
        initiative.get_absolute_url(),
        initiative.workstream.get_absolute_url(),
        published.get_absolute_url(),
    ]:
        assert f"<loc>http://testserver{url}</loc>" in xml
    for hidden in (draft, in_review, scheduled):
        assert hidden.get_absolute_url() not in xml


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Sitemap: http://testserver/sitemap.xml",
    ]


def test_not_found_page_is_friendly_and_offers_search(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert f'action="{reverse("pages:search")}"' in html
    assert 'class="site-footer"' in html  # in the site's own layout


def test_server_error_page_renders_without_a_request_or_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html
    assert 'href="/"' in html


@override_settings(DEBUG=False)
def test_an_unexpected_error_gets_the_friendly_500_page(client, monkeypatch):
    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr("pages.views.render", lambda *args, **kwargs: broken(None))
    client.raise_request_exception = False
    response = client.get(reverse("pages:about"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/contact/", "/privacy/"])
def test_public_pages_show_the_configured_contact_address_never_a_placeholder(client, settings, path):
    settings.CONTACT_EMAIL = "landscape@mmip-portal.org.uk"
    page = client.get(path).content.decode()
    assert "landscape@mmip-portal.org.uk" in page
    assert "example.org" not in page


@pytest.mark.django_db
def test_the_sitemap_offers_manufacturers_not_partners_without_sites(client):
    from tests.manufacturers.factories import OrganisationFactory

    site = SiteFactory()
    partner = OrganisationFactory(name="Knowledge Transfer Network")
    xml = client.get("/sitemap.xml").content.decode()
    assert site.organisation.get_absolute_url() in xml
    assert partner.get_absolute_url() not in xml
