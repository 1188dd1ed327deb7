"""The partner guide page at /api/ and the API link in the header."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_partner_guide_explains_keys_examples_limits_and_licence(client, settings):
    settings.API_QUOTAS = {
        **settings.API_QUOTAS,
        "anonymous": {"minute": 60, "day": 5000},
        "standard": {"minute": 240, "day": 120000},
    }
    response = client.get(reverse("api-guide"))
    assert response.status_code == 200
    assert [template.name for template in response.templates][:2] == ["api/partner_guide.html", "base.html"]
    html = response.content.decode()
    for text in (
        "<h1>Open data API: a guide for partners</h1>",
        "Getting an API key",
        "X-Api-Key: YOUR-KEY",
        "Authorization: Api-Key YOUR-KEY",
        "curl -H",
        "import requests",
        "<td>Without a key, the API (per IP address)</td><td>60</td><td>5000</td>",
        "<td>A partner key, standard tier (per key, every endpoint)</td><td>240</td><td>120000</td>",
        "RateLimit-Remaining",
        "Retry-After",
        "Open Government Licence v3.0",
        "CC BY 4.0",
        'ogrinfo -ro -so "OAPIF:http://testserver/api/ogc/" sites',
        'href="/api/v1/docs/"',
        'href="/api/v1/changes/"',
        "Building a mirror",
        "changes/?since=2026-11-23T09:00:00Z",
        'entry["action"] in ("deleted", "withdrawn", "merged")',
        "410 Gone",
        'href="/api/v1/data-dictionary/"',
        'href="/api/v1/downloads/sites.csv"',
    ):
        assert text in html, text


def test_the_header_links_to_the_api_guide(client):
    html = client.get(reverse("home")).content.decode()
    assert '<li><a href="/api/">API</a></li>' in html
    guide = client.get(reverse("api-guide")).content.decode()
    assert '<li><a href="/api/" aria-current="page">API</a></li>' in guide
