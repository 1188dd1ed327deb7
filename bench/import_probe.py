"""Measure the site import in a process of its own: rows/s and peak memory growth.

    DATABASE_URL=<bench database> python -m bench.import_probe --rows 10000 --budget 60

Imports a file of new sites in the landscape spreadsheet's columns, made by the bench generator
with a seed of their own, with ``manufacturers.importing.sites_import_rows``: checked, written
(organisations, sites, links, licences and their history) and then rolled back, so the bench
data stays as generated. When a first 200 rows show the whole file cannot finish within the
budget, it imports 200-row files until the budget is spent and reports the rate of those
(``"partial": true``). Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator

PROBE_SEED = 20260101
SAMPLE_ROWS = 200


def _memory_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def import_rows(count: int) -> Iterator[dict]:
    """Rows of the landscape spreadsheet for `count` new sites, ten to an organisation."""
    from bench.generate import Reference, landscape_generate
    from manufacturers.models import Region

    reference = Reference.from_database()
    slugs = {
        key: {pk: slug for slug, pk in getattr(reference, key).items()}
        for key in ("capabilities", "technologies", "licence_types")
    }
    regions = dict(Region.objects.values_list("id", "name"))
    kinds = {
        "large_pharma": "large pharma",
        "cdmo": "cdmo",
        "biotech": "biotech",
        "generic": "generic manufacturer",
        "nhs": "nhs",
        "academic_catapult": "academic/catapult",
        "other": "other",
    }
    landscape = landscape_generate(sites=count, seed=PROBE_SEED, reference=reference)
    for site in landscape.sites:
        organisation = (site.id - 1) // 10 + 1
        yield {
            "organisation": f"Imported Medicines {organisation}",
            "organisation_type": kinds[
                landscape.organisations[(organisation - 1) % len(landscape.organisations)].kind
            ],
            "site_name": site.name,
            "town": site.town,
            "postcode_district": site.postcode,
            "region": regions[site.region_id],
            "latitude": str(site.latitude),
            "longitude": str(site.longitude),
            "capabilities": ";".join(slugs["capabilities"][pk] for pk in site.capability_ids),
            "technologies": ";".join(slugs["technologies"][pk] for pk in site.technology_ids),
            "licence_types": ";".join(slugs["licence_types"][pk] for pk in site.licence_type_ids),
            "licence_basis": site.licence_basis,
            "website": f"imported-{organisation}.example.org",
            "source": "https://example.org/bench",
            "confidence": site.confidence,
        }


class _RolledBack(Exception):
    pass


def import_and_roll_back(rows: list[dict] | Iterator[dict]) -> None:
    """A real import, every write made and then undone."""
    from django.db import transaction

    from manufacturers.importing import sites_import_rows

    try:
        with transaction.atomic():
            sites_import_rows(rows)
            raise _RolledBack
    except _RolledBack:
        pass


def probe(*, rows: int, budget: float) -> dict:
    generated = import_rows(rows)
    baseline = _memory_kib("VmRSS")
    sample = list(itertools.islice(generated, min(SAMPLE_ROWS, rows)))
    start = time.perf_counter()
    import_and_roll_back(sample)
    sample_seconds = time.perf_counter() - start
    done, seconds, partial = len(sample), sample_seconds, False
    remaining = rows - done
    if remaining and sample_seconds / len(sample) * rows <= budget:
        # Fast enough for the whole file at once: the figure the target is about.
        everything = import_rows(rows)
        start = time.perf_counter()
        import_and_roll_back(everything)
        done, seconds = rows, time.perf_counter() - start
    elif remaining:
        partial = True
        while remaining and seconds < budget:
            batch = list(itertools.islice(generated, min(SAMPLE_ROWS, remaining)))
            start = time.perf_counter()
            import_and_roll_back(batch)
            seconds += time.perf_counter() - start
            done += len(batch)
            remaining -= len(batch)
    return {
        "rows": done,
        "rows_requested": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(done / seconds, 1) if seconds else 0.0,
        "partial": partial,
        "peak_memory_growth_mib": round((_memory_kib("VmHWM") - baseline) / 1024, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds to spend at most (about)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mmip_portal.settings")
    import django

    django.setup()
    print(json.dumps(probe(rows=args.rows, budget=args.budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
