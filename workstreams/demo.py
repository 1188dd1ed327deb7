"""The demo initiatives (fixtures/initiatives.toml), loaded by `manage.py load_demo_data`."""

import tomllib
from pathlib import Path

from django.db import transaction

from manufacturers.models import Organisation
from manufacturers.services import organisation_save

from .models import Initiative, Workstream
from .services import initiative_save


def _partner(name: str) -> Organisation:
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        organisation = organisation_save(organisation=Organisation(name=name, kind=Organisation.Kind.OTHER))
    return organisation


@transaction.atomic
def initiatives_load_toml(path: Path | str) -> int:
    """Create the initiatives of a TOML file that are not in the database yet; return how many.

    Existing initiatives are left as staff may have edited them, so loading twice changes nothing.
    """
    with open(path, "rb") as handle:
        items = tomllib.load(handle)["initiative"]
    workstreams = {workstream.slug: workstream for workstream in Workstream.objects.all()}
    created = 0
    for item in items:
        if Initiative.objects.filter(slug=item["slug"]).exists():
            continue
        initiative = Initiative(
            workstream=workstreams[item["workstream"]],
            slug=item["slug"],
            title=item["title"],
            kind=item.get("kind", Initiative.Kind.PROGRAMME),
            status=item.get("status", Initiative.Status.ACTIVE),
            summary=item["summary"].strip(),
            body=item.get("body", "").strip(),
            start_date=item.get("start_date"),
            end_date=item.get("end_date"),
            outcome=item.get("outcome", "").strip(),
            url=item.get("url", ""),
            source_urls=item.get("sources", []),
        )
        initiative_save(initiative=initiative)
        initiative.partners.set([_partner(name) for name in item.get("partners", [])])
        created += 1
    return created
