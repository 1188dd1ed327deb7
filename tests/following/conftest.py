import pytest

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as they are queued (the worker itself is tested in test_worker.py)."""
    settings.TASKS = IMMEDIATE
    return settings
