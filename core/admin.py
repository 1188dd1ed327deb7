"""Partner keys in the admin: djangorestframework-api-key's page, plus the key's tier and today's use."""

from django import forms
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .api.quotas import key_tier, usage_today
from .models import KeyQuota, KeyTier

API_NAMESPACES = ("api-v1", "ogc")


def api_endpoints() -> list[str]:
    """The URL names of every API endpoint (`api-v1:site-list`, `ogc:items`, ...)."""
    names = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, ":".join(filter(None, [namespace, pattern.namespace])))
            elif isinstance(pattern, URLPattern) and pattern.name and namespace in API_NAMESPACES:
                names.append(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return sorted(set(names))


class PartnerKeyForm(forms.ModelForm):
    tier = forms.ChoiceField(
        label=_("Quota tier"),
        choices=KeyTier.choices,
        required=False,
        help_text=_("Its limits are in the API guide. A change applies from the key's next request."),
    )

    class Meta:
        model = APIKey
        fields = ["name", "expiry_date", "revoked"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].initial = key_tier(self.instance) if self.instance.pk else KeyTier.STANDARD


admin.site.unregister(APIKey)


@admin.register(APIKey)
class PartnerKeyAdmin(APIKeyModelAdmin):
    form = PartnerKeyForm
    list_display = (*APIKeyModelAdmin.list_display, "tier")
    list_select_related = ("quota",)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "usage_today")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        KeyQuota.objects.update_or_create(
            api_key=obj, defaults={"tier": form.cleaned_data.get("tier") or KeyTier.STANDARD}
        )

    @admin.display(description=_("tier"))
    def tier(self, api_key):
        return key_tier(api_key)

    @admin.display(description=_("requests today"))
    def usage_today(self, api_key):
        if api_key.pk is None:
            return "-"
        counts = usage_today(api_key, api_endpoints())
        if not counts:
            return _("None yet today.")
        return format_html_join(
            "",
            "<div><code>{}</code>: {}</div>",
            sorted(counts.items()),
        )
