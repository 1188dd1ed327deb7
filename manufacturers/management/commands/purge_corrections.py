from django.conf import settings
from django.core.management.base import BaseCommand

from manufacturers.services import corrections_purge_personal_data


class Command(BaseCommand):
    help = (
        "Erase the email on corrections older than CORRECTION_EMAIL_RETENTION_DAYS (the privacy note's "
        "promise). Run it daily."
    )

    def handle(self, *args, **options):
        count = corrections_purge_personal_data()
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased the email of {count} corrections older than "
                f"{settings.CORRECTION_EMAIL_RETENTION_DAYS} days."
            )
        )
