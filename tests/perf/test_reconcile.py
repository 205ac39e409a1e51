"""The reconciler's one pass over the live tasks keeps the flags meaning what the work lists and
counts mean: on generated data with every kind of gap, after changes that make it raise and
resolve, its open flags are exactly work.selectors' conditions and the starved goals, and the
benchmark's floor finds nothing left to do."""

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from bench import floors
from goals import services as goal_services
from goals.models import Goal, GoalStatus
from traceability import selectors, services
from traceability.models import OPEN, Flag, FlagKind
from vindaris.tenancy.models import Organization, User
from work import services as work_services
from work.models import LIVE, LIVE_STATUSES, Task


def _open_flags(organization: Organization) -> dict[str, set[int]]:
    open_flags = Flag.objects.filter(OPEN, organization=organization)
    flags = {
        kind: set(open_flags.filter(kind=kind).values_list("task_id", flat=True))
        for kind in selectors.TASK_FLAG_CONDITIONS
    }
    flags[FlagKind.STARVED] = set(
        open_flags.filter(kind=FlagKind.STARVED).values_list("goal_id", flat=True)
    )
    return flags


def _gaps(organization: Organization, now) -> dict[str, set[int]]:
    tasks = Task.objects.filter(organization=organization)
    gaps = {
        kind: set(tasks.filter(condition).values_list("pk", flat=True))
        for kind, condition in selectors.TASK_FLAG_CONDITIONS.items()
    }
    gaps[FlagKind.STARVED] = selectors.starved_goal_ids(organization=organization, now=now)
    return gaps


def _busiest_goals(organization: Organization, status: str) -> list[Goal]:
    return list(
        Goal.objects.filter(organization=organization, status=status)
        .annotate(live=Count("tasks", filter=Q(tasks__status__in=LIVE_STATUSES)))
        .filter(live__gt=0)
        .order_by("-live", "pk")[:3]
    )


def test_the_reconciler_raises_and_resolves_exactly_the_gaps_of_the_data(generated):
    t = generated.large
    organization = Organization.objects.get(pk=t.org_id)
    lead = User.objects.get(pk=t.user_id)
    now = timezone.now()
    # Changes the reconciler has to follow: active goals put on hold (their work stranded and
    # suspect), goals back to active (their stranded flags resolve), work finished.
    for goal in _busiest_goals(organization, GoalStatus.ACTIVE):
        goal_services.goal_update(
            organization=organization, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
        )
    for goal in _busiest_goals(organization, GoalStatus.ON_HOLD):
        goal_services.goal_update(
            organization=organization, actor=lead, goal=goal, status=GoalStatus.ACTIVE
        )
    for task in Task.objects.filter(LIVE, organization=organization).order_by("pk")[:20]:
        work_services.task_set_status(
            organization=organization, actor=lead, task=task, status="done"
        )

    result = services.flags_reconcile(organization=organization, now=now)

    assert result.raised > 0 and result.resolved > 0
    flags, gaps = _open_flags(organization), _gaps(organization, now)
    assert flags == gaps
    assert all(gaps.values())  # every kind of gap is there to compare
    with connection.cursor() as cursor:
        assert floors.reconcile(cursor, t.org_id, organization.starved_grace_days, now) == (0, 0)
    again = services.flags_reconcile(organization=organization, now=now)
    assert (again.raised, again.resolved) == (0, 0)
