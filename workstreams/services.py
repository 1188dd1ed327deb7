"""Writes to workstreams and initiatives."""

from django.db import transaction

from .models import Initiative, Workstream


@transaction.atomic
def workstream_save(*, workstream: Workstream) -> Workstream:
    """Validate and save a workstream; the admin and imports both come through here."""
    workstream.full_clean()
    workstream.save()
    return workstream


@transaction.atomic
def initiative_save(*, initiative: Initiative) -> Initiative:
    """Validate and save an initiative (new or changed); its partners are set by the caller."""
    initiative.full_clean()
    initiative.save()
    return initiative
