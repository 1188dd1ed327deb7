"""A partner's webhook endpoints in the API: one serializer per representation."""

from rest_framework import serializers

from ..models import WebhookDelivery, WebhookEndpoint
from ..searches import MAX_QUERY_LENGTH, Search, SearchError, parse_search

FILTER_HELP = (
    "The directory's filter as a query string, for example "
    "`region=scotland&capability=aseptic_fill_finish`; empty for every site."
)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as its owner sees it afterwards: never with its secret."""

    filter = serializers.CharField(source="query", help_text=FILTER_HELP)

    class Meta:
        model = WebhookEndpoint
        fields = (
            "id",
            "url",
            "filter",
            "description",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields
        extra_kwargs = {
            "is_active": {"help_text": "False once it failed too often in a row; POST …/enable/ to resume."},
            "consecutive_failures": {"help_text": "Failed tries in a row, across deliveries."},
        }


class WebhookEndpointRegisteredSerializer(WebhookEndpointSerializer):
    """The answer to registering: the endpoint and its signing secret, the only time it is shown."""

    secret = serializers.CharField(help_text="The signing secret (whsec_…). Shown only in this answer.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    """What a partner sends to register an endpoint. `filter` comes out as a parsed Search."""

    url = serializers.URLField(
        max_length=500, help_text="Where deliveries are POSTed: an https:// address on the public internet."
    )
    filter = serializers.CharField(
        max_length=MAX_QUERY_LENGTH, required=False, allow_blank=True, default="", help_text=FILTER_HELP
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="A note for yourself."
    )

    def validate_filter(self, value: str) -> Search:
        try:
            return parse_search(value)
        except SearchError as error:
            raise serializers.ValidationError(error.messages()) from error


class WebhookSecretSerializer(serializers.Serializer):
    """A new signing secret, shown only in this answer; the old one stops signing at once."""

    secret = serializers.CharField(help_text="The new signing secret (whsec_…).")


class WebhookTestDeliverySerializer(serializers.ModelSerializer):
    """A test delivery just queued: its id is the `webhook-id` the receiver will see."""

    class Meta:
        model = WebhookDelivery
        fields = ("id", "event_id", "event_type", "status")
        read_only_fields = fields
