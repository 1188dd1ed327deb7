from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.data_load import bench_data_load, data_marker, loaded_marker


class Command(BaseCommand):
    help = (
        "Replace all organisations and sites with N generated ones (the scale benchmark's data). "
        "Refuses any database whose name does not contain 'bench': run it through `make bench-data`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, default=10_000, help="how many sites (default 10,000)")
        parser.add_argument("--seed", type=int, default=1, help="the random seed (default 1)")
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="do nothing when the database already holds the data of this size, seed and generator",
        )
        parser.add_argument(
            "--keep-trigger",
            action="store_true",
            help="let the search-vector trigger run for each row (slower; to measure its cost)",
        )

    def handle(self, *args, sites, seed, if_changed, keep_trigger, **options):
        name = connection.settings_dict["NAME"]
        # It truncates the site and organisation tables: never on the demo or a test database.
        if "bench" not in name:
            raise CommandError(f"Database {name!r} is not a bench database; set DATABASE_URL to one.")
        if sites < 1:
            raise CommandError("--sites must be at least 1.")
        if if_changed and loaded_marker() == data_marker(sites=sites, seed=seed):
            self.stdout.write(f"{name} already holds {sites:,} sites from seed {seed}.")
            return
        report = bench_data_load(sites=sites, seed=seed, keep_trigger=keep_trigger)
        timings = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.seconds.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{name}: {report.sites:,} sites ({report.clustered:,} clustered round towns), "
                f"{report.organisations:,} organisations, {report.capabilities:,} capabilities, "
                f"{report.technologies:,} technologies, {report.licences:,} licences "
                f"in {report.total_seconds:.1f} s ({timings})."
            )
        )
