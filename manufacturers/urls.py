from django.urls import path

from . import views

app_name = "manufacturers"

urlpatterns = [
    path("sites/", views.site_list, name="site-list"),
    path("sites/<slug:slug>/", views.SiteDetailView.as_view(), name="site-detail"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation-detail"),
    path("map/", views.site_map, name="map"),
    path("map/regions.geojson", views.map_regions, name="map-regions"),
    path("map/clusters.json", views.map_clusters, name="map-clusters"),
]
