"""Which saved organisation and site each row describes, and where rows contradict each other.

Organisations match on Companies House number, then name; sites on slug, then organisation and
name, then organisation and postcode (only when one saved site has it and no row names that site).
Many rows share an organisation: the first row to give a value sets it, and a later row that
gives another is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Organisation, OrganisationKind, Site
from .columns import ORGANISATION_FIELD_COLUMNS
from .loading import SavedRecords, organisation_slug_base
from .parsing import ParsedRow
from .report import RowError, display


@dataclass
class FileOrganisation:
    """An organisation as the file wants it: a saved one (maybe changed) or a new one."""

    instance: Organisation
    first_row: int
    is_new: bool
    changes: list[str] = field(default_factory=list)
    given: dict = field(default_factory=dict)  # field -> (value, row) for conflict reports


class Matcher:
    """Matches each row to the organisation and site it describes, remembering what earlier rows said."""

    def __init__(self, records: SavedRecords, rows: list[dict]):
        self.records = records
        self.warnings: list[RowError] = []  # renames taken from a shared postcode, for the preview
        self.organisations: dict[object, FileOrganisation] = {}
        self.seen_sites: dict[object, int] = {}
        # Sites named in the file: a postcode match never takes a site another row names.
        self.names_in_file = {
            (raw.get("organisation", "").lower(), raw.get("site_name", "").lower()) for raw in rows
        }

    def file_organisations(self) -> list[FileOrganisation]:
        """Each organisation the file names, once, in the order the file first names them."""
        return list({id(org): org for org in self.organisations.values()}.values())

    # --- Organisations -------------------------------------------------------------------------

    def organisation(self, row: ParsedRow) -> FileOrganisation | None:
        """The organisation the row names, with the row's values applied; None when it names none."""
        name = row.organisation.get("name")
        if not name:
            return None
        number = row.organisation.get("companies_house_number", "")
        org = self._find_or_add(row.number, name, number, row.organisation.get("kind"))
        for field_name, value in row.organisation.items():
            self._apply(org, row, field_name, value)
        if org.first_row == row.number:
            self._check_unique(org, row, name, number)
        return org

    def _find_or_add(self, number: int, name: str, companies_house_number: str, kind) -> FileOrganisation:
        records = self.records
        saved = (
            companies_house_number and records.organisations_by_number.get(companies_house_number)
        ) or records.organisations_by_name.get(name.lower())
        key = saved.pk if saved else name.lower()
        org = self.organisations.get(key)
        if org is None:
            instance = saved or Organisation(name=name, kind=kind or OrganisationKind.OTHER)
            org = FileOrganisation(instance=instance, first_row=number, is_new=saved is None)
            self.organisations[key] = org
            self.organisations[name.lower()] = org
            if org.is_new:
                instance.slug = records.new_slug("organisation", organisation_slug_base(name))
        return org

    def _apply(self, org: FileOrganisation, row: ParsedRow, field_name: str, value) -> None:
        previous = org.given.get(field_name)
        if previous and previous[0] != value:
            row.error(
                ORGANISATION_FIELD_COLUMNS[field_name],
                f"{display(value)} conflicts with row {previous[1]} ({display(previous[0])}) for the same organisation.",
            )
            return
        org.given.setdefault(field_name, (value, row.number))
        current = getattr(org.instance, field_name)
        if current != value:
            if not org.is_new:
                org.changes.append(f"{field_name}: {display(current)} → {display(value)}")
            setattr(org.instance, field_name, value)

    def _check_unique(self, org: FileOrganisation, row: ParsedRow, name: str, number: str) -> None:
        """A renamed or renumbered organisation must not take another's name or number."""
        other = self.records.organisations_by_name.get(name.lower())
        if other is not None and other.pk != org.instance.pk:
            row.error("organisation", f"Another organisation is already called {name!r}.")
        other = self.records.organisations_by_number.get(number) if number else None
        if other is not None and other.pk != org.instance.pk:
            row.error("companies_house_number", f"{number} belongs to {other.name}.")

    # --- Sites -----------------------------------------------------------------------------------

    def site(self, row: ParsedRow, organisation: FileOrganisation) -> tuple[Site, bool]:
        """The saved site this row describes (by slug, name, or postcode), or a new one; and whether new."""
        name, slug = row.site["name"], row.site.get("slug", "")
        site = self._saved_site(row, organisation, name, slug)
        if site is not None:
            key = site.pk
        elif slug:
            key = ("slug", slug)
            self.records.taken_slugs["site"].add(slug)
        else:
            key = (id(organisation), name.lower())
        if key in self.seen_sites:
            row.error("site_name", f"Duplicate row: row {self.seen_sites[key]} already describes this site.")
        self.seen_sites[key] = row.number
        if site is None:
            return Site(organisation=organisation.instance), True
        return site, False

    def _saved_site(
        self, row: ParsedRow, organisation: FileOrganisation, name: str, slug: str
    ) -> Site | None:
        records, org_pk = self.records, organisation.instance.pk
        if slug:
            site = records.sites_by_slug.get(slug)
            if site is not None and site.organisation_id != org_pk:
                row.error(
                    "slug",
                    f"{slug!r} is a site of {site.organisation.name}, not of {organisation.instance.name}.",
                )
            return site
        if org_pk is None:
            return None
        site = records.sites_by_name.get((org_pk, name.lower()))
        if site is not None or not row.postcode:
            return site
        candidates = records.sites_by_postcode.get((org_pk, row.postcode), [])
        # Only an unambiguous postcode renames a site, and only one that no other row names or
        # has already claimed; otherwise the row is a new site.
        if (
            len(candidates) == 1
            and candidates[0].pk not in self.seen_sites
            and (organisation.instance.name.lower(), candidates[0].name.lower()) not in self.names_in_file
        ):
            # Asked, not assumed: the preview says so, and a new slug makes the row a new site.
            self.warnings.append(
                RowError(
                    row.number,
                    "site_name",
                    f"{name!r} will rename {candidates[0].name!r}, this organisation's only site at "
                    f"{row.postcode}. If it is another site, give it a new slug in the slug column.",
                    kind="rename",
                )
            )
            return candidates[0]
        return None
