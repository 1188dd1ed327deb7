"""Staff sign-in: throttling and lockout (django-axes), optional TOTP (django-otp), sessions, cookies."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Real hashing takes about a second a login on this machine; these tests log in many times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        username="editor", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def _log_in(client, password, **extra):
    return client.post(reverse("admin:login"), {"username": "editor", "password": password, **extra})


def test_staff_log_in_to_the_admin_with_axes_watching(axes_on, staff):
    client = Client()
    response = _log_in(client, PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_repeated_failures_lock_the_login_even_with_the_right_password(axes_on, staff):
    client = Client()
    for _ in range(2):
        assert _log_in(client, "wrong password").status_code == 200  # the form, with its error
    response = _log_in(client, "wrong password")
    assert response.status_code == 429
    response = _log_in(client, PASSWORD)
    assert response.status_code == 429
    assert "Account locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_address_so_others_cannot_lock_staff_out(axes_on, staff):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(3):
        _log_in(attacker, "guess")
    assert _log_in(attacker, PASSWORD).status_code == 429
    assert _log_in(Client(REMOTE_ADDR="198.51.100.7"), PASSWORD).status_code == 302


def test_a_successful_login_resets_the_failure_count(axes_on, staff):
    client = Client()
    _log_in(client, "wrong password")
    _log_in(client, "wrong password")
    assert _log_in(client, PASSWORD).status_code == 302
    client.logout()
    _log_in(client, "wrong password")
    _log_in(client, "wrong password")
    assert _log_in(client, PASSWORD).status_code == 302


def test_sessions_expire_and_cookies_are_http_only():
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_HTTPONLY is True


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("Sh0rt!pass", "too short"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_staff_passwords_are_refused(staff, weak, reason):
    with pytest.raises(ValidationError) as error:
        validate_password(weak, staff)
    assert reason in " ".join(error.value.messages)


# --- Two-factor sign-in ------------------------------------------------------------------------


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED_FOR_STAFF = True


@pytest.fixture
def device(staff):
    return TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)


def _code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_without_the_setting_staff_log_in_with_a_password_alone(staff):
    client = Client()
    page = client.get(reverse("admin:login")).content.decode()
    assert 'name="otp_token"' not in page
    assert _log_in(client, PASSWORD).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_the_setting_the_login_asks_for_a_code(otp_on, staff):
    page = Client().get(reverse("admin:login")).content.decode()
    assert 'name="otp_token"' in page


def test_with_the_setting_a_password_alone_is_not_enough(otp_on, device):
    client = Client()
    response = _log_in(client, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_with_the_setting_a_password_and_a_code_let_staff_in(otp_on, device):
    client = Client()
    response = _log_in(client, PASSWORD, otp_device=device.persistent_id, otp_token=_code(device))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_the_setting_an_unverified_session_is_not_staff(otp_on, staff):
    client = Client()
    client.force_login(staff)  # logged in some other way, without a device
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_with_the_setting_a_wrong_code_is_refused(otp_on, device):
    client = Client()
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = _log_in(client, PASSWORD, otp_device=device.persistent_id, otp_token=wrong)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
