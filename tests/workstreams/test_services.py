"""Every write to workstreams and initiatives is validated by the services before it is saved."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.workstreams.factories import InitiativeFactory, workstream
from workstreams.models import Initiative
from workstreams.services import initiative_save, workstream_save

pytestmark = pytest.mark.django_db


def test_saving_a_workstream_keeps_its_history():
    skills = workstream("skills")
    skills.summary = "Skills for advanced manufacturing."
    workstream_save(workstream=skills)
    skills.refresh_from_db()
    assert skills.summary == "Skills for advanced manufacturing."
    assert skills.history.first().summary == "Skills for advanced manufacturing."


def test_a_workstream_cannot_take_another_ones_position():
    skills = workstream("skills")
    skills.position = workstream("technology").position
    with pytest.raises(ValidationError) as refused:
        workstream_save(workstream=skills)
    assert list(refused.value.message_dict) == ["position"]
    assert workstream("skills").position == 2


def test_saving_an_initiative_creates_it():
    initiative = initiative_save(
        initiative=Initiative(
            workstream=workstream("technology"),
            slug="digital-twins",
            title="Digital twins",
            summary="Models of the process.",
        )
    )
    assert Initiative.objects.get(slug="digital-twins").pk == initiative.pk
    assert initiative.kind == Initiative.Kind.PROGRAMME


def test_an_initiative_ending_before_it_starts_is_refused_and_not_saved():
    initiative = InitiativeFactory(title="Survey")
    initiative.title = "Survey, dated wrongly"
    initiative.start_date = datetime.date(2021, 6, 1)
    initiative.end_date = datetime.date(2021, 1, 1)
    with pytest.raises(ValidationError) as refused:
        initiative_save(initiative=initiative)
    assert refused.value.message_dict == {"__all__": ["The end date cannot be before the start date."]}
    initiative.refresh_from_db()
    assert (initiative.title, initiative.end_date) == ("Survey", None)
