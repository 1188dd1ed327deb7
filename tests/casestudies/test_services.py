"""The editorial workflow's services: every transition and role, allowed and refused."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casestudies import services
from casestudies.models import CaseStudy, CaseStudyEvent, ChangeNote
from tests.casestudies.factories import CaseStudyFactory, StaffUserFactory
from tests.manufacturers.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

Status = CaseStudy.Status
Action = CaseStudyEvent.Action


def _data(case_study, **changes):
    """Form-like data for a save: the case study's working content with some fields changed."""
    return {**case_study.working_content(), "slug": case_study.slug, **changes}


def _actions(case_study):
    return list(case_study.events.order_by("pk").values_list("action", flat=True))


def _submitted(case_study, editor):
    return services.case_study_submit_for_review(case_study=case_study, by=editor, comment="Ready.")


def _published(case_study, editor, publisher):
    _submitted(case_study, editor)
    return services.case_study_publish(case_study=case_study, by=publisher)


# ---------------------------------------------------------------- create and save


def test_an_editor_creates_a_draft_with_a_first_revision(draft, editor):
    assert draft.status == Status.DRAFT
    assert draft.author == editor
    assert draft.created_by == editor
    assert draft.revisions.count() == 1
    assert draft.revisions.get().content["title"] == "Continuous tablets"
    assert draft.sites.count() == 1
    assert _actions(draft) == [Action.CREATED]


def test_someone_without_case_study_permissions_cannot_create_one(draft):
    outsider = StaffUserFactory()
    with pytest.raises(ValidationError, match="You do not have permission to add case studies."):
        services.case_study_create(data=_data(draft, slug="another"), by=outsider)


def test_saving_a_draft_updates_it_and_keeps_a_revision(draft, other_editor):
    services.case_study_save_draft(
        case_study=draft,
        data=_data(draft, title="Tablets, continuously"),
        by=other_editor,
        expected_version=1,
    )
    draft.refresh_from_db()
    assert draft.title == "Tablets, continuously"
    assert draft.version == 2
    assert draft.updated_by == other_editor
    assert list(draft.revisions.values_list("number", "content__title")) == [
        (2, "Tablets, continuously"),
        (1, "Continuous tablets"),
    ]
    assert _actions(draft) == [Action.CREATED, Action.EDITED]


def test_saving_without_changes_makes_no_revision(draft, editor):
    services.case_study_save_draft(case_study=draft, data=_data(draft), by=editor, expected_version=1)
    draft.refresh_from_db()
    assert (draft.version, draft.revisions.count()) == (1, 1)


def test_a_second_editor_saving_a_stale_version_is_refused_and_overwrites_nothing(
    draft, editor, other_editor
):
    # Both open version 1; the first saves, then the second saves what they started from.
    services.case_study_save_draft(
        case_study=draft, data=_data(draft, title="First editor's title"), by=editor, expected_version=1
    )
    with pytest.raises(ValidationError) as refused:
        services.case_study_save_draft(
            case_study=draft,
            data=_data(draft, summary="Second editor's summary"),
            by=other_editor,
            expected_version=1,
        )
    assert refused.value.message_dict == {
        "version": [
            "Someone else changed this case study while you were working on it (it is now at "
            "version 2; you started from version 1). Nothing has been saved. Reload the page to "
            "see their changes, then make yours again."
        ]
    }
    draft.refresh_from_db()
    assert (draft.title, draft.summary, draft.version) == ("First editor's title", "Batch to flow.", 2)
    assert draft.revisions.count() == 2


def test_editing_a_published_case_study_keeps_the_public_version(draft, editor, publisher):
    _published(draft, editor, publisher)
    draft.refresh_from_db()
    services.case_study_save_draft(
        case_study=draft,
        data=_data(draft, title="A new title", body="Unpublished words"),
        by=editor,
        expected_version=draft.version,
    )
    draft.refresh_from_db()
    live = CaseStudy.objects.published().get(pk=draft.pk)
    assert (live.title, live.body) == ("Continuous tablets", "## The challenge\n\nA new process.")
    assert draft.has_unpublished_changes
    assert draft.draft_revision.content["title"] == "A new title"
    assert draft.state_label == "Published, with draft changes"


def test_an_archived_case_study_cannot_be_edited(draft, editor, publisher):
    services.case_study_archive(case_study=draft, by=publisher)
    with pytest.raises(ValidationError, match="An archived case study cannot be edited"):
        services.case_study_save_draft(
            case_study=draft, data=_data(draft, title="X"), by=editor, expected_version=None
        )


# ---------------------------------------------------------------- review


def test_an_editor_submits_a_draft_for_review(draft, editor):
    _submitted(draft, editor)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    event = draft.events.first()
    assert (event.action, event.by, event.comment) == (Action.SUBMITTED, editor, "Ready.")


def test_a_case_study_in_review_cannot_be_submitted_again(draft, editor):
    _submitted(draft, editor)
    with pytest.raises(ValidationError, match="cannot be submitted for review: it is in review."):
        _submitted(draft, editor)


def test_a_publisher_requests_changes_with_a_comment(draft, editor, publisher):
    _submitted(draft, editor)
    services.case_study_request_changes(case_study=draft, by=publisher, comment="Cite the guideline.")
    draft.refresh_from_db()
    assert (draft.status, draft.reviewer) == (Status.DRAFT, publisher)
    assert draft.events.first().comment == "Cite the guideline."


def test_requesting_changes_needs_a_comment(draft, editor, publisher):
    _submitted(draft, editor)
    with pytest.raises(ValidationError) as refused:
        services.case_study_request_changes(case_study=draft, by=publisher, comment="  ")
    assert refused.value.message_dict == {"comment": ["Say what needs to change."]}


def test_an_editor_cannot_request_changes(draft, editor, other_editor):
    _submitted(draft, editor)
    with pytest.raises(ValidationError, match="Only a publisher can request changes to a case study."):
        services.case_study_request_changes(case_study=draft, by=other_editor, comment="No.")


def test_changes_cannot_be_requested_on_a_draft(draft, publisher):
    with pytest.raises(ValidationError, match="cannot be sent back for changes: it is draft."):
        services.case_study_request_changes(case_study=draft, by=publisher, comment="No.")


# ---------------------------------------------------------------- publish


def test_a_publisher_publishes_a_case_study_in_review(draft, editor, publisher):
    with time_machine.travel(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False):
        _published(draft, editor, publisher)
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert (
        draft.first_published_at
        == draft.last_published_at
        == datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC)
    )
    assert draft.reviewer == publisher
    assert draft.live_revision == draft.revisions.get(number=1)
    assert CaseStudy.objects.published().filter(pk=draft.pk).exists()
    assert _actions(draft) == [Action.CREATED, Action.SUBMITTED, Action.PUBLISHED]


def test_an_editor_cannot_publish_their_own_work(draft, editor):
    _submitted(draft, editor)
    with pytest.raises(ValidationError, match="Only a publisher can publish a case study."):
        services.case_study_publish(case_study=draft, by=editor)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW


def test_a_publisher_can_publish_their_own_work(publisher):
    case_study = CaseStudyFactory(author=publisher)
    services.case_study_submit_for_review(case_study=case_study, by=publisher)
    services.case_study_publish(case_study=case_study, by=publisher)
    case_study.refresh_from_db()
    assert case_study.status == Status.PUBLISHED
    assert (case_study.author, case_study.reviewer) == (publisher, publisher)


def test_a_draft_must_be_reviewed_before_it_is_published(draft, publisher):
    with pytest.raises(
        ValidationError, match="Only a case study in review can be published. Submit it for review first."
    ):
        services.case_study_publish(case_study=draft, by=publisher)


def test_publishing_a_version_other_than_the_one_reviewed_is_refused(draft, editor, publisher):
    _submitted(draft, editor)
    reviewed_version = CaseStudy.objects.get(pk=draft.pk).version
    services.case_study_save_draft(
        case_study=draft,
        data=_data(draft, body="Changed after review started"),
        by=editor,
        expected_version=None,
    )
    with pytest.raises(ValidationError, match="Someone else changed this case study"):
        services.case_study_publish(case_study=draft, by=publisher, expected_version=reviewed_version)
    assert not CaseStudy.objects.published().exists()


def test_republishing_changes_keeps_the_first_date_and_adds_a_public_change_note(draft, editor, publisher):
    with time_machine.travel(datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC), tick=False):
        _published(draft, editor, publisher)
    draft.refresh_from_db()
    with time_machine.travel(datetime.datetime(2026, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False):
        services.case_study_save_draft(
            case_study=draft,
            data=_data(draft, title="Corrected title"),
            by=editor,
            expected_version=draft.version,
        )
        services.case_study_submit_for_review(case_study=draft, by=editor)
        draft.refresh_from_db()
        assert draft.state_label == "Published, changes in review"
        assert CaseStudy.objects.published().get().title == "Continuous tablets"
        services.case_study_publish(case_study=draft, by=publisher, change_note="Corrected the licence type.")
    draft.refresh_from_db()
    assert draft.title == "Corrected title"
    assert draft.first_published_at.date() == datetime.date(2026, 1, 5)
    assert draft.last_published_at.date() == datetime.date(2026, 3, 3)
    assert not draft.has_unpublished_changes
    assert draft.live_revision.content["title"] == "Corrected title"
    assert list(ChangeNote.objects.values_list("note", "published_at__date")) == [
        ("Corrected the licence type.", datetime.date(2026, 3, 3))
    ]


def test_a_change_note_is_refused_on_first_publication(draft, editor, publisher):
    _submitted(draft, editor)
    with pytest.raises(ValidationError) as refused:
        services.case_study_publish(case_study=draft, by=publisher, change_note="Something")
    assert refused.value.message_dict == {
        "change_note": ["Change notes are for republishing: leave it empty the first time."]
    }


# ---------------------------------------------------------------- scheduling


def test_a_scheduled_case_study_appears_at_its_go_live_time_without_any_job(draft, editor, publisher):
    go_live = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(go_live - datetime.timedelta(days=3), tick=False):
        _submitted(draft, editor)
        services.case_study_publish(case_study=draft, by=publisher, go_live_at=go_live)
        draft.refresh_from_db()
        assert draft.is_scheduled
        assert draft.state_label == "Scheduled"
        assert _actions(draft)[-1] == Action.SCHEDULED
    with time_machine.travel(go_live - datetime.timedelta(seconds=1), tick=False):
        assert not CaseStudy.objects.published().exists()
        assert CaseStudy.objects.scheduled().get() == draft
    with time_machine.travel(go_live, tick=False):
        assert CaseStudy.objects.published().get() == draft
        assert not CaseStudy.objects.scheduled().exists()
    assert draft.first_published_at == go_live


def test_a_go_live_time_in_the_past_is_refused(draft, editor, publisher):
    _submitted(draft, editor)
    with pytest.raises(ValidationError) as refused:
        services.case_study_publish(
            case_study=draft, by=publisher, go_live_at=timezone.now() - datetime.timedelta(minutes=1)
        )
    assert refused.value.message_dict == {
        "go_live_at": ["Choose a go-live time in the future, or leave it empty to publish now."]
    }


def test_changes_to_a_public_case_study_cannot_be_scheduled(draft, editor, publisher):
    _published(draft, editor, publisher)
    draft.refresh_from_db()
    services.case_study_save_draft(
        case_study=draft, data=_data(draft, title="New"), by=editor, expected_version=None
    )
    _submitted(draft, editor)
    with pytest.raises(ValidationError) as refused:
        services.case_study_publish(
            case_study=draft, by=publisher, go_live_at=timezone.now() + datetime.timedelta(days=1)
        )
    assert refused.value.message_dict == {
        "go_live_at": ["This case study is already public, so changes to it are published at once."]
    }


# ---------------------------------------------------------------- unpublish, withdraw, archive


def test_a_publisher_unpublishes_a_live_case_study(draft, editor, publisher):
    _published(draft, editor, publisher)
    services.case_study_unpublish(case_study=draft, by=publisher, comment="Legal check.")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.live_revision is None
    assert not CaseStudy.objects.published().exists()
    assert draft.events.first().comment == "Legal check."


def test_unpublishing_a_scheduled_case_study_cancels_it(draft, editor, publisher):
    _submitted(draft, editor)
    services.case_study_publish(
        case_study=draft, by=publisher, go_live_at=timezone.now() + datetime.timedelta(days=2)
    )
    services.case_study_unpublish(case_study=draft, by=publisher)
    draft.refresh_from_db()
    assert (draft.status, draft.go_live_at, draft.first_published_at) == (Status.DRAFT, None, None)


def test_unpublishing_makes_pending_changes_the_draft(draft, editor, publisher):
    _published(draft, editor, publisher)
    draft.refresh_from_db()
    services.case_study_save_draft(
        case_study=draft, data=_data(draft, title="Pending"), by=editor, expected_version=None
    )
    services.case_study_unpublish(case_study=draft, by=publisher)
    draft.refresh_from_db()
    assert (draft.title, draft.draft_revision) == ("Pending", None)


def test_an_editor_cannot_unpublish(draft, editor, publisher):
    _published(draft, editor, publisher)
    with pytest.raises(ValidationError, match="Only a publisher can unpublish a case study."):
        services.case_study_unpublish(case_study=draft, by=editor)


def test_a_draft_cannot_be_unpublished(draft, publisher):
    with pytest.raises(ValidationError, match="cannot be unpublished: it is draft."):
        services.case_study_unpublish(case_study=draft, by=publisher)


def test_a_publisher_withdraws_a_live_case_study_with_a_public_reason(draft, editor, publisher):
    _published(draft, editor, publisher)
    services.case_study_withdraw(case_study=draft, by=publisher, reason="Superseded by new guidance.")
    draft.refresh_from_db()
    assert draft.status == Status.WITHDRAWN
    assert draft.withdrawn_reason == "Superseded by new guidance."
    assert draft.withdrawn_at is not None
    assert not CaseStudy.objects.published().exists()
    assert draft.events.first().comment == "Superseded by new guidance."


def test_withdrawing_needs_a_reason(draft, editor, publisher):
    _published(draft, editor, publisher)
    with pytest.raises(ValidationError) as refused:
        services.case_study_withdraw(case_study=draft, by=publisher, reason="")
    assert refused.value.message_dict == {
        "withdrawn_reason": ["Give the public a reason for the withdrawal."]
    }


def test_only_a_live_case_study_can_be_withdrawn(draft, editor, publisher):
    _submitted(draft, editor)
    services.case_study_publish(
        case_study=draft, by=publisher, go_live_at=timezone.now() + datetime.timedelta(days=2)
    )
    with pytest.raises(ValidationError, match="cannot be withdrawn: it is scheduled."):
        services.case_study_withdraw(case_study=draft, by=publisher, reason="Why")


def test_an_editor_cannot_withdraw(draft, editor, publisher):
    _published(draft, editor, publisher)
    with pytest.raises(ValidationError, match="Only a publisher can withdraw a case study."):
        services.case_study_withdraw(case_study=draft, by=editor, reason="Why")


def test_a_withdrawn_case_study_can_be_republished(draft, editor, publisher):
    _published(draft, editor, publisher)
    services.case_study_withdraw(case_study=draft, by=publisher, reason="Checking a fact.")
    services.case_study_publish(case_study=draft, by=publisher, change_note="Fact checked.")
    draft.refresh_from_db()
    assert (draft.status, draft.withdrawn_reason) == (Status.PUBLISHED, "")
    assert CaseStudy.objects.published().get() == draft


def test_a_publisher_archives_a_draft_or_a_withdrawn_case_study(draft, editor, publisher):
    services.case_study_archive(case_study=draft, by=publisher, comment="Not going ahead.")
    draft.refresh_from_db()
    assert draft.status == Status.ARCHIVED


def test_a_published_case_study_cannot_be_archived(draft, editor, publisher):
    _published(draft, editor, publisher)
    with pytest.raises(ValidationError, match="cannot be archived: it is published."):
        services.case_study_archive(case_study=draft, by=publisher)


def test_an_editor_cannot_archive(draft, editor):
    with pytest.raises(ValidationError, match="Only a publisher can archive a case study."):
        services.case_study_archive(case_study=draft, by=editor)


# ---------------------------------------------------------------- a history with past dates


def test_each_step_records_the_time_it_is_given(draft, editor, publisher):
    created = datetime.datetime(2024, 1, 8, 9, 0, tzinfo=datetime.UTC)
    case_study = services.case_study_create(data=_data(draft, slug="dated"), by=editor, at=created)

    def day(number):
        return created + datetime.timedelta(days=number)

    services.case_study_submit_for_review(case_study=case_study, by=editor, at=day(1))
    services.case_study_request_changes(case_study=case_study, by=publisher, comment="Cite it.", at=day(2))
    services.case_study_save_draft(
        case_study=case_study,
        data=_data(case_study, title="Cited"),
        by=editor,
        expected_version=None,
        at=day(3),
    )
    services.case_study_submit_for_review(case_study=case_study, by=editor, at=day(4))
    services.case_study_publish(case_study=case_study, by=publisher, at=day(5))
    services.case_study_withdraw(case_study=case_study, by=publisher, reason="Out of date.", at=day(6))
    services.case_study_archive(case_study=case_study, by=publisher, at=day(7))
    case_study.refresh_from_db()
    assert list(case_study.events.order_by("pk").values_list("action", "at")) == [
        (Action.CREATED, created),
        (Action.SUBMITTED, day(1)),
        (Action.CHANGES_REQUESTED, day(2)),
        (Action.EDITED, day(3)),
        (Action.SUBMITTED, day(4)),
        (Action.PUBLISHED, day(5)),
        (Action.WITHDRAWN, day(6)),
        (Action.ARCHIVED, day(7)),
    ]
    assert list(case_study.revisions.order_by("number").values_list("created_at", flat=True)) == [
        created,
        day(3),
    ]
    assert (case_study.first_published_at, case_study.last_published_at) == (day(5), day(5))
    assert case_study.withdrawn_at == day(6)


def test_changes_to_a_live_case_study_keep_the_times_they_are_given(draft, editor, publisher):
    _published(draft, editor, publisher)
    draft.refresh_from_db()
    edited = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)
    services.case_study_save_draft(
        case_study=draft, data=_data(draft, title="Second"), by=editor, expected_version=None, at=edited
    )
    services.case_study_submit_for_review(
        case_study=draft, by=editor, at=edited + datetime.timedelta(hours=1)
    )
    draft.refresh_from_db()
    assert draft.draft_revision.created_at == edited
    assert draft.draft_submitted_at == edited + datetime.timedelta(hours=1)
    services.case_study_unpublish(case_study=draft, by=publisher, at=edited + datetime.timedelta(hours=2))
    assert draft.events.get(action=Action.UNPUBLISHED).at == edited + datetime.timedelta(hours=2)


# ---------------------------------------------------------------- the rules the admin's buttons follow


class _RolledBack(Exception):
    pass


def _attempt(transition, case_study, user) -> bool:
    """Whether the service for `transition` succeeds; its changes are rolled back either way."""
    calls = {
        services.SUBMIT: lambda: services.case_study_submit_for_review(case_study=case_study, by=user),
        services.REQUEST_CHANGES: lambda: services.case_study_request_changes(
            case_study=case_study, by=user, comment="Please fix."
        ),
        services.PUBLISH: lambda: services.case_study_publish(case_study=case_study, by=user),
        services.UNPUBLISH: lambda: services.case_study_unpublish(case_study=case_study, by=user),
        services.WITHDRAW: lambda: services.case_study_withdraw(
            case_study=case_study, by=user, reason="Why."
        ),
        services.ARCHIVE: lambda: services.case_study_archive(case_study=case_study, by=user),
    }
    try:
        with transaction.atomic():
            calls[transition]()
            raise _RolledBack
    except _RolledBack:
        return True
    except ValidationError:
        return False


def _in_state(state, editor, publisher):
    case_study = CaseStudyFactory(organisation=OrganisationFactory())
    if state == "draft":
        return case_study
    services.case_study_submit_for_review(case_study=case_study, by=editor)
    if state == "in_review":
        return case_study
    if state == "scheduled":
        services.case_study_publish(
            case_study=case_study, by=publisher, go_live_at=timezone.now() + datetime.timedelta(days=1)
        )
        return case_study
    services.case_study_publish(case_study=case_study, by=publisher)
    case_study.refresh_from_db()
    if state in ("live_with_draft_changes", "live_with_changes_in_review"):
        services.case_study_save_draft(
            case_study=case_study, data=_data(case_study, title="Changed"), by=editor, expected_version=None
        )
        if state == "live_with_changes_in_review":
            services.case_study_submit_for_review(case_study=case_study, by=editor)
    if state in ("withdrawn", "archived"):
        services.case_study_withdraw(case_study=case_study, by=publisher, reason="Out of date.")
    if state == "archived":
        services.case_study_archive(case_study=case_study, by=publisher)
    return case_study


ALL_TRANSITIONS = [
    services.SUBMIT,
    services.REQUEST_CHANGES,
    services.PUBLISH,
    services.UNPUBLISH,
    services.WITHDRAW,
    services.ARCHIVE,
]


@pytest.mark.parametrize(
    ("state", "editor_may", "publisher_may"),
    [
        ("draft", {"submit"}, {"submit", "archive"}),
        ("in_review", set(), {"request_changes", "publish"}),
        ("live", set(), {"unpublish", "withdraw"}),
        ("scheduled", set(), {"unpublish"}),
        ("live_with_draft_changes", {"submit"}, {"submit", "unpublish", "withdraw"}),
        ("live_with_changes_in_review", set(), {"request_changes", "publish", "unpublish", "withdraw"}),
        ("withdrawn", set(), {"publish", "archive"}),
        ("archived", set(), set()),
    ],
)
def test_each_role_may_make_exactly_the_transitions_offered_in_each_state(
    state, editor_may, publisher_may, editor, publisher
):
    case_study = _in_state(state, editor, publisher)
    for user, expected in [(editor, editor_may), (publisher, publisher_may)]:
        case_study.refresh_from_db()
        offered = set(services.case_study_allowed_transitions(case_study=case_study, user=user))
        assert offered == expected, user
        succeeded = {transition for transition in ALL_TRANSITIONS if _attempt(transition, case_study, user)}
        assert succeeded == expected, user


def test_a_case_study_cannot_take_the_feed_address(draft, editor):
    with pytest.raises(ValidationError) as refused:
        services.case_study_create(data=_data(draft, slug="feed"), by=editor)
    assert refused.value.message_dict == {
        "slug": ["“feed” is used by another page of the portal: choose another slug."]
    }
