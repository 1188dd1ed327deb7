"""The API's front doors: the v1 root that links every resource, and the partner guide page."""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse as api_reverse
from rest_framework.views import APIView

from core.api.licensing import OGL_URL
from core.api.renderers import ORJSONRenderer
from core.api.views import PortalAPIMixin


class ApiRootView(PortalAPIMixin, APIView):
    """Where everything in the API is: each resource's list, the downloads and the documentation."""

    renderer_classes = [ORJSONRenderer]

    @extend_schema(
        summary="API root",
        responses=inline_serializer(
            "ApiRoot",
            {
                "resources": serializers.DictField(child=serializers.URLField()),
                "downloads": serializers.DictField(child=serializers.URLField()),
                "documentation": serializers.DictField(child=serializers.URLField()),
                "licence": serializers.URLField(),
            },
        ),
    )
    def get(self, request):
        def link(name):
            return api_reverse(name, request=request)

        return Response(
            {
                "resources": {
                    name: link(f"api-v1:{view}")
                    for name, view in (
                        ("sites", "site-list"),
                        ("site_facets", "site-facets"),
                        ("organisations", "organisation-list"),
                        ("regions", "region-list"),
                        ("capabilities", "capability-list"),
                        ("technologies", "technology-list"),
                        ("licence_types", "licence-type-list"),
                        ("workstreams", "workstream-list"),
                        ("initiatives", "initiative-list"),
                        ("case_studies", "case-study-list"),
                        ("changes", "changes"),
                        ("webhooks", "webhook-list"),
                    )
                },
                "downloads": {
                    name: link(f"api-v1:{view}")
                    for name, view in (
                        ("sites_csv", "download-sites-csv"),
                        ("sites_geojson", "download-sites-geojson"),
                        ("organisations_csv", "download-organisations-csv"),
                        ("data_dictionary", "data-dictionary"),
                    )
                },
                "documentation": {
                    "guide": request.build_absolute_uri(reverse("api-guide")),
                    "openapi": link("api-v1:schema"),
                    "swagger_ui": link("api-v1:swagger-ui"),
                    "ogc_api_features": link("ogc:landing-page"),
                },
                "licence": OGL_URL,
            }
        )


def partner_guide(request):
    """The partner guide: how to get a key, examples in curl and Python, the limits and the licence."""
    context = {
        "quotas": [
            (label, settings.API_QUOTAS[bucket])
            for bucket, label in (
                ("anonymous", _("Without a key, the API (per IP address)")),
                ("ogc", _("Without a key, OGC API - Features (per IP address)")),
                ("downloads", _("Without a key, the bulk downloads (per IP address)")),
                ("standard", _("A partner key, standard tier (per key, every endpoint)")),
                ("bulk", _("A partner key, bulk tier (per key, every endpoint)")),
            )
        ],
        "api_root": request.build_absolute_uri(reverse("api-v1:root")),
        "ogc_root": request.build_absolute_uri(reverse("ogc:landing-page")),
        "changes_url": reverse("api-v1:changes"),
        "retention_days": settings.CHANGES_RETENTION_DAYS,
        "webhook_limit": settings.WEBHOOK_ENDPOINTS_PER_KEY,
        "contact_email": settings.CONTACT_EMAIL,
    }
    return render(request, "api/partner_guide.html", context)
