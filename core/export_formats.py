"""django-import-export formats whose exports are guarded against spreadsheet formula injection.

Admin classes that export use these instead of the library's own (`formats = [SafeCSV, SafeXLSX]`
on an ExportMixin admin, or EXPORT_FORMATS). The library's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT
stays off: it strips a leading "=" (changing the value) and turns every cell into text.
"""

import tablib
from import_export.formats import base_formats

from .csv_safety import safe_row


def safe_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of `dataset` in which no cell can start a formula."""
    guarded = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        guarded.append(safe_row(row))
    return guarded


class SafeCSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        return super().export_data(safe_dataset(dataset), **kwargs)


class SafeXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        return super().export_data(safe_dataset(dataset), **kwargs)
