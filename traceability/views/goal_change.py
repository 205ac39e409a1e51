"""Editing a goal or an outcome, with what the change would do shown first.

A change that would strand or make suspect live work, end a keep, or starve another goal
(selectors.impact) is not saved at once: the form comes back with the consequences and asks to
confirm. Saving without consequences goes through at once, as before. The confirmation is
checked against what was shown: when the submitted values or what they would do differ from
the preview (the form was edited, or the work changed meanwhile), the preview is shown again
instead of saving. Confirmed, the change goes through goals.services like any other edit, and
the service does what it does.

The form is plain HTML; htmx swaps the form alone and follows the redirect of a save.
"""

import hashlib
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from goals import services as goal_services
from goals.forms import GoalForm, OutcomeForm, add_service_error
from goals.models import Goal, GoalStatus, Priority
from goals.views import goal_or_404, goal_to_change_or_403, outcome_or_404
from vindaris.lib.htmx import is_fragment
from vindaris.tenancy.access import OrgRequest, org_view

from ..selectors.impact import ChangeImpact, goal_change_impact, outcome_change_impact

require_get_or_post = require_http_methods(["GET", "HEAD", "POST"])

# What a change to a goal's status is called in the preview's first words.
STATUS_ACTIONS = {
    GoalStatus.DRAFT: ("Moving {key} back to draft", "back to draft"),
    GoalStatus.ACTIVE: ("Making {key} active", "active"),
    GoalStatus.ON_HOLD: ("Putting {key} on hold", "on hold"),
    GoalStatus.ACHIEVED: ("Marking {key} achieved", "achieved"),
    GoalStatus.ABANDONED: ("Abandoning {key}", "abandoned"),
}


def _action(goal: Goal, changes: Mapping[str, Any]) -> str:
    """The change in a few words: "Putting G-4 on hold", "Changing G-4 (on hold, P3)"."""
    phrases: list[tuple[str, str]] = []
    if "status" in changes:
        phrases.append(STATUS_ACTIONS[GoalStatus(changes["status"])])
    if "priority" in changes:
        label = Priority(changes["priority"]).label
        verb = "Lowering" if changes["priority"] > goal.priority else "Raising"
        phrases.append((f"{verb} {{key}} to {label}", label))
    if "parent" in changes:
        parent = changes["parent"]
        if parent is None:
            phrases.append(("Making {key} a top-level goal", "top-level"))
        else:
            phrases.append((f"Moving {{key}} under {parent.key}", f"under {parent.key}"))
    if "title" in changes:
        phrases.append(("Renaming {key}", "renamed"))
    if len(phrases) == 1:
        return phrases[0][0].format(key=goal.key)
    if not phrases:
        return f"Changing {goal.key}"
    return f"Changing {goal.key} ({', '.join(short for _, short in phrases)})"


def _plain(value: Any) -> str:
    if isinstance(value, Model):
        return f"#{value.pk}"
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


def preview_key(changes: Mapping[str, Any], impact: ChangeImpact) -> str:
    """A digest of the submitted changes and of what the preview said they would do."""
    shown = (sorted((f, _plain(v)) for f, v in changes.items()), impact.signature())
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


def _confirmed(request: OrgRequest, key: str) -> bool:
    return request.POST.get("confirm") == "1" and request.POST.get("previewed") == key


def _saved(request: OrgRequest, goal: Goal) -> HttpResponse:
    url = reverse(
        "goal_detail", kwargs={"org_slug": request.organization.slug, "goal_number": goal.number}
    )
    if is_fragment(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _form_response(
    request: OrgRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The whole page, or for htmx the form alone (422 when it shows errors)."""
    form = context["form"]
    fragment = is_fragment(request) and request.method == "POST"
    status = 422 if fragment and form.is_bound and form.errors else 200
    response = render(
        request, f"{template}#{partial}" if fragment else template, context, status=status
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _edit(
    request: OrgRequest,
    *,
    changes: Mapping[str, Any],
    impact_of: Callable[[], ChangeImpact],
    save: Callable[[], None],
) -> tuple[bool, dict[str, Any]]:
    """The edit flow once the form is valid: back to editing, nothing to save, a preview, or
    the save. Returns whether it is done (saved, or nothing changed), and otherwise what the
    form's page shows: the impact, its key, and whether a confirmation no longer matched."""
    if request.POST.get("back") == "1":
        return False, {}
    if not changes:
        return True, {}
    impact = impact_of()
    if impact.consequential:
        key = preview_key(changes, impact)
        if not _confirmed(request, key):
            stale = request.POST.get("confirm") == "1"
            return False, {"impact": impact, "impact_key": key, "impact_stale": stale}
    save()
    return True, {}


@org_view()
@require_get_or_post
def goal_edit(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Edit a goal; only changed fields reach the service, which records them old → new. A
    change with consequences for the work is previewed first (selectors.impact)."""
    goal = goal_to_change_or_403(request, goal_or_404(request, goal_number))
    form = GoalForm(
        request.POST if request.method == "POST" else None,
        organization=request.organization,
        viewer=request.membership,
        goal=goal,
    )
    context: dict[str, Any] = {"form": form, "goal": goal}
    if request.method == "POST" and form.is_valid():
        changes = form.changed_values(goal)

        def save() -> None:
            goal_services.goal_update(
                organization=request.organization, actor=request.user, goal=goal, **changes
            )

        def impact_of() -> ChangeImpact:
            return goal_change_impact(
                organization=request.organization,
                viewer=request.membership,
                goal=goal,
                changes=changes,
                now=timezone.now(),
            )

        try:
            saved, shown = _edit(request, changes=changes, impact_of=impact_of, save=save)
        except ValidationError as e:
            add_service_error(form, e)
        else:
            if saved:
                messages.success(request, f"{goal.key} saved." if changes else "Nothing changed.")
                return _saved(request, goal)
            context |= shown
            if "impact" in shown:
                context["impact_action"] = _action(goal, changes)
    return _form_response(request, "goals/goal_form.html", "goal-form", context)


@org_view()
@require_get_or_post
def outcome_edit(request: OrgRequest, outcome_number: int) -> HttpResponse:
    """Edit an outcome's definition; its current value moves only through check-ins. A new
    target is a material change of the goal: its effect on the goal's work is previewed."""
    outcome = outcome_or_404(request, outcome_number)
    goal = goal_to_change_or_403(request, outcome.goal)
    form = OutcomeForm(request.POST if request.method == "POST" else None, outcome=outcome)
    context: dict[str, Any] = {"form": form, "goal": goal, "outcome": outcome}
    if request.method == "POST" and form.is_valid():
        changes = form.changed_values(outcome)

        def save() -> None:
            goal_services.outcome_update(
                organization=request.organization, actor=request.user, outcome=outcome, **changes
            )

        def impact_of() -> ChangeImpact:
            # A target the service refuses is an error to show, not a change to preview.
            goal_services.check_outcome_values(
                changes.get("baseline", outcome.baseline),
                changes.get("target", outcome.target),
                changes.get("direction", outcome.direction),
            )
            return outcome_change_impact(
                organization=request.organization,
                viewer=request.membership,
                outcome=outcome,
                changes=changes,
                now=timezone.now(),
            )

        try:
            saved, shown = _edit(request, changes=changes, impact_of=impact_of, save=save)
        except ValidationError as e:
            add_service_error(form, e)
        else:
            if saved:
                messages.success(
                    request, f"{outcome.key} saved." if changes else "Nothing changed."
                )
                return _saved(request, goal)
            context |= shown
            if "impact" in shown:
                context["impact_action"] = (
                    f"Changing {outcome.key}’s target to {changes['target']}"
                    f"{' ' + outcome.unit if outcome.unit else ''}"
                )
    return _form_response(request, "goals/outcome_form.html", "outcome-form", context)
