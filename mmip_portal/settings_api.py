"""The partner API (/api/v1/ and /api/ogc/): its framework settings, quotas and changes feed, read
from the environment like the rest (docs/deployment.md, docs/api.md). Star-imported at the end of
settings.py."""

import os

# Keys, limits, paging, errors and the OpenAPI schema. Limits are counted atomically in the
# "ratelimit" cache (core.quotas), so in production (REDIS_URL) every server shares them.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.api.access.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.access.PartnerKeyIsUsable"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.quotas.QuotaThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# The API's quotas, per bucket: requests per minute and per day (core.api.quotas; the reasons
# for each figure are in docs/api.md). Keys have the tier staff give them; clients without a key
# count per IP address in the bucket of the endpoint they ask.
API_QUOTAS = {
    # A script trying the API, or a page built on it.
    "anonymous": {
        "minute": int(os.environ.get("API_QUOTA_ANONYMOUS_PER_MINUTE", "60")),
        "day": int(os.environ.get("API_QUOTA_ANONYMOUS_PER_DAY", "5000")),
    },
    # QGIS or GDAL without a key: a page of features per pan or zoom, and a few requests each.
    "ogc": {
        "minute": int(os.environ.get("API_QUOTA_OGC_PER_MINUTE", "300")),
        "day": int(os.environ.get("API_QUOTA_OGC_PER_DAY", "20000")),
    },
    # The bulk files: a nightly download and a few retries, not a poll.
    "downloads": {
        "minute": int(os.environ.get("API_QUOTA_DOWNLOADS_PER_MINUTE", "10")),
        "day": int(os.environ.get("API_QUOTA_DOWNLOADS_PER_DAY", "200")),
    },
    # A partner's key: openFDA's figures, ample for scripts, dashboards and GIS.
    "standard": {
        "minute": int(os.environ.get("API_QUOTA_STANDARD_PER_MINUTE", "240")),
        "day": int(os.environ.get("API_QUOTA_STANDARD_PER_DAY", "120000")),
    },
    # A key for nightly syncs and full mirrors: a walk of a million sites at 1,000 a page, twice.
    "bulk": {
        "minute": int(os.environ.get("API_QUOTA_BULK_PER_MINUTE", "1200")),
        "day": int(os.environ.get("API_QUOTA_BULK_PER_DAY", "1000000")),
    },
}

# How long the changes feed keeps its entries, tombstones included (`manage.py prune_changes`).
# A mirror that has not synced for longer must walk the lists afresh.
CHANGES_RETENTION_DAYS = int(os.environ.get("CHANGES_RETENTION_DAYS", "90"))
