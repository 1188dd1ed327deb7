"""Everything under /api/: the partner guide, version 1 (namespace `api-v1`) and OGC API - Features (`ogc`)."""

from csp.decorators import csp_update
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.api.changes import ChangesView
from core.api.schema import CachedSchemaView
from core.api.views import api_not_found
from pages.api_views import ApiRootView, partner_guide

# Swagger UI injects <style> elements as it renders, so its pages (and only these) allow inline
# styles. Scripts stay strict: the split view serves Swagger UI's start-up code as a separate
# script instead of an inline one.
docs_styles = csp_update({"style-src": ["'unsafe-inline'"]})

v1_patterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("schema/", CachedSchemaView.as_view(), name="schema"),
    path(
        "docs/",
        docs_styles(SpectacularSwaggerSplitView.as_view(url_name="api-v1:schema")),
        name="swagger-ui",
    ),
    # Redoc drew its logo from cdn.redoc.ly, whatever its options: the reference is Swagger UI's.
    path("redoc/", RedirectView.as_view(pattern_name="api-v1:swagger-ui", permanent=True), name="redoc"),
    path(
        "changes/",
        ChangesView.as_view(
            detail_views={
                "site": "api-v1:site-detail",
                "organisation": "api-v1:organisation-detail",
                "case_study": "api-v1:case-study-detail",
                "initiative": "api-v1:initiative-detail",
            }
        ),
        name="changes",
    ),
    path("", include("manufacturers.api.urls")),
    path("", include("workstreams.api.urls")),
    path("", include("casestudies.api.urls")),
    path("", include("following.api.urls")),
]

urlpatterns = [
    path("", partner_guide, name="api-guide"),
    path("v1/", include((v1_patterns, "api-v1"))),
    path("ogc/", include("manufacturers.api.ogc.urls")),
    # Last: any other path under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^", api_not_found, name="not-found"),
]
