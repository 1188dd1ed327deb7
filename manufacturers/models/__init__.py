"""Who makes medicines where in the UK: organisations, their sites and the taxonomies that describe them.

One module per concept; every public name is importable from `manufacturers.models`.
"""

from .corrections import Correction, CorrectionQuerySet, CorrectionStatus
from .licences import Licence, LicenceBasis
from .map_grid import MAP_CELL_PIXELS, MAX_MAP_FEATURES, map_grid_cell
from .organisations import (
    Organisation,
    OrganisationKind,
    OrganisationQuerySet,
    OrganisationSlugRedirect,
    companies_house_number_validator,
)
from .places import OutwardPostcode, Place, PlaceQuerySet, place_search_key
from .reference import Capability, LicenceType, Region, Technology
from .site_states import SiteState
from .sites import (
    UK_POSTCODE_PATTERN,
    LocationPrecision,
    Site,
    SiteConfidence,
    SiteQuerySet,
    SiteStatus,
    search_query,
    uk_postcode_validator,
)

__all__ = [
    "MAP_CELL_PIXELS",
    "MAX_MAP_FEATURES",
    "UK_POSTCODE_PATTERN",
    "Capability",
    "Correction",
    "CorrectionQuerySet",
    "CorrectionStatus",
    "Licence",
    "LicenceBasis",
    "LicenceType",
    "LocationPrecision",
    "Organisation",
    "OrganisationSlugRedirect",
    "OutwardPostcode",
    "Place",
    "PlaceQuerySet",
    "OrganisationKind",
    "OrganisationQuerySet",
    "Region",
    "Site",
    "SiteConfidence",
    "SiteQuerySet",
    "SiteState",
    "SiteStatus",
    "Technology",
    "companies_house_number_validator",
    "map_grid_cell",
    "place_search_key",
    "search_query",
    "uk_postcode_validator",
]
