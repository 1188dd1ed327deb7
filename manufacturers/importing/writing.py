"""Writing a checked file: bulk inserts and updates, each with its history records, in one transaction.

Bulk writes send no save signals, so the landscape's cached reads are invalidated here, once,
when the transaction commits. The site search vector is kept by its trigger.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.cache import bump_landscape_version

from ..models import Licence, Organisation, Site
from ..services import HISTORY_REASON_LENGTH, stamp_history
from .loading import SavedRecords, chunks
from .matching import FileOrganisation
from .planning import PlannedRow

BATCH_SIZE = 500


class Writer:
    """One import's writes: who made them, why, and the saved rows they change."""

    def __init__(self, *, records: SavedRecords, by=None, source_name: str = ""):
        self.records = records
        self.by = by
        self.reason = f"Import {source_name}".strip() if source_name else "Spreadsheet import"
        self.history = {"default_user": by, "default_change_reason": self.reason[:HISTORY_REASON_LENGTH]}
        self.now = timezone.now()

    @transaction.atomic
    def write(self, planned: list[PlannedRow], organisations: list[FileOrganisation]) -> None:
        self.organisations(organisations)
        new_rows = [row for row in planned if row.is_new]
        # Sites that changed in any way are saved, even when only capabilities or licences
        # changed, so each site's history shows the import (with what changed in its reason).
        updated = [row for row in planned if not row.is_new and row.changes]
        self.sites(new_rows, updated)
        self.taxonomies(new_rows, updated)
        self.licences(new_rows, updated)
        bump_landscape_version()

    def organisations(self, organisations: list[FileOrganisation]) -> None:
        new = [org.instance for org in organisations if org.is_new]
        bulk_create_with_history(new, Organisation, batch_size=BATCH_SIZE, **self.history)
        changed = [org for org in organisations if not org.is_new and org.changes]
        if not changed:
            return
        fields = {name for org in changed for name in org.given}
        for org in changed:
            org.instance.updated_at = self.now
            org.instance.version += 1  # an editor who opened it before the import must reload
            stamp_history(org.instance, by=self.by, reason=self.reason)
        bulk_update_with_history(
            [org.instance for org in changed],
            Organisation,
            sorted(fields | {"updated_at", "version"}),
            batch_size=BATCH_SIZE,
            **self.history,
        )

    def sites(self, new_rows: list[PlannedRow], updated: list[PlannedRow]) -> None:
        for row in new_rows:
            row.site.organisation = row.organisation.instance  # now saved, with a pk
        bulk_create_with_history([row.site for row in new_rows], Site, batch_size=BATCH_SIZE, **self.history)
        if not updated:
            return
        for row in updated:
            detail = ", ".join(dict.fromkeys(change.split(":")[0] for change in row.changes))
            row.site.updated_at = self.now
            row.site.version += 1
            stamp_history(row.site, by=self.by, reason=f"{self.reason}: {detail}")
        fields = {name for row in updated for name in row.changed_fields}
        bulk_update_with_history(
            [row.site for row in updated],
            Site,
            sorted(fields | {"updated_at", "version"}),
            batch_size=BATCH_SIZE,
            **self.history,
        )

    def taxonomies(self, new_rows: list[PlannedRow], updated: list[PlannedRow]) -> None:
        """Capabilities and technologies: a changed site's links are replaced, not patched."""
        for column, target in (("capabilities", "capability_id"), ("technologies", "technology_id")):
            model = getattr(Site, column).through
            replaced = [
                row
                for row in updated
                if column in row.m2m and self.records.site_m2m[column][row.site.pk] != row.m2m[column]
            ]
            for chunk in chunks([row.site.pk for row in replaced]):
                model.objects.filter(site_id__in=chunk).delete()
            model.objects.bulk_create(
                [
                    model(site_id=row.site.pk, **{target: pk})
                    for row in [*new_rows, *replaced]
                    for pk in row.m2m.get(column, ())
                ],
                batch_size=1000,
            )

    def licences(self, new_rows: list[PlannedRow], updated: list[PlannedRow]) -> None:
        new_licences = [
            Licence(site=row.site, licence_type_id=type_pk, basis=basis)
            for row in new_rows
            for type_pk, basis in (row.licences or {}).items()
        ]
        changed = []
        for row in updated:
            if row.licences is not None:
                new_licences += self._replace_licences(row, changed)
        if changed:
            bulk_update_with_history(
                changed, Licence, ["basis", "updated_at"], batch_size=BATCH_SIZE, **self.history
            )
        bulk_create_with_history(new_licences, Licence, batch_size=BATCH_SIZE, **self.history)

    def _replace_licences(self, row: PlannedRow, changed: list[Licence]) -> list[Licence]:
        """The row's licences that are new; deletes those it no longer lists, collects changed bases."""
        saved = self.records.site_licences[row.site.pk]
        for type_pk in saved.keys() - row.licences.keys():
            # Few and rare: deleted one by one so each leaves its history record.
            stamp_history(saved[type_pk], by=self.by, reason=self.reason)
            saved[type_pk].delete()
        new = []
        for type_pk, basis in row.licences.items():
            licence = saved.get(type_pk)
            if licence is None:
                new.append(Licence(site=row.site, licence_type_id=type_pk, basis=basis))
            elif licence.basis != basis:
                licence.basis = basis
                licence.updated_at = self.now
                stamp_history(licence, by=self.by, reason=self.reason)
                changed.append(licence)
        return new
