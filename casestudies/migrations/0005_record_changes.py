"""The changes feed records what the public sees of case studies: published ones only, never drafts."""

from django.db import migrations

from core.change_triggers import record_changes, record_link_changes

# Workflow bookkeeping: none of it shows on a public page.
NOT_PUBLIC = (
    "updated_at",
    "version",
    "live_revision_id",
    "draft_revision_id",
    "draft_submitted_at",
    "author_id",
    "reviewer_id",
    "created_by_id",
    "updated_by_id",
)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_changes_feed"), ("casestudies", "0004_create_editor_and_publisher_groups")]

    operations = [
        record_changes("casestudies_casestudy", "case_study", ignored=NOT_PUBLIC, public_status="published"),
        *(
            record_link_changes(
                table,
                "case_study",
                column="casestudy_id",
                parent_table="casestudies_casestudy",
                public_status="published",
            )
            for table in (
                "casestudies_casestudy_sites",
                "casestudies_casestudy_technologies",
                "casestudies_casestudy_topics",
            )
        ),
    ]
