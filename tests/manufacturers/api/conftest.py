import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from manufacturers.models import Capability, LicenceType, Technology
from tests.manufacturers.factories import LicenceFactory, OrganisationFactory, SiteFactory, region


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache: start every test with none spent."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def landscape(db):
    """Four sites across three regions with different capabilities, technologies and licences."""
    aseptic = Capability.objects.get(slug="aseptic_fill_finish")
    vectors = Capability.objects.get(slug="viral_vectors")
    continuous = Technology.objects.first()
    mia = LicenceType.objects.get(slug="mia")
    livingston = SiteFactory(
        name="Livingston fill",
        slug="livingston-fill",
        town="Livingston",
        postcode="EH54",
        region=region("scotland"),
        capabilities=[aseptic],
        technologies=[continuous],
        latitude=55.88,
        longitude=-3.52,
    )
    glasgow = SiteFactory(
        name="Glasgow vectors",
        slug="glasgow-vectors",
        town="Glasgow",
        postcode="G1",
        region=region("scotland"),
        capabilities=[vectors],
        latitude=55.86,
        longitude=-4.25,
    )
    stevenage = SiteFactory(
        name="Stevenage vectors",
        slug="stevenage-vectors",
        region=region("east-of-england"),
        capabilities=[vectors, aseptic],
    )
    cardiff = SiteFactory(
        name="Cardiff planned",
        slug="cardiff-planned",
        town="Cardiff",
        postcode="CF10",
        region=region("wales"),
        status="planned",
        latitude=51.48,
        longitude=-3.18,
        organisation=OrganisationFactory(kind="nhs", name="Cardiff and Vale NHS", slug="cardiff-and-vale"),
    )
    LicenceFactory(site=livingston, licence_type=mia, basis="confirmed")
    LicenceFactory(site=stevenage, licence_type=mia)
    return {"livingston": livingston, "glasgow": glasgow, "stevenage": stevenage, "cardiff": cardiff}


def set_updated_at(obj, when: datetime.datetime):
    """Backdate a row's auto_now timestamp (update() skips auto_now)."""
    type(obj).objects.filter(pk=obj.pk).update(updated_at=when)


@pytest.fixture
def days_ago():
    def moment(days: float) -> datetime.datetime:
        return timezone.now() - datetime.timedelta(days=days)

    return moment
