import pytest

from casestudies import services
from tests.casestudies.factories import RegulatoryTopicFactory, StaffUserFactory
from tests.manufacturers.factories import SiteFactory, TechnologyFactory
from tests.workstreams.factories import workstream


@pytest.fixture
def editor(db):
    return StaffUserFactory(username="editor", first_name="Eddie", group="Editors")


@pytest.fixture
def other_editor(db):
    return StaffUserFactory(username="other-editor", first_name="Olive", group="Editors")


@pytest.fixture
def publisher(db):
    return StaffUserFactory(username="publisher", first_name="Pat", group="Publishers")


@pytest.fixture
def other_publisher(db):
    return StaffUserFactory(username="other-publisher", first_name="Quinn", group="Publishers")


@pytest.fixture
def draft(editor):
    site = SiteFactory()
    return services.case_study_create(
        data={
            "slug": "continuous-tablets",
            "title": "Continuous tablets",
            "summary": "Batch to flow.",
            "body": "## The challenge\n\nA new process.",
            "organisation": site.organisation,
            "workstream": workstream("regulatory-environment"),
            "sites": [site],
            "technologies": [TechnologyFactory()],
            "topics": [RegulatoryTopicFactory()],
            "source_urls": ["https://www.gov.uk/mhra"],
        },
        by=editor,
    )
