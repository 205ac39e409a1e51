"""The goal list shows, per goal, what lies under it: live work, outcome progress and gaps,
sub-goals included, in a constant number of queries."""

import re
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from work import services as work_services

URL = "/o/acme/goals/"


def cell(html: str, goal: Goal, column: str) -> str:
    found = re.search(rf'id="goal-row-{goal.number}-{column}">(.*?)</td>', html, re.S)
    assert found, f"no {column} cell for {goal.key}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_each_goal_shows_its_subtrees_work_progress_and_gaps(
    org, lead, planner, viewer, client_for
):
    parent = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    child = make_goal(org, lead, "Win enterprise", parent=parent)
    make_task(org, planner, child, "Pilot", estimate=3)
    make_task(org, planner, child, "Contract", estimate=2)
    outcome = make_outcome(org, lead, child, "Deals", baseline="0", target="10")
    goal_services.check_in_create(
        organization=org, actor=lead, outcome=outcome, value=Decimal("4")
    )  # 40 % of the way
    parked = make_goal(org, lead, "Parked plan")
    stranded = make_task(org, planner, parked, "Left behind")
    kept = make_task(org, planner, parked, "Still needed")
    goal_services.goal_update(organization=org, actor=lead, goal=parked, status=GoalStatus.ON_HOLD)
    work_services.task_keep(organization=org, actor=planner, task=kept, reason="Contract")
    quiet = make_goal(org, lead, "Nobody on it")
    Goal.objects.filter(pk=quiet.pk).update(activated_at=timezone.now() - timedelta(days=30))
    assert stranded.pk

    html = client_for(viewer).get(URL).content.decode()

    # the parent counts its sub-goal's two tasks (5 pts) and progress
    assert cell(html, parent, "live") == "2 tasks 5 pts"
    assert cell(html, child, "live") == "2 tasks 5 pts"
    assert cell(html, parent, "progress") == "40%"
    assert cell(html, child, "progress") == "40%"
    assert cell(html, parent, "gaps") == "None"
    # the goal on hold: its two live tasks, one stranded (and suspect: leaving `active` is a
    # material change) and one kept (keeping it answered the change); the quiet one is starved
    assert cell(html, parked, "live") == "2 tasks 2 pts"
    assert cell(html, parked, "gaps") == "1 stranded (+1 kept) 1 suspect"
    assert cell(html, quiet, "gaps") == "Starved"
    assert cell(html, quiet, "progress") == "— no outcomes"


def test_the_goal_list_runs_the_same_queries_for_3_or_30_goals(org, lead, planner, client_for):
    client = client_for(planner)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    for i in range(3):
        make_task(org, planner, make_goal(org, lead, f"Goal {i}"), estimate=i + 1)
    few = count_queries()
    for i in range(3, 30):
        make_task(org, planner, make_goal(org, lead, f"Goal {i}"), estimate=i + 1)
    assert count_queries() == few
