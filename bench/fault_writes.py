"""Writes in flight through a database fault: each one commits whole or fails with an error, never half.

During the PostgreSQL phase a writer saves, a few times a second, a new organisation and its
first site in one transaction through the services staff use (organisation_save, site_save), each
named with its own marker. After the recovery the database is asked, per marker, how many of its
rows exist (the organisation, the site and their history rows): all of them or none; and every
write the writer was told had committed must be there.
"""

from __future__ import annotations

import threading
import time
import uuid

SITE_FIELDS = (
    "town",
    "postcode",
    "region_id",
    "latitude",
    "longitude",
    "status",
    "confidence",
    "source_urls",
)
# Rows one write makes: the organisation, its history record, the site, its history record.
ROWS_PER_WRITE = 4
DEFAULT_INTERVAL = 0.25


class Writes:
    """The writer (`run`, in a thread until `stop` is set) and the check after the fault (`verify`)."""

    def __init__(self, interval: float = DEFAULT_INTERVAL):
        self.interval = interval
        self.prefix = f"Fault write {uuid.uuid4().hex[:8]}"
        self.attempts: dict[str, str] = {}  # marker → "committed" or the error's class name

    def write_one(self, marker: str, template) -> None:
        from django.db import transaction

        from manufacturers.models import Organisation, Site
        from manufacturers.services import organisation_save, site_save

        with transaction.atomic():
            organisation = organisation_save(organisation=Organisation(name=marker), reason="fault test")
            fields = {name: getattr(template, name) for name in SITE_FIELDS}
            site_save(site=Site(organisation=organisation, name="Main site", **fields), reason="fault test")

    def run(self, stop: threading.Event) -> None:
        from django.db import Error, connection

        from manufacturers.models import Site

        template = Site.objects.order_by("pk").first()
        number = 0
        try:
            while not stop.is_set():
                number += 1
                marker = f"{self.prefix} {number:04d}"
                try:
                    self.write_one(marker, template)
                    self.attempts[marker] = "committed"
                except Error as error:
                    self.attempts[marker] = type(error).__name__
                    connection.close()  # a broken connection is replaced on the next write
                stop.wait(self.interval)
        finally:
            connection.close()

    def rows_of(self, markers: list[str]) -> dict[str, int]:
        """Per marker, how many of a write's rows the database holds."""
        from django.db.models import Count

        from manufacturers.models import Organisation, Site

        rows = dict.fromkeys(markers, 0)
        organisations = Organisation.objects.filter(name__in=markers)
        for name in organisations.values_list("name", flat=True):
            rows[name] += 1
        for name in Organisation.history.filter(name__in=markers).values_list("name", flat=True):
            rows[name] += 1
        sites = Site.objects.filter(organisation__name__in=markers).values("organisation__name")
        for row in sites.annotate(count=Count("pk")):
            rows[row["organisation__name"]] += row["count"]
        site_history = Site.history.filter(organisation__name__in=markers).values("organisation__name")
        for row in site_history.annotate(count=Count("history_id")):
            rows[row["organisation__name"]] += row["count"]
        return rows

    def verify(self, *, attempts: int = 20, pause: float = 1.0) -> dict:
        """After the recovery: whole or absent, and every reported commit present; the rows removed."""
        from django.db import Error, connection

        markers = sorted(self.attempts)
        for attempt in range(attempts):
            try:
                rows = self.rows_of(markers)
                break
            except Error:
                connection.close()
                if attempt == attempts - 1:
                    raise
                time.sleep(pause)
        return self.verdict(rows) | {"cleaned_up": self.clean_up(markers)}

    def verdict(self, rows: dict[str, int]) -> dict:
        committed = [m for m, outcome in self.attempts.items() if outcome == "committed"]
        failed = [m for m, outcome in self.attempts.items() if outcome != "committed"]
        half = [m for m, count in rows.items() if count not in (0, ROWS_PER_WRITE)]
        lost = [m for m in committed if rows.get(m) != ROWS_PER_WRITE]
        problems = []
        if half:
            problems.append(f"{len(half)} write(s) left part of their rows ({', '.join(half[:3])})")
        if lost:
            problems.append(f"{len(lost)} write(s) reported as committed are missing ({', '.join(lost[:3])})")
        errors: dict[str, int] = {}
        for marker in failed:
            errors[self.attempts[marker]] = errors.get(self.attempts[marker], 0) + 1
        return {
            "attempted": len(self.attempts),
            "committed": len(committed),
            "failed_with_error": len(failed),
            "errors": dict(sorted(errors.items())),
            # An error on COMMIT can hide a commit that happened; whole, so not a loss.
            "failed_but_present": sum(rows.get(m) == ROWS_PER_WRITE for m in failed),
            "half_written": len(half),
            "lost": len(lost),
            "problems": problems,
            "passed": not problems and bool(committed),
        }

    def clean_up(self, markers: list[str]) -> int:
        """Remove the run's organisations (their sites go with them) and the history rows."""
        from manufacturers.models import Organisation, Site

        ids = list(Organisation.objects.filter(name__in=markers).values_list("pk", flat=True))
        Site.objects.filter(organisation_id__in=ids).delete()
        deleted, _ = Organisation.objects.filter(pk__in=ids).delete()
        Site.history.filter(organisation_id__in=ids).delete()
        Organisation.history.filter(name__in=markers).delete()
        return deleted
