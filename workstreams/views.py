from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import Initiative, Workstream


def workstream_list(request):
    return render(request, "workstreams/workstream_list.html", {"workstreams": selectors.workstream_list()})


def workstream_detail(request, slug):
    """A workstream's aims, initiatives and guides, with live links into the directory, map and case studies."""
    page = selectors.workstream_get_page(workstream=get_object_or_404(Workstream, slug=slug))
    return render(
        request, "workstreams/workstream_detail.html", {"page": page, "workstream": page.workstream}
    )


def initiative_detail(request, slug):
    initiative = get_object_or_404(Initiative.objects.for_listing(), slug=slug)
    return render(request, "workstreams/initiative_detail.html", {"initiative": initiative})
