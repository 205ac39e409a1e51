"""The benchmark's generator writes data of the promised shape into the real tables, valid
under every constraint, and the app works on it as on data users made."""

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.generate import OrgSpec, finish, foreign_key_violations, generate, lead_email
from goals import selectors as goal_selectors
from goals.models import Goal, GoalStatus, Outcome
from tests.builders import make_goal, make_outcome, make_task
from traceability.models import OPEN, Flag
from vindaris.tenancy.models import Membership, Organization, Role, User
from work.models import LIVE, Task

SPEC = OrgSpec("gen", "Generated", members=12, goals=50, outcomes=100, tasks=2000)


@pytest.fixture
def organization(db) -> Organization:
    now = timezone.now()
    with connection.cursor() as cursor:
        generate(cursor, [SPEC], now=now)  # every constraint checked row by row
    finish([SPEC.slug], now=now)
    return Organization.objects.get(slug=SPEC.slug)


def test_tasks_are_30_percent_live_60_done_10_cancelled_and_2_percent_without_goal(
    organization,
):
    tasks = Task.objects.filter(organization=organization)
    total = tasks.count()
    share = {s: n / total for s, n in tasks.values_list("status").annotate(Count("id"))}

    assert total == SPEC.tasks
    live = share.get("todo", 0) + share.get("in_progress", 0) + share.get("blocked", 0)
    assert live == pytest.approx(0.30, abs=0.04)
    assert share["done"] == pytest.approx(0.60, abs=0.04)
    assert share["cancelled"] == pytest.approx(0.10, abs=0.03)
    assert tasks.filter(goal=None).count() / total == pytest.approx(0.02, abs=0.015)


def test_goals_nest_in_four_levels_with_skewed_work(organization):
    goals = Goal.objects.filter(organization=organization)
    roots, *_ = SPEC.levels()
    per_goal = sorted(
        Task.objects.filter(organization=organization, goal__isnull=False)
        .values("goal")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )

    assert goals.count() == SPEC.goals
    assert goals.filter(parent=None).count() == roots
    assert max(len(goal_selectors.ancestors(goal=g)) for g in goals) == 3
    assert per_goal[-1] > 4 * sum(per_goal) / len(per_goal)  # the busiest goal
    assert Outcome.objects.filter(organization=organization).count() == SPEC.outcomes


def test_every_gap_is_there_and_flagged_by_the_reconciler(organization):
    kinds = set(Flag.objects.filter(OPEN, organization=organization).values_list("kind", flat=True))

    assert kinds == {"orphaned", "stranded", "suspect", "starved"}
    stranded = Task.objects.filter(LIVE, organization=organization).exclude(
        goal__status=GoalStatus.ACTIVE
    )
    assert stranded.filter(goal__isnull=False).exists()


def test_new_numbers_continue_after_the_generated_ones(organization):
    lead = User.objects.get(email=lead_email(SPEC.slug))
    assert Membership.objects.get(organization=organization, user=lead).role == Role.LEAD

    goal = make_goal(organization, lead, "A goal made by hand")
    outcome = make_outcome(organization, lead, goal)
    task = make_task(organization, lead, goal)

    assert (goal.number, outcome.number, task.number) == (51, 101, 2001)


def test_the_foreign_key_check_of_the_fast_path_finds_a_broken_row(organization, other_org):
    task = Task.objects.filter(organization=organization, goal__isnull=False).first()
    theirs = Goal.objects.create(
        organization=other_org, number=1, title="Someone else's goal", status=GoalStatus.ACTIVE
    )
    with connection.cursor() as cursor:
        assert foreign_key_violations(cursor, [organization.pk]) == []
        # What the fast path's switched-off triggers would let through.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE work_task SET goal_id = %s WHERE id = %s", [theirs.pk, task.pk])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")

        assert "task_goal_same_org_fk" in foreign_key_violations(cursor, [organization.pk])


@pytest.mark.parametrize("fast", [False, True])
def test_the_coverage_rows_of_generated_data_match_a_recount(db, fast):
    """Row by row the triggers count the generated tasks; the fast path, which leaves them out
    like every other trigger, recounts each organization afterwards."""
    now = timezone.now()
    with connection.cursor() as cursor:
        ids = generate(cursor, [SPEC], now=now, fast=fast)
        cursor.execute("SELECT * FROM traceability_goalcoverage_drift(%s)", [ids[SPEC.slug]])

        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT sum(tasks) FROM traceability_goalcoverage WHERE organization_id = %s",
            [ids[SPEC.slug]],
        )
        assert cursor.fetchone()[0] == SPEC.tasks
