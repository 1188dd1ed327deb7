"""The spreadsheet import service (sites_import_rows) and the import_sites command."""

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from manufacturers.importing import (
    EXPORT_COLUMNS,
    SitesImportError,
    planning,
    rows_from_csv,
    rows_from_xlsx,
    sites_export_dataset,
    sites_import_rows,
)
from manufacturers.models import Licence, Organisation, Site
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region
from tests.manufacturers.sheets import CARDIFF, csv_text, sheet_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def import_csv(text: str, **kwargs):
    return sites_import_rows(rows_from_csv(io.StringIO(text)), **kwargs)


def refused(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(SitesImportError) as excinfo:
        import_csv(text)
    return [(error.row, error.column, error.message) for error in excinfo.value.errors]


def test_a_good_file_creates_organisations_and_sites_with_their_taxonomies_and_provenance():
    rows = [
        sheet_row(),
        sheet_row(site_name="Cardiff Bay", **CARDIFF, licence_types="mia;mia_imp", licence_basis="inferred"),
        sheet_row(organisation="Bryn Pharma", organisation_type="biotech", site_name="Bay", **CARDIFF),
    ]
    report = import_csv(csv_text(rows), source_name="partners.csv")

    assert (len(report.created), len(report.updated), len(report.unchanged)) == (3, 0, 0)
    assert report.organisations_created == ["Acme Biologics", "Bryn Pharma"]
    site = Site.objects.get(organisation__name="Acme Biologics", name="Gunnels Wood Road")
    assert site.organisation.kind == "cdmo"
    assert site.organisation.website == "https://acme.example.com"
    assert (site.town, site.postcode, site.region.name) == ("Stevenage", "SG1", "East of England")
    assert (site.latitude, site.longitude) == (51.9017, -0.2019)
    assert set(site.capabilities.values_list("slug", flat=True)) == {
        "sterile_injectables",
        "aseptic_fill_finish",
    }
    assert set(site.technologies.values_list("slug", flat=True)) == {"continuous_manufacturing"}
    assert site.source_urls == ["https://www.example.com/acme", "https://www.example.org/news"]
    assert site.confidence == "high"
    assert [(lic.licence_type.slug, lic.basis) for lic in site.licences.all()] == [("mia", "confirmed")]
    cardiff = Site.objects.get(name="Cardiff Bay")
    assert sorted(cardiff.licences.values_list("licence_type__slug", "basis")) == [
        ("mia", "inferred"),
        ("mia_imp", "inferred"),
    ]
    assert cardiff.slug == "acme-biologics-cardiff-bay"
    # Each site's history starts with the import, naming the file.
    record = site.history.get()
    assert record.history_type == "+" and record.history_change_reason == "Import partners.csv"


def test_reimporting_the_same_file_changes_nothing():
    text = csv_text([sheet_row(), sheet_row(site_name="Cardiff Bay", **CARDIFF)])
    import_csv(text)
    history = Site.history.count()
    updated_at = list(Site.objects.order_by("pk").values_list("updated_at", flat=True))

    report = import_csv(text)

    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, 2)
    assert Site.history.count() == history
    assert list(Site.objects.order_by("pk").values_list("updated_at", flat=True)) == updated_at


def test_a_changed_row_updates_the_site_and_its_history_says_what_changed():
    import_csv(csv_text([sheet_row()]))
    report = import_csv(
        csv_text(
            [sheet_row(town="Hitchin", postcode_district="sg4 0tq", capabilities="sterile_injectables")]
        ),
        source_name="fixes.csv",
    )

    assert report.updated == ["Acme Biologics, Gunnels Wood Road"]
    assert report.rows[0].changes == [
        "town: Stevenage → Hitchin",
        "postcode: SG1 → SG4 0TQ",
        "capabilities: aseptic_fill_finish, sterile_injectables → sterile_injectables",
    ]
    site = Site.objects.get()
    assert (site.town, site.postcode) == ("Hitchin", "SG4 0TQ")
    assert list(site.capabilities.values_list("slug", flat=True)) == ["sterile_injectables"]
    latest = site.history.first()
    assert latest.history_change_reason == "Import fixes.csv: town, postcode, capabilities"
    assert latest.town == "Hitchin" and latest.prev_record.town == "Stevenage"


def test_every_kind_of_error_is_reported_by_row_and_column_and_nothing_is_written():
    existing = SiteFactory(name="Old", town="Stevenage")
    rows = [
        sheet_row(site_name="Fine row"),  # row 2: fine on its own, but the file is refused
        sheet_row(site_name="A", capabilities="sterile_injectables;teleportation"),  # 3
        sheet_row(site_name="B", latitude="95"),  # 4
        sheet_row(site_name="C", postcode_district="ABC"),  # 5
        sheet_row(site_name="D", region="Wales"),  # 6: Stevenage is not in Wales
        sheet_row(site_name="Fine row"),  # 7: duplicate of row 2
        sheet_row(site_name="E", latitude="48.8566", longitude="2.3522"),  # 8: Paris
        sheet_row(site_name="F", region="Atlantis", longitude="west"),  # 9: two problems
        sheet_row(site_name="", organisation_type="pharmacy"),  # 10
        sheet_row(site_name="G", licence_basis="rumoured", source="not a url"),  # 11: two problems
    ]
    errors = refused(csv_text(rows))

    assert errors == [
        (3, "capabilities", "Unknown slug 'teleportation'."),
        (4, "latitude", "Ensure this value is less than or equal to 90."),
        (
            5,
            "postcode_district",
            'Enter a UK postcode such as "SG1 2NY", or its outward code such as "SG1", in capitals.',
        ),
        (6, "region", "The coordinates 51.9017, -0.2019 are in East of England, not Wales."),
        (7, "site_name", "Duplicate row: row 2 already describes this site."),
        (8, "latitude", "The coordinates 48.8566, 2.3522 are outside the UK."),
        (9, "region", "Unknown region 'Atlantis'."),
        (9, "longitude", "Enter a number, not 'west'."),
        (10, "site_name", "This column is required."),
        (
            10,
            "organisation_type",
            "Unknown organisation type 'pharmacy'. Use one of: large pharma, CDMO, biotech, "
            "generic manufacturer, NHS, academic/catapult, other.",
        ),
        (11, "licence_basis", "Unknown licence basis 'rumoured'. Use confirmed or inferred."),
        (11, "source", "Item 1 in the array did not validate: Enter a valid URL."),
    ]
    assert list(Site.objects.all()) == [existing]
    assert not Organisation.objects.filter(name="Acme Biologics").exists()


def test_a_late_error_rolls_back_nothing_because_nothing_was_written():
    SiteFactory(
        organisation=OrganisationFactory(name="Acme Biologics"), name="Gunnels Wood Road", town="Ware"
    )
    rows = [sheet_row(), sheet_row(site_name="Z", confidence="certain")]
    assert refused(csv_text(rows)) == [
        (3, "confidence", "Unknown confidence 'certain'. Use high, medium or low.")
    ]
    assert Site.objects.get(name="Gunnels Wood Road").town == "Ware"


def test_the_header_is_row_1_and_unknown_or_missing_columns_are_reported_there():
    columns = ["organisation", "site_name", "twon", "region", "latitude"]
    assert refused(csv_text([sheet_row()], columns=columns)) == [
        (
            1,
            "twon",
            "Unknown column 'twon'. The columns are: " + ", ".join(EXPORT_COLUMNS) + ".",
        ),
        (1, "town", "This column is missing."),
        (1, "longitude", "This column is missing."),
    ]


def test_blank_lines_keep_the_row_numbers_a_spreadsheet_shows():
    text = (
        csv_text([sheet_row()])
        + "\n\n"
        + csv_text([sheet_row(site_name="X", latitude="x")]).split("\n", 1)[1]
    )
    assert refused(text) == [(5, "latitude", "Enter a number, not 'x'.")]


def test_organisation_rows_that_disagree_are_refused():
    rows = [sheet_row(), sheet_row(site_name="Other", organisation_type="biotech")]
    assert refused(csv_text(rows)) == [
        (3, "organisation_type", "biotech conflicts with row 2 (cdmo) for the same organisation.")
    ]


def test_a_dry_run_reports_but_writes_nothing():
    report = import_csv(csv_text([sheet_row()]), dry_run=True)
    assert report.created == ["Acme Biologics, Gunnels Wood Road"]
    assert not Site.objects.exists() and not Organisation.objects.exists()


def test_organisations_match_on_companies_house_number_and_sites_on_slug_or_postcode():
    org = OrganisationFactory(name="Acme Ltd", companies_house_number="01234567")
    by_slug = SiteFactory(organisation=org, name="Plant 1", slug="acme-plant-1", postcode="SG1")
    by_postcode = SiteFactory(
        organisation=org, name="Plant 2", postcode="SG2", latitude=51.9, longitude=-0.19
    )
    columns = [*sheet_row().keys(), "slug", "companies_house_number"]
    rows = [
        # Renamed organisation (matched by number) and renamed site (matched by slug).
        sheet_row(
            organisation="Acme Biologics",
            companies_house_number="1234567",
            site_name="North",
            slug="acme-plant-1",
        ),
        # Renamed site, matched by its organisation and postcode.
        sheet_row(organisation="Acme Biologics", site_name="South", postcode_district="SG2", slug=""),
    ]
    report = import_csv(csv_text(rows, columns=columns))

    assert report.created == [] and len(report.updated) == 2
    assert Organisation.objects.get(pk=org.pk).name == "Acme Biologics"
    assert Site.objects.get(pk=by_slug.pk).name == "North"
    assert Site.objects.get(pk=by_postcode.pk).name == "South"
    assert "organisation name: Acme Ltd → Acme Biologics" in report.rows[0].changes


def test_likely_duplicates_are_warnings_not_errors():
    SiteFactory(organisation=OrganisationFactory(name="Acme Biologics"), name="Old name", postcode="SG1 2NY")
    SiteFactory(
        organisation=Organisation.objects.get(name="Acme Biologics"), name="Another", postcode="SG1 2NY"
    )
    report = import_csv(csv_text([sheet_row(site_name="New", postcode_district="SG1 2NY")]))
    assert report.created == ["Acme Biologics, New"]
    assert [(w.row, w.column) for w in report.warnings] == [(2, "site_name"), (2, "site_name")]
    assert all("same organisation and postcode" in w.message for w in report.warnings)


def test_xlsx_imports_like_csv_and_reports_the_same_rows():
    rows = [sheet_row(), sheet_row(site_name="Cardiff Bay", **CARDIFF)]
    report = sites_import_rows(rows_from_xlsx(xlsx_bytes(rows)))
    assert len(report.created) == 2
    assert Site.objects.get(name="Cardiff Bay").latitude == 51.4816
    # The same file again changes nothing; a broken one is refused by spreadsheet row.
    assert len(sites_import_rows(rows_from_xlsx(xlsx_bytes(rows))).unchanged) == 2
    with pytest.raises(SitesImportError) as excinfo:
        sites_import_rows(rows_from_xlsx(xlsx_bytes([*rows, sheet_row(site_name="Bad", latitude="-91")])))
    assert [str(e) for e in excinfo.value.errors] == [
        "Row 4, column latitude: Ensure this value is greater than or equal to -90."
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(file_format):
    call_command("load_demo_data", verbosity=0)
    history = Site.history.count()
    dataset = sites_export_dataset(Site.objects.all())
    if file_format == "csv":
        rows = rows_from_csv(io.StringIO(dataset.export("csv")))
    else:
        rows = rows_from_xlsx(dataset.export("xlsx"))
    report = sites_import_rows(rows)
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, 161)
    assert Site.history.count() == history


def test_a_file_of_5000_rows_imports_in_one_go_and_reimports_unchanged():
    rows = [
        sheet_row(
            organisation=f"Organisation {n // 100}",
            site_name=f"Site {n}",
            # Spread over East of England, about 100 m apart.
            latitude=f"{51.80 + (n // 100) * 0.01:.4f}",
            longitude=f"{-0.40 + (n % 100) * 0.0015:.4f}",
            postcode_district="",
        )
        for n in range(5000)
    ]
    text = csv_text(rows)
    report = import_csv(text)
    assert len(report.created) == 5000
    assert Site.objects.count() == 5000 and Organisation.objects.count() == 50
    assert Licence.objects.count() == 5000 and Site.history.count() == 5000
    assert Site.capabilities.through.objects.count() == 10000
    assert len(import_csv(text).unchanged) == 5000


def test_the_import_sites_command_imports_refuses_and_dry_runs(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_text([sheet_row()]), encoding="utf-8")
    out = StringIO()
    call_command("import_sites", str(good), "--dry-run", stdout=out)
    assert "Dry run: 1 sites would be created" in out.getvalue()
    assert not Site.objects.exists()

    call_command("import_sites", str(good), stdout=StringIO())
    assert Site.objects.count() == 1

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([sheet_row(site_name="X", region="Wales")]))
    err = StringIO()
    with pytest.raises(CommandError, match="bad.xlsx was refused: 1 problem"):
        call_command("import_sites", str(bad), stderr=err)
    assert (
        "Row 2, column region: The coordinates 51.9017, -0.2019 are in East of England, not Wales."
        in err.getvalue()
    )
    assert Site.objects.count() == 1


def test_the_import_sites_command_exits_non_zero_when_refused(tmp_path):
    import subprocess
    import sys

    # A real process, for the exit status scripts see (CommandError becomes status 1).
    missing = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "import_sites", str(tmp_path / "none.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1 and "No such file" in missing.stderr


def test_region_is_matched_by_name_slug_or_code():
    rows = [
        sheet_row(site_name="By slug", region="east-of-england"),
        sheet_row(site_name="By code", region="TLH"),
        sheet_row(site_name="By name", region="EAST OF ENGLAND"),
    ]
    import_csv(csv_text(rows))
    assert set(Site.objects.values_list("region", flat=True)) == {region("east-of-england").pk}


def test_checking_a_file_costs_the_same_queries_however_many_rows(django_assert_num_queries):
    SiteFactory.create_batch(3)
    small = csv_text([sheet_row(site_name=f"S{n}") for n in range(5)])
    large = csv_text([sheet_row(site_name=f"L{n}", latitude=f"{51.8 + n * 0.001:.4f}") for n in range(200)])
    # Capabilities, technologies, licence types, regions, the organisations and sites the rows
    # can match, the slugs of each they could take and the sites near them (the matched sites'
    # links and licences too, were any matched): read once, then every row is checked in memory; and with
    # a new organisation, the saved ones it may be, once, for the likely-duplicate warning.
    with django_assert_num_queries(10):
        import_csv(small, dry_run=True)
    with django_assert_num_queries(10):
        import_csv(large, dry_run=True)


def test_closing_a_site_that_a_case_study_links_to_is_a_warning():
    from tests.casestudies.factories import CaseStudyFactory

    import_csv(csv_text([sheet_row()]))
    site = Site.objects.get()
    CaseStudyFactory(title="A story", organisation=site.organisation, sites=[site], published=True)
    columns = [*sheet_row().keys(), "status"]
    report = import_csv(csv_text([sheet_row(status="closed")], columns=columns))
    assert report.updated == ["Acme Biologics, Gunnels Wood Road"]
    assert [str(w) for w in report.warnings] == [
        "Row 2, column status: The case study 'A story' links to this site, which will be closed."
    ]
    assert Site.objects.get().status == "closed"


def test_a_conflicting_write_refuses_the_file_and_writes_nothing(monkeypatch):
    from django.db import IntegrityError, transaction

    from manufacturers import importing

    def conflict(self, planned):
        Organisation.objects.create(name="Written then rolled back", slug="rolled-back")
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(importing.SiteImporter, "_write", transaction.atomic(conflict))
    assert refused(csv_text([sheet_row()])) == [
        (1, "", "The data changed while the file was being imported. Nothing was written; import it again.")
    ]
    assert not Organisation.objects.exists()


def test_a_long_name_gets_a_slug_cut_at_a_word_boundary_as_a_saved_one_does():
    from core.slugs import slug_base

    long_name = "Stevenage Bioscience Catalyst Cell and Gene Therapy Manufacturing Innovation Centre"
    import_csv(csv_text([sheet_row(organisation=long_name, site_name="Gunnels Wood Road")]))

    site = Site.objects.select_related("organisation").get()
    # slugify() gives 83 characters; the first 80 end in the middle of "centre".
    expected = "stevenage-bioscience-catalyst-cell-and-gene-therapy-manufacturing-innovation"
    assert site.organisation.slug == expected == slug_base(long_name)
    assert site.slug == expected


def test_a_row_reports_every_bad_cell_even_when_its_region_is_unknown():
    errors = refused(
        csv_text(
            [
                sheet_row(
                    region="Atlantis",
                    latitude="48.8566",
                    longitude="2.3522",
                    postcode_district="ABC",
                    website="not a web site",
                )
            ]
        )
    )
    assert {column for _row, column, _message in errors} == {
        "region",
        "latitude",
        "postcode_district",
        "website",
    }
    assert (2, "latitude", "The coordinates 48.8566, 2.3522 are outside the UK.") in errors


def test_a_new_name_at_the_organisations_only_site_at_a_postcode_is_asked_about_not_silently_renamed():
    saved = SiteFactory(
        organisation=OrganisationFactory(name="Acme Biologics"), name="Plant 2", postcode="SG1"
    )

    preview = import_csv(csv_text([sheet_row(site_name="South", postcode_district="SG1")]), dry_run=True)

    assert [row.action for row in preview.rows] == ["updated"]
    assert [(w.row, w.column, w.message) for w in preview.warnings] == [
        (
            2,
            "site_name",
            "'South' will rename 'Plant 2', this organisation's only site at SG1. "
            "If it is another site, give it a new slug in the slug column.",
        )
    ]
    # Answering the question: a new slug makes the row a new site, and the saved one stays.
    columns = [*sheet_row().keys(), "slug"]
    report = import_csv(
        csv_text([sheet_row(site_name="South", postcode_district="SG1", slug="acme-south")], columns)
    )
    assert report.created == ["Acme Biologics, South"]
    assert Site.objects.get(pk=saved.pk).name == "Plant 2"


def test_the_preview_of_thousands_of_rows_at_one_postcode_lists_a_few_warnings_and_counts_the_rest():
    rows = [sheet_row(site_name=f"Unit {n}", postcode_district="SG1 2NY") for n in range(1500)]

    report = import_csv(csv_text(rows), dry_run=True)

    assert len(report.created) == 1500
    assert len(report.warnings) == 20
    assert all(w.kind == "duplicate" for w in report.warnings)
    # Each row is compared with at most five earlier ones: linear, not every pair (1.1 million).
    assert report.warnings_left_off == {"duplicate": 5 * 1500 - 15 - 20}


def test_a_file_too_long_or_too_slow_to_check_is_refused_with_a_clear_message(monkeypatch):
    from manufacturers.importing import importer

    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    assert refused(csv_text([sheet_row(site_name=f"S{n}") for n in range(4)])) == [
        (1, "", "The file has more than 3 rows. Split it into files of at most 3 rows.")
    ]
    with pytest.raises(SitesImportError) as excinfo:
        import_csv(csv_text([sheet_row()]), time_limit=-1)
    [error] = excinfo.value.errors
    assert error.row == 2 and error.message.startswith("Checking the file took more than -1 seconds")
    assert "nothing has been written" in error.message


def test_a_lookalike_is_found_by_name_number_or_website_without_reading_every_organisation():
    OrganisationFactory(name="Medicines and Healthcare products Regulatory Agency (MHRA)")
    OrganisationFactory(name="Oxford Biomedica", website="https://www.oxb.com/about")
    OrganisationFactory(name="Cell and Gene Therapy Catapult", companies_house_number="07964711")
    OrganisationFactory.create_batch(30)  # unrelated: "Organisation n Pharma"
    rows = [
        sheet_row(organisation="MHRA", site_name="London"),
        sheet_row(organisation="OXB Ltd", website="oxb.com", site_name="Oxford"),
    ]

    report = import_csv(csv_text(rows), dry_run=True)

    found = {w.row: w.message for w in report.warnings if w.kind == "duplicate_organisation"}
    assert "may be 'Medicines and Healthcare products Regulatory Agency (MHRA)' (similar names)" in found[2]
    assert "may be 'Oxford Biomedica' (same website domain)" in found[3]
    new = [
        Organisation(name="MHRA"),
        Organisation(name="OXB Ltd", website="oxb.com"),
        Organisation(name="CGT", companies_house_number="07964711"),
    ]
    assert sorted(o.name for o in planning._saved_lookalikes(new)) == [
        "Cell and Gene Therapy Catapult",
        "Medicines and Healthcare products Regulatory Agency (MHRA)",
        "Oxford Biomedica",
    ]


@pytest.mark.parametrize(
    ("saved", "new"),
    [
        ("Boots.com Limited", "Boots.com Ltd"),  # a word the text parser keeps whole
        ("Here and Now Limited", "Here & Now Ltd"),  # a key of stopwords only
        ("WHO", "World Health Organization (WHO)"),
    ],
)
def test_names_the_search_index_reads_otherwise_are_still_found_alike(saved, new):
    OrganisationFactory(name=saved, website="")
    OrganisationFactory.create_batch(3)

    report = import_csv(csv_text([sheet_row(organisation=new, website="", site_name="Ware")]), dry_run=True)

    [warning] = [w for w in report.warnings if w.kind == "duplicate_organisation"]
    assert f"may be {saved!r} (similar names)" in warning.message


def test_the_preview_asks_about_a_new_organisation_that_is_probably_a_saved_one():
    SiteFactory(organisation=OrganisationFactory(name="Autolus Therapeutics"), name="Stevenage")

    report = import_csv(csv_text([sheet_row(organisation="Autolus", site_name="Enfield")]), dry_run=True)

    assert [(w.row, w.column, w.kind, w.message) for w in report.warnings] == [
        (
            2,
            "organisation",
            "duplicate_organisation",
            "'Autolus' would be a new organisation, but may be 'Autolus Therapeutics' (similar names). "
            "If it is, use that name.",
        )
    ]


def _site_near_stevenage(organisation: str, name: str, precision: str, metres_north: float = 20):
    return SiteFactory(
        organisation=OrganisationFactory(name=organisation),
        name=name,
        postcode="SG2",
        latitude=51.9017 + metres_north / 111_000,
        longitude=-0.2019,
        location_precision=precision,
    )


def test_a_new_row_near_another_organisations_site_is_warned_of_only_when_that_site_is_placed_precisely():
    _site_near_stevenage("Other Pharma", "Precise plant", Site.LocationPrecision.SITE)
    _site_near_stevenage("Third Pharma", "Town plant", Site.LocationPrecision.TOWN, metres_north=-20)

    report = import_csv(csv_text([sheet_row()]), dry_run=True)  # placed at Stevenage's centre
    assert [w.message for w in report.warnings] == ["May duplicate Other Pharma, Precise plant (20 m apart)."]


def test_a_row_near_its_own_organisations_town_placed_site_is_warned_of():
    _site_near_stevenage("Acme Biologics", "Old plant", Site.LocationPrecision.TOWN)

    report = import_csv(csv_text([sheet_row()]), dry_run=True)
    assert [w.message for w in report.warnings] == ["May duplicate Acme Biologics, Old plant (20 m apart)."]


def test_a_row_updating_a_precisely_placed_site_is_warned_of_any_site_near_it():
    acme = OrganisationFactory(name="Acme Biologics")
    SiteFactory(
        organisation=acme,
        name="Gunnels Wood Road",
        postcode="SG1",
        latitude=52.5,
        longitude=-1.5,
        location_precision=Site.LocationPrecision.SITE,
    )
    _site_near_stevenage("Other Pharma", "Town plant", Site.LocationPrecision.TOWN)

    report = import_csv(csv_text([sheet_row()]), dry_run=True)  # moves it to Stevenage
    assert report.updated == ["Acme Biologics, Gunnels Wood Road"]
    assert [w.message for w in report.warnings] == ["May duplicate Other Pharma, Town plant (20 m apart)."]
