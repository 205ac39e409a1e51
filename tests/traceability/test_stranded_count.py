"""One word, one number: "stranded" is live work under a goal that is not active and that
nobody chose to keep; kept work is counted apart, as kept, on every page that counts it."""

import re

import pytest
from django.utils import timezone

from goals import services as goal_services
from goals.models import GoalStatus
from tests.builders import make_goal, make_task
from traceability import selectors, services
from work import services as work_services


@pytest.fixture
def parked(org, lead, planner):
    """A goal put on hold with three live tasks under it, one of them kept with a reason."""
    goal = make_goal(org, lead, "Parked plan")
    tasks = [make_task(org, planner, goal, f"Work {i}") for i in range(3)]
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    work_services.task_keep(organization=org, actor=planner, task=tasks[0], reason="Contract")
    return goal, tasks


def test_the_goal_page_counts_two_stranded_and_one_kept(org, viewer, parked, client_for):
    goal, _ = parked
    html = client_for(viewer).get(f"/o/acme/goals/{goal.number}/").content.decode()

    assert re.search(rf'id="goal-{goal.number}-stranded">2<', html)
    assert re.search(rf'id="goal-{goal.number}-kept">\(\+1 kept\)<', html)
    assert "(2 tasks, +1 kept)" in html


def test_the_headline_the_snapshot_and_the_flags_agree(org, parked):
    now = timezone.now()
    headline = selectors.coverage_headline(organization=org, viewer=None, now=now)
    snapshot = services.snapshot_take(organization=org, now=now)
    services.flags_reconcile(organization=org, now=now)
    stranded_flags = [f for f in selectors.open_flags(organization=org) if f.kind == "stranded"]

    assert (headline.stranded, headline.kept) == (2, 1)
    assert (snapshot.stranded, snapshot.kept) == (2, 1)
    assert (snapshot.public_stranded, snapshot.public_kept) == (2, 1)
    assert len(stranded_flags) == 2


def test_the_trace_badge_says_two_stranded_plus_one_kept(org, viewer, parked, client_for):
    goal, _ = parked
    html = client_for(viewer).get("/o/acme/trace/", {"status": "on_hold"}).content.decode()

    node = re.search(rf'id="trace-g-{goal.number}".*?</li>', html, re.S).group(0)
    assert "2 stranded (+1 kept)" in node


def test_the_work_list_filters_stranded_and_kept_apart(org, viewer, parked, client_for):
    _, (kept, a, b) = parked
    client = client_for(viewer)

    def listed(gap: str) -> set[int]:
        html = client.get("/o/acme/work/", {"gap": gap}).content.decode()
        return {int(n) for n in re.findall(r'<tr id="task-(\d+)"', html)}

    assert listed("stranded") == {a.number, b.number}
    assert listed("kept") == {kept.number}
    assert listed("") >= {kept.number, a.number, b.number}
