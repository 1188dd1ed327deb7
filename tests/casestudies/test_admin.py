"""The case-study admin: saving through services, conflicts, transition buttons, revisions and previews."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from casestudies import services
from casestudies.models import CaseStudy, CaseStudyPreviewLink
from tests.casestudies.factories import CaseStudyFactory, StaffUserFactory
from tests.manufacturers.factories import SiteFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:casestudies_casestudy_changelist"


def _change_url(case_study):
    return reverse("admin:casestudies_casestudy_change", args=[case_study.pk])


def _transition_url(case_study, transition):
    return reverse("admin:casestudies_casestudy_transition", args=[case_study.pk, transition])


def _form(case_study, **changes):
    """The admin change form as the browser would post it, from the case study's working copy."""
    content = case_study.working_content()
    data = {
        "title": content["title"],
        "slug": case_study.slug,
        "summary": content["summary"],
        "body": content["body"],
        "organisation": content["organisation"],
        "workstream": content["workstream"],
        "sites": content["sites"],
        "technologies": content["technologies"],
        "topics": content["topics"],
        "source_urls": ",".join(content["source_urls"]),
        "expected_version": case_study.version,
        "change_notes-TOTAL_FORMS": 0,
        "change_notes-INITIAL_FORMS": 0,
        "change_notes-MIN_NUM_FORMS": 0,
        "change_notes-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_groups_exist_with_the_right_permissions():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    publishers = set(Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True))
    assert {"add_casestudy", "change_casestudy", "view_casestudy"} <= editors
    assert "publish_casestudy" not in editors
    assert "delete_casestudy" not in editors | publishers
    assert publishers - editors >= {"publish_casestudy"}


def test_an_editor_adds_a_case_study_through_the_admin(client, editor):
    client.force_login(editor)
    site = SiteFactory()
    template = CaseStudyFactory.build(organisation=site.organisation)
    data = {
        "title": "A new study",
        "slug": "a-new-study",
        "summary": "Short.",
        "body": "## Body",
        "organisation": site.organisation.pk,
        "workstream": template.workstream.pk,
        "sites": [site.pk],
        "source_urls": "",
        "change_notes-TOTAL_FORMS": 0,
        "change_notes-INITIAL_FORMS": 0,
        "change_notes-MIN_NUM_FORMS": 0,
        "change_notes-MAX_NUM_FORMS": 1000,
    }
    response = client.post(reverse("admin:casestudies_casestudy_add"), data)
    assert response.status_code == 302, response.content.decode()
    case_study = CaseStudy.objects.get(slug="a-new-study")
    assert (case_study.author, case_study.status, case_study.revisions.count()) == (editor, "draft", 1)
    assert list(case_study.sites.all()) == [site]


def test_an_invalid_case_study_form_is_refused_with_a_message(client, editor):
    case_study = CaseStudyFactory()
    client.force_login(editor)
    response = client.post(_change_url(case_study), _form(case_study, title=""))
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_two_editors_saving_the_same_case_study_the_second_gets_a_conflict(client, editor, other_editor):
    case_study = CaseStudyFactory(title="Original")
    # Both open the change page at version 1.
    first_form = _form(case_study, title="First editor's title")
    second_form = _form(case_study, summary="Second editor's summary")
    client.force_login(editor)
    assert client.post(_change_url(case_study), first_form).status_code == 302
    client.force_login(other_editor)
    response = client.post(_change_url(case_study), second_form)
    assert response.status_code == 200
    assert "Someone else saved this case study while you were editing it" in response.content.decode()
    # The second editor's words are still in the form, to copy.
    assert "Second editor&#x27;s summary" in response.content.decode()
    case_study.refresh_from_db()
    assert (case_study.title, case_study.summary) == ("First editor's title", CaseStudyFactory.summary)
    assert case_study.version == 2


def test_editing_a_published_case_study_in_the_admin_saves_a_revision_for_review(client, editor, publisher):
    case_study = CaseStudyFactory(title="Live title")
    services.case_study_submit_for_review(case_study=case_study, by=editor)
    services.case_study_publish(case_study=case_study, by=publisher)
    case_study.refresh_from_db()
    client.force_login(editor)
    response = client.post(_change_url(case_study), _form(case_study, title="Edited title"), follow=True)
    assert "Your changes are saved as a new revision." in response.content.decode()
    case_study.refresh_from_db()
    assert case_study.title == "Live title"
    assert case_study.draft_revision.content["title"] == "Edited title"
    # The change page edits the unpublished changes, not the live version.
    html = client.get(_change_url(case_study)).content.decode()
    assert 'value="Edited title"' in html
    assert "You are editing unpublished changes" in html


@pytest.mark.parametrize(
    ("role", "buttons", "absent"),
    [
        ("editor", ["Submit for review"], ["Request changes", "Publish", "Archive"]),
        (
            "publisher",
            ["Submit for review", "Archive", "Create a preview link"],
            ["Request changes", "Withdraw"],
        ),
    ],
)
def test_the_change_page_offers_the_transitions_this_user_may_make(
    client, editor, publisher, role, buttons, absent
):
    case_study = CaseStudyFactory()
    client.force_login(editor if role == "editor" else publisher)
    html = client.get(_change_url(case_study)).content.decode()
    for label in buttons:
        assert label in html
    for label in absent:
        assert f">{label}</button>" not in html


def test_the_whole_life_of_a_case_study_through_the_admin_buttons(client, editor, publisher):
    case_study = CaseStudyFactory(author=editor)
    client.force_login(editor)
    response = client.post(
        _transition_url(case_study, "submit"), {"version": 1, "comment": "Please review."}, follow=True
    )
    assert "Submitted for review. A publisher will review it." in _messages(response)
    client.force_login(publisher)
    html = client.get(_change_url(case_study)).content.decode()
    assert "Please review." in html  # the comment trail
    response = client.post(
        _transition_url(case_study, "request_changes"),
        {"version": 2, "comment": "Add the date."},
        follow=True,
    )
    assert "Sent back to the editors with your comments." in _messages(response)
    client.force_login(editor)
    client.post(_transition_url(case_study, "submit"), {"version": 3})
    client.force_login(publisher)
    response = client.post(_transition_url(case_study, "publish"), {"version": 4}, follow=True)
    assert "Published: it is now on the public site." in _messages(response)
    assert CaseStudy.objects.published().get() == case_study
    html = client.get(_change_url(case_study)).content.decode()
    for trail in ["Submitted for review", "Changes requested", "Add the date.", "Published"]:
        assert trail in html


def test_a_refused_transition_is_a_message_not_an_error_page(client, editor):
    case_study = CaseStudyFactory(status="in_review")
    client.force_login(editor)
    response = client.post(_transition_url(case_study, "publish"), {"version": 1}, follow=True)
    assert response.status_code == 200
    assert "Only a publisher can publish a case study." in _messages(response)
    case_study.refresh_from_db()
    assert case_study.status == "in_review"


def test_a_bad_go_live_time_is_a_message_naming_the_field(client, publisher):
    case_study = CaseStudyFactory(status="in_review")
    client.force_login(publisher)
    response = client.post(
        _transition_url(case_study, "publish"), {"version": 1, "go_live_at": "tomorrow"}, follow=True
    )
    assert "Go-live time: Enter a valid date/time." in _messages(response)


def test_a_publisher_schedules_from_the_admin_and_the_changelist_shows_it(client, publisher):
    case_study = CaseStudyFactory(status="in_review", title="Scheduled one")
    client.force_login(publisher)
    go_live = timezone.localtime() + datetime.timedelta(days=3)
    response = client.post(
        _transition_url(case_study, "publish"),
        {"version": 1, "go_live_at": go_live.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "Scheduled: it will appear on the public site at the go-live time." in _messages(response)
    response = client.get(reverse(CHANGELIST), {"state": "scheduled"})
    assert list(response.context["cl"].result_list) == [case_study]
    assert "Scheduled" in response.content.decode()


def test_a_transition_on_a_stale_page_is_refused(client, editor, publisher):
    case_study = CaseStudyFactory(status="in_review")
    services.case_study_save_draft(
        case_study=case_study,
        data={**case_study.working_content(), "body": "Late edit"},
        by=editor,
        expected_version=1,
    )
    client.force_login(publisher)
    response = client.post(_transition_url(case_study, "publish"), {"version": 1}, follow=True)
    assert any("Someone else changed this case study" in message for message in _messages(response))
    assert not CaseStudy.objects.published().exists()


def test_the_changelist_filters_awaiting_my_review(client, editor, publisher, other_publisher):
    mine = CaseStudyFactory(status="in_review", author=editor, title="For anyone")
    CaseStudyFactory(status="in_review", author=publisher, title="My own work")
    CaseStudyFactory(
        status="in_review", author=editor, reviewer=other_publisher, title="Someone else's review"
    )
    CaseStudyFactory(status="draft", author=editor, title="Still a draft")
    client.force_login(publisher)
    response = client.get(reverse(CHANGELIST), {"review": "mine"})
    assert list(response.context["cl"].result_list) == [mine]


def test_the_changelist_shows_author_reviewer_state_and_scheduled_time(client, editor, publisher):
    CaseStudyFactory(author=editor, reviewer=publisher, status="in_review")
    client.force_login(publisher)
    html = client.get(reverse(CHANGELIST)).content.decode()
    for heading in ["Author", "Reviewer", "State", "Go-live time"]:
        assert heading in html
    assert "In review" in html


def test_the_changelist_query_count_does_not_grow_with_rows(
    client, editor, publisher, django_assert_num_queries
):
    client.force_login(publisher)

    def create(count):
        for _ in range(count):
            CaseStudyFactory(author=editor, reviewer=publisher, topics=[])

    # session, user, user permissions, group permissions, filter choices (topics), count,
    # full count, rows with organisation, author and reviewer joined
    create(2)
    with django_assert_num_queries(8):
        client.get(reverse(CHANGELIST))
    create(20)
    with django_assert_num_queries(8):
        client.get(reverse(CHANGELIST))


def test_the_revisions_page_shows_a_readable_escaped_diff_and_restores(client, editor):
    case_study = CaseStudyFactory(title="First title", body="Line one\nLine two")
    services.case_study_submit_for_review(case_study=case_study, by=editor)  # revision 1
    case_study.refresh_from_db()
    services.case_study_save_draft(
        case_study=case_study,
        data={
            **case_study.working_content(),
            "title": "Second <script>alert(1)</script>",
            "body": "Line one\nLine 2",
        },
        by=editor,
        expected_version=case_study.version,
    )
    client.force_login(editor)
    url = reverse("admin:casestudies_casestudy_revisions", args=[case_study.pk])
    html = client.get(url, {"old": 1, "new": 2}).content.decode()
    assert "<del>First title</del>" in html
    assert "<ins>Second &lt;script&gt;alert(1)&lt;/script&gt;</ins>" in html
    assert "<del>Line two</del>" in html and "<ins>Line 2</ins>" in html
    assert "<script>alert(1)</script>" not in html
    assert client.get(url, {"old": 1, "new": 99}).status_code == 400

    case_study.refresh_from_db()
    first = case_study.revisions.get(number=1)
    response = client.post(
        reverse("admin:casestudies_casestudy_restore", args=[case_study.pk, first.pk]),
        {"version": case_study.version},
        follow=True,
    )
    assert "Revision 1 is now the draft. Check it, then submit it for review." in _messages(response)
    case_study.refresh_from_db()
    assert case_study.title == "First title"


def test_staff_preview_a_draft_with_the_public_template(client, editor):
    case_study = CaseStudyFactory(title="Draft title", body="## Draft heading")
    client.force_login(editor)
    response = client.get(reverse("admin:casestudies_casestudy_preview", args=[case_study.pk]))
    html = response.content.decode()
    assert "Preview: this version is not published" in html
    assert "<h2>Draft heading</h2>" in html
    assert 'class="site-header"' in html  # the public chrome


def test_the_public_cannot_use_the_staff_preview(client):
    case_study = CaseStudyFactory()
    response = client.get(reverse("admin:casestudies_casestudy_preview", args=[case_study.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_someone_without_case_study_permissions_cannot_preview(client):
    case_study = CaseStudyFactory()
    client.force_login(StaffUserFactory())
    response = client.get(reverse("admin:casestudies_casestudy_preview", args=[case_study.pk]))
    assert response.status_code == 403


def test_a_publisher_creates_and_revokes_a_preview_link_in_the_admin(client, publisher):
    case_study = CaseStudyFactory()
    client.force_login(publisher)
    response = client.post(
        reverse("admin:casestudies_casestudy_preview_link_create", args=[case_study.pk]),
        {"days": 3},
        follow=True,
    )
    link = CaseStudyPreviewLink.objects.get()
    assert f"http://testserver{link.get_absolute_url()}" in " ".join(_messages(response))
    assert link.get_absolute_url() in response.content.decode()
    response = client.post(
        reverse("admin:casestudies_casestudy_preview_link_revoke", args=[case_study.pk, link.pk]), follow=True
    )
    assert "Preview link revoked: it no longer works." in _messages(response)
    assert client.get(link.get_absolute_url()).status_code == 410


def test_an_editor_cannot_create_a_preview_link_in_the_admin(client, editor):
    case_study = CaseStudyFactory()
    client.force_login(editor)
    response = client.post(
        reverse("admin:casestudies_casestudy_preview_link_create", args=[case_study.pk]),
        {"days": 3},
        follow=True,
    )
    assert "Only a publisher can share a preview of a case study." in _messages(response)
    assert not CaseStudyPreviewLink.objects.exists()


def test_an_archived_case_study_is_read_only(client, publisher):
    case_study = CaseStudyFactory(status="archived")
    client.force_login(publisher)
    html = client.get(_change_url(case_study)).content.decode()
    assert "Archived case studies are read-only." in html
    assert 'name="_save"' not in html


def test_a_slug_used_by_another_page_is_refused(client, editor):
    case_study = CaseStudyFactory()
    client.force_login(editor)
    response = client.post(_change_url(case_study), _form(case_study, slug="feed"))
    assert response.status_code == 200
    assert "“feed” is used by another page of the portal: choose another slug." in response.content.decode()
