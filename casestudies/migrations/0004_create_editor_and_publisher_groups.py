"""The two case-study staff groups: Editors write and submit, Publishers also review and publish.

The services check these permissions (publish_casestudy above all), not only the admin buttons.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Editors need to see what a case study links to (organisation, sites, technologies,
# workstream) for the admin's autocomplete fields, and to read the history.
EDITOR_PERMISSIONS = [
    ("casestudies", "add_casestudy"),
    ("casestudies", "change_casestudy"),
    ("casestudies", "view_casestudy"),
    ("casestudies", "view_casestudyrevision"),
    ("casestudies", "view_casestudyevent"),
    ("casestudies", "view_changenote"),
    ("casestudies", "view_regulatorytopic"),
    ("manufacturers", "view_organisation"),
    ("manufacturers", "view_site"),
    ("manufacturers", "view_technology"),
    ("workstreams", "view_workstream"),
]
PUBLISHER_PERMISSIONS = [
    *EDITOR_PERMISSIONS,
    ("casestudies", "publish_casestudy"),
    ("casestudies", "add_changenote"),
    ("casestudies", "change_changenote"),
    ("casestudies", "view_casestudypreviewlink"),
]
GROUPS = {"Editors": EDITOR_PERMISSIONS, "Publishers": PUBLISHER_PERMISSIONS}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations run; create them now so the
    # groups can be given them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("manufacturers", "0001_initial"),
        ("workstreams", "0001_initial"),
        ("casestudies", "0003_casestudy_revisions_events_preview_links"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
