"""MMIP's five workstreams and the initiatives each runs."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel


class Workstream(TimeStampedModel):
    """One of MMIP's five workstreams: regulatory, skills, fiscal, supply chain, technology."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    # The order MMIP lists its workstreams in, on every page and in the API.
    position = models.PositiveSmallIntegerField(_("position"), unique=True)
    summary = models.TextField(
        _("summary"), help_text=_("One or two sentences: what the workstream aims at.")
    )
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))

    history = HistoricalRecords()

    class Meta:
        ordering = ["position"]
        verbose_name = _("workstream")
        verbose_name_plural = _("workstreams")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("workstreams:workstream-detail", kwargs={"slug": self.slug})


class InitiativeKind(models.TextChoices):
    PROGRAMME = "programme", _("Programme")
    SURVEY = "survey", _("Survey")
    REVIEW = "review", _("Review")
    WORKSHOP = "workshop", _("Workshop")
    GUIDE = "guide", _("Guide")
    PROJECT = "project", _("Project")
    FACILITY = "facility", _("Facility")
    PORTAL = "portal", _("Portal")


class InitiativeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")


class InitiativeQuerySet(models.QuerySet):
    def for_listing(self):
        return self.select_related("workstream").prefetch_related("partners")


class Initiative(TimeStampedModel):
    """Something a workstream does: a programme, survey, review, guide, project or facility."""

    change_kind = "initiative"  # its entries in the changes feed (core.changes)

    Kind = InitiativeKind
    Status = InitiativeStatus

    # PROTECT: retiring a workstream must not silently take its record of work with it.
    workstream = models.ForeignKey(
        Workstream,
        on_delete=models.PROTECT,
        related_name="initiatives",
        verbose_name=_("workstream"),
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=InitiativeKind.choices, default=InitiativeKind.PROGRAMME
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InitiativeStatus.choices,
        default=InitiativeStatus.ACTIVE,
    )
    summary = models.TextField(_("summary"))
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    partners = models.ManyToManyField(
        "manufacturers.Organisation",
        related_name="initiatives",
        blank=True,
        verbose_name=_("partner organisations"),
    )
    outcome = models.TextField(
        _("outcome"),
        blank=True,
        help_text=_("What it achieved, such as the £52m of skills investment secured."),
    )
    url = models.URLField(_("web page"), max_length=500, blank=True)
    source_urls = ArrayField(
        models.URLField(max_length=500), blank=True, default=list, verbose_name=_("sources")
    )

    objects = InitiativeQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[partners])

    class Meta:
        ordering = ["workstream__position", "-start_date", "title"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="initiative_ends_after_it_starts",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in InitiativeKind]),
                name="initiative_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in InitiativeStatus]),
                name="initiative_status_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("workstreams:initiative-detail", kwargs={"slug": self.slug})
