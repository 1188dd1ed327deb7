"""The Markdown the bench writes and prints: `make bench`'s table of anchors, workloads and targets,
and the reports of the mixed load test and the fault test."""

from __future__ import annotations

import os

from bench.probes import SLOW_REQUEST_SECONDS
from bench.verdicts import dropped_share, figure
from bench.workloads import ANCHORS, WORKLOADS, Workload


def _fmt(value, digits=1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _short(size: str | int) -> str:
    size = int(size)
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"


def markdown(results: dict) -> str:
    """`make bench`'s results as Markdown: the anchors, each workload at each size with its
    verdicts, and the load and fault tests when they ran."""
    meta, sizes = results["meta"], results["sizes"]
    lines = [
        f"## Bench {meta['date']} at {meta['commit']}",
        "",
        f"{meta['cores']} cores, {meta['driver']}, gunicorn {meta['workers']} workers, {meta['seconds']:g} s per "
        f"measurement. Load average before: {meta['load_average_start'][0]:.2f}. "
        + (
            "The machine was quiet."
            if meta["quiet"]
            else f"**The machine was not quiet** ({meta['quiet_note']})."
        ),
        "",
        *_anchor_table(sizes),
        "",
        "| workload | sites | figure | ratio to anchor | p50 / p95 / p99 ms at half load | targets |",
        "|---|---|---|---|---|---|",
    ]
    checks = {}
    for check in results["targets"]:
        checks.setdefault((check["workload"], check["size"]), []).append(check)
    for workload in WORKLOADS:
        for size in sizes:
            result = sizes[size]["workloads"][workload.name]
            lines.append(_workload_row(workload, size, result, checks.get((workload.name, int(size)), [])))
            if "cold" in result:
                name = f"{workload.name} (cold)"
                lines.append(
                    _workload_row(workload, size, result["cold"], checks.get((name, int(size)), []), name)
                )
    missed = [check for check in results["targets"] if check["met"] is False]
    lines += ["", f"{len(missed)} target(s) missed." if missed else "No target measured was missed."]
    if "load" in results:
        lines += load_lines(results["load"]["mixed"]) + fault_lines(results["load"]["fault"])
    return "\n".join(lines) + "\n"


def _anchor_table(sizes: dict) -> list[str]:
    lines = [
        "| anchor | " + " | ".join(_short(size) for size in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for anchor in ANCHORS:
        cells = []
        for size in sizes:
            value, unit = figure(sizes[size]["anchors"][anchor.name])
            cells.append(f"{_fmt(value)} {unit}" if value is not None else "not available")
        lines.append(f"| {anchor.name} | " + " | ".join(cells) + " |")
    return lines


def _workload_row(workload: Workload, size: str, result: dict, checks: list[dict], name: str = "") -> str:
    name = name or workload.name
    if not result.get("available"):
        return f"| {name} | {_short(size)} | not available (404) | | | |"
    if result.get("skipped") or result.get("error"):
        return f"| {name} | {_short(size)} | {result.get('skipped') or result['error']} | | | |"
    half = result.get("half_load") or {}
    latency = (
        f"{_fmt(half.get('p50_ms'))} / {_fmt(half.get('p95_ms'))} / {_fmt(half.get('p99_ms'))}"
        if half
        else ""
    )
    verdicts = []
    for check in checks:
        mark = {True: "met", False: "**missed**", None: "n/a"}[check["met"]]
        verdicts.append(f"{check['target']}: {_fmt(check['value'], 2)} {mark}")
    ratio = f"{result['ratio']:.3f} × {workload.anchor}" if "ratio" in result else ""
    if ratio and result.get("paired_anchor_rps"):
        ratio += f" ({_fmt(result['paired_anchor_rps'])} req/s just before)"
    if half.get("cache_hit_rate") is not None:
        latency += f" (cache hits {half['cache_hit_rate']:.0%})"
    if half.get("dropped"):
        latency += f"; {dropped_share(result):.1%} of due requests dropped (every connection busy)"
    return (
        f"| {name} | {_short(size)} | {_figure_text(result)} | {ratio} | {latency} | {'; '.join(verdicts)} |"
    )


def _figure_text(result: dict) -> str:
    value, unit = figure(result)
    text = f"{_fmt(value)} {unit}"
    if "memory_growth_mib" in result:
        text += f", +{_fmt(result['memory_growth_mib'])} MiB"
    if result.get("peak_memory_growth_mib") is not None:
        text += f", +{_fmt(result['peak_memory_growth_mib'])} MiB peak"
    if result.get("partial"):
        text += f" ({result['rows']:,} rows)"
    if result.get("first_request_ms", 0) > SLOW_REQUEST_SECONDS * 1000 and "saturation" in result:
        text += f" (first request, cache cold: {_fmt(result['first_request_ms'])} ms)"
    return text


def load_lines(result: dict) -> list[str]:
    """The mixed load test (bench/load.py) as Markdown lines."""
    lines = [
        "",
        "### Mixed load test",
        "",
        f"{len(result['mix'])} kinds of request (pages and API calls, weighted), {result['connections']} "
        f"connections for {result['seconds']:g} s, API calls with a partner key. Load average after: "
        f"{result['load_average_after'][0]:.2f} on {os.cpu_count()} cores.",
        "",
        "| requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
        f"| {result['requests']:,} | {result['rps']:,.1f} | {result.get('p50_ms', '–')} | "
        f"{result.get('p95_ms', '–')} | {result.get('p99_ms', '–')} | {result['errors']} |",
        "",
        "| request | count | p50 ms | p95 ms | errors |",
        "|---|---|---|---|---|",
    ]
    for name, part in result["by_request"].items():
        lines.append(
            f"| {name} | {part['requests']:,} | {part['p50_ms']} | {part['p95_ms']} | {part['errors']} |"
        )
    lines += ["", "**Passed**: no errors." if result["passed"] else "**Failed**: see the errors above."]
    return lines


def fault_lines(result: dict) -> list[str]:
    """The fault test (bench/fault.py) as Markdown lines."""

    def cell(part):
        return ", ".join(f"{count} × {status}" for status, count in part["statuses"].items()) or "none"

    lines = [
        "",
        "### Fault test: PostgreSQL restarted under load",
        "",
        f"{result['requests']:,} mixed requests at {result['rate']:g}/s over {result['seconds']:g} s; at "
        f"{result['down_at_s']:g} s: {result['fault']}; the server answered again at "
        f"{result['back_at_s']:g} s (outage {result['outage_s']:g} s). Every request sent from "
        f"{result['grace_s']:g} s after that must succeed.",
        "",
        "| phase | requests | statuses |",
        "|---|---|---|",
        f"| before | {result['before']['requests']} | {cell(result['before'])} |",
        f"| outage and {result['grace_s']:g} s after | {result['during']['requests']} | {cell(result['during'])} |",
        f"| after | {result['after']['requests']} | {cell(result['after'])} |",
        "",
        f"5xx other than 503: {result['server_errors']}. Last 503: {_seconds(result['last_503_s'])}; first "
        f"success after the restart: {_seconds(result['first_success_after_restart_s'])}.",
        "",
    ]
    if "counts" in result:
        counts = result["counts"]
        lines[-1:-1] = [
            f"Answers: {counts['200']} × 200, {counts['503']} × 503, {counts['500']} × 500, "
            f"{counts['other']} other; Retry-After on every 503: "
            f"{'yes' if result['retry_after_on_every_503'] else 'no'}."
        ]
    if result["passed"]:
        lines.append("**Passed**: no 500, 503s only during the outage, every request after it succeeded.")
    else:
        lines.append("**Failed**: " + "; ".join(result["problems"]) + ".")
    return lines


def _seconds(value) -> str:
    return "none" if value is None else f"at {value} s"


def fault_run_lines(result: dict) -> list[str]:
    """`make faulttest` (bench/fault.py): a table of its phases, then each phase as fault_lines gives it."""
    phases = result["phases"]
    lines = [
        "",
        "### Fault test: phases",
        "",
        "| phase | fault | requests | 200 | 503 | 500 | other | Retry-After on every 503 | passed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, phase in phases.items():
        if "skipped" in phase:
            lines.append(f"| {name} | skipped: {phase['skipped']} | | | | | | | skipped |")
            continue
        c = phase["counts"]
        lines.append(
            f"| {name} | {phase['fault']} | {phase['requests']} | {c['200']} | {c['503']} | {c['500']} | "
            f"{c['other']} | {'yes' if phase['retry_after_on_every_503'] else 'no'} | "
            f"{'yes' if phase['passed'] else 'no'} |"
        )
    writes = phases["postgresql"].get("writes")
    if writes:
        lines += [
            "",
            f"Writes in flight through the PostgreSQL outage: {writes['attempted']} attempted, "
            f"{writes['committed']} committed, {writes['failed_with_error']} failed with an error "
            f"({', '.join(f'{n} × {e}' for e, n in writes['errors'].items()) or 'none'}; "
            f"{writes['failed_but_present']} of them committed whole), {writes['half_written']} half written, "
            f"{writes['lost']} lost.",
        ]
    for name, phase in phases.items():
        if "skipped" not in phase:
            lines += [line.replace("PostgreSQL restarted", name_title(name)) for line in fault_lines(phase)]
    return lines


def name_title(name: str) -> str:
    return {"postgresql": "PostgreSQL stopped", "redis": "Redis killed and restarted"}.get(name, name)
