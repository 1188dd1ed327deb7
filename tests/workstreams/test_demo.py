"""The demo initiatives: every workstream has some, partners become organisations, loading twice adds nothing."""

from pathlib import Path

import pytest
from django.conf import settings

from manufacturers.models import Organisation
from workstreams.demo import initiatives_load_toml
from workstreams.models import Initiative, Workstream

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "initiatives.toml"


def test_the_demo_gives_every_workstream_initiatives_with_their_partners():
    assert initiatives_load_toml(FIXTURE) == 19
    assert not Workstream.objects.filter(initiatives__isnull=True).exists()
    programme = Initiative.objects.get(slug="mhra-innovation-office-case-studies")
    assert programme.workstream.slug == "regulatory-environment"
    assert programme.status == Initiative.Status.COMPLETED
    assert sorted(programme.partners.values_list("name", flat=True)) == [
        "ABPI",
        "BioIndustry Association",
        "Medicines and Healthcare products Regulatory Agency (MHRA)",
    ]
    # A partner not yet in the directory is added as an organisation of kind "other".
    assert Organisation.objects.get(name="FTI Consulting").kind == Organisation.Kind.OTHER


def test_loading_the_demo_twice_leaves_staff_edits_and_adds_nothing():
    initiatives_load_toml(FIXTURE)
    Initiative.objects.filter(slug="mhra-innovation-office-case-studies").update(title="Edited by staff")
    counts = (Initiative.objects.count(), Organisation.objects.count())
    assert initiatives_load_toml(FIXTURE) == 0
    assert (Initiative.objects.count(), Organisation.objects.count()) == counts
    assert Initiative.objects.get(slug="mhra-innovation-office-case-studies").title == "Edited by staff"
