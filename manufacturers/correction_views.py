"""The public "Suggest a correction" pages for sites and organisations.

Protection against spam, in layers: CSRF (Django's middleware), a honeypot field that people
never see, and a rate limit per client address kept in the shared cache. Nothing is applied
by itself: a stored correction waits for staff in the admin's moderation queue.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from .correction_forms import CorrectionForm
from .models import Organisation, Site
from .services import correction_submit


def site_correction(request, slug):
    site = get_object_or_404(Site.objects.select_related("organisation"), slug=slug)
    return _correction_form(request, target=site, sent="corrections:site-correction-sent")


def organisation_correction(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    return _correction_form(request, target=organisation, sent="corrections:organisation-correction-sent")


def site_correction_sent(request, slug):
    site = get_object_or_404(Site.objects.select_related("organisation"), slug=slug)
    return render(request, "manufacturers/correction_sent.html", {"target": site})


def organisation_correction_sent(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    return render(request, "manufacturers/correction_sent.html", {"target": organisation})


def _correction_form(request, *, target, sent):
    form = CorrectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _rate_limited(request):
            form.add_error(
                None, _("You have sent several corrections in a short time. Please try again in an hour.")
            )
            status = 429
        elif form.is_valid():
            # A filled honeypot gets the same reply as a person, so a bot learns nothing.
            if not form.is_spam():
                correction_submit(
                    target=target, message=form.cleaned_data["message"], email=form.cleaned_data["email"]
                )
            return redirect(sent, slug=target.slug)
        else:
            status = 400
    context = {
        "form": form,
        "target": target,
        "retention_days": settings.CORRECTION_EMAIL_RETENTION_DAYS,
    }
    return render(request, "manufacturers/correction_form.html", context, status=status)


def _rate_limited(request) -> bool:
    """Count this attempt; True when the client has used up its allowance for the window."""
    # The address is hashed: the cache never holds it in clear.
    address = request.META.get("REMOTE_ADDR", "")
    key = "correction-rate:" + hashlib.sha256(address.encode()).hexdigest()[:32]
    window = settings.CORRECTION_RATE_LIMIT_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.CORRECTION_RATE_LIMIT
