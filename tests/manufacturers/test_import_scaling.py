"""The import reads only what the file can match: its queries grow with the file, not the database."""

import io
from functools import partial

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.cache import LANDSCAPE, bump_namespace
from manufacturers.importing import loading, rows_from_csv, sites_import_rows
from manufacturers.models import Organisation, Site
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region
from tests.manufacturers.sheets import CARDIFF, csv_text, sheet_row

pytestmark = pytest.mark.django_db

# Capabilities, technologies, licence types and regions, and (these files name a new
# organisation) every saved organisation's names once for the likely-duplicate warning; then, per
# batch of rows, the organisations and the sites the rows can match, the organisation and site
# slugs they could take, the sites near them, and the matched sites' two many-to-many tables and
# licences.
FIXED_QUERIES = 5
QUERIES_PER_BATCH = 8
# A batch that matches no saved site has no relations to ask for.
QUERIES_PER_UNMATCHED_BATCH = QUERIES_PER_BATCH - 3


def import_csv(text: str, **kwargs):
    return sites_import_rows(rows_from_csv(io.StringIO(text)), **kwargs)


def unrelated_sites(count: int) -> None:
    """Sites in Wales, of other organisations: nothing in the file can match them."""
    wales = region("wales")
    for _ in range(count):
        SiteFactory(
            region=wales,
            town=CARDIFF["town"],
            postcode="CF10",
            latitude=float(CARDIFF["latitude"]),
            longitude=float(CARDIFF["longitude"]),
        )


def queries_for(text: str, **kwargs) -> int:
    """Queries an import of `text` makes; a real import is rolled back afterwards."""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        import_csv(text, **kwargs)
        transaction.set_rollback(True)
    return len(captured)


def small_file() -> str:
    existing = Site.objects.get(slug="gunnels")
    return csv_text(
        [
            # An existing site, renamed, and two new ones.
            sheet_row(site_name="Gunnels Wood Road North", postcode_district=existing.postcode),
            sheet_row(site_name="Second site", latitude="51.9100"),
            sheet_row(organisation="Bryn Pharma", organisation_type="biotech", site_name="Bay", **CARDIFF),
        ]
    )


def test_import_queries_do_not_grow_with_the_sites_in_the_database():
    acme = OrganisationFactory(name="Acme Biologics")
    SiteFactory(organisation=acme, name="Gunnels Wood Road", slug="gunnels", postcode="SG1")
    unrelated_sites(5)
    text = small_file()
    dry_run, real = queries_for(text, dry_run=True), queries_for(text)
    assert dry_run == FIXED_QUERIES + QUERIES_PER_BATCH

    unrelated_sites(195)
    assert Site.objects.count() == 201
    assert queries_for(text, dry_run=True) == dry_run
    assert queries_for(text) == real


def test_import_queries_grow_with_the_file_in_batches(monkeypatch):
    rows = [sheet_row(site_name=f"Site {n}", latitude=f"{51.8 + n * 0.001:.4f}") for n in range(5)]
    monkeypatch.setattr(loading, "LOAD_BATCH", 2)  # 5 rows: three batches
    assert queries_for(csv_text(rows), dry_run=True) == FIXED_QUERIES + 3 * QUERIES_PER_UNMATCHED_BATCH


def test_a_rename_is_matched_across_batches(monkeypatch):
    org = OrganisationFactory(name="Acme Ltd", companies_house_number="01234567")
    site = SiteFactory(organisation=org, name="Plant 2", postcode="SG2", latitude=51.9, longitude=-0.19)
    columns = [*sheet_row().keys(), "companies_house_number"]
    rows = [
        # The organisation, renamed (matched by its number)...
        sheet_row(organisation="Acme Biologics", companies_house_number="1234567", site_name="North"),
        # ...and, in another batch, its site renamed (matched by the new name and the postcode).
        sheet_row(organisation="Acme Biologics", site_name="South", postcode_district="SG2"),
    ]
    monkeypatch.setattr(loading, "LOAD_BATCH", 1)
    report = import_csv(csv_text(rows, columns=columns))

    assert report.created == ["Acme Biologics, North"]
    assert report.updated == ["Acme Biologics, South"]
    assert Organisation.objects.get(pk=org.pk).name == "Acme Biologics"
    assert Site.objects.get(pk=site.pk).name == "South"


def test_new_slugs_avoid_those_of_sites_the_file_does_not_match():
    other = OrganisationFactory(name="Acme Biologics Holdings")
    SiteFactory(organisation=other, name="A", slug="acme-biologics-gunnels-wood-road")
    SiteFactory(organisation=other, name="B", slug="acme-biologics-gunnels-wood-road-2")
    SiteFactory(organisation=other, name="C", slug="acme-biologics-gunnels-wood-road-extra")
    OrganisationFactory(name="Acme", slug="acme-biologics")

    import_csv(csv_text([sheet_row()]))

    site = Site.objects.get(organisation__name="Acme Biologics")
    assert site.slug == "acme-biologics-gunnels-wood-road-3"
    assert site.organisation.slug == "acme-biologics-2"


def test_an_unchanged_file_writes_nothing_and_a_changed_one_keeps_history(django_capture_on_commit_callbacks):
    text = csv_text([sheet_row(), sheet_row(site_name="Second site", latitude="51.9100")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_csv(text)
    # Bulk writes send no signals: the landscape's cached reads are invalidated once, on commit.
    bumps = [c for c in callbacks if isinstance(c, partial) and c.func is bump_namespace]
    assert [c.args for c in bumps] == [(LANDSCAPE,)]
    with CaptureQueriesContext(connection) as captured:
        report = import_csv(text)
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, 2)
    assert not [q for q in captured if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]

    changed = csv_text(
        [
            sheet_row(capabilities="sterile_injectables", licence_basis="inferred"),
            sheet_row(site_name="Second site", latitude="51.9100", town="Hitchin"),
        ]
    )
    report = import_csv(changed, source_name="update.csv")
    assert report.updated == ["Acme Biologics, Gunnels Wood Road", "Acme Biologics, Second site"]

    site = Site.objects.get(name="Gunnels Wood Road")
    assert list(site.capabilities.values_list("slug", flat=True)) == ["sterile_injectables"]
    assert list(site.licences.values_list("basis", flat=True)) == ["inferred"]
    record = site.history.first()
    assert record.history_type == "~"
    assert record.history_change_reason == "Import update.csv: capabilities, licences"
    assert site.licences.get().history.first().history_change_reason == "Import update.csv"
    assert Site.objects.get(name="Second site").history.first().history_change_reason == (
        "Import update.csv: town"
    )
    assert Site.objects.get(name="Second site").town == "Hitchin"
