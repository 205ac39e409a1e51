from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from goals.views import goal_or_404
from vindaris.lib.htmx import is_fragment
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Membership, Role

from . import selectors, services
from .emails import read_unsubscribe_token
from .forms import EmailPreferenceForm, FollowForm, MarkReadForm, NotificationForm
from .models import Kind

# A member's notifications: /o/<org_slug>/notifications/ ---------------------------------------


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@org_view(min_role=Role.VIEWER)
@require_GET
def notification_list(request: OrgRequest) -> HttpResponse:
    """The member's notifications, newest first, paginated; each opens the page it concerns."""
    page, unread = selectors.notification_page(
        organization=request.organization,
        membership=request.membership,
        page=_page_number(request),
    )
    return render(request, "notifications/notification_list.html", {"page": page, "unread": unread})


@org_view(min_role=Role.VIEWER)
@require_GET
def notification_bell(request: OrgRequest) -> HttpResponse:
    """The bell with the unread count, for htmx (base.html loads it after the page); one query
    besides the membership's. Without htmx: the notifications page."""
    if not is_fragment(request):
        return redirect("notification_list", org_slug=request.organization.slug)
    count = selectors.unread_count(organization=request.organization, membership=request.membership)
    return render(request, "notifications/_bell.html", {"unread": count})


@org_view(min_role=Role.VIEWER)
@require_POST
def notification_open(request: OrgRequest) -> HttpResponse:
    """Open a notification: marked read, then the page it concerns. Another member's or an
    unknown one: 404."""
    form = NotificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a notification to open.")
        return redirect("notification_list", org_slug=request.organization.slug)
    notification = selectors.notification_for_member(
        organization=request.organization,
        membership=request.membership,
        notification_id=form.cleaned_data["notification"],
    )
    if notification is None:
        raise Http404("No such notification.")
    services.notification_mark_read(
        organization=request.organization,
        membership=request.membership,
        notification_ids=[notification.pk],
    )
    # The path was checked to be a page of this organization when the notification was made.
    return redirect(notification.path)


@org_view(min_role=Role.VIEWER)
@require_POST
def notification_mark_read(request: OrgRequest) -> HttpResponse:
    """Mark one notification read, or all of them; back to the notifications page."""
    list_url = reverse("notification_list", args=[request.organization.slug])
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a notification, or all of them.")
        return redirect(list_url)
    ids = None if form.cleaned_data["all"] else [form.cleaned_data["notification"]]
    marked = services.notification_mark_read(
        organization=request.organization, membership=request.membership, notification_ids=ids
    )
    if ids is None:
        messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    page = _page_number(request)
    return redirect(f"{list_url}?page={page}" if page > 1 else list_url)


# Email preferences: /o/<org_slug>/notifications/email/ --------------------------------------


@org_view(min_role=Role.VIEWER)
@require_http_methods(["GET", "POST"])
def notification_preferences(request: OrgRequest) -> HttpResponse:
    """The member's own choice of the kinds of notification that also come by email."""
    organization, membership = request.organization, request.membership
    form = EmailPreferenceForm(
        request.POST if request.method == "POST" else None,
        initial={"kinds": selectors.email_kinds(organization=organization, membership=membership)},
    )
    if request.method == "POST" and form.is_valid():
        chosen = services.email_kinds_set(
            organization=organization,
            actor=request.user,
            membership=membership,
            kinds=form.cleaned_data["kinds"],
        )
        messages.success(
            request,
            "Saved: " + ", ".join(Kind(k).label.lower() for k in chosen) + " also come by email."
            if chosen
            else "Saved: no notification comes by email.",
        )
        return redirect("notification_preferences", org_slug=organization.slug)
    return render(request, "notifications/notification_preferences.html", {"form": form})


# Following a goal: /o/<org_slug>/goals/<n>/follow/ -------------------------------------------


@org_view(min_role=Role.VIEWER)
@require_http_methods(["GET", "POST"])
def goal_follow(request: OrgRequest, goal_number: int) -> HttpResponse:
    """GET: the follow button (a fragment for htmx, loaded by the goal page; else a page with
    it). POST: follow or unfollow. Any member who may see the goal may follow it."""
    goal = goal_or_404(request, goal_number)
    organization, membership = request.organization, request.membership
    if request.method == "POST":
        form = FollowForm(request.POST)
        if form.is_valid():
            following = services.goal_follow_set(
                organization=organization,
                membership=membership,
                goal_id=goal.pk,
                follow=form.cleaned_data["follow"],
            )
            if not is_fragment(request):
                messages.success(
                    request,
                    f"You follow {goal.key}: its updates will notify you."
                    if following
                    else f"You no longer follow {goal.key}.",
                )
                return redirect("goal_detail", org_slug=organization.slug, goal_number=goal.number)
        else:
            following = selectors.is_following(
                organization=organization, membership=membership, goal_id=goal.pk
            )
    else:
        following = selectors.is_following(
            organization=organization, membership=membership, goal_id=goal.pk
        )
    ctx = {"goal": goal, "following": following}
    if is_fragment(request):
        return render(request, "notifications/goal_follow.html#follow-button", ctx)
    return render(request, "notifications/goal_follow.html", ctx)


# The emailed unsubscribe links: /o/<org_slug>/notifications/unsubscribe/ ---------------------


def _unsubscribing(request: HttpRequest, org_slug: str) -> tuple[Membership, list[str]] | None:
    """The member a signed unsubscribe token in the query string stands for and the kinds it
    stops, or None."""
    read = read_unsubscribe_token(request.GET.get("token", ""))
    if read is None:
        return None
    ids, kinds = read
    membership = selectors.membership_for_unsubscribe(organization_slug=org_slug, **ids)
    return None if membership is None else (membership, kinds)


def _unsubscribe_context(membership: Membership, kinds: list[str]) -> dict[str, object]:
    return {
        "member": membership,
        "email_organization": membership.organization,
        "kind_labels": [Kind(k).label for k in kinds],
    }


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/unsubscribe_invalid.html", status=404)


# Reached from the email without logging in: the signed token in the URL stands for the member
# it was sent to, and all it can do is stop some kinds of that member's notification emails.
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request: HttpRequest, org_slug: str) -> HttpResponse:
    """GET: a confirm page with a button; POST (that button, CSRF-protected): stop those
    emails. An unknown, tampered or stale token answers 404 and changes nothing."""
    found = _unsubscribing(request, org_slug)
    if found is None:
        return _invalid_link(request)
    membership, kinds = found
    context = _unsubscribe_context(membership, kinds)
    if request.method == "POST":
        services.email_unsubscribe(
            organization=membership.organization, membership=membership, kinds=kinds
        )
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)


# csrf_exempt: the URL of the List-Unsubscribe header. Mail clients implementing one-click
# unsubscribe (RFC 8058) POST "List-Unsubscribe=One-Click" to it without cookies or a CSRF
# token; the unforgeable signed token takes the CSRF token's place, and all it can do is stop
# some kinds of one member's notification emails.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def notification_unsubscribe_one_click(request: HttpRequest, org_slug: str) -> HttpResponse:
    """POST: stop those emails at once. GET (a client opening the header's link in a browser):
    the confirm page. A bad token answers 404 and changes nothing."""
    found = _unsubscribing(request, org_slug)
    if found is None:
        return _invalid_link(request)
    if request.method == "GET":
        confirm = reverse("notification_unsubscribe", args=[org_slug])
        return redirect(f"{confirm}?{urlencode({'token': request.GET['token']})}")
    membership, kinds = found
    services.email_unsubscribe(
        organization=membership.organization, membership=membership, kinds=kinds
    )
    return render(
        request, "notifications/unsubscribe_done.html", _unsubscribe_context(membership, kinds)
    )
