"""Test data built through the real services, as users would create it."""

from decimal import Decimal

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Outcome, Priority
from vindaris.tenancy.models import Organization, User
from work import services as work_services
from work.models import Origin, Task


def make_goal(
    org: Organization,
    actor: User,
    title: str = "Grow revenue",
    *,
    parent: Goal | None = None,
    status: str = GoalStatus.ACTIVE,
    priority: int = Priority.P2,
    **kwargs: object,
) -> Goal:
    return goal_services.goal_create(
        organization=org,
        actor=actor,
        title=title,
        parent=parent,
        status=status,
        priority=priority,
        **kwargs,  # type: ignore[arg-type]
    )


def make_outcome(
    org: Organization,
    actor: User,
    goal: Goal,
    title: str = "Monthly revenue",
    baseline: str = "100",
    target: str = "200",
    **kwargs: object,
) -> Outcome:
    return goal_services.outcome_create(
        organization=org,
        actor=actor,
        goal=goal,
        title=title,
        baseline=Decimal(baseline),
        target=Decimal(target),
        **kwargs,  # type: ignore[arg-type]
    )


def make_task(
    org: Organization,
    actor: User,
    goal: Goal | None,
    title: str = "Do the thing",
    *,
    estimate: int = 1,
    origin: str = Origin.GOAL_PAGE,
    **kwargs: object,
) -> Task:
    return work_services.task_create(
        organization=org,
        actor=actor,
        goal=goal,
        title=title,
        estimate=estimate,
        origin=origin,
        **kwargs,  # type: ignore[arg-type]
    )
