"""The goal pages: creating goals and their outcomes, and sharing. (The indented goal list
shows each goal's work and gaps: traceability.views.goals; editing shows what the change does
to the work first: traceability.views.goal_change.)"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Role

from . import selectors, services
from .forms import (
    GoalForm,
    OutcomeForm,
    ShareForm,
    UnshareForm,
    add_service_error,
)
from .models import Goal, Outcome
from .visibility import can_change, can_share

require_get_or_post = require_http_methods(["GET", "HEAD", "POST"])


def goal_or_404(request: OrgRequest, goal_number: int) -> Goal:
    """The request organization's goal with this number, or 404: also for other organizations'
    goals and for goals the member may not see (confidential)."""
    goal = selectors.goal_get(
        organization=request.organization, number=goal_number, viewer=request.membership
    )
    if goal is None:
        raise Http404("No such goal in this organization.")
    return goal


def outcome_or_404(request: OrgRequest, outcome_number: int) -> Outcome:
    outcome = selectors.outcome_get(
        organization=request.organization, number=outcome_number, viewer=request.membership
    )
    if outcome is None:
        raise Http404("No such outcome in this organization.")
    return outcome


def goal_to_change_or_403(request: OrgRequest, goal: Goal) -> Goal:
    """Editing a goal and its outcomes: admins, leads, its owner and members granted change."""
    if not can_change(goal, request.membership):
        raise PermissionDenied("Only the goal's owner, its editors, leads and admins edit it.")
    return goal


def _number_param(raw: str | None) -> int | None:
    """A positive number from a query parameter that fits a database integer, else None."""
    if raw is None or not re.fullmatch(r"[0-9]{1,18}", raw):
        return None
    return int(raw) or None


def _goal_page(request: OrgRequest, goal: Goal) -> HttpResponse:
    return redirect("goal_detail", org_slug=request.organization.slug, goal_number=goal.number)


@org_view(min_role=Role.LEAD)
@require_get_or_post
def goal_create(request: OrgRequest) -> HttpResponse:
    """A new goal; `?parent=<goal number>` preselects its parent (adding a sub-goal)."""
    organization = request.organization
    parent = None
    parent_number = _number_param(request.GET.get("parent"))
    if parent_number is not None:
        parent = selectors.goal_get(
            organization=organization, number=parent_number, viewer=request.membership
        )
    form = GoalForm(
        request.POST if request.method == "POST" else None,
        organization=organization,
        viewer=request.membership,
        initial={"parent": parent} if parent else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(
                organization=organization,
                actor=request.user,
                **form.values(),
            )
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, f"{goal.key} created.")
            return _goal_page(request, goal)
    return render(request, "goals/goal_form.html", {"form": form, "parent": parent})


@org_view()
@require_get_or_post
def outcome_create(request: OrgRequest, goal_number: int) -> HttpResponse:
    goal = goal_to_change_or_403(request, goal_or_404(request, goal_number))
    form = OutcomeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.outcome_create(
                organization=request.organization,
                actor=request.user,
                goal=goal,
                **form.values(),
            )
        except ValidationError as e:
            add_service_error(form, e)
        else:
            messages.success(request, f"{outcome.key} added to {goal.key}.")
            return _goal_page(request, goal)
    return render(request, "goals/outcome_form.html", {"form": form, "goal": goal})


# Sharing ----------------------------------------------------------------------------------------


def _goal_to_share_or_403(request: OrgRequest, goal_number: int) -> Goal:
    goal = goal_or_404(request, goal_number)
    if not can_share(goal, request.membership):
        raise PermissionDenied("Only the goal's owner, leads and admins share it.")
    return goal


def _access_response(
    request: OrgRequest,
    goal: Goal,
    *,
    share_form: ShareForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The "who has access" panel: the whole page, or the panel alone for htmx."""
    context = {
        "goal": goal,
        "access": selectors.goal_access(goal=goal),
        "share_form": share_form or ShareForm(goal=goal),
    }
    fragment = bool(request.htmx)
    template = "goals/goal_access.html#access-panel" if fragment else "goals/goal_access.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@org_view()
@require_get_or_post
def goal_access(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Who has access to the goal; POST gives a member view or change (admins, leads, owner)."""
    goal = _goal_to_share_or_403(request, goal_number)
    if request.method != "POST":
        return _access_response(request, goal)
    form = ShareForm(request.POST, goal=goal)
    if form.is_valid():
        member, access = form.cleaned_data["member"], form.cleaned_data["access"]
        try:
            services.goal_share(
                organization=request.organization,
                actor=request.user,
                goal=goal,
                member=member,
                access=access,
            )
        except ValidationError as e:
            add_service_error(form, e)
        else:
            verb = "edit" if access == "change" else "view"
            messages.success(request, f"{member.user.display_name} can now {verb} {goal.key}.")
            if request.htmx:
                return _access_response(request, goal)
            return redirect(
                "goal_access", org_slug=request.organization.slug, goal_number=goal.number
            )
    return _access_response(request, goal, share_form=form, status=422 if request.htmx else 200)


@org_view()
@require_http_methods(["POST"])
def goal_access_revoke(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Take a member's access away; it takes effect on their next request."""
    goal = _goal_to_share_or_403(request, goal_number)
    form = UnshareForm(request.POST, goal=goal)
    if form.is_valid():
        member = form.cleaned_data["member"]
        services.goal_unshare(
            organization=request.organization,
            actor=request.user,
            goal=goal,
            member=member,
        )
        messages.success(request, f"{member.user.display_name} no longer has access to {goal.key}.")
    else:
        messages.error(request, "Choose a member who has access to this goal.")
    if request.htmx:
        return _access_response(request, goal)
    return redirect("goal_access", org_slug=request.organization.slug, goal_number=goal.number)
