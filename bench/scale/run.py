"""Start the cluster, the cache and two nodes; run the scenarios; print the table; stop everything."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from . import scenarios
from .cluster import Cluster, forget_redis_keys, redis_url
from .nodes import ROOT, Node, environment, prepare

FOLDER = Path(os.environ.get("MMIP_VAR_DIR", ROOT / "var")) / "scaletest"


def table(rows: list[dict]) -> str:
    header = ("scenario", "requests", "statuses", "result", "seen")
    lines = [
        (
            item["scenario"],
            str(item["requests"]),
            " ".join(f"{status}×{count}" for status, count in item["statuses"].items()),
            "FAIL: " + "; ".join(item["problems"]) if item["problems"] else "pass",
            item["note"],
        )
        for item in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(4)]
    out = []
    for line in [header, *lines]:
        out.append(
            "  ".join(cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True))
            + "  "
            + line[4]
        )
    out.insert(1, "-" * (sum(widths) + 8 + len(header[4])))
    return "\n".join(out)


def _run_scenarios(cluster: Cluster, nodes: list[Node], env: dict) -> list[dict]:
    rows = []
    for scenario in (
        lambda: scenarios.replica_down(cluster, nodes),
        lambda: scenarios.replica_lagging(cluster, nodes, env),
        lambda: scenarios.primary_down(cluster, nodes),
        lambda: scenarios.write_on_one_node_read_on_the_other(cluster, nodes),
        lambda: scenarios.quota(cluster, nodes),
    ):
        started = time.monotonic()
        item = scenario()
        item["note"] += f" ({time.monotonic() - started:.0f} s)"
        rows.append(item)
        print(f"  {item['scenario']}: {'pass' if not item['problems'] else 'FAIL'}", flush=True)
    return rows


def _stop_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    redis = redis_url()
    prefix = f"mmip-scaletest-{os.getpid()}"
    print(
        f"Redis: {redis}"
        if redis
        else "Redis: none answers; running without Redis (the nodes share a file cache)"
    )
    cluster = Cluster(FOLDER / "pg")
    nodes: list[Node] = []
    try:
        cluster.start()
        env = environment(cluster, redis_url=redis, prefix=prefix, folder=FOLDER)
        print(
            f"PostgreSQL: primary on port {cluster.primary_port}, streaming replica on {cluster.replica_port}"
        )
        prepare({**env, "DATABASE_REPLICA_URLS": ""})  # a one-off job on the primary, as a release runs
        cluster.wait_for_replay()
        nodes = [Node(name, env, FOLDER / f"node-{name}.log") for name in ("A", "B")]
        for node in nodes:
            node.start()
        print(f"Nodes: A on {nodes[0].base}, B on {nodes[1].base} (logs in {FOLDER})", flush=True)
        rows = _run_scenarios(cluster, nodes, env)
    finally:
        for node in nodes:
            node.stop()
        cluster.stop()
        if redis:
            forget_redis_keys(redis, prefix)
    print()
    print(table(rows))
    failed = [item["scenario"] for item in rows if item["problems"]]
    print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
