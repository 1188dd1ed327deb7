"""Background work (django-tasks), email and following a search, read from the environment like the
rest (docs/deployment.md). Star-imported at the end of settings.py, from whose values it builds."""

import os

from mmip_portal import settings as _base

# django-tasks beside the other libraries; `following` between manufacturers and workstreams, its layer.
_apps = _base.INSTALLED_APPS
_at = _apps.index("core")
INSTALLED_APPS = [*_apps[:_at], "django_tasks", "django_tasks_db", *_apps[_at:]]
INSTALLED_APPS.insert(INSTALLED_APPS.index("manufacturers") + 1, "following")

# Background work: django-tasks with its database backend (the worker is `manage.py db_worker`).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
DEFAULT_FROM_EMAIL = SERVER_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", f"MMIP alerts <{_base.CONTACT_EMAIL}>"
)
ADMINS = [("MMIP team", _base.CONTACT_EMAIL)]
# Development keeps each sent message as a file in var/mail/; production sends by SMTP.
_development = (_base.DEBUG or _base.TESTING) and not os.environ.get("EMAIL_HOST")
EMAIL_BACKEND = f"django.core.mail.backends.{'filebased' if _development else 'smtp'}.EmailBackend"
EMAIL_FILE_PATH = _base.BASE_DIR / "var" / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _base._bool(os.environ.get("EMAIL_USE_TLS", "true"))

# Following a search (the `following` app): alerts by email, signed webhooks. Links in mail use PORTAL_URL.
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
ALERT_CONFIRM_MAX_AGE_DAYS = 7
ALERT_RATE_LIMIT = os.environ.get("ALERT_RATE_LIMIT", "5/h")  # sign-ups per address and per client
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))  # tries of one delivery
WEBHOOK_DISABLE_AFTER = int(os.environ.get("WEBHOOK_DISABLE_AFTER", "20"))  # failed tries in a row
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))  # seconds
WEBHOOK_RETRY_BASE = float(os.environ.get("WEBHOOK_RETRY_BASE", "30"))  # seconds before the first retry
# Endpoints one API key may register: each is scanned for changes every tick.
WEBHOOK_ENDPOINTS_PER_KEY = int(os.environ.get("WEBHOOK_ENDPOINTS_PER_KEY", "20"))
# Plain http:// to localhost, for a receiver on a developer's machine or in the tests.
WEBHOOK_ALLOW_LOCAL_HTTP = _base.DEBUG or _base.TESTING
