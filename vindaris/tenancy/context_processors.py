from typing import Any

from django.http import HttpRequest

from . import selectors


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The request's organization and membership, and the user's organizations for the switcher
    (queried only if a template asks)."""
    if not request.user.is_authenticated:
        return {}
    user = request.user
    known = getattr(request, "user_memberships", None)  # read by org_view already
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "nav_memberships": (
            known if known is not None else lambda: selectors.memberships_for_user(user=user)
        ),
    }
