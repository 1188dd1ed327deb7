"""sitemap.xml: every public page, and nothing the public may not see (drafts stay out)."""

from django.contrib.sitemaps import Sitemap
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


class WorkstreamSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Workstream.objects.order_by("position")

    def lastmod(self, workstream):
        return workstream.updated_at


class InitiativeSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Initiative.objects.order_by("slug")

    def lastmod(self, initiative):
        return initiative.updated_at


class CaseStudySitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return CaseStudy.objects.published().order_by("slug")

    def lastmod(self, case_study):
        return case_study.last_published_at or case_study.first_published_at


class OrganisationSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Organisation.objects.order_by("slug")

    def lastmod(self, organisation):
        return organisation.updated_at


class SiteSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Site.objects.order_by("slug")

    def lastmod(self, site):
        return site.updated_at


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "workstreams": WorkstreamSitemap,
    "initiatives": InitiativeSitemap,
    "case-studies": CaseStudySitemap,
    "organisations": OrganisationSitemap,
    "sites": SiteSitemap,
}
