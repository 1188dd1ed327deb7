"""gunicorn settings for `make serve` and production: `gunicorn -c python:mmip_portal.gunicorn_conf mmip_portal.wsgi`.

Every value can be set from the environment (gunicorn's own `GUNICORN_CMD_ARGS` also works).
"""

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this container may use, not the host's
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gunicorn's rule of thumb, 2 × cores + 1, capped so a big host does not exhaust database connections
# (each thread may hold one persistent connection: workers × threads per app server).
workers = int(
    os.environ.get("WEB_CONCURRENCY")
    or min(2 * _cores() + 1, int(os.environ.get("GUNICORN_MAX_WORKERS", "9")))
)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never builds up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The portal writes its own JSON request log (core.middleware.RequestLogMiddleware).
accesslog = None
errorlog = "-"
# Trust X-Forwarded-Proto only from the load balancer's addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket is one path per user; several servers on a host would share it.
control_socket_disable = True


def post_worker_init(worker):
    """Move what loading the portal created out of the garbage collector's sight.

    Django, its apps and every view module are a few hundred thousand long-lived objects; a
    full collection walked all of them, and on this kind of 2-core machine one took 120 to
    190 ms in the middle of a request now and then: the tail of every uncached page. Frozen
    (gc.freeze), they are never collected nor walked; what requests create is collected as before.
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module, so they are frozen too)
    gc.collect()
    gc.freeze()
