"""Revisions: restoring an old one makes it the new draft, and never touches the public page."""

import pytest
from django.core.exceptions import ValidationError

from casestudies import services
from casestudies.models import CaseStudy
from tests.casestudies.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

Status = CaseStudy.Status


def _data(case_study, **changes):
    """Form-like data for a save: the case study's working content with some fields changed."""
    return {**case_study.working_content(), "slug": case_study.slug, **changes}


def _published(case_study, editor, publisher):
    services.case_study_submit_for_review(case_study=case_study, by=editor, comment="Ready.")
    return services.case_study_publish(case_study=case_study, by=publisher)


def test_restoring_an_old_revision_makes_it_the_new_draft(draft, editor):
    first = draft.revisions.get(number=1)
    services.case_study_save_draft(
        case_study=draft, data=_data(draft, title="Worse title", sites=[]), by=editor, expected_version=1
    )
    services.case_study_restore_revision(case_study=draft, revision=first, by=editor, expected_version=2)
    draft.refresh_from_db()
    assert draft.title == "Continuous tablets"
    assert draft.sites.count() == 1
    assert draft.status == Status.DRAFT
    assert list(draft.revisions.values_list("number", flat=True)) == [3, 2, 1]
    assert draft.revisions.get(number=3).content == first.content
    assert draft.events.first().comment == "Restored revision 1 as a new draft."


def test_restoring_a_revision_of_a_published_case_study_does_not_change_the_public_page(
    draft, editor, publisher
):
    first = draft.revisions.get(number=1)
    _published(draft, editor, publisher)
    draft.refresh_from_db()
    services.case_study_save_draft(
        case_study=draft, data=_data(draft, title="Second"), by=editor, expected_version=None
    )
    services.case_study_submit_for_review(case_study=draft, by=editor)
    services.case_study_publish(case_study=draft, by=publisher)
    services.case_study_restore_revision(case_study=draft, revision=first, by=editor)
    draft.refresh_from_db()
    assert CaseStudy.objects.published().get().title == "Second"
    assert draft.draft_revision.content["title"] == "Continuous tablets"
    assert draft.editorial_state == Status.DRAFT


def test_restoring_an_archived_case_study_makes_it_a_draft(draft, editor, publisher):
    services.case_study_archive(case_study=draft, by=publisher)
    services.case_study_restore_revision(case_study=draft, revision=draft.revisions.get(), by=editor)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_revision_of_another_case_study_cannot_be_restored(draft, editor):
    other = CaseStudyFactory()
    services.case_study_submit_for_review(case_study=other, by=editor)  # snapshots its first revision
    with pytest.raises(ValidationError, match="That revision belongs to another case study."):
        services.case_study_restore_revision(case_study=draft, revision=other.revisions.get(), by=editor)
