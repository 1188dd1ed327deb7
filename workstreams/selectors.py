"""Reads for the workstream pages that reach into the rest of the portal (case studies, sites, technologies).

Case studies are a higher layer: they are reached through the reverse relation they declare
(`workstream.case_studies`) and their own queryset methods, never imported.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from manufacturers.models import Organisation, Region, Site, Technology

from .models import Initiative, Workstream

# The workstreams whose pages carry live links beyond their own initiatives. The slugs are
# reference data loaded by migration, so staff cannot change them in the admin.
REGULATORY = "regulatory-environment"
SUPPLY_CHAIN = "supply-chain"
TECHNOLOGY = "technology"


@dataclass
class SupplyChainFigures:
    sites: int
    organisations: int
    regions: list


@dataclass
class WorkstreamPage:
    workstream: Workstream
    initiatives: list[Initiative]
    guides: list[Initiative]
    case_studies: list = field(default_factory=list)
    technologies: list[Technology] | None = None
    supply_chain: SupplyChainFigures | None = None


def workstream_list():
    """The five workstreams in MMIP's order, each with how many initiatives it has (one query)."""
    return Workstream.objects.annotate(
        initiative_count=Count("initiatives", distinct=True),
        guide_count=Count("initiatives", filter=Q(initiatives__kind=Initiative.Kind.GUIDE), distinct=True),
    ).order_by("position")


def workstream_get_page(*, workstream: Workstream) -> WorkstreamPage:
    """A workstream with its initiatives and guides, and the live portal content its page links to."""
    slug = workstream.slug
    initiatives = list(
        workstream.initiatives.prefetch_related(
            Prefetch("partners", queryset=Organisation.objects.order_by("name").only("name", "slug"))
        ).order_by("-start_date", "title")
    )
    page = WorkstreamPage(
        workstream=workstream,
        initiatives=[item for item in initiatives if item.kind != Initiative.Kind.GUIDE],
        guides=[item for item in initiatives if item.kind == Initiative.Kind.GUIDE],
    )
    if slug == REGULATORY:
        # Every published case study: the MHRA Innovation Office series is this workstream's own idea.
        case_studies = workstream.case_studies.model.objects.all()
    else:
        case_studies = workstream.case_studies.all()
    page.case_studies = list(case_studies.published().newest_first().select_related("organisation"))
    if slug == TECHNOLOGY:
        page.technologies = list(Technology.objects.in_use().order_by("-site_count", "name"))
    if slug == SUPPLY_CHAIN:
        totals = Site.objects.aggregate(sites=Count("pk"), organisations=Count("organisation", distinct=True))
        # Regions are not a reference vocabulary (they carry boundaries, and no `is_active`),
        # so they have no with_site_count() of their own.
        regions = list(
            Region.objects.annotate(site_count=Count("sites"))
            .only("slug", "name")
            .order_by("-site_count", "name")
        )
        page.supply_chain = SupplyChainFigures(regions=regions, **totals)
    return page
