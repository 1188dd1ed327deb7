from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casestudies.demo import case_studies_load_toml
from manufacturers.importing import SitesImportError, sites_import_csv
from workstreams.demo import initiatives_load_toml


class Command(BaseCommand):
    help = "Load the demo landscape (fixtures/): 88 real UK sites, initiatives and case studies. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--fixtures", default=str(Path(settings.BASE_DIR) / "fixtures"))

    def handle(self, *args, fixtures, **options):
        folder = Path(fixtures)
        try:
            report = sites_import_csv(folder / "sites.csv")
        except SitesImportError as error:
            raise CommandError("\n".join(str(row_error) for row_error in error.errors)) from error
        initiatives = initiatives_load_toml(folder / "initiatives.toml")
        case_studies = case_studies_load_toml(folder / "casestudies.toml")
        self.stdout.write(
            self.style.SUCCESS(
                f"Sites: {len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged. Initiatives: {initiatives} created. "
                f"Case studies: {case_studies} created."
            )
        )
