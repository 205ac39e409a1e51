"""Effort against priority on a nested goal tree: each active goal judged by the live effort
in its subtree among its active siblings. Every expected share is worked out by hand below."""

import re
from dataclasses import dataclass
from fractions import Fraction

import pytest
from django.core import mail
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Priority
from tests.builders import make_goal, make_task
from traceability import selectors, services
from traceability.clock import week_of
from vindaris.lib.numbers import percent_label
from work.models import Task

URL = "/o/acme/coverage/"


@dataclass
class Tree:
    """Weights P1 = 8, P2 = 4, P3 = 2, P4 = 1.

    A   P1  own 2 pts                       subtree 2 + 13 + 8 = 23
      A1  P1  own 10 pts                    subtree 13
        A1a P2  3 pts                       subtree 3 (an only child: 100 % of 100 %)
      A2  P3  own 4 + 2 pts                 subtree 8
        A2a P1  2 pts                       subtree 2 (an only child)
      A3  on hold, 4 pts (stranded: counts in nobody's subtree)
    B   P2  no work of its own              subtree 5
      B1  P2  5 pts                         subtree 5 (an only child)
    C   P4  no work                         subtree 0

    Top level (A, B, C): effort 23 + 5 + 0 = 28, weight 8 + 4 + 1 = 13.
      A 23/28 = 82 % vs 8/13 = 62 %: in range (x1.33); judged by its own 2 pts it would be
        under-funded
      B  5/28 = 18 % vs 4/13 = 31 %: in range (x0.58)
      C  0/28 =  0 % vs 1/13 =  8 %: under-funded
    Under A (A1, A2): effort 13 + 8 = 21, weight 8 + 2 = 10.
      A1 13/21 = 62 % vs 8/10 = 80 %: in range (x0.77)
      A2  8/21 = 38 % vs 2/10 = 20 %: over-funded (x1.9), and P3: its subtree is work to stop
    """

    a: Goal
    a1: Goal
    a1a: Goal
    a2: Goal
    a2a: Goal
    a3: Goal
    b: Goal
    b1: Goal
    c: Goal
    a2_big: Task
    a2_small: Task
    a2a_task: Task
    a3_task: Task


@pytest.fixture
def tree(org, lead, planner) -> Tree:
    a = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    a1 = make_goal(org, lead, "Win enterprise", parent=a, priority=Priority.P1)
    a1a = make_goal(org, lead, "Enterprise SSO", parent=a1, priority=Priority.P2)
    a2 = make_goal(org, lead, "Polish the website", parent=a, priority=Priority.P3)
    a2a = make_goal(org, lead, "New pricing page", parent=a2, priority=Priority.P1)
    a3 = make_goal(org, lead, "Partner channel", parent=a, priority=Priority.P2)
    b = make_goal(org, lead, "Reduce costs", priority=Priority.P2)
    b1 = make_goal(org, lead, "Cheaper hosting", parent=b, priority=Priority.P2)
    c = make_goal(org, lead, "Tidy up", priority=Priority.P4)
    make_task(org, planner, a, "Quarterly review", estimate=2)
    make_task(org, planner, a1, "Enterprise pilot", estimate=10)
    make_task(org, planner, a1a, "SAML login", estimate=3)
    a2_big = make_task(org, planner, a2, "Redesign the home page", estimate=4)
    a2_small = make_task(org, planner, a2, "New footer", estimate=2)
    a2a_task = make_task(org, planner, a2a, "Pricing table", estimate=2)
    a3_task = make_task(org, planner, a3, "Partner deck", estimate=4)
    make_task(org, planner, b1, "Move to reserved instances", estimate=5)
    goal_services.goal_update(organization=org, actor=lead, goal=a3, status=GoalStatus.ON_HOLD)
    return Tree(a, a1, a1a, a2, a2a, a3, b, b1, c, a2_big, a2_small, a2a_task, a3_task)


def table_of(org, viewer=None):
    overview = selectors.coverage_overview(
        organization=org, viewer=viewer, now=timezone.now(), table=selectors.GoalTableQuery()
    )
    return overview, overview.table


def test_each_goal_is_judged_by_its_subtree_among_its_siblings(org, tree):
    _, table = table_of(org)
    f = {row.number: row.funding for row in table.rows}

    def shares(goal):
        g = f[goal.number]
        return (Fraction(g.effort, g.group_effort or 1), Fraction(g.weight, g.group_weight))

    assert shares(tree.a) == (Fraction(23, 28), Fraction(8, 13))
    assert shares(tree.b) == (Fraction(5, 28), Fraction(4, 13))
    assert shares(tree.c) == (Fraction(0, 28), Fraction(1, 13))
    assert shares(tree.a1) == (Fraction(13, 21), Fraction(8, 10))
    assert shares(tree.a2) == (Fraction(8, 21), Fraction(2, 10))
    assert shares(tree.a1a) == shares(tree.a2a) == shares(tree.b1) == (1, 1)
    verdicts = {
        goal: f[getattr(tree, goal).number].verdict
        for goal in ("a", "a1", "a1a", "a2", "a2a", "b", "b1", "c")
    }
    assert verdicts == {
        "a": "",  # in range: its sub-goals' work counts, so the parent is not "under-funded"
        "a1": "",
        "a1a": "",
        "a2": "over",
        "a2a": "",
        "b": "",  # no work of its own, funded through B1
        "b1": "",
        "c": "under",
    }
    assert tree.a3.number not in f  # not active


def test_a_parent_is_judged_by_its_own_work_too(org, lead, planner, tree):
    def a_funding():
        _, table = table_of(org)
        return next(row.funding for row in table.rows if row.number == tree.a.number)

    # 7 more points on A itself: 30 of 35 at the top level, 86 % against 62 %: in range
    # (2 * 30 * 13 = 780 is not above 3 * 8 * 35 = 840).
    make_task(org, planner, tree.a, "More reviews", estimate=7)
    a = a_funding()
    assert (a.effort, a.group_effort, a.verdict) == (30, 35, "")

    # 34 more: 64 of 69, and 2 * 64 * 13 = 1664 is above 3 * 8 * 69 = 1656: over-funded.
    make_task(org, planner, tree.a, "Many more reviews", estimate=34)
    a = a_funding()
    assert (a.effort, a.group_effort, a.verdict) == (64, 69, "over")


def test_the_table_shows_the_goal_tree_with_exact_small_shares(org, viewer, tree, client_for):
    html = client_for(viewer).get(URL).content.decode()

    order = [int(n) for n in re.findall(r'id="coverage-goal-(\d+)"', html)]
    expected = [tree.a, tree.a1, tree.a1a, tree.a2, tree.a2a, tree.b, tree.b1, tree.c]
    assert order == [g.number for g in expected]  # each goal under its parent, P1 first
    row = re.search(rf'id="coverage-goal-{tree.a2.number}".*?</tr>', html, re.S).group(0)
    assert 'style="--depth: 1"' in row
    assert "38%" in row and "20%" in row and "Over-funded" in row
    row = re.search(rf'id="coverage-goal-{tree.a.number}".*?</tr>', html, re.S).group(0)
    assert "23 pts" in row and "(2 own)" in row and "In range" in row
    assert "compared with its active siblings" in html


def test_what_to_stop_is_the_over_funded_low_priority_subtree(org, viewer, tree, client_for):
    overview, _ = table_of(org)
    items, _ = selectors.stop_candidates(organization=org, overview=overview)

    # A2's own work and A2a's (a P1 goal, but inside the over-funded P3 branch), and A3's
    # stranded work; not A1's: A1 is P1 and in range.
    # stranded work; largest effort first, the newest first among equals.
    assert [i.task.number for i in items] == [
        tree.a3_task.number,
        tree.a2_big.number,
        tree.a2a_task.number,
        tree.a2_small.number,
    ]
    by_task = {i.task.number: i for i in items}
    assert by_task[tree.a3_task.number].stranded
    assert by_task[tree.a2a_task.number].over.number == tree.a2.number
    assert by_task[tree.a2a_task.number].why == (
        f"over-funded (under {tree.a2.key}): {tree.a2.key} gets 38% of its siblings' live "
        "effort, its priority implies 20%"
    )
    html = client_for(viewer).get(URL).content.decode()
    row = re.search(rf'id="stop-task-{tree.a2a_task.number}".*?</tr>', html, re.S).group(0)
    assert f'under <a href="/o/acme/goals/{tree.a2.number}/">{tree.a2.key}</a>' in row


def test_the_topmost_over_funded_ancestor_names_the_reason(org, lead, planner, tree):
    # A2a gets a P4 sibling with far more work than its weight: A2aa over-funded under A2,
    # itself over-funded under A. The work is listed once, for A2 (the topmost).
    extra = make_goal(org, lead, "Pricing experiments", parent=tree.a2, priority=Priority.P4)
    task = make_task(org, planner, extra, "A/B test", estimate=9)
    overview, _ = table_of(org)

    items, _ = selectors.stop_candidates(organization=org, overview=overview)

    numbers = [i.task.number for i in items]
    assert numbers.count(task.number) == 1
    assert next(i for i in items if i.task.number == task.number).over.number == tree.a2.number


@pytest.mark.parametrize(
    ("share", "label"),
    [
        (None, "—"),
        (0, "0%"),
        (0.0004, "<0.1%"),
        (0.004, "0.4%"),
        (0.0125, "1%"),
        (0.5, "50%"),
        (0.996, ">99%"),
        (1, "100%"),
    ],
)
def test_small_shares_are_shown_as_they_are(share, label):
    assert percent_label(share) == label


def test_hundreds_of_siblings_show_their_real_shares(org, lead, planner, client_for, viewer):
    # 300 top-level P2 goals and one P1: each P2 goal's implied share is 4/1208 = 0.33 %.
    goals = [make_goal(org, lead, f"Goal {i}", priority=Priority.P2) for i in range(300)]
    make_goal(org, lead, "The big one", priority=Priority.P1)
    make_task(org, planner, goals[0], estimate=1)
    _, table = table_of(org)
    row = next(r for r in table.rows if r.number == goals[1].number)

    assert row.funding.implied_label == "0.3%"
    assert row.funding.share_label == "0%"


def test_the_digest_names_what_to_stop_by_the_same_rule(org, lead, planner, tree):
    now = timezone.now()
    services.digest_send_weekly(organization=org, week=week_of(org, now), now=now)

    [to_lead] = [m for m in mail.outbox if m.to == [lead.email]]
    # A3's stranded 4 pts, and A2's branch (4 + 2 + 2 pts): four tasks, 12 pts
    assert "What should we stop? 4 live tasks (12 pts)" in to_lead.body
    assert (
        f"- {tree.a2.key} Polish the website: 38% of its siblings' effort, its priority implies 20%"
    ) in to_lead.body
    to_planner = [m for m in mail.outbox if m.to == [planner.email]]
    assert all("What should we stop?" not in m.body for m in to_planner)
