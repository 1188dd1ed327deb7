"""MHRA Innovation Office regulatory case studies, written and published by MMIP staff."""

from django.contrib.postgres.fields import ArrayField
from django.core import signing
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ReferenceModel, TimeStampedModel, staff_user_field


class RegulatoryTopic(ReferenceModel):
    """A regulatory theme a case study is about, such as decentralised manufacture."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("regulatory topic")
        verbose_name_plural = _("regulatory topics")


class CaseStudyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ARCHIVED = "archived", _("Archived")


class CaseStudyQuerySet(models.QuerySet):
    def published(self, *, at=None):
        """What the public may see: published, and live by now (a future go-live time schedules it)."""
        at = at or timezone.now()
        return self.filter(status=CaseStudyStatus.PUBLISHED).filter(
            Q(go_live_at__isnull=True) | Q(go_live_at__lte=at)
        )

    def scheduled(self, *, at=None):
        at = at or timezone.now()
        return self.filter(status=CaseStudyStatus.PUBLISHED, go_live_at__gt=at)

    def drafts(self):
        return self.filter(status__in=[CaseStudyStatus.DRAFT, CaseStudyStatus.IN_REVIEW])

    def withdrawn(self):
        return self.filter(status=CaseStudyStatus.WITHDRAWN)

    def current(self):
        """Neither withdrawn nor archived: the case study still stands behind what it says."""
        return self.exclude(status__in=[CaseStudyStatus.WITHDRAWN, CaseStudyStatus.ARCHIVED])

    def freshness_sources(self) -> list:
        """(queryset, field) pairs whose newest value is when the public view of case studies changed.

        Only what the public sees counts: a publication (its time, or its go-live time, since a
        scheduled case study goes live with no write) and the steps that take one down. Editing a
        draft, or the pending changes of a live one, writes the row but changes nothing public, so
        `updated_at` is not read.
        """
        published = self.published()
        return [
            (published, "last_published_at"),
            (published.filter(go_live_at__isnull=False), "go_live_at"),
            (CaseStudyEvent.objects.filter(case_study__in=self, action__in=PUBLIC_ACTIONS), "at"),
        ]

    def in_review(self):
        """Waiting for a publisher: a first version in review, or changes to a live one submitted."""
        return self.filter(
            Q(status=CaseStudyStatus.IN_REVIEW)
            | Q(draft_revision__isnull=False, draft_submitted_at__isnull=False)
        )

    def awaiting_review_by(self, user):
        """In review, written by someone else, and either assigned to this user or to nobody yet."""
        return self.in_review().exclude(author=user).filter(Q(reviewer=user) | Q(reviewer__isnull=True))

    def related_to(self, case_study, *, limit=3):
        """Other published case studies sharing a technology or regulatory topic, newest first."""
        return (
            self.published()
            .exclude(pk=case_study.pk)
            .filter(Q(technologies__in=case_study.technologies.all()) | Q(topics__in=case_study.topics.all()))
            .distinct()
            .newest_first()
            .select_related("organisation")[:limit]
        )

    def newest_first(self):
        return self.order_by(models.F("first_published_at").desc(nulls_last=True), "-created_at")

    def for_listing(self):
        return self.select_related("organisation").prefetch_related("technologies", "topics")


class CaseStudy(TimeStampedModel):
    """A case study of a manufacturer working with the MHRA Innovation Office on an innovative process.

    Its own fields hold the version the public sees once it is published; the publishing
    workflow keeps later edits as revisions until a publisher publishes them.
    """

    change_kind = "case_study"  # its entries in the changes feed (core.changes)

    Status = CaseStudyStatus

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.TextField(
        _("summary"), help_text=_("One or two sentences for lists and search results.")
    )
    body = models.TextField(_("body"), help_text=_("Markdown: headings, lists, links and tables."))
    # PROTECT: a case study must never lose the organisation it is about.
    organisation = models.ForeignKey(
        "manufacturers.Organisation",
        on_delete=models.PROTECT,
        related_name="case_studies",
        verbose_name=_("organisation"),
    )
    sites = models.ManyToManyField(
        "manufacturers.Site", related_name="case_studies", blank=True, verbose_name=_("sites")
    )
    technologies = models.ManyToManyField(
        "manufacturers.Technology",
        related_name="case_studies",
        blank=True,
        verbose_name=_("technologies"),
    )
    topics = models.ManyToManyField(
        RegulatoryTopic,
        related_name="case_studies",
        blank=True,
        verbose_name=_("regulatory topics"),
    )
    workstream = models.ForeignKey(
        "workstreams.Workstream",
        on_delete=models.PROTECT,
        related_name="case_studies",
        verbose_name=_("workstream"),
    )
    source_urls = ArrayField(
        models.URLField(max_length=500), blank=True, default=list, verbose_name=_("sources")
    )

    status = models.CharField(
        _("status"), max_length=20, choices=CaseStudyStatus.choices, default=CaseStudyStatus.DRAFT
    )
    # Scheduling: a published case study with a future go-live time stays hidden until then,
    # decided by the public queryset at read time, so no cron job or worker is needed.
    go_live_at = models.DateTimeField(_("go-live time"), null=True, blank=True)
    first_published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    last_published_at = models.DateTimeField(_("last updated"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.TextField(
        _("reason for withdrawal"), blank=True, help_text=_("Shown to the public.")
    )
    # Optimistic locking: a save carries the version it was read at and fails if it moved on.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # Revisions. Until first publication the row itself is the working copy. Once published,
    # the row holds what the public sees and edits go into `draft_revision` until a publisher
    # publishes it, so no unpublished word ever reaches a public page.
    live_revision = models.ForeignKey(
        "CaseStudyRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("live revision"),
    )
    draft_revision = models.ForeignKey(
        "CaseStudyRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("unpublished changes"),
    )
    # Set while the unpublished changes to a live case study wait for a publisher's review.
    draft_submitted_at = models.DateTimeField(
        _("changes submitted at"), null=True, blank=True, editable=False
    )

    author = staff_user_field(_("author"))
    reviewer = staff_user_field(_("reviewer"))
    # Not StaffEditedModel: these columns were made with no verbose name, and its explicit
    # "created by" (the words the admin already shows) would be a migration for nothing.
    created_by = staff_user_field(None, editable=False)
    updated_by = staff_user_field(None, editable=False)

    objects = CaseStudyQuerySet.as_manager()

    class Meta:
        ordering = ["-first_published_at", "-created_at"]
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")
        permissions = [
            (
                "publish_casestudy",
                _("Can review, publish, schedule, unpublish, withdraw and archive case studies"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in CaseStudyStatus]),
                name="casestudy_status_valid",
            ),
            # Anything the public can see carries the date it was first published. (An archived
            # case study may be a draft that was never published.)
            models.CheckConstraint(
                condition=~Q(status__in=["published", "withdrawn"]) | Q(first_published_at__isnull=False),
                name="casestudy_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawn_reason=""),
                name="casestudy_withdrawn_has_reason",
                violation_error_message=_("Give the public a reason for the withdrawal."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("casestudies:case-study-detail", kwargs={"slug": self.slug})

    @property
    def is_scheduled(self):
        return (
            self.status == CaseStudyStatus.PUBLISHED
            and self.go_live_at is not None
            and self.go_live_at > timezone.now()
        )

    @property
    def is_live(self):
        return self.status == CaseStudyStatus.PUBLISHED and not self.is_scheduled

    @property
    def has_unpublished_changes(self):
        return self.draft_revision_id is not None

    @property
    def editorial_state(self) -> str:
        """Where the working copy is in the workflow: draft, in_review, or the row's own status."""
        if self.draft_revision_id is not None:
            return CaseStudyStatus.IN_REVIEW if self.draft_submitted_at else CaseStudyStatus.DRAFT
        return self.status

    @property
    def state_label(self) -> str:
        """The state as staff read it in the admin: "Scheduled", "Published, changes in review"."""
        if self.is_scheduled:
            return _("Scheduled")
        if self.draft_revision_id is not None:
            if self.draft_submitted_at:
                return _("%(status)s, changes in review") % {"status": self.get_status_display()}
            return _("%(status)s, with draft changes") % {"status": self.get_status_display()}
        return self.get_status_display()

    def content(self) -> dict:
        """The row's editable content as a revision snapshot (ids for relations)."""
        return {
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "organisation": self.organisation_id,
            "workstream": self.workstream_id,
            "sites": sorted(site.pk for site in self.sites.all()),
            "technologies": sorted(technology.pk for technology in self.technologies.all()),
            "topics": sorted(topic.pk for topic in self.topics.all()),
            "source_urls": list(self.source_urls),
        }

    def working_content(self) -> dict:
        """What an editor is working on: the unpublished changes if any, else the row."""
        if self.draft_revision_id is not None:
            return self.draft_revision.content
        return self.content()


class ChangeNote(TimeStampedModel):
    """A public note a publisher adds when republishing: "Corrected the licence type"."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="change_notes")
    note = models.CharField(_("change note"), max_length=300)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    # No verbose name, as in its migration; the admin labels it "created by" all the same.
    created_by = staff_user_field(None, editable=False)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("change note")
        verbose_name_plural = _("change notes")

    def __str__(self):
        return self.note


class CaseStudyRevision(models.Model):
    """A snapshot of a case study's content, kept for ever: history, diffs, restore and previews."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    # title, summary, body, source_urls, and ids for organisation, workstream, sites,
    # technologies and topics; see CaseStudy.content().
    content = models.JSONField(_("content"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = staff_user_field(_("created by"))

    class Meta:
        ordering = ["-number"]
        verbose_name = _("case study revision")
        verbose_name_plural = _("case study revisions")
        constraints = [
            models.UniqueConstraint(fields=["case_study", "number"], name="casestudyrevision_unique_number")
        ]

    def __str__(self):
        return _("Revision %(number)s of %(title)s") % {
            "number": self.number,
            "title": self.content.get("title", ""),
        }


class CaseStudyEventAction(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted for review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    SCHEDULED = "scheduled", _("Scheduled")
    UNPUBLISHED = "unpublished", _("Unpublished")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ARCHIVED = "archived", _("Archived")
    RESTORED = "restored", _("Revision restored")
    PREVIEW_LINK_CREATED = "preview_link_created", _("Preview link created")
    PREVIEW_LINK_REVOKED = "preview_link_revoked", _("Preview link revoked")


# The steps that change what the public sees (the others only touch drafts, reviews and links).
PUBLIC_ACTIONS = [
    CaseStudyEventAction.PUBLISHED,
    CaseStudyEventAction.UNPUBLISHED,
    CaseStudyEventAction.WITHDRAWN,
    CaseStudyEventAction.ARCHIVED,
    CaseStudyEventAction.RESTORED,
]


class CaseStudyEvent(models.Model):
    """One step in a case study's life: who did what, when, and why (the admin's comment trail)."""

    Action = CaseStudyEventAction

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=30, choices=CaseStudyEventAction.choices)
    by = staff_user_field(_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    comment = models.TextField(_("comment"), blank=True)
    revision = models.ForeignKey(
        CaseStudyRevision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("revision"),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("case study event")
        verbose_name_plural = _("case study events")
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=[choice.value for choice in CaseStudyEventAction]),
                name="casestudyevent_action_valid",
            )
        ]

    def __str__(self):
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"


class CaseStudyPreviewLinkQuerySet(models.QuerySet):
    def usable(self, *, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class CaseStudyPreviewLink(models.Model):
    """A shareable link to one revision for someone without an account; it expires and can be revoked.

    The URL carries this row's id signed with SECRET_KEY (django.core.signing.Signer), so links
    cannot be guessed or forged; the row decides whether the link still works (expiry, revocation).
    """

    revision = models.ForeignKey(
        CaseStudyRevision, on_delete=models.CASCADE, related_name="preview_links", verbose_name=_("revision")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = staff_user_field(_("created by"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = staff_user_field(_("revoked by"))

    objects = CaseStudyPreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case study preview link")
        verbose_name_plural = _("case study preview links")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="casestudypreviewlink_expires_later"
            )
        ]

    def __str__(self):
        return _("Preview link to %(revision)s") % {"revision": self.revision}

    def get_absolute_url(self):
        token = signing.Signer(salt=PREVIEW_LINK_SALT).sign(str(self.pk))
        return reverse("casestudies:case-study-preview", kwargs={"token": token})

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()


PREVIEW_LINK_SALT = "casestudies.preview-link"
