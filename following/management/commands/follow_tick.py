"""Queue what is due for followers: digests, webhook deliveries (once, or every --every seconds)."""

import time

from django.core.management.base import BaseCommand

from following.tasks import tick


class Command(BaseCommand):
    help = "Queue due email digests and webhook deliveries for the worker; --every N repeats it."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds (the scheduler)")

    def handle(self, *args, every, **options):
        while True:
            counts = tick()
            if options["verbosity"] > 1 or not every:
                self.stdout.write(
                    f"{counts['digests']} digests and {counts['deliveries']} deliveries queued; "
                    f"{counts['pruned']} unconfirmed sign-ups forgotten."
                )
            if not every:
                return
            time.sleep(every)
