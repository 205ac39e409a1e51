"""Resolve "this organization, for this user" in one place.

Outsiders (not signed in as a member) get 404 for every URL under /o/<slug>/, exactly as for
a slug that does not exist; members whose role is too low get 403. A member's pages show times
in their zone (their own, else the organization's: vindaris.tenancy.zones).
"""

import zoneinfo
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from . import selectors, zones
from .models import Membership, Organization, Role, User


class OrgRequest(HttpRequest):
    """A request that went through `org_view`: organization and membership are resolved."""

    organization: Organization
    membership: Membership
    user: User  # org_view lets only signed-in members through
    htmx: HtmxDetails  # django-htmx's middleware


def get_membership(user: Any, slug: str) -> tuple[Membership | None, list[Membership]]:
    """The user's membership of the organization `slug` (None for an outsider), and all the
    user's memberships by organization name (the page's organization switcher): one query."""
    if not user.is_authenticated:
        return None, []
    memberships = selectors.memberships_for_user(user=user)
    for m in memberships:
        m.user = user  # the request's own user: no query to reach it
    return next((m for m in memberships if m.organization.slug == slug), None), memberships


_END = object()


def _in_zone(chunks: Iterator[Any], zone: zoneinfo.ZoneInfo) -> Iterator[Any]:
    """A streamed body written in the viewer's zone, like the rest of the response; the zone
    is active only while a chunk is made, never between chunks (the server's own code)."""
    while True:
        with zones.viewing_in(zone):
            chunk = next(chunks, _END)
        if chunk is _END:
            return
        yield chunk


def org_view(
    min_role: str = Role.VIEWER,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a view under /o/<org_slug>/: 404 for outsiders, 403 below `min_role`."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(
            request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not request.user.is_authenticated:
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(request.get_full_path())
                return redirect_to_login(request.get_full_path())
            membership, memberships = get_membership(request.user, org_slug)
            request.user_memberships = memberships  # type: ignore[attr-defined]  # set on the request for the view (OrgRequest declares them)
            if membership is None:
                raise Http404("No such organization.")
            if not membership.has_role(min_role):
                raise PermissionDenied("Your role does not allow this.")
            request.organization = membership.organization  # type: ignore[attr-defined]  # set on the request for the view (OrgRequest declares them)
            request.membership = membership  # type: ignore[attr-defined]  # set on the request for the view (OrgRequest declares them)
            zone = zones.member_tz(membership)
            with zones.viewing_in(zone):
                response = view(request, *args, **kwargs)
            # A streamed body is written after the view returns.
            if isinstance(response, StreamingHttpResponse) and not response.is_async:
                chunks = response.streaming_content
                if isinstance(chunks, Iterator):
                    response.streaming_content = _in_zone(chunks, zone)
            return response

        wrapper.org_min_role = min_role  # type: ignore[attr-defined]  # a marker on the view for the permission tests
        return wrapper

    return decorator
