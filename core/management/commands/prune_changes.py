"""Delete changes-feed entries older than CHANGES_RETENTION_DAYS (run daily, like any housekeeping)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.changes import Change, changes_pruned


class Command(BaseCommand):
    help = "Delete changes-feed entries (tombstones included) older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep this many days instead of CHANGES_RETENTION_DAYS ({settings.CHANGES_RETENTION_DAYS}).",
        )

    def handle(self, *args, days=None, **options):
        days = settings.CHANGES_RETENTION_DAYS if days is None else days
        if days < 1:
            self.stderr.write("Keep at least one day: a mirror needs time to catch up.")
            return
        before = timezone.now() - timedelta(days=days)
        deleted, _by_model = Change.objects.filter(recorded_at__lt=before).delete()
        changes_pruned.send(sender=Change, before=before)
        self.stdout.write(f"Deleted {deleted} changes older than {days} days.")
