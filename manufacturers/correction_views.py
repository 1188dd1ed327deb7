"""The public "Suggest a correction" pages for sites and organisations.

Protection against spam, in layers: CSRF (Django's middleware), a honeypot field that people
never see, and a rate limit per client (django-ratelimit, counted in the shared cache by the
portal's one client-address rule). Nothing is applied by itself: a stored correction waits for
staff in the admin's moderation queue.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from core.client_ip import client_ip

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
    """Count this attempt; True when the client has used up its allowance for the hour."""
    return is_ratelimited(
        request,
        group="corrections",
        key=lambda _group, request: client_ip(request),
        # Read per request, so a changed setting applies without a restart.
        rate=f"{settings.CORRECTION_RATE_LIMIT}/h",
        increment=True,
    )
