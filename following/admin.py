"""Staff views of who follows what. Addresses are shown only to staff with `view_alert_address`."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import webhooks
from .changes import head
from .models import Alert, DeliveryAttempt, WebhookDelivery, WebhookEndpoint
from .searches import SearchError, parse_search
from .tasks import enqueue_delivery

ADDRESS_PERMISSION = "following.view_alert_address"


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("query", "frequency", "confirmed_at", "last_sent_at")
    list_filter = ("frequency", ("confirmed_at", admin.EmptyFieldListFilter))
    readonly_fields = ("query", "frequency", "confirmed_at", "covered_until", "last_sent_at")

    def _sees_addresses(self, request) -> bool:
        return request.user.has_perm(ADDRESS_PERMISSION)

    def get_list_display(self, request):
        return ("email", *self.list_display) if self._sees_addresses(request) else self.list_display

    def get_search_fields(self, request):
        return ("email", "query") if self._sees_addresses(request) else ("query",)

    def get_fields(self, request, obj=None):
        return ("email", *self.readonly_fields) if self._sees_addresses(request) else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False  # people subscribe themselves (double opt-in), never staff for them

    def changelist_view(self, request, extra_context=None):
        extra_context = (extra_context or {}) | {
            "counts_per_search": Alert.objects.confirmed().counts_per_search()
        }
        return super().changelist_view(request, extra_context)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("attempted_at", "status_code", "error", "duration_ms")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
    )
    list_filter = ("status", "event_type", "endpoint")
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request):
        return False


class WebhookEndpointForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ("api_key", "url", "query", "description", "is_active")
        help_texts = {
            "query": _(
                "The directory's filter grammar, such as region=scotland&capability=aseptic_fill_finish."
            )
        }

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhooks.validate_endpoint_url(url)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["url"]) from error
        return url

    def clean_query(self):
        try:
            return parse_search(self.cleaned_data["query"]).query
        except SearchError as error:
            raise forms.ValidationError(
                "%(errors)s", params={"errors": "; ".join(error.messages())}
            ) from error


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "query", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active", ("api_key", admin.EmptyFieldListFilter))
    list_select_related = ("api_key",)
    fields = ("api_key", "url", "query", "description", "is_active", "consecutive_failures", "disabled_at")
    readonly_fields = ("consecutive_failures", "disabled_at")
    actions = ["send_test_event", "rotate_secret", "enable"]

    form = WebhookEndpointForm

    def save_model(self, request, obj, form, change):
        if not change:
            position = head()  # it hears of changes made from now on
            obj.cursor_txid, obj.cursor_entry = position.txid, position.entry
            obj.secret = webhooks.new_secret()
            self.message_user(request, _secret_message(obj.secret), messages.WARNING)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("owner"), ordering="api_key__name")
    def owner(self, obj):
        # Partners register endpoints with their key; the rest were made here by staff.
        return obj.api_key.name if obj.api_key else _("Staff (no key)")

    @admin.action(description=_("Send test event"))
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            enqueue_delivery(webhooks.queue_test_event(endpoint))
        self.message_user(request, _("Test events queued; see Webhook deliveries for the answers."))

    @admin.action(description=_("Rotate secret (shows the new one once)"))
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = webhooks.endpoint_rotate_secret(endpoint)
            self.message_user(request, f"{endpoint.url}: {_secret_message(secret)}", messages.WARNING)

    @admin.action(description=_("Enable again (after the receiver is fixed)"))
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhooks.endpoint_enable(endpoint)


def _secret_message(secret: str) -> str:
    return str(_("Signing secret, shown only now; give it to the key's owner: %(secret)s")) % {
        "secret": secret
    }
