"""One spreadsheet row into values and problems (manufacturers.importing.parsing.parse_row).

No test here touches the database: these tests have no `django_db` mark, so any query would
fail them. The vocabulary is built from stand-ins, two regions drawn as boxes among them.
"""

from types import SimpleNamespace

import pytest

from manufacturers.importing.columns import COLUMNS, EXPORT_COLUMNS
from manufacturers.importing.parsing import Vocabulary, parse_row
from manufacturers.quality import RegionShapes


def _box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


EAST = SimpleNamespace(
    pk=1, name="East of England", slug="east-of-england", code="TLH", boundary=_box(-0.8, 51.4, 1.8, 53.0)
)
WALES = SimpleNamespace(pk=2, name="Wales", slug="wales", code="TLL", boundary=_box(-5.4, 51.3, -2.6, 53.5))


def _term(pk: int, slug: str, is_active: bool = True) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, slug=slug, is_active=is_active)


VOCABULARY = Vocabulary.of(
    capabilities=[
        _term(1, "sterile_injectables"),
        _term(2, "aseptic_fill_finish"),
        _term(3, "tablets", False),
    ],
    technologies=[_term(11, "continuous_manufacturing")],
    licence_types=[_term(21, "mia"), _term(22, "mia_imp")],
    shapes=RegionShapes([EAST, WALES]),
)

GOOD = {
    "organisation": "Acme Biologics",
    "organisation_type": "CDMO",
    "site_name": "Gunnels Wood Road",
    "town": "Stevenage",
    "postcode_district": "sg1 2ny",
    "region": "East of England",
    "latitude": "51.9017",
    "longitude": "-0.2019",
    "capabilities": "sterile_injectables;aseptic_fill_finish",
    "technologies": "continuous_manufacturing",
    "licence_types": "mia;mia_imp",
    "licence_basis": "confirmed",
    "website": "acme.example.com",
    "source": "https://www.example.com/acme | https://www.example.org/news",
    "confidence": "High",
    "slug": "",
    "companies_house_number": "1234567",
    "status": "",
}


def parse(columns=EXPORT_COLUMNS, **changes):
    raw = {column: value for column, value in {**GOOD, **changes}.items() if column in columns}
    return parse_row(7, raw, columns=set(columns), vocabulary=VOCABULARY)


def problems(row) -> list[tuple[str, str]]:
    assert all(error.row == 7 for error in row.errors)
    return [(error.column, error.message) for error in row.errors]


def test_a_good_row_gives_the_organisation_and_site_fields_and_no_problems():
    row = parse()

    assert problems(row) == []
    assert row.organisation == {
        "name": "Acme Biologics",
        "kind": "cdmo",
        "website": "https://acme.example.com",
        "companies_house_number": "01234567",
    }
    assert row.site == {
        "name": "Gunnels Wood Road",
        "town": "Stevenage",
        "region": EAST,
        "latitude": 51.9017,
        "longitude": -0.2019,
        "postcode": "SG1 2NY",
        "source_urls": ["https://www.example.com/acme", "https://www.example.org/news"],
        "confidence": "high",
        "status": "operational",
    }
    assert {column: [term.slug for term in terms] for column, terms in row.terms.items()} == {
        "capabilities": ["sterile_injectables", "aseptic_fill_finish"],
        "technologies": ["continuous_manufacturing"],
    }
    assert row.licences == {21: "confirmed", 22: "confirmed"}


def test_columns_the_file_does_not_have_are_left_out_of_the_values():
    row = parse(columns=[column for column in COLUMNS if column not in {"postcode_district", "capabilities"}])

    assert problems(row) == []
    assert "postcode" not in row.site and "status" not in row.site and "slug" not in row.site
    assert "capabilities" not in row.terms
    assert "companies_house_number" not in row.organisation


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("CDMO", "cdmo"),
        ("cdmo", "cdmo"),
        ("large pharma", "large_pharma"),
        ("Large Pharma", "large_pharma"),
        ("large_pharma", "large_pharma"),
        ("NHS", "nhs"),
        ("academic/catapult", "academic_catapult"),
        ("academic or catapult", "academic_catapult"),
        ("generic manufacturer", "generic"),
        ("generic", "generic"),
    ],
)
def test_organisation_types_are_read_by_word_or_by_value(text, kind):
    row = parse(organisation_type=text)
    assert problems(row) == [] and row.organisation["kind"] == kind


def test_a_blank_organisation_type_leaves_the_organisation_kind_alone():
    row = parse(organisation_type="")
    assert problems(row) == [] and "kind" not in row.organisation


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"organisation": ""}, [("organisation", "This column is required.")]),
        ({"site_name": ""}, [("site_name", "This column is required.")]),
        (
            {"organisation_type": "pharmacy"},
            [
                (
                    "organisation_type",
                    "Unknown organisation type 'pharmacy'. Use one of: large pharma, CDMO, biotech, "
                    "generic manufacturer, NHS, academic/catapult, other.",
                )
            ],
        ),
        ({"region": ""}, [("region", "This column is required.")]),
        ({"region": "Atlantis"}, [("region", "Unknown region 'Atlantis'.")]),
        ({"latitude": ""}, [("latitude", "This column is required.")]),
        ({"longitude": "west"}, [("longitude", "Enter a number, not 'west'.")]),
        ({"latitude": "nan"}, [("latitude", "Enter a number, not 'nan'.")]),
        ({"latitude": "95"}, [("latitude", "Ensure this value is less than or equal to 90.")]),
        (
            {"latitude": "48.8566", "longitude": "2.3522"},
            [("latitude", "The coordinates 48.8566, 2.3522 are outside the UK.")],
        ),
        (
            {"region": "wales"},
            [("region", "The coordinates 51.9017, -0.2019 are in East of England, not Wales.")],
        ),
        ({"capabilities": "teleportation"}, [("capabilities", "Unknown slug 'teleportation'.")]),
        ({"capabilities": "tablets"}, [("capabilities", "'tablets' is retired; use its replacement.")]),
        (
            {"licence_basis": "rumoured"},
            [("licence_basis", "Unknown licence basis 'rumoured'. Use confirmed or inferred.")],
        ),
        (
            {"licence_types": "mia", "licence_basis": "confirmed;inferred"},
            [("licence_basis", "Give one basis for all licences, or one per licence type.")],
        ),
        (
            {"status": "demolished"},
            [("status", "Unknown status 'demolished'. Use one of: operational, planned, closed.")],
        ),
        (
            {"confidence": "certain"},
            [("confidence", "Unknown confidence 'certain'. Use high, medium or low.")],
        ),
        (
            {"slug": "not a slug"},
            [("slug", "'not a slug' is not a slug: use letters, numbers, hyphens and underscores.")],
        ),
        (
            {"postcode_district": "ABC"},
            [
                (
                    "postcode_district",
                    'Enter a UK postcode such as "SG1 2NY", or its outward code such as "SG1", in capitals.',
                )
            ],
        ),
        ({"town": ""}, [("town", "This field cannot be blank.")]),
        (
            {"site_name": "x" * 201},
            [("site_name", "Ensure this value has at most 200 characters (it has 201).")],
        ),
        ({"website": "not a website"}, [("website", "Enter a valid URL.")]),
        (
            {"companies_house_number": "AB12"},
            [
                (
                    "companies_house_number",
                    "Enter a Companies House number: eight digits, or two capital letters and six digits.",
                )
            ],
        ),
        ({"source": "not a url"}, [("source", "Item 1 in the array did not validate: Enter a valid URL.")]),
    ],
)
def test_each_problem_is_reported_in_its_column(changes, expected):
    assert problems(parse(**changes)) == expected


def test_a_row_with_a_problem_in_every_cell_reports_every_one_in_column_order():
    row = parse(
        organisation_type="pharmacy",
        site_name="",
        region="Atlantis",
        latitude="north",
        capabilities="teleportation;tablets",
        technologies="alchemy",
        licence_types="mia;bogus",
        licence_basis="rumoured",
        status="demolished",
        confidence="certain",
        slug="not a slug",
        postcode_district="ABC",
        town="",
        website="not a website",
        companies_house_number="AB12",
        source="not a url",
    )

    assert [column for column, _ in problems(row)] == [
        "site_name",
        "organisation_type",
        "region",
        "latitude",
        "capabilities",
        "capabilities",
        "technologies",
        "licence_types",
        "licence_basis",
        "status",
        "confidence",
        "slug",
        "website",
        "companies_house_number",
        "town",
        "postcode_district",
        "source",
    ]
    # A value that failed is not taken as what the row says of its organisation.
    assert row.organisation == {"name": "Acme Biologics"}
    assert not row.can_match_site


def test_a_bad_licence_type_does_not_make_the_bases_miscount():
    row = parse(licence_types="mia;bogus", licence_basis="confirmed;inferred")
    assert problems(row) == [("licence_types", "Unknown slug 'bogus'.")]
    assert row.licences == {21: "confirmed"}


def test_a_blank_basis_means_inferred_and_blank_status_and_confidence_the_defaults():
    row = parse(licence_basis="", status="", confidence="")
    assert problems(row) == []
    assert row.licences == {21: "inferred", 22: "inferred"}
    assert (row.site["status"], row.site["confidence"]) == ("operational", "medium")


@pytest.mark.parametrize("region", ["East of England", "east-of-england", "TLH", "EAST OF ENGLAND"])
def test_a_region_is_found_by_name_slug_or_code(region):
    assert parse(region=region).site["region"] is EAST
