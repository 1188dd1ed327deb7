"""The licence and attribution every copy of the data carries: API answers, downloads and pages."""

OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"

LICENCE = {"name": "Open Government Licence v3.0", "url": OGL_URL}

ATTRIBUTION = [
    "Contains public sector information from the MMIP innovation landscape, licensed under the "
    "Open Government Licence v3.0.",
    "Site coordinates are town-level points from GeoNames (https://www.geonames.org/), licensed "
    "under CC BY 4.0.",
    "Region boundaries: Office for National Statistics, licensed under the Open Government Licence "
    "v3.0; contains OS data © Crown copyright and database right 2018; contains LPS Intellectual "
    "Property © Crown copyright and database right 2018 (Northern Ireland).",
]
