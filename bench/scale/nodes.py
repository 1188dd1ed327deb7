"""Two production-mode gunicorn nodes on loopback, sharing the cluster and the cache, and a small HTTP client."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .cluster import Cluster, free_port

ROOT = Path(__file__).resolve().parents[2]
STAFF_USERNAME = "scaletest"
STAFF_PASSWORD = secrets.token_urlsafe(16)
# Variables of the caller's shell that must not reach the nodes (they choose their own).
DROPPED = {"DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL", "CACHE_DIR", "TESTING", "WEB_CONCURRENCY"}


def environment(cluster: Cluster, *, redis_url: str | None, prefix: str, folder: Path) -> dict[str, str]:
    """What every node (and the harness's own management commands) runs with."""
    env = {key: value for key, value in os.environ.items() if key not in DROPPED}
    env |= {
        "DJANGO_SETTINGS_MODULE": "mmip_portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "CONTACT_EMAIL": "portal@localhost",
        "DATABASE_URL": cluster.primary_url,
        "DATABASE_REPLICA_URLS": cluster.replica_url,
        "DATABASE_CONNECT_TIMEOUT": "2",
        "DATABASE_REPLICA_RETRY_AFTER": "2",
        # The harness stands in for the load balancer: X-Forwarded-For names each client.
        "NUM_PROXIES": "1",
        "API_QUOTA_ANONYMOUS_PER_MINUTE": "60",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": prefix,
        "DJANGO_SUPERUSER_PASSWORD": STAFF_PASSWORD,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env["CACHE_DIR"] = str(folder / "cache")  # one machine: the nodes share the file cache
    return env


def manage(env: dict[str, str], *arguments: str, timeout: float = 300) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def prepare(env: dict[str, str]) -> None:
    """The schema, the demo landscape and a staff login on the primary; static files for whitenoise."""
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_demo_data")
    manage(env, "createsuperuser", "--no-input", "--username", STAFF_USERNAME, "--email", "scale@example.org")
    manage(env, "collectstatic", "--no-input", "-v0")


ADD_SITE = """
from manufacturers.models import Organisation, Region, Site
from manufacturers.services import site_save
organisation = Organisation.objects.order_by("pk").first()
site_save(site=Site(organisation=organisation, name={name!r}, town="Scaleton", region=Region.objects.get(slug="wales"),
                    latitude=51.6, longitude=-3.9))
print(Site.objects.using("default").count())
"""


def add_site(env: dict[str, str], name: str) -> int:
    """Add a site through the portal's own service (as the admin or an import does); returns the new total."""
    return int(manage(env, "shell", "-c", ADD_SITE.format(name=name)).strip().splitlines()[-1])


@dataclass
class Node:
    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "mmip_portal.wsgi:application"]
        command += ["--config", "python:mmip_portal.gunicorn_conf", "--bind", f"127.0.0.1:{self.port}"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.name} exited; see {self.log}")
            if Client(self.base).get("/healthz").status == 200:
                return
            time.sleep(0.3)
        raise RuntimeError(f"node {self.name} did not answer /healthz within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        import json

        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One visitor: its own cookies and client address (X-Forwarded-For), no redirects followed."""

    def __init__(self, base: str, *, address: str = "198.51.100.1"):
        self.base = base
        self.address = address
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(
        self, path: str, *, data: dict | None = None, headers: dict | None = None, base=None
    ) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 (loopback only)
            (base or self.base) + path,
            data=body,
            headers={"X-Forwarded-For": self.address, **(headers or {})},
        )
        try:
            with self.opener.open(request, timeout=15) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            return Reply(0, {}, str(error).encode())

    def get(self, path: str, **kwargs) -> Reply:
        return self.request(path, **kwargs)

    def csrf_token(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def post(self, path: str, data: dict, **kwargs) -> Reply:
        return self.request(path, data={"csrfmiddlewaretoken": self.csrf_token(), **data}, **kwargs)

    def sign_in(self) -> None:
        self.get("/admin/login/")
        reply = self.post(
            "/admin/login/", {"username": STAFF_USERNAME, "password": STAFF_PASSWORD, "next": "/admin/"}
        )
        if reply.status != 302:
            raise RuntimeError(f"staff sign-in answered {reply.status}")


def first_match(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"{pattern!r} not found in the page")
    return match.group(1)
