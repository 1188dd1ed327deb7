"""The demo case studies: every state, realistic history, demo staff who cannot log in, idempotent."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from casestudies.models import CaseStudy, CaseStudyEvent, CaseStudyRevision
from casestudies.services import case_studies_load_toml

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "casestudies.toml"


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
