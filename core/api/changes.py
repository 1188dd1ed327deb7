"""`/api/v1/changes/`: the changes feed (core.changes) as pages of entries with a resumable cursor.

`since` takes an ISO 8601 time or the opaque cursor of a `next` link. Every answer carries a
`next` link, even an empty page: it is where to ask again later. A cursor or time older than
the retention period is refused with 410, because tombstones before it may be gone: the mirror
must start again from a full walk.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.db import router
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from core.changes import Change, snapshot
from core.numbers import is_whole_number

from .exceptions import Gone
from .filters import ISO8601_HELP, parse_moment
from .renderers import ORJSONRenderer
from .views import PortalAPIMixin

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5000
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class Position:
    """After entry `entry` of transaction `txid`; `at` is when that was, for the retention check."""

    txid: int
    entry: int
    at: datetime

    def encode(self) -> str:
        payload = orjson.dumps({"t": self.txid, "i": self.entry, "at": self.at.isoformat()})
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str) -> "Position | None":
        """The position a cursor names, or None if it is not one of ours (never an exception)."""
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            return None
        if not isinstance(payload, dict):
            return None
        txid, entry, at = payload.get("t"), payload.get("i"), payload.get("at")
        if not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= BIGINT_MAX for n in (txid, entry)
        ):
            return None
        moment = parse_moment(at) if isinstance(at, str) else None
        return None if moment is None else cls(txid=txid, entry=entry, at=moment)


def retention() -> timedelta:
    return timedelta(days=settings.CHANGES_RETENTION_DAYS)


ENTRY = inline_serializer(
    "Change",
    {
        "kind": serializers.ChoiceField(choices=["site", "organisation", "case_study", "initiative"]),
        "id": serializers.IntegerField(allow_null=True, help_text="The record's id; null for a reset."),
        "slug": serializers.CharField(
            allow_null=True, help_text="The record's slug when the change was made."
        ),
        "action": serializers.ChoiceField(choices=Change.Action.values),
        "at": serializers.DateTimeField(),
        "url": serializers.URLField(
            allow_null=True, help_text="Where the record is now (404 or 410 if gone)."
        ),
        "merged_into": inline_serializer(
            "ChangeMergedInto",
            {
                "id": serializers.IntegerField(),
                "slug": serializers.CharField(),
                "url": serializers.URLField(),
            },
            allow_null=True,
        ),
        "reason": serializers.CharField(help_text="Why a case study was withdrawn; empty otherwise."),
    },
)


class ChangesView(PortalAPIMixin, APIView):
    """Every change to public sites, organisations, case studies and initiatives, oldest first."""

    renderer_classes = [ORJSONRenderer]
    extra_query_parameters = ("since", "page_size")
    # The feed moves with every write; a shared cache must not hold a page for long.
    cache_max_age = 0
    # Nor may ours: an answer also depends on which transactions are still running (an entry
    # held back by one appears when it ends), which the landscape's version does not follow.
    cache_answers = False
    # kind -> the URL name of its detail view, given by the URLconf so core names no app.
    detail_views: dict[str, str] = {}

    @extend_schema(
        summary="Changes since a time or a cursor",
        description=(
            "Created, updated, deleted, withdrawn and merged records, in transaction order. Pass a time "
            "(ISO 8601) or the cursor from the last `next` link as `since`; always follow `next`, even from "
            "an empty page. Fetch each changed record's `url` for its current state; a `deleted`, "
            "`withdrawn` or `merged` entry removes it (a `merged` one names what it became). A `reset` "
            "entry means every record of its kind was replaced: walk that kind's list again. Entries "
            f"are kept for {settings.CHANGES_RETENTION_DAYS} days; an older `since` is answered 410."
        ),
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="An ISO 8601 date or date-time, or a cursor from a `next` link. Without it, the "
                "feed starts at its oldest entry.",
            ),
            OpenApiParameter(
                "page_size",
                int,
                description=f"Entries per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
            ),
        ],
        responses={
            200: inline_serializer(
                "ChangesPage",
                {
                    "next": serializers.URLField(help_text="Where to continue, now or later."),
                    "more": serializers.BooleanField(help_text="Whether `next` already has entries."),
                    "results": serializers.ListField(child=ENTRY),
                },
            )
        },
    )
    def get(self, request):
        size = self._page_size(request)
        since = self._since(request)
        using = router.db_for_read(Change)
        xmin, own = snapshot(using)  # read first: every entry below xmin is final
        final = Q(txid__lt=xmin) | Q(txid=own) if own is not None else Q(txid__lt=xmin)
        final_entries = Change.objects.using(using).filter(final)
        entries = final_entries.order_by("txid", "id")
        if isinstance(since, Position):
            entries = entries.filter(Q(txid__gt=since.txid) | Q(txid=since.txid, id__gt=since.entry))
        elif since is not None:
            entries = entries.filter(recorded_at__gte=since)
        rows = list(entries[: size + 1])
        more, rows = len(rows) > size, rows[:size]
        if rows:
            position = Position(txid=rows[-1].txid, entry=rows[-1].id, at=rows[-1].recorded_at)
        else:
            position = self._head(
                final_entries, xmin=xmin, previous=since if isinstance(since, Position) else None
            )
        next_url = replace_query_param(request.build_absolute_uri(), "since", position.encode())
        response = Response({"next": next_url, "more": more, "results": [self._entry(row) for row in rows]})
        response["Link"] = f'<{next_url}>; rel="next"'
        return response

    def _head(self, entries, *, xmin: int, previous: "Position | None") -> Position:
        """Past every final entry: the next one will belong to a transaction >= xmin."""
        candidates = [(xmin - 1, BIGINT_MAX)]
        if previous is not None:
            candidates.append((previous.txid, previous.entry))
        if (last := entries.order_by("-txid", "-id").values_list("txid", "id").first()) is not None:
            candidates.append(last)
        txid, entry = max(candidates)
        return Position(txid=txid, entry=entry, at=timezone.now())

    def _page_size(self, request) -> int:
        raw = request.query_params.get("page_size", "")
        if raw == "":
            return DEFAULT_PAGE_SIZE
        if not is_whole_number(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {"page_size": [_("Enter a whole number from 1 to %(maximum)d.") % {"maximum": MAX_PAGE_SIZE}]}
            )
        return int(raw)

    def _since(self, request) -> Position | datetime | None:
        raw = request.query_params.get("since", "")
        if raw == "":
            return None
        since = parse_moment(raw) or Position.decode(raw)
        if since is None:
            raise exceptions.ValidationError(
                {"since": [_("%(iso)s Or pass the cursor of a next link as given.") % {"iso": ISO8601_HELP}]}
            )
        moment = since.at if isinstance(since, Position) else since
        if moment < timezone.now() - retention():
            raise Gone(
                {
                    "since": [
                        _(
                            "Changes are kept for %(days)d days and this is older: walk the lists afresh, "
                            "then follow the changes from a time just before you started."
                        )
                        % {"days": settings.CHANGES_RETENTION_DAYS}
                    ]
                }
            )
        return since

    def _url(self, kind: str, slug: str | None) -> str | None:
        name = self.detail_views.get(kind)
        if not name or not slug:
            return None
        try:
            return self.request.build_absolute_uri(reverse(name, kwargs={"slug": slug}))
        except NoReverseMatch:
            return None

    def _entry(self, change: Change) -> dict:
        merged_into = None
        if change.merged_into_id is not None:
            merged_into = {
                "id": change.merged_into_id,
                "slug": change.merged_into_slug,
                "url": self._url(change.kind, change.merged_into_slug),
            }
        return {
            "kind": change.kind,
            "id": change.object_id,
            "slug": change.slug,
            "action": change.action,
            "at": change.recorded_at,
            "url": self._url(change.kind, change.slug),
            "merged_into": merged_into,
            "reason": change.reason,
        }
