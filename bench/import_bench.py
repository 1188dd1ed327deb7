"""Measure the spreadsheet import: rows per second and peak memory for a 10,000-row file.

    DEBUG=1 .venv/bin/python bench/import_bench.py [--rows 10000]

Runs against the configured database (the embedded one under var/ by default) inside a
transaction that is rolled back, so nothing stays behind. Writes bench/results/import.json.
"""

import argparse
import csv
import io
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mmip_portal.settings")


def build_csv(rows: int) -> str:
    from manufacturers.importing import COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for n in range(rows):
        writer.writerow(
            {
                "organisation": f"Bench organisation {n // 50}",
                "organisation_type": "CDMO",
                "site_name": f"Bench site {n}",
                "town": "Stevenage",
                "postcode_district": "",
                "region": "East of England",
                # A grid over Hertfordshire and Cambridgeshire, about 100 m apart.
                "latitude": f"{51.75 + (n // 200) * 0.01:.4f}",
                "longitude": f"{-0.45 + (n % 200) * 0.0015:.4f}",
                "capabilities": "sterile_injectables;aseptic_fill_finish",
                "technologies": "continuous_manufacturing",
                "licence_types": "mia",
                "licence_basis": "inferred",
                "website": "bench.example.com",
                "source": "https://www.example.com/bench",
                "confidence": "medium",
            }
        )
    return out.getvalue()


def measure(label, text, *, trace_memory=False, **kwargs):
    """Time one import; with trace_memory, also its peak Python heap (tracemalloc slows it ~2x)."""
    from manufacturers.importing import rows_from_csv, sites_import_rows

    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    report = sites_import_rows(rows_from_csv(io.StringIO(text)), **kwargs)
    seconds = time.perf_counter() - started
    result = {
        "run": label,
        "rows": len(report.rows),
        "created": len(report.created),
        "unchanged": len(report.unchanged),
        "seconds": round(seconds, 2),
        "peak_rss_mb_so_far": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if trace_memory:
        result["peak_python_heap_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    else:
        result["rows_per_second"] = round(len(report.rows) / seconds)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import transaction

    text = build_csv(args.rows)
    results = []
    with transaction.atomic():
        results.append(measure("dry run (validate and preview)", text, dry_run=True))
        results.append(measure("import (all new)", text))
        results.append(measure("re-import (all unchanged)", text))
        transaction.set_rollback(True)  # leave the database as it was
    with transaction.atomic():
        results.append(measure("import (all new), memory traced", text, trace_memory=True))
        transaction.set_rollback(True)
    summary = {
        "benchmark": "sites_import_rows",
        "file_rows": args.rows,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results": results,
    }
    out = ROOT / "bench" / "results" / "import.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
