"""django-import-export resources: the admin's spreadsheet upload, preview and export.

They only adapt: the import runs `sites_import_rows` (the service the `import_sites` command
also calls) and the export `sites_export_dataset`, so admin, command and tests share one
set of rules, one transaction and one row-numbered error report.
"""

import io

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources
from import_export.results import Result, RowResult

from core.export_formats import SafeCSV, SafeXLSX

from .importing import (
    EXPORT_COLUMNS,
    ImportReport,
    SitesImportError,
    rows_from_dataset,
    sites_export_dataset,
    sites_import_rows,
)
from .importing.readers import csv_records
from .models import Site

# The largest file the admin reads (the importer also stops at MAX_ROWS rows).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# An upload is checked within a request: stop well inside gunicorn's 30-second timeout, with a
# message, rather than hold a worker (gthread workers are not killed by that timeout).
UPLOAD_TIME_LIMIT_SECONDS = 20


NOT_UTF8 = (
    "This file is not CSV text in UTF-8. Save it from your spreadsheet as "
    '"CSV UTF-8", or as an Excel workbook (.xlsx) and choose xlsx.'
)


class UnreadableFile(ValueError):
    """A file the admin cannot import, with a message for the person who uploaded it."""


def check_size(in_stream) -> None:
    if len(in_stream) > MAX_UPLOAD_BYTES:
        raise UnreadableFile(
            f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. "
            "Split it into smaller files and import them one after another."
        )


class SpreadsheetCSV(SafeCSV):
    """CSV that keeps blank lines as empty rows, so row numbers match what a spreadsheet shows.

    Exports go through core.export_formats like every file the portal writes: a cell that would
    start a formula gets a leading quote, which the importer takes off again (readers._cell).
    """

    def create_dataset(self, in_stream, **kwargs):
        check_size(in_stream)
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise UnreadableFile(NOT_UTF8) from None
        header, records = csv_records(io.StringIO(in_stream))
        records = list(records)
        dataset = tablib.Dataset()
        if not header and not records:
            return dataset
        dataset.headers = header
        width = len(header)
        for record in records:
            dataset.append((record + [""] * width)[:width])
        return dataset


class SpreadsheetXLSX(SafeXLSX):
    def create_dataset(self, in_stream):
        check_size(in_stream)
        try:
            return super().create_dataset(in_stream)
        except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException)
            raise UnreadableFile(
                "This file could not be read as an Excel workbook (.xlsx). If it is a CSV file, "
                "choose csv; if it is an older .xls or another format, save it as .xlsx first."
            ) from None


SPREADSHEET_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX]

ACTION_IMPORT_TYPES = {
    "created": RowResult.IMPORT_TYPE_NEW,
    "updated": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}


class SheetResult(Result):
    """django-import-export's Result, carrying our ImportReport for the preview template."""

    def __init__(self, report: ImportReport):
        super().__init__()
        self.report = report
        self.diff_headers = ["row", "column", "problem"]
        for error in report.errors:
            self.append_invalid_row(
                error.row,
                {"row": error.row, "column": error.column, "problem": error.message},
                ValidationError({error.column or NON_FIELD_ERRORS: [error.message]}),
            )
            self.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        for row in report.rows:
            row_result = RowResult()
            row_result.import_type = ACTION_IMPORT_TYPES[row.action]
            row_result.object_id = row.site_pk
            row_result.object_repr = row.label
            row_result.diff = [row.row, row.label, "; ".join(row.changes)]
            self.append_row_result(row_result)
            self.totals[row_result.import_type] += 1
        self.total_rows = len(report.rows) + len({error.row for error in report.errors})


class SiteSheetResource(resources.ModelResource):
    """Sites in the landscape spreadsheet's columns (see manufacturers/importing/)."""

    # Declared so the admin's import page lists the columns; the rows themselves go to the service.
    organisation = fields.Field(column_name="organisation")
    organisation_type = fields.Field(column_name="organisation_type")
    site_name = fields.Field(column_name="site_name")
    town = fields.Field(column_name="town")
    postcode_district = fields.Field(column_name="postcode_district")
    region = fields.Field(column_name="region")
    latitude = fields.Field(column_name="latitude")
    longitude = fields.Field(column_name="longitude")
    capabilities = fields.Field(column_name="capabilities")
    technologies = fields.Field(column_name="technologies")
    licence_types = fields.Field(column_name="licence_types")
    licence_basis = fields.Field(column_name="licence_basis")
    website = fields.Field(column_name="website")
    source = fields.Field(column_name="source")
    confidence = fields.Field(column_name="confidence")
    slug = fields.Field(column_name="slug")
    companies_house_number = fields.Field(column_name="companies_house_number")
    status = fields.Field(column_name="status")

    class Meta:
        name = "Sites (landscape spreadsheet)"
        model = Site
        fields = EXPORT_COLUMNS  # the declared columns only, never the model's own fields

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        try:
            report = sites_import_rows(
                rows_from_dataset(dataset),
                dry_run=dry_run,
                by=kwargs.get("user"),
                source_name=kwargs.get("file_name") or "",
                time_limit=UPLOAD_TIME_LIMIT_SECONDS,
            )
        except SitesImportError as refused:
            if raise_errors:
                raise
            report = refused.report or ImportReport(errors=refused.errors)
        return SheetResult(report)

    def export(self, queryset=None, **kwargs):
        return sites_export_dataset(Site.objects.all() if queryset is None else queryset)


class OrganisationSheetResource(SiteSheetResource):
    """The sites of the chosen organisations, in the same columns: export only."""

    class Meta:
        name = "Sites of these organisations (landscape spreadsheet)"
        model = Site
        fields = EXPORT_COLUMNS

    def export(self, queryset=None, **kwargs):
        sites = Site.objects.all() if queryset is None else Site.objects.filter(organisation__in=queryset)
        return sites_export_dataset(sites)
