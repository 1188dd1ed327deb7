"""Published MHRA Innovation Office case studies in the partner API: drafts never leave the building."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from core.api.renderers import ORJSONRenderer
from core.api.views import PortalAPIMixin
from manufacturers.models import Organisation, Site
from workstreams.models import Workstream

from ..models import CaseStudy
from . import serializers as s


@extend_schema_view(
    list=extend_schema(summary="List published case studies"),
    retrieve=extend_schema(summary="One published case study"),
)
class CaseStudyViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Published case studies, newest first. Drafts, reviews, scheduled and withdrawn ones are never listed."""

    lookup_field = "slug"
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
