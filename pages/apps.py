from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    """The public pages that span the portal: insights, search, open data, sitemap and the about pages."""

    name = "pages"
    verbose_name = _("Public pages")
