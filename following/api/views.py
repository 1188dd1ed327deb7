"""A partner's own webhook endpoints: register, list, remove, rotate the secret, test, re-enable.

Every answer belongs to the key that asks, so none is shared: the page cache is off, and each
answer says `private, no-store` (a secret or a key's endpoints must not sit in any cache).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework_api_key.models import APIKey

from core.api.access import RequiresPartnerKey
from core.api.renderers import ORJSONRenderer
from core.api.schema import KEY_REQUIRED
from core.api.views import PortalAPIMixin

from .. import webhooks
from ..models import WebhookEndpoint
from ..tasks import enqueue_delivery
from . import serializers as s


@extend_schema(tags=["webhooks"], extensions={KEY_REQUIRED: True})
@extend_schema_view(
    list=extend_schema(summary="List your webhook endpoints"),
    retrieve=extend_schema(summary="One of your webhook endpoints"),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description=_(
            "Each change to a site matching `filter` is POSTed to `url`, signed as Standard Webhooks "
            "says. The answer holds the signing `secret`: it is shown only this once."
        ),
        request=s.WebhookEndpointCreateSerializer,
        responses={201: s.WebhookEndpointRegisteredSerializer},
    ),
    destroy=extend_schema(
        summary="Remove a webhook endpoint",
        description=_("Nothing more is sent to it, pending retries included."),
        responses={204: OpenApiResponse(description="Removed.")},
    ),
)
class WebhookEndpointViewSet(
    PortalAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The webhook endpoints the calling API key registered; another key's are not found."""

    permission_classes = [RequiresPartnerKey]
    renderer_classes = [ORJSONRenderer]
    pagination_class = None  # a key has at most WEBHOOK_ENDPOINTS_PER_KEY
    filterset_class = None
    lookup_value_regex = r"[0-9]+"
    cache_answers = False
    serializer_classes = {
        "list": s.WebhookEndpointSerializer,
        "retrieve": s.WebhookEndpointSerializer,
        "create": s.WebhookEndpointCreateSerializer,
        "enable": s.WebhookEndpointSerializer,
        "rotate_secret": s.WebhookSecretSerializer,
        "test": s.WebhookTestDeliverySerializer,
    }

    def get_queryset(self):
        if not isinstance(self.request.auth, APIKey):
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.owned_by(self.request.auth).order_by("created_at", "id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, _secret = webhooks.endpoint_create(
            api_key=request.auth,
            url=serializer.validated_data["url"],
            search=serializer.validated_data["filter"],
            description=serializer.validated_data["description"],
        )
        location = reverse("api-v1:webhook-detail", args=[endpoint.pk], request=request)
        return Response(
            s.WebhookEndpointRegisteredSerializer(endpoint).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def perform_destroy(self, instance):
        webhooks.endpoint_delete(instance)

    @extend_schema(
        summary="Rotate an endpoint's signing secret",
        description=_("The old secret stops signing at once. The new one is shown only in this answer."),
        request=None,
        responses={200: s.WebhookSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, *args, **kwargs):
        secret = webhooks.endpoint_rotate_secret(self.get_object())
        return Response(s.WebhookSecretSerializer({"secret": secret}).data)

    @extend_schema(
        summary="Send a test event",
        description=_(
            "Queues a signed delivery of type `test` to the endpoint; a disabled endpoint gets it "
            "once enabled again."
        ),
        request=None,
        responses={202: s.WebhookTestDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, *args, **kwargs):
        delivery = webhooks.queue_test_event(self.get_object())
        enqueue_delivery(delivery)
        return Response(s.WebhookTestDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Enable an endpoint again",
        description=_(
            "After it was disabled for failing too often in a row: deliveries waiting for it resume."
        ),
        request=None,
        responses={200: s.WebhookEndpointSerializer},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request, *args, **kwargs):
        endpoint = self.get_object()
        webhooks.endpoint_enable(endpoint)
        return Response(s.WebhookEndpointSerializer(endpoint).data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response
