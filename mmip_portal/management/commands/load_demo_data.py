from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casestudies.demo import case_studies_load_toml
from manufacturers.importing import SitesImportError, sites_import_csv
from manufacturers.models import Organisation
from manufacturers.services import organisations_merge
from workstreams.demo import initiatives_load_toml

# Organisations earlier demo data held twice under two names (the first is folded into the
# second), so a database loaded before keeps working: merged first, the rows then match.
DEMO_MERGES = [
    ("CPI", "CPI (Centre for Process Innovation)"),
    ("Autolus", "Autolus Therapeutics"),
    ("MHRA", "Medicines and Healthcare products Regulatory Agency (MHRA)"),
    ("Catalent (site built as the Vaccines Manufacturing Innovation Centre)", "Catalent"),
    ("Charles River Laboratories", "Charles River Laboratories (formerly Cobra Biologics)"),
    ("Veranova (formerly Johnson Matthey)", "Veranova (formerly Macfarlan Smith / Johnson Matthey)"),
    ("Accord Healthcare", "Accord-UK (Accord Healthcare / Intas)"),
]


def merge_demo_duplicates() -> int:
    merged = 0
    for old, keep in DEMO_MERGES:
        organisations = {obj.name: obj for obj in Organisation.objects.filter(name__in=[old, keep])}
        if len(organisations) == 2:
            organisations_merge(keep=organisations[keep], merge=organisations[old], by=None)
            merged += 1
    return merged


class Command(BaseCommand):
    help = "Load the demo landscape (fixtures/): 161 real UK sites, initiatives and case studies. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--fixtures", default=str(Path(settings.BASE_DIR) / "fixtures"))

    def handle(self, *args, fixtures, **options):
        folder = Path(fixtures)
        merged = merge_demo_duplicates()
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
                f"Case studies: {case_studies} created. Duplicate organisations merged: {merged}."
            )
        )
