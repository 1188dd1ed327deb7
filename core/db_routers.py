"""Read replicas: public reads go to a replica, everything else to the primary.

Settings add one alias per URL in DATABASE_REPLICA_URLS (`replica_0`, `replica_1`, ...) and
install `PrimaryReplicaRouter`. The primary ("default") serves:

- every write, and every read inside a transaction (a replica may lag behind what was just written);
- the admin and any request that is not GET/HEAD/OPTIONS (`PrimaryDatabaseMiddleware` sets
  `use_primary` for the whole request), so staff always see their own edits;
- sessions, users, login throttling, OTP devices and API keys, which must never be stale;
- reads of an object's relations when the object itself came from the primary.
"""

import random
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

PRIMARY = "default"
REPLICA_PREFIX = "replica_"

# Apps whose rows decide who someone is or what they may do: a lagging copy could let a revoked
# key or a locked-out login through, or log someone out right after they logged in.
PRIMARY_ONLY_APPS = frozenset(
    {
        "admin",
        "auth",
        "axes",
        "contenttypes",
        "otp_static",
        "otp_totp",
        "rest_framework_api_key",
        "sessions",
    }
)

_use_primary: ContextVar[bool] = ContextVar("use_primary", default=False)


@contextmanager
def use_primary(enabled: bool = True):
    """Send every read in this block (and this thread or task) to the primary when `enabled`."""
    token = _use_primary.set(enabled or _use_primary.get())
    try:
        yield
    finally:
        _use_primary.reset(token)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        replicas = replica_aliases()
        if not replicas or _use_primary.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return random.choice(replicas)

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias is a copy of the same database, so any two rows may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas receive the schema by replication, never by running migrations on them.
        return db == PRIMARY
