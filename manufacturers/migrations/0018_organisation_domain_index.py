"""An index on each organisation's website domain, for the import's lookalike check (website_domain)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("manufacturers", "0017_site_region_name_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(
                models.Func(
                    models.Func(
                        models.Func(
                            models.Func(
                                django.db.models.functions.text.Lower(
                                    django.db.models.functions.text.Trim("website")
                                ),
                                models.Value("^[a-z]+://"),
                                models.Value(""),
                                function="regexp_replace",
                                output_field=models.CharField(),
                            ),
                            models.Value("/"),
                            models.Value(1),
                            function="split_part",
                            output_field=models.CharField(),
                        ),
                        models.Value(":"),
                        models.Value(1),
                        function="split_part",
                        output_field=models.CharField(),
                    ),
                    models.Value("^www\\."),
                    models.Value(""),
                    function="regexp_replace",
                    output_field=models.CharField(),
                ),
                name="organisation_domain_idx",
            ),
        ),
    ]
