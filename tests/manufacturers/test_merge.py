"""Merging two records of one organisation through the admin: everything moves, the old page redirects."""

import pytest
from django.urls import reverse
from django.utils import timezone

from manufacturers.models import Organisation, Site
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import OrganisationFactory, SiteFactory
from tests.workstreams.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:manufacturers_organisation_changelist")


def test_staff_merge_a_duplicate_organisation_and_its_old_page_redirects_permanently(
    admin_client, admin_user
):
    keep = SiteFactory(organisation__name="Autolus Therapeutics", organisation__website="").organisation
    merge = OrganisationFactory(name="Autolus", slug="autolus", website="https://www.autolus.com")
    moved_site = SiteFactory(organisation=merge, name="Enfield")
    case_study = CaseStudyFactory(organisation=merge, published=True)
    initiative = InitiativeFactory(partners=[merge, keep])
    merge.description = "Cell therapies."
    merge.save()  # a second history record to move
    selected = {"action": "merge_organisations", "_selected_action": [keep.pk, merge.pk]}

    confirm = admin_client.post(CHANGELIST, selected)
    assert confirm.status_code == 200
    assert "Which one do you keep?" in confirm.content.decode()
    assert Organisation.objects.count() == 2  # nothing merged until confirmed

    done = admin_client.post(CHANGELIST, {**selected, "keep": keep.pk, "apply": "Merge"}, follow=True)

    assert "Autolus was merged into Autolus Therapeutics." in [str(m) for m in done.context["messages"]]
    assert not Organisation.objects.filter(pk=merge.pk).exists()
    keep.refresh_from_db()
    assert keep.website == "https://www.autolus.com"  # filled from the merged record
    assert set(Site.objects.filter(organisation=keep).values_list("name", flat=True)) >= {"Enfield"}
    case_study.refresh_from_db()
    assert case_study.organisation_id == keep.pk
    assert list(initiative.partners.all()) == [keep]
    history = keep.history.all()
    assert history[0].history_change_reason == "Merged Autolus into this organisation"
    assert history[0].history_user == admin_user
    assert "Autolus" in {record.name for record in history}  # the merged record's history moved
    assert (
        Site.objects.get(pk=moved_site.pk).history.first().history_change_reason.startswith("Merged Autolus")
    )

    response = admin_client.get("/organisations/autolus/")
    assert response.status_code == 301
    assert response["Location"] == keep.get_absolute_url()


def test_merging_needs_exactly_two_organisations(admin_client):
    organisations = OrganisationFactory.create_batch(3)
    response = admin_client.post(
        CHANGELIST,
        {"action": "merge_organisations", "_selected_action": [obj.pk for obj in organisations]},
        follow=True,
    )
    assert "Choose exactly two organisations to merge." in [str(m) for m in response.context["messages"]]
    assert Organisation.objects.count() == 3


def test_a_merge_in_the_admin_tells_the_changes_feed_where_the_record_went(admin_client, api_client):
    keep = OrganisationFactory(name="CPI", slug="cpi")
    merge = OrganisationFactory(name="Centre for Process Innovation", slug="cpi-2")
    start = api_client.get("/api/v1/changes/", {"since": timezone.now().isoformat()}).json()["next"]
    selected = {"action": "merge_organisations", "_selected_action": [keep.pk, merge.pk]}
    admin_client.post(CHANGELIST, {**selected, "keep": keep.pk, "apply": "Merge"})

    entries = api_client.get(start).json()["results"]
    tombstones = [entry for entry in entries if entry["action"] == "merged"]
    assert [(entry["slug"], entry["merged_into"]["slug"]) for entry in tombstones] == [("cpi-2", "cpi")]
    assert not [entry for entry in entries if entry["action"] == "deleted"]
