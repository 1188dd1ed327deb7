"""Reads that reach the case studies through the reverse relations casestudies declares.

manufacturers is the lowest app and never imports casestudies. Where a site page, the API or a
quality check needs case studies, it follows `site.case_studies` / `organisation.case_studies`
and that model's own queryset methods (`published()`, `current()`, `freshness_sources()`).
"""

from django.db.models import Manager, Prefetch, QuerySet

from .models import Site


def case_studies() -> Manager:
    """The case studies' manager, found through Site's reverse relation rather than an import."""
    return Site._meta.get_field("case_studies").related_model.objects


def published_case_studies_prefetch(to_attr: str = "published_case_studies") -> Prefetch:
    """Prefetch each site's published case studies, newest first, into `to_attr`."""
    return Prefetch("case_studies", queryset=case_studies().published().newest_first(), to_attr=to_attr)


def case_study_freshness_sources() -> list:
    return case_studies().freshness_sources()


def case_study_links_to_closed_sites(site_ids=None) -> QuerySet:
    """Links from current (not withdrawn or archived) case studies to closed sites, or to `site_ids`.

    Rows of the sites-to-case-studies link table, with the site and the case study selected.
    """
    links = Site.case_studies.through.objects.filter(casestudy__in=case_studies().current())
    if site_ids is None:
        links = links.filter(site__status=Site.Status.CLOSED)
    else:
        links = links.filter(site_id__in=site_ids)
    return links.select_related("casestudy", "site__organisation").order_by("casestudy__title")
