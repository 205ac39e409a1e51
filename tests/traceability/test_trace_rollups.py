"""The trace tree's set-based reads, against figures worked out by hand."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals.models import Direction, Goal, GoalStatus, Outcome, Priority
from tests.builders import make_goal, make_outcome, make_task
from traceability import trees
from vindaris.tenancy.models import Membership
from work import services as work_services
from work.models import Origin, Task, TaskStatus


@dataclass
class Forest:
    """
    R  Grow revenue (P1, active)                      O3: 10 → 4, aiming at 0 (60%)
    ├─ A  Win the mid-market (P1)
    │  ├─ A1 Ten new logos (P2)                       O1: 0 → 50 of 100 (50%)
    │  │     t1 todo 3 · t6 in progress 4 · t2 done 2 · t3 cancelled 5
    │  └─ A2 Partner channel (P3): active for 30 days, no work: starved
    └─ B  Launch in Spain (P2), put on hold            O2: 100 → 125 of 200 (25%)
          t4 todo 2: stranded and suspect · t5 todo 1: kept with a reason
    R2 Hire a data team (P3, active since today: inside the grace period)
    R3 Old bets (on hold)
    """

    root: Goal
    a: Goal
    a1: Goal
    a2: Goal
    b: Goal
    root2: Goal
    root3: Goal
    t1: Task
    t2: Task
    t3: Task
    t4: Task
    t5: Task
    t6: Task
    o1: Outcome
    o2: Outcome
    o3: Outcome


def check_in(org, actor, outcome, value: str) -> None:
    work_services.check_in_record(
        organization=org, actor=actor, outcome=outcome, value=Decimal(value)
    )


def build_forest(org, lead, planner) -> Forest:
    from goals import services as goal_services

    root = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    a = make_goal(org, lead, "Win the mid-market", parent=root, priority=Priority.P1)
    a1 = make_goal(org, lead, "Ten new logos", parent=a, priority=Priority.P2)
    a2 = make_goal(org, lead, "Partner channel", parent=a, priority=Priority.P3)
    b = make_goal(org, lead, "Launch in Spain", parent=root, priority=Priority.P2)
    root2 = make_goal(org, lead, "Hire a data team", priority=Priority.P3)
    root3 = make_goal(org, lead, "Old bets", status=GoalStatus.ON_HOLD)
    o1 = make_outcome(org, lead, a1, "New logos", baseline="0", target="100")
    o2 = make_outcome(org, lead, b, "Spanish customers", baseline="100", target="200")
    o3 = make_outcome(
        org, lead, root, "Days to close", baseline="10", target="0", direction=Direction.DECREASE
    )
    check_in(org, lead, o1, "50")
    check_in(org, lead, o2, "125")
    check_in(org, lead, o3, "4")
    assignee = Membership.objects.get(organization=org, user=planner)
    t1 = make_task(org, planner, a1, "Call prospects", estimate=3, outcome=o1)
    t2 = make_task(org, planner, a1, "Write the pitch", estimate=2)
    t3 = make_task(org, planner, a1, "Buy a booth", estimate=5)
    t6 = make_task(org, planner, a1, "Demo day", estimate=4, assignee=assignee)
    t4 = make_task(org, planner, b, "Find an office", estimate=2)
    t5 = make_task(org, planner, b, "Register the company", estimate=1)
    for task, status in ((t2, TaskStatus.DONE), (t3, TaskStatus.CANCELLED)):
        work_services.task_set_status(organization=org, actor=planner, task=task, status=status)
    work_services.task_set_status(
        organization=org, actor=planner, task=t6, status=TaskStatus.IN_PROGRESS
    )
    goal_services.goal_update(organization=org, actor=lead, goal=b, status=GoalStatus.ON_HOLD)
    work_services.task_keep(organization=org, actor=planner, task=t5, reason="Needed anyway")
    Goal.objects.filter(pk=a2.pk).update(activated_at=timezone.now() - timedelta(days=30))
    return Forest(root, a, a1, a2, b, root2, root3, t1, t2, t3, t4, t5, t6, o1, o2, o3)


@pytest.fixture
def forest(org, lead, planner) -> Forest:
    return build_forest(org, lead, planner)


@pytest.fixture
def lead_membership(org, lead, membership_of) -> Membership:
    return membership_of(lead, org)


def roots(org, membership, **filters) -> dict[str, trees.GoalNode]:
    page = trees.trace_roots(
        organization=org,
        membership=membership,
        filters=trees.TraceFilters(**filters),
        now=timezone.now(),
    )
    return {node.goal.title: node for node in page.items}


def children_of(org, membership, goal: Goal, level: int = 1, **kwargs) -> trees.Children:
    return trees.goal_children(
        organization=org,
        membership=membership,
        parent_levels={goal.pk: level},
        now=timezone.now(),
        **kwargs,
    )[goal.pk]


def test_a_root_rolls_up_its_whole_subtree(org, forest, lead_membership):
    rollup = roots(org, lead_membership)["Grow revenue"].rollup

    # Live: t1 (3), t6 (4), t4 (2), t5 (1). Done: t2 (2). Cancelled t3 counts nowhere.
    assert (rollup.live_tasks, rollup.live_effort, rollup.done_effort) == (4, 10, 2)
    assert rollup.done_share == 17  # 2 of 12 points
    assert (rollup.outcomes, rollup.outcome_progress) == (3, 45)  # (50 + 25 + 60) / 3
    assert (rollup.stranded, rollup.suspect) == (1, 1)  # t4; t5 is kept
    assert (rollup.starved, rollup.is_starved, rollup.starved_below) == (1, False, 1)  # A2
    assert rollup.has_gaps


def test_each_sub_goal_rolls_up_only_its_own_subtree(org, forest, lead_membership):
    under_root = children_of(org, lead_membership, forest.root)
    figures = {
        node.goal.key: (node.rollup.live_tasks, node.rollup.live_effort, node.rollup.done_share)
        for node in under_root.goals.items
    }
    assert figures == {forest.a.key: (2, 7, 22), forest.b.key: (2, 3, 0)}

    under_a = {
        n.goal.key: n.rollup for n in children_of(org, lead_membership, forest.a).goals.items
    }
    assert under_a[forest.a1.key].outcome_progress == 50
    assert under_a[forest.a1.key].has_gaps is False
    assert under_a[forest.a2.key].is_starved and under_a[forest.a2.key].live_tasks == 0
    assert under_a[forest.a2.key].outcome_progress is None


def test_a_goal_on_hold_shows_its_stranded_and_suspect_work_but_is_never_starved(
    org, forest, lead_membership
):
    b = {n.goal.key: n.rollup for n in children_of(org, lead_membership, forest.root).goals.items}[
        forest.b.key
    ]
    assert (b.stranded, b.suspect, b.starved, b.outcome_progress) == (1, 1, 0, 25)


def test_starved_waits_for_the_grace_period(org, lead, lead_membership):
    org.starved_grace_days = 7
    org.save(update_fields=["starved_grace_days"])
    now = timezone.now()
    young = make_goal(org, lead, "Active for six days")
    old = make_goal(org, lead, "Active for eight days")
    Goal.objects.filter(pk=young.pk).update(activated_at=now - timedelta(days=6))
    Goal.objects.filter(pk=old.pk).update(activated_at=now - timedelta(days=8))

    page = trees.trace_roots(
        organization=org, membership=lead_membership, filters=trees.TraceFilters(), now=now
    )
    starved = {node.goal.title: node.rollup.is_starved for node in page.items}
    assert starved == {"Active for six days": False, "Active for eight days": True}

    # Live work anywhere below the old goal feeds it.
    sub = make_goal(org, lead, "A sub-goal", parent=old)
    Goal.objects.filter(pk=sub.pk).update(activated_at=now - timedelta(days=8))
    make_task(org, lead, sub, "Some live work")
    page = trees.trace_roots(
        organization=org, membership=lead_membership, filters=trees.TraceFilters(), now=now
    )
    assert {n.goal.title: n.rollup.starved for n in page.items}["Active for eight days"] == 0


def test_roots_are_top_level_goals_by_priority_and_active_by_default(org, forest, lead_membership):
    assert list(roots(org, lead_membership)) == ["Grow revenue", "Hire a data team"]
    assert list(roots(org, lead_membership, status="")) == [
        "Grow revenue",
        "Old bets",
        "Hire a data team",
    ]
    assert list(roots(org, lead_membership, status=GoalStatus.ON_HOLD)) == ["Old bets"]


def test_roots_filter_by_owner_and_period(org, lead, forest, lead_membership):
    from goals import services as goal_services

    goal_services.goal_update(
        organization=org,
        actor=lead,
        goal=forest.root2,
        owner=lead_membership,
        start_date=timezone.localdate().replace(month=1, day=1),
        end_date=timezone.localdate().replace(month=3, day=31),
    )
    assert list(roots(org, lead_membership, owner=lead_membership)) == ["Hire a data team"]
    year = timezone.localdate().year
    q1 = {"period_start": timezone.datetime(year, 1, 1).date()}
    q1["period_end"] = timezone.datetime(year, 3, 31).date()
    assert list(roots(org, lead_membership, **q1)) == ["Hire a data team"]
    q3 = {
        "period_start": timezone.datetime(year, 7, 1).date(),
        "period_end": timezone.datetime(year, 9, 30).date(),
    }
    assert list(roots(org, lead_membership, **q3)) == []


def test_gaps_only_keeps_the_paths_to_gaps(org, forest, lead_membership):
    assert list(roots(org, lead_membership, gaps_only=True)) == ["Grow revenue"]

    under_root = children_of(org, lead_membership, forest.root, gaps_only=True)
    assert [n.goal.key for n in under_root.goals.items] == [forest.a.key, forest.b.key]
    assert under_root.outcomes.items == []  # an outcome is no gap

    under_a = children_of(org, lead_membership, forest.a, gaps_only=True)
    assert [n.goal.key for n in under_a.goals.items] == [forest.a2.key]  # A1 has no gap

    under_b = children_of(org, lead_membership, forest.b, gaps_only=True)
    assert [t.key for t in under_b.tasks.items] == [forest.t4.key]  # t5 is kept


def test_children_are_sub_goals_outcomes_and_tasks_live_first(org, forest, lead_membership):
    under_a1 = children_of(org, lead_membership, forest.a1, level=3)

    assert under_a1.level == 4
    assert under_a1.goals.items == []
    assert [o.key for o in under_a1.outcomes.items] == [forest.o1.key]
    assert under_a1.outcomes.items[0].live_tasks == 1
    assert [t.key for t in under_a1.tasks.items] == [
        forest.t6.key,  # live, newest first
        forest.t1.key,
        forest.t3.key,  # then closed, newest first
        forest.t2.key,
    ]


def test_work_without_a_goal_is_its_own_root(org, planner, lead):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    live = make_task(org, planner, None, "Quick capture", estimate=3, origin=Origin.QUICK_ADD)
    closed = make_task(org, planner, None, "Old capture", estimate=5, origin=Origin.QUICK_ADD)
    work_services.task_set_status(organization=org, actor=planner, task=closed, status="done")

    summary = trees.goalless_summary(organization=org)
    assert (summary.orphaned, summary.orphaned_effort, summary.tasks) == (1, 3, 2)
    every = trees.goalless_children(organization=org)
    assert [t.key for t in every.tasks.items] == [live.key, closed.key]
    assert every.goalless
    gaps = trees.goalless_children(organization=org, gaps_only=True)
    assert [t.key for t in gaps.tasks.items] == [live.key]


def test_children_come_in_pages_of_fifty(org, lead, lead_membership):
    goal = make_goal(org, lead, "Busy goal")
    tasks = [make_task(org, lead, goal, f"Task {i}") for i in range(120)]
    newest_first = [t.key for t in reversed(tasks)]

    pages = [children_of(org, lead_membership, goal, kind="tasks", page=p).tasks for p in (1, 2, 3)]
    assert [[t.key for t in s.items] for s in pages] == [
        newest_first[:50],
        newest_first[50:100],
        newest_first[100:],
    ]
    assert [(s.total, s.remaining, s.has_more) for s in pages] == [
        (120, 70, True),
        (120, 20, True),
        (120, 0, False),
    ]


def test_a_pinned_node_shows_on_the_first_page_and_not_again(org, lead, lead_membership):
    goal = make_goal(org, lead, "Busy goal")
    tasks = [make_task(org, lead, goal, f"Task {i}") for i in range(60)]
    far = tasks[0]  # the oldest: 60th in the list
    pinned = trees.Pinned(tasks=frozenset([far.pk]))

    first = children_of(org, lead_membership, goal, pinned=pinned).tasks
    second = children_of(org, lead_membership, goal, kind="tasks", page=2, pinned=pinned).tasks

    assert len(first.items) == 51 and first.items[-1].key == far.key
    assert far.key not in [t.key for t in second.items] and len(second.items) == 9
    assert (first.remaining, second.remaining) == (9, 0)


def test_focus_resolves_the_path_from_the_root(org, forest, lead_membership):
    focus = trees.focus_resolve(
        organization=org, membership=lead_membership, key=f"t-{forest.t1.number}"
    )

    assert focus is not None
    assert (focus.key, focus.kind) == (forest.t1.key, "task")
    assert focus.path == (forest.root.pk, forest.a.pk, forest.a1.pk)
    goal_focus = trees.focus_resolve(organization=org, membership=lead_membership, key=forest.b.key)
    assert goal_focus.path == (forest.root.pk, forest.b.pk)
    outcome_focus = trees.focus_resolve(
        organization=org, membership=lead_membership, key=forest.o3.key
    )
    assert outcome_focus.path == (forest.root.pk,)


@pytest.mark.parametrize("key", ["", "X-1", "T-", "T-1; DROP", "G-999999", "T-12345678901"])
def test_focus_on_nothing_is_none(org, forest, lead_membership, key):
    assert trees.focus_resolve(organization=org, membership=lead_membership, key=key) is None


def test_focus_never_reaches_another_organization(org, other_org, outsider, lead_membership):
    theirs = make_goal(other_org, outsider, "Globex plan")
    focus = trees.focus_resolve(organization=org, membership=lead_membership, key=theirs.key)
    assert focus is None


def test_the_tree_opens_the_path_to_a_focused_task(org, forest, lead_membership):
    focus = trees.focus_resolve(organization=org, membership=lead_membership, key=forest.t1.key)
    tree = trees.trace_tree(
        organization=org,
        membership=lead_membership,
        filters=trees.TraceFilters(gaps_only=True),  # the path is pinned whatever the filter
        focus=focus,
        now=timezone.now(),
    )
    root = next(n for n in tree.roots.items if n.goal.pk == forest.root.pk)
    a = next(n for n in root.children.goals.items if n.goal.pk == forest.a.pk)
    a1 = next(n for n in a.children.goals.items if n.goal.pk == forest.a1.pk)

    assert [n.level for n in (root, a, a1)] == [1, 2, 3]
    focused = [t for t in a1.children.tasks.items if getattr(t, "focused", False)]
    assert [t.key for t in focused] == [forest.t1.key]


def test_a_focused_root_shows_whatever_the_filters(org, forest, lead_membership):
    focus = trees.focus_resolve(organization=org, membership=lead_membership, key=forest.root3.key)
    tree = trees.trace_tree(
        organization=org,
        membership=lead_membership,
        filters=trees.TraceFilters(),  # active only; Old bets is on hold
        focus=focus,
        now=timezone.now(),
    )
    shown = {n.goal.title: n for n in tree.roots.items}
    assert shown["Old bets"].focused and shown["Old bets"].expanded


def grow(org, lead, parent: Goal, *, goals: int, tasks_each: int) -> None:
    """`goals` sub-goals under `parent`, each with a sub-goal, an outcome and some work."""
    for i in range(goals):
        child = make_goal(org, lead, f"Child {i}", parent=parent)
        grandchild = make_goal(org, lead, f"Grandchild {i}", parent=child)
        make_outcome(org, lead, child, f"Outcome {i}")
        for j in range(tasks_each):
            make_task(org, lead, grandchild if j % 2 else child, f"Work {i}.{j}")


def test_roll_ups_run_the_same_queries_for_a_ten_times_larger_subtree(
    org, lead, lead_membership, django_assert_num_queries
):
    parent = make_goal(org, lead, "Parent")
    grow(org, lead, parent, goals=2, tasks_each=2)

    def read() -> None:
        trees.trace_roots(
            organization=org,
            membership=lead_membership,
            filters=trees.TraceFilters(),
            now=timezone.now(),
        )
        children_of(org, lead_membership, parent)

    with CaptureQueriesContext(connection) as small:
        read()
    grow(org, lead, parent, goals=18, tasks_each=4)
    with django_assert_num_queries(len(small.captured_queries)):
        read()
    assert len(small.captured_queries) == 4  # roots: 1; children: roll-ups, outcomes, tasks


def test_a_goals_tasks_come_live_first_then_newest_page_by_page(
    org, lead, planner, lead_membership, django_assert_num_queries
):
    from goals import services as goal_services

    goal = make_goal(org, lead, "Busy goal")
    outcome = make_outcome(org, lead, goal, "Deals")
    assignee = Membership.objects.get(organization=org, user=planner)
    tasks = [
        make_task(org, lead, goal, f"Task {i}", outcome=outcome, assignee=assignee)
        for i in range(55)
    ]
    for task in tasks[40:]:  # the fifteen newest are done
        work_services.task_set_status(
            organization=org, actor=lead, task=task, status=TaskStatus.DONE
        )

    first = children_of(org, lead_membership, goal).tasks
    second = children_of(org, lead_membership, goal, kind="tasks", page=2).tasks

    expected = [t.number for t in reversed(tasks[:40])] + [t.number for t in reversed(tasks[40:])]
    assert [t.number for t in first.items + second.items] == expected
    assert (first.total, first.remaining, second.remaining) == (55, 5, 0)
    with django_assert_num_queries(0):  # goal, outcome and assignee come loaded
        assert {(t.goal.title, t.outcome.key, t.assignee.user.email) for t in first.items} == {
            ("Busy goal", outcome.key, planner.email)
        }

    # Put on hold: its live work is stranded, but three tasks kept with a reason are no gap.
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    for task in tasks[:3]:
        work_services.task_confirm_link(organization=org, actor=lead, task=task, reason="ok")
        work_services.task_keep(organization=org, actor=lead, task=task, reason="Promised")
    gaps = children_of(org, lead_membership, goal, gaps_only=True).tasks

    assert [t.number for t in gaps.items] == [t.number for t in reversed(tasks[3:40])]
    assert (gaps.total, gaps.remaining) == (37, 0)


def test_starved_goals_in_the_tree_are_the_reconcilers(org, lead, planner, lead_membership):
    from traceability.selectors import coverage_headline, starved_goal_ids

    old = timezone.now() - timedelta(days=30)
    a = make_goal(org, lead, "A")
    a1 = make_goal(org, lead, "A1", parent=a)  # no work: starved
    a2 = make_goal(org, lead, "A2", parent=a)
    make_task(org, planner, a2, "Work")  # covers A2 and A
    b = make_goal(org, lead, "B")
    b1 = make_goal(org, lead, "B1", parent=b)
    done = make_task(org, planner, b1, "Done work")  # finished work covers nothing
    work_services.task_set_status(organization=org, actor=planner, task=done, status="done")
    c = make_goal(org, lead, "C")  # inside the grace period
    d = make_goal(org, lead, "D", status=GoalStatus.ON_HOLD)  # not active: never starved
    make_goal(org, lead, "D1", parent=d)
    Goal.objects.filter(pk__in=[g.pk for g in (a, a1, a2, b, b1, d)]).update(activated_at=old)
    now = timezone.now()

    reference = starved_goal_ids(organization=org, now=now)
    headline = coverage_headline(organization=org, viewer=None, now=now)
    rollups = trees.goal_rollups(
        organization=org, membership=lead_membership, goals=[a, a1, a2, b, b1, c], now=now
    )

    assert reference == {a1.pk, b.pk, b1.pk}
    assert headline.starved_ids == reference
    assert {pk for pk, r in rollups.items() if r.is_starved} == reference
    assert (rollups[a.pk].starved, rollups[b.pk].starved) == (1, 2)
