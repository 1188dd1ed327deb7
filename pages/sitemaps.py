"""sitemap.xml: every public page, and nothing the public may not see (drafts stay out)."""

from django.contrib.sitemaps import GenericSitemap, Sitemap
from django.urls import reverse

from casestudies.models import CaseStudy
from manufacturers.models import Organisation, Site
from workstreams.models import Initiative, Workstream


class StaticPagesSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return [
            "home",
            "manufacturers:map",
            "manufacturers:site-list",
            "manufacturers:organisation-list",
            "workstreams:workstream-list",
            "casestudies:case-study-list",
            "pages:insights",
            "pages:data",
            "pages:about",
            "pages:accessibility",
            "pages:privacy",
            "pages:contact",
        ]

    def location(self, item):
        return reverse(item)


def _monthly(queryset, *, ordering: str = "slug", date_field: str = "updated_at") -> GenericSitemap:
    """A sitemap of every object in `queryset`, dated by `date_field` (Django's GenericSitemap)."""
    return GenericSitemap(
        {"queryset": queryset.order_by(ordering), "date_field": date_field}, changefreq="monthly"
    )


class CaseStudySitemap(Sitemap):
    """Only published case studies, dated by their last publication (not a draft's edits)."""

    changefreq = "monthly"

    def items(self):
        return CaseStudy.objects.published().order_by("slug")

    def lastmod(self, case_study):
        return case_study.last_published_at or case_study.first_published_at


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "workstreams": _monthly(Workstream.objects.all(), ordering="position"),
    "initiatives": _monthly(Initiative.objects.all()),
    "case-studies": CaseStudySitemap,
    # Manufacturers only: a partner or body with no site stays findable from its initiatives, but is
    # not offered to search engines as a manufacturer's page.
    "organisations": _monthly(Organisation.objects.with_sites()),
    "sites": _monthly(Site.objects.all()),
}
