"""The API tokens page: /o/<org_slug>/settings/tokens/ — a member creates, lists and revokes
their own personal access tokens; admins also see and revoke every token of the organization.
(The API itself: api.v1.)"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from vindaris.tenancy.access import OrgRequest, org_view

from . import selectors, services
from .forms import TokenForm, TokenRevokeForm


def _context(request: OrgRequest, **extra: Any) -> dict[str, Any]:
    organization, membership = request.organization, request.membership
    return {
        "tokens": list(selectors.tokens_of_member(organization=organization, member=membership)),
        "all_tokens": list(selectors.tokens_of_organization(organization=organization))
        if membership.is_admin
        else [],
        "form": TokenForm(),
        "api_base": request.build_absolute_uri(f"/api/v1/o/{organization.slug}/"),
        "docs_url": reverse("api-v1:openapi-view"),
        **extra,
    }


@org_view()
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: OrgRequest) -> HttpResponse:
    """The member's tokens; POST creates one and shows its secret, once, on the answer (never
    stored, never sent again: the page is not cached)."""
    if request.method != "POST":
        return render(request, "api/tokens.html", _context(request))
    form = TokenForm(request.POST)
    secret = ""
    if form.is_valid():
        try:
            token, secret = services.token_create(
                organization=request.organization,
                actor=request.user,
                member=request.membership,
                name=form.cleaned_data["name"],
                access=form.cleaned_data["access"],
                expires_at=form.expires_at(),
            )
        except ValidationError as e:
            for field, errors in getattr(e, "error_dict", {None: e.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            response = render(
                request,
                "api/tokens.html",
                _context(request, new_token=token, new_secret=secret),
            )
            add_never_cache_headers(response)
            return response
    return render(request, "api/tokens.html", _context(request, form=form))


@org_view()
@require_POST
def token_revoke(request: OrgRequest) -> HttpResponse:
    """Revoke one's own token, or (admins) anyone's; it stops working at once."""
    form = TokenRevokeForm(request.POST, organization=request.organization)
    if not form.is_valid():
        messages.error(request, "That token is not valid.")
        return redirect("api_tokens", org_slug=request.organization.slug)
    try:
        token = services.token_revoke(
            organization=request.organization,
            actor=request.user,
            token=form.cleaned_data["token"],
        )
    except PermissionDenied:
        messages.error(request, "Only admins revoke other members' tokens.")
    except ValidationError:
        messages.error(request, "That token is not valid.")
    else:
        messages.success(request, f"Revoked the token “{token.name}” ({token.prefix}…).")
    return redirect("api_tokens", org_slug=request.organization.slug)
