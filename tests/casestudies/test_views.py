"""The public case-study pages, the feed and shared previews: what the public may and may never see."""

import datetime
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from casestudies import services
from casestudies.models import CaseStudy, ChangeNote
from tests.casestudies.factories import CaseStudyFactory, RegulatoryTopicFactory
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, TechnologyFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET = "Unpublishedword"


def _days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def _published(**kwargs):
    kwargs.setdefault("first_published_at", _days_ago(10))
    kwargs.setdefault("last_published_at", kwargs["first_published_at"])
    return CaseStudyFactory(status=CaseStudy.Status.PUBLISHED, **kwargs)


# ---------------------------------------------------------------- list


def test_the_list_shows_published_case_studies_newest_first(client):
    _published(title="Older", first_published_at=_days_ago(100))
    _published(title="Newer", first_published_at=_days_ago(1))
    CaseStudyFactory(title="A draft")
    _published(title="Scheduled", first_published_at=_days_ago(-5), go_live_at=_days_ago(-5))
    response = client.get(reverse("casestudies:case-study-list"))
    assert [case_study.title for case_study in response.context["page"]] == ["Newer", "Older"]
    html = response.content.decode()
    assert "A draft" not in html and "Scheduled" not in html


def test_the_list_links_to_its_atom_feed_in_the_head(client):
    html = client.get(reverse("casestudies:case-study-list")).content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert f'href="{reverse("casestudies:case-study-feed")}"' in html


def test_the_list_filters_by_technology_topic_organisation_and_year(client):
    technology, topic = TechnologyFactory(slug="continuous"), RegulatoryTopicFactory(slug="gmp")
    organisation = OrganisationFactory(slug="acme")
    match = _published(
        title="Match",
        organisation=organisation,
        technologies=[technology],
        topics=[topic],
        first_published_at=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC),
    )
    _published(title="Other year", organisation=organisation, technologies=[technology], topics=[topic])
    _published(title="Other technology", organisation=organisation, topics=[topic])
    url = reverse("casestudies:case-study-list")
    response = client.get(
        url, {"technology": "continuous", "topic": "gmp", "organisation": "acme", "year": "2025"}
    )
    assert response.status_code == 200
    assert list(response.context["page"]) == [match]
    assert len(client.get(url, {"technology": "continuous"}).context["page"]) == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"year": "1999"},
            "Year published: Select a valid choice. 1999 is not one of the available choices.",
        ),
        (
            {"technology": "nope"},
            "Technology: Select a valid choice. That choice is not one of the available choices.",
        ),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(client, params, message):
    _published()
    response = client.get(reverse("casestudies:case-study-list"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_filter_choices_never_reveal_an_unpublished_case_study(client):
    _published(organisation=OrganisationFactory(name="Public Pharma"))
    CaseStudyFactory(
        organisation=OrganisationFactory(name=f"{SECRET} Pharma"),
        technologies=[TechnologyFactory(name=SECRET)],
    )
    html = client.get(reverse("casestudies:case-study-list")).content.decode()
    assert "Public Pharma" in html
    assert SECRET not in html


def test_the_list_is_paginated_and_keeps_the_filters(client):
    technology = TechnologyFactory(slug="continuous")
    for days in range(12):
        _published(first_published_at=_days_ago(days + 1), technologies=[technology])
    response = client.get(reverse("casestudies:case-study-list"), {"technology": "continuous"})
    assert response.context["page"].paginator.num_pages == 2
    assert "?technology=continuous&amp;page=2" in response.content.decode()
    assert len(client.get(reverse("casestudies:case-study-list"), {"page": 2}).context["page"]) == 2


def test_the_list_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    def create(count):
        for _ in range(count):
            _published(technologies=[TechnologyFactory()], topics=[RegulatoryTopicFactory()])

    # filter choices: technologies, topics, organisations, years; then count, page,
    # technologies prefetch, topics prefetch
    create(2)
    with django_assert_num_queries(8):
        client.get(reverse("casestudies:case-study-list"))
    create(8)
    with django_assert_num_queries(8):
        client.get(reverse("casestudies:case-study-list"))


# ---------------------------------------------------------------- detail


def test_the_detail_page_shows_the_case_study_and_its_links(client):
    site = SiteFactory(name="Macclesfield", latitude=53.26, longitude=-2.12)
    technology = TechnologyFactory(name="Continuous processing", slug="continuous")
    case_study = _published(
        title="From batch to flow",
        body="## The challenge\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        organisation=site.organisation,
        sites=[site],
        technologies=[technology],
        first_published_at=datetime.datetime(2025, 1, 5, 9, tzinfo=datetime.UTC),
        last_published_at=datetime.datetime(2026, 3, 3, 9, tzinfo=datetime.UTC),
    )
    ChangeNote.objects.create(
        case_study=case_study,
        note="Corrected the licence type.",
        published_at=datetime.datetime(2026, 3, 3, 9, tzinfo=datetime.UTC),
    )
    related = _published(title="A related study", technologies=[technology])
    _published(title="An unrelated study")
    response = client.get(case_study.get_absolute_url())
    html = response.content.decode()
    assert "<h2>The challenge</h2>" in html and "<table>" in html
    assert f'href="{site.organisation.get_absolute_url()}"' in html
    assert f'href="{site.get_absolute_url()}"' in html
    assert f'href="{reverse("manufacturers:map")}?near=53.26,-2.12&amp;radius_km=5"' in html
    assert "Published <time" in html and "5 January 2025" in html
    assert "Last updated" in html and "3 March 2026" in html
    assert "3 March 2026</time>: Corrected the licence type." in html
    assert list(response.context["related_case_studies"]) == [related]
    assert "An unrelated study" not in html
    assert "its sites on the map" in html


def test_an_organisation_without_sites_gets_no_link_to_an_empty_map(client):
    regulator = OrganisationFactory(name="Medicines and Healthcare products Regulatory Agency")
    case_study = _published(title="Classifying a novel product", organisation=regulator)
    html = client.get(case_study.get_absolute_url()).content.decode()
    assert f'href="{regulator.get_absolute_url()}"' in html
    assert "its sites on the map" not in html


@pytest.mark.parametrize("status", ["draft", "in_review", "archived"])
def test_unpublished_case_studies_are_not_found(client, status):
    case_study = CaseStudyFactory(status=status)
    assert client.get(case_study.get_absolute_url()).status_code == 404


def test_a_withdrawn_case_study_keeps_its_page_with_the_reason_but_leaves_the_list(client):
    case_study = _published(title="Withdrawn study")
    case_study.status = CaseStudy.Status.WITHDRAWN
    case_study.withdrawn_reason = "Superseded by the 2026 guidance."
    case_study.withdrawn_at = timezone.now()
    case_study.save()
    html = client.get(case_study.get_absolute_url()).content.decode()
    assert "This case study was withdrawn on" in html
    assert "Superseded by the 2026 guidance." in html
    assert "Withdrawn study" not in client.get(reverse("casestudies:case-study-list")).content.decode()


def test_the_detail_query_count_does_not_grow_with_relations(client, django_assert_num_queries):
    def case_study_with(count):
        organisation = OrganisationFactory()
        return _published(
            organisation=organisation,
            sites=SiteFactory.create_batch(count, organisation=organisation),
            technologies=TechnologyFactory.create_batch(count),
            topics=RegulatoryTopicFactory.create_batch(count),
        )

    # case study + organisation + workstream; sites, technologies, topics, change notes
    # prefetches; related case studies
    small, large = case_study_with(1), case_study_with(6)
    for case_study in (small, large):
        _published(technologies=list(case_study.technologies.all()))
        with django_assert_num_queries(6):
            assert client.get(case_study.get_absolute_url()).status_code == 200


HOSTILE_BODIES = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">click</a>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    "<p style=\"background:url('javascript:alert(1)')\">styled</p>",
    "[x](JaVaScRiPt:alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<details open ontoggle="alert(1)">',
    '<form action="https://evil.example"><input name="q"></form>',
    '![x](x" onerror="alert(1))',
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_markdown_never_reaches_the_public_page(client, body):
    case_study = _published(body=f"## Before\n\n{body}\n\nAfter")
    html = client.get(case_study.get_absolute_url()).content.decode()
    prose = html.split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    lowered = prose.lower()
    for forbidden in [
        "<script",
        "onerror",
        "onload",
        "ontoggle",
        "javascript:",
        "<iframe",
        "<svg",
        "<form",
        "style=",
        "data:text",
    ]:
        assert forbidden not in lowered, (forbidden, prose)
    assert "<h2>Before</h2>" in prose


# ---------------------------------------------------------------- feed


def test_the_atom_feed_lists_published_case_studies_only(client):
    _published(title="Live one", first_published_at=_days_ago(2))
    _published(title="Live two", first_published_at=_days_ago(1))
    CaseStudyFactory(title="Draft one")
    response = client.get(reverse("casestudies:case-study-feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own feed, in a test
    assert [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")] == [
        "Live two",
        "Live one",
    ]


# ---------------------------------------------------------------- the public never sees an unpublished word


def test_no_public_page_shows_unpublished_words(client, editor, publisher):
    site = SiteFactory()
    live = CaseStudyFactory(title="Live title", organisation=site.organisation, sites=[site])
    services.case_study_submit_for_review(case_study=live, by=editor)
    services.case_study_publish(case_study=live, by=publisher)
    live.refresh_from_db()
    # Changes to the live case study, submitted but not published.
    services.case_study_save_draft(
        case_study=live,
        data={
            **live.working_content(),
            "title": f"{SECRET} title",
            "summary": f"{SECRET} summary",
            "body": SECRET,
        },
        by=editor,
        expected_version=live.version,
    )
    services.case_study_submit_for_review(case_study=live, by=editor)
    # Unpublished case studies about the same organisation and site.
    CaseStudyFactory(title=f"{SECRET} draft", organisation=site.organisation, sites=[site])
    CaseStudyFactory(title=f"{SECRET} in review", organisation=site.organisation, status="in_review")
    scheduled = CaseStudyFactory(title=f"{SECRET} scheduled", organisation=site.organisation, sites=[site])
    services.case_study_submit_for_review(case_study=scheduled, by=editor)
    services.case_study_publish(
        case_study=scheduled, by=publisher, go_live_at=timezone.now() + datetime.timedelta(days=1)
    )
    pages = [
        reverse("home"),
        reverse("casestudies:case-study-list"),
        live.get_absolute_url(),
        reverse("casestudies:case-study-feed"),
        site.organisation.get_absolute_url(),
        site.get_absolute_url(),
        scheduled.get_absolute_url(),
    ]
    for url in pages:
        assert SECRET not in client.get(url).content.decode(), url
    assert "Live title" in client.get(live.get_absolute_url()).content.decode()
    assert "Live title" in client.get(site.get_absolute_url()).content.decode()


def test_a_scheduled_case_study_goes_public_at_its_time(client, editor, publisher):
    go_live = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
    case_study = CaseStudyFactory(title="Coming soon")
    with time_machine.travel(go_live - datetime.timedelta(days=1), tick=False):
        services.case_study_submit_for_review(case_study=case_study, by=editor)
        services.case_study_publish(case_study=case_study, by=publisher, go_live_at=go_live)
    for moment, visible in [(go_live - datetime.timedelta(seconds=1), False), (go_live, True)]:
        with time_machine.travel(moment, tick=False):
            assert client.get(case_study.get_absolute_url()).status_code == (200 if visible else 404)
            assert (
                "Coming soon" in client.get(reverse("casestudies:case-study-list")).content.decode()
            ) is visible
            assert (
                "Coming soon" in client.get(reverse("casestudies:case-study-feed")).content.decode()
            ) is visible


# ---------------------------------------------------------------- shared preview links


@pytest.fixture
def preview_link(editor, publisher):
    case_study = CaseStudyFactory(title="Draft for the manufacturer", body=f"Draft body {SECRET}")
    return services.case_study_preview_link_create(case_study=case_study, by=publisher, days=2)


def test_a_preview_link_shows_that_revision_to_someone_without_an_account(client, preview_link):
    response = client.get(preview_link.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: this version is not published" in html
    assert f"Draft body {SECRET}" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_preview_link_shows_the_revision_it_was_made_for_not_later_edits(client, preview_link, editor):
    case_study = preview_link.revision.case_study
    services.case_study_save_draft(
        case_study=case_study,
        data={**case_study.working_content(), "body": "Edited later"},
        by=editor,
        expected_version=None,
    )
    html = client.get(preview_link.get_absolute_url()).content.decode()
    assert f"Draft body {SECRET}" in html and "Edited later" not in html


def test_an_expired_preview_link_is_gone(client, preview_link):
    with time_machine.travel(preview_link.expires_at - datetime.timedelta(seconds=1), tick=False):
        assert client.get(preview_link.get_absolute_url()).status_code == 200
    with time_machine.travel(preview_link.expires_at, tick=False):
        response = client.get(preview_link.get_absolute_url())
    assert response.status_code == 410
    html = response.content.decode()
    assert "This preview link expired on" in html
    assert SECRET not in html


def test_a_revoked_preview_link_is_gone(client, preview_link, publisher):
    services.case_study_preview_link_revoke(link=preview_link, by=publisher)
    response = client.get(preview_link.get_absolute_url())
    assert response.status_code == 410
    assert "The MMIP team withdrew this preview link on" in response.content.decode()
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize("token", ["1", "1:forged", "not-a-token"])
def test_a_forged_preview_link_is_not_found(client, preview_link, token):
    assert client.get(reverse("casestudies:case-study-preview", kwargs={"token": token})).status_code == 404
