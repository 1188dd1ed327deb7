"""The moderation queue for corrections from the public: staff accept (applying the change) or reject."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .models import Correction, Organisation, Site
from .services import correction_accept, correction_reject, correction_submit

SITE_CORRECTABLE_FIELDS = [
    "name",
    "status",
    "town",
    "postcode",
    "region",
    "latitude",
    "longitude",
    "capabilities",
    "technologies",
    "source_urls",
    "confidence",
]
ORGANISATION_CORRECTABLE_FIELDS = ["name", "kind", "website", "companies_house_number", "description"]


class SiteCorrectionForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = SITE_CORRECTABLE_FIELDS


class OrganisationCorrectionForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ORGANISATION_CORRECTABLE_FIELDS


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejecting"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept with the correction for the record; not sent to anyone."),
    )


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "short_message", "has_email", "created_at", "reviewed_by"]
    list_filter = ["status", "created_at"]
    list_select_related = ["site__organisation", "organisation", "reviewed_by"]
    autocomplete_fields = ["site", "organisation"]
    search_fields = ["message", "site__name", "organisation__name", "site__organisation__name"]
    ordering = ["status", "-created_at"]
    readonly_fields = [
        "site",
        "organisation",
        "message",
        "email",
        "email_purged_at",
        "status",
        "rejection_reason",
        "changed_fields",
        "reviewed_at",
        "reviewed_by",
        "created_at",
        "review",
    ]
    fields = readonly_fields

    @admin.display(description=_("what is wrong"))
    def short_message(self, correction):
        return Truncator(correction.message).chars(80)

    @admin.display(description=_("email given"), boolean=True)
    def has_email(self, correction):
        return bool(correction.email)

    @admin.display(description=_("review"))
    def review(self, correction):
        if correction.pk is None or correction.status != Correction.Status.PENDING:
            return "-"
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse("admin:manufacturers_correction_accept", args=[correction.pk]),
            _("Accept and apply the change…"),
            reverse("admin:manufacturers_correction_reject", args=[correction.pk]),
            _("Reject…"),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            # Staff may log a correction that reached them another way (an email, a call).
            return [
                "email_purged_at",
                "status",
                "rejection_reason",
                "changed_fields",
                "reviewed_at",
                "reviewed_by",
                "created_at",
                "review",
            ]
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["site", "organisation", "message", "email"]
        return self.fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on the page is editable: review happens through Accept and Reject.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            return  # a reviewed or pending correction changes only through accept and reject
        created = correction_submit(target=obj.site or obj.organisation, message=obj.message, email=obj.email)
        obj.pk, obj.created_at = created.pk, created.created_at

    def get_urls(self):
        return [
            path(
                "<int:pk>/accept/",
                self.admin_site.admin_view(self.accept_view),
                name="manufacturers_correction_accept",
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="manufacturers_correction_reject",
            ),
            *super().get_urls(),
        ]

    def _pending(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        correction = get_object_or_404(Correction.objects.for_moderation(), pk=pk)
        if correction.status != Correction.Status.PENDING:
            messages.warning(request, _("This correction has already been reviewed."))
            return correction, redirect("admin:manufacturers_correction_change", correction.pk)
        return correction, None

    def accept_view(self, request, pk):
        correction, done = self._pending(request, pk)
        if done:
            return done
        target = correction.target
        form_class = SiteCorrectionForm if isinstance(target, Site) else OrganisationCorrectionForm
        # A fresh copy: a ModelForm writes into its instance while validating.
        form = form_class(request.POST or None, instance=type(target).objects.get(pk=target.pk))
        if request.method == "POST" and form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                correction_accept(correction=correction, changes=changes, by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Correction accepted; %(target)s updated.") % {"target": target})
                return redirect("admin:manufacturers_correction_changelist")
        return self._render(request, "accept", correction, form)

    def reject_view(self, request, pk):
        correction, done = self._pending(request, pk)
        if done:
            return done
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            correction_reject(correction=correction, reason=form.cleaned_data["reason"], by=request.user)
            messages.success(request, _("Correction rejected."))
            return redirect("admin:manufacturers_correction_changelist")
        return self._render(request, "reject", correction, form)

    def _render(self, request, step, correction, form):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Accept a correction") if step == "accept" else _("Reject a correction"),
            "correction": correction,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, f"admin/manufacturers/correction/{step}.html", context)
