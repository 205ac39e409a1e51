"""Passwords and account links, where tests/tenancy does not already cover them: every form that
sets a password refuses a short (< 10) or common one, and reset and invitation links are
single-use and expire."""

import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Invitation, Organization, Role, User

GOOD = "Qz7kd0pLmx"  # ten characters, in no list
SHORT = "Qz7kd0pLm"  # nine
COMMON = "password123"  # long enough, but on Django's list of common passwords


def _invite(org, admin, capture, email="joiner@acme.test") -> str:
    with capture(execute=True):
        tenancy_services.invitation_create(
            organization=org, actor=admin, email=email, role=Role.VIEWER
        )
    return re.search(r"/invite/([^/\s]+)/", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]


def _reset_path(user: User, generator: PasswordResetTokenGenerator | None = None) -> str:
    token = (generator or PasswordResetTokenGenerator()).make_token(user)
    return f"/accounts/reset/{urlsafe_base64_encode(force_bytes(user.pk))}/{token}/"


class _IssuedAgo(PasswordResetTokenGenerator):
    """Tokens as they were issued `seconds` ago."""

    def __init__(self, seconds: int) -> None:
        super().__init__()
        self.seconds = seconds

    def _now(self) -> datetime:
        return super()._now() - timedelta(seconds=self.seconds)


def _set_password(client: Client, reset_path: str, password: str):
    form_url = client.get(reset_path, follow=True).redirect_chain[-1][0]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


@pytest.mark.parametrize(
    ("password", "error"),
    [(SHORT, "too short"), (COMMON, "too common")],
)
def test_signup_refuses_short_and_common_passwords(db, password, error):
    response = Client().post(
        "/signup/",
        {
            "name": "Ann",
            "email": "ann@new.example",
            "password": password,
            "organization_name": "New",
        },
    )
    assert response.status_code == 200 and error in response.content.decode()
    assert not User.objects.filter(email="ann@new.example").exists()
    assert not Organization.objects.filter(name="New").exists()


def test_signup_accepts_ten_characters_in_no_list(db):
    response = Client().post(
        "/signup/",
        {"name": "Ann", "email": "ann@new.example", "password": GOOD, "organization_name": "New"},
    )
    assert response.status_code == 302
    assert User.objects.get(email="ann@new.example").check_password(GOOD)


@pytest.mark.parametrize(
    ("password", "error"),
    [(SHORT, "too short"), (COMMON, "too common")],
)
def test_accepting_an_invitation_refuses_short_and_common_passwords(
    org, admin, django_capture_on_commit_callbacks, password, error
):
    token = _invite(org, admin, django_capture_on_commit_callbacks)
    response = Client().post(f"/invite/{token}/", {"name": "Jo", "password": password})
    assert response.status_code == 200 and error in response.content.decode()
    assert not User.objects.filter(email="joiner@acme.test").exists()
    assert tenancy_services.invitation_for_token(token) is not None  # still usable


def test_an_invitation_link_works_once_through_the_page(
    org, admin, django_capture_on_commit_callbacks
):
    token = _invite(org, admin, django_capture_on_commit_callbacks)
    assert Client().post(f"/invite/{token}/", {"name": "Jo", "password": GOOD}).status_code == 302
    again = Client()
    assert again.get(f"/invite/{token}/").status_code == 404
    assert again.post(f"/invite/{token}/", {"name": "Other", "password": GOOD}).status_code == 404
    assert User.objects.filter(email="joiner@acme.test").count() == 1


def test_an_expired_invitation_link_is_refused_by_the_page(
    org, admin, django_capture_on_commit_callbacks
):
    token = _invite(org, admin, django_capture_on_commit_callbacks)
    Invitation.objects.filter(organization=org).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client = Client()
    assert client.get(f"/invite/{token}/").status_code == 404
    assert client.post(f"/invite/{token}/", {"name": "Jo", "password": GOOD}).status_code == 404
    assert not User.objects.filter(email="joiner@acme.test").exists()


@pytest.mark.parametrize(
    ("password", "error"),
    [(SHORT, "too short"), (COMMON, "too common")],
)
def test_a_password_reset_refuses_short_and_common_passwords(org, planner, password, error):
    response = _set_password(Client(), _reset_path(planner), password)
    assert response.status_code == 200 and error in response.content.decode()
    planner.refresh_from_db()
    assert not planner.check_password(password)


def test_a_password_reset_link_lives_one_day(org, planner):
    assert settings.PASSWORD_RESET_TIMEOUT == 24 * 60 * 60
    fresh_enough = _reset_path(planner, _IssuedAgo(settings.PASSWORD_RESET_TIMEOUT - 60))
    assert _set_password(Client(), fresh_enough, GOOD).status_code == 302

    planner.refresh_from_db()  # a token covers the password it was issued for
    stale = _reset_path(planner, _IssuedAgo(settings.PASSWORD_RESET_TIMEOUT + 1))
    client = Client()
    page = client.get(stale, follow=True)
    assert "Link not valid" in page.content.decode()
    assert (
        client.post(
            page.redirect_chain[-1][0] if page.redirect_chain else stale,
            {"new_password1": "Another-good-1", "new_password2": "Another-good-1"},
        ).status_code
        == 200
    )
    planner.refresh_from_db()
    assert planner.check_password(GOOD)
