"""Case-study models: what the querysets let through, the states staff read, and the rules the database keeps."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from casestudies import services
from casestudies.models import CaseStudy, CaseStudyPreviewLink, CaseStudyRevision
from tests.casestudies.factories import CaseStudyFactory, RegulatoryTopicFactory, StaffUserFactory
from tests.manufacturers.factories import TechnologyFactory

pytestmark = pytest.mark.django_db

Status = CaseStudy.Status


def _days(number):
    return timezone.now() + datetime.timedelta(days=number)


def test_the_public_sees_only_published_case_studies_whose_go_live_time_has_come():
    live = CaseStudyFactory(published=True)
    CaseStudyFactory(published=True, go_live_at=_days(-1), title="Gone live")
    scheduled = CaseStudyFactory(published=True, go_live_at=_days(2))
    for status in (Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED):
        CaseStudyFactory(status=status)
    CaseStudyFactory(published=True, status=Status.WITHDRAWN, withdrawn_reason="Out of date.")
    assert set(CaseStudy.objects.published().values_list("title", flat=True)) == {live.title, "Gone live"}
    assert list(CaseStudy.objects.scheduled()) == [scheduled]
    assert CaseStudy.objects.published(at=_days(3)).count() == 3
    assert set(CaseStudy.objects.drafts().values_list("status", flat=True)) == {
        Status.DRAFT,
        Status.IN_REVIEW,
    }
    assert CaseStudy.objects.current().count() == 5


def test_awaiting_my_review_leaves_out_my_own_work_and_other_reviewers_work():
    me, colleague, other_reviewer = StaffUserFactory.create_batch(3)
    mine = CaseStudyFactory(status=Status.IN_REVIEW, author=me)
    unassigned = CaseStudyFactory(status=Status.IN_REVIEW, author=colleague)
    assigned_to_me = CaseStudyFactory(status=Status.IN_REVIEW, author=colleague, reviewer=me)
    CaseStudyFactory(status=Status.IN_REVIEW, author=colleague, reviewer=other_reviewer)
    CaseStudyFactory(status=Status.DRAFT, author=colleague)
    assert mine not in CaseStudy.objects.awaiting_review_by(me)
    assert set(CaseStudy.objects.awaiting_review_by(me)) == {unassigned, assigned_to_me}


def test_related_case_studies_share_a_technology_or_topic_and_are_published():
    flow, topic = TechnologyFactory(), RegulatoryTopicFactory()
    case_study = CaseStudyFactory(published=True, technologies=[flow], topics=[topic])
    by_technology = CaseStudyFactory(published=True, technologies=[flow], first_published_at=_days(-1))
    by_topic = CaseStudyFactory(published=True, topics=[topic], first_published_at=_days(-5))
    CaseStudyFactory(status=Status.DRAFT, technologies=[flow])
    CaseStudyFactory(published=True)
    assert list(CaseStudy.objects.related_to(case_study)) == [by_technology, by_topic]


def test_the_state_staff_read_names_scheduled_and_pending_changes():
    case_study = CaseStudyFactory(published=True)
    assert (case_study.state_label, case_study.editorial_state) == ("Published", Status.PUBLISHED)
    case_study.draft_revision = CaseStudyRevision.objects.create(case_study=case_study, number=1, content={})
    assert (case_study.state_label, case_study.editorial_state) == (
        "Published, with draft changes",
        Status.DRAFT,
    )
    case_study.draft_submitted_at = timezone.now()
    assert (case_study.state_label, case_study.editorial_state) == (
        "Published, changes in review",
        Status.IN_REVIEW,
    )
    scheduled = CaseStudyFactory(published=True, go_live_at=_days(1))
    assert (scheduled.state_label, scheduled.is_live, scheduled.is_scheduled) == ("Scheduled", False, True)


def test_a_withdrawn_case_study_needs_a_public_reason():
    case_study = CaseStudyFactory(published=True)
    case_study.status = Status.WITHDRAWN
    with pytest.raises(ValidationError) as refused:
        case_study.full_clean()
    assert refused.value.message_dict == {"__all__": ["Give the public a reason for the withdrawal."]}


def test_the_database_refuses_a_published_case_study_without_a_date():
    case_study = CaseStudyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseStudy.objects.filter(pk=case_study.pk).update(status=Status.PUBLISHED)


def test_erasing_a_staff_account_keeps_the_case_studies_it_wrote_and_reviewed():
    author, reviewer = StaffUserFactory.create_batch(2)
    case_study = CaseStudyFactory(author=author, reviewer=reviewer, created_by=author, updated_by=reviewer)
    author.delete()
    reviewer.delete()
    case_study.refresh_from_db()
    assert (case_study.author, case_study.reviewer, case_study.created_by, case_study.updated_by) == (
        None,
        None,
        None,
        None,
    )


def test_a_preview_link_works_until_it_expires_or_is_revoked():
    revision = CaseStudyRevision.objects.create(case_study=CaseStudyFactory(), number=1, content={})
    working = CaseStudyPreviewLink.objects.create(revision=revision, expires_at=_days(1))
    CaseStudyPreviewLink.objects.create(revision=revision, created_at=_days(-3), expires_at=_days(-1))
    CaseStudyPreviewLink.objects.create(revision=revision, expires_at=_days(1), revoked_at=timezone.now())
    assert list(CaseStudyPreviewLink.objects.usable()) == [working]
    assert working.get_absolute_url().startswith("/case-studies/preview/")


def test_only_public_changes_move_last_modified_of_case_studies_and_site_records(
    api_client, draft, editor, publisher
):
    """Editing a draft, or the pending changes of a live case study, must not tell every cache
    that the public list and the site records changed; publishing and taking down must."""
    site = draft.sites.get()
    urls = [reverse("api-v1:case-study-list"), reverse("api-v1:site-detail", kwargs={"slug": site.slug})]

    def stamps():
        return [api_client.get(url)["Last-Modified"] for url in urls]

    start = timezone.now() + datetime.timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        live = services.case_study_submit_for_review(case_study=draft, by=editor, comment="Ready.")
        live = services.case_study_publish(case_study=live, by=publisher)
        published = stamps()
        assert published == [http_date(start.timestamp())] * 2

        clock.shift(datetime.timedelta(hours=1))
        other = CaseStudyFactory(organisation=site.organisation, sites=[site])  # a new draft, same site
        services.case_study_save_draft(
            case_study=other,
            data={**other.working_content(), "title": "Renamed"},
            by=editor,
            expected_version=1,
        )
        live.refresh_from_db()
        services.case_study_save_draft(
            case_study=live,
            data={**live.working_content(), "title": "Pending change"},
            by=editor,
            expected_version=live.version,
        )
        assert stamps() == published

        clock.shift(datetime.timedelta(hours=1))
        live.refresh_from_db()
        services.case_study_withdraw(case_study=live, by=publisher, reason="Superseded.")
        assert stamps() == [http_date(timezone.now().timestamp())] * 2
