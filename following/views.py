"""Public pages for following a search: the follow page (feeds and the alert sign-up), confirming,
managing and unsubscribing. Sign-ups are rate limited per client and per address (django-ratelimit,
the portal's one client-address rule)."""

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from core.client_ip import client_ip

from . import alerts, tasks
from .feeds import directory_path
from .forms import AlertForm
from .models import Alert
from .searches import Search, SearchError, parse_search


def follow(request):
    """Follow a directory search: its feeds, and an email alert."""
    try:
        search = parse_search(request.GET)
    except SearchError as error:
        return render(request, "following/follow_invalid.html", {"errors": error.errors}, status=400)
    form = AlertForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _rate_limited(request, form.cleaned_data["email"]):
            form.add_error(
                None, _("There have been several sign-ups in a short time. Please try again in an hour.")
            )
            status = 429
        elif form.is_valid():
            alert = alerts.alert_subscribe(
                email=form.cleaned_data["email"], search=search, frequency=form.cleaned_data["frequency"]
            )
            tasks.queue_confirmation(alert)
            return redirect(reverse("following:alert-sent") + (f"?{search.query}" if search.query else ""))
        else:
            status = 400
    return render(request, "following/follow.html", _context(search, form=form), status=status)


def alert_sent(request):
    return render(
        request, "following/alert_sent.html", _context(Search(""), days=settings.ALERT_CONFIRM_MAX_AGE_DAYS)
    )


@require_http_methods(["GET", "POST"])
def alert_confirm(request, token):
    """GET asks (so a mail scanner opening the link confirms nothing); POST confirms."""
    if request.method == "GET":
        return render(request, "following/alert_confirm.html", {"token": token})
    alert = alerts.alert_confirm(token)
    if alert is None:
        return render(request, "following/alert_confirm_failed.html", status=400)
    return render(request, "following/alert_confirmed.html", {"alert": alert, "search": Search(alert.query)})


@csrf_exempt  # RFC 8058: mail clients POST `List-Unsubscribe=One-Click` with no page and no cookie
@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request, token):
    alert = Alert.objects.filter(token=token).first()
    if request.method == "GET":
        template = "following/alert_unsubscribe.html" if alert else "following/alert_unsubscribed.html"
        return render(request, template, {"alert": alert, "search": Search(alert.query) if alert else None})
    if alert is not None:
        alerts.alert_unsubscribe(alert)
    return render(request, "following/alert_unsubscribed.html", {"alert": None})


def alert_manage(request, token):
    email = alerts.email_from_manage_token(token)
    if email is None:
        return HttpResponseBadRequest(_("This link is not valid."))
    rows = [
        (alert, Search(alert.query)) for alert in Alert.objects.filter(email=email).order_by("created_at")
    ]
    return render(request, "following/alert_manage.html", {"email": email, "rows": rows})


def _context(search: Search, **extra) -> dict:
    query = f"?{search.query}" if search.query else ""
    return {
        "search": search,
        "directory_url": directory_path(search),
        "atom_url": reverse("following:sites-feed") + query,
        "json_url": reverse("following:sites-json-feed") + query,
        **extra,
    }


def _rate_limited(request, email: str) -> bool:
    """Count this sign-up against the client and the address; True when either has used its allowance."""
    by_client = is_ratelimited(
        request,
        group="alerts-client",
        key=lambda _g, r: client_ip(r),
        rate=settings.ALERT_RATE_LIMIT,
        increment=True,
    )
    by_address = is_ratelimited(
        request,
        group="alerts-address",
        key=lambda _g, _r: email.lower(),
        rate=settings.ALERT_RATE_LIMIT,
        increment=True,
    )
    return by_client or by_address
