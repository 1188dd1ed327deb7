"""The portal's URLs plus the benchmark's anchor view: the ROOT_URLCONF of bench.settings."""

from django.urls import path

from mmip_portal import urls as portal_urls

from . import views

urlpatterns = [
    path("bench/minimal.json", views.minimal, name="bench-minimal"),
    *portal_urls.urlpatterns,
]

# The portal's error views, if it names any, stay in force under this URLconf.
for _handler in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(portal_urls, _handler):
        globals()[_handler] = getattr(portal_urls, _handler)
