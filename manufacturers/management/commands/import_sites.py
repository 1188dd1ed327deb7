from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from manufacturers.importing import SitesImportError, sites_import_file


class Command(BaseCommand):
    help = (
        "Import organisations and sites from a CSV or XLSX file in the landscape spreadsheet's columns. "
        "Any error refuses the whole file (exit status 1) and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change without writing anything"
        )

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.suffix.lower() not in {".csv", ".xlsx"}:
            raise CommandError("The file must be a .csv or an .xlsx file.")
        try:
            report = sites_import_file(path, dry_run=dry_run)
        except SitesImportError as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{path.name} was refused: {len(refused.errors)} problem(s), nothing written."
            ) from refused
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        for kind, count in report.warnings_left_off.items():
            self.stdout.write(
                self.style.WARNING(f"And {count} more warnings of this kind ({kind}), not listed.")
            )
        if options["verbosity"] >= 2:
            for row in report.rows:
                if row.action != "unchanged":
                    detail = f" ({'; '.join(row.changes)})" if row.changes else ""
                    self.stdout.write(f"Row {row.row}: {row.action} {row.label}{detail}")
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Dry run: ' if dry_run else ''}{len(report.created)} sites {verb} created, "
                f"{len(report.updated)} updated, {len(report.unchanged)} unchanged; "
                f"{len(report.organisations_created)} organisations {verb} created."
            )
        )
