"""What a site was before a transaction changed it, so a followed search can say a site left it.

A search is judged on today's data, so on its own it cannot tell a follower that a site which
matched yesterday no longer does: the site, its capabilities or its licences have moved on.
Database triggers (migration 0014) keep, for every transaction that writes a site or one of its
links, the site as it stood before that transaction's first write: its row and the ids of its
capabilities, technologies and licence types. A site created in the transaction is kept as
"did not exist". The states go when the changes record's entries of the same age are pruned.

The states have the site's own names for what a search reads (the id arrays included), so the
site queryset's filter methods (SiteQuerySet) and the directory's filter (SiteFilter) judge
"did this site match the search before?" with the same code and words as "does it match now?".
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation
from .reference import Region
from .sites import SiteQuerySet, SiteStatus


class SiteState(models.Model):
    """Site `site_id` as it stood before transaction `txid` first wrote it or its links."""

    txid = models.BigIntegerField(_("transaction"))
    # No foreign keys that constrain: the site may since have been deleted, and a state must
    # never stop a region or an organisation from being merged away.
    site_id = models.BigIntegerField(_("site"))
    existed = models.BooleanField(_("existed"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=SiteStatus.choices, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    # A named relation, so merging organisations moves the states with the sites
    # (services._repoint_relations follows every relation of the organisation).
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="site_states",
    )
    latitude = models.FloatField(_("latitude"), null=True)
    longitude = models.FloatField(_("longitude"), null=True)
    search_vector = SearchVectorField(null=True)
    capability_ids = ArrayField(models.BigIntegerField(), default=list)
    technology_ids = ArrayField(models.BigIntegerField(), default=list)
    licence_type_ids = ArrayField(models.BigIntegerField(), default=list)
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site state")
        verbose_name_plural = _("site states")
        constraints = [
            # One state per site and transaction, the first; it also finds a site's next state.
            models.UniqueConstraint(fields=["site_id", "txid"], name="sitestate_site_txid_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} before {self.txid}"


def prune_site_states(sender, before, **kwargs):
    """The changes record was pruned up to `before`: no entry is left that a state could judge."""
    SiteState.objects.filter(recorded_at__lt=before).delete()
