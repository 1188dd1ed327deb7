"""The staff admin site (``admin.site``, through PortalAdminConfig.default_site): Django's, with TOTP two-factor sign-in when OTP_REQUIRED_FOR_STAFF is on.

With the setting on it behaves as django-otp's OTPAdminSite: the login form asks for a code
from the staff member's registered device, and a session that was not verified by a device is
treated as not staff. The setting is read per request, so tests (and a restart-free toggle in
an emergency) switch it without rebuilding the URLconf.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


def otp_required() -> bool:
    return bool(getattr(settings, "OTP_REQUIRED_FOR_STAFF", False))


class PortalAdminSite(OTPAdminSite):
    site_header = "MMIP innovation landscape: staff"
    site_title = "MMIP staff"
    index_title = "Content and data"

    def __init__(self, name="admin"):
        # Keep Django's "admin" instance namespace (OTPAdminSite defaults to "otpadmin").
        AdminSite.__init__(self, name)

    @property
    def login_form(self):
        return OTPAdminAuthenticationForm if otp_required() else AdminAuthenticationForm

    @property
    def login_template(self):
        return OTPAdminSite.login_template if otp_required() else None

    def has_permission(self, request):
        if otp_required():
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)
