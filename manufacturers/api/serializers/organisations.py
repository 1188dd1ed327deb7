"""Organisations: in lists, in detail with their sites, and as rows of organisations.csv."""

from rest_framework import serializers

from ...importing.columns import organisation_type_label, organisation_types_text
from ...models import Organisation
from .common import SiteSummarySerializer, WebURLField, api_url, row_value


class OrganisationListSerializer(serializers.ModelSerializer):
    url = api_url("organisation-detail")
    web_url = WebURLField(view_name="manufacturers:organisation-detail")
    site_count = serializers.IntegerField(read_only=True, help_text="How many sites the organisation has.")

    class Meta:
        model = Organisation
        fields = [
            "id",
            "slug",
            "url",
            "web_url",
            "name",
            "kind",
            "website",
            "companies_house_number",
            "site_count",
            "created_at",
            "updated_at",
        ]


class OrganisationDetailSerializer(OrganisationListSerializer):
    sites = SiteSummarySerializer(many=True, read_only=True)

    class Meta(OrganisationListSerializer.Meta):
        fields = [*OrganisationListSerializer.Meta.fields, "description", "sites"]


class OrganisationCSVSerializer(serializers.Serializer):
    """One CSV row per organisation."""

    id = serializers.IntegerField(help_text="The organisation's stable numeric id.")
    slug = serializers.SlugField(help_text="The organisation's stable identifier in URLs.")
    name = serializers.CharField(help_text="The organisation's name.")
    organisation_type = serializers.SerializerMethodField(help_text=f"{organisation_types_text()}.")
    kind = serializers.CharField(
        help_text="The same as organisation_type, as a code: large_pharma, cdmo, biotech, generic, nhs, "
        "academic_catapult or other."
    )
    website = serializers.CharField(help_text="The organisation's website.")
    companies_house_number = serializers.CharField(help_text="Its Companies House number, where known.")
    site_count = serializers.IntegerField(help_text="How many of its sites are in the dataset.")
    description = serializers.CharField(help_text="A short description.")
    url = WebURLField(view_name="manufacturers:organisation-detail", help_text="Its page on the portal.")
    updated_at = serializers.DateTimeField(
        help_text="When the organisation's record last changed (ISO 8601)."
    )

    def get_organisation_type(self, row) -> str:
        return organisation_type_label(row_value(row, "kind"))
