from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowingConfig(AppConfig):
    """Following a search: feeds, email alerts and signed webhooks, all read from one changes record."""

    name = "following"
    verbose_name = _("Following")
    default_auto_field = "django.db.models.BigAutoField"
