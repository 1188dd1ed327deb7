"""Two editors saving the same case study at the same moment, in two database transactions."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from casestudies import services
from casestudies.models import CaseStudy
from tests.casestudies.factories import CaseStudyFactory, StaffUserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_concurrent_saves_from_the_same_version_let_exactly_one_through():
    first_editor = StaffUserFactory(username="first", group="Editors")
    second_editor = StaffUserFactory(username="second", group="Editors")
    case_study = CaseStudyFactory(title="Original")
    content = case_study.working_content()
    first_holds_the_lock = threading.Event()
    second_is_saving = threading.Event()
    outcomes = {}

    def save(name, user, title, *, hold_lock):
        try:
            with transaction.atomic():
                services.case_study_save_draft(
                    case_study=case_study, data={**content, "title": title}, by=user, expected_version=1
                )
                if hold_lock:
                    # Keep the row locked until the other editor's save has started, so it
                    # usually waits on select_for_update; either way it then finds version 2.
                    first_holds_the_lock.set()
                    second_is_saving.wait(timeout=10)
            outcomes[name] = "saved"
        except ValidationError as error:
            outcomes[name] = error.message_dict["version"][0]
        finally:
            connection.close()

    first = threading.Thread(
        target=save, args=("first", first_editor, "First title"), kwargs={"hold_lock": True}
    )
    first.start()
    assert first_holds_the_lock.wait(timeout=10)
    second = threading.Thread(
        target=save, args=("second", second_editor, "Second title"), kwargs={"hold_lock": False}
    )
    second.start()
    second_is_saving.set()
    first.join(timeout=20)
    second.join(timeout=20)

    assert outcomes["first"] == "saved"
    assert outcomes["second"].startswith("Someone else changed this case study while you were working on it")
    case_study = CaseStudy.objects.get(pk=case_study.pk)
    assert (case_study.title, case_study.version, case_study.updated_by) == ("First title", 2, first_editor)
    assert case_study.revisions.count() == 1  # the factory made none; only the first save made one
