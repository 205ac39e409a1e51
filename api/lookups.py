"""Objects named by a request, looked up as its member may see them (the other apps' selectors,
with the membership as viewer): a hidden object is missing, exactly like one that does not
exist. In the URL, a missing object is a 404; in a body or a filter, an invalid choice of that
field (422)."""

from typing import Annotated

from ninja import Path

from goals import selectors as goal_selectors
from goals.models import Goal, Outcome
from vindaris.tenancy.models import Membership
from work import selectors as work_selectors
from work.models import Task

from . import problems, selectors
from .access import Actor
from .schemas import key_number

# The organization in the URL (/api/v1/o/<slug>/…), as in its pages' URLs.
OrgSlug = Annotated[str, Path(description="The organization's slug, as in its pages' URLs.")]
# A goal's, an outcome's or a task's number in the URL ("/goals/12/"), as on the pages.
Number = Annotated[int, Path(ge=1, le=2_147_483_647)]


def goal_or_404(actor: Actor, number: int) -> Goal:
    """The goal G-`number` (parent and owner loaded), if the actor's member may see it."""
    goal = goal_selectors.goal_get(
        organization=actor.organization, number=number, viewer=actor.membership
    )
    if goal is None:
        raise problems.not_found(f"No goal G-{number} in this organization.")
    return goal


def outcome_or_404(actor: Actor, number: int) -> Outcome:
    """The outcome O-`number` (goal loaded), if the actor's member may see its goal."""
    outcome = goal_selectors.outcome_get(
        organization=actor.organization, number=number, viewer=actor.membership
    )
    if outcome is None:
        raise problems.not_found(f"No outcome O-{number} in this organization.")
    return outcome


def task_or_404(actor: Actor, number: int) -> Task:
    """The task T-`number` (goal, outcome, assignee loaded), if the actor's member may see it."""
    task = work_selectors.task_get(
        organization=actor.organization, number=number, viewer=actor.membership
    )
    if task is None:
        raise problems.not_found(f"No task T-{number} in this organization.")
    return task


def goal_named(actor: Actor, key: str, field: str) -> Goal:
    """The goal a body or filter names by its key, among those the member may see."""
    goal = goal_selectors.goal_get(
        organization=actor.organization, number=key_number(key), viewer=actor.membership
    )
    if goal is None:
        raise problems.field_error(field, f"No goal {key} that you can choose.")
    return goal


def outcome_of_goal(goal: Goal, key: str, field: str) -> Outcome:
    """One of the goal's outcomes, named by its key."""
    outcome = goal_selectors.outcomes_of(goal=goal).filter(number=key_number(key)).first()
    if outcome is None:
        raise problems.field_error(field, f"{key} is not an outcome of {goal.key}.")
    return outcome


def member_named(actor: Actor, email: str, field: str) -> Membership:
    """The member of the actor's organization with this email."""
    member = selectors.member_by_email(organization=actor.organization, email=email)
    if member is None:
        raise problems.field_error(field, f"No member of this organization has the email {email}.")
    return member


def credited_tasks(goal: Goal, keys: list[str]) -> list[Task]:
    """The tasks a check-in credits: the goal's own (work.selectors.live_tasks_of_goal_choices),
    named by their keys."""
    numbers = {key_number(k) for k in keys}
    if not numbers:
        return []
    tasks = list(work_selectors.live_tasks_of_goal_choices(goal=goal).filter(number__in=numbers))
    missing = sorted(numbers - {t.number for t in tasks})
    if missing:
        names = ", ".join(f"T-{n}" for n in missing)
        raise problems.field_error(
            "credited_tasks", f"Only tasks of {goal.key} can be credited ({names} is not)."
        )
    return tasks
