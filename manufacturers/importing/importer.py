"""The SiteImporter, and the import's entry points for rows, a CSV file, or a CSV or XLSX file.

Every row is checked before anything is written; any error refuses the whole file
(SitesImportError lists them all) and writes nothing. Re-importing the same rows changes
nothing. A column missing from a file leaves that attribute alone; a column present but empty in
a row clears it (organisation columns excepted: an empty ``organisation_type``, ``website`` or
``companies_house_number`` leaves the organisation's as it is, because many rows share one).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from . import planning
from .columns import EXPORT_COLUMNS, REQUIRED_COLUMNS
from .loading import SavedRecords, load_vocabulary
from .matching import Matcher
from .parsing import parse_row
from .readers import rows_from_csv, rows_from_xlsx
from .report import ImportReport, RowError, SitesImportError, bounded_warnings
from .writing import StaleRecords, Writer

# Bounds on one import, so a huge or pathological file gets a clear answer rather than holding a
# worker: checking is linear in rows (about 2,000 a second here), so both leave a wide margin.
MAX_ROWS = 20_000
TIME_LIMIT_MESSAGE = (
    "Checking the file took more than %(seconds)s seconds; it stopped at row %(row)s and nothing has "
    "been written. Split the file into smaller ones and import them one after another."
)


class SiteImporter:
    """Validate every row of a landscape spreadsheet, then write all of it or none of it."""

    def __init__(self, *, by=None, source_name: str = "", time_limit: float | None = None):
        self.by = by
        self.time_limit = time_limit
        self.source_name = source_name
        self.report = ImportReport()

    def run(self, rows: Iterable[dict], *, dry_run: bool = False) -> ImportReport:
        rows = list(itertools.islice(rows, MAX_ROWS + 1))
        if len(rows) > MAX_ROWS:
            message = (
                f"The file has more than {MAX_ROWS:,} rows. Split it into files of at most {MAX_ROWS:,} rows."
            )
            raise SitesImportError([RowError(1, "", message)])
        self.deadline = None if self.time_limit is None else time.monotonic() + self.time_limit
        self.vocabulary = load_vocabulary()
        regions_by_pk = {region.pk: region for region in self.vocabulary.shapes.regions}
        self.records = SavedRecords.load(rows, regions_by_pk=regions_by_pk)
        self.report.dry_run = dry_run
        matcher = Matcher(self.records, rows)
        planned = self._plan(rows, matcher)
        found = planning.warnings(planned, self.records.site_points(), matcher.warnings)
        found += planning.organisation_warnings(matcher.file_organisations())
        self.report.warnings, self.report.warnings_left_off = bounded_warnings(found)
        if self.report.errors:
            self.report.errors.sort(key=lambda error: error.row)
            raise SitesImportError(self.report.errors, self.report)
        self.organisations = matcher.file_organisations()
        planning.fill_report(self.report, planned, self.organisations)
        if not dry_run:
            try:
                self._write(planned)
            except (IntegrityError, ValidationError, StaleRecords) as conflict:
                # Someone changed the same organisations or sites between the checks and the
                # writes; the transaction has rolled back, so the file can simply be tried again.
                error = RowError(
                    1,
                    "",
                    "The data changed while the file was being imported. Nothing was written; import it again.",
                )
                raise SitesImportError([error], self.report) from conflict
            for result, row in zip(self.report.rows, planned, strict=True):
                result.site_pk = row.site.pk
        return self.report

    def _plan(self, rows: list[dict], matcher: Matcher) -> list[planning.PlannedRow]:
        planned, columns = [], None
        for number, raw in enumerate(rows, start=2):
            if columns is None:
                columns = set(raw)
                if not self._check_header(columns):
                    break
            if not any(raw.values()):
                continue  # a blank line between blocks of rows
            if self.deadline is not None and time.monotonic() > self.deadline:
                message = TIME_LIMIT_MESSAGE % {"row": number, "seconds": self.time_limit}
                self.report.errors.append(RowError(number, "", message))
                break
            row = self._plan_row(number, raw, columns, matcher)
            if row is not None:
                planned.append(row)
        if columns is None:
            self.report.errors.append(RowError(1, "", "The file has no rows under the header."))
        return planned

    def _plan_row(
        self, number: int, raw: dict, columns: set[str], matcher: Matcher
    ) -> planning.PlannedRow | None:
        """The row checked, matched and diffed; None (its problems in the report) when it has any."""
        row = parse_row(number, raw, columns=columns, vocabulary=self.vocabulary)
        organisation = matcher.organisation(row)
        site, is_new = None, False
        if organisation is not None and row.can_match_site:
            site, is_new = matcher.site(row, organisation)
        if row.errors:
            self.report.errors.extend(row.errors)
            return None
        return planning.plan_row(
            row, organisation, site, is_new=is_new, records=self.records, vocabulary=self.vocabulary
        )

    def _check_header(self, columns: set[str]) -> bool:
        for column in sorted(columns - set(EXPORT_COLUMNS)):
            self.report.errors.append(
                RowError(
                    1, column, f"Unknown column {column!r}. The columns are: {', '.join(EXPORT_COLUMNS)}."
                )
            )
        for column in REQUIRED_COLUMNS:
            if column not in columns:
                self.report.errors.append(RowError(1, column, "This column is missing."))
        return not self.report.errors

    def _write(self, planned: list[planning.PlannedRow]) -> None:
        Writer(records=self.records, by=self.by, source_name=self.source_name).write(
            planned, self.organisations
        )


def sites_import_rows(
    rows: Iterable[dict],
    *,
    dry_run: bool = False,
    by=None,
    source_name: str = "",
    time_limit: float | None = None,
) -> ImportReport:
    """Create or update organisations and sites from rows in the landscape spreadsheet's columns.

    The first row given is row 2 of the file (under the header). Every row is checked before
    anything is written; any error refuses the whole file (SitesImportError lists them all) and
    writes nothing. Re-importing the same rows changes nothing. A dry run reports what would
    be created, updated or left alone without writing. With `time_limit` (seconds), checking that
    takes longer stops and refuses the file (the admin's upload; commands take their time).
    """
    return SiteImporter(by=by, source_name=source_name, time_limit=time_limit).run(rows, dry_run=dry_run)


def sites_import_csv(path: Path | str, *, dry_run: bool = False, by=None) -> ImportReport:
    path = Path(path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return sites_import_rows(rows_from_csv(handle), dry_run=dry_run, by=by, source_name=path.name)


def sites_import_file(path: Path | str, *, dry_run: bool = False, by=None) -> ImportReport:
    """Import a .csv or .xlsx file (by its extension); see sites_import_rows."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return sites_import_rows(
            rows_from_xlsx(path.read_bytes()), dry_run=dry_run, by=by, source_name=path.name
        )
    return sites_import_csv(path, dry_run=dry_run, by=by)
