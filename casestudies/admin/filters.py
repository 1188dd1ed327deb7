"""The case-study changelist's filters: by workflow state, and what is waiting for me."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import CaseStudy

Status = CaseStudy.Status


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
