"""Small middleware of our own."""

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
