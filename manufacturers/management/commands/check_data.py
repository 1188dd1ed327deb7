import json

from django.core.management.base import BaseCommand, CommandError

from manufacturers import quality


class Command(BaseCommand):
    help = (
        "Run every data-quality check over the database and print a report. Errors (coordinates "
        "outside the UK or their region, malformed postcodes) give exit status 1; warnings (likely "
        "duplicates, organisations without sites, case studies linking to closed sites) do not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the findings as JSON")

    def handle(self, *args, **options):
        findings = quality.check_all()
        errors = [finding for finding in findings if finding.level == quality.ERROR]
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "level": finding.level,
                            "check": finding.check,
                            "subject": finding.subject,
                            "message": finding.message,
                        }
                        for finding in findings
                    ],
                    indent=2,
                )
            )
        else:
            for finding in findings:
                style = self.style.ERROR if finding.level == quality.ERROR else self.style.WARNING
                self.stdout.write(style(str(finding)))
            self.stdout.write(f"{len(errors)} errors, {len(findings) - len(errors)} warnings.")
        if errors:
            raise CommandError(f"The data has {len(errors)} errors.")
