"""Case studies in the partner API: sanitised HTML beside the Markdown, 410 for a withdrawn one, syncing."""

import datetime

import pytest
from django.utils import timezone

from casestudies.models import CaseStudy
from tests.casestudies.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def test_the_body_comes_as_markdown_and_as_sanitised_html(api_client):
    CaseStudyFactory(
        slug="hostile",
        published=True,
        body='## Outcome\n\nApproved.<script>alert(1)</script> <a href="javascript:alert(1)" onclick="x()">link</a>',
    )
    body = api_client.get("/api/v1/case-studies/hostile/").json()
    assert body["body"].startswith("## Outcome")
    assert "<h2>Outcome</h2>" in body["body_html"]
    assert "<script" not in body["body_html"]
    assert "javascript:" not in body["body_html"]
    assert "onclick" not in body["body_html"]


def test_a_withdrawn_case_study_answers_410_with_its_reason(api_client):
    CaseStudyFactory(
        slug="withdrawn",
        status=CaseStudy.Status.WITHDRAWN,
        first_published_at=timezone.now() - datetime.timedelta(days=60),
        withdrawn_at=timezone.now(),
        withdrawn_reason="The process it describes was replaced.",
    )
    response = api_client.get("/api/v1/case-studies/withdrawn/")
    assert response.status_code == 410
    assert response.json()["reason"] == "The process it describes was replaced."
    assert response.json()["detail"].startswith("This case study was withdrawn on ")


def test_a_draft_is_still_a_plain_404(api_client):
    CaseStudyFactory(slug="draft")
    response = api_client.get("/api/v1/case-studies/draft/")
    assert response.status_code == 404
    assert "reason" not in response.json()


def test_updated_since_lists_only_case_studies_published_since(api_client):
    now = timezone.now()
    CaseStudyFactory(slug="old", published=True, last_published_at=now - datetime.timedelta(days=10))
    CaseStudyFactory(slug="new", published=True, last_published_at=now - datetime.timedelta(hours=1))
    since = (now - datetime.timedelta(days=1)).isoformat()
    response = api_client.get("/api/v1/case-studies/", {"updated_since": since})
    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == ["new"]


def test_a_malformed_updated_since_is_a_400_naming_it(api_client):
    response = api_client.get("/api/v1/case-studies/", {"updated_since": "last week"})
    assert response.status_code == 400
    assert list(response.json()) == ["updated_since"]
