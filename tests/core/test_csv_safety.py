"""CSV exports never hand a spreadsheet a formula to run."""

import csv
import io

import openpyxl
import pytest
import tablib

from core import csv_safety
from core.export_formats import SafeCSV, SafeXLSX


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("GSK, Stevenage", "GSK, Stevenage"),
        ("a=b", "a=b"),
        ("", ""),
        # Negative numbers stay numbers, so coordinates still sort and sum.
        ("-0.2019", "-0.2019"),
        # Text with a leading plus is quoted: a spreadsheet would turn "+44" into 44.
        ("+44", "'+44"),
        ("-1.5e3", "-1.5e3"),
        (-0.2019, -0.2019),
        (None, None),
        (12, 12),
    ],
)
def test_safe_cell(value, expected):
    assert csv_safety.safe_cell(value) == expected


def test_writer_guards_every_cell_and_reads_back_as_text():
    buffer = io.StringIO()
    writer = csv_safety.writer(buffer)
    writer.writerow(["name", "longitude"])
    writer.writerows([["=1+2", -0.2], ["Acme", "-1.25"]])
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["name", "longitude"], ["'=1+2", "-0.2"], ["Acme", "-1.25"]]


def test_dict_writer_guards_every_cell():
    buffer = io.StringIO()
    writer = csv_safety.dict_writer(buffer, ["name", "town"])
    writer.writeheader()
    writer.writerow({"name": "@evil", "town": "Ware"})
    assert buffer.getvalue().splitlines() == ["name,town", "'@evil,Ware"]


def test_rows_and_dicts():
    assert csv_safety.safe_row(["=x", "y"]) == ["'=x", "y"]
    assert csv_safety.safe_dict({"a": "+x", "b": 1}) == {"a": "'+x", "b": 1}


def _dataset():
    dataset = tablib.Dataset(headers=["name", "longitude"])
    dataset.append(['=HYPERLINK("http://evil.example")', -0.2])
    dataset.append(["@SUM(A1)", "-1.5"])
    return dataset


def test_admin_csv_exports_are_guarded():
    exported = SafeCSV().export_data(_dataset())
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows == [
        ["name", "longitude"],
        ['\'=HYPERLINK("http://evil.example")', "-0.2"],
        ["'@SUM(A1)", "-1.5"],
    ]


def test_admin_xlsx_exports_hold_text_not_formulae():
    workbook = openpyxl.load_workbook(io.BytesIO(SafeXLSX().export_data(_dataset())))
    cells = [cell for row in workbook.active.iter_rows(min_row=2) for cell in row]
    assert [cell.value for cell in cells] == [
        '\'=HYPERLINK("http://evil.example")',
        -0.2,  # a number stays a number (the library's own escaping turned every cell into text)
        "'@SUM(A1)",
        "-1.5",
    ]
    assert all(cell.data_type != "f" for cell in cells)
