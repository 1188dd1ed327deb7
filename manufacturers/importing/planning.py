"""What importing the file would change: each row created, updated or unchanged, and the warnings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import BooleanField, F, Func, Value

from .. import quality
from ..models import Organisation, Site, SiteStatus
from ..models.organisations import website_domain
from ..selectors import case_study_links_to_closed_sites
from .loading import SavedRecords, site_slug_base
from .matching import FileOrganisation
from .parsing import ParsedRow, Vocabulary
from .report import ImportReport, RowError, RowResult, display


@dataclass
class PlannedRow:
    number: int
    organisation: FileOrganisation
    site: Site
    is_new: bool
    changes: list[str]  # "town: Ware → Hertford", as the report and the history show them
    changed_fields: list[str]
    m2m: dict  # "capabilities"/"technologies" -> set of pks, for the columns the file has
    licences: dict | None  # licence type pk -> basis, or None when the file has no such column


def plan_row(
    row: ParsedRow,
    organisation: FileOrganisation,
    site: Site,
    *,
    is_new: bool,
    records: SavedRecords,
    vocabulary: Vocabulary,
) -> PlannedRow:
    """The row's values applied to its site, and what that changes in a saved one."""
    changes, changed_fields = [], []
    for name, value in row.site.items():
        old = getattr(site, name) if not is_new else None
        if is_new or old != value:
            if not is_new:
                changes.append(f"{name}: {display(old)} → {display(value)}")
                changed_fields.append(name)
            setattr(site, name, value)
    if is_new and not site.slug:
        site.slug = records.new_slug("site", site_slug_base(organisation.instance.name, site.name))

    m2m = {column: {term.pk for term in row.terms[column]} for column in ("capabilities", "technologies")}
    m2m = {column: pks for column, pks in m2m.items() if column in row.terms}
    if not is_new:
        changes += _taxonomy_changes(site, m2m, records, vocabulary)
        changes += _licence_changes(site, row.licences, records, vocabulary)
    if organisation.first_row == row.number and organisation.changes:
        changes.extend(f"organisation {change}" for change in organisation.changes)
    return PlannedRow(row.number, organisation, site, is_new, changes, changed_fields, m2m, row.licences)


def _taxonomy_changes(site: Site, m2m: dict, records: SavedRecords, vocabulary: Vocabulary) -> list[str]:
    changes = []
    for column, wanted in m2m.items():
        old = records.site_m2m[column][site.pk]
        if old != wanted:
            slugs = {term.pk: term.slug for term in vocabulary.terms[column].values()}
            changes.append(
                f"{column}: {display({slugs[pk] for pk in old})} → {display({slugs[pk] for pk in wanted})}"
            )
    return changes


def _licence_changes(site: Site, licences, records: SavedRecords, vocabulary: Vocabulary) -> list[str]:
    if licences is None:
        return []
    old = {pk: licence.basis for pk, licence in records.site_licences[site.pk].items()}
    if old == licences:
        return []
    slugs = {term.pk: term.slug for term in vocabulary.terms["licence_types"].values()}

    def labels(bases: dict) -> set[str]:
        return {f"{slugs[pk]} ({basis})" for pk, basis in bases.items()}

    return [f"licences: {display(labels(old))} → {display(labels(licences))}"]


def fill_report(
    report: ImportReport, planned: list[PlannedRow], organisations: list[FileOrganisation]
) -> None:
    """Each row's action (created, updated, unchanged) and the organisations created or updated."""
    for row in planned:
        label = f"{row.organisation.instance.name}, {row.site.name}"
        if row.is_new:
            action, bucket = "created", report.created
        elif row.changes:
            action, bucket = "updated", report.updated
        else:
            action, bucket = "unchanged", report.unchanged
        bucket.append(label)
        report.rows.append(RowResult(row.number, action, label, row.changes, row.site.pk))
    for org in organisations:
        if org.is_new:
            report.organisations_created.append(org.instance.name)
        elif org.changes:
            report.organisations_updated.append(org.instance.name)


# --- Warnings: reported, never blocking ---------------------------------------------------------


def warnings(
    planned: list[PlannedRow], saved_sites: list[quality.SitePoint], found: list[RowError]
) -> list[RowError]:
    """Rows that probably duplicate a saved site or each other, and sites closed under a case study,
    added to those `found` while matching."""
    return found + duplicate_warnings(planned, saved_sites) + closed_site_warnings(planned)


def organisation_warnings(organisations: list[FileOrganisation]) -> list[RowError]:
    """New organisations in the file that are probably a saved one (or each other) by another name."""
    rows = {id(org.instance): org.first_row for org in organisations if org.is_new}
    if not rows:
        return []
    new = [org.instance for org in organisations if org.is_new]
    candidates = [*_saved_lookalikes(new), *new]
    return [
        RowError(
            rows[id(new)],
            "organisation",
            f"{new.name!r} would be a new organisation, but may be {known.name!r} ({reason}). "
            "If it is, use that name.",
            kind="duplicate_organisation",
        )
        for known, new, reason in quality.likely_duplicate_organisations(candidates)
        if id(new) in rows
    ]


def _saved_lookalikes(organisations: list[Organisation]) -> list[Organisation]:
    """The saved organisations that could share a key (quality.likely_duplicate_organisations) with these.

    Two names share a key only if every word of the key is in both, so the name search's index
    finds every candidate; numbers and website domains are compared directly, each on its own
    index. The import so reads a handful of rows instead of every organisation in the landscape
    on every file. Two kinds of name escape the index, and are looked for otherwise: a key of
    stopwords only ("here and now") makes an empty query, so then every organisation is read, as
    before; a word the text parser keeps whole ("boots.com", "2.0") is asked for as it is written.

    One statement of separate parts, each planned on its own index: joined by OR in one WHERE,
    the unindexable stopword test made PostgreSQL test every organisation against the whole
    query (11 s for a file of a thousand new organisations among 125,000).
    """
    keys = {
        key for organisation in organisations for key in quality.organisation_name_keys(organisation.name)
    }
    whole_words = {
        word
        for organisation in organisations
        for word in organisation.name.split()
        if WHOLE_WORD.fullmatch(word)
    }
    names = sorted(keys | whole_words)
    numbers = {organisation.companies_house_number for organisation in organisations} - {""}
    domains = {quality.website_domain(organisation.website) for organisation in organisations} - {""}
    saved = Organisation.objects.only("name", "website", "companies_house_number").order_by()
    parts = [
        saved.filter(companies_house_number__in=numbers),
        saved.alias(domain=website_domain()).filter(domain__in=domains),
    ]
    if names:
        parts.append(saved.filter(_NamedLikeAny(names)))
        # Every organisation, when (evaluated once for the statement) some key is all stopwords.
        parts.append(saved.alias(stopwords=_AnyStopwordsOnly(Value(sorted(keys)))).filter(stopwords=True))
    return list(parts[0].union(*parts[1:]).order_by("pk"))


class _NamedLikeAny(Func):
    """Whether the organisation's name search matches any of the texts (as plain queries).

    Each text is looked up in the search index on its own (LATERAL) and the organisations then
    read by id: one query ORing the texts together is estimated so badly that PostgreSQL reads
    every organisation and tests each against all of them (7 s for a thousand names).
    """

    output_field = BooleanField()

    def __init__(self, texts: list[str]):
        super().__init__(F("pk"), Value(texts))

    def as_sql(self, compiler, connection, **extra_context):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        texts_sql, texts_params = compiler.compile(self.source_expressions[1])
        table = connection.ops.quote_name(Organisation._meta.db_table)
        sql = (
            f"{pk_sql} = ANY (ARRAY(SELECT named.id FROM unnest({texts_sql}::text[]) AS text "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT id FROM {table} "
            "WHERE search_vector @@ plainto_tsquery('english', text)) AS named))"
        )
        return sql, (*pk_params, *texts_params)


class _AnyStopwordsOnly(Func):
    """Whether any of the keys makes an empty query (all its words are stopwords): evaluated once
    per query, it then lets every organisation through, as the check read them before the index."""

    template = (
        "EXISTS (SELECT 1 FROM unnest(%(expressions)s::text[]) AS key "
        "WHERE numnode(plainto_tsquery('english', key)) = 0)"
    )
    output_field = BooleanField()


# Words with inner punctuation, which PostgreSQL's parser reads as one token (a host, a version).
WHOLE_WORD = re.compile(r"\w+(?:[.\-'/]\w+)+")


def duplicate_warnings(planned: list[PlannedRow], saved_sites: list[quality.SitePoint]) -> list[RowError]:
    in_file = {row.site.pk for row in planned if not row.is_new}
    points = [point for point in saved_sites if point.key not in in_file]
    row_points = [
        quality.SitePoint(
            key=("row", row.number),
            label=f"row {row.number} ({row.organisation.instance.name}, {row.site.name})",
            organisation_key=row.organisation.instance.name.lower(),
            postcode=row.site.postcode,
            latitude=row.site.latitude,
            longitude=row.site.longitude,
            precise=row.site.location_precision == Site.LocationPrecision.SITE,
        )
        for row in planned
    ]
    found = []
    for first, second, reason in quality.likely_duplicates(points + row_points):
        rows = [point for point in (first, second) if isinstance(point.key, tuple)]
        if not rows:
            continue
        this, other = (first, second) if first in rows else (second, first)
        found.append(
            RowError(this.key[1], "site_name", f"May duplicate {other.label} ({reason}).", kind="duplicate")
        )
    return found


def closed_site_warnings(planned: list[PlannedRow]) -> list[RowError]:
    closing = {
        row.site.pk: row.number
        for row in planned
        if "status" in row.changed_fields and row.site.status == SiteStatus.CLOSED
    }
    if not closing:
        return []
    links = case_study_links_to_closed_sites(site_ids=closing)
    return [
        RowError(
            closing[site_id],
            "status",
            f"The case study {title!r} links to this site, which will be closed.",
            kind="closed_site",
        )
        for site_id, title in links.values_list("site_id", "casestudy__title")
    ]
