"""The benchmark's floors answer what the pages answer: a floor is only a fair yardstick if it
computes the same figures, from the same rows, as the app."""

from dataclasses import asdict

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from bench import floors
from goals import selectors as goal_selectors
from goals import services as goal_services
from goals.models import Goal, GoalStatus
from tests.perf.conftest import LARGE
from traceability import selectors as trace_selectors
from traceability import services
from traceability.models import OPEN, Flag
from vindaris.tenancy.models import Organization, User
from work import gaps, selectors
from work.models import LIVE, Task


def _answers(function, target, **kwargs):
    with connection.cursor() as cursor:
        return function(cursor, target, **kwargs)


def _live_under(goal: Goal) -> int:
    subtree = goal_selectors.subtree_ids(goal=goal)
    return Task.objects.filter(LIVE, organization=goal.organization_id, goal_id__in=subtree).count()


def test_the_floors_count_the_statuses_the_app_calls_live():
    assert [str(s) for s in gaps.LIVE_STATUSES] == floors.LIVE


def test_the_goal_page_floor_finds_what_the_goal_page_shows(generated):
    t = generated.large
    goal = Goal.objects.get(organization_id=t.org_id, number=t.busiest_goal)

    answers = _answers(floors.goal_page, t)

    counts = selectors.goal_counts(goal=goal)
    assert answers["counts"] == asdict(counts)
    assert counts.live_by_outcome  # the generated goal has work aimed at its outcomes
    assert answers["tasks"] == [task.number for task in selectors.tasks_of_goal(goal=goal)]
    assert answers["more_tasks"] is True
    assert answers["path"] == [g.number for g in goal_selectors.ancestors(goal=goal)]
    assert answers["outcomes"] == {
        o.number: o.live_tasks for o in selectors.outcomes_with_tasks(goal=goal, counts=counts)
    }
    assert answers["children"] == {
        c.number: (c.live_tasks, c.live_effort)
        for c in selectors.children_with_counts(goal=goal, viewer=None)
    }


def test_the_work_list_floor_finds_the_first_page_and_the_cursor(generated):
    t = generated.large
    organization = Organization.objects.get(pk=t.org_id)

    answers = _answers(floors.work_list, t)

    tasks, older = selectors.work_list(
        organization=organization, viewer=None, filters=selectors.WorkFilters()
    )
    assert answers["tasks"] == [task.number for task in tasks]
    assert answers["older"] == older


def test_the_add_task_floor_writes_the_next_task_under_the_goal(generated):
    t = generated.large
    goal = Goal.objects.get(organization_id=t.org_id, number=t.busiest_goal)

    answers = _answers(floors.add_task, t, atomic=transaction.atomic, title="A floor task")

    task = Task.objects.get(organization_id=t.org_id, number=answers["number"])
    assert answers["number"] == LARGE.tasks + 1  # the generator's sequence continues
    assert (task.goal, task.title, task.status) == (goal, "A floor task", "todo")
    assert task.events.get().kind == "created"
    assert answers["counts"] == asdict(selectors.goal_counts(goal=goal))


def test_the_coverage_floor_finds_what_the_dashboard_shows(generated):
    t = generated.large
    organization = Organization.objects.get(pk=t.org_id)
    now = timezone.now()

    answers = _answers(floors.coverage, t)

    assert answers["linked_ratio"] == pytest.approx(
        trace_selectors.linked_ratio(organization=organization)
    )
    open_flags = Flag.objects.filter(OPEN, organization=organization)
    assert answers["gaps"] == dict(open_flags.values_list("kind").annotate(Count("id")))
    assert set(answers["gaps"]) == {"orphaned", "stranded", "suspect", "starved"}
    assert answers["trend_days"] == 15  # today and the fourteen days before
    assert (
        answers["active_goals"]
        == Goal.objects.filter(organization=organization, status=GoalStatus.ACTIVE).count()
    )
    overview = trace_selectors.coverage_overview(
        organization=organization,
        viewer=None,
        now=now,
        table=trace_selectors.GoalTableQuery(),
    )
    table = overview.table
    assert answers["goals_page"] == [
        {
            "number": row.number,
            "live_tasks": row.live_tasks,
            "live_effort": row.live_effort,
            "share": pytest.approx(row.funding.share),
            "implied": pytest.approx(row.funding.implied),
            "open_gaps": row.open_gaps,
        }
        for row in table.rows
    ]
    stop, _ = trace_selectors.stop_candidates(
        organization=organization, overview=overview, limit=floors.STOP_ITEMS
    )
    assert answers["stop"] == [item.task.number for item in stop]
    assert answers["stop"]  # the generated data has work to stop


def test_the_trace_floors_roll_up_whole_subtrees(generated):
    t = generated.large
    roots = Goal.objects.filter(
        organization_id=t.org_id, parent=None, status=GoalStatus.ACTIVE
    ).order_by("priority", "number")
    node = Goal.objects.get(organization_id=t.org_id, number=t.expand_goal)

    root_answers = _answers(floors.trace_root, t)
    node_answers = _answers(floors.trace_expand, t)

    assert {n: live for n, (live, _) in root_answers["roots"].items()} == {
        root.number: _live_under(root) for root in roots
    }
    assert (
        root_answers["orphaned"]
        == Task.objects.filter(LIVE, organization_id=t.org_id, goal=None).count()
    )
    assert {n: live for n, (live, _) in node_answers["children"].items()} == {
        child.number: _live_under(child) for child in goal_selectors.children_of(goal=node)
    }
    assert node_answers["tasks"] == [task.number for task in selectors.tasks_of_goal(goal=node)]


def test_the_reconciler_floor_counts_what_the_reconciler_raises_and_resolves(generated):
    t = generated.large
    organization = Organization.objects.get(pk=t.org_id)
    lead = User.objects.get(pk=t.user_id)
    goal = Goal.objects.get(organization=organization, number=t.busiest_goal)

    def floor() -> tuple[int, int]:
        with connection.cursor() as cursor:
            return floors.reconcile(
                cursor, organization.pk, organization.starved_grace_days, timezone.now()
            )

    assert floor() == (0, 0)  # the generator's flags are the reconciler's

    goal_services.goal_update(
        organization=organization, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
    )
    expected = floor()
    result = services.flags_reconcile(organization=organization)
    assert (result.raised, result.resolved) == expected
    assert expected[0] > 0

    goal_services.goal_update(
        organization=organization, actor=lead, goal=goal, status=GoalStatus.ACTIVE
    )
    expected = floor()
    result = services.flags_reconcile(organization=organization)
    assert (result.raised, result.resolved) == expected
    assert expected[1] > 0  # back to active: its stranded flags resolve
    assert floor() == (0, 0)
