"""The API's formats: JSON (orjson), GeoJSON (RFC 7946) and CSV, each on the same views and querysets."""

import csv
from collections.abc import Iterable, Iterator

import orjson
from django.utils.encoding import force_str
from rest_framework import renderers

from core import geojson
from core.csv_safety import csv_cell


class _Echo:
    """A file-like object whose write() hands back the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


def csv_lines(columns: list[str], rows: Iterable[dict]) -> Iterator[str]:
    """A header line then one line per row, each cell made safe by csv_cell()."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([csv_cell(row.get(column)) for column in columns])


def _default(value):
    return force_str(value)


def json_bytes(data) -> bytes:
    return orjson.dumps(data, default=_default)


class ORJSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, through orjson: the same output, faster on long pages."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json_bytes(data)


class GeoJSONRenderer(ORJSONRenderer):
    """A page of features as an RFC 7946 FeatureCollection; a single feature as itself.

    The page envelope becomes OGC-style members: `numberMatched`, `numberReturned` and `links`.
    """

    media_type = geojson.MEDIA_TYPE
    format = "geojson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "results" in data:
            links = [
                {"rel": rel, "type": self.media_type, "href": data[key]}
                for rel, key in (("next", "next"), ("prev", "previous"))
                if data.get(key)
            ]
            data = geojson.feature_collection(
                data["results"],
                numberMatched=data.get("count"),
                numberReturned=len(data["results"]),
                links=links,
            )
        return super().render(data, accepted_media_type, renderer_context)


class CSVRenderer(renderers.BaseRenderer):
    """UTF-8 CSV with a header row, one row per item; the columns come from the view's CSV serializer."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        if isinstance(data, dict) and "results" in data:
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [data]
        columns = renderer_context.get("csv_columns") or (list(rows[0]) if rows else [])
        return "".join(csv_lines(columns, rows)).encode(self.charset)
