"""Background work (django-tasks), outgoing mail and following a search, read from the environment
like the rest (docs/deployment.md). Star-imported at the end of settings.py; what depends on the
portal's other settings (the sender's address, the development mail folder) is set there."""

import os

# Background work: django-tasks with its database backend (the worker is `manage.py db_worker`).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")

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
