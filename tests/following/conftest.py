import pytest

from tests.following.receiver import Receiver

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as they are queued (the worker itself is tested in test_worker.py)."""
    settings.TASKS = IMMEDIATE
    return settings


@pytest.fixture
def receiver():
    """Make local receivers (tests.following.receiver); each is closed after the test."""
    receivers = []

    def make(**kwargs):
        receivers.append(Receiver(**kwargs))
        return receivers[-1]

    yield make
    for each in receivers:
        each.close()
