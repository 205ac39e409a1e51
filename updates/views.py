"""The updates pages: posting an update on a goal, the goal's update history, one update, and
a member's reminder preference."""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from goals import selectors as goal_selectors
from goals.forms import add_service_error
from goals.models import Goal
from goals.visibility import can_change
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Membership, Role

from . import selectors, services
from .forms import ReminderPreferenceForm, UpdateForm
from .reminders import read_unsubscribe_token

require_get_or_post = require_http_methods(["GET", "HEAD", "POST"])


def _goal_or_404(request: OrgRequest, goal_number: int) -> Goal:
    goal = goal_selectors.goal_get(
        organization=request.organization, number=goal_number, viewer=request.membership
    )
    if goal is None:
        raise Http404("No such goal in this organization.")
    return goal


def _page(raw: str | None) -> int:
    return int(raw) if raw and re.fullmatch(r"[0-9]{1,6}", raw) else 1


@org_view(min_role=Role.PLANNER)
@require_get_or_post
def update_create(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Post an update on the goal (its owner, an editor, leads and admins; viewers never). The
    goal page carries the same form; this page is where it lands with errors."""
    goal = _goal_or_404(request, goal_number)
    if not can_change(goal, request.membership):
        raise PermissionDenied("Only the goal's owner or an editor posts updates.")
    outcomes = list(goal_selectors.outcomes_of(goal=goal))
    form = UpdateForm(request.POST if request.method == "POST" else None, outcomes=outcomes)
    if request.method == "POST" and form.is_valid():
        try:
            update = services.update_post(
                organization=request.organization,
                actor=request.user,
                member=request.membership,
                goal=goal,
                health=form.cleaned_data["health"],
                body=form.cleaned_data["body"],
                check_ins=form.check_ins(),
            )
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, f"Posted {update.key} on {goal.key}.")
            return redirect(
                "update_list", org_slug=request.organization.slug, goal_number=goal.number
            )
    return render(request, "updates/update_form.html", {"goal": goal, "form": form})


@org_view()
@require_safe
def update_list(request: OrgRequest, goal_number: int) -> HttpResponse:
    """The goal's update history, newest first, 20 a page, each with its check-ins."""
    goal = _goal_or_404(request, goal_number)
    page = selectors.updates_page(goal=goal, page=_page(request.GET.get("page")))
    section = selectors.goal_section(
        organization=request.organization,
        goal=goal,
        member=request.membership,
        can_change=can_change(goal, request.membership),
        now=timezone.now(),
    )
    return render(
        request, "updates/update_list.html", {"goal": goal, "page": page, "section": section}
    )


@org_view()
@require_safe
def update_detail(request: OrgRequest, update_number: int) -> HttpResponse:
    """One update (where its notification lands), with its check-ins."""
    update = selectors.update_get(
        organization=request.organization, number=update_number, viewer=request.membership
    )
    if update is None:
        raise Http404("No such update in this organization.")
    return render(
        request,
        "updates/update_detail.html",
        {"update": update, "goal": update.goal, "update_row": selectors.update_row(update=update)},
    )


@org_view()
@require_get_or_post
def reminder_preferences(request: OrgRequest) -> HttpResponse:
    """A member's own choice: the email asking for updates on their stale goals, or none."""
    member = request.membership
    form = ReminderPreferenceForm(
        request.POST if request.method == "POST" else None,
        initial={"reminders": not member.update_reminder_opt_out},
    )
    if request.method == "POST" and form.is_valid():
        services.reminder_preference_set(
            organization=request.organization,
            member=member,
            opt_out=not form.cleaned_data["reminders"],
        )
        messages.success(request, "Reminder preference saved.")
        return redirect("update_reminder_preferences", org_slug=request.organization.slug)
    return render(request, "updates/reminder_preferences.html", {"form": form})


def _unsubscribing_member(request: HttpRequest, org_slug: str) -> Membership | None:
    """The member a signed unsubscribe token in the query string stands for, or None."""
    ids = read_unsubscribe_token(request.GET.get("token", ""))
    if ids is None:
        return None
    return selectors.membership_for_unsubscribe(organization_slug=org_slug, **ids)


def _unsubscribed(request: HttpRequest, membership: Membership) -> HttpResponse:
    services.reminder_preference_set(
        organization=membership.organization, member=membership, opt_out=True
    )
    return render(request, "updates/reminder_unsubscribe_done.html", {"member": membership})


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "updates/reminder_unsubscribe_invalid.html", status=404)


# Reached from the reminder email without logging in: the signed token in the URL stands for
# the member it was sent to, and all it can do is stop that member's reminders.
@require_http_methods(["GET", "POST"])
def reminder_unsubscribe(request: HttpRequest, org_slug: str) -> HttpResponse:
    """GET: a confirm page with a button; POST (that button, CSRF-protected): opt out. An
    unknown or tampered token answers 404 and changes nothing."""
    membership = _unsubscribing_member(request, org_slug)
    if membership is None:
        return _invalid_link(request)
    if request.method == "POST":
        return _unsubscribed(request, membership)
    return render(request, "updates/reminder_unsubscribe.html", {"member": membership})


# csrf_exempt: the URL of the List-Unsubscribe header. Mail clients implementing one-click
# unsubscribe (RFC 8058) POST to it without cookies or a CSRF token; the unforgeable signed
# token takes the CSRF token's place, and all it can do is stop one member's reminders.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def reminder_unsubscribe_one_click(request: HttpRequest, org_slug: str) -> HttpResponse:
    """POST: opt out at once. GET (the header's link opened in a browser): the confirm page.
    A bad token answers 404 and changes nothing."""
    membership = _unsubscribing_member(request, org_slug)
    if membership is None:
        return _invalid_link(request)
    if request.method == "GET":
        confirm = reverse("update_reminder_unsubscribe", args=[org_slug])
        return redirect(f"{confirm}?{urlencode({'token': request.GET['token']})}")
    return _unsubscribed(request, membership)
