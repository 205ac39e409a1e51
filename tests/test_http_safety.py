"""Every URL: no GET writes to the database, and no POST is accepted without a CSRF token."""

import pytest
from django.test import Client

from tests.isolation import classify, fill, row_counts

# Public endpoints that must accept a cross-site POST by design (each says why in its view).
# The List-Unsubscribe (RFC 8058) targets: mail clients POST without cookies or a CSRF token; a
# signed token naming one member stands in for it (a bad one is a 404 that changes nothing,
# tested with each).
CSRF_EXEMPT_NAMES = {
    "digest_unsubscribe_one_click",
    "update_reminder_unsubscribe_one_click",
    "notification_unsubscribe_one_click",
}


def _routes(kinds: set[str]) -> list:
    return [r for r in classify() if r.kind in kinds]


def test_no_get_writes_to_the_database(org, admin, url_samples, client_for):
    client = client_for(admin)
    writers = []
    for r in _routes({"organization", "public"}):
        path = fill(r.route, {"org_slug": org.slug, "token": "x", "uidb64": "x", **url_samples})
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            before = row_counts()
            client.get(path, **headers)
            if row_counts() != before:
                writers.append(f"GET {path}")
    assert writers == []


@pytest.mark.parametrize("htmx", [False, True])
def test_every_post_without_a_csrf_token_is_refused(org, admin, url_samples, htmx):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    accepted = []
    for r in _routes({"organization", "public"}):
        if r.name in CSRF_EXEMPT_NAMES:
            continue
        path = fill(r.route, {"org_slug": org.slug, "token": "x", "uidb64": "x", **url_samples})
        before = row_counts()
        response = client.post(path, {}, **headers)
        if response.status_code != 403 or row_counts() != before:
            accepted.append(f"POST {path} answered {response.status_code}")
    assert accepted == []
