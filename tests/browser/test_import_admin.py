"""Staff import a spreadsheet in the admin: upload, see the preview, confirm; a bad file is refused."""

from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import expect

from manufacturers.models import Region, Site
from tests.manufacturers.sheets import CARDIFF, csv_text, sheet_row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


REFERENCE_DATA_MIGRATIONS = [
    "manufacturers.migrations.0002_load_reference_data",
    "workstreams.migrations.0002_load_workstreams",
    "casestudies.migrations.0002_load_regulatory_topics",
]


@pytest.fixture(autouse=True)
def reference_data(django_db_serialized_rollback):
    """The regions and vocabularies the data migrations load.

    serialized_rollback should restore them after an earlier transactional test flushed the
    database, but after some non-transactional tests have run it finds nothing to restore
    (the connection no longer carries the serialized copy), so reload them when missing.
    """
    if not Region.objects.exists():
        with connection.schema_editor() as schema_editor:
            for module in REFERENCE_DATA_MIGRATIONS:
                import_module(module).load(apps, schema_editor)


def _log_in(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("steward", "steward@example.com", "a-long-test-password")
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("steward")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()


def _upload(page, live_server, path):
    page.goto(live_server.url + "/admin/manufacturers/site/import/")
    page.locator("#id_import_file").set_input_files(str(path))
    page.locator("#id_format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()


def test_import_preview_then_confirm(live_server, page, screenshot_dir, django_user_model, tmp_path):
    call_command("load_demo_data", verbosity=0)
    _log_in(page, live_server, django_user_model)
    ware = Site.objects.get(organisation__name="GSK", name="Ware")
    rows = [
        sheet_row(),
        sheet_row(site_name="Cardiff Bay", **CARDIFF),
        sheet_row(
            organisation="GSK",
            organisation_type="large pharma",
            site_name="Ware",
            town="Ware",
            postcode_district="SG12",
            latitude=str(ware.latitude),
            longitude=str(ware.longitude),
            capabilities="inhaled_nasal",
            technologies="inhaled_products",
            licence_types="mia",
            licence_basis="inferred",
            website="gsk.com",
            source=" | ".join(ware.source_urls),
            confidence="high",
        ),
    ]
    good = tmp_path / "partners.csv"
    good.write_text(csv_text(rows), encoding="utf-8")

    _upload(page, live_server, good)

    summary = page.get_by_role("status").first
    expect(summary).to_contain_text("2 sites will be created")
    expect(summary).to_contain_text("1 updated")
    expect(
        page.get_by_text("capabilities: drug_device_combination, inhaled_nasal → inhaled_nasal")
    ).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "admin-import-preview.png"), full_page=True)
    assert Site.objects.count() == 161  # the preview wrote nothing

    page.get_by_role("button", name="Confirm import").click()

    expect(page.get_by_text("Import finished: 2 sites created, 1 updated, 0 unchanged")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "admin-import-confirmed.png"))
    assert Site.objects.count() == 163
    assert list(ware.capabilities.values_list("slug", flat=True)) == ["inhaled_nasal"]


def test_a_bad_file_is_refused_with_row_numbers(
    live_server, page, screenshot_dir, django_user_model, tmp_path
):
    _log_in(page, live_server, django_user_model)
    bad = tmp_path / "bad.csv"
    rows = [sheet_row(), sheet_row(site_name="B", latitude="95"), sheet_row(site_name="C", region="Wales")]
    bad.write_text(csv_text(rows), encoding="utf-8")

    _upload(page, live_server, bad)

    expect(page.get_by_role("heading", name="The file was refused: nothing has been written")).to_be_visible()
    table = page.locator("table.import-report tbody tr")
    expect(table).to_have_count(2)
    assert table.nth(0).inner_text().split("\t")[:2] == ["3", "latitude"]
    assert page.get_by_role("button", name="Confirm import").count() == 0
    page.screenshot(path=str(screenshot_dir / "admin-import-refused.png"), full_page=True)
    assert not Site.objects.exists()
