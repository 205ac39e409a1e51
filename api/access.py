"""Who is asking: a personal access token, resolved to its member in the URL's organization.

- No token, a malformed, unknown, revoked or expired one, or one whose member's account is
  disabled: 401 (with WWW-Authenticate: Bearer). A removed member's tokens are gone with the
  membership (the database deletes them), so they are unknown at once.
- A token of another organization than the URL's: 404, as for a slug that does not exist.
- Over the token's rate limit: 429 with Retry-After.
- Then the token acts as its member: the member's role (`require`), and what the member may see
  (the selectors are given the membership). A read-only token never writes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from vindaris.tenancy import zones
from vindaris.tenancy.models import ROLE_RANK, Membership, Organization, Role, User

from . import problems, ratelimit, selectors, services
from .models import AccessToken


@dataclass(frozen=True)
class Actor:
    """The member a request acts as, through which token."""

    token: AccessToken
    membership: Membership

    @property
    def organization(self) -> Organization:
        return self.membership.organization

    @property
    def user(self) -> User:
        return self.membership.user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` (the OpenAPI schema's security scheme)."""

    openapi_description = "A personal access token, created on Settings → API tokens."

    def __call__(self, request: HttpRequest) -> Actor:
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise problems.unauthorized(
                "Send a personal access token: Authorization: Bearer <token>."
            )
        return self.authenticate(request, credential.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        found = selectors.token_for_string(token)
        now = timezone.now()
        if found is None:
            raise problems.unauthorized("This token is not valid.")
        if found.revoked_at is not None:
            raise problems.unauthorized("This token was revoked.")
        if found.is_expired(now):
            raise problems.unauthorized("This token has expired.")
        if not found.member.user.is_active:
            raise problems.unauthorized("This token's account is disabled.")
        match = request.resolver_match
        slug = match.kwargs.get("org_slug") if match is not None else None
        if found.organization.slug != slug:
            raise problems.not_found("No such organization.")
        verdict = ratelimit.hit(f"{found.organization_id}:{found.pk}")
        if not verdict.allowed:
            raise problems.Problem(
                429,
                f"This token made more than {verdict.limit} requests in this window.",
                headers={"Retry-After": str(verdict.reset)},
            )
        services.token_touch(token=found, now=now)
        return Actor(token=found, membership=found.member)


def actor_of(request: HttpRequest) -> Actor:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):  # every organization route authenticates first
        raise problems.unauthorized("Send a personal access token.")
    return actor


def require(request: HttpRequest, *, role: str = Role.VIEWER, write: bool = False) -> Actor:
    """The request's actor, when its member's role is at least `role` and, for a write, its
    token may write; 403 otherwise. Checked before the object named in the URL is looked up,
    as the pages check the role before the object."""
    actor = actor_of(request)
    if write and not actor.token.can_write:
        raise problems.forbidden("This token is read-only: create a read-write token to write.")
    if not actor.membership.has_role(role):
        needed = Role(role).label.lower()
        others = [r.label.lower() for r in Role if ROLE_RANK[r] > ROLE_RANK[Role(role)]]
        above = f" (or {', '.join(others)})" if others else ""
        raise problems.forbidden(
            f"Your role ({actor.membership.get_role_display().lower()}) does not allow this: "
            f"it takes a {needed}{above}."
        )
    return actor


def in_member_zone(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the operation in its member's time zone, as a page is (dates such as a check-in's
    default day are the member's)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = getattr(request, "auth", None)
        if not isinstance(actor, Actor):
            return view(request, *args, **kwargs)
        with zones.viewing_in(zones.member_tz(actor.membership)):
            return view(request, *args, **kwargs)

    return wrapper
