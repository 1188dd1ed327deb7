"""The changes feed: every change to public data, recorded inside the database, in transaction order.

How it is recorded. Triggers (core PostgreSQL, installed by each app's migrations with
`install_change_triggers`) add a `Change` row whenever a public record is created, updated or
deleted, or whenever one of its links (a site's capabilities, technologies and licences, a
case study's sites, technologies and topics, an initiative's partners) is added or removed.
Because the database records them, no write path can skip them: the admin, the services, the
importer, `QuerySet.update()`, raw SQL and COPY all fire the triggers. A table emptied with
TRUNCATE records a `reset` entry for its kind (from a trigger that fires even when a bulk load
turns ordinary triggers off), which tells a mirror to walk that kind afresh.

What is public. Sites, organisations and initiatives always are. A case study is public while it
is published: publishing it records `created`, changing its public fields (not its drafts)
records `updated`, withdrawing it `withdrawn` with the reason, and unpublishing, archiving or
deleting it `deleted`. Drafts never appear. A case study scheduled for a later go-live is
recorded when it is published, so a mirror that fetches it early gets a 404 and should ask again
after `go_live_at` (the record names no go-live; the detail page does once it is live).

What an entry says. `kind` and `id` name the record, `slug` is its slug at the time, `action` is
one of created, updated, deleted, withdrawn, merged, reset. An entry says that the record's own
fields or its links changed; a change to a related record (an organisation's name shown inside
a site) is that record's own entry. `merged_into` names the record a merged one now lives in
(see `record_merge`). Changes to one record (or its links) in one statement make one entry.

Reading it in order. Entries are ordered by (transaction id, entry id), and the feed returns
only entries of transactions older than every transaction still running (the snapshot's xmin),
so no entry can ever appear behind a position a reader has passed (a reader inside a
transaction that wrote also sees that transaction's own entries): a cursor is resumable
forever (within the retention period, `CHANGES_RETENTION_DAYS`, after which `prune_changes`
deletes the entries and an older cursor is refused with 410).
"""

from django.db import connections, models
from django.db.models import BigIntegerField, DateTimeField, Func, TextField
from django.db.models.functions import Cast
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

# Sent by `prune_changes` with `before`, the cutoff time: what an app keeps beside the entries
# (the sites' earlier states) goes with them.
changes_pruned = Signal()

SNAPSHOT_SQL = (
    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
    "pg_current_xact_id_if_assigned()::text::bigint"
)


def current_transaction_id():
    """pg_current_xact_id() as a bigint (a 64-bit transaction id never wraps round)."""
    return Cast(Cast(Func(function="pg_current_xact_id"), TextField()), BigIntegerField())


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    MERGED = "merged", _("Merged into another record")
    RESET = "reset", _("Every record of this kind replaced")


class Change(models.Model):
    """One entry of the changes feed (see the module's docstring)."""

    Action = ChangeAction

    txid = models.BigIntegerField(_("transaction"), db_default=current_transaction_id())
    recorded_at = models.DateTimeField(
        _("recorded at"),
        db_default=Func(function="clock_timestamp", output_field=DateTimeField()),
        db_index=True,
    )
    kind = models.CharField(_("kind"), max_length=20)
    object_id = models.BigIntegerField(_("record id"), null=True)
    slug = models.CharField(_("slug"), max_length=200, null=True)
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    merged_into_id = models.BigIntegerField(_("merged into (id)"), null=True)
    merged_into_slug = models.CharField(_("merged into (slug)"), max_length=200, null=True)
    reason = models.TextField(_("reason"), blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(fields=["txid", "id"], name="change_feed_order_idx"),
            models.Index(fields=["txid", "kind", "object_id"], name="change_in_transaction_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id} {self.action}"


def record_merge(old, new) -> Change:
    """Leave a tombstone saying `old` was merged into `new` (same model, with `change_kind`).

    Call it in the merge's transaction before deleting `old`: the delete then records nothing
    more, and a mirror learns where the record went instead of only that it is gone.
    """
    return Change.objects.create(
        kind=type(old).change_kind,
        object_id=old.pk,
        slug=old.slug,
        action=ChangeAction.MERGED,
        merged_into_id=new.pk,
        merged_into_slug=new.slug,
    )


def snapshot(using: str) -> tuple[int, int | None]:
    """(xmin, own): the oldest transaction still running, below which every entry is final, and
    the reader's own transaction if it has written (its entries are final to itself)."""
    with connections[using].cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL)
        xmin, own = cursor.fetchone()
        return xmin, own
