"""The bench database: a separate database on the same PostgreSQL server, so demo data and tests are untouched.

python -m bench.database url    # create the database if needed and print its DATABASE_URL
"""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

BENCH_DATABASE_NAME = "mmip_bench"


def _base_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from core import devdb

    return devdb.database_url()


def with_database_name(url: str, name: str) -> str:
    """The same server, user and options as `url`, on another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def bench_database_url() -> str:
    """BENCH_DATABASE_URL if set, otherwise `mmip_bench` on the portal's server, created if missing."""
    url = os.environ.get("BENCH_DATABASE_URL") or with_database_name(_base_url(), BENCH_DATABASE_NAME)
    ensure_database(url)
    return url


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = urlsplit(url).path.lstrip("/")
    conn = psycopg2.connect(with_database_name(url, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    if argv[1:] != ["url"]:
        print("usage: python -m bench.database url", file=sys.stderr)
        return 2
    print(bench_database_url())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
