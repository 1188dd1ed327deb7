"""The demo case studies: every state, realistic history, demo staff who cannot log in, idempotent."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model

from casestudies.demo import case_studies_load_toml
from casestudies.models import CaseStudy, CaseStudyEvent, CaseStudyRevision, ChangeNote

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "casestudies.toml"
Action = CaseStudyEvent.Action


def _history(slug):
    """(action, who, revision number) in the order it happened."""
    case_study = CaseStudy.objects.get(slug=slug)
    return [
        (event.action, event.by.username, event.revision.number if event.revision else None)
        for event in case_study.events.select_related("by", "revision").order_by("at", "pk")
    ]


def test_the_demo_has_case_studies_in_every_state_with_a_history():
    assert case_studies_load_toml(FIXTURE) == 11
    assert set(CaseStudy.objects.values_list("status", flat=True)) == {
        "draft",
        "in_review",
        "published",
        "withdrawn",
        "archived",
    }
    assert CaseStudy.objects.scheduled().count() == 1
    assert CaseStudy.objects.in_review().count() == 2  # a first version, and changes to a live one
    changed = CaseStudy.objects.get(slug="continuous-manufacturing-oral-solid-dose")
    assert changed.state_label == "Published, changes in review"
    assert "under ICH Q13" in changed.draft_revision.content["summary"]
    assert "under ICH Q13" not in CaseStudy.objects.published().get(pk=changed.pk).summary
    for case_study in CaseStudy.objects.all():
        assert case_study.revisions.exists(), case_study.slug
        assert case_study.events.filter(action=CaseStudyEvent.Action.CREATED).exists(), case_study.slug
        assert case_study.author is not None
    for case_study in CaseStudy.objects.filter(status__in=["published", "withdrawn"]):
        assert case_study.live_revision is not None, case_study.slug
    draft = CaseStudy.objects.get(slug="real-time-release-process-analytics")
    assert draft.events.filter(action="changes_requested").exists()


def test_demo_staff_are_in_their_groups_and_cannot_log_in():
    case_studies_load_toml(FIXTURE)
    users = get_user_model().objects.filter(username__startswith="demo-")
    assert {user.username: [group.name for group in user.groups.all()] for user in users} == {
        "demo-editor": ["Editors"],
        "demo-editor-2": ["Editors"],
        "demo-publisher": ["Publishers"],
    }
    assert not any(user.has_usable_password() for user in users)


def test_loading_the_demo_twice_changes_nothing():
    case_studies_load_toml(FIXTURE)
    counts = (
        CaseStudy.objects.count(),
        CaseStudyRevision.objects.count(),
        CaseStudyEvent.objects.count(),
        get_user_model().objects.count(),
    )
    assert case_studies_load_toml(FIXTURE) == 0
    assert (
        CaseStudy.objects.count(),
        CaseStudyRevision.objects.count(),
        CaseStudyEvent.objects.count(),
        get_user_model().objects.count(),
    ) == counts


def test_a_published_demo_case_study_went_through_review_by_the_publisher_on_its_dates():
    case_studies_load_toml(FIXTURE)
    case_study = CaseStudy.objects.get(slug="atmp-hospital-exemption")
    published = datetime.datetime(2025, 5, 20, 9, 30, tzinfo=datetime.UTC)
    assert _history(case_study.slug) == [
        (Action.CREATED, "demo-editor", 1),
        (Action.SUBMITTED, "demo-editor", 1),
        (Action.PUBLISHED, "demo-publisher", 1),
    ]
    events = case_study.events.order_by("at")
    assert [event.at for event in events] == [
        published - datetime.timedelta(days=21),
        published - datetime.timedelta(days=14),
        published,
    ]
    assert (case_study.first_published_at, case_study.last_published_at) == (published, published)
    assert case_study.reviewer.username == "demo-publisher"
    assert case_study.live_revision.created_at == published - datetime.timedelta(days=21)


def test_a_live_demo_case_study_has_its_change_notes_and_changes_waiting_for_review():
    case_studies_load_toml(FIXTURE)
    case_study = CaseStudy.objects.get(slug="continuous-manufacturing-oral-solid-dose")
    assert _history(case_study.slug) == [
        (Action.CREATED, "demo-editor-2", 1),
        (Action.SUBMITTED, "demo-editor-2", 1),
        (Action.PUBLISHED, "demo-publisher", 1),
        (Action.PUBLISHED, "demo-publisher", None),  # republished with a change note
        (Action.EDITED, "demo-editor-2", 2),
        (Action.SUBMITTED, "demo-editor-2", 2),
    ]
    note = ChangeNote.objects.get(case_study=case_study)
    assert note.note.startswith("Added the Medicines Manufacturing Innovation Centre example")
    assert case_study.last_published_at == note.published_at
    assert (case_study.live_revision.number, case_study.draft_revision.number) == (1, 2)
    assert case_study.draft_submitted_at is not None


def test_the_withdrawn_archived_and_scheduled_demo_case_studies_carry_their_reasons():
    case_studies_load_toml(FIXTURE)
    withdrawn = CaseStudy.objects.get(slug="compounded-biologics-shelf-life")
    assert [action for action, _, _ in _history(withdrawn.slug)][-1] == Action.WITHDRAWN
    assert withdrawn.events.get(action=Action.WITHDRAWN).comment == withdrawn.withdrawn_reason
    assert withdrawn.withdrawn_at == withdrawn.first_published_at
    archived = CaseStudy.objects.get(slug="cleaning-validation-shared-equipment")
    assert _history(archived.slug) == [
        (Action.CREATED, "demo-editor", 1),
        (Action.ARCHIVED, "demo-publisher", None),
    ]
    assert archived.first_published_at is None
    scheduled = CaseStudy.objects.scheduled().get()
    assert [action for action, _, _ in _history(scheduled.slug)][-1] == Action.SCHEDULED
    assert scheduled.first_published_at == scheduled.go_live_at


def test_the_demo_still_loads_once_the_scheduled_go_live_time_has_passed():
    with time_machine.travel(datetime.datetime(2027, 6, 1, 12, 0, tzinfo=datetime.UTC), tick=False):
        assert case_studies_load_toml(FIXTURE) == 11
    once_scheduled = CaseStudy.objects.get(slug="3d-printed-medicines-point-of-care")
    go_live = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=datetime.UTC)
    assert once_scheduled.go_live_at == go_live
    assert once_scheduled.events.get(action=Action.SCHEDULED).at == go_live - datetime.timedelta(days=7)
