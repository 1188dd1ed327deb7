"""The Fiscal environment page no longer says the directory can find grant-funded sites: it cannot."""

from django.db import migrations

PROMISE = "Sites that have received LSIMF support can be found in the manufacturer directory."
PLAIN = "The directory does not record which sites received grants; the grant schemes' own sources name them."


def forwards(apps, schema_editor):
    Workstream = apps.get_model("workstreams", "Workstream")
    for workstream in Workstream.objects.filter(body__contains=PROMISE):
        workstream.body = workstream.body.replace(PROMISE, PLAIN)
        workstream.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("workstreams", "0003_record_changes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
