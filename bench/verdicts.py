"""How `make bench` judges what it measured: each result's headline figure, its ratio to its
anchor, and every target of bench/workloads.py met, missed or not measured."""

from __future__ import annotations

from bench.workloads import WORKLOADS, Workload

# Requests due at half load that found every connection waiting on the server (k6's
# dropped_iterations) never got a latency: past this share, the percentiles flatter the server.
MAX_DROPPED_SHARE = 0.01
LATENCY_METRICS = {"p95_ms", "p99_over_p50"}


def dropped_share(result: dict) -> float:
    half = result.get("half_load") or {}
    due = half.get("requests", 0) + half.get("dropped", 0)
    return half.get("dropped", 0) / due if due else 0.0


def figure(result: dict) -> tuple[float | None, str]:
    """The headline figure of a measurement and its unit."""
    if "saturation" in result:
        return result["saturation"]["rps"], "req/s"
    if "single_request_ms" in result:
        return round(1000 / result["single_request_ms"], 2), "req/s (one request: too slow to load)"
    if "rows_per_s" in result:
        return result["rows_per_s"], "rows/s"
    if "mb_per_s" in result:
        return result["mb_per_s"], "MB/s"
    if "db_ms" in result:
        return result["db_ms"], "ms"
    return None, ""


def with_ratio(workload: Workload, result: dict, anchors: dict) -> dict:
    value, _ = figure(result)
    anchor_value, _ = figure(anchors.get(workload.anchor, {}))
    if result.get("paired_anchor_rps") and workload.anchor == "minimal_django":
        anchor_value = result["paired_anchor_rps"]
    if value is not None and anchor_value and not result.get("error"):
        result["ratio"] = round(value / anchor_value, 4)
    return {"anchor": workload.anchor} | result


def metric_value(metric: str, name: str, size: str, sizes: dict) -> float | None:
    result = sizes[size]["workloads"][name]
    if not result.get("available") or result.get("error") or result.get("skipped"):
        return None
    half = result.get("half_load") or {}
    if metric == "ratio":
        return result.get("ratio")
    if metric == "p95_ms":
        # One request slower than a second bounds p95 from below at any load.
        return half.get("p95_ms", result.get("single_request_ms"))
    if metric == "p99_over_p50":
        return round(half["p99_ms"] / half["p50_ms"], 2) if half.get("p50_ms") else None
    if metric in {"db_ms", "memory_growth_mib"}:
        return result.get(metric)
    smallest = sizes[min(sizes, key=int)]["workloads"][name]
    if len(sizes) < 2 or not smallest.get("available") or smallest.get("error"):
        return None
    if metric == "rps_vs_smallest":
        return round(figure(result)[0] / figure(smallest)[0], 3)
    if metric == "flat_memory":
        return round(result["memory_growth_mib"] - smallest["memory_growth_mib"], 1)
    raise ValueError(f"Unknown metric {metric!r}")


def evaluate(sizes: dict) -> list[dict]:
    """Every target at every size it applies to: the value, and whether it is met (None: not measured)."""
    largest = max(sizes, key=int)
    checks = []
    # The cold runs, as sizes of their own, so every metric reads them as it reads the warm ones.
    cold = {
        size: {
            "workloads": {
                f"{name} (cold)": result.get("cold", {"available": False})
                for name, result in sizes[size]["workloads"].items()
            }
        }
        for size in sizes
    }
    runs = [(workload.name, workload.targets, sizes) for workload in WORKLOADS]
    runs += [(f"{workload.name} (cold)", workload.cold_targets, cold) for workload in WORKLOADS]
    for name, targets, measured in runs:
        for target in targets:
            for size in sizes:
                if target.largest_only and size != largest:
                    continue
                value = metric_value(target.metric, name, size, measured)
                met = target.met(value)
                if met and target.metric in LATENCY_METRICS:
                    met = dropped_share(measured[size]["workloads"][name]) <= MAX_DROPPED_SHARE
                checks.append(
                    {
                        "workload": name,
                        "size": int(size),
                        "target": target.describe(),
                        "metric": target.metric,
                        "value": value,
                        "met": met,
                    }
                )
    return checks
