from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.markdown import render_markdown
from manufacturers.api.serializers import (
    OrganisationSummarySerializer,
    SiteSummarySerializer,
    TechnologySummarySerializer,
    WebURLField,
)
from workstreams.api.serializers import WorkstreamSummarySerializer

from ..models import CaseStudy, RegulatoryTopic


class RegulatoryTopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegulatoryTopic
        fields = ["slug", "name"]


class CaseStudyListSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-v1:case-study-detail", lookup_field="slug")
    web_url = WebURLField(view_name="casestudies:case-study-detail")
    organisation = OrganisationSummarySerializer(read_only=True)
    workstream = WorkstreamSummarySerializer(read_only=True)
    technologies = TechnologySummarySerializer(many=True, read_only=True)
    topics = RegulatoryTopicSerializer(many=True, read_only=True)

    class Meta:
        model = CaseStudy
        fields = [
            "id",
            "slug",
            "url",
            "web_url",
            "title",
            "summary",
            "organisation",
            "workstream",
            "technologies",
            "topics",
            "first_published_at",
            "last_published_at",
        ]


class CaseStudyDetailSerializer(CaseStudyListSerializer):
    body = serializers.CharField(read_only=True, help_text="Markdown, as the editors wrote it.")
    body_html = serializers.SerializerMethodField(
        help_text="The body as sanitised HTML: the same rule the public page uses (no scripts, no event handlers)."
    )
    sites = SiteSummarySerializer(many=True, read_only=True)

    class Meta(CaseStudyListSerializer.Meta):
        fields = [*CaseStudyListSerializer.Meta.fields, "body", "body_html", "sites", "source_urls"]

    @extend_schema_field(serializers.CharField())
    def get_body_html(self, case_study) -> str:
        return str(render_markdown(case_study.body))


class WithdrawnSerializer(serializers.Serializer):
    detail = serializers.CharField()
    reason = serializers.CharField(help_text="Why it was withdrawn, as shown to the public.")
