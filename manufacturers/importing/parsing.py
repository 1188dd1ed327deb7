"""One row of a spreadsheet into the values it gives, and every problem in every one of its cells.

`parse_row` reads no database: what it checks against (the taxonomies, the regions and their
boundaries) comes in a `Vocabulary` read once per file. What needs the other rows or the saved
organisations and sites (conflicts, duplicates, renames) is matching's work.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug

from core.numbers import is_whole_number

from ..models import Licence, Organisation, Site, SiteConfidence, SiteStatus
from ..quality import RegionShapes
from .columns import (
    ORGANISATION_FIELD_COLUMNS,
    ORGANISATION_TYPE_LABELS,
    SITE_FIELD_COLUMNS,
    SLUG_SEPARATOR,
    SOURCE_SEPARATOR,
    TERM_COLUMNS,
    organisation_kind,
)
from .report import RowError

STATUSES = SiteStatus.values
CONFIDENCES = SiteConfidence.values
LICENCE_BASES = Licence.Basis.values


@dataclass(frozen=True)
class Vocabulary:
    """The taxonomies' terms by slug, the regions by lower-case name, slug or ITL1 code, and their shapes."""

    terms: dict[str, dict[str, object]]  # "capabilities", "technologies", "licence_types" -> slug -> term
    regions: dict[str, object]
    shapes: RegionShapes

    @classmethod
    def of(cls, *, capabilities, technologies, licence_types, shapes: RegionShapes) -> Vocabulary:
        terms = {
            "capabilities": {term.slug: term for term in capabilities},
            "technologies": {term.slug: term for term in technologies},
            "licence_types": {term.slug: term for term in licence_types},
        }
        regions = {}
        for region in shapes.regions:
            for key in (region.name, region.slug, region.code):
                regions[key.lower()] = region
        return cls(terms=terms, regions=regions, shapes=shapes)


@dataclass
class ParsedRow:
    """What one row gives, in model fields, and the problems found in its cells."""

    number: int
    organisation: dict  # Organisation field -> value: the name, and kind, website, number when given
    site: dict  # Site field -> value, for the columns the file has
    terms: dict = field(default_factory=dict)  # term column -> terms, for the columns the file has
    licences: dict | None = None  # licence type pk -> basis; None when the file has no licence_types
    postcode: str = ""  # normalised, to match a saved site by even when it is malformed
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))

    def failed(self, column: str) -> bool:
        return any(error.column == column for error in self.errors)

    @property
    def can_match_site(self) -> bool:
        """Whether the row names a site well enough to look for it (a name, and a valid slug or none)."""
        return bool(self.site.get("name")) and not self.failed("slug")


# --- Cell values ---------------------------------------------------------------------------------


def split_slugs(value: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in (value or "").split(SLUG_SEPARATOR) if item.strip()))


def split_urls(value: str) -> list[str]:
    return [item.strip() for item in (value or "").split(SOURCE_SEPARATOR.strip()) if item.strip()]


def normalise_postcode(value: str) -> str:
    text = re.sub(r"\s+", "", (value or "").upper())
    # "SG12NY" -> "SG1 2NY": the inward code is always a digit and two letters.
    if len(text) >= 5 and re.fullmatch(r"[A-Z0-9]+[0-9][A-Z]{2}", text):
        return f"{text[:-3]} {text[-3:]}"
    return text


def companies_house_number(value: str) -> str:
    # Spreadsheets drop the leading zeros of an English number: 1234567 is 01234567.
    number = (value or "").strip().upper()
    return number.zfill(8) if is_whole_number(number) else number


def website_url(value: str) -> str:
    """A website as the spreadsheet gives it ("gsk.com") as an address ("https://gsk.com")."""
    value = value.strip()
    if value and not re.match(r"^https?://", value):
        value = f"https://{value}"
    return value


# --- One row -------------------------------------------------------------------------------------


def parse_row(number: int, raw: dict, *, columns: set[str], vocabulary: Vocabulary) -> ParsedRow:
    """The values row `number` gives and every problem in its cells, in the order of the columns.

    Reads no database. Cells are checked one by one, then the values as the models' fields check
    them (lengths, URLs, the postcode's form, coordinate ranges), then the coordinates against the
    region's boundary: a row with several problems reports them all.
    """
    row = ParsedRow(number=number, organisation={}, site={})
    organisation_name, site_name = raw.get("organisation", ""), raw.get("site_name", "")
    if not organisation_name:
        row.error("organisation", "This column is required.")
    if not site_name:
        row.error("site_name", "This column is required.")
    kind = _organisation_kind(row, raw)
    region = _region(row, raw, vocabulary)
    coordinates = _coordinates(row, raw)
    row.terms = _terms(row, raw, columns, vocabulary)
    row.licences = _licences(row, raw, columns)
    row.terms = {column: [term for term in terms if term is not None] for column, terms in row.terms.items()}
    status = _choice(row, raw, columns, "status", STATUSES, f"one of: {', '.join(STATUSES)}")
    confidence = _choice(row, raw, columns, "confidence", CONFIDENCES, "high, medium or low")
    slug = _slug(row, raw)

    row.organisation = _organisation_values(raw, organisation_name, kind)
    row.site = {"name": site_name, "town": raw.get("town", ""), "region": region, **coordinates}
    row.postcode = normalise_postcode(raw.get("postcode_district", ""))
    if "postcode_district" in columns:
        row.site["postcode"] = row.postcode
    if "source" in columns:
        row.site["source_urls"] = split_urls(raw.get("source", ""))
    if confidence is not None:
        row.site["confidence"] = confidence or SiteConfidence.MEDIUM
    if status is not None:
        row.site["status"] = status or SiteStatus.OPERATIONAL
    if slug:
        row.site["slug"] = slug

    _check_fields(row, Organisation, row.organisation, ORGANISATION_FIELD_COLUMNS)
    _check_fields(row, Site, row.site, SITE_FIELD_COLUMNS)
    _check_location(row, vocabulary)
    # A value that failed is no value: it must not count as what the row says of its organisation.
    row.organisation = {
        name: value
        for name, value in row.organisation.items()
        if not row.failed(ORGANISATION_FIELD_COLUMNS[name])
    }
    return row


def _organisation_kind(row: ParsedRow, raw: dict):
    text = raw.get("organisation_type", "")
    if not text:
        return None
    kind = organisation_kind(text)
    if kind is None:
        row.error(
            "organisation_type",
            f"Unknown organisation type {text!r}. Use one of: {', '.join(ORGANISATION_TYPE_LABELS.values())}.",
        )
    return kind


def _region(row: ParsedRow, raw: dict, vocabulary: Vocabulary):
    if not raw.get("region"):
        row.error("region", "This column is required.")
        return None
    region = vocabulary.regions.get(raw["region"].lower())
    if region is None:
        row.error("region", f"Unknown region {raw['region']!r}.")
    return region


def _coordinates(row: ParsedRow, raw: dict) -> dict[str, float]:
    coordinates = {}
    for column in ("latitude", "longitude"):
        text = raw.get(column, "")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            coordinates[column] = value
        else:
            row.error(column, f"Enter a number, not {text!r}." if text else "This column is required.")
    return coordinates


def _terms(row: ParsedRow, raw: dict, columns: set[str], vocabulary: Vocabulary) -> dict[str, list]:
    """The taxonomy terms each slug column names; None in place of a slug that names no active term."""
    chosen = {}
    for column in TERM_COLUMNS:
        if column not in columns:
            continue
        chosen[column] = []
        for slug in split_slugs(raw.get(column, "")):
            term = vocabulary.terms[column].get(slug)
            if term is None:
                row.error(column, f"Unknown slug {slug!r}.")
            elif not term.is_active:
                row.error(column, f"{slug!r} is retired; use its replacement.")
            chosen[column].append(term if term is not None and term.is_active else None)
    return chosen


def _licences(row: ParsedRow, raw: dict, columns: set[str]) -> dict | None:
    """Licence type pk -> basis: one basis for every type, or one per type in the same order."""
    if "licence_types" not in columns:
        return None
    types = row.terms.pop("licence_types")
    given = [basis.lower() for basis in split_slugs(raw.get("licence_basis", ""))]
    for basis in dict.fromkeys(given):
        if basis not in LICENCE_BASES:
            row.error("licence_basis", f"Unknown licence basis {basis!r}. Use confirmed or inferred.")
    bases = given or [Licence.Basis.INFERRED.value]
    if len(bases) == 1:
        bases = bases * len(types)
    if len(bases) != len(types) and types:
        row.error("licence_basis", "Give one basis for all licences, or one per licence type.")
    return {term.pk: basis for term, basis in zip(types, bases, strict=False) if term is not None}


def _choice(row: ParsedRow, raw: dict, columns: set[str], column: str, values, use: str) -> str | None:
    """The cell's value, lower case (blank for the default); None when the file has no such column."""
    if column not in columns:
        return None
    value = raw.get(column, "").lower()
    if value and value not in values:
        row.error(column, f"Unknown {column} {value!r}. Use {use}.")
    return value


def _slug(row: ParsedRow, raw: dict) -> str:
    slug = raw.get("slug", "")
    if slug:
        try:
            validate_slug(slug)
        except ValidationError:
            row.error("slug", f"{slug!r} is not a slug: use letters, numbers, hyphens and underscores.")
    return slug


def _organisation_values(raw: dict, name: str, kind) -> dict:
    values = {"name": name}
    if kind is not None:
        values["kind"] = kind
    if raw.get("website"):
        values["website"] = website_url(raw["website"])
    number = companies_house_number(raw.get("companies_house_number", ""))
    if number:
        values["companies_house_number"] = number
    return values


# Checked elsewhere: foreign keys and uniqueness against the saved rows, the slug by its own rule.
UNCHECKED_FIELDS = {"organisation", "region", "slug", "kind"}


def _check_fields(row: ParsedRow, model, values: dict, field_columns: dict[str, str]) -> None:
    """The model's own field validation (as clean_fields does it) on the values whose cells read well."""
    for model_field in model._meta.fields:
        name = model_field.name
        if name not in values or name in UNCHECKED_FIELDS or row.failed(field_columns[name]):
            continue
        value = values[name]
        if model_field.blank and value in model_field.empty_values:
            continue
        try:
            model_field.clean(value, None)
        except ValidationError as invalid:
            for message in invalid.messages:
                row.error(field_columns[name], message)


def _check_location(row: ParsedRow, vocabulary: Vocabulary) -> None:
    latitude, longitude = row.site.get("latitude"), row.site.get("longitude")
    region = row.site.get("region")
    if latitude is None or longitude is None:
        return
    errors = vocabulary.shapes.location_errors(latitude=latitude, longitude=longitude, region=region)
    for name, message in errors.items():
        row.error(SITE_FIELD_COLUMNS[name], message)
