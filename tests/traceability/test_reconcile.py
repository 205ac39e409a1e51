from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus
from tests.builders import make_goal, make_task
from tests.traceability.conftest import build_gaps
from traceability import selectors, services
from traceability.models import Flag, FlagKind, Resolution
from work import services as work_services
from work.gaps import KEPT, ORPHANED, STRANDED, SUSPECT
from work.models import Task


def open_flags(org) -> set[tuple[str, int]]:
    return {
        (f.kind, f.task_id or f.goal_id)
        for f in Flag.objects.filter(organization=org, resolved_at__isnull=True)
    }


def test_flags_are_exactly_the_gaps_the_work_selectors_see(org, lead, planner, gaps):
    services.flags_reconcile(organization=org)

    tasks = Task.objects.filter(organization=org)
    expected = (
        {("orphaned", pk) for pk in tasks.filter(ORPHANED).values_list("pk", flat=True)}
        | {
            ("stranded", pk)
            for pk in tasks.filter(STRANDED).exclude(KEPT).values_list("pk", flat=True)
        }
        | {("suspect", pk) for pk in tasks.filter(SUSPECT).values_list("pk", flat=True)}
        | {("starved", gaps.starved.pk)}
    )
    assert open_flags(org) == expected
    # and the situations the data was built for
    assert expected == {
        ("orphaned", gaps.orphaned.pk),
        ("stranded", gaps.stranded.pk),
        ("stranded", gaps.assigned.pk),
        ("suspect", gaps.stranded.pk),
        ("suspect", gaps.assigned.pk),
        ("suspect", gaps.suspect.pk),
        ("starved", gaps.starved.pk),
    }


def test_a_second_run_changes_nothing(org, gaps):
    first = services.flags_reconcile(organization=org)
    rows = list(Flag.objects.order_by("pk").values())

    second = services.flags_reconcile(organization=org)

    assert first.raised == 7 and first.resolved == 0
    assert (second.raised, second.resolved) == (0, 0)
    assert list(Flag.objects.order_by("pk").values()) == rows


def test_flags_resolve_with_the_reason_they_closed(org, lead, planner, gaps):
    services.flags_reconcile(organization=org)
    other = make_goal(org, lead, "Partner channel")

    work_services.task_confirm_link(organization=org, actor=planner, task=gaps.suspect)
    work_services.task_move(
        organization=org, actor=planner, task=gaps.orphaned, to_goal=other, reason="belongs there"
    )
    work_services.task_set_status(
        organization=org, actor=planner, task=gaps.stranded, status="cancelled"
    )
    work_services.task_keep(
        organization=org, actor=planner, task=gaps.assigned, reason="The bank needs it anyway"
    )
    make_task(org, planner, gaps.starved, "Write the job ad")
    result = services.flags_reconcile(organization=org)

    closed = {
        (f.kind, f.task_id or f.goal_id): f.resolution
        for f in Flag.objects.filter(organization=org, resolved_at__isnull=False)
    }
    assert closed == {
        ("suspect", gaps.suspect.pk): Resolution.CONFIRMED,
        ("orphaned", gaps.orphaned.pk): Resolution.MOVED,
        ("stranded", gaps.stranded.pk): Resolution.CANCELLED,
        ("suspect", gaps.stranded.pk): Resolution.CANCELLED,
        ("stranded", gaps.assigned.pk): Resolution.KEPT,
        ("suspect", gaps.assigned.pk): Resolution.KEPT,
        ("starved", gaps.starved.pk): Resolution.RESOLVED,
    }
    assert result.resolved == 7 and result.raised == 0
    assert open_flags(org) == set()


def test_a_goal_back_to_active_resolves_its_stranded_flags_and_they_return_on_hold_again(
    org, lead, planner
):
    goal = make_goal(org, lead)
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    services.flags_reconcile(organization=org)
    work_services.task_confirm_link(organization=org, actor=planner, task=task)

    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ACTIVE)
    services.flags_reconcile(organization=org)
    stranded = Flag.objects.get(kind=FlagKind.STRANDED, task=task)
    # The link was confirmed, but what ended the stranding is the goal coming back.
    assert stranded.resolution == Resolution.RESOLVED and stranded.resolved_at is not None

    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    services.flags_reconcile(organization=org)
    history = Flag.objects.filter(kind=FlagKind.STRANDED, task=task).order_by("raised_at")
    assert [f.is_open for f in history] == [False, True]


def test_starved_goals_wait_for_the_grace_period(org, lead, planner):
    parent = make_goal(org, lead, "Company objective")
    child = make_goal(org, lead, "Team goal", parent=parent)
    lonely = make_goal(org, lead, "Nobody works on this")
    finished = make_task(org, planner, lonely, "Already done")
    work_services.task_set_status(organization=org, actor=planner, task=finished, status="done")
    make_task(org, planner, child, "Live work deep down")
    now = timezone.now()

    services.flags_reconcile(organization=org, now=now)
    assert open_flags(org) == set()  # within the default 7 days

    services.flags_reconcile(organization=org, now=now + timedelta(days=8))
    # the parent is covered by its sub-goal's live work; done work does not count
    assert open_flags(org) == {("starved", lonely.pk)}


def test_the_grace_period_is_the_organizations_setting(org, lead):
    org.starved_grace_days = 0
    org.save(update_fields=["starved_grace_days"])
    goal = make_goal(org, lead)
    draft = make_goal(org, lead, "Someday", status=GoalStatus.DRAFT)

    services.flags_reconcile(organization=org, now=timezone.now() + timedelta(seconds=1))

    assert open_flags(org) == {("starved", goal.pk)}
    assert draft.pk not in selectors.starved_goal_ids(organization=org, now=timezone.now())


def test_the_reconciler_touches_only_its_organization(org, other_org, lead, planner, outsider):
    build_gaps(org, lead, planner)
    theirs = make_goal(other_org, outsider, "Globex goal")
    make_task(other_org, outsider, theirs)
    goal_services.goal_update(
        organization=other_org, actor=outsider, goal=theirs, status=GoalStatus.ABANDONED
    )

    services.flags_reconcile(organization=org)

    assert not Flag.objects.filter(organization=other_org).exists()
    assert not Flag.objects.filter(organization=org, task__organization=other_org).exists()


def _statements(org) -> int:
    """Statements of one reconcile, savepoints aside."""
    with CaptureQueriesContext(connection) as ctx:
        services.flags_reconcile(organization=org)
    return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])


def test_the_statement_count_does_not_grow_with_the_data(org, lead, planner):
    build_gaps(org, lead, planner)
    small = _statements(org)
    goal = make_goal(org, lead, "Big goal")
    for n in range(30):
        make_task(org, planner, goal, f"Task {n}")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)

    large = _statements(org)

    assert Flag.objects.filter(organization=org, task__goal=goal).count() == 60
    assert small == large == 2  # the lock, the reconcile


def _immediate(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params)


def test_the_database_refuses_a_flag_on_another_organizations_task(org, other_org, lead):
    task = make_task(org, lead, make_goal(org, lead))
    with pytest.raises(IntegrityError):
        _immediate(
            "INSERT INTO traceability_flag (organization_id, kind, task_id, raised_at, resolution)"
            " VALUES (%s, 'orphaned', %s, now(), '')",
            [other_org.pk, task.pk],
        )


def test_the_database_keeps_one_open_flag_per_kind_and_object(org, lead):
    task = make_task(org, lead, make_goal(org, lead))
    Flag.objects.create(organization=org, kind="orphaned", task=task, raised_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(organization=org, kind="orphaned", task=task, raised_at=timezone.now())


def test_a_starved_flag_names_a_goal_and_a_task_flag_a_task(org, lead):
    goal = make_goal(org, lead)
    task = make_task(org, lead, goal)
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(organization=org, kind="starved", task=task, raised_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(organization=org, kind="suspect", goal=goal, raised_at=timezone.now())


def test_deleting_a_goal_orphans_its_work_and_drops_its_flags(org, lead, planner, gaps):
    services.flags_reconcile(organization=org)
    work_services.goal_delete(organization=org, actor=lead, goal=gaps.starved)
    work_services.goal_delete(organization=org, actor=lead, goal=gaps.lowered)

    services.flags_reconcile(organization=org)

    assert not Goal.objects.filter(pk=gaps.starved.pk).exists()
    assert ("orphaned", gaps.suspect.pk) in open_flags(org)
    assert ("suspect", gaps.suspect.pk) not in open_flags(org)
