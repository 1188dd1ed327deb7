"""A feed for every directory search: Atom (django.contrib.syndication) and JSON Feed 1.1.

    /sites/feed/?region=scotland&capability=aseptic_fill_finish
    /sites/feed.json?region=scotland&capability=aseptic_fill_finish

Entries are the search's changes (following.changes), newest first, with stable ids.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import JsonResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from .changes import Change, recent_changes
from .searches import Search, SearchError, parse_search

FEED_LENGTH = 50
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _bad_search(error: SearchError) -> JsonResponse:
    # The API's error shape: each parameter with its messages.
    response = JsonResponse(error.errors, status=400)
    response["Cache-Control"] = "no-store"
    return response


def feed_description() -> str:
    return _("Sites added, changed, closed, no longer matching or removed, newest first.")


def feed_title(search: Search) -> str:
    if search.is_everything:
        return _("Changes to sites: %(portal)s") % {"portal": settings.PORTAL_NAME}
    return _("Changes to sites matching %(search)s") % {"search": search.describe()}


def directory_path(search: Search) -> str:
    return reverse("manufacturers:site-list") + (f"?{search.query}" if search.query else "")


class SearchChangesFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        try:
            self.search = parse_search(request.GET)
        except SearchError as error:
            return _bad_search(error)
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return self.search

    def title(self, search):
        return feed_title(search)

    def link(self, search):
        return directory_path(search)

    def feed_guid(self, search):
        return f"tag:mmip,2026:sites-feed?{search.query}"

    def subtitle(self, search):
        return feed_description()

    def items(self, search):
        return recent_changes(search, limit=FEED_LENGTH)

    def item_title(self, item: Change):
        return item.title

    def item_description(self, item: Change):
        return item.summary

    def item_link(self, item: Change):
        return item.site_path or reverse("manufacturers:site-list")

    def item_guid(self, item: Change):
        return f"tag:mmip,2026:{item.id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Change):
        return item.occurred_at

    def item_updateddate(self, item: Change):
        return item.occurred_at

    def item_categories(self, item: Change):
        return [item.kind]


def json_feed(request):
    """The same entries as the Atom feed, as JSON Feed 1.1."""
    try:
        search = parse_search(request.GET)
    except SearchError as error:
        return _bad_search(error)
    query = f"?{search.query}" if search.query else ""
    feed = {
        "version": JSON_FEED_VERSION,
        "title": feed_title(search),
        "home_page_url": request.build_absolute_uri(directory_path(search)),
        "feed_url": request.build_absolute_uri(reverse("following:sites-json-feed") + query),
        "description": feed_description(),
        "language": "en-GB",
        "items": [_json_item(request, change) for change in recent_changes(search, limit=FEED_LENGTH)],
    }
    return JsonResponse(feed, content_type="application/feed+json", json_dumps_params={"ensure_ascii": False})


def _json_item(request, change: Change) -> dict:
    item = {
        "id": f"tag:mmip,2026:{change.id}",
        "title": change.title,
        "content_text": change.summary,
        "date_published": change.occurred_at.isoformat(),
        "date_modified": change.occurred_at.isoformat(),
        "tags": [change.kind],
        "_mmip": {"kind": change.kind, "site_id": change.site_id, "site_slug": change.site_slug},
    }
    if change.site_path:
        item["url"] = request.build_absolute_uri(change.site_path)
    return item
