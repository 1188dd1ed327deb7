"""Bulk downloads (streamed, licensed, Last-Modified) and the data dictionary that describes them."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.http import http_date

from manufacturers.models import Capability, Organisation
from tests.manufacturers.factories import LicenceFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def _content(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def test_sites_csv_download(client):
    site = SiteFactory(capabilities=list(Capability.objects.all()[:2]))
    LicenceFactory(site=site)
    response = client.get(reverse("api-v1:download-sites-csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response["Content-Disposition"] == 'attachment; filename="mmip-sites.csv"'
    assert response["Last-Modified"] == http_date(site.licences.get().updated_at.timestamp())
    assert response["Link"] == (
        f'<{OGL}>; rel="license", <http://testserver/api/v1/data-dictionary/>; rel="describedby"'
    )
    rows = list(csv.DictReader(io.StringIO(_content(response))))
    assert [row["slug"] for row in rows] == [site.slug]
    assert rows[0]["capabilities"].count(";") == 1
    assert rows[0]["url"] == f"http://testserver/sites/{site.slug}/"


def test_the_csv_download_and_the_api_csv_agree(client, api_client):
    SiteFactory.create_batch(3)
    download = list(csv.DictReader(io.StringIO(_content(client.get(reverse("api-v1:download-sites-csv"))))))
    page = api_client.get(reverse("api-v1:site-list"), {"format": "csv", "ordering": "name"})
    listed = list(csv.DictReader(io.StringIO(page.content.decode())))
    assert sorted(download, key=lambda row: row["id"]) == sorted(listed, key=lambda row: row["id"])


def test_sites_geojson_download_carries_licence_and_attribution(client):
    SiteFactory.create_batch(3)
    response = client.get(reverse("api-v1:download-sites-geojson"))
    assert response["Content-Type"] == "application/geo+json"
    body = json.loads(_content(response))
    assert body["type"] == "FeatureCollection"
    assert body["licence"] == {"name": "Open Government Licence v3.0", "url": OGL}
    assert any("GeoNames" in line and "CC BY 4.0" in line for line in body["attribution"])
    assert any("Office for National Statistics" in line for line in body["attribution"])
    assert len(body["features"]) == 3
    assert {feature["geometry"]["type"] for feature in body["features"]} == {"Point"}


def test_an_empty_dataset_downloads_as_valid_files(client):
    body = json.loads(_content(client.get(reverse("api-v1:download-sites-geojson"))))
    assert body["features"] == []
    header = _content(client.get(reverse("api-v1:download-sites-csv")))
    assert header.startswith("organisation,organisation_type,site_name,")


def test_organisations_csv_download(client):
    organisation = OrganisationFactory(name="-2+3", description="=cmd|' /C calc'!A0")
    response = client.get(reverse("api-v1:download-organisations-csv"))
    rows = list(csv.DictReader(io.StringIO(_content(response))))
    assert rows[0]["name"] == "'-2+3"
    assert rows[0]["description"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["id"] == str(organisation.pk)
    assert response["Content-Disposition"] == 'attachment; filename="mmip-organisations.csv"'


def test_downloads_answer_304_when_nothing_changed(client):
    SiteFactory()
    url = reverse("api-v1:download-sites-csv")
    last_modified = client.get(url)["Last-Modified"]
    not_modified = client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert not_modified.status_code == 304
    assert not_modified["Last-Modified"] == last_modified


def test_downloads_ignore_the_accept_header_but_refuse_parameters(client):
    SiteFactory()
    url = reverse("api-v1:download-sites-csv")
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 200
    response = client.get(url, {"region": "wales"})
    assert response.status_code == 400
    assert response.json() == {
        "region": ["Unknown query parameter. This endpoint takes no query parameters."]
    }


@pytest.mark.parametrize(
    "url_name", ["download-sites-csv", "download-sites-geojson", "download-organisations-csv"]
)
def test_download_queries_do_not_grow_with_rows(client, django_assert_num_queries, url_name):
    capabilities = list(Capability.objects.all()[:3])
    for _ in range(5):
        LicenceFactory(site=SiteFactory(capabilities=capabilities))
    # one for Last-Modified (the newest site, organisation, licence or region); one streamed select
    with django_assert_num_queries(2):
        _content(client.get(reverse(f"api-v1:{url_name}")))
    for _ in range(45):
        LicenceFactory(site=SiteFactory(capabilities=capabilities))
    with django_assert_num_queries(2):
        content = _content(client.get(reverse(f"api-v1:{url_name}")))
    assert content


def test_site_downloads_are_read_a_batch_at_a_time(client, monkeypatch, django_assert_num_queries):
    """Sites are written by PostgreSQL in keyset batches (exports.py), never all at once."""
    from manufacturers.api import downloads as views

    SiteFactory.create_batch(7)
    for view in (views.SitesCSVDownloadView, views.SitesGeoJSONDownloadView):
        monkeypatch.setattr(view, "batch_size", 3)
    # Last-Modified, then batches of 3, 3 and 1 site.
    with django_assert_num_queries(4):
        rows = list(csv.DictReader(io.StringIO(_content(client.get(reverse("api-v1:download-sites-csv"))))))
    assert len(rows) == 7
    with django_assert_num_queries(4):
        body = json.loads(_content(client.get(reverse("api-v1:download-sites-geojson"))))
    assert len(body["features"]) == 7


def test_the_organisations_download_streams_through_a_server_side_cursor(client, monkeypatch):
    from manufacturers.api import downloads as views

    OrganisationFactory.create_batch(7)
    chunk_sizes = []
    real_iterator = type(Organisation.objects.all()).iterator

    def spy(queryset, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return real_iterator(queryset, chunk_size=chunk_size)

    monkeypatch.setattr(type(Organisation.objects.all()), "iterator", spy)
    monkeypatch.setattr(views.OrganisationsCSVDownloadView, "chunk_size", 3)
    response = client.get(reverse("api-v1:download-organisations-csv"))
    rows = list(csv.DictReader(io.StringIO(_content(response))))
    assert len(rows) == 7
    assert chunk_sizes == [3]


def test_data_dictionary_describes_every_column_of_every_download(client):
    response = client.get(reverse("api-v1:data-dictionary"), {"format": "json"})
    body = response.json()
    downloads = {download["name"]: download for download in body["downloads"]}
    assert set(downloads) == {"sites.csv", "sites.geojson", "organisations.csv"}
    site_columns = _content(client.get(reverse("api-v1:download-sites-csv"))).splitlines()[0].split(",")
    assert [field["name"] for field in downloads["sites.csv"]["fields"]] == site_columns
    assert all(field["description"] for field in downloads["sites.csv"]["fields"])
    assert all(field["description"] for field in downloads["organisations.csv"]["fields"])
    assert all(field["description"] for field in downloads["sites.geojson"]["fields"])
    assert body["licence"]["url"] == OGL


def test_data_dictionary_page(client):
    response = client.get(reverse("api-v1:data-dictionary"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Data dictionary for the bulk downloads</h1>" in html
    assert "<code>postcode_district</code>" in html
    assert "GeoNames" in html
