"""The case-study admin: the editorial workflow (buttons for allowed transitions, comment trail),
revisions with diffs and restore, staff previews and shareable preview links.

Every save and transition goes through casestudies.services; a refusal (wrong role, wrong
state, a conflicting edit) is shown with the messages framework, never as a 500.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .diffs import revisions_diff
from .models import (
    CaseStudy,
    CaseStudyEvent,
    CaseStudyPreviewLink,
    CaseStudyRevision,
    ChangeNote,
    RegulatoryTopic,
)
from .selectors import case_study_preview_context

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


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("draft", _("Draft")),
            ("in_review", _("In review (first version or changes)")),
            ("live", _("Published and live")),
            ("scheduled", _("Scheduled")),
            ("unpublished_changes", _("Published, with unpublished changes")),
            ("withdrawn", _("Withdrawn")),
            ("archived", _("Archived")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "draft":
            return queryset.filter(status=Status.DRAFT)
        if value == "in_review":
            return queryset.in_review()
        if value == "live":
            return queryset.published()
        if value == "scheduled":
            return queryset.scheduled()
        if value == "unpublished_changes":
            return queryset.filter(status=Status.PUBLISHED, draft_revision__isnull=False)
        if value in ("withdrawn", "archived"):
            return queryset.filter(status=value)
        return queryset


class AwaitingMyReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("mine", _("Awaiting my review")), ("mine_written", _("My case studies"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.awaiting_review_by(request.user)
        if self.value() == "mine_written":
            return queryset.filter(author=request.user)
        return queryset


class CaseStudyAdminForm(forms.ModelForm):
    # Optimistic locking: the version the editor started from travels with the form.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CaseStudy
        fields = [
            "title",
            "slug",
            "summary",
            "body",
            "organisation",
            "workstream",
            "sites",
            "technologies",
            "topics",
            "source_urls",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case_study = self.instance
        if case_study.pk:
            self.fields["expected_version"].initial = case_study.version
            if case_study.draft_revision_id is not None:
                # Edit the unpublished changes, not the live version the row holds.
                content = case_study.draft_revision.content
                self.initial.update({name: content[name] for name in services.CONTENT_FIELDS})
                self.initial.update({name: content[name] for name in services.RELATION_FIELDS})

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        try:
            services.check_slug(slug)
        except ValidationError as error:
            raise ValidationError(error.message_dict["slug"]) from error
        return slug

    def clean(self):
        cleaned = super().clean()
        case_study = self.instance
        if case_study.pk and cleaned.get("expected_version") != case_study.version:
            raise ValidationError(
                gettext(
                    "Someone else saved this case study while you were editing it, so your changes "
                    "have not been saved. Copy anything you need from this page, reload it to see "
                    "their version, then make your changes again."
                ),
                code="conflict",
            )
        return cleaned

    def _post_clean(self):
        # The row of a published case study is what the public sees: validate the form's
        # values without putting them on it (services.case_study_save_draft keeps them as a revision).
        if self.instance.pk and self.instance.status in (Status.PUBLISHED, Status.WITHDRAWN):
            return
        super()._post_clean()


class TransitionForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(required=False, max_length=2000)
    go_live_at = forms.DateTimeField(required=False, label=_("Go-live time"))
    change_note = forms.CharField(required=False, max_length=300, label=_("Public change note"))
    reason = forms.CharField(required=False, max_length=2000, label=_("Public reason for withdrawal"))


class _ServiceRefused(Exception):
    def __init__(self, error: ValidationError):
        self.error = error


def _error_messages(error: ValidationError) -> list[str]:
    return list(error.messages)


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
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
            for message in _error_messages(refused.error):
                self.message_user(request, message, messages.ERROR)
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

    # ------------------------------------------------------------ extra pages

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path(
                "<int:object_id>/transition/<str:transition>/",
                view(self.transition_view),
                name="casestudies_casestudy_transition",
            ),
            path(
                "<int:object_id>/revisions/",
                view(self.revisions_view),
                name="casestudies_casestudy_revisions",
            ),
            path(
                "<int:object_id>/revisions/<int:revision_id>/restore/",
                view(self.restore_view),
                name="casestudies_casestudy_restore",
            ),
            path(
                "<int:object_id>/revisions/<int:revision_id>/preview/",
                view(self.preview_view),
                name="casestudies_casestudy_revision_preview",
            ),
            path("<int:object_id>/preview/", view(self.preview_view), name="casestudies_casestudy_preview"),
            path(
                "<int:object_id>/preview-links/",
                view(self.preview_link_create_view),
                name="casestudies_casestudy_preview_link_create",
            ),
            path(
                "<int:object_id>/preview-links/<int:link_id>/revoke/",
                view(self.preview_link_revoke_view),
                name="casestudies_casestudy_preview_link_revoke",
            ),
            *super().get_urls(),
        ]

    def _get_viewable(self, request, object_id) -> CaseStudy:
        case_study = get_object_or_404(CaseStudy, pk=object_id)
        if not self.has_view_permission(request, case_study):
            raise PermissionDenied
        return case_study

    def _change_url(self, case_study) -> str:
        return reverse("admin:casestudies_casestudy_change", args=[case_study.pk])

    def _report(self, request, call, success: str) -> bool:
        try:
            call()
        except ValidationError as error:
            for message in _error_messages(error):
                self.message_user(request, message, messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def transition_view(self, request, object_id, transition):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case_study = self._get_viewable(request, object_id)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label or field
                for error in errors:
                    self.message_user(request, f"{label}: {error}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(case_study))
        data = form.cleaned_data
        common = {"case_study": case_study, "by": request.user, "expected_version": data["version"]}
        calls = {
            services.SUBMIT: (
                lambda: services.case_study_submit_for_review(**common, comment=data["comment"]),
                gettext("Submitted for review. A publisher will review it."),
            ),
            services.REQUEST_CHANGES: (
                lambda: services.case_study_request_changes(**common, comment=data["comment"]),
                gettext("Sent back to the editors with your comments."),
            ),
            services.PUBLISH: (
                lambda: services.case_study_publish(
                    **common,
                    go_live_at=data["go_live_at"],
                    change_note=data["change_note"],
                    comment=data["comment"],
                ),
                gettext("Scheduled: it will appear on the public site at the go-live time.")
                if data["go_live_at"]
                else gettext("Published: it is now on the public site."),
            ),
            services.UNPUBLISH: (
                lambda: services.case_study_unpublish(**common, comment=data["comment"]),
                gettext("Unpublished: it is no longer on the public site and is a draft again."),
            ),
            services.WITHDRAW: (
                lambda: services.case_study_withdraw(**common, reason=data["reason"]),
                gettext("Withdrawn: its page now shows your reason, and it has left the lists and feed."),
            ),
            services.ARCHIVE: (
                lambda: services.case_study_archive(**common, comment=data["comment"]),
                gettext("Archived."),
            ),
        }
        if transition not in calls:
            self.message_user(request, gettext("Unknown action."), messages.ERROR)
        else:
            call, success = calls[transition]
            self._report(request, call, success)
        return HttpResponseRedirect(self._change_url(case_study))

    def revisions_view(self, request, object_id):
        case_study = self._get_viewable(request, object_id)
        revisions = list(case_study.revisions.select_related("created_by").order_by("-number"))
        by_number = {revision.number: revision for revision in revisions}
        diff = old = new = None
        error = None
        if "old" in request.GET or "new" in request.GET:
            try:
                old = by_number[int(request.GET.get("old", ""))]
                new = by_number[int(request.GET.get("new", ""))]
            except (KeyError, ValueError):
                error = gettext("Choose two revisions of this case study to compare.")
            else:
                diff = revisions_diff(old.content, new.content)
        elif len(revisions) >= 2:
            # By default, what changed in the latest revision.
            old, new = revisions[1], revisions[0]
            diff = revisions_diff(old.content, new.content)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Revisions of “%(title)s”") % {"title": case_study.title},
            "case_study": case_study,
            "original": case_study,
            "revisions": revisions,
            "diff": diff,
            "old": old,
            "new": new,
            "error": error,
            "can_restore": services.user_can_edit(request.user),
        }
        return TemplateResponse(
            request, "admin/casestudies/casestudy/revisions.html", context, status=400 if error else 200
        )

    def restore_view(self, request, object_id, revision_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case_study = self._get_viewable(request, object_id)
        revision = get_object_or_404(CaseStudyRevision, pk=revision_id, case_study=case_study)
        version = request.POST.get("version")
        self._report(
            request,
            lambda: services.case_study_restore_revision(
                case_study=case_study,
                revision=revision,
                by=request.user,
                expected_version=int(version) if version and version.isdigit() else None,
            ),
            gettext("Revision %(number)s is now the draft. Check it, then submit it for review.")
            % {"number": revision.number},
        )
        return HttpResponseRedirect(self._change_url(case_study))

    def preview_view(self, request, object_id, revision_id=None):
        """The public template showing a draft or a revision, for staff only."""
        case_study = self._get_viewable(request, object_id)
        if revision_id is not None:
            revision = get_object_or_404(CaseStudyRevision, pk=revision_id, case_study=case_study)
            content = revision.content
        else:
            revision = case_study.draft_revision
            content = case_study.working_content()
        context = case_study_preview_context(case_study=case_study, content=content, revision=revision)
        response = render(request, "casestudies/case_study_detail.html", context)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "private, no-store"
        return response

    def preview_link_create_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case_study = self._get_viewable(request, object_id)
        try:
            days = int(request.POST.get("days", services.DEFAULT_PREVIEW_DAYS))
        except ValueError:
            days = 0  # the service explains the allowed range
        try:
            link = services.case_study_preview_link_create(case_study=case_study, by=request.user, days=days)
        except ValidationError as error:
            for message in _error_messages(error):
                self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Preview link created. Send this address to the reviewer: %(url)s")
                % {"url": request.build_absolute_uri(link.get_absolute_url())},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(case_study))

    def preview_link_revoke_view(self, request, object_id, link_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case_study = self._get_viewable(request, object_id)
        link = get_object_or_404(CaseStudyPreviewLink, pk=link_id, revision__case_study=case_study)
        self._report(
            request,
            lambda: services.case_study_preview_link_revoke(link=link, by=request.user),
            gettext("Preview link revoked: it no longer works."),
        )
        return HttpResponseRedirect(self._change_url(case_study))
