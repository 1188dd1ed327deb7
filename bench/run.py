"""`make bench`: measure the portal at 10k, 100k and 1M sites against anchors measured in the same run.

    python -m bench.run --sizes 10000,100000,1000000 --seconds 3

For each size it loads the bench database (``generate_bench_data``, skipped when the data is
already there), starts gunicorn on loopback with DEBUG off, measures the anchors and then every
workload of bench/workloads.py (bench/probes.py takes the figures, bench/verdicts.py judges them),
runs the mixed load test and the fault test at the smallest size (bench/load.py, bench/fault.py),
and finally writes ``bench/results/<date>-<commit>.json`` and a Markdown table (bench/report.py,
also printed). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import drivers, fault, load, prepare
from bench.context import url_context, url_spread
from bench.paths import BASE_DIR, RESULTS_DIR, commit_id
from bench.probes import Probes
from bench.report import markdown
from bench.server import Server
from bench.verdicts import evaluate, with_ratio
from bench.workloads import ANCHORS, WORKLOADS, Workload

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
# Above this 1-minute load average per core (before a size is measured) the machine is busy.
QUIET_LOAD_PER_CORE = 0.3


@dataclass(frozen=True)
class Options:
    """What every size of one run is measured with."""

    seconds: float
    seed: int
    port: int
    workers: int
    wrk: str | None
    k6: str | None
    database_url: str
    deadline: float


def measure_size(
    size: int,
    *,
    probes,
    context: dict[str, str],
    deadline: float | None = None,
    spread: list[dict[str, str]] | None = None,
) -> dict:
    """The anchors and every workload at one size, each workload with its ratio to its anchor;
    with `spread`, each workload that has a cold run is measured cold too (`cold`)."""
    anchors = {}
    for anchor in ANCHORS:
        if anchor.kind == "http":
            anchors[anchor.name] = probes.http(anchor.path)
        elif anchor.kind == "copy_to":
            anchors[anchor.name] = probes.copy_to()
        else:
            anchors[anchor.name] = probes.copy_from()
    workloads = {}
    for workload in WORKLOADS:
        if deadline is not None and time.monotonic() > deadline:
            workloads[workload.name] = {"available": True, "skipped": "the run's time budget was spent"}
            continue
        start = time.monotonic()
        result = with_ratio(workload, _measure(workload, probes, context), anchors)
        if spread and workload.cold_path and result.get("available") and not result.get("error"):
            cold = probes.cold([workload.cold_path.format(**(context | values)) for values in spread])
            result["cold"] = with_ratio(workload, cold, anchors)
        workloads[workload.name] = result | {"wall_s": round(time.monotonic() - start, 1)}
    return {"anchors": anchors, "workloads": workloads}


def _measure(workload: Workload, probes, context: dict[str, str]) -> dict:
    path = workload.path.format(**context)
    if workload.kind == "http":
        return probes.http(path)
    if workload.kind == "walk":
        return probes.walk(path)
    if workload.kind == "export":
        return probes.export(path)
    if workload.kind == "db_nearest":
        return probes.db_nearest(context["near"])
    if workload.kind == "import":
        return probes.import_()
    raise ValueError(f"Unknown workload kind {workload.kind!r}")


def _settle(cores: int) -> tuple[float, float, float]:
    """Wait (up to BENCH_SETTLE_SECONDS) for the load of loading the data to fade; the load then.

    Loading a size keeps both cores busy for minutes, and PostgreSQL's autovacuum and checkpoint
    run on after it: measured at once, the first workloads would share the machine with them.
    """
    deadline = time.monotonic() + float(os.environ.get("BENCH_SETTLE_SECONDS", "300"))
    load = os.getloadavg()
    while load[0] > QUIET_LOAD_PER_CORE * cores and time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()
    return load


def _quiet(load: tuple[float, float, float], cores: int) -> tuple[bool, str]:
    if load[0] <= QUIET_LOAD_PER_CORE * cores:
        return True, ""
    return False, (
        f"1-minute load average {load[0]:.2f} on {cores} cores before measuring, above "
        f"{QUIET_LOAD_PER_CORE * cores:.1f}: ratios stay comparable, absolute figures are low"
    )


def run(*, sizes: list[int], seconds: float, seed: int, port: int, workers: int, budget: float) -> dict:
    """Every size in turn, then the verdicts on every target; the results as saved in JSON."""
    started = time.monotonic()
    database_url = prepare.bench_database()
    options = Options(
        seconds=seconds,
        seed=seed,
        port=port,
        workers=workers,
        wrk=drivers.find_wrk(),
        k6=drivers.find_k6(),
        database_url=database_url,
        deadline=started + budget,
    )
    prepare.migrate_and_collect_static(database_url)
    prepare.setup_django()
    results = {"meta": _meta(options), "sizes": {}}
    for size in sizes:
        with_load_test = size == sizes[0] and not os.environ.get("BENCH_NO_LOAD_TEST")
        results["sizes"][str(size)], load_and_fault = _run_size(size, options, with_load_test=with_load_test)
        if load_and_fault:
            results["load"] = load_and_fault | {"size": size}
        quiet, note = _quiet(results["sizes"][str(size)]["load_average"], os.cpu_count() or 1)
        if not quiet:
            results["meta"]["quiet"], results["meta"]["quiet_note"] = False, note
    results["meta"]["load_average_end"] = list(os.getloadavg())
    results["meta"]["elapsed_s"] = round(time.monotonic() - started, 1)
    results["targets"] = evaluate(results["sizes"])
    return results


def _driver_name(options: Options) -> str:
    saturation = "wrk" if options.wrk else ("k6" if options.k6 else "asyncio")
    spread = "k6" if options.k6 else "asyncio"
    return (
        f"{saturation} (saturation), {spread} (a spread of URLs at saturation), "
        f"{spread} fixed arrival rate (latency)"
    )


def _meta(options: Options) -> dict:
    cores = os.cpu_count() or 1
    load_start = os.getloadavg()
    quiet, note = _quiet(load_start, cores)
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "commit": commit_id(),
        "host": platform.node(),
        "cores": cores,
        "python": platform.python_version(),
        "driver": _driver_name(options),
        "workers": options.workers,
        "seconds": options.seconds,
        "seed": options.seed,
        "load_average_start": list(load_start),
        "quiet": quiet,
        "quiet_note": note,
    }


def _run_size(size: int, options: Options, *, with_load_test: bool) -> tuple[dict, dict | None]:
    """One size: its data loaded, then measured on a server of its own; with `with_load_test`,
    also the mixed load test and the fault test. Returns (the size's results, theirs)."""
    from django.db import connection

    print(f"bench: {size:,} sites", file=sys.stderr, flush=True)
    start = time.perf_counter()
    output = prepare.generate_data(options.database_url, sites=size, seed=options.seed)
    generation = {"seconds": round(time.perf_counter() - start, 1), "output": output}
    connection.close()
    load_average = _settle(os.cpu_count() or 1)
    context = url_context(size)
    load_and_fault = None
    with Server(port=options.port, workers=options.workers, database_url=options.database_url) as server:
        probes = Probes(
            server=server,
            seconds=options.seconds,
            wrk=options.wrk,
            k6=options.k6,
            database_url=options.database_url,
            export_port=options.port + 1,
        )
        measured = measure_size(
            size,
            probes=probes,
            context=context,
            deadline=options.deadline,
            spread=url_spread(seed=options.seed),
        )
        if with_load_test:
            load_and_fault = _load_and_fault(server, context, options.database_url)
    size_results = {"generation": generation, "load_average": list(load_average), "context": context}
    return size_results | measured, load_and_fault


def _load_and_fault(server: Server, context: dict[str, str], database_url: str) -> dict:
    """The mixed load test and the fault test, one after the other, against the running server."""
    mixed = load.measure(server.base, context, seconds=float(os.environ.get("BENCH_LOAD_SECONDS", "20")))
    return {"mixed": mixed, "fault": fault.measure(server.base, context, database_url=database_url)}


def write(results: dict, folder: Path = RESULTS_DIR) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{results['meta']['date'].replace(':', '')}-{results['meta']['commit']}"
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run the scale benchmark (docs/performance.md).")
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated site counts"
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each load run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--port", type=int, default=8108, help="gunicorn's port (the next one serves exports)"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--budget", type=float, default=90 * 60, help="seconds after which workloads are skipped"
    )
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    results = run(
        sizes=sizes,
        seconds=args.seconds,
        seed=args.seed,
        port=args.port,
        workers=args.workers,
        budget=args.budget,
    )
    json_path, md_path = write(results)
    print(markdown(results))
    print(f"Written {json_path.relative_to(BASE_DIR)} and {md_path.relative_to(BASE_DIR)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
