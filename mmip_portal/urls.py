from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views
from .admin_site import PortalAdminSite

# django-otp's way in: the one admin site gains TOTP sign-in when OTP_REQUIRED_FOR_STAFF is on.
admin.site.__class__ = PortalAdminSite

admin.site.site_header = "MMIP innovation landscape: staff"
admin.site.site_title = "MMIP staff"
admin.site.index_title = "Content and data"

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("manufacturers.urls")),
    path("", include("workstreams.urls")),
    path("", include("casestudies.urls")),
    path("", include("pages.urls")),
    path("", include("manufacturers.correction_urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("mmip_portal.api.urls")),
]

# A database outage raised outside a view (a session saved on the way out) still answers 503.
handler500 = "mmip_portal.health.server_error"
