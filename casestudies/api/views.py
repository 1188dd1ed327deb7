"""Published MHRA Innovation Office case studies in the partner API: drafts never leave the building."""

from django.http import Http404
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets

from core.api.exceptions import Gone
from core.api.renderers import ORJSONRenderer
from core.api.views import PortalAPIMixin
from manufacturers.models import Organisation, Site
from workstreams.models import Workstream

from ..models import CaseStudy
from . import serializers as s
from .filters import CaseStudyApiFilter


@extend_schema_view(
    list=extend_schema(summary="List published case studies"),
    retrieve=extend_schema(
        summary="One published case study",
        responses={
            200: s.CaseStudyDetailSerializer,
            404: OpenApiResponse(description="No published case study has this slug."),
            410: OpenApiResponse(
                s.WithdrawnSerializer, description="The case study was withdrawn; the body says why."
            ),
        },
    ),
)
class CaseStudyViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Published case studies, newest first. Drafts, reviews, scheduled and withdrawn ones are never listed."""

    lookup_field = "slug"
    filterset_class = CaseStudyApiFilter
    renderer_classes = [ORJSONRenderer]
    serializer_classes = {"list": s.CaseStudyListSerializer, "retrieve": s.CaseStudyDetailSerializer}

    def freshness_sources(self):
        return [
            *CaseStudy.objects.freshness_sources(),
            (Organisation.objects.all(), "updated_at"),
            (Site.objects.all(), "updated_at"),
            (Workstream.objects.all(), "updated_at"),
        ]

    def get_queryset(self):
        queryset = CaseStudy.objects.published().for_listing().select_related("workstream").newest_first()
        queryset = queryset.order_by(*queryset.query.order_by, "id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("sites")
        return queryset

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            withdrawn = CaseStudy.objects.withdrawn().filter(slug=self.kwargs["slug"]).first()
            if withdrawn is None:
                raise
            raise Gone(
                {
                    "detail": _("This case study was withdrawn on %(date)s.")
                    % {"date": date_format(localtime(withdrawn.withdrawn_at), "j F Y")}
                    if withdrawn.withdrawn_at
                    else _("This case study was withdrawn."),
                    "reason": withdrawn.withdrawn_reason,
                }
            ) from None
