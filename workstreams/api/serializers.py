from rest_framework import serializers

from manufacturers.api.serializers import OrganisationSummarySerializer, WebURLField

from ..models import Initiative, Workstream


class WorkstreamSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-v1:workstream-detail", lookup_field="slug")

    class Meta:
        model = Workstream
        fields = ["slug", "name", "url"]


class InitiativeSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-v1:initiative-detail", lookup_field="slug")

    class Meta:
        model = Initiative
        fields = ["slug", "title", "kind", "status", "url"]


class WorkstreamListSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-v1:workstream-detail", lookup_field="slug")
    web_url = WebURLField(view_name="workstreams:workstream-detail")

    class Meta:
        model = Workstream
        fields = ["id", "slug", "url", "web_url", "name", "position", "summary", "created_at", "updated_at"]


class WorkstreamDetailSerializer(WorkstreamListSerializer):
    body = serializers.CharField(read_only=True, help_text="Markdown.")
    initiatives = InitiativeSummarySerializer(many=True, read_only=True)

    class Meta(WorkstreamListSerializer.Meta):
        fields = [*WorkstreamListSerializer.Meta.fields, "body", "initiatives"]


class InitiativeListSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-v1:initiative-detail", lookup_field="slug")
    web_url = WebURLField(view_name="workstreams:initiative-detail")
    workstream = WorkstreamSummarySerializer(read_only=True)
    partners = OrganisationSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "slug",
            "url",
            "web_url",
            "title",
            "kind",
            "status",
            "workstream",
            "summary",
            "start_date",
            "end_date",
            "partners",
            "created_at",
            "updated_at",
        ]


class InitiativeDetailSerializer(InitiativeListSerializer):
    class Meta(InitiativeListSerializer.Meta):
        fields = [*InitiativeListSerializer.Meta.fields, "body", "outcome", "website", "source_urls"]

    body = serializers.CharField(read_only=True, help_text="Markdown.")
    website = serializers.URLField(source="url", read_only=True, help_text="The initiative's own web page.")
