"""The landscape spreadsheet: reading CSV and XLSX files, importing them, and exporting sites.

columns    the columns, their other spellings, separators and the organisation type words
readers    CSV and XLSX files into one dict per row
parsing    one row into values and every problem in its cells (no database)
loading    what a file's rows can match in the database, read in batches
matching   rows to saved organisations and sites; rows that contradict each other
planning   created, updated or unchanged, with what changes; the warnings
writing    the transaction
report     ImportReport, RowError, RowResult, SitesImportError
importer   SiteImporter and the entry points, sites_import_rows/_csv/_file
exporting  sites in the spreadsheet's columns
"""

from .columns import (
    COLUMN_ALIASES,
    COLUMNS,
    EXPORT_COLUMNS,
    OPTIONAL_COLUMNS,
    ORGANISATION_FIELD_COLUMNS,
    ORGANISATION_TYPE_LABELS,
    REQUIRED_COLUMNS,
    SITE_FIELD_COLUMNS,
    SLUG_SEPARATOR,
    SOURCE_SEPARATOR,
    normalise_header,
    organisation_kind,
    organisation_type_label,
)
from .exporting import site_export_row, sites_export_dataset, sites_for_export
from .importer import SiteImporter, sites_import_csv, sites_import_file, sites_import_rows
from .parsing import normalise_postcode
from .readers import rows_from_csv, rows_from_dataset, rows_from_table, rows_from_xlsx
from .report import ImportReport, RowError, RowResult, SitesImportError

__all__ = [
    "COLUMNS",
    "COLUMN_ALIASES",
    "EXPORT_COLUMNS",
    "OPTIONAL_COLUMNS",
    "ORGANISATION_FIELD_COLUMNS",
    "ORGANISATION_TYPE_LABELS",
    "REQUIRED_COLUMNS",
    "SITE_FIELD_COLUMNS",
    "SLUG_SEPARATOR",
    "SOURCE_SEPARATOR",
    "ImportReport",
    "RowError",
    "RowResult",
    "SiteImporter",
    "SitesImportError",
    "normalise_header",
    "normalise_postcode",
    "organisation_kind",
    "organisation_type_label",
    "rows_from_csv",
    "rows_from_dataset",
    "rows_from_table",
    "rows_from_xlsx",
    "site_export_row",
    "sites_export_dataset",
    "sites_for_export",
    "sites_import_csv",
    "sites_import_file",
    "sites_import_rows",
]
