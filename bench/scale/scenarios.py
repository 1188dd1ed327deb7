"""The scale-out scenarios, each bounded to a few seconds; each returns one row of the table.

A row is a dict: scenario, requests, statuses (status -> count), problems (empty when it passed)
and a short note of what was seen.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from .nodes import Client, Node, add_site, first_match

# Public reads: pages (some with cached figures) and the API; the map clusters and the API's
# count are filled in the shared cache.
CLUSTERS = "/map/clusters.json?zoom=6&bbox=-11,49,3,61"
PUBLIC_READS = [
    "/",
    "/sites/",
    "/organisations/",
    "/insights/",
    CLUSTERS,
    "/api/v1/sites/",
    "/api/v1/regions/",
]
# One page of the API holds every site of the demo landscape (at most 200 a page).
ALL_SITES = "/api/v1/sites/?page_size=200"
QUOTA = 60
_addresses = itertools.count()


def _address() -> str:
    # A fresh documentation-range client address per visitor, so load never meets the quota.
    number = next(_addresses)
    return f"203.0.113.{number % 250 + 1}" if number < 250 else f"198.51.100.{number % 250 + 1}"


def row(scenario: str, replies: list, problems: list[str], note: str) -> dict:
    return {
        "scenario": scenario,
        "requests": len(replies),
        "statuses": dict(sorted(Counter(reply.status for reply in replies).items())),
        "problems": problems,
        "note": note,
    }


def _load(nodes: list[Node], seconds: float, paths: list[str], *, threads: int = 4) -> list:
    """Visitors reading `paths` on every node for `seconds`; returns every reply."""
    replies, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def visitor(number: int):
        for path in itertools.cycle(paths):
            if time.monotonic() >= deadline:
                return
            node = nodes[number % len(nodes)]
            reply = Client(node.base, address=_address()).get(path)
            reply.path = path
            with lock:
                replies.append(reply)
            number += 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(visitor, range(threads)))
    return replies


def _readiness(node: Node) -> tuple[int, dict]:
    reply = Client(node.base).get("/readyz")
    try:
        return reply.status, reply.json()
    except ValueError:
        return reply.status, {}


def _wait_ready(nodes: list[Node], status: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_readiness(node)[1].get("status") == status for node in nodes):
            return True
        time.sleep(0.3)
    return False


def replica_down(cluster, nodes: list[Node]) -> dict:
    """The replica stops under load: every read is still answered (from the primary), no node is unready."""
    _load(nodes, 1, PUBLIC_READS)  # connections to the replica are open and in use
    cluster.stop_replica()
    try:
        replies = _load(nodes, 4, PUBLIC_READS)
        readiness = [_readiness(node) for node in nodes]
    finally:
        cluster.start_replica()
    problems = [f"{reply.status} for {reply.path}" for reply in replies if reply.status != 200][:5]
    for node, (status, body) in zip(nodes, readiness, strict=True):
        if status != 200 or body.get("status") != "degraded":
            problems.append(f"/readyz on node {node.name}: {status} {body}")
    if not _wait_ready(nodes, "ok"):
        problems.append("the replica did not rejoin within 20 s")
    return row("replica down", replies, problems, "reads from the primary; /readyz 200 degraded")


def _figures(node: Node) -> dict:
    """What the node shows now: the API's count (cached), its rows, and the map's total (cached)."""
    client = Client(node.base, address=_address())
    page = client.get(ALL_SITES).json()
    return {
        "count": page["count"],
        "rows": len(page["results"]),
        "map": client.get(CLUSTERS).json()["total"],
    }


def replica_lagging(cluster, nodes: list[Node], env: dict) -> dict:
    """A site is added while the replica replays 3 s late; once it has caught up, every figure is new."""
    for node in nodes:
        _figures(node)  # the cache holds the figures from before the write
    cluster.set_replay_delay("3s")
    replies, problems = [], []
    try:
        total = add_site(env, "Scale test site (lag)")
        api = Client(nodes[1].base, address=_address())
        early = api.get(ALL_SITES)
        during = [_figures(node) for node in nodes]
        waited = cluster.wait_for_replay()
        after = [_figures(node) for node in nodes]
        # A client revalidating what it got during the lag: a 304 is right only for a body still current.
        again = api.get(ALL_SITES, headers={"If-Modified-Since": early.headers["Last-Modified"]})
        fresh = api.get(ALL_SITES)
        replies += [early, again, fresh]
    finally:
        cluster.set_replay_delay("0")
    for node, figures in zip(nodes, after, strict=True):
        if set(figures.values()) != {total}:
            problems.append(f"node {node.name} stale after catch-up: {figures}, expected {total}")
    if again.status == 304 and early.body != fresh.body:
        problems.append("If-Modified-Since got a 304 for a body the replica has since replaced")
    seen = ", ".join(
        f"{node.name} {figures['count']}/{figures['rows']}/{figures['map']}"
        for node, figures in zip(nodes, during, strict=True)
    )
    note = f"{total} sites; during lag count/rows/map: {seen}; caught up in {waited:.1f} s"
    return row("replica lagging 3 s", replies, problems, note)


def primary_down(cluster, nodes: list[Node]) -> dict:
    """The primary stops: public pages and API reads are served by the replica; /readyz says unready."""
    cluster.stop_primary()
    try:
        replies = _load(nodes, 3, PUBLIC_READS)
        readiness = [_readiness(node)[0] for node in nodes]
    finally:
        cluster.start_primary()
    problems = [f"{reply.status} for {reply.path}" for reply in replies if reply.status != 200][:5]
    if readiness != [503] * len(nodes):
        problems.append(f"/readyz answered {readiness}, expected 503 on every node")
    if not _wait_ready(nodes, "ok"):
        problems.append("the nodes were not ready again within 20 s of the primary's return")
    return row("primary down", replies, problems, "reads from the replica; /readyz 503")


def _preview_link(staff: Client) -> tuple[str, str, str]:
    """Create a preview link in the admin of `staff`'s node: (case study id, link path, link id)."""
    listing = staff.get("/admin/casestudies/casestudy/").text
    case_study = first_match(r"/admin/casestudies/casestudy/(\d+)/change/", listing)
    created = staff.post(f"/admin/casestudies/casestudy/{case_study}/preview-links/", {"days": "1"})
    if created.status != 302:
        raise RuntimeError(f"creating a preview link answered {created.status}")
    page = staff.get(f"/admin/casestudies/casestudy/{case_study}/change/").text
    path = first_match(r"https?://[^/\s\"<]+(/case-studies/preview/[^\s\"<]+)", page)
    link_ids = [int(number) for number in re.findall(r"preview-links/(\d+)/revoke/", page)]
    return case_study, path, str(max(link_ids))


def write_on_one_node_read_on_the_other(cluster, nodes: list[Node]) -> dict:
    """Staff on node A make a preview link and then revoke it while the replica lags; node B follows at once."""
    staff = Client(nodes[0].base, address=_address())
    staff.sign_in()
    reviewer = Client(nodes[1].base, address=_address())
    cluster.set_replay_delay("2s")
    try:
        case_study, path, link = _preview_link(staff)
        new = reviewer.get(path)
        revoked = staff.post(f"/admin/casestudies/casestudy/{case_study}/preview-links/{link}/revoke/", {})
        gone = reviewer.get(path)
    finally:
        cluster.set_replay_delay("0")
    problems = []
    if new.status != 200:
        problems.append(f"a new link answered {new.status} on the other node")
    if revoked.status != 302:
        problems.append(f"revoking answered {revoked.status}")
    if gone.status != 410:
        problems.append(f"a revoked link answered {gone.status} on the other node")
    replies = [new, revoked, gone]
    return row("preview link, lag 2 s", replies, problems, f"new: {new.status}, revoked: {gone.status}")


def _burst(nodes: list[Node], address: str) -> tuple[list, float]:
    """20 clients, 10 requests each, alternating nodes, all as one client address; (replies, seconds)."""
    started = time.monotonic()

    def client(number: int):
        visitor = Client(nodes[number % len(nodes)].base, address=address)
        return [(visitor.get("/api/v1/"), time.monotonic() - started) for _ in range(10)]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = [item for batch in pool.map(client, range(20)) for item in batch]
    return results, time.monotonic() - started


def quota(cluster, nodes: list[Node]) -> dict:
    """20 concurrent clients against the anonymous limit of 60 a minute, across both nodes.

    Tolerance: none within a window. The first 429's Retry-After says when the window ends; a burst
    that ran past that moment met a new window, so it is run again as another client.
    """
    for attempt in range(3):
        results, seconds = _burst(nodes, f"192.0.2.{attempt + 10}")
        replies = [reply for reply, _ in results]
        limited = [(reply, at) for reply, at in results if reply.status == 429]
        window_end = min(
            (at + int(reply.headers.get("Retry-After", "0")) for reply, at in limited), default=0
        )
        if window_end - 1 > seconds:
            break  # the whole burst fell inside one window
    allowed = sum(reply.status == 200 for reply in replies)
    problems = [f"{allowed} of {len(replies)} let through, limit {QUOTA}"] if allowed != QUOTA else []
    problems += [f"{reply.status} answered" for reply in replies if reply.status not in (200, 429)][:3]
    return row("quota 60/min, 20 clients", replies, problems, f"{allowed} allowed in {seconds:.1f} s")
