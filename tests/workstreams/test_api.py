"""Workstreams and initiatives in the partner API: `updated_since` on both lists."""

import datetime

import pytest
from django.utils import timezone

from tests.workstreams.factories import InitiativeFactory
from workstreams.models import Initiative

pytestmark = pytest.mark.django_db


def test_updated_since_lists_only_initiatives_changed_since(api_client):
    old, new = InitiativeFactory(slug="old"), InitiativeFactory(slug="new")
    Initiative.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=10))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    response = api_client.get("/api/v1/initiatives/", {"updated_since": since})
    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == [new.slug]


def test_updated_since_works_on_the_workstreams_list(api_client):
    response = api_client.get("/api/v1/workstreams/", {"updated_since": "2000-01-01"})
    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert api_client.get("/api/v1/workstreams/", {"updated_since": "soon"}).status_code == 400
