from django.apps import AppConfig


class MmipPortalConfig(AppConfig):
    """The project: settings, root URLs and the commands that span every app (load_demo_data)."""

    name = "mmip_portal"
    verbose_name = "MMIP portal"
