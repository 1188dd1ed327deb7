"""Workstreams and initiatives: their order, addresses and the rules the database keeps."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.manufacturers.factories import OrganisationFactory
from tests.workstreams.factories import InitiativeFactory, workstream
from workstreams.models import Initiative, Workstream

pytestmark = pytest.mark.django_db


def test_the_five_workstreams_are_listed_in_mmips_order():
    assert list(Workstream.objects.values_list("slug", flat=True)) == [
        "regulatory-environment",
        "skills",
        "fiscal-environment",
        "supply-chain",
        "technology",
    ]


def test_a_workstream_and_an_initiative_have_their_own_pages():
    initiative = InitiativeFactory(slug="apprenticeships")
    assert workstream("skills").get_absolute_url() == "/workstreams/skills/"
    assert initiative.get_absolute_url() == "/initiatives/apprenticeships/"
    assert str(initiative) == initiative.title


def test_an_initiative_cannot_end_before_it_starts():
    initiative = InitiativeFactory.build(
        start_date=datetime.date(2020, 5, 1), end_date=datetime.date(2020, 4, 30)
    )
    with pytest.raises(ValidationError) as refused:
        initiative.full_clean()
    assert refused.value.messages == ["The end date cannot be before the start date."]


def test_the_database_refuses_an_unknown_kind_or_status():
    initiative = InitiativeFactory()
    for field in ("kind", "status"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Initiative.objects.filter(pk=initiative.pk).update(**{field: "rumour"})


def test_the_listing_loads_workstreams_and_partners_in_a_fixed_number_of_queries(django_assert_num_queries):
    InitiativeFactory.create_batch(3, partners=OrganisationFactory.create_batch(2))
    # 1 initiatives with their workstreams, 1 partners prefetch
    with django_assert_num_queries(2):
        rows = [
            (item.workstream.name, [p.name for p in item.partners.all()])
            for item in Initiative.objects.for_listing()
        ]
    assert len(rows) == 3
