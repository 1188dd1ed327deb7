"""The landscape spreadsheet's vocabulary: its columns, their other spellings, separators and labels.

The columns are those staff and partners already keep (fixtures/sites.csv), plus three optional
ones an export adds so a round trip can match renamed sites and organisations: ``slug``,
``companies_house_number`` and ``status``. The API's sites.csv uses the same column names, so
every export writes the words below and the import reads them back.
"""

import re

from ..models import OrganisationKind

COLUMNS = [
    "organisation",
    "organisation_type",
    "site_name",
    "town",
    "postcode_district",
    "region",
    "latitude",
    "longitude",
    "capabilities",
    "technologies",
    "licence_types",
    "licence_basis",
    "website",
    "source",
    "confidence",
]
OPTIONAL_COLUMNS = ["slug", "companies_house_number", "status"]
EXPORT_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
REQUIRED_COLUMNS = ["organisation", "site_name", "town", "region", "latitude", "longitude"]
# Other spellings of a header that mean the same column.
COLUMN_ALIASES = {
    "site": "site_name",
    "postcode": "postcode_district",
    "sources": "source",
    "licences": "licence_types",
    "companies_house": "companies_house_number",
}
# The column that holds each model field, so a validation error names what the user typed.
SITE_FIELD_COLUMNS = {
    "name": "site_name",
    "slug": "slug",
    "status": "status",
    "town": "town",
    "postcode": "postcode_district",
    "region": "region",
    "latitude": "latitude",
    "longitude": "longitude",
    "source_urls": "source",
    "confidence": "confidence",
}
ORGANISATION_FIELD_COLUMNS = {
    "name": "organisation",
    "kind": "organisation_type",
    "website": "website",
    "companies_house_number": "companies_house_number",
}
# The columns that list taxonomy slugs, separated by SLUG_SEPARATOR.
TERM_COLUMNS = ["capabilities", "technologies", "licence_types"]
SOURCE_SEPARATOR = " | "
SLUG_SEPARATOR = ";"

# The `organisation_type` words of the landscape spreadsheet (fixtures/sites.csv): what every
# export writes, the admin's and the API's alike. The import reads them in any case, and the
# kinds' own values (`cdmo`, `academic_catapult`) too.
ORGANISATION_TYPE_LABELS = {
    OrganisationKind.LARGE_PHARMA: "large pharma",
    OrganisationKind.CDMO: "CDMO",
    OrganisationKind.BIOTECH: "biotech",
    OrganisationKind.GENERIC: "generic manufacturer",
    OrganisationKind.NHS: "NHS",
    OrganisationKind.ACADEMIC_CATAPULT: "academic/catapult",
    OrganisationKind.OTHER: "other",
}
# Older spellings found in partners' sheets, read but never written.
ORGANISATION_TYPE_ALIASES = {"academic or catapult": OrganisationKind.ACADEMIC_CATAPULT}


def organisation_type_label(kind: str) -> str:
    """The spreadsheet's word for an organisation kind (its value or the enum member)."""
    return ORGANISATION_TYPE_LABELS.get(kind, ORGANISATION_TYPE_LABELS[OrganisationKind.OTHER])


def organisation_types_text() -> str:
    """The words the spreadsheet takes, as a sentence: "large pharma, CDMO, ... or other"."""
    *words, last = ORGANISATION_TYPE_LABELS.values()
    return f"{', '.join(words)} or {last}"


def organisation_kind(text: str) -> OrganisationKind | None:
    """The kind a spreadsheet cell names, by its word, an older spelling or its value; else None."""
    word = text.strip().lower()
    for kind, label in ORGANISATION_TYPE_LABELS.items():
        if word in (label.lower(), kind.value):
            return kind
    return ORGANISATION_TYPE_ALIASES.get(word)


def normalise_header(value) -> str:
    """A header cell as its column's name: lower case, underscores, aliases resolved."""
    text = re.sub(r"[\s\-]+", "_", str(value or "").strip().lower())
    return COLUMN_ALIASES.get(text, text)
