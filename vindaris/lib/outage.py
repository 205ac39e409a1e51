"""A database that cannot be reached is an outage, not a bug in the page.

- A request that meets one (the server restarting, a connection cut, a lock or deadlock given
  up on) is answered 503 "try again" with Retry-After: a plain page, or for htmx a message put
  in the page's message area (static/js/app.js swaps 503 answers there).
- A write that was saved before the outage began is never answered with an error: when the
  request committed a transaction and the response could not be made afterwards (the row
  re-read for it, the session), the answer is a redirect to where the user came from, which
  shows the saved change once the database is back. Saved means committed in a transaction
  (every service writes in one); `DatabaseWrapper.commits` counts them.

`server_error` is the project's handler500: Django calls it for any exception a view or a
middleware let through, inside the `except` block, so the exception is at hand.
"""

import sys

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django_htmx.http import HttpResponseClientRedirect

OUTAGES = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def _commits() -> int:
    return getattr(connections[DEFAULT_DB_ALIAS], "commits", 0)


class CommitsMiddleware:
    """Notes how many transactions had committed when the request came in (first in the list:
    whatever the rest does is after it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.commits_before = _commits()  # type: ignore[attr-defined]  # kept on the request for the response
        return self.get_response(request)


def saved_a_write(request: HttpRequest) -> bool:
    before = getattr(request, "commits_before", None)
    return before is not None and _commits() > before


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request: HttpRequest) -> str:
    """Where the user came from: the form's `next`, or the page that posted, if ours; else the
    start page."""
    for target in (request.POST.get("next", ""), request.headers.get("Referer", "")):
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
    return "/"


def outage_response(request: HttpRequest) -> HttpResponse:
    if _is_htmx(request):
        body = render_to_string("_partials/outage_message.html")
        response = HttpResponse(body, status=503)
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "innerHTML"
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if not isinstance(error, OUTAGES):
        return defaults.server_error(request)
    if request.method == "POST" and saved_a_write(request):
        target = _back(request)
        if _is_htmx(request):
            return HttpResponseClientRedirect(target)
        return HttpResponseRedirect(target, status=303)
    return outage_response(request)
