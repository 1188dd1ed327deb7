"""Staff edit workstreams and initiatives in the admin, through the services, with history."""

import pytest
from django.urls import reverse

from tests.manufacturers.factories import OrganisationFactory
from tests.workstreams.factories import InitiativeFactory, workstream
from workstreams.models import Initiative

pytestmark = pytest.mark.django_db


def _initiative_form(initiative, **changes):
    data = {
        "workstream": initiative.workstream_id,
        "title": initiative.title,
        "slug": initiative.slug,
        "kind": initiative.kind,
        "status": initiative.status,
        "summary": initiative.summary,
        "body": initiative.body,
        "outcome": initiative.outcome,
        "start_date": "",
        "end_date": "",
        "partners": [partner.pk for partner in initiative.partners.all()],
        "url": "",
        "source_urls": "",
    }
    data.update(changes)
    return data


def test_editing_an_initiative_saves_and_records_history(admin_client):
    partner = OrganisationFactory()
    initiative = InitiativeFactory(partners=[partner])
    url = reverse("admin:workstreams_initiative_change", args=[initiative.pk])
    response = admin_client.post(url, _initiative_form(initiative, outcome="Secured £52m (2014)."))
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.outcome == "Secured £52m (2014)."
    latest = initiative.history.first()
    assert latest.outcome == "Secured £52m (2014)."
    assert latest.history_user.username == "admin"
    history = reverse("admin:workstreams_initiative_history", args=[initiative.pk])
    assert admin_client.get(history).status_code == 200


def test_an_initiative_cannot_end_before_it_starts(admin_client):
    initiative = InitiativeFactory()
    url = reverse("admin:workstreams_initiative_change", args=[initiative.pk])
    response = admin_client.post(
        url, _initiative_form(initiative, start_date="2020-05-01", end_date="2019-01-01")
    )
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    assert Initiative.objects.get(pk=initiative.pk).end_date is None


def test_a_workstream_slug_cannot_change_once_saved(admin_client):
    skills = workstream("skills")
    url = reverse("admin:workstreams_workstream_change", args=[skills.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="slug"' not in html
    response = admin_client.post(
        url,
        {
            "slug": "renamed",
            "name": skills.name,
            "position": skills.position,
            "summary": "A new summary.",
            "body": skills.body,
            "initiatives-TOTAL_FORMS": 0,
            "initiatives-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    skills.refresh_from_db()
    assert (skills.slug, skills.summary) == ("skills", "A new summary.")
    assert skills.history.count() >= 1
