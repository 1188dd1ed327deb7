"""The case study ModelAdmin: the list, the edit form saved as a revision through the services,
and the workflow panel and comment trail on the change page. Regulatory topics are edited here too.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import CaseStudy, CaseStudyEvent, CaseStudyPreviewLink, ChangeNote, RegulatoryTopic
from .filters import AwaitingMyReviewFilter, StateFilter
from .forms import CaseStudyAdminForm
from .views import CaseStudyAdminViews

Status = CaseStudy.Status
Action = CaseStudyEvent.Action


@admin.register(RegulatoryTopic)
class RegulatoryTopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["name"]


class ChangeNoteInline(admin.TabularInline):
    """Public change notes, read-only here: publishers add them when they republish."""

    model = ChangeNote
    fields = ["published_at", "note", "created_by"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ServiceRefused(Exception):
    """A service refused the save: carried out of save_model so the change form can report it."""

    def __init__(self, error: ValidationError):
        self.error = error


@admin.register(CaseStudy)
class CaseStudyAdmin(CaseStudyAdminViews, admin.ModelAdmin):
    form = CaseStudyAdminForm
    change_form_template = "admin/casestudies/casestudy/change_form.html"
    list_display = [
        "title",
        "state",
        "author",
        "reviewer",
        "go_live_at",
        "last_published_at",
        "organisation",
    ]
    list_filter = [StateFilter, AwaitingMyReviewFilter, "topics"]
    # One join for everything a row shows, so the changelist does not query per row.
    list_select_related = ["organisation", "author", "reviewer"]
    search_fields = ["title", "summary", "organisation__name"]
    autocomplete_fields = ["organisation", "sites", "technologies", "topics", "workstream"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "state",
        "author",
        "reviewer",
        "go_live_at",
        "first_published_at",
        "last_published_at",
        "withdrawn_reason",
        "created_at",
        "updated_at",
        "updated_by",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "expected_version"]}),
        (
            _("What it is about"),
            {"fields": ["organisation", "sites", "technologies", "topics", "workstream", "source_urls"]},
        ),
        (
            _("Publishing"),
            {
                "fields": [
                    "state",
                    "author",
                    "reviewer",
                    "go_live_at",
                    "first_published_at",
                    "last_published_at",
                    "withdrawn_reason",
                    "created_at",
                    "updated_at",
                    "updated_by",
                ]
            },
        ),
    ]
    ordering = ["-updated_at"]
    inlines = [ChangeNoteInline]

    @admin.display(description=_("state"), ordering="status")
    def state(self, obj):
        return obj.state_label

    def get_fieldsets(self, request, obj=None):
        # A new case study has no publishing history to show yet.
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else fieldsets[:2]

    def get_inlines(self, request, obj):
        # Change notes are added by publishing; show the list once there is one.
        return self.inlines if obj is not None and obj.change_notes.exists() else []

    # ------------------------------------------------------------ permissions

    def has_change_permission(self, request, obj=None):
        # Archived case studies are read-only; restoring a revision makes one a draft again.
        if obj is not None and obj.status == Status.ARCHIVED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Nothing is deleted: every change must stay traceable. Archive instead.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and (obj.first_published_at is not None or obj.status == Status.PUBLISHED):
            fields.append("slug")  # a public address never changes
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and "slug" in self.get_readonly_fields(request, obj):
            return {}
        return super().get_prepopulated_fields(request, obj)

    # ------------------------------------------------------------ saving through services

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                services.case_study_save_draft(
                    case_study=obj, data=data, by=request.user, expected_version=data.get("expected_version")
                )
            else:
                created = services.case_study_create(data=data, by=request.user)
                obj.pk = created.pk
        except ValidationError as error:
            raise _ServiceRefused(error) from error

    def save_related(self, request, form, formsets, change):
        # The services saved the relations (sites, technologies, topics) with the revision;
        # form.save_m2m() would write them onto the live row.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:
            self._message_refusal(request, refused.error)
            return HttpResponseRedirect(request.path)

    def response_change(self, request, obj):
        obj.refresh_from_db()
        if obj.has_unpublished_changes and "_continue" not in request.POST:
            self.message_user(
                request,
                gettext(
                    "Your changes are saved as a new revision. The public keeps seeing the published "
                    "version until a publisher publishes them."
                ),
                messages.INFO,
            )
        return super().response_change(request, obj)

    # ------------------------------------------------------------ change page

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case_study = self.get_object(request, object_id)
        if case_study is not None:
            extra_context = {**(extra_context or {}), **self._workflow_context(request, case_study)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _workflow_context(self, request, case_study):
        events = list(case_study.events.select_related("by", "revision")[:100])
        latest_review = next(
            (event for event in events if event.action in (Action.SUBMITTED, Action.CHANGES_REQUESTED)), None
        )
        return {
            "case_study": case_study,
            "allowed_transitions": services.case_study_allowed_transitions(
                case_study=case_study, user=request.user
            ),
            "can_publish": services.user_can_publish(request.user),
            "can_edit": services.user_can_edit(request.user),
            "events": events,
            "changes_requested": latest_review
            if latest_review is not None
            and latest_review.action == Action.CHANGES_REQUESTED
            and case_study.editorial_state == Status.DRAFT
            else None,
            "preview_links": CaseStudyPreviewLink.objects.filter(revision__case_study=case_study)
            .select_related("revision", "created_by", "revoked_by")
            .order_by("-created_at")[:20],
            "now": timezone.now(),
            "max_preview_days": services.MAX_PREVIEW_DAYS,
            "default_preview_days": services.DEFAULT_PREVIEW_DAYS,
        }
