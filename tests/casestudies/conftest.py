import pytest

from tests.casestudies.factories import StaffUserFactory


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
