import django.db.models.functions.comparison
from django.db import migrations, models

from core.change_triggers import DROP_FUNCTIONS_SQL, FUNCTIONS_SQL


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Change",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "txid",
                    models.BigIntegerField(
                        db_default=django.db.models.functions.comparison.Cast(
                            django.db.models.functions.comparison.Cast(
                                models.Func(function="pg_current_xact_id"), models.TextField()
                            ),
                            models.BigIntegerField(),
                        ),
                        verbose_name="transaction",
                    ),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(
                        db_default=models.Func(
                            function="clock_timestamp", output_field=models.DateTimeField()
                        ),
                        db_index=True,
                        verbose_name="recorded at",
                    ),
                ),
                ("kind", models.CharField(max_length=20, verbose_name="kind")),
                ("object_id", models.BigIntegerField(null=True, verbose_name="record id")),
                ("slug", models.CharField(max_length=200, null=True, verbose_name="slug")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("created", "Created"),
                            ("updated", "Updated"),
                            ("deleted", "Deleted"),
                            ("withdrawn", "Withdrawn"),
                            ("merged", "Merged into another record"),
                            ("reset", "Every record of this kind replaced"),
                        ],
                        max_length=10,
                        verbose_name="action",
                    ),
                ),
                ("merged_into_id", models.BigIntegerField(null=True, verbose_name="merged into (id)")),
                (
                    "merged_into_slug",
                    models.CharField(max_length=200, null=True, verbose_name="merged into (slug)"),
                ),
                ("reason", models.TextField(blank=True, db_default="", default="", verbose_name="reason")),
            ],
            options={
                "verbose_name": "change",
                "verbose_name_plural": "changes",
                "indexes": [
                    models.Index(fields=["txid", "id"], name="change_feed_order_idx"),
                    models.Index(fields=["txid", "kind", "object_id"], name="change_in_transaction_idx"),
                ],
            },
        ),
        migrations.RunSQL(FUNCTIONS_SQL, DROP_FUNCTIONS_SQL),
    ]
