"""Building landscape spreadsheets (CSV and XLSX) for import tests."""

import contextlib
import csv
import io

from manufacturers.importing import COLUMNS

STEVENAGE = {
    "town": "Stevenage",
    "postcode_district": "SG1",
    "region": "East of England",
    "latitude": "51.9017",
    "longitude": "-0.2019",
}
CARDIFF = {
    "town": "Cardiff",
    "postcode_district": "CF10",
    "region": "Wales",
    "latitude": "51.4816",
    "longitude": "-3.1791",
}


def sheet_row(**values) -> dict:
    """A valid row (a new CDMO site in Stevenage) with `values` changed."""
    row = {
        "organisation": "Acme Biologics",
        "organisation_type": "CDMO",
        "site_name": "Gunnels Wood Road",
        **STEVENAGE,
        "capabilities": "sterile_injectables;aseptic_fill_finish",
        "technologies": "continuous_manufacturing",
        "licence_types": "mia",
        "licence_basis": "confirmed",
        "website": "acme.example.com",
        "source": "https://www.example.com/acme | https://www.example.org/news",
        "confidence": "high",
    }
    row.update(values)
    return row


def csv_text(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or list(COLUMNS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def xlsx_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    """An Excel workbook, with coordinates as numbers the way a spreadsheet keeps them."""
    import openpyxl

    columns = columns or list(COLUMNS)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column, "")
            if column in ("latitude", "longitude") and value not in ("", None):
                with contextlib.suppress(ValueError):
                    value = float(value)
            values.append(value if value != "" else None)
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
