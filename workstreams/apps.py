from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkstreamsConfig(AppConfig):
    name = "workstreams"
    verbose_name = _("Workstreams and initiatives")
