"""Optimistic locking: a record's `version` goes up on every save, and a save started from an
older version is refused with one message, so two staff editing at once never silently
overwrite each other.

Services take the version the editor started from (`expected_version`) and call
`check_version` on the row they have locked with `select_for_update()`. Admin forms carry it in
a hidden field (`VersionedAdminForm`) and check it inside the admin's transaction, so the
refusal shows on the form with everything the editor typed still there.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

CONFLICT_MESSAGE = _(
    "Someone else saved this %(thing)s while you were editing it, so your changes have not been "
    "saved. Copy anything you need from this page, reload it to see their version, then make your "
    "changes again."
)


def conflict_error(instance: models.Model) -> ValidationError:
    return ValidationError(CONFLICT_MESSAGE, code="conflict", params={"thing": instance._meta.verbose_name})


def locked_version(instance: models.Model) -> int:
    """The saved version of `instance`'s row, locked until the transaction ends."""
    manager = type(instance)._base_manager
    return manager.select_for_update().values_list("version", flat=True).get(pk=instance.pk)


def next_version(instance: models.Model, expected_version: int | None) -> None:
    """Lock the row, refuse a save started from an older version, and number this save.

    Call inside a transaction, before saving; a new record (no pk) starts at 1.
    """
    if instance.pk is None:
        return
    current = locked_version(instance)
    if expected_version is not None and expected_version != current:
        raise conflict_error(instance)
    instance.version = current + 1


class VersionedAdminForm(forms.ModelForm):
    """An admin form that carries the version its editor started from and refuses a stale save."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        # The admin wraps the whole change view in a transaction, so this lock holds until saved.
        if self.instance.pk and expected is not None and expected != locked_version(self.instance):
            raise conflict_error(self.instance)
        return cleaned
