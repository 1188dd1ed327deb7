"""Measure followed searches on the bench landscape, in a process of its own: a day's digests and a feed.

    DATABASE_URL=<bench database> python -m bench.digest_probe --alerts 10000 --changed 500 --budget 60

In one transaction that is rolled back at the end (the bench data stays as generated): makes
`--alerts` confirmed daily alerts over a spread of searches (regions, capabilities, both, a word,
everything), changes `--changed` sites through the site service (so each change has its history
and its changes-record entry, as an edit in the admin does), then sends due digests one by one
with `following.alerts.send_digest` (the worker's task) into memory until every alert is done or
`--budget` seconds have passed, and reads the feed of a broad search and of everything. Prints
one line of JSON: digests per second, the time for all of them at that rate, mails sent, the
changes per mail, and the feeds' times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time

PROBE_SEED = 20261202
FEED_REPEATS = 20
FEED_LIMIT = 50


def searches(rng: random.Random) -> list[str]:
    """The query strings followed: every region, the common capabilities, pairs of both, words, everything."""
    from django.db.models import Count

    from manufacturers.models import Capability, Region

    regions = list(Region.objects.values_list("slug", flat=True))
    capabilities = list(
        Capability.objects.annotate(n=Count("sites")).order_by("-n").values_list("slug", flat=True)[:12]
    )
    pairs = [f"region={region}&capability={capability}" for region in regions for capability in capabilities]
    return [
        *(f"region={region}" for region in regions),
        *(f"capability={capability}" for capability in capabilities),
        *rng.sample(pairs, min(60, len(pairs))),
        "q=sterile",
        "q=viral+vectors",
        "",
    ]


def _follow(queries: list[str], count: int, rng: random.Random) -> list[int]:
    from datetime import timedelta

    from django.utils import timezone

    from following.changes import head
    from following.models import Alert, AlertFrequency

    position = head()
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    alerts = Alert.objects.bulk_create(
        Alert(
            email=f"bench-{number}@example.org",
            query=rng.choice(queries),
            frequency=AlertFrequency.DAILY,
            confirmed_at=day_ago,
            covered_until=day_ago,
            cursor_txid=position.txid,
            cursor_entry=position.entry,
        )
        for number in range(count)
    )
    return [alert.pk for alert in alerts]


def _change_sites(count: int, rng: random.Random) -> int:
    from manufacturers.models import Site
    from manufacturers.services import site_save

    # Bench sites' ids are dense: a sample of the range is a sample of the sites.
    first = Site.objects.order_by("id").values_list("id", flat=True).first() or 0
    last = Site.objects.order_by("-id").values_list("id", flat=True).first() or -1
    ids = rng.sample(range(first, last + 1), min(count, last - first + 1))
    changed = 0
    for site in Site.objects.filter(id__in=ids).select_related("organisation", "region"):
        site.confidence = "low" if site.confidence != "low" else "medium"
        site_save(site=site, reason="Bench: a day's edits")
        changed += 1
    return changed


def _feed_ms(query: str) -> float:
    from following.changes import recent_changes
    from following.searches import Search

    times = []
    for _ in range(FEED_REPEATS):
        start = time.perf_counter()
        recent_changes(Search(query), limit=FEED_LIMIT)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def probe(*, alerts: int, changed: int, budget: float) -> dict:
    from django.core import mail
    from django.db import transaction
    from django.test.utils import override_settings

    from following.alerts import send_digest

    rng = random.Random(PROBE_SEED)
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        transaction.atomic(),
    ):
        queries = searches(rng)
        alert_ids = _follow(queries, alerts, rng)
        sites_changed = _change_sites(changed, rng)
        mail.outbox = []
        done, start = 0, time.perf_counter()
        for alert_id in alert_ids:
            send_digest(alert_id)
            done += 1
            if time.perf_counter() - start > budget:
                break
        seconds = time.perf_counter() - start
        per_mail = [message.body.count("\n- ") for message in mail.outbox]
        result = {
            "alerts": alerts,
            "searches": len(queries),
            "sites_changed": sites_changed,
            "digests": done,
            "partial": done < alerts,
            "seconds": round(seconds, 2),
            "digests_per_s": round(done / seconds, 1) if seconds else 0.0,
            "minutes_for_all": round(alerts / (done / seconds) / 60, 1) if done else None,
            "mails": len(mail.outbox),
            "lines_per_mail_median": statistics.median(per_mail) if per_mail else 0,
            # The most common capability: the broadest filtered search.
            "feed_broad_query": next(query for query in queries if query.startswith("capability=")),
            "feed_broad_ms": _feed_ms(next(query for query in queries if query.startswith("capability="))),
            "feed_everything_ms": _feed_ms(""),
        }
        transaction.set_rollback(True)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=500)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of digests at most (about)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mmip_portal.settings")
    import django

    django.setup()
    print(json.dumps(probe(alerts=args.alerts, changed=args.changed, budget=args.budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
