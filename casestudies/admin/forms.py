"""The forms of the case-study admin: the edit form (saved as a revision) and the transition form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import CaseStudy

Status = CaseStudy.Status


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
