from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from core.db_routers import use_primary

from .filters import CaseStudyFilter
from .models import PREVIEW_LINK_SALT, CaseStudy, CaseStudyPreviewLink
from .selectors import case_study_page_context, case_study_preview_context, case_study_public_get

CASE_STUDIES_PER_PAGE = 10


def case_study_list(request):
    """Published case studies, newest first, filtered by technology, topic, organisation and year."""
    case_study_filter = CaseStudyFilter(
        request.GET, queryset=CaseStudy.objects.published().newest_first().for_listing()
    )
    if not case_study_filter.is_valid():
        context = {"filter": case_study_filter, "page": None}
        return render(request, "casestudies/case_study_list.html", context, status=400)
    page = Paginator(case_study_filter.qs, CASE_STUDIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "casestudies/case_study_list.html", {"filter": case_study_filter, "page": page})


def case_study_detail(request, slug):
    # Only published (and withdrawn, with their notice) case studies: drafts, scheduled and
    # archived ones are a 404 to the public.
    try:
        case_study = case_study_public_get(slug=slug)
    except CaseStudy.DoesNotExist:
        raise Http404("No published case study here.") from None
    return render(request, "casestudies/case_study_detail.html", case_study_page_context(case_study))


# On the primary: a new link works, and a revoked one stops, at once, whatever a replica's lag.
@use_primary()
def case_study_preview(request, token):
    """A shared preview of one revision for someone without an account, while the link lasts."""
    try:
        link_pk = int(signing.Signer(salt=PREVIEW_LINK_SALT).unsign(token))
        link = CaseStudyPreviewLink.objects.select_related("revision__case_study").get(pk=link_pk)
    except (signing.BadSignature, ValueError, CaseStudyPreviewLink.DoesNotExist):
        raise Http404("This preview link is not valid.") from None
    if link.is_revoked or link.is_expired:
        response = render(request, "casestudies/case_study_preview_gone.html", {"link": link}, status=410)
    else:
        context = case_study_preview_context(
            case_study=link.revision.case_study, content=link.revision.content, revision=link.revision
        )
        response = render(request, "casestudies/case_study_detail.html", {**context, "preview_link": link})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response
