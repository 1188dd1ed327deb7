"""GeoJSON (RFC 7946), written one way wherever the portal serves it: API pages, OGC items,
the bulk download and the maps. Coordinates are WGS84 longitude then latitude."""

from collections.abc import Iterable

import orjson

MEDIA_TYPE = "application/geo+json"


def point(*, latitude: float, longitude: float) -> dict:
    return {"type": "Point", "coordinates": [longitude, latitude]}


def feature(geometry: dict | None, properties: dict, *, id=None) -> dict:  # noqa: A002 - GeoJSON's own name
    """A Feature; `id` is left out when there is none, as RFC 7946 allows."""
    return {
        "type": "Feature",
        **({"id": id} if id is not None else {}),
        "geometry": geometry,
        "properties": properties,
    }


def feature_collection(features: Iterable[dict], **members) -> dict:
    """A FeatureCollection; `members` are foreign members (links, counts, licence) placed before the features."""
    return {"type": "FeatureCollection", **members, "features": list(features)}


def collection_envelope(**members) -> tuple[bytes, bytes]:
    """The bytes before and after a streamed FeatureCollection's comma-separated features."""
    head = orjson.dumps({"type": "FeatureCollection", **members})
    return head[:-1] + b',"features":[', b"]}"
