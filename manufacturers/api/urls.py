from django.urls import path
from rest_framework.routers import SimpleRouter

from . import downloads, views

router = SimpleRouter()
router.register("sites", views.SiteViewSet, basename="site")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("regions", views.RegionViewSet, basename="region")
router.register("capabilities", views.CapabilityViewSet, basename="capability")
router.register("technologies", views.TechnologyViewSet, basename="technology")
router.register("licence-types", views.LicenceTypeViewSet, basename="licence-type")

urlpatterns = [
    path("downloads/sites.csv", downloads.SitesCSVDownloadView.as_view(), name="download-sites-csv"),
    path(
        "downloads/sites.geojson", downloads.SitesGeoJSONDownloadView.as_view(), name="download-sites-geojson"
    ),
    path(
        "downloads/organisations.csv",
        downloads.OrganisationsCSVDownloadView.as_view(),
        name="download-organisations-csv",
    ),
    path("data-dictionary/", downloads.DataDictionaryView.as_view(), name="data-dictionary"),
    *router.urls,
]
