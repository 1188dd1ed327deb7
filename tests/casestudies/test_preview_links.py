"""Preview links: a publisher shares the working revision for a few days, and can revoke the link."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from casestudies import services
from casestudies.models import CaseStudyEvent

pytestmark = pytest.mark.django_db

Action = CaseStudyEvent.Action


def _actions(case_study):
    return list(case_study.events.order_by("pk").values_list("action", flat=True))


def test_a_publisher_creates_a_preview_link_that_expires(draft, publisher):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        link = services.case_study_preview_link_create(case_study=draft, by=publisher, days=3)
    assert link.revision == draft.revisions.get()
    assert link.expires_at == datetime.datetime(2026, 3, 4, 9, 0, tzinfo=datetime.UTC)
    assert _actions(draft)[-1] == Action.PREVIEW_LINK_CREATED


def test_an_editor_cannot_create_a_preview_link(draft, editor):
    with pytest.raises(ValidationError, match="Only a publisher can share a preview of a case study."):
        services.case_study_preview_link_create(case_study=draft, by=editor)


@pytest.mark.parametrize("days", [0, 31])
def test_a_preview_link_lasts_one_to_thirty_days(draft, publisher, days):
    with pytest.raises(ValidationError) as refused:
        services.case_study_preview_link_create(case_study=draft, by=publisher, days=days)
    assert refused.value.message_dict == {"days": ["A preview link lasts from 1 to 30 days."]}


def test_a_preview_link_is_revoked_once(draft, publisher):
    link = services.case_study_preview_link_create(case_study=draft, by=publisher)
    services.case_study_preview_link_revoke(link=link, by=publisher)
    link.refresh_from_db()
    assert link.is_revoked and link.revoked_by == publisher
    with pytest.raises(ValidationError, match="This preview link has already been revoked."):
        services.case_study_preview_link_revoke(link=link, by=publisher)
