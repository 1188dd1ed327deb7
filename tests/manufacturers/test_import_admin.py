"""The admin's import (upload, preview, confirm), export (filters honoured), and provenance tools."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from manufacturers.importing import EXPORT_COLUMNS, rows_from_csv, sites_import_rows
from manufacturers.models import Licence, Organisation, Site
from tests.manufacturers.factories import LicenceFactory, LicenceTypeFactory, SiteFactory, region
from tests.manufacturers.sheets import CARDIFF, csv_text, sheet_row, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:manufacturers_site_import")
PROCESS_URL = reverse("admin:manufacturers_site_process_import")
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def upload(client, name: str, content: bytes, file_format: str = CSV_FORMAT):
    return client.post(
        IMPORT_URL,
        {"format": file_format, "import_file": SimpleUploadedFile(name, content), "resource": "0"},
    )


def test_the_import_page_lists_the_columns(admin_client):
    response = admin_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert "postcode_district" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "make", "file_format"),
    [
        ("sites.csv", lambda rows: csv_text(rows).encode(), CSV_FORMAT),
        ("sites.xlsx", xlsx_bytes, XLSX_FORMAT),
    ],
)
def test_upload_previews_then_confirm_writes(admin_client, admin_user, name, make, file_format):
    existing = SiteFactory(name="Gunnels Wood Road", organisation__name="Acme Biologics", town="Ware")
    rows = [sheet_row(), sheet_row(site_name="Cardiff Bay", **CARDIFF)]

    preview = upload(admin_client, name, make(rows), file_format)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "1 site will be created" in page and "1 updated" in page
    assert "town: Ware → Stevenage" in page
    assert Site.objects.count() == 1  # nothing written by the preview
    response = admin_client.post(PROCESS_URL, preview.context["confirm_form"].initial)
    assert response.status_code == 302
    assert Site.objects.count() == 2
    existing.refresh_from_db()
    assert existing.town == "Stevenage"
    latest = existing.history.first()
    assert latest.history_user == admin_user
    assert latest.history_change_reason.startswith(f"Import {name}: town")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Import finished: 1 sites created, 1 updated, 0 unchanged; 0 organisations created."]


def test_a_bad_file_shows_every_problem_by_row_and_offers_no_confirm(admin_client):
    rows = [sheet_row(), sheet_row(site_name="B", latitude="95"), sheet_row(site_name="C", region="Wales")]
    response = upload(admin_client, "bad.csv", csv_text(rows).encode())

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    page = response.content.decode()
    assert "The file was refused: nothing has been written" in page
    cells = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td><td>([^<]+)</td></tr>", page)
    assert cells == [
        ("3", "latitude", "Ensure this value is less than or equal to 90."),
        ("4", "region", "The coordinates 51.9017, -0.2019 are in East of England, not Wales."),
    ]
    assert not Site.objects.exists()


def _export(client, url, query: str, file_format: str):
    return client.post(f"{url}?{query}", {"format": file_format, "resource": "0"})


def test_export_honours_the_changelist_filters_in_csv_and_xlsx_and_reimports_unchanged(admin_client):
    call_command("load_demo_data", verbosity=0)
    wales = region("wales")
    url = reverse("admin:manufacturers_site_export")

    response = _export(admin_client, url, f"region__id__exact={wales.pk}", CSV_FORMAT)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    text = response.content.decode("utf-8-sig")
    rows = list(rows_from_csv(io.StringIO(text)))
    assert text.splitlines()[0].split(",") == EXPORT_COLUMNS
    assert len(rows) == Site.objects.filter(region=wales).count() > 0
    assert {row["region"] for row in rows} == {"Wales"}
    assert len(sites_import_rows(rows).unchanged) == len(rows)

    response = _export(admin_client, url, f"region__id__exact={wales.pk}", XLSX_FORMAT)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row - 1 == len(rows)


def test_a_staff_member_exports_wales_fixes_a_row_and_imports_it(admin_client):
    """The issue's "done when": export Wales, fix a spreadsheet, preview, confirm, see the history."""
    call_command("load_demo_data", verbosity=0)
    wales = region("wales")
    export = _export(
        admin_client, reverse("admin:manufacturers_site_export"), f"region__id__exact={wales.pk}", "0"
    )
    rows = list(rows_from_csv(io.StringIO(export.content.decode("utf-8-sig"))))
    fixed = rows[0]["site_name"]
    rows[0]["town"] = "Newport"
    preview = upload(admin_client, "wales.csv", csv_text(rows, columns=EXPORT_COLUMNS).encode())
    assert "town: " in preview.content.decode()
    assert [row.action for row in preview.context["result"].report.rows].count("updated") == 1
    admin_client.post(PROCESS_URL, preview.context["confirm_form"].initial)
    site = Site.objects.get(region=wales, name=fixed, town="Newport")
    history = admin_client.get(reverse("admin:manufacturers_site_history", args=[site.pk]))
    assert "Import wales.csv: town" in history.content.decode()


def test_the_organisation_changelist_exports_its_sites(admin_client):
    site = SiteFactory(organisation__name="Acme Biologics")
    SiteFactory(organisation__name="Other Ltd")
    url = reverse("admin:manufacturers_organisation_export")
    response = _export(admin_client, url, "q=Acme", CSV_FORMAT)
    rows = list(rows_from_csv(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["organisation"], row["site_name"]) for row in rows] == [("Acme Biologics", site.name)]


def test_filters_for_stale_verification_and_inferred_licences(admin_client):
    today = timezone.localdate()
    stale = SiteFactory(name="Stale", last_verified_on=today - datetime.timedelta(days=400))
    never = SiteFactory(name="Never")
    fresh = SiteFactory(name="Fresh", last_verified_on=today - datetime.timedelta(days=30))
    LicenceFactory(site=fresh, basis=Licence.Basis.INFERRED, licence_type=LicenceTypeFactory())
    LicenceFactory(site=stale, basis=Licence.Basis.CONFIRMED, licence_type=LicenceTypeFactory())
    url = reverse("admin:manufacturers_site_changelist")

    def names(query):
        response = admin_client.get(url, query)
        return {site.name for site in response.context["cl"].result_list}

    assert names({"verification": "stale"}) == {stale.name, never.name}
    assert names({"verification": "recent"}) == {fresh.name}
    assert names({"inferred_licences": "yes"}) == {fresh.name}
    assert names({"inferred_licences": "no"}) == {stale.name, never.name}


def test_mark_as_verified_records_who_and_when(admin_client, admin_user):
    sites = SiteFactory.create_batch(2)
    response = admin_client.post(
        reverse("admin:manufacturers_site_changelist"),
        {"action": "mark_verified", "_selected_action": [site.pk for site in sites]},
    )
    assert response.status_code == 302
    for site in sites:
        site.refresh_from_db()
        assert (site.last_verified_on, site.last_verified_by) == (timezone.localdate(), admin_user)
        assert site.history.first().history_change_reason == "Verified"
        assert site.history.first().history_user == admin_user


def test_the_site_form_refuses_coordinates_outside_the_region(admin_client):
    site = SiteFactory()
    data = {
        "organisation": site.organisation_id,
        "name": site.name,
        "slug": site.slug,
        "status": site.status,
        "town": site.town,
        "postcode": site.postcode,
        "region": region("wales").pk,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "location_precision": site.location_precision,
        "source_urls": "",
        "confidence": site.confidence,
        "licences-TOTAL_FORMS": 0,
        "licences-INITIAL_FORMS": 0,
        "licences-MIN_NUM_FORMS": 0,
        "licences-MAX_NUM_FORMS": 1000,
    }
    response = admin_client.post(reverse("admin:manufacturers_site_change", args=[site.pk]), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["region"] == [
        "The coordinates 51.9017, -0.2019 are in East of England, not Wales."
    ]
    data["region"] = site.region_id
    data["name"] = "Renamed"
    SiteFactory(organisation=site.organisation, postcode=site.postcode, name="Twin")
    response = admin_client.post(
        reverse("admin:manufacturers_site_change", args=[site.pk]), data, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("May duplicate" in m and "same organisation and postcode" in m for m in messages)
    assert Organisation.objects.count() == 1


def test_a_file_that_became_invalid_after_the_preview_is_refused_at_confirm(admin_client):
    from manufacturers.models import Capability

    preview = upload(admin_client, "sites.csv", csv_text([sheet_row()]).encode())
    Capability.objects.filter(slug="aseptic_fill_finish").update(is_active=False)

    response = admin_client.post(PROCESS_URL, preview.context["confirm_form"].initial, follow=True)

    assert response.redirect_chain[-1][0] == IMPORT_URL
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Row 2, column capabilities: 'aseptic_fill_finish' is retired; use its replacement."]
    assert not Site.objects.exists()


def test_importing_needs_permission_to_add_and_change_sites_and_organisations(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="a-long-test-password", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_site", "change_site", "add_site"])
    )
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    response = upload(client, "sites.csv", csv_text([sheet_row()]).encode())
    assert response.status_code == 403 and not Site.objects.exists()
    # Viewing is enough to export.
    response = _export(client, reverse("admin:manufacturers_site_export"), "", CSV_FORMAT)
    assert response.status_code == 200


HOSTILE = {'=HYPERLINK("http://evil","x")', "+44 Works", "@SUM(A1)", "-2+3 Ltd"}


@pytest.mark.parametrize(("file_format", "name"), [(CSV_FORMAT, "sites.csv"), (XLSX_FORMAT, "sites.xlsx")])
def test_an_export_quotes_formula_cells_keeps_stored_values_and_reimports_unchanged(
    admin_client, file_format, name
):
    organisation = SiteFactory(
        name="+44 Works", organisation__name='=HYPERLINK("http://evil","x")'
    ).organisation
    SiteFactory(name="@SUM(A1)", organisation=organisation)
    SiteFactory(name="-2+3 Ltd", organisation=organisation, latitude=51.9017, longitude=-0.2019)

    response = _export(admin_client, reverse("admin:manufacturers_site_export"), "", file_format)

    assert response.status_code == 200
    if file_format == CSV_FORMAT:
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        table = [list(row) for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.values]
    cells = {cell for row in table[1:] for cell in row if isinstance(cell, str)}
    assert {"'" + value for value in HOSTILE} <= cells  # shown as text by a spreadsheet
    assert not cells & HOSTILE
    assert "-0.2019" in {str(cell) for row in table[1:] for cell in row}  # numbers stay numbers

    preview = upload(admin_client, name, response.content, file_format)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.content.decode()
    assert {row.action for row in preview.context["result"].report.rows} == {"unchanged"}
    assert {site.name for site in Site.objects.all()} | {organisation.name} >= HOSTILE
    organisation.refresh_from_db()
    assert organisation.name == '=HYPERLINK("http://evil","x")'


def test_a_file_that_cannot_be_read_is_explained_not_named_by_its_exception(admin_client):
    response = upload(admin_client, "sites.xlsx", b"this is not a workbook", XLSX_FORMAT)
    page = response.content.decode()
    assert response.status_code == 200
    assert "BadZipFile" not in page and "encountered" not in page
    assert "This file could not be read as an Excel workbook (.xlsx)" in page

    response = upload(admin_client, "sites.csv", "organisation,café".encode("latin-1"), CSV_FORMAT)
    assert "This file is not CSV text in UTF-8" in response.content.decode()
