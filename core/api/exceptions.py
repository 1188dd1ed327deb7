"""One error shape for the whole API: DRF's field-keyed 400 body, whoever raised the error."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Turn a Django ValidationError (raised by a service or a model) into DRF's 400 body.

    Services raise Django's ValidationError keyed by field, so they need not import DRF;
    partners see `{"field": ["message."]}` either way.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is not None:
        # An error must never be served from a cache in place of a later, good answer.
        response["Cache-Control"] = "no-store"
    return response


class Gone(exceptions.APIException):
    """410: what was asked for existed once and is gone for good (a withdrawn record, an expired cursor)."""

    status_code = 410
    default_detail = "Gone."
    default_code = "gone"
