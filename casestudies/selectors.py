"""Reads that depend on who is asking: the public page, or a staff or shared preview of a revision."""

from django.db.models import Exists, OuterRef

from manufacturers.models import Organisation, Site, Technology
from workstreams.models import Workstream

from .models import CaseStudy, CaseStudyRevision, RegulatoryTopic


def case_study_public_get(*, slug: str) -> CaseStudy:
    """A published or withdrawn case study with everything its page shows (withdrawn ones keep a page)."""
    return (
        (CaseStudy.objects.published() | CaseStudy.objects.withdrawn())
        .select_related("organisation", "workstream")
        .prefetch_related("sites", "technologies", "topics", "change_notes")
        # The page links to the organisation's sites on the map only when it has some.
        .annotate(organisation_has_sites=Exists(Site.objects.filter(organisation=OuterRef("organisation"))))
        .get(slug=slug)
    )


def case_study_page_context(case_study: CaseStudy) -> dict:
    """What templates/casestudies/case_study_detail.html needs for a public case study."""
    return {
        "case_study": case_study,
        "sites": case_study.sites.all(),
        "technologies": case_study.technologies.all(),
        "topics": case_study.topics.all(),
        "change_notes": case_study.change_notes.all(),
        "related_case_studies": CaseStudy.objects.related_to(case_study),
    }


def case_study_preview_context(
    *, case_study: CaseStudy, content: dict, revision: CaseStudyRevision | None
) -> dict:
    """The public page's context for unpublished content (a draft or a revision), never saved.

    The case study is an unsaved copy carrying the revision's words, so the public template
    renders it exactly as it would appear once published.
    """
    preview = CaseStudy(
        pk=case_study.pk,
        slug=case_study.slug,
        title=content["title"],
        summary=content["summary"],
        body=content["body"],
        organisation=Organisation.objects.get(pk=content["organisation"]),
        workstream=Workstream.objects.get(pk=content["workstream"]),
        source_urls=content.get("source_urls", []),
        status=case_study.status,
        first_published_at=case_study.first_published_at,
        last_published_at=case_study.last_published_at,
        withdrawn_reason=case_study.withdrawn_reason,
        withdrawn_at=case_study.withdrawn_at,
    )
    preview.organisation_has_sites = Site.objects.filter(organisation_id=content["organisation"]).exists()
    return {
        "case_study": preview,
        "sites": Site.objects.filter(pk__in=content.get("sites", [])).order_by("name"),
        "technologies": Technology.objects.filter(pk__in=content.get("technologies", [])).order_by("name"),
        "topics": RegulatoryTopic.objects.filter(pk__in=content.get("topics", [])).order_by("name"),
        "change_notes": case_study.change_notes.all(),
        "related_case_studies": [],
        "preview": True,
        "preview_revision": revision,
    }
