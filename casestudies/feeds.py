from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from .models import CaseStudy

FEED_LENGTH = 20


class CaseStudyFeed(Feed):
    """An Atom feed of published case studies, newest first (scheduled ones appear when they go live)."""

    feed_type = Atom1Feed
    title = _("MMIP regulatory case studies")
    subtitle = _(
        "How manufacturers worked with the MHRA Innovation Office to bring innovative processes into production."
    )
    link = reverse_lazy("casestudies:case-study-list")

    def items(self):
        return CaseStudy.objects.published().newest_first().select_related("organisation")[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at or item.first_published_at

    def item_author_name(self, item):
        return item.organisation.name
