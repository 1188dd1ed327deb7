"""End to end with the real worker (django-tasks' db_worker): follow, confirm, import, digest, unsubscribe."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from manufacturers.importing import rows_from_csv, sites_import_rows
from tests.manufacturers.sheets import csv_text, sheet_row

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GLASGOW = {
    "town": "Glasgow",
    "postcode_district": "G1",
    "region": "Scotland",
    "latitude": "55.8642",
    "longitude": "-4.2518",
}


def run_worker():
    """The worker the deployment runs, for every task queued so far."""
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def import_rows(*rows, name="update.csv"):
    return sites_import_rows(rows_from_csv(io.StringIO(csv_text(list(rows)))), source_name=name)


def url_in(message, path: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:8000({re.escape(path)}[^\s\"<]*)", message.body)
    return found.group(1)


def test_a_follower_gets_exactly_one_digest_with_exactly_the_matching_change_then_nothing(client):
    stevenage = sheet_row()  # in the East of England: not in the followed search
    import_rows(stevenage, name="first.csv")

    response = client.post(
        "/sites/follow/?region=scotland", {"email": "ann@example.org", "frequency": "daily"}
    )
    assert response.status_code == 302
    run_worker()
    [confirmation] = mail.outbox
    assert client.post(url_in(confirmation, "/alerts/confirm/")).status_code == 200

    import_rows(
        sheet_row(site_name="Clyde fill-finish", **GLASGOW),  # a new site the search matches
        {**stevenage, "town": "Hitchin", "postcode_district": "SG4"},  # a change to one it does not
    )
    mail.outbox.clear()
    run_worker()
    assert mail.outbox == []  # nothing before the day is out

    tomorrow = timezone.now() + timedelta(days=1, minutes=1)
    with time_machine.travel(tomorrow):
        call_command("follow_tick", verbosity=0)
        run_worker()
        call_command("follow_tick", verbosity=0)  # a second round sends nothing more
        run_worker()

    [digest] = mail.outbox
    assert digest.to == ["ann@example.org"]
    assert digest.subject == "1 change to “region: scotland”"
    assert "Added: Clyde fill-finish (Glasgow)" in digest.body
    assert "Hitchin" not in digest.body and "Gunnels Wood Road" not in digest.body
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    unsubscribe = digest.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    response = client.post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200

    import_rows(sheet_row(site_name="Clyde fill-finish", **{**GLASGOW, "town": "Paisley"}))
    mail.outbox.clear()
    with time_machine.travel(tomorrow + timedelta(days=2)):
        call_command("follow_tick", verbosity=0)
        run_worker()
    assert mail.outbox == []
