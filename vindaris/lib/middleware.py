"""Small middleware of our own."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


class VaryOnHtmxMiddleware:
    """Every response varies on HX-Request.

    A view may answer one URL with the whole page or, for htmx, with a fragment of it (and an
    unauthenticated htmx request gets a client redirect instead of a 302). A cache, the
    browser's own included, must never serve one in place of the other: a fragment shown as a
    whole page after the back button is the classic failure. Doing it here covers every view,
    present and future, without each having to remember.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


# How often an active session's two-week expiry is pushed back.
SESSION_RENEW_SECONDS = 60 * 60


def mark_session_renewed(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Logging in starts the session's two weeks: the first requests need not renew it."""
    session = getattr(request, "session", None)
    if session is not None:
        session["renewed_at"] = int(time.time())


class SessionRenewalMiddleware:
    """A session lives SESSION_COOKIE_AGE after its last request, give or take an hour.

    Renewing the expiry on every request (Django's SESSION_SAVE_EVERY_REQUEST) costs a database
    write, and its transaction, on every page. Here a signed-in session is renewed when it was
    last renewed more than an hour ago: the session is then marked modified, and
    SessionMiddleware (outside this one) saves it with a fresh expiry and cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            return response  # nothing is saved then (the database may be what failed)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - session.get("renewed_at", 0) >= SESSION_RENEW_SECONDS:
                session["renewed_at"] = now
        return response
