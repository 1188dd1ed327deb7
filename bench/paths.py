"""Where the bench reads and writes, and the commit its results are named after."""

from __future__ import annotations

import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LOG_FILE = BASE_DIR / "var" / "bench-gunicorn.log"


def commit_id() -> str:
    """The checkout's short commit, with `-dirty` when tracked files have changed since it."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=BASE_DIR, capture_output=True, text=True).stdout.strip()  # noqa: S603, S607

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
