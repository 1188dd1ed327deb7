"""When the data behind an answer last changed, in one query, for `Last-Modified` and `If-Modified-Since`."""

from datetime import datetime

from django.db import connections
from django.db.models import Max, Value


def latest_change(*sources) -> datetime | None:
    """The newest of several columns, each a (queryset, field) pair: SELECT GREATEST((SELECT MAX(...)), ...).

    A stamp over whole tables, not over the rows of one page: a site that leaves a filtered list
    (closed, moved region) still moves the stamp, so a client's If-Modified-Since never gets a
    stale 304. (The ETag, a hash of the body, is exact in every case.)

    Asked of the database the querysets read from (the replica this request reads, see
    core.db_routers), so the stamp and the body come from the same point in the primary's
    history, and an API read needs no primary when a replica answers.
    """
    parts, params = [], []
    for queryset, field in sources:
        subquery = queryset.order_by().values(one=Value(1)).annotate(latest=Max(field)).values("latest")
        sql, subquery_params = subquery.query.sql_with_params()
        parts.append(f"({sql})")
        params.extend(subquery_params)
    with connections[sources[0][0].db].cursor() as cursor:
        cursor.execute(f"SELECT GREATEST({', '.join(parts)})", params)  # noqa: S608 (ORM-compiled SQL)
        return cursor.fetchone()[0]
