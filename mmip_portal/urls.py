"""The root URLconf: every app's pages, the staff admin and the API."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from pages.views import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("following.urls")),
    path("", include("manufacturers.urls")),
    path("", include("workstreams.urls")),
    path("", include("casestudies.urls")),
    path("", include("pages.urls")),
    path("", include("manufacturers.correction_urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("mmip_portal.api_urls")),
]

# A database outage raised outside a view (a session saved on the way out) still answers 503.
handler500 = "core.health.server_error"
