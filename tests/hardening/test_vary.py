"""`Vary: HX-Request` wherever one URL answers with a page or a fragment, so that no cache (the
browser's back button included) serves a fragment as a page or the other way round."""

import re

from django.http import HttpResponse
from django.test import Client
from django.utils.cache import has_vary_header

from tests.hardening import site
from tests.hardening.fuzz import fuzzing

CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def _answer(response: HttpResponse) -> tuple:
    """What a cache would hand out: status, where it sends the browser, and the body (CSRF tokens
    are masked afresh on every response, so they are left out)."""
    body = CSRF.sub(r"\1", site.body(response))
    return (
        response.status_code,
        response.headers.get("Location"),
        response.headers.get("HX-Redirect"),
        body,
    )


def _differing(client: Client, paths: list[str]) -> list[tuple[str, HttpResponse, HttpResponse]]:
    found = []
    for path in paths:
        plain = client.get(path)
        htmx = client.get(path, HTTP_HX_REQUEST="true")
        if _answer(plain) != _answer(htmx):
            found.append((path, plain, htmx))
    return found


def test_every_url_that_answers_htmx_differently_varies_on_hx_request(world):
    pages = world.org_pages() + world.public_pages()
    differing = []
    with fuzzing():
        for identity in ("admin", "viewer", "anonymous"):
            differing += _differing(world.clients[identity], pages)
    missing = [
        path
        for path, plain, htmx in differing
        if not (has_vary_header(plain, "HX-Request") and has_vary_header(htmx, "HX-Request"))
    ]
    assert missing == []
    # The check is not vacuous: list pages swap their results, and a signed-out htmx request
    # gets a client redirect rather than a 302.
    paths = {path for path, _, _ in differing}
    assert {f"/o/{world.org.slug}/goals/", f"/o/{world.org.slug}/work/"} <= paths
    assert f"/o/{world.org.slug}/members/" in paths


def test_the_comparison_sees_a_fragment_for_what_it_is(world):
    client = world.clients["admin"]
    [(path, plain, htmx)] = _differing(client, [f"/o/{world.org.slug}/work/"])
    assert b"<html" in plain.content and b"<html" not in htmx.content
