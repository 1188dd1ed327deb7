"""Fuzzing the decoders of what clients send: cursors and bounding boxes never reach SQL unchecked.

Whatever a cursor or a bbox holds (NUL characters, numbers beyond bigint or real, wrong types,
garbage), the answer is the page or a 400 naming the parameter, never a 500.
"""

import base64
import json
import urllib.parse

import orjson
import pytest
from django import forms
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.api.changes import Position
from manufacturers.filters import BoundingBoxField
from tests.manufacturers.factories import SiteFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 3.5e38, 2**63, -(2**63) - 1]),
    st.text(),
    st.sampled_from(["\x00", "a\x00b", "2026-01-01T00:00:00Z"]),
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)
)


def encode(payload) -> str:
    # The standard library's JSON, which writes integers of any size, as a hand-made cursor might.
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.fixture
def client(settings):
    settings.API_QUOTAS = {bucket: {"minute": 1_000_000, "day": 10_000_000} for bucket in settings.API_QUOTAS}
    for number in range(3):
        SiteFactory(name=f"Biologics {number}", slug=f"biologics-{number}")
    return Client(raise_request_exception=False)


def real_cursor_keys(client, query: dict) -> list:
    """The ordering keys a real cursor of this list carries."""
    body = client.get("/api/v1/sites/", {**query, "page_size": 1}).json()
    cursor = urllib.parse.parse_qs(urllib.parse.urlparse(body["next"]).query)["cursor"][0]
    return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["k"]


def assert_page_or_400(response, parameter: str):
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 400:
        assert parameter in response.json()


@FUZZ
@given(cursor_values=st.lists(values, min_size=1, max_size=4), reverse=values, search=st.booleans())
def test_a_crafted_keyset_cursor_is_a_page_or_a_400(client, cursor_values, reverse, search):
    query = {"q": "biologics"} if search else {}
    keys = real_cursor_keys(client, query)
    cursor = encode({"k": keys, "v": cursor_values, "r": reverse})
    assert_page_or_400(client.get("/api/v1/sites/", {**query, "cursor": cursor}), "cursor")


@FUZZ
@given(raw=st.text() | st.binary().map(lambda data: base64.urlsafe_b64encode(data).decode()))
def test_any_cursor_text_is_a_page_or_a_400(client, raw):
    assert_page_or_400(client.get("/api/v1/sites/", {"cursor": raw}), "cursor")


@FUZZ
@given(payload=values)
def test_a_crafted_changes_cursor_is_an_answer_never_a_500(client, payload):
    response = client.get("/api/v1/changes/", {"since": encode(payload)})
    assert response.status_code in (200, 400, 410), response.content[:300]
    if response.status_code != 200:
        assert "since" in response.json()


@given(payload=values)
@settings(max_examples=300)
def test_the_changes_cursor_decoder_returns_a_position_or_none(payload):
    position = Position.decode(encode(payload))
    assert position is None or (0 <= position.txid < 2**63 and 0 <= position.entry < 2**63)


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "0x10", "", " ", "\x00", "1_000"]),
)


@given(parts=st.lists(numbers, min_size=0, max_size=6), separator=st.sampled_from([",", ";", ", "]))
@settings(max_examples=300)
def test_the_bbox_decoder_returns_a_valid_box_or_a_validation_error(parts, separator):
    raw = separator.join(str(part) for part in parts)
    try:
        box = BoundingBoxField(required=False).clean(raw)
    except forms.ValidationError:
        return
    if box is None:
        assert raw == "" or raw.strip() == ""
        return
    assert -180 <= box["west"] <= box["east"] <= 180
    assert -90 <= box["south"] <= box["north"] <= 90


@FUZZ
@given(
    raw=st.text(max_size=60) | st.lists(numbers, min_size=4, max_size=4).map(lambda p: ",".join(map(str, p)))
)
def test_any_bbox_is_a_page_or_a_400_in_the_api_and_the_ogc_api(client, raw):
    assert_page_or_400(client.get("/api/v1/sites/", {"bbox": raw}), "bbox")
    response = client.get("/api/ogc/collections/sites/items", {"bbox": raw})
    assert response.status_code in (200, 400), response.content[:300]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/ogc/collections/sites/items?offset=9223372036854775808", "offset"),
        ("/api/v1/sites/?cursor=" + encode({"k": ["name", "id"], "v": ["a\x00", 1], "r": False}), "cursor"),
        (
            "/api/v1/sites/?q=biologics&cursor="
            + encode({"k": ["-rank", "name", "id"], "v": [1e308, "a", 1], "r": False}),
            "cursor",
        ),
    ],
)
def test_the_crafted_inputs_that_gave_500s_are_400s_naming_the_parameter(client, path, parameter):
    response = client.get(path)
    assert response.status_code == 400, response.content[:300]
    assert parameter in response.json()


def test_a_limit_beyond_bigint_is_served_as_the_maximum(client):
    response = client.get("/api/ogc/collections/sites/items?limit=99999999999999999999")
    assert response.status_code == 200
    assert response.json()["links"][0]["href"].endswith("limit=1000&offset=0")


def test_a_feature_id_beyond_bigint_is_a_404(client):
    response = client.get("/api/ogc/collections/sites/items/99999999999999999999")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/")


@pytest.mark.parametrize("path", ["/api/v1/organisations/", "/api/v1/case-studies/", "/api/v1/sites/"])
@pytest.mark.parametrize(
    "moment", ["0128-06-27T18:00:11+19:10", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]
)
def test_updated_since_with_any_offset_is_an_answer_never_a_500(client, path, moment):
    response = client.get(path, {"updated_since": moment})
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert "updated_since" in response.json()


# Digits that are not 0-9: "¹" passes str.isdigit() but not int(), "٣" passes both.
OTHER_DIGITS = ["¹", "²3", "٣", "１"]


@pytest.mark.parametrize("digits", OTHER_DIGITS)
@pytest.mark.parametrize("path", ["/api/v1/sites/{}/", "/api/ogc/collections/sites/items/{}"])
def test_an_id_written_in_other_digits_is_a_404(client, path, digits):
    SiteFactory()
    response = client.get(path.format(urllib.parse.quote(digits)))
    assert response.status_code == 404, response.content[:300]
    assert response["Content-Type"].startswith("application/")


@pytest.mark.parametrize("digits", OTHER_DIGITS)
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/organisations/", "page"),
        ("/api/v1/organisations/", "page_size"),
        ("/api/v1/sites/", "page_size"),
        ("/api/v1/changes/", "page_size"),
    ],
)
def test_a_page_written_in_other_digits_is_a_400_naming_it(client, path, parameter, digits):
    response = client.get(path, {parameter: digits})
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == [parameter]
