from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularSwaggerSplitView

from . import views

app_name = "ogc"

OGC_SCHEMA_SETTINGS = {
    "TITLE": "MMIP innovation landscape: OGC API - Features",
    "DESCRIPTION": "UK medicines manufacturing sites as an OGC API - Features (Part 1: Core) service.",
    "PREPROCESSING_HOOKS": ["core.api.schema.only_ogc_endpoints"],
    "SCHEMA_PATH_PREFIX": "/api/ogc",
}

urlpatterns = [
    path("", views.LandingPageView.as_view(), name="landing-page"),
    path("conformance", views.ConformanceView.as_view(), name="conformance"),
    path("collections", views.CollectionsView.as_view(), name="collections"),
    path("collections/<str:collection_id>", views.CollectionView.as_view(), name="collection"),
    path("collections/<str:collection_id>/queryables", views.QueryablesView.as_view(), name="queryables"),
    path("collections/<str:collection_id>/items", views.ItemsView.as_view(), name="items"),
    path("collections/<str:collection_id>/items/<str:feature_id>", views.ItemView.as_view(), name="item"),
    path(
        "api",
        views.OGCSchemaView.as_view(custom_settings=OGC_SCHEMA_SETTINGS),
        name="openapi",
    ),
    # The split view serves Swagger UI's start-up code as a script file: no inline script, which
    # the strict CSP would block (the page was blank). Swagger UI injects styles as it renders.
    path(
        "api.html",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="ogc:openapi")
        ),
        name="api-docs",
    ),
]
