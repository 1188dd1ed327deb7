"""Every write to organisations and sites: the admin, commands and the API call these.

The spreadsheet import (manufacturers.importing) checks a whole file, then writes it in bulk with
the helpers here (`stamp_history`, the slug text), so its records read like those of a save.
"""

import datetime
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import changes
from core.locking import next_version
from core.slugs import unique_slug

from . import quality
from .models import Correction, Organisation, OrganisationSlugRedirect, Site

# simple_history's change-reason column holds 100 characters.
HISTORY_REASON_LENGTH = 100


def short_name(name: str) -> str:
    """A name without its bracketed part, for slugs: "Stockport NHS FT (Stockport Pharmaceuticals)"
    is "Stockport NHS FT". Brackets hold former or trading names, which make slugs long without
    making them clearer."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip() or name


def site_slug_text(organisation_name: str, site_name: str) -> str:
    """The text a site's slug is made from: its organisation's short name, then its own."""
    return f"{short_name(organisation_name)} {short_name(site_name)}"


def stamp_history(instance, *, by=None, reason: str = "") -> None:
    """Tell simple_history who made this change and why, for the next save's history record."""
    if by is not None:
        instance._history_user = by
    if reason:
        instance._change_reason = reason[:HISTORY_REASON_LENGTH]


@transaction.atomic
def organisation_save(
    *, organisation: Organisation, by=None, reason: str = "", expected_version: int | None = None
) -> Organisation:
    """Validate and save an organisation (new or changed), giving it a slug if it has none.

    A save started from an older `expected_version` is refused and changes nothing (core.locking).
    """
    next_version(organisation, expected_version)
    if not organisation.slug:
        organisation.slug = unique_slug(Organisation, short_name(organisation.name), instance=organisation)
    organisation.full_clean()
    stamp_history(organisation, by=by, reason=reason)
    organisation.save()
    return organisation


@transaction.atomic
def site_save(*, site: Site, by=None, reason: str = "", expected_version: int | None = None) -> Site:
    """Validate and save a site (new or changed), giving it a slug if it has none.

    Besides the model's own validation, the data-quality errors (coordinates outside the UK
    or outside the site's region, a malformed postcode) block the save; see quality.py. A save
    started from an older `expected_version` is refused and changes nothing (core.locking).
    """
    next_version(site, expected_version)
    if not site.slug and site.organisation_id:
        site.slug = unique_slug(Site, site_slug_text(site.organisation.name, site.name), instance=site)
    errors: dict[str, list[str]] = {}
    try:
        site.full_clean()
    except ValidationError as error:
        errors = error.message_dict
    for name, message in quality.site_errors(site).items():
        if name not in errors:
            errors[name] = [message]
    if errors:
        raise ValidationError(errors)
    stamp_history(site, by=by, reason=reason)
    site.save()
    return site


def sites_mark_verified(*, sites: Iterable[Site], by, on: datetime.date | None = None) -> int:
    """Record that `by` checked these sites' facts today; each gets a history record. Returns how many."""
    on = on or timezone.localdate()
    count = 0
    with transaction.atomic():
        for site in Site.objects.select_for_update().filter(pk__in=[site.pk for site in sites]):
            site.last_verified_on = on
            site.last_verified_by = by
            stamp_history(site, by=by, reason="Verified")
            site.version += 1
            site.save(update_fields=["last_verified_on", "last_verified_by", "version", "updated_at"])
            count += 1
    return count


# --- Corrections from the public ---------------------------------------------------------------


def correction_submit(*, target: Site | Organisation, message: str, email: str = "") -> Correction:
    """Store a member of the public's correction for staff to review; it changes nothing by itself."""
    correction = Correction(message=message.strip(), email=email.strip())
    if isinstance(target, Site):
        correction.site = target
    else:
        correction.organisation = target
    correction.full_clean()
    correction.save()
    return correction


def _pending_correction(correction: Correction) -> Correction:
    correction = Correction.objects.select_for_update().get(pk=correction.pk)
    if correction.status != Correction.Status.PENDING:
        raise ValidationError({"status": "This correction has already been reviewed."})
    return correction


@transaction.atomic
def correction_accept(*, correction: Correction, changes: dict, by) -> Correction:
    """Apply a reviewed correction to its site or organisation through the normal save service.

    `changes` maps field names to new values (many-to-many fields take lists of objects). The
    site's or organisation's history records the change with the correction as its reason.
    """
    correction = _pending_correction(correction)
    target = correction.target
    target = type(target).objects.select_for_update().get(pk=target.pk)
    plain = {name: value for name, value in changes.items() if not _is_many_to_many(target, name)}
    many = {name: value for name, value in changes.items() if _is_many_to_many(target, name)}
    changed = [name for name, value in plain.items() if getattr(target, name) != value]
    for name, value in many.items():
        if {obj.pk for obj in getattr(target, name).all()} != {obj.pk for obj in value}:
            changed.append(name)
    if not changed:
        raise ValidationError(
            {"__all__": "Nothing would change. Edit the fields the correction is about, or reject it."}
        )
    for name, value in plain.items():
        setattr(target, name, value)
    reason = f"Public correction #{correction.pk}: {', '.join(changed)}"
    if isinstance(target, Site):
        site_save(site=target, by=by, reason=reason)
    else:
        organisation_save(organisation=target, by=by, reason=reason)
    for name, value in many.items():
        getattr(target, name).set(value)
    correction.status = Correction.Status.ACCEPTED
    correction.reviewed_by = by
    correction.reviewed_at = timezone.now()
    correction.changed_fields = changed
    correction.save(update_fields=["status", "reviewed_by", "reviewed_at", "changed_fields", "updated_at"])
    return correction


def _is_many_to_many(instance, name: str) -> bool:
    return instance._meta.get_field(name).many_to_many


@transaction.atomic
def correction_reject(*, correction: Correction, reason: str, by) -> Correction:
    """Close a correction without changing anything, recording why."""
    if not reason.strip():
        raise ValidationError({"rejection_reason": "Give a reason for rejecting the correction."})
    correction = _pending_correction(correction)
    correction.status = Correction.Status.REJECTED
    correction.rejection_reason = reason.strip()
    correction.reviewed_by = by
    correction.reviewed_at = timezone.now()
    correction.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated_at"])
    return correction


def corrections_purge_personal_data(*, now: datetime.datetime | None = None) -> int:
    """Erase the email of every correction older than the privacy notice allows; returns how many.

    The retention period is settings.CORRECTION_EMAIL_RETENTION_DAYS (90 days by default): the
    period the form's privacy note promises. The correction itself stays, without the email.
    """
    days = getattr(settings, "CORRECTION_EMAIL_RETENTION_DAYS", 90)
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    return (
        Correction.objects.filter(created_at__lt=cutoff)
        .exclude(email="")
        .update(email="", email_purged_at=now or timezone.now())
    )


# --- Merging two records of one organisation ---------------------------------------------------

# What the survivor takes from the merged organisation when it has none of its own.
MERGE_FILLS = ["website", "companies_house_number", "description"]


@transaction.atomic
def organisations_merge(*, keep: Organisation, merge: Organisation, by) -> Organisation:
    """Fold `merge` into `keep`: everything that points at it (sites and so their licences, case
    studies, initiatives, corrections, earlier redirects) and its history move to `keep`, blank
    details are filled from it, its address redirects permanently, and it is deleted.
    """
    if keep.pk == merge.pk:
        raise ValidationError(_("Choose two different organisations to merge."), code="same")
    keep, merge = (Organisation.objects.select_for_update().get(pk=obj.pk) for obj in (keep, merge))
    reason = f"Merged {merge.name} into this organisation"
    for site in merge.sites.all():
        site.organisation = keep
        stamp_history(site, by=by, reason=reason)
        site.version += 1
        site.save(update_fields=["organisation", "version", "updated_at"])
    _repoint_relations(merge, keep)
    fills = {
        name: getattr(merge, name) for name in MERGE_FILLS if not getattr(keep, name) and getattr(merge, name)
    }
    if "companies_house_number" in fills:  # unique: free it before the survivor takes it
        Organisation.objects.filter(pk=merge.pk).update(companies_house_number="")
    for name, value in fills.items():
        setattr(keep, name, value)
    Organisation.history.model.objects.filter(id=merge.pk).update(id=keep.pk)
    record_merge(merge, keep, by=by, reason=reason)
    stamp_history(merge, by=by, reason=f"Merged into {keep.name}")
    merge.delete()
    return keep


def _repoint_relations(merge: Organisation, keep: Organisation) -> None:
    """Every other foreign key and many-to-many link to `merge` now points at `keep`.

    Found from the model's relations, so a model in a higher layer (case studies, initiatives)
    is moved without this layer importing it.
    """
    for relation in Organisation._meta.related_objects:
        if relation.related_model is Site:
            continue  # moved one by one above, each with its history record
        if relation.many_to_many:
            through = relation.through
            mine, other = relation.field.m2m_reverse_field_name(), relation.field.m2m_field_name()
            linked = through.objects.filter(**{mine: keep}).values_list(other, flat=True)
            through.objects.filter(**{mine: merge, f"{other}__in": list(linked)}).delete()
            through.objects.filter(**{mine: merge}).update(**{mine: keep})
        elif relation.one_to_many:
            relation.related_model._base_manager.filter(**{relation.field.name: merge}).update(
                **{relation.field.name: keep}
            )


def record_merge(old: Organisation, new: Organisation, *, by, reason: str) -> None:
    """The one place a merge is recorded: the survivor's history, the old address's redirect and
    the changes feed's tombstone, which tells a partner's mirror where the record went."""
    changes.record_merge(old, new)
    OrganisationSlugRedirect.objects.update_or_create(old_slug=old.slug, defaults={"organisation": new})
    organisation_save(organisation=new, by=by, reason=reason)
