from importlib import import_module

from django.apps import AppConfig, apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule


class CoreConfig(AppConfig):
    """The shared base every app builds on; its one table is the changes feed (core.changes)."""

    default = True  # this module holds two AppConfigs; this one is the app's own
    name = "core"
    verbose_name = "Portal base"

    def ready(self):
        from .cache import connect_invalidation_signals

        connect_invalidation_signals()


class PortalAdminConfig(SimpleAdminConfig):
    """Django's admin on the portal's site (TOTP sign-in when required), autodiscovering every
    app's admin module except django-leaflet's.

    django-leaflet's admin module imports GeoDjango, which needs the GDAL library; the portal
    uses only Leaflet's static files and template tags (no PostGIS), so it is left out.
    """

    default_site = "core.admin_site.PortalAdminSite"

    def ready(self):
        super().ready()
        for app_config in apps.get_app_configs():
            if app_config.name != "leaflet" and module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
