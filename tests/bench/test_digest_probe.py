"""The digest probe of `make bench-digests`: it sends real digests and leaves the database as it found it."""

import pytest

from bench.digest_probe import probe
from following.models import Alert
from manufacturers.models import Site
from tests.manufacturers.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_the_digest_probe_sends_the_days_digests_and_leaves_nothing_behind():
    SiteFactory.create_batch(12)
    confidence = dict(Site.objects.values_list("id", "confidence"))

    result = probe(alerts=40, changed=12, budget=30)

    assert result["digests"] == 40 and not result["partial"]
    assert result["sites_changed"] == 12
    # Every site changed, so every search that matches any of them has mail; "everything" always does.
    assert 0 < result["mails"] <= 40
    assert result["lines_per_mail_median"] >= 1
    assert result["feed_broad_ms"] >= 0 and result["feed_everything_ms"] >= 0
    assert not Alert.objects.exists()
    assert dict(Site.objects.values_list("id", "confidence")) == confidence
