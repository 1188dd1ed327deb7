"""MMIP's workstreams and their initiatives in the partner API."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from core.api.renderers import ORJSONRenderer
from core.api.views import PortalAPIMixin
from manufacturers.models import Organisation

from ..models import Initiative, Workstream
from . import serializers as s
from .filters import InitiativeApiFilter, WorkstreamApiFilter


@extend_schema_view(
    list=extend_schema(summary="List workstreams"), retrieve=extend_schema(summary="One workstream")
)
class WorkstreamViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    """MMIP's five workstreams, in MMIP's order."""

    lookup_field = "slug"
    filterset_class = WorkstreamApiFilter
    renderer_classes = [ORJSONRenderer]
    serializer_classes = {"list": s.WorkstreamListSerializer, "retrieve": s.WorkstreamDetailSerializer}

    def freshness_sources(self):
        return [(Workstream.objects.all(), "updated_at"), (Initiative.objects.all(), "updated_at")]

    def get_queryset(self):
        queryset = Workstream.objects.order_by("position", "id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("initiatives", queryset=Initiative.objects.order_by("-start_date", "title", "id"))
            )
        return queryset


@extend_schema_view(
    list=extend_schema(summary="List initiatives"), retrieve=extend_schema(summary="One initiative")
)
class InitiativeViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    """What each workstream does: programmes, surveys, reviews, guides, projects and facilities."""

    lookup_field = "slug"
    filterset_class = InitiativeApiFilter
    renderer_classes = [ORJSONRenderer]
    serializer_classes = {"list": s.InitiativeListSerializer, "retrieve": s.InitiativeDetailSerializer}

    def freshness_sources(self):
        return [
            (Initiative.objects.all(), "updated_at"),
            (Workstream.objects.all(), "updated_at"),
            (Organisation.objects.all(), "updated_at"),
        ]

    def get_queryset(self):
        return Initiative.objects.for_listing().order_by("workstream__position", "-start_date", "title", "id")
