"""Writing a checked file in one transaction, set-based.

Each table's rows are COPYed into a temporary staging table and merged from there with one
statement: new rows by one INSERT … SELECT (their ids taken from the sequence beforehand, so sites
can name their new organisations and links their new sites), changed rows by one UPDATE … FROM
that also checks each row's version, and each table's history records by one INSERT … SELECT of
the rows as written. The database keeps the rest (triggers): the site search vectors, the id
arrays, the site states. A row another writer changed since the file was checked makes the whole
write fail (StaleRecords), and nothing is written.

Bulk writes send no save signals, so the landscape's cached reads are invalidated here, once.

The SQL is composed from model Meta (tables, columns), quoted; every value is a parameter or COPY
data, never part of a statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models, transaction
from django.utils import timezone

from core.cache import bump_landscape_version
from core.copy import copy_rows, next_ids, quote_name, staging_table

from ..models import Licence, Organisation, Site
from ..services import HISTORY_REASON_LENGTH
from .loading import SavedRecords
from .matching import FileOrganisation
from .planning import PlannedRow

CREATED, CHANGED, DELETED = "+", "~", "-"  # simple_history's history_type


class StaleRecords(Exception):
    """Another writer changed rows of the file between its checks and its writes."""


def _written_fields(model) -> list[models.Field]:
    """The columns a new row gives: every concrete column but those the database generates.

    Their values go to COPY as the instances hold them (core.copy writes text, numbers, dates,
    times and lists as PostgreSQL reads them): these models have no field whose database value
    differs from its Python one, and asking each field costs more than the rest of the COPY.
    """
    return [field for field in model._meta.concrete_fields if not field.generated]


def _history_columns(model) -> list[str]:
    """The columns a history record copies from its row (simple_history's own are history_*)."""
    history = model.history.model
    return [field.column for field in history._meta.concrete_fields if not field.name.startswith("history_")]


class Writer:
    """One import's writes: who made them, why, and the saved rows they change."""

    def __init__(self, *, records: SavedRecords, by=None, source_name: str = ""):
        self.records = records
        self.user_id = getattr(by, "pk", None)
        self.reason = f"Import {source_name}".strip() if source_name else "Spreadsheet import"
        self.now = timezone.now()

    @transaction.atomic
    def write(self, planned: list[PlannedRow], organisations: list[FileOrganisation]) -> None:
        with connection.cursor() as cursor:
            self.cursor = cursor
            self.organisations(organisations)
            new_rows = [row for row in planned if row.is_new]
            # Sites that changed in any way are saved, even when only capabilities or licences
            # changed, so each site's history shows the import (with what changed in its reason).
            updated = [row for row in planned if not row.is_new and row.changes]
            for row in new_rows:
                row.site.organisation = row.organisation.instance  # now with its id
            self._take_ids(Site, [row.site for row in new_rows])
            # A new site's links are written before the site (foreign keys are checked at
            # commit): its insert triggers then compute its search vector and id arrays from
            # them, and the row is written once, not once more per link table by the links'
            # statement triggers; the changes record gets one "created" per new site.
            self.taxonomies(new_rows, updated)
            self.licences(new_rows, updated)
            self.sites(new_rows, updated)
        bump_landscape_version()

    # --- Tables ----------------------------------------------------------------------------------

    def organisations(self, organisations: list[FileOrganisation]) -> None:
        self._insert(Organisation, [org.instance for org in organisations if org.is_new])
        changed = [org for org in organisations if not org.is_new and org.changes]
        fields = sorted({name for org in changed for name in org.given})
        self._update(Organisation, [org.instance for org in changed], fields, [self.reason] * len(changed))

    def sites(self, new_rows: list[PlannedRow], updated: list[PlannedRow]) -> None:
        self._insert(Site, [row.site for row in new_rows])
        reasons = []
        for row in updated:
            detail = ", ".join(dict.fromkeys(change.split(":")[0] for change in row.changes))
            reasons.append(f"{self.reason}: {detail}")
        fields = sorted({name for row in updated for name in row.changed_fields})
        self._update(Site, [row.site for row in updated], fields, reasons)

    def taxonomies(self, new_rows: list[PlannedRow], updated: list[PlannedRow]) -> None:
        """Capabilities and technologies: a changed site's links are replaced, not patched."""
        for column, target in (("capabilities", "capability_id"), ("technologies", "technology_id")):
            through = getattr(Site, column).through._meta.db_table
            replaced = [
                row
                for row in updated
                if column in row.m2m and self.records.site_m2m[column][row.site.pk] != row.m2m[column]
            ]
            if replaced:
                self.cursor.execute(
                    f"DELETE FROM {quote_name(through)} WHERE site_id = ANY(%s)",  # noqa: S608 (see the module)
                    [[row.site.pk for row in replaced]],
                )
            links = [
                (row.site.pk, pk) for row in [*new_rows, *replaced] for pk in sorted(row.m2m.get(column, ()))
            ]
            if links:
                with staging_table(
                    self.cursor, "import_links", like=through, columns=["site_id", target]
                ) as staging:
                    copy_rows(self.cursor, staging, ["site_id", target], links)
                    self.cursor.execute(
                        f"INSERT INTO {quote_name(through)} (site_id, {target}) "  # noqa: S608
                        f"SELECT site_id, {target} FROM {staging} ORDER BY site_id, {target}"
                    )

    def licences(self, new_rows: list[PlannedRow], updated: list[PlannedRow]) -> None:
        new = [
            Licence(site=row.site, licence_type_id=type_pk, basis=basis)
            for row in new_rows
            for type_pk, basis in (row.licences or {}).items()
        ]
        changed, gone = [], []
        for row in updated:
            if row.licences is None:
                continue
            saved = self.records.site_licences[row.site.pk]
            gone += [saved[type_pk] for type_pk in saved.keys() - row.licences.keys()]
            for type_pk, basis in row.licences.items():
                licence = saved.get(type_pk)
                if licence is None:
                    new.append(Licence(site=row.site, licence_type_id=type_pk, basis=basis))
                elif licence.basis != basis:
                    licence.basis = basis
                    changed.append(licence)
        self._delete(Licence, gone)
        self._update(Licence, changed, ["basis"], [self.reason] * len(changed))
        self._insert(Licence, new)

    # --- Set-based writes ------------------------------------------------------------------------

    def _take_ids(self, model, instances: list[models.Model]) -> None:
        """Ids from the table's sequence for the instances that have none yet."""
        waiting = [instance for instance in instances if instance.pk is None]
        for instance, pk in zip(
            waiting, next_ids(self.cursor, model._meta.db_table, len(waiting)), strict=True
        ):
            instance.pk = pk

    def _insert(self, model, instances: list[models.Model]) -> None:
        """New rows: COPYed to staging, one INSERT … SELECT, then their history."""
        if not instances:
            return
        table = model._meta.db_table
        self._take_ids(model, instances)
        for instance in instances:
            instance.created_at = instance.updated_at = self.now
        fields = _written_fields(model)
        columns = [field.column for field in fields]
        rows = (
            [getattr(instance, field.attname) for field in fields] + [self.reason[:HISTORY_REASON_LENGTH]]
            for instance in instances
        )
        with staging_table(
            self.cursor, f"import_{table}", like=table, columns=columns, extra="ADD reason text"
        ) as staging:
            copy_rows(self.cursor, staging, [*columns, "reason"], rows)
            names = ", ".join(quote_name(column) for column in columns)
            self.cursor.execute(
                f"INSERT INTO {quote_name(table)} ({names}) SELECT {names} FROM {staging} ORDER BY id"  # noqa: S608
            )
            self._history(model, staging, CREATED)

    def _update(
        self, model, instances: list[models.Model], fields: Sequence[str], reasons: list[str]
    ) -> None:
        """Changed rows: one UPDATE … FROM their staged values, each row's version one up, refused
        (StaleRecords) when any row's version is no longer the one the file was checked against."""
        if not instances:
            return
        table = model._meta.db_table
        written = [model._meta.get_field(name) for name in fields]
        has_version = any(field.name == "version" for field in model._meta.concrete_fields)
        for instance in instances:
            instance.updated_at = self.now
            if has_version:
                instance.version += 1  # an editor who opened it before the import must reload
        written.append(model._meta.get_field("updated_at"))
        if has_version:
            written.append(model._meta.get_field("version"))
        columns = ["id", *(field.column for field in written)]
        rows = (
            [instance.pk]
            + [getattr(instance, field.attname) for field in written]
            + [reason[:HISTORY_REASON_LENGTH]]
            for instance, reason in zip(instances, reasons, strict=True)
        )
        with staging_table(
            self.cursor, f"import_{table}", like=table, columns=columns, extra="ADD reason text"
        ) as staging:
            copy_rows(self.cursor, staging, [*columns, "reason"], rows)
            assignments = ", ".join(
                f"{quote_name(column)} = s.{quote_name(column)}" for column in columns[1:]
            )
            current = " AND t.version = s.version - 1" if has_version else ""
            self.cursor.execute(
                f"UPDATE {quote_name(table)} AS t SET {assignments} FROM {staging} AS s WHERE t.id = s.id{current}"  # noqa: S608
            )
            if self.cursor.rowcount != len(instances):
                raise StaleRecords(
                    f"{len(instances) - self.cursor.rowcount} rows of {table} changed meanwhile"
                )
            self._history(model, staging, CHANGED)

    def _delete(self, model, instances: list[models.Model]) -> None:
        """Rows the file no longer lists: their history records (as they were), then one DELETE."""
        if not instances:
            return
        table = model._meta.db_table
        with staging_table(
            self.cursor, f"import_{table}", like=table, columns=["id"], extra="ADD reason text"
        ) as staging:
            copy_rows(
                self.cursor, staging, ["id", "reason"], [(instance.pk, self.reason) for instance in instances]
            )
            self._history(model, staging, DELETED)
            self.cursor.execute(
                f"DELETE FROM {quote_name(table)} WHERE id IN (SELECT id FROM {staging})"  # noqa: S608
            )
            if self.cursor.rowcount != len(instances):
                raise StaleRecords(
                    f"{len(instances) - self.cursor.rowcount} rows of {table} deleted meanwhile"
                )

    def _history(self, model, staging: str, history_type: str) -> None:
        """One history record per staged row, copied from the row as it now stands."""
        history = model.history.model._meta.db_table
        columns = _history_columns(model)
        names = ", ".join(quote_name(column) for column in columns)
        selected = ", ".join(f"t.{quote_name(column)}" for column in columns)
        self.cursor.execute(
            f"INSERT INTO {quote_name(history)} ({names}, history_date, history_change_reason, "  # noqa: S608
            f"history_type, history_user_id) "
            f"SELECT {selected}, %s, s.reason, %s, %s "
            f"FROM {quote_name(model._meta.db_table)} AS t JOIN {staging} AS s ON s.id = t.id ORDER BY t.id",
            [self.now, history_type, self.user_id],
        )
