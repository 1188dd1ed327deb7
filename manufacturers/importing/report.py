"""What an import tells its caller: every problem by row and column, and what each row does."""

from dataclasses import dataclass, field


@dataclass
class RowError:
    """One problem in an uploaded file, where a spreadsheet user would find it."""

    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    message: str
    kind: str = ""  # for warnings: "duplicate", "rename" or "closed_site", to count and bound them

    def __str__(self):
        return f"Row {self.row}, column {self.column}: {self.message}"


@dataclass
class RowResult:
    """What the import does (or would do) with one row of the file."""

    row: int
    action: str  # "created", "updated" or "unchanged"
    label: str
    changes: list[str] = field(default_factory=list)  # "town: Ware → Hertford"
    site_pk: int | None = None


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # the first WARNINGS_PER_KIND of each kind
    warnings_left_off: dict[str, int] = field(default_factory=dict)  # kind -> how many more
    rows: list[RowResult] = field(default_factory=list)
    organisations_created: list[str] = field(default_factory=list)
    organisations_updated: list[str] = field(default_factory=list)
    dry_run: bool = False


# A preview shows this many warnings of each kind and counts the rest: a file of 4,000 rows at one
# postcode must not build a page of 4,000 warnings.
WARNINGS_PER_KIND = 20


def bounded_warnings(found: list[RowError]) -> tuple[list[RowError], dict[str, int]]:
    """The first WARNINGS_PER_KIND warnings of each kind, in row order, and how many were left off."""
    kept, left_off = [], {}
    seen: dict[str, int] = {}
    for warning in sorted(found, key=lambda warning: warning.row):
        seen[warning.kind] = seen.get(warning.kind, 0) + 1
        if seen[warning.kind] <= WARNINGS_PER_KIND:
            kept.append(warning)
        else:
            left_off[warning.kind] = left_off.get(warning.kind, 0) + 1
    return kept, left_off


class SitesImportError(Exception):
    """The file was refused: nothing was written. `errors` lists every problem, `report` the rest."""

    def __init__(self, errors: list[RowError], report: ImportReport | None = None):
        self.errors = errors
        self.report = report
        super().__init__("; ".join(str(error) for error in errors))


def display(value) -> str:
    """A value as a change list shows it: sets sorted and joined, blanks named."""
    if isinstance(value, list | tuple | set):
        return ", ".join(sorted(str(item) for item in value)) or "(none)"
    if value in (None, ""):
        return "(blank)"
    return str(value)
