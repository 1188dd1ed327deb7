"""OpenAPI: which endpoints each schema covers, the error answers every operation may give, the
API-key security scheme, and the view that serves each document from memory."""

import threading

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework.response import Response

ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "What went wrong, in a sentence."}},
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Each bad query parameter or field, with the reasons it was refused.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
ERROR_RESPONSES = {
    "304": {"description": "Not modified: the `ETag` or `Last-Modified` the client holds is current."},
    "400": {
        "description": "A query parameter or a field sent is unknown or has a bad value; the body names it and says why.",
        "content": {"application/json": {"schema": VALIDATION_ERROR}},
    },
    "401": {
        "description": "The API key sent is not recognised, or none was sent where one is needed.",
        "content": {"application/json": {"schema": ERROR}},
    },
    "403": {
        "description": "The API key sent has been revoked or has expired.",
        "content": {"application/json": {"schema": ERROR}},
    },
    "404": {"description": "No such object or page.", "content": {"application/json": {"schema": ERROR}}},
    "406": {
        "description": "The Accept header asks for a format this endpoint does not offer.",
        "content": {"application/json": {"schema": ERROR}},
    },
    "429": {
        "description": "Too many requests: wait the number of seconds in `Retry-After`, or use an API key.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
        "content": {"application/json": {"schema": ERROR}},
    },
}
# Marks an operation that needs a key (extend_schema(extensions=…)): no anonymous alternative.
KEY_REQUIRED = "x-api-key-required"
TEXT_SCHEMAS = {
    "text/csv": {"type": "string", "description": "UTF-8 CSV with a header row."},
    "text/html": {"type": "string"},
}


def only_v1_endpoints(endpoints, **kwargs):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def only_ogc_endpoints(endpoints, **kwargs):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/ogc/")]


def document_errors_and_formats(result, generator, request, public):
    """Every operation may answer 304, 400, 401, 403, 404, 406 or 429; CSV and HTML bodies are text."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            key_required = operation.get(KEY_REQUIRED, False)
            if operation.get("security") and {} not in operation["security"] and not key_required:
                operation["security"].append({})  # a key is optional: anonymous reads are allowed
            responses = operation.setdefault("responses", {})
            for code, response in ERROR_RESPONSES.items():
                responses.setdefault(code, response)
            for response in responses.values():
                for media_type, schema in TEXT_SCHEMAS.items():
                    if media_type in response.get("content", {}):
                        response["content"][media_type] = {"schema": schema}
    return result


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.access.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": (
                "A partner API key, sent as `X-Api-Key: <key>` or `Authorization: Api-Key <key>`. "
                "Optional: without one, reads are allowed at a lower rate."
            ),
        }


class CachedSchemaView(SpectacularAPIView):
    quota_bucket = "anonymous"  # the OGC URLconf gives its document the GIS clients' bucket
    """drf-spectacular's schema view, generating each OpenAPI document once per process.

    Generation patches drf-spectacular's global settings (the OGC document has settings of its
    own), so two generations at once in one process can see each other's settings and fail. One
    lock serialises them, and the document, which depends only on the code, is kept for the
    process's life: the schema is served from memory, never generated under load.
    """

    _documents: dict = {}
    _lock = threading.Lock()

    @extend_schema(**SCHEMA_KWARGS)
    def get(self, request, *args, **kwargs):
        key = (
            type(self).__qualname__,
            repr(self.urlconf),
            self.api_version,
            repr(sorted((self.custom_settings or {}).items())),
            request.GET.get("lang"),
            request.GET.get("version"),
        )
        document = self._documents.get(key)
        if document is None:
            with self._lock:
                document = self._documents.get(key)
                if document is None:
                    response = super().get(request, *args, **kwargs)
                    document = self._documents[key] = (response.data, dict(response.headers))
        data, headers = document
        return Response(data=data, headers=headers)
