"""The changes to the sites a search matches, for feeds, digests and webhooks alike.

They come from the portal's one changes record, the changes feed (core.changes): entries that
database triggers write for every change to public data, whatever the write path, ordered by
(transaction, entry) and final once older than every running transaction. A reader keeps a
`Position` and asks for what came after it, so nothing is read twice or skipped however late a
transaction commits. Here an entry for a site becomes one change:

- added: the site was created;
- changed: its details or links changed, said in words from the site's history
  (django-simple-history: the importer's "Import file.csv: town, capabilities", or the fields
  that differ from the record before: "town: Ware → Hertford");
- closed: its status became closed;
- left: it matched the search before the change and does not after it (a capability dropped, a
  move out of the region);
- removed: the site was deleted.

A change belongs to a search when the site matched the search before it or after it. "Before"
is the site's state kept for that transaction (manufacturers.SiteState); "after" is the state
kept for the site's next transaction, or the site as it is now when there is none. So a change
of town followed a month later by a move out of the region is a "changed" and then a "left",
whenever the feed is read. Organisations' own changes (a new kind) are not judged so: a search
by organisation kind sees a site leave only when the site itself changes. Sites have no drafts;
the changes record holds only public data anyway. A change's id (`site-change-<entry id>`) never
changes, so a feed entry, a digest line and a webhook delivery name the same change the same way.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import router
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from core.changes import Change as Entry
from core.changes import snapshot
from manufacturers.models import Site, SiteState, SiteStatus

from .searches import Search

HistoricalSite = Site.history.model
# The fields whose change is worth telling someone about.
TOLD_FIELDS = ("name", "status", "town", "postcode", "region_id", "organisation_id", "confidence")
# How far apart a history record and a changes entry of one save may be.
SAME_SAVE = timedelta(seconds=30)
END = 2**63 - 1


@dataclass(frozen=True, order=True)
class Position:
    """After entry `entry` of transaction `txid` in the changes record."""

    txid: int = 0
    entry: int = 0


@dataclass(frozen=True)
class Change:
    id: str
    kind: str  # added, changed, closed, left, removed
    occurred_at: datetime
    site_id: int
    site_name: str
    site_slug: str
    town: str
    summary: str  # in words
    position: Position
    site_path: str | None  # None once the site is removed

    @property
    def title(self) -> str:
        labels = {
            "added": _("Added: %(site)s"),
            "changed": _("Changed: %(site)s"),
            "closed": _("Closed: %(site)s"),
            "left": _("No longer matches: %(site)s"),
            "removed": _("Removed: %(site)s"),
        }
        return labels[self.kind] % {"site": self.site_name}

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "type": f"site.{self.kind}",
            "occurred_at": self.occurred_at.isoformat(),
            "site": {
                "id": self.site_id,
                "name": self.site_name,
                "slug": self.site_slug,
                "path": self.site_path,
            },
            "summary": self.summary,
        }


def head() -> Position:
    """Everything final so far: a new follower starts here and hears only of what comes next."""
    return Position(_xmin(router.db_for_read(Entry)) - 1, END)


def changes_after(search: Search, position: Position) -> tuple[list[Change], Position]:
    """The search's changes after `position`, oldest first, and the position to ask from next time."""
    using = router.db_for_write(Entry)  # the primary: a replica may lag behind the position
    xmin = _xmin(using)  # read first: every entry below it is final
    entries = _entries(search).using(using).filter(txid__lt=xmin)
    entries = entries.filter(Q(txid__gt=position.txid) | Q(txid=position.txid, id__gt=position.entry))
    changes = _changes(list(entries.order_by("txid", "id")))
    return changes, max(position, Position(xmin - 1, END))


def recent_changes(search: Search, *, limit: int) -> list[Change]:
    """The search's latest changes, newest first (the feeds)."""
    entries = _entries(search).filter(txid__lt=_xmin(router.db_for_read(Entry)))
    return _changes(list(entries.order_by("-txid", "-id")[:limit]))


def _xmin(using: str) -> int:
    """Every entry of a transaction below this is final (a background reader has none of its own)."""
    xmin, _own = snapshot(using)
    return xmin


def _entries(search: Search):
    entries = Entry.objects.filter(kind=Site.change_kind, object_id__isnull=False).exclude(action="reset")
    if search.is_everything:  # every site matches it, before and after every change
        return entries.annotate(matched_before=Value(True), matched_after=Value(True))
    states = search.matching_states()
    next_state = SiteState.objects.filter(site_id=OuterRef("object_id"), txid__gt=OuterRef("txid"))
    entries = entries.annotate(
        matched_before=Exists(states.filter(site_id=OuterRef("object_id"), txid=OuterRef("txid"))),
        next_txid=Subquery(next_state.order_by("txid").values("txid")[:1]),
        matched_after=Case(
            When(next_txid__isnull=True, then=Q(object_id__in=search.matching_sites())),
            default=Exists(states.filter(site_id=OuterRef("object_id"), txid=OuterRef("next_txid"))),
            output_field=BooleanField(),
        ),
    )
    return entries.filter(Q(matched_before=True) | Q(matched_after=True))


# When one transaction left several entries for a site, the one that says most.
WEIGHT = {"deleted": 3, "merged": 3, "created": 2}


def _one_per_transaction(entries: list[Entry]) -> list[Entry]:
    """A site created and then linked to its capabilities in one import is one change, "added"."""
    chosen: dict[tuple[int, int], Entry] = {}
    for entry in entries:
        key = (entry.txid, entry.object_id)
        if key not in chosen or WEIGHT.get(entry.action, 1) > WEIGHT.get(chosen[key].action, 1):
            chosen[key] = entry
    kept = {id(entry) for entry in chosen.values()}
    return [entry for entry in entries if id(entry) in kept]


def _changes(entries: list[Entry]) -> list[Change]:
    entries = _one_per_transaction(entries)
    if not entries:
        return []
    records = _history_near(entries)
    return [_change(entry, records.get(entry.pk)) for entry in entries]


def _history_near(entries: list[Entry]) -> dict:
    """For each entry, the site's history record of the same save (one query for all)."""
    times = [entry.recorded_at for entry in entries]
    previous = HistoricalSite.objects.filter(
        id=OuterRef("id"), history_id__lt=OuterRef("history_id")
    ).order_by("-history_id")
    records = (
        HistoricalSite.objects.filter(
            id__in={entry.object_id for entry in entries},
            history_date__gte=min(times) - SAME_SAVE,
            history_date__lte=max(times) + SAME_SAVE,
        )
        .annotate(**{f"before_{name}": Subquery(previous.values(name)[:1]) for name in TOLD_FIELDS})
        .order_by("history_id")
    )
    by_site: dict[int, list] = {}
    for record in records:
        by_site.setdefault(record.id, []).append(record)
    nearest = {}
    for entry in entries:
        candidates = by_site.get(entry.object_id, [])
        if candidates:
            nearest[entry.pk] = min(
                candidates, key=lambda record: abs(record.history_date - entry.recorded_at)
            )
    return nearest


def _change(entry: Entry, record) -> Change:
    kind = {"created": "added", "deleted": "removed", "merged": "removed"}.get(entry.action, "changed")
    summary = _summary(kind, record)
    closed_now = record is not None and record.status == SiteStatus.CLOSED
    if kind == "changed" and closed_now and record.before_status not in (None, SiteStatus.CLOSED):
        kind = "closed"
    elif kind == "changed" and entry.matched_before and not entry.matched_after:
        kind = "left"
    return Change(
        id=f"site-change-{entry.pk}",
        kind=kind,
        occurred_at=entry.recorded_at,
        site_id=entry.object_id,
        site_name=record.name if record is not None else entry.slug or "",
        site_slug=entry.slug or "",
        town=record.town if record is not None else "",
        summary=summary,
        position=Position(entry.txid, entry.pk),
        # Reversed once here, not on every use in a template.
        site_path=None
        if kind == "removed"
        else reverse("manufacturers:site-detail", kwargs={"slug": entry.slug}),
    )


def _summary(kind: str, record) -> str:
    if kind == "added":
        return _("A new site in %(town)s.") % {"town": record.town} if record else _("A new site.")
    if kind == "removed":
        return _("The site was removed from the landscape.")
    if record is None:
        return _("Details updated.")
    return "; ".join(_differences(record)) or record.history_change_reason or _("Details updated.")


def _differences(record) -> list[str]:
    """What changed, in words; related rows by name would cost a query each, so ids say "changed"."""
    told = []
    for name in TOLD_FIELDS:
        before, after = getattr(record, f"before_{name}"), getattr(record, name)
        if before is None or before == after:
            continue
        label = HistoricalSite._meta.get_field(name).verbose_name
        if name.endswith("_id"):
            told.append(_("%(field)s changed") % {"field": label})
        elif name == "status":
            told.append(f"{label}: {SiteStatus(before).label} → {SiteStatus(after).label}")
        else:
            told.append(f"{label}: {before} → {after}")
    return told
