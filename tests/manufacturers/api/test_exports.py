"""The bulk downloads are written by PostgreSQL (manufacturers/api/exports.py): they must say exactly
what the API's serialisers say of the same sites, on the awkward data as well as the plain."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from manufacturers.api import exports
from manufacturers.models import Capability, Licence, Site, Technology
from tests.manufacturers.factories import LicenceFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def awkward_sites():
    """Sites whose text, numbers and times each trip a naive writer up somewhere."""
    capabilities = list(Capability.objects.order_by("slug")[:3])
    technologies = list(Technology.objects.order_by("slug")[:2])
    hostile = OrganisationFactory(
        name='=HYPERLINK("http://evil.example","Click"), Ltd',
        website="@example.com",
        kind="cdmo",
    )
    quoted = OrganisationFactory(name='The "Quoted", Company\nLine two', kind="nhs")
    plain = OrganisationFactory(name="Zoë Biologics", kind="academic_catapult")
    sites = [
        SiteFactory(
            organisation=hostile,
            name="-2+3",
            town="+44 Town",
            latitude=52.0,
            longitude=-1.0,
            capabilities=capabilities,
            technologies=technologies,
            source_urls=["https://a.example/1", "https://b.example/2"],
        ),
        SiteFactory(organisation=quoted, name="\tTabbed, site", town='Town "with" quotes', postcode=""),
        SiteFactory(
            organisation=plain, name="Café ünïcode", latitude=55.953251, longitude=-3.188267, source_urls=[]
        ),
    ]
    LicenceFactory(site=sites[0], basis=Licence.Basis.CONFIRMED)
    LicenceFactory(site=sites[0], basis=Licence.Basis.INFERRED)
    LicenceFactory(site=sites[1], basis=Licence.Basis.CONFIRMED)
    LicenceFactory(site=sites[1], basis=Licence.Basis.CONFIRMED)
    # A summer-time stamp with no microseconds, a winter one with: both formats of DRF's output.
    Site.objects.filter(pk=sites[0].pk).update(
        updated_at=datetime.datetime(2026, 7, 1, 9, 30, tzinfo=datetime.UTC)
    )
    Site.objects.filter(pk=sites[1].pk).update(
        updated_at=datetime.datetime(2026, 1, 15, 12, 0, 5, 123456, tzinfo=datetime.UTC)
    )
    return sites


def test_the_csv_download_is_byte_for_byte_the_serialisers_csv(client, api_client, awkward_sites):
    download = _text(client.get(reverse("api-v1:download-sites-csv")))
    page = api_client.get(reverse("api-v1:site-list"), {"format": "csv"}).content.decode("utf-8")
    # Records end in CRLF; the line break inside a quoted cell is a bare LF. The API page is in
    # name order, the download in id order: compare the records' bytes, not their order.
    download_records, page_records = download.split("\r\n"), page.split("\r\n")
    assert download_records[0] == page_records[0]
    assert sorted(download_records) == sorted(page_records)
    assert len(download_records) == 5  # header, three sites, and the empty string after the last CRLF
    rows = list(csv.DictReader(io.StringIO(download)))
    assert rows[0]["organisation"] == '\'=HYPERLINK("http://evil.example","Click"), Ltd'
    assert rows[0]["site_name"] == "'-2+3"
    assert rows[0]["latitude"] == "52.0"
    assert sorted(rows[0]["licence_basis"].split(";")) == ["confirmed", "inferred"]
    assert rows[0]["updated_at"] == "2026-07-01T10:30:00+01:00"
    assert rows[1]["organisation"] == 'The "Quoted", Company\nLine two'
    assert rows[1]["licence_basis"] == "confirmed"
    assert rows[1]["updated_at"] == "2026-01-15T12:00:05.123456Z"
    assert rows[2]["source"] == "" and rows[2]["licence_types"] == ""


def test_the_geojson_download_says_what_the_api_says(client, api_client, awkward_sites):
    download = json.loads(_text(client.get(reverse("api-v1:download-sites-geojson"))))
    page = api_client.get(reverse("api-v1:site-list"), {"format": "geojson"}).json()
    assert download["features"] == sorted(page["features"], key=lambda feature: feature["id"])
    assert [feature["id"] for feature in download["features"]] == [site.pk for site in awkward_sites]
    assert download["features"][0]["properties"]["updated_at"] == "2026-07-01T10:30:00+01:00"
    assert download["features"][2]["properties"]["organisation"] == "Zoë Biologics"


def test_the_downloads_follow_the_active_time_zone(client, api_client, awkward_sites):
    with timezone.override("UTC"):
        download = list(csv.DictReader(io.StringIO(_text(client.get(reverse("api-v1:download-sites-csv"))))))
    assert download[0]["updated_at"] == "2026-07-01T09:30:00Z"


def test_batches_walk_every_site_once_in_id_order_and_start_before_the_end(rf):
    sites = SiteFactory.create_batch(7)
    request = rf.get("/")
    with CaptureQueriesContext(connection) as queries:
        lines = exports.site_csv_lines(request, batch_size=3)
        first = next(lines)
        assert len(queries) == 1  # the first batch is on its way before the rest is read
        rest = list(lines)
    assert len(queries) == 3  # 3 + 3 + 1 sites: the short last batch ends the walk
    ids = [int(row[15]) for row in csv.reader(io.StringIO(first + "".join(rest)))]
    assert ids == sorted(site.pk for site in sites)


def test_geojson_batches_join_into_one_array(rf):
    SiteFactory.create_batch(5)
    features = json.loads("[" + "".join(exports.site_geojson_features(rf.get("/"), batch_size=2)) + "]")
    assert len(features) == 5 and all(feature["type"] == "Feature" for feature in features)


def test_a_batch_size_that_divides_the_sites_exactly_ends_with_one_empty_query(rf):
    SiteFactory.create_batch(4)
    with CaptureQueriesContext(connection) as queries:
        lines = list(exports.site_csv_lines(rf.get("/"), batch_size=2))
    assert len(lines) == 2 and len(queries) == 3


def test_every_export_writes_the_spreadsheets_words_and_the_import_reads_them_back(client, api_client):
    """The API's sites.csv shares the import's columns: one table of organisation type words serves
    the download, the API's CSV and the admin's export, and importing the API's rows changes nothing."""
    from manufacturers.importing import (
        EXPORT_COLUMNS,
        ORGANISATION_TYPE_LABELS,
        rows_from_csv,
        sites_export_dataset,
        sites_import_rows,
    )
    from manufacturers.models import OrganisationKind

    for kind in OrganisationKind:
        SiteFactory(organisation=OrganisationFactory(kind=kind))
    words = {site.slug: ORGANISATION_TYPE_LABELS[site.organisation.kind] for site in Site.objects.all()}
    assert sorted(words.values()) == sorted(
        ["large pharma", "CDMO", "biotech", "generic manufacturer", "NHS", "academic/catapult", "other"]
    )

    download = _text(client.get(reverse("api-v1:download-sites-csv")))
    page = api_client.get(reverse("api-v1:site-list"), {"format": "csv"}).content.decode("utf-8")
    admin = sites_export_dataset(Site.objects.all()).export("csv")
    for text in (download, page, admin):
        assert {row["slug"]: row["organisation_type"] for row in csv.DictReader(io.StringIO(text))} == words

    columns = [column for column in EXPORT_COLUMNS if column != "companies_house_number"]
    rows = [{column: row[column] for column in columns} for row in rows_from_csv(io.StringIO(download))]
    report = sites_import_rows(rows)
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, len(words))
