"""What every map of the portal draws under its sites: the shipped orientation layer, or a
deployment's tile basemap when MAP_TILES names one (with its attribution, on every map)."""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse


def map_tiles() -> dict | None:
    """The deployment's raster tile layer ({url, attribution, max_zoom}), or None for the shipped layer."""
    return getattr(settings, "MAP_TILES", None) or None


def map_config() -> dict:
    """What the map scripts need: the tiles or the orientation layer's sources, and the credits."""
    return {
        "tiles": map_tiles(),
        "outline_url": static("geo/uk-outline.geojson"),
        "places_url": reverse("manufacturers:map-places"),
        "attribution": [
            "Boundaries: ONS, OGL v3",
            "Places: GeoNames, CC BY 4.0",
        ],
    }
