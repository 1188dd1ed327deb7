from django.urls import path

from . import map_views, views

app_name = "manufacturers"

urlpatterns = [
    path("sites/", views.site_list, name="site-list"),
    path("sites/<slug:slug>/", views.SiteDetailView.as_view(), name="site-detail"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation-detail"),
    path("map/", map_views.site_map, name="map"),
    path("map/regions.geojson", map_views.map_regions, name="map-regions"),
    path("map/regions/<slug:slug>.geojson", map_views.region_boundary, name="map-region"),
    path("map/clusters.json", map_views.map_clusters, name="map-clusters"),
    path("map/sites.json", map_views.MapSitesView.as_view(), name="map-sites"),
    path("map/places.json", map_views.map_places, name="map-places"),
    path("places/suggest.json", map_views.place_suggestions, name="place-suggestions"),
]
