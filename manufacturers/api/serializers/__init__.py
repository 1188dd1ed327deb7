"""One serializer per representation of each manufacturers resource (STYLE.md §6).

The help_text of the CSV and GeoJSON serializers is the data dictionary: the page at
/api/v1/data-dictionary/ is built from it, so the documentation cannot drift from the files.
Every serializer is importable from `manufacturers.api.serializers`.
"""

from ...importing.columns import ORGANISATION_TYPE_LABELS
from .common import (
    CapabilitySummarySerializer,
    FeatureTypeField,
    LicenceTypeSummarySerializer,
    LinkSerializer,
    OrganisationSummarySerializer,
    PointGeometryField,
    PointGeometrySerializer,
    RegionSummarySerializer,
    SiteSummarySerializer,
    TechnologySummarySerializer,
    WebURLField,
    api_url,
    row_value,
)
from .organisations import OrganisationCSVSerializer, OrganisationDetailSerializer, OrganisationListSerializer
from .reference import (
    BoundaryField,
    CapabilitySerializer,
    LicenceTypeSerializer,
    ReferenceSerializer,
    RegionDetailSerializer,
    RegionFeatureCollectionSerializer,
    RegionGeoJSONSerializer,
    RegionListSerializer,
    RegionPropertiesSerializer,
    TechnologySerializer,
)
from .sites import (
    SLUG_LIST,
    CaseStudySummarySerializer,
    FacetCountsSerializer,
    LicenceSerializer,
    SiteCSVSerializer,
    SiteDetailSerializer,
    SiteFeatureCollectionSerializer,
    SiteGeoJSONSerializer,
    SiteListSerializer,
    SitePropertiesSerializer,
)

__all__ = [
    "ORGANISATION_TYPE_LABELS",
    "SLUG_LIST",
    "BoundaryField",
    "CapabilitySerializer",
    "CapabilitySummarySerializer",
    "CaseStudySummarySerializer",
    "FacetCountsSerializer",
    "FeatureTypeField",
    "LicenceSerializer",
    "LicenceTypeSerializer",
    "LicenceTypeSummarySerializer",
    "LinkSerializer",
    "OrganisationCSVSerializer",
    "OrganisationDetailSerializer",
    "OrganisationListSerializer",
    "OrganisationSummarySerializer",
    "PointGeometryField",
    "PointGeometrySerializer",
    "ReferenceSerializer",
    "RegionDetailSerializer",
    "RegionFeatureCollectionSerializer",
    "RegionGeoJSONSerializer",
    "RegionListSerializer",
    "RegionPropertiesSerializer",
    "RegionSummarySerializer",
    "SiteCSVSerializer",
    "SiteDetailSerializer",
    "SiteFeatureCollectionSerializer",
    "SiteGeoJSONSerializer",
    "SiteListSerializer",
    "SitePropertiesSerializer",
    "SiteSummarySerializer",
    "TechnologySerializer",
    "TechnologySummarySerializer",
    "WebURLField",
    "api_url",
    "row_value",
]
