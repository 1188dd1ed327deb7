"""The digest probe of `make bench-digests`: it sends real digests of real edits and removes its alerts."""

import pytest

from bench.digest_probe import probe
from following.models import Alert
from manufacturers.models import Region, Site
from tests.following.factories import AlertFactory
from tests.manufacturers.factories import SiteFactory

# Transactional: a digest reads only committed changes, as the worker does.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_digest_probe_sends_the_days_digests_and_removes_its_alerts():
    for region in Region.objects.all():  # a site in every region: each region's followers hear of it
        SiteFactory(region=region, latitude=region.centroid_latitude, longitude=region.centroid_longitude)
    someone = AlertFactory(email="someone@example.org")
    confidence = dict(Site.objects.values_list("id", "confidence"))

    result = probe(alerts=40, changed=Region.objects.count(), budget=30)

    assert result["digests"] == 40 and not result["partial"]
    assert result["sites_changed"] == Region.objects.count()
    assert dict(Site.objects.values_list("id", "confidence")) != confidence  # a day of edits
    # Every site changed: a region's followers and everything's have mail, most pairs none.
    assert 0 < result["mails"] <= 40
    assert result["lines_per_mail_median"] >= 1
    assert result["feed_broad_ms"] >= 0 and result["feed_everything_ms"] >= 0
    assert list(Alert.objects.all()) == [someone]
