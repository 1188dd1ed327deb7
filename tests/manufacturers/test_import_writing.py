"""The import's set-based writes: what lands in the tables, their history and the changes record."""

import io

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.db.models import F

from core.changes import Change
from manufacturers.importing import SitesImportError, rows_from_csv, sites_import_rows
from manufacturers.importing.writing import Writer
from manufacturers.models import Capability, Licence, Organisation, Site
from tests.manufacturers.sheets import csv_text, sheet_row

pytestmark = pytest.mark.django_db


def import_csv(text: str, **kwargs):
    return sites_import_rows(rows_from_csv(io.StringIO(text)), **kwargs)


def test_awkward_text_reaches_the_tables_exactly_through_the_command(tmp_path):
    # Tabs, line breaks, backslashes and quotes are COPY's own syntax: each must arrive as itself.
    awkward = {
        "organisation": 'Back\\slash "Quoted" Ltd',
        "site_name": "Line one\nline two\twith a tab",
        "town": "Stevenage \\N",
        "source": 'https://example.com/a,b | https://example.com/"q"\\',
    }
    path = tmp_path / "awkward.csv"
    path.write_text(csv_text([sheet_row(**awkward)]), encoding="utf-8")
    call_command("import_sites", str(path), stdout=io.StringIO())

    site = Site.objects.select_related("organisation").get()
    assert site.organisation.name == awkward["organisation"]
    assert site.name == awkward["site_name"]
    assert site.town == "Stevenage \\N"  # not NULL
    assert site.source_urls == ["https://example.com/a,b", 'https://example.com/"q"\\']
    history = Site.history.get()
    assert (history.name, history.town, history.source_urls) == (site.name, site.town, site.source_urls)


def test_a_new_site_is_searchable_by_what_it_does_and_its_id_arrays_hold_its_links():
    import_csv(
        csv_text([sheet_row(capabilities="aseptic_fill_finish", technologies="", licence_types="mia")])
    )

    site = Site.objects.get()
    fill_finish = Capability.objects.get(slug="aseptic_fill_finish")
    assert site.capability_ids == [fill_finish.pk]
    assert site.technology_ids == []
    assert site.licence_type_ids == list(site.licences.values_list("licence_type_id", flat=True))
    # The capability's name is in the search vector although the site was written after its links.
    word = fill_finish.name.split()[0]
    assert Site.objects.filter(search_vector=SearchQuery(word, config="english")).get() == site


def test_each_new_site_is_one_created_entry_in_the_changes_record():
    import_csv(csv_text([sheet_row(site_name=f"Site {n}", latitude=f"51.90{n}") for n in range(3)]))

    entries = Change.objects.filter(kind="site")
    assert sorted(entries.values_list("action", flat=True)) == ["created"] * 3
    assert set(entries.values_list("object_id", flat=True)) == set(Site.objects.values_list("pk", flat=True))


def test_history_says_who_imported_what_and_why_for_each_table(admin_user):
    editor = admin_user
    import_csv(
        csv_text([sheet_row(licence_types="mia;mia_imp", licence_basis="confirmed")]),
        source_name="a.csv",
        by=editor,
    )
    changed = sheet_row(town="Hitchin", licence_types="mia_imp", licence_basis="inferred")
    import_csv(csv_text([changed]), source_name="b.csv", by=editor)

    site = Site.objects.get()
    created, updated = site.history.order_by("history_id")
    assert (created.history_type, created.history_change_reason, created.history_user) == (
        "+",
        "Import a.csv",
        editor,
    )
    assert (updated.history_type, updated.history_change_reason) == ("~", "Import b.csv: town, licences")
    assert (updated.town, updated.version) == ("Hitchin", 2)
    assert site.version == 2

    records = Licence.history.order_by("history_id")
    assert [(record.licence_type.slug, record.history_type, record.basis) for record in records] == [
        ("mia", "+", "confirmed"),
        ("mia_imp", "+", "confirmed"),
        ("mia", "-", "confirmed"),
        ("mia_imp", "~", "inferred"),
    ]
    assert {record.history_change_reason for record in records[2:]} == {"Import b.csv"}
    assert Organisation.history.get().history_change_reason == "Import a.csv"


def test_a_site_saved_by_someone_else_meanwhile_refuses_the_file_and_writes_nothing(monkeypatch):
    import_csv(csv_text([sheet_row()]))
    write = Writer.write

    def edited_meanwhile(self, planned, organisations):
        # An editor saves the site after the file was checked and before it is written.
        Site.objects.update(version=F("version") + 1, town="Edited")
        return write(self, planned, organisations)

    monkeypatch.setattr(Writer, "write", edited_meanwhile)
    with pytest.raises(SitesImportError) as refused:
        import_csv(
            csv_text([sheet_row(town="Hitchin"), sheet_row(site_name="Another site", latitude="51.95")])
        )

    assert [error.message for error in refused.value.errors] == [
        "The data changed while the file was being imported. Nothing was written; import it again."
    ]
    # The editor's save stands; nothing of the file does.
    assert list(Site.objects.values_list("name", "town")) == [("Gunnels Wood Road", "Edited")]
    assert Site.history.count() == 1
