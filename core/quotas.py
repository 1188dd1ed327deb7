"""Quotas: requests counted per client or per key in fixed windows, atomically, wherever they arrive.

django-ratelimit does the counting in the "ratelimit" cache: the first request of a window
creates the counter with its expiry (`add`), every later one increments it (`incr`), so no
request is lost or counted twice however many threads, workers and servers answer at once.
With Redis (REDIS_URL) that is Redis's own SET NX and INCR, shared by every server; without it,
the file cache of one machine (core.filecache) or, in tests, the memory cache of one process.

Each key has its own window of `period` seconds (staggered by key, so all clients do not start
afresh at the same moment). The limit holds exactly within a window; a burst that straddles the
end of one can see up to the limit again in the next, as with any fixed window. Several quotas
may count the same request (per minute and per day, say), each with its own `group`.
"""

from dataclasses import dataclass

from django_ratelimit.core import get_usage


@dataclass(frozen=True)
class QuotaUsage:
    limit: int
    count: int  # requests counted in this window, this one included
    reset: int  # seconds until the window ends and the count starts again

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)


def count_request(request, *, group: str, key: str, limit: int, period: int) -> QuotaUsage | None:
    """Count this request against `limit` per `period` seconds for `key` in `group`.

    None when the cache cannot count (Redis down): limits fail open rather than refuse everyone.
    """
    usage = get_usage(
        request, group=group, key=lambda _group, _request: key, rate=(limit, period), increment=True
    )
    if usage is None:
        return None
    # A window ending this very second still has a second to run.
    return QuotaUsage(limit=limit, count=usage["count"], reset=max(usage["time_left"], 1))
