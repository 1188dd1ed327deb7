from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManufacturersConfig(AppConfig):
    name = "manufacturers"
    verbose_name = _("Manufacturers and sites")

    def ready(self):
        from core.changes import changes_pruned

        from .models.site_states import prune_site_states

        changes_pruned.connect(prune_site_states, dispatch_uid="manufacturers.prune_site_states")
