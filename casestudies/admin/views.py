"""A case study's admin pages besides its change form: the workflow transitions, revisions with
diffs and restore, staff previews, and shareable preview links.

Each page that changes something calls a service and reports a refusal with message_user, then
returns to the change form, which shows the outcome in the comment trail.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from core.numbers import is_whole_number

from .. import services
from ..diffs import revisions_diff
from ..models import CaseStudy, CaseStudyPreviewLink, CaseStudyRevision
from ..selectors import case_study_preview_context
from .forms import TransitionForm


def _transition_call(transition: str, *, case_study, by, data: dict) -> tuple[Callable, str] | None:
    """The service call for a workflow button, and what to tell the user when it succeeds."""
    common = {"case_study": case_study, "by": by, "expected_version": data["version"]}
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
    return calls.get(transition)


class CaseStudyAdminViews:
    """The extra pages of one case study in the admin, mixed into CaseStudyAdmin."""

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

    def _message_refusal(self, request, error: ValidationError) -> None:
        for message in error.messages:
            self.message_user(request, message, messages.ERROR)

    def _report(self, request, call, success: str) -> bool:
        try:
            call()
        except ValidationError as error:
            self._message_refusal(request, error)
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
        found = _transition_call(transition, case_study=case_study, by=request.user, data=form.cleaned_data)
        if found is None:
            self.message_user(request, gettext("Unknown action."), messages.ERROR)
        else:
            call, success = found
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
                expected_version=int(version) if version and is_whole_number(version) else None,
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
            self._message_refusal(request, error)
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
