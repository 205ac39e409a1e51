from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from traceability import selectors, services
from traceability.digest import DIGEST_HOUR, ORGANIZATION_WIDE_ROLES, read_unsubscribe_token
from traceability.forms import DigestPreferenceForm
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy import zones
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Membership, Role, Weekday

# The weekly digest: /o/<org_slug>/digest/ ----------------------------------------------------


@org_view(min_role=Role.VIEWER)
@require_http_methods(["GET", "POST"])
def digest_preferences(request: OrgRequest) -> HttpResponse:
    """A member's own preferences in this organization: opting in to or out of its weekly
    digest, and the time zone its pages show times in."""
    membership = request.membership
    organization = request.organization
    form = DigestPreferenceForm(
        request.POST if request.method == "POST" else None,
        organization=organization,
        initial={"receive": not membership.digest_opt_out, "timezone": membership.timezone},
    )
    if request.method == "POST" and form.is_valid():
        receive = form.cleaned_data["receive"]
        zone_before = zones.member_tz(membership)
        services.digest_preference_set(
            organization=organization,
            actor=request.user,
            membership=membership,
            receive=receive,
        )
        membership = tenancy_services.membership_time_zone_set(
            organization=organization,
            actor=request.user,
            membership=membership,
            timezone_name=form.cleaned_data["timezone"],
        )
        messages.success(
            request,
            f"You will get the weekly digest of {organization.name}."
            if receive
            else f"You will no longer get the weekly digest of {organization.name}.",
        )
        zone_after = zones.zone(membership.timezone or organization.timezone)
        if zone_after != zone_before:
            messages.success(request, f"Times are now shown in {zone_after.key}.")
        return redirect("digest_preferences", org_slug=organization.slug)
    return render(
        request,
        "traceability/digest_preferences.html",
        {
            "form": form,
            "digest_weekday": Weekday(request.organization.digest_weekday).label,
            "digest_hour": f"{DIGEST_HOUR:02d}:00",
            "organization_wide": membership.role in ORGANIZATION_WIDE_ROLES,
        },
    )


def _unsubscribing_member(request: HttpRequest, org_slug: str) -> Membership | None:
    """The member a signed unsubscribe token in the query string stands for, or None."""
    ids = read_unsubscribe_token(request.GET.get("token", ""))
    if ids is None:
        return None
    return selectors.membership_for_unsubscribe(organization_slug=org_slug, **ids)


def _unsubscribe(membership: Membership) -> None:
    services.digest_preference_set(
        organization=membership.organization,
        actor=membership.user,
        membership=membership,
        receive=False,
    )


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "traceability/digest_unsubscribe_invalid.html", status=404)


# Reached from the digest email without logging in: the signed token in the URL stands for the
# member it was sent to, and all it can do is stop that member's digest.
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, org_slug: str) -> HttpResponse:
    """GET: a confirm page with a button; POST (that button, CSRF-protected): opt out.
    An unknown, tampered or stale token answers 404 and changes nothing."""
    membership = _unsubscribing_member(request, org_slug)
    if membership is None:
        return _invalid_link(request)
    context = {"member": membership, "digest_organization": membership.organization}
    if request.method == "POST":
        _unsubscribe(membership)
        return render(request, "traceability/digest_unsubscribe_done.html", context)
    return render(request, "traceability/digest_unsubscribe.html", context)


# csrf_exempt: this is the URL of the List-Unsubscribe header. Mail clients implementing one-click
# unsubscribe (RFC 8058) POST "List-Unsubscribe=One-Click" to it without cookies or a CSRF
# token; the unforgeable signed token takes the CSRF token's place, and all it can do is stop
# one member's digest.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_unsubscribe_one_click(request: HttpRequest, org_slug: str) -> HttpResponse:
    """POST: opt out at once. GET (a client that opens the header's link in a browser): the
    confirm page. A bad token answers 404 and changes nothing."""
    membership = _unsubscribing_member(request, org_slug)
    if membership is None:
        return _invalid_link(request)
    if request.method == "GET":
        confirm = reverse("digest_unsubscribe", args=[org_slug])
        return redirect(f"{confirm}?{urlencode({'token': request.GET['token']})}")
    _unsubscribe(membership)
    context = {"member": membership, "digest_organization": membership.organization}
    return render(request, "traceability/digest_unsubscribe_done.html", context)
