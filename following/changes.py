"""The changes to the sites a search matches: the one source that feeds, digests and webhooks read.

A change is a record in the sites' history (django-simple-history), which every write path keeps,
the spreadsheet importer's bulk writes included. Each record becomes one change:

- added: the site was created;
- changed: some of its details changed, said in words ("town: Ware → Hertford");
- closed: its status became closed (the site is withdrawn from the landscape);
- removed: the site was deleted.

A change belongs to a search when the site matches the search now. Removed sites match no
search but the unfiltered one (every change to every site), since what they matched can no
longer be asked. Sites have no
drafts: every record is public. A change's id (`site-change-<history id>`) never changes, so feed
entries, digest lines and webhook deliveries name the same change the same way.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from manufacturers.models import Site, SiteStatus

from .searches import Search

HistoricalSite = Site.history.model
# The fields whose change is worth telling someone about, and how to name them.
TOLD_FIELDS = ("name", "status", "town", "postcode", "region_id", "organisation_id", "confidence")


@dataclass(frozen=True)
class Change:
    id: str
    kind: str  # added, changed, closed, removed
    occurred_at: datetime
    site_id: int
    site_name: str
    site_slug: str
    town: str
    summary: str  # in words
    sequence: int  # the history record's id: a cursor, not a promise of commit order

    @property
    def site_path(self) -> str | None:
        if self.kind == "removed":
            return None
        return reverse("manufacturers:site-detail", kwargs={"slug": self.site_slug})

    @property
    def title(self) -> str:
        labels = {
            "added": _("Added: %(site)s"),
            "changed": _("Changed: %(site)s"),
            "closed": _("Closed: %(site)s"),
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


def changes_for(
    search: Search,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[Change]:
    """The changes to sites the search matches, newest first, in the window (since, until]."""
    records = HistoricalSite.objects.all()
    if not search.is_everything:
        records = records.filter(id__in=search.matching_sites())
    if since is not None:
        records = records.filter(history_date__gt=since)
    if until is not None:
        records = records.filter(history_date__lte=until)
    previous = HistoricalSite.objects.filter(
        id=OuterRef("id"), history_id__lt=OuterRef("history_id")
    ).order_by("-history_id")
    records = records.annotate(
        **{f"before_{name}": Subquery(previous.values(name)[:1]) for name in TOLD_FIELDS}
    ).order_by("-history_date", "-history_id")
    if limit is not None:
        records = records[:limit]
    return [_change(record) for record in records]


def _change(record) -> Change:
    kind = {"+": "added", "-": "removed"}.get(record.history_type, "changed")
    summary = ""
    if kind == "changed":
        differences = _differences(record)
        if record.status == SiteStatus.CLOSED and record.before_status != SiteStatus.CLOSED:
            kind = "closed"
        summary = "; ".join(differences) or (record.history_change_reason or "") or _("Details updated.")
    elif kind == "added":
        summary = _("A new site in %(town)s.") % {"town": record.town}
    else:
        summary = _("The site was removed from the landscape.")
    return Change(
        id=f"site-change-{record.history_id}",
        kind=kind,
        occurred_at=record.history_date,
        site_id=record.id,
        site_name=record.name,
        site_slug=record.slug,
        town=record.town,
        summary=summary,
        sequence=record.history_id,
    )


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
