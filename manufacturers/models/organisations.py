"""Organisations: the manufacturers, universities, catapults and NHS bodies that run sites."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Func, Q, Value
from django.db.models.functions import Lower, Trim
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

# Companies House numbers: eight digits (England and Wales), or a two-letter prefix and six
# digits (SC Scotland, NI Northern Ireland, OC LLPs, ...).
companies_house_number_validator = RegexValidator(
    r"^(?:\d{8}|[A-Z]{2}\d{6})$",
    _("Enter a Companies House number: eight digits, or two capital letters and six digits."),
)


def website_domain():
    """The host of `website` as quality.website_domain gives it, in SQL: scheme, path, port and "www."
    off. Indexed (organisation_domain_idx), so the import finds a new organisation's lookalikes by
    domain without reading every organisation."""
    url = Lower(Trim("website"))
    text = models.CharField()
    without_scheme = Func(url, Value("^[a-z]+://"), Value(""), function="regexp_replace", output_field=text)
    host = Func(without_scheme, Value("/"), Value(1), function="split_part", output_field=text)
    without_port = Func(host, Value(":"), Value(1), function="split_part", output_field=text)
    return Func(without_port, Value(r"^www\."), Value(""), function="regexp_replace", output_field=text)


class OrganisationKind(models.TextChoices):
    LARGE_PHARMA = "large_pharma", _("Large pharma")
    CDMO = "cdmo", _("Contract development and manufacturing (CDMO)")
    BIOTECH = "biotech", _("Biotech")
    GENERIC = "generic", _("Generic manufacturer")
    NHS = "nhs", _("NHS")
    ACADEMIC_CATAPULT = "academic_catapult", _("Academic or catapult")
    OTHER = "other", _("Other")


class OrganisationQuerySet(models.QuerySet):
    def with_sites(self):
        return self.filter(sites__isnull=False).distinct()

    def for_directory(self):
        return self.annotate(site_count=models.Count("sites", distinct=True)).order_by("name")


class Organisation(TimeStampedModel):
    """A manufacturer, university, catapult, NHS body or trade body."""

    change_kind = "organisation"  # its entries in the changes feed (core.changes)

    Kind = OrganisationKind

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    # Optimistic locking (core.locking): one more on every save through the services.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    website = models.URLField(_("website"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    companies_house_number = models.CharField(
        _("Companies House number"),
        max_length=8,
        blank=True,
        validators=[companies_house_number_validator],
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config="english")
        + SearchVector("description", weight="C", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = OrganisationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["companies_house_number"],
                condition=~Q(companies_house_number=""),
                name="organisation_companies_house_number_unique",
                violation_error_message=_("Another organisation has this Companies House number."),
            ),
            models.CheckConstraint(
                condition=Q(companies_house_number="")
                | Q(companies_house_number__regex=r"^(\d{8}|[A-Z]{2}\d{6})$"),
                name="organisation_companies_house_number_format",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in OrganisationKind]),
                name="organisation_kind_valid",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="organisation_search_gin"),
            models.Index(website_domain(), name="organisation_domain_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("manufacturers:organisation-detail", kwargs={"slug": self.slug})


class OrganisationSlugRedirect(models.Model):
    """An address an organisation's page used to have (before a merge), sent on permanently."""

    old_slug = models.SlugField(_("old slug"), max_length=200, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="slug_redirects", verbose_name=_("organisation")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation slug redirect")
        verbose_name_plural = _("organisation slug redirects")

    def __str__(self):
        return f"{self.old_slug} → {self.organisation.slug}"
