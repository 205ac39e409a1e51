"""The per-goal coverage rows the dashboard and the trace read: after every kind of write, through
the services, bulk updates or raw SQL, they equal an aggregate of the tasks and outcomes
computed here from scratch with the gap conditions of work.selectors."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Outcome, Priority
from tests.builders import make_goal, make_outcome, make_task
from traceability import services
from traceability.models import GoalCoverage
from traceability.selectors import TASK_FLAG_CONDITIONS
from work import services as work_services
from work.gaps import KEPT, SUSPECT
from work.models import LIVE, Origin, Task, TaskStatus

FIGURES = (
    "tasks",
    "live_tasks",
    "live_effort",
    "done_effort",
    "stranded",
    "kept",
    "suspect",
    "last_task_at",
    "outcomes",
    "progress_sum",
)
ZERO = dict.fromkeys(FIGURES, 0) | {"last_task_at": None}


def aggregate(org) -> dict[int | None, dict]:
    """Every goal's figures (None: the work without a goal), straight from tasks and outcomes."""
    rows: dict[int | None, dict] = {}
    per_goal = (
        Task.objects.filter(organization=org)
        .values("goal_id")
        .annotate(
            tasks=Count("pk"),
            live_tasks=Count("pk", filter=LIVE),
            live_effort=Sum("estimate", filter=LIVE, default=0),
            done_effort=Sum("estimate", filter=Q(status=TaskStatus.DONE), default=0),
            stranded=Count("pk", filter=TASK_FLAG_CONDITIONS["stranded"]),
            kept=Count("pk", filter=KEPT),
            suspect=Count("pk", filter=SUSPECT),
            last_task_at=Max("updated_at"),
        )
        .order_by()
    )
    for row in per_goal:
        goal_id = row.pop("goal_id")
        rows[goal_id] = {**ZERO, **row}
    for outcome in Outcome.objects.filter(organization=org):
        row = rows.setdefault(outcome.goal_id, dict(ZERO))
        row["outcomes"] += 1
        row["progress_sum"] += outcome.progress
    return rows


def stored(org) -> dict[int | None, dict]:
    """The coverage rows, leaving out those that hold nothing (a goal whose work all left)."""
    return {
        row.pop("goal_id"): row
        for row in GoalCoverage.objects.filter(organization=org).values("goal_id", *FIGURES)
        if any(v for k, v in row.items() if k != "goal_id")
    }


def assert_exact(org) -> None:
    assert stored(org) == aggregate(org)


@pytest.fixture
def world(org, lead, planner):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    a = make_goal(org, lead, "Win the mid-market", priority=Priority.P1)
    b = make_goal(org, lead, "Launch in Spain")
    t1 = make_task(org, planner, a, "Call prospects", estimate=3)
    t2 = make_task(org, planner, a, "Write the pitch", estimate=2)
    t3 = make_task(org, planner, b, "Find an office", estimate=5)
    loose = make_task(org, planner, None, "Fix the export", estimate=1, origin=Origin.QUICK_ADD)
    return a, b, t1, t2, t3, loose


def test_created_tasks_are_counted_on_their_goal_and_without_one(org, world):
    a, b, *_ = world

    rows = stored(org)

    assert (rows[a.pk]["tasks"], rows[a.pk]["live_tasks"], rows[a.pk]["live_effort"]) == (2, 2, 5)
    assert (rows[None]["live_tasks"], rows[None]["live_effort"]) == (1, 1)  # orphaned
    assert_exact(org)


def test_status_changes_move_effort_between_live_and_done(org, planner, world):
    *_, t1, t2, t3, _ = world
    for task, status in ((t1, TaskStatus.DONE), (t2, TaskStatus.CANCELLED), (t3, "blocked")):
        work_services.task_set_status(organization=org, actor=planner, task=task, status=status)
    assert_exact(org)
    work_services.task_set_status(organization=org, actor=planner, task=t1, status="todo")

    assert_exact(org)
    assert stored(org)[t1.goal_id]["done_effort"] == 0


def test_moves_and_links_take_the_work_from_one_goal_to_the_other(org, lead, world):
    a, b, t1, _, _, loose = world
    work_services.task_move(organization=org, actor=lead, task=t1, to_goal=b, reason="fits")
    work_services.task_move(organization=org, actor=lead, task=loose, to_goal=a, reason="found")

    assert_exact(org)
    assert stored(org)[b.pk]["live_effort"] == 8
    assert None not in stored(org)  # no work without a goal is left


def test_a_goal_put_on_hold_strands_its_work_and_a_kept_task_is_counted_apart(
    org, lead, planner, world
):
    a, *_ = world
    t1 = world[2]
    goal_services.goal_update(organization=org, actor=lead, goal=a, status=GoalStatus.ON_HOLD)
    assert_exact(org)
    assert (stored(org)[a.pk]["stranded"], stored(org)[a.pk]["suspect"]) == (2, 2)

    work_services.task_keep(organization=org, actor=planner, task=t1, reason="Promised")
    assert_exact(org)
    assert (stored(org)[a.pk]["stranded"], stored(org)[a.pk]["kept"]) == (1, 1)

    goal_services.goal_update(organization=org, actor=lead, goal=a, status=GoalStatus.ACTIVE)
    assert_exact(org)
    assert stored(org)[a.pk]["stranded"] == 0


def test_a_material_change_makes_links_suspect_until_confirmed(org, lead, world):
    a, *_ = world
    goal_services.goal_update(organization=org, actor=lead, goal=a, priority=Priority.P3)
    assert stored(org)[a.pk]["suspect"] == 2

    work_services.goal_confirm_links(organization=org, actor=lead, goal=a)  # one bulk update

    assert_exact(org)
    assert stored(org)[a.pk]["suspect"] == 0


def test_deleting_a_goal_orphans_its_work_and_drops_its_row(org, lead, world):
    a, *_ = world

    work_services.goal_delete(organization=org, actor=lead, goal=a)

    assert_exact(org)
    assert not GoalCoverage.objects.filter(goal_id=a.pk).exists()
    assert stored(org)[None]["live_tasks"] == 3


def test_deleted_tasks_leave_the_figures_and_the_latest_activity_goes_back(org, world):
    a, _, t1, t2, *_ = world
    Task.objects.filter(pk=t1.pk).update(updated_at=timezone.now() - timedelta(days=3))
    Task.objects.filter(pk=t2.pk).update(updated_at=timezone.now() - timedelta(days=1))
    t2.refresh_from_db()

    Task.objects.filter(pk=t2.pk).delete()  # the latest one: the latest activity is looked up

    assert_exact(org)
    assert stored(org)[a.pk]["last_task_at"] < t2.updated_at


def test_bulk_and_raw_writes_are_counted_too(org, world):
    a, b, *_ = world
    Task.objects.filter(organization=org, goal=a).update(estimate=7, status=TaskStatus.DONE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE work_task SET goal_id = %s WHERE organization_id = %s AND goal_id IS NULL",
            [b.pk, org.pk],
        )
    assert_exact(org)
    assert stored(org)[a.pk]["done_effort"] == 14


def test_outcomes_and_check_ins_move_the_progress(org, lead, world):
    a, *_ = world
    outcome = make_outcome(org, lead, a, "Deals", baseline="0", target="100")
    make_outcome(org, lead, a, "Pipeline", baseline="100", target="200", current=Decimal("150"))
    work_services.check_in_record(
        organization=org, actor=lead, outcome=outcome, value=Decimal("30")
    )
    assert_exact(org)
    assert (stored(org)[a.pk]["outcomes"], stored(org)[a.pk]["progress_sum"]) == (2, 80)

    Outcome.objects.filter(pk=outcome.pk).delete()

    assert_exact(org)


def test_the_refresh_recomputes_what_the_triggers_keep(org, lead, world):
    a, *_ = world
    goal_services.goal_update(organization=org, actor=lead, goal=a, status=GoalStatus.ON_HOLD)
    before = stored(org)
    GoalCoverage.objects.filter(organization=org).update(live_effort=999)

    services.goal_coverage_refresh(organization=org)

    assert stored(org) == before == aggregate(org)


def test_each_organization_has_its_own_rows(org, other_org, lead, outsider, world):
    theirs = make_goal(other_org, outsider, "Their goal")
    make_task(other_org, outsider, theirs, estimate=4)

    assert_exact(org)
    assert_exact(other_org)
    assert GoalCoverage.objects.get(goal=theirs).organization_id == other_org.pk


@pytest.mark.django_db(transaction=True)
def test_a_goal_change_and_a_task_added_at_once_end_up_counted(org, lead, planner):
    """A task is added under a goal while, in another transaction, the goal is put on hold:
    whichever commits first, the new task ends up counted as stranded."""
    goal = make_goal(org, lead, "Launch in Spain")
    make_task(org, planner, goal, "Find an office")
    added = threading.Event()

    def put_on_hold() -> None:
        try:
            added.wait(10)
            goal_services.goal_update(
                organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
            )
        finally:
            connections.close_all()

    other = threading.Thread(target=put_on_hold)
    other.start()
    with transaction.atomic():
        make_task(org, planner, goal, "Register the company")
        added.set()
        other.join(0.5)  # the goal change runs meanwhile, and waits for this one
    other.join(10)

    assert Goal.objects.get(pk=goal.pk).status == GoalStatus.ON_HOLD
    assert stored(org)[goal.pk]["stranded"] == 2
    assert_exact(org)


# Row-level triggers (migration 0005): moves, bulk and raw writes, replica sessions -----------


def drift(org) -> list[tuple[int | None, str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM traceability_goalcoverage_drift(%s)", [org.pk])
        return cursor.fetchall()


def repair(org) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT traceability_goalcoverage_repair(%s)", [org.pk])
        return cursor.fetchone()[0]


def corrupt(org, goal_id: int, live_effort: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE traceability_goalcoverage SET live_effort = %s"
            " WHERE organization_id = %s AND goal_id = %s",
            [live_effort, org.pk, goal_id],
        )


def insert_tasks(org, goals: list[Goal | None], count: int) -> None:
    """`count` tasks in one statement, spread over `goals` in turn, every status."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO work_task
                (number, title, description, status, estimate, due_date, origin,
                 link_confirmed_at, kept_reason, created_at, updated_at, assignee_id,
                 created_by_id, goal_id, organization_id, outcome_id)
            SELECT 1000 + n, 'Bulk ' || n, '',
                   (ARRAY['todo', 'in_progress', 'blocked', 'done', 'cancelled'])[1 + n %% 5],
                   1 + n %% 7, NULL, 'import', now() - interval '1 day',
                   CASE WHEN n %% 4 = 0 THEN 'Promised' ELSE '' END,
                   now() - n * interval '1 minute', now() - n * interval '1 minute',
                   NULL, NULL, (%s::bigint[])[1 + n %% cardinality(%s::bigint[])], %s, NULL
              FROM generate_series(1, %s) n
            """,
            [[g and g.pk for g in goals], [g and g.pk for g in goals], org.pk, count],
        )


def test_drift_finds_a_corrupted_row_and_the_repair_fixes_only_it(org, lead, world):
    a, b, *_ = world
    goal_services.goal_update(organization=org, actor=lead, goal=b, status=GoalStatus.ON_HOLD)
    assert drift(org) == []
    assert repair(org) == 0  # exact rows: nothing written
    untouched = GoalCoverage.objects.get(organization=org, goal=b)

    corrupt(org, a.pk, 999)

    assert drift(org) == [(a.pk, "live_effort", "999", "5")]
    assert repair(org) == 1
    assert drift(org) == []
    assert_exact(org)
    assert GoalCoverage.objects.get(organization=org, goal=b) == untouched


def test_the_repair_creates_missing_rows_and_drops_rows_with_nothing_to_count(org, lead, world):
    a, b, *_ = world
    empty = make_goal(org, lead, "Nothing under it")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM traceability_goalcoverage WHERE organization_id = %s AND goal_id = %s",
            [org.pk, a.pk],
        )
        cursor.execute(
            "INSERT INTO traceability_goalcoverage (organization_id, goal_id, tasks)"
            " VALUES (%s, %s, 3)",
            [org.pk, empty.pk],
        )
    assert {(goal_id, column) for goal_id, column, *_ in drift(org)} >= {
        (a.pk, "tasks"),
        (a.pk, "live_effort"),
        (empty.pk, "tasks"),
    }

    assert repair(org) == 2

    assert drift(org) == []
    assert_exact(org)
    assert not GoalCoverage.objects.filter(organization=org, goal=empty).exists()


def test_a_task_moved_between_goals_updates_both_rows(org, lead, world):
    a, b, t1, *_ = world
    outcome = make_outcome(org, lead, a, "Deals", baseline="0", target="100", current=Decimal("50"))
    for target in (b, None, a):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE work_task SET goal_id = %s WHERE organization_id = %s AND id = %s",
                [target and target.pk, org.pk, t1.pk],
            )
        assert_exact(org)
    assert stored(org)[a.pk]["live_effort"] == 5
    # An outcome moved to another goal takes its progress along.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE goals_outcome SET goal_id = %s WHERE organization_id = %s AND id = %s",
            [b.pk, org.pk, outcome.pk],
        )
    assert_exact(org)
    assert (stored(org)[b.pk]["outcomes"], stored(org)[b.pk]["progress_sum"]) == (1, 50)


def test_bulk_inserts_updates_and_deletes_of_many_tasks_keep_the_rows_exact(org, lead, world):
    a, b, *_ = world
    c = make_goal(org, lead, "Hire a sales team", status=GoalStatus.ON_HOLD)
    insert_tasks(org, [a, b, c, None], 400)
    assert_exact(org)

    with connection.cursor() as cursor:
        # Many tasks at once: moved round the goals, statuses and estimates changed.
        cursor.execute(
            """
            UPDATE work_task
               SET goal_id = CASE number %% 3 WHEN 0 THEN %s WHEN 1 THEN %s ELSE goal_id END,
                   status = CASE WHEN number %% 2 = 0 THEN 'done' ELSE 'todo' END,
                   estimate = estimate + 1, updated_at = now() - number * interval '1 second'
             WHERE organization_id = %s AND number > 1000
            """,
            [c.pk, b.pk, org.pk],
        )
        assert_exact(org)
        Goal.objects.filter(pk=c.pk).update(material_change_at=timezone.now())
        assert_exact(org)
        # The newest tasks of each goal go: the latest activity is looked up again.
        cursor.execute(
            "DELETE FROM work_task WHERE organization_id = %s AND number BETWEEN 1001 AND 1150",
            [org.pk],
        )
    assert_exact(org)
    assert drift(org) == []


def test_rows_applied_as_a_replica_are_not_counted_again_and_the_repair_counts_them(org, world):
    """Logical replication (a shard move) applies rows as a replica: the counts they carry
    come along, so the triggers stay out. A bulk load done that way repairs afterwards."""
    a, b, t1, *_ = world
    before = stored(org)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            cursor.execute(
                "UPDATE work_task SET estimate = 9, goal_id = %s"
                " WHERE organization_id = %s AND id = %s",
                [b.pk, org.pk, t1.pk],
            )
            insert_tasks(org, [a], 3)
        finally:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    assert stored(org) == before
    assert {column for _, column, *_ in drift(org)} >= {"tasks", "live_effort"}
    assert repair(org) == 2
    assert_exact(org)
    assert stored(org)[b.pk]["live_effort"] == 14


@pytest.mark.django_db(transaction=True)
def test_repairing_one_organization_does_not_touch_or_wait_for_another(
    org, other_org, lead, planner, outsider
):
    """Organization B holds a task and its coverage row in an open transaction; A's check and
    repair run meanwhile without waiting (a lock wait would fail at once), and leave B's rows
    as they are."""
    ours = make_goal(org, lead, "Ours")
    make_task(org, planner, ours, estimate=2)
    theirs = make_goal(other_org, outsider, "Theirs")
    their_task = make_task(other_org, outsider, theirs, estimate=4)
    corrupt(org, ours.pk, 50)
    corrupt(other_org, theirs.pk, 70)
    held, release = threading.Event(), threading.Event()

    def hold_their_task() -> None:
        try:
            with transaction.atomic():
                Task.objects.filter(pk=their_task.pk).update(status=TaskStatus.BLOCKED)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    other = threading.Thread(target=hold_their_task)
    other.start()
    try:
        assert held.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '200ms'")
            assert drift(org) == [(ours.pk, "live_effort", "50", "2")]
            assert repair(org) == 1
        assert drift(org) == []
        # B's rows are as B's open transaction left them, drift included; repairing B would
        # wait for that transaction (here: fail at once).
        assert drift(other_org) == [(theirs.pk, "live_effort", "70", "4")]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '200ms'")
            with pytest.raises(OperationalError, match="lock timeout"):
                repair(other_org)
    finally:
        release.set()
        other.join(10)

    assert drift(other_org) == [(theirs.pk, "live_effort", "70", "4")]
    assert repair(other_org) == 1
    assert_exact(org)
    assert_exact(other_org)


@pytest.mark.django_db(transaction=True)
def test_a_repair_and_a_task_write_at_once_end_up_exact(org, lead, planner):
    """A task is added while the repair runs: whichever takes the row first, the other waits,
    and the rows end up exact."""
    goal = make_goal(org, lead, "Launch in Spain")
    make_task(org, planner, goal, estimate=3)
    corrupt(org, goal.pk, 40)
    repaired = threading.Event()

    def repair_meanwhile() -> None:
        try:
            with transaction.atomic():
                repair(org)
                repaired.set()
        finally:
            connections.close_all()

    other = threading.Thread(target=repair_meanwhile)
    with transaction.atomic():
        make_task(org, planner, goal, estimate=5)  # takes the goal's row
        other.start()
        other.join(0.5)  # the repair runs meanwhile, and waits for this one
        assert not repaired.is_set()
    other.join(10)

    assert repaired.is_set()
    assert stored(org)[goal.pk]["live_effort"] == 8
    assert_exact(org)
