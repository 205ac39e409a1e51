import pytest
from django.test import Client


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("htmx", [False, True])
def test_pages_and_fragments_carry_the_browser_security_headers(org, admin, client_for, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client_for(admin).get(f"/o/{org.slug}/members/", **headers)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in csp["script-src"] and "unsafe-eval" not in csp["script-src"]
    assert csp["object-src"] == "object-src 'none'"
    assert csp["base-uri"] == "base-uri 'none'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_htmx_is_configured_to_run_without_eval_and_only_against_this_site(org, admin, client_for):
    body = client_for(admin).get(f"/o/{org.slug}/").content.decode()
    assert '"selfRequestsOnly": true' in body
    assert '"allowEval": false' in body
    assert "<script>" not in body  # no inline scripts anywhere on the page


def _fail_login(client: Client, email: str, ip: str) -> None:
    client.post("/accounts/login/", {"username": email, "password": "wrong"}, REMOTE_ADDR=ip)


def test_five_failures_lock_that_email_from_that_ip_only(org, admin):
    attacker = Client()
    for _ in range(5):
        _fail_login(attacker, admin.email, "203.0.113.9")
    locked = attacker.post(
        "/accounts/login/",
        {"username": admin.email, "password": "correct-horse-battery"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()

    # The same person from their own network still gets in: never locked by username alone.
    colleague = Client()
    ok = colleague.post(
        "/accounts/login/",
        {"username": admin.email, "password": "correct-horse-battery"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert ok.status_code == 302


def test_four_failures_do_not_lock(org, admin):
    c = Client()
    for _ in range(4):
        _fail_login(c, admin.email, "203.0.113.10")
    ok = c.post(
        "/accounts/login/",
        {"username": admin.email, "password": "correct-horse-battery"},
        REMOTE_ADDR="203.0.113.10",
    )
    assert ok.status_code == 302


def test_sessions_expire_after_two_weeks_without_activity(org, admin, client_for, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
    client = client_for(admin)
    response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 200
    # Logging in started the two weeks; a request within the hour writes nothing...
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    expiry = Session.objects.get().expire_date
    # ...until an hour has passed since the last renewal.
    session = client.session
    session["renewed_at"] -= 3600
    session.save()
    Session.objects.update(expire_date=expiry - timedelta(hours=1))
    response = client.get(f"/o/{org.slug}/")
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == (
        settings.SESSION_COOKIE_AGE
    )
    assert Session.objects.get().expire_date > expiry
    # ...and once it has passed, the session is gone: back to the login page.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
