"""The database itself keeps every reference inside one organization, and keeps the numbers sane,
whatever code (or raw SQL) writes to it.

The composite foreign keys are DEFERRABLE INITIALLY DEFERRED and a test's transaction is never
committed, so each test first makes them IMMEDIATE; every case runs in its own savepoint. Each
bad row is paired with the same row pointing inside the organization, which must be accepted:
the error comes from the cross-organization reference, not from a malformed insert."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from goals.models import CheckIn, Goal, Outcome
from tests.builders import make_goal, make_outcome, make_task
from vindaris.tenancy.models import Membership, Organization
from work import services as work_services
from work.models import Task

_numbers = itertools.count(1000)


@dataclass
class Side:
    """One organization's rows to point at."""

    org: Organization
    member: Membership
    goal: Goal
    sibling: Goal  # another goal of the same organization
    outcome: Outcome  # of `goal`
    sibling_outcome: Outcome  # of `sibling`
    check_in: CheckIn
    task: Task


@dataclass
class World:
    ours: Side
    theirs: Side


def _side(org: Organization, user) -> Side:
    goal = make_goal(org, user, "Grow revenue")
    sibling = make_goal(org, user, "Cut churn")
    outcome = make_outcome(org, user, goal)
    return Side(
        org=org,
        member=Membership.objects.get(organization=org, user=user),
        goal=goal,
        sibling=sibling,
        outcome=outcome,
        sibling_outcome=make_outcome(org, user, sibling),
        check_in=work_services.check_in_record(
            organization=org, actor=user, outcome=outcome, value=Decimal("120")
        ),
        task=make_task(org, user, goal),
    )


@pytest.fixture
def world(org, lead, other_org, outsider) -> World:
    w = World(ours=_side(org, lead), theirs=_side(other_org, outsider))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return w


def execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert(table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    placeholders = ", ".join(["%s"] * len(row))
    execute(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - fixed names
        list(row.values()),
    )


def refused(write: Callable[[], None]) -> str:
    """Run the write in a savepoint; return the name of the constraint that refused it."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        write()
    return error.value.__cause__.diag.constraint_name


def violated_constraint(table: str, row: dict[str, Any]) -> str:
    return refused(lambda: insert(table, row))


def goal_row(w: World, **columns: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "organization_id": w.ours.org.pk,
        "number": next(_numbers),
        "title": "Raw goal",
        "description": "",
        "parent_id": None,
        "owner_id": None,
        "priority": 2,
        "status": "active",
        "start_date": None,
        "end_date": None,
        "material_change": "",
        "created_at": now,
        "updated_at": now,
        **columns,
    }


def outcome_row(w: World, **columns: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "organization_id": w.ours.org.pk,
        "goal_id": w.ours.goal.pk,
        "number": next(_numbers),
        "title": "Raw outcome",
        "unit": "",
        "baseline": 0,
        "target": 10,
        "current": 0,
        "direction": "increase",
        "created_at": now,
        "updated_at": now,
        **columns,
    }


def check_in_row(w: World, **columns: Any) -> dict[str, Any]:
    return {
        "organization_id": w.ours.org.pk,
        "outcome_id": w.ours.outcome.pk,
        "value": 5,
        "previous_value": 0,
        "note": "",
        "checked_on": date.today(),
        "created_at": timezone.now(),
        **columns,
    }


def task_row(w: World, **columns: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "organization_id": w.ours.org.pk,
        "number": next(_numbers),
        "title": "Raw task",
        "description": "",
        "goal_id": w.ours.goal.pk,
        "outcome_id": None,
        "status": "todo",
        "assignee_id": None,
        "estimate": 1,
        "origin": "import",
        "link_confirmed_at": now,
        "kept_reason": "",
        "created_at": now,
        "updated_at": now,
        **columns,
    }


def goal_event_row(w: World, **columns: Any) -> dict[str, Any]:
    return {
        "organization_id": w.ours.org.pk,
        "goal_id": w.ours.goal.pk,
        "kind": "updated",
        "changes": "{}",
        "summary": "",
        "created_at": timezone.now(),
        **columns,
    }


def task_event_row(w: World, **columns: Any) -> dict[str, Any]:
    return {
        "organization_id": w.ours.org.pk,
        "task_id": w.ours.task.pk,
        "kind": "edited",
        "from_status": "",
        "to_status": "",
        "reason": "",
        "changes": "{}",
        "created_at": timezone.now(),
        **columns,
    }


def credit_row(w: World, **columns: Any) -> dict[str, Any]:
    return {
        "organization_id": w.ours.org.pk,
        "check_in_id": w.ours.check_in.pk,
        "task_id": w.ours.task.pk,
        **columns,
    }


Pick = Callable[[Side], int]


@dataclass(frozen=True)
class Case:
    """`column` set to `pick(ours)` is fine; set to `pick(theirs)` it breaks `constraint`."""

    table: str
    row: Callable[..., dict[str, Any]]
    column: str
    pick: Pick
    constraints: frozenset[str]


CROSS_ORGANIZATION = {
    "task at another organization's goal": Case(
        "work_task", task_row, "goal_id", lambda s: s.goal.pk, frozenset({"task_goal_same_org_fk"})
    ),
    "task at another organization's outcome": Case(
        "work_task",
        task_row,
        "outcome_id",
        lambda s: s.outcome.pk,
        # Either key refuses it: the outcome is of another organization and of another goal.
        frozenset({"task_outcome_of_its_goal_fk"}),
    ),
    "task assigned to another organization's member": Case(
        "work_task",
        task_row,
        "assignee_id",
        lambda s: s.member.pk,
        frozenset({"task_assignee_same_org_fk"}),
    ),
    "goal under another organization's parent": Case(
        "goals_goal",
        goal_row,
        "parent_id",
        lambda s: s.goal.pk,
        frozenset({"goal_parent_same_org_fk"}),
    ),
    "goal owned by another organization's member": Case(
        "goals_goal",
        goal_row,
        "owner_id",
        lambda s: s.member.pk,
        frozenset({"goal_owner_same_org_fk"}),
    ),
    "outcome of another organization's goal": Case(
        "goals_outcome",
        outcome_row,
        "goal_id",
        lambda s: s.goal.pk,
        frozenset({"outcome_goal_same_org_fk"}),
    ),
    "check-in of another organization's outcome": Case(
        "goals_checkin",
        check_in_row,
        "outcome_id",
        lambda s: s.outcome.pk,
        frozenset({"checkin_outcome_same_org_fk"}),
    ),
    "goal history of another organization's goal": Case(
        "goals_goalevent",
        goal_event_row,
        "goal_id",
        lambda s: s.goal.pk,
        frozenset({"goalevent_goal_same_org_fk"}),
    ),
    "task history of another organization's task": Case(
        "work_taskevent",
        task_event_row,
        "task_id",
        lambda s: s.task.pk,
        frozenset({"taskevent_task_same_org_fk"}),
    ),
    "credit in another organization's check-in": Case(
        "work_checkincredit",
        credit_row,
        "check_in_id",
        lambda s: s.check_in.pk,
        frozenset({"credit_checkin_same_org_fk"}),
    ),
    "credit for another organization's task": Case(
        "work_checkincredit",
        credit_row,
        "task_id",
        lambda s: s.task.pk,
        frozenset({"credit_task_same_org_fk"}),
    ),
}


@pytest.mark.parametrize("case", CROSS_ORGANIZATION.values(), ids=CROSS_ORGANIZATION.keys())
def test_a_reference_to_another_organization_is_refused_by_the_database(world, case):
    bad = case.row(world, **{case.column: case.pick(world.theirs)})
    assert violated_constraint(case.table, bad) in case.constraints
    insert(case.table, case.row(world, **{case.column: case.pick(world.ours)}))


def test_a_tasks_outcome_of_another_goal_of_the_same_organization_is_refused(world):
    ours = world.ours
    bad = task_row(world, goal_id=ours.goal.pk, outcome_id=ours.sibling_outcome.pk)
    assert violated_constraint("work_task", bad) == "task_outcome_of_its_goal_fk"
    insert(
        "work_task", task_row(world, goal_id=ours.sibling.pk, outcome_id=ours.sibling_outcome.pk)
    )


def test_the_goal_and_outcome_key_refuses_another_organizations_outcome_under_our_goal(world):
    """The key (organization_id, goal_id, outcome_id) names the organization: another
    organization's outcome never fits under our goal."""
    bad = task_row(world, goal_id=world.ours.goal.pk, outcome_id=world.theirs.outcome.pk)
    assert violated_constraint("work_task", bad) == "task_outcome_of_its_goal_fk"


def test_moving_a_task_by_sql_to_another_organizations_goal_is_refused(world):
    sql = "UPDATE work_task SET goal_id = %s WHERE id = %s"
    params = [world.theirs.goal.pk, world.ours.task.pk]
    assert refused(lambda: execute(sql, params)) == "task_goal_same_org_fk"
    assert Task.objects.get(pk=world.ours.task.pk).goal_id == world.ours.goal.pk


CHECKS = {
    "negative estimate": ("work_task", task_row, {"estimate": -1}, "work_task_estimate_check"),
    "period ending before it starts": (
        "goals_goal",
        goal_row,
        {"start_date": date(2025, 4, 1), "end_date": date(2025, 3, 31)},
        "goal_period_ends_after_start",
    ),
    "priority outside P1–P4": ("goals_goal", goal_row, {"priority": 5}, "goal_priority_1_4"),
    "increase with the target below the baseline": (
        "goals_outcome",
        outcome_row,
        {"direction": "increase", "baseline": 100, "target": 50},
        "outcome_target_beyond_baseline",
    ),
    "decrease with the target above the baseline": (
        "goals_outcome",
        outcome_row,
        {"direction": "decrease", "baseline": 10, "target": 50},
        "outcome_target_beyond_baseline",
    ),
    "outcome without a goal": (
        "work_task",
        task_row,
        {"goal_id": None, "outcome_id": "OUTCOME"},
        "task_outcome_needs_goal",
    ),
}


@pytest.mark.parametrize("table, row, columns, constraint", CHECKS.values(), ids=CHECKS.keys())
def test_check_constraints_refuse_insane_values(world, table, row, columns, constraint):
    if columns.get("outcome_id") == "OUTCOME":
        columns = {**columns, "outcome_id": world.ours.outcome.pk}
    assert violated_constraint(table, row(world, **columns)) == constraint


def test_sane_boundary_values_are_accepted(world):
    insert("work_task", task_row(world, estimate=0))
    insert("goals_goal", goal_row(world, start_date=date(2025, 4, 1), end_date=date(2025, 4, 1)))
    insert("goals_outcome", outcome_row(world, direction="decrease", baseline=10, target=0))


def test_a_goal_cannot_be_its_own_parent(world):
    sql = "UPDATE goals_goal SET parent_id = id WHERE id = %s"
    assert refused(lambda: execute(sql, [world.ours.goal.pk])) == "goal_not_own_parent"


def test_numbers_are_unique_within_an_organization_only(world):
    taken = world.ours.goal.number
    assert world.theirs.goal.number == taken
    assert violated_constraint("goals_goal", goal_row(world, number=taken)) == "goal_org_number_key"
