"""Work through the API: created under a goal (the main write, as on the goal's page),
captured without one only where the organization allows it, listed with the gap filters, read
with why it exists, and changed through the same services as the pages."""

import pytest

from goals import services as goal_services
from goals.models import GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from vindaris.tenancy.models import Membership
from work import services as work_services
from work.models import Origin, Task, TaskEvent


@pytest.fixture
def graph(org, lead):
    """G-1 "Grow revenue" over G-2 "Win mid-market" (with O-1) and G-3 "Enter Spain"; T-1 on
    G-2 aimed at O-1, T-2 orphaned, T-3 on G-3, which then goes on hold (stranded and suspect),
    T-4 on G-2 done."""
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    objective = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    mid = make_goal(org, lead, "Win mid-market", parent=objective)
    spain = make_goal(org, lead, "Enter Spain", parent=objective)
    outcome = make_outcome(org, lead, mid, "New logos")
    make_task(org, lead, mid, "Call prospects", outcome=outcome)
    make_task(org, lead, None, "Fix the invoice export", origin=Origin.QUICK_ADD)
    make_task(org, lead, spain, "Translate the site")
    done = make_task(org, lead, mid, "Hire an SDR")
    work_services.task_set_status(organization=org, actor=lead, task=done, status="done")
    goal_services.goal_update(organization=org, actor=lead, goal=spain, status=GoalStatus.ON_HOLD)
    return objective, mid, spain, outcome


def _task(org, number):
    return Task.objects.select_related("goal", "outcome").get(organization=org, number=number)


def test_work_created_under_a_goal(org, planner, graph, api_as):
    response = api_as(planner).post(
        "goals/2/tasks/",
        {
            "title": "Send the proposal",
            "outcome": "O-1",
            "assignee": "planner@acme.test",
            "estimate": 3,
            "due_date": "2027-01-15",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["key"], body["goal"], body["outcome"], body["origin"]) == (
        "T-5",
        "G-2",
        "O-1",
        "api",
    )
    assert body["assignee"] == {"email": "planner@acme.test", "name": planner.display_name}
    assert body["gaps"] == {"orphaned": False, "stranded": False, "kept": False, "suspect": False}
    task = _task(org, 5)
    assert (task.goal.number, task.estimate, task.created_by) == (2, 3, planner)
    event = TaskEvent.objects.get(organization=org, task=task)
    assert (event.kind, event.to_goal_id) == ("created", task.goal_id)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "x", "outcome": "O-9"}, "outcome"),
        ({"title": "x", "assignee": "nobody@acme.test"}, "assignee"),
        ({"title": "x", "estimate": -1}, "estimate"),
        ({"title": ""}, "title"),
        ({}, "title"),
    ],
)
def test_work_that_cannot_be_created_is_a_422_on_its_field(
    org, planner, graph, api_as, body, field
):
    response = api_as(planner).post("goals/2/tasks/", body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert Task.objects.filter(organization=org).count() == 4


def test_an_outcome_of_another_goal_is_refused(org, lead, planner, graph, api_as):
    make_outcome(org, lead, graph[2], "Spanish revenue")  # O-2, of G-3
    response = api_as(planner).post("goals/2/tasks/", {"title": "x", "outcome": "O-2"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "outcome"


def test_goal_less_capture_only_where_the_organization_allows_it(org, planner, graph, api_as):
    client = api_as(planner)
    response = client.post("tasks/", {"title": "Look into the outage", "estimate": 2})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["goal"], body["origin"], body["gaps"]["orphaned"]) == (None, "api", True)

    org.allow_goalless_work = False
    org.save(update_fields=["allow_goalless_work"])
    response = client.post("tasks/", {"title": "Another loose end"})
    assert response.status_code == 403
    assert "goals/{number}/tasks/" in response.json()["detail"]
    assert Task.objects.filter(organization=org).count() == 5


def test_the_task_list_and_its_filters(org, lead, viewer, graph, api_as):
    client = api_as(viewer)

    def keys(**params):
        response = client.get("tasks/", params)
        assert response.status_code == 200, response.content
        return [t["key"] for t in response.json()["items"]]

    assert keys() == ["T-4", "T-3", "T-2", "T-1"]  # newest first
    assert keys(gap="orphaned") == ["T-2"]
    assert keys(gap="stranded") == ["T-3"]
    assert keys(gap="suspect") == ["T-3"]  # leaving `active` is a material change
    assert keys(gap="kept") == []
    assert keys(status="done") == ["T-4"]
    assert keys(status="live") == ["T-3", "T-2", "T-1"]
    assert keys(goal="G-2") == ["T-4", "T-1"]
    assert keys(goal="G-1") == []
    work_services.task_update(
        organization=org,
        actor=lead,
        task=_task(org, 1),
        assignee=Membership.objects.get(organization=org, user=viewer),
    )
    assert keys(assignee="viewer@acme.test") == ["T-1"]
    stranded = client.get("tasks/", {"gap": "stranded"}).json()["items"][0]
    assert stranded["gaps"] == {"orphaned": False, "stranded": True, "kept": False, "suspect": True}


def test_the_task_list_pages_by_cursor_and_refuses_a_foreign_cursor(org, lead, graph, api_as):
    client = api_as(lead)
    first = client.get("tasks/", {"limit": 3}).json()
    assert [t["key"] for t in first["items"]] == ["T-4", "T-3", "T-2"]
    second = client.get("tasks/", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [t["key"] for t in second["items"]] == ["T-1"]
    assert second["next_cursor"] is None

    goals_cursor = client.get("goals/", {"limit": 1}).json()["next_cursor"]
    for bad in (goals_cursor, "not-a-cursor", "W10"):
        response = client.get("tasks/", {"cursor": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"] == [
            {"field": "cursor", "message": "This cursor does not belong to this list."}
        ]
    assert client.get("tasks/", {"limit": 201}).status_code == 422


def test_a_task_and_why_it_exists(org, viewer, graph, api_as):
    body = api_as(viewer).get("tasks/1/").json()
    assert body["why"]["goal"]["key"] == "G-2"
    assert [g["key"] for g in body["why"]["parents"]] == ["G-1"]
    assert body["why"]["outcome"] == {"key": "O-1", "number": 1, "title": "New logos"}
    orphan = api_as(viewer).get("tasks/2/").json()
    assert orphan["why"] == {"goal": None, "parents": [], "outcome": None}


def test_status_change(org, planner, graph, api_as):
    response = api_as(planner).post("tasks/1/status/", {"status": "blocked", "reason": "Legal"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "blocked"
    event = TaskEvent.objects.filter(organization=org, task=_task(org, 1)).latest("id")
    assert (event.kind, event.from_status, event.to_status, event.reason) == (
        "status",
        "todo",
        "blocked",
        "Legal",
    )
    assert api_as(planner).post("tasks/1/status/", {"status": "lost"}).status_code == 422


def test_move_to_another_goal(org, planner, graph, api_as):
    client = api_as(planner)
    response = client.post(
        "tasks/3/move/", {"to_goal": "G-2", "outcome": "O-1", "reason": "Spain waits"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["goal"], body["outcome"], body["gaps"]["stranded"], body["gaps"]["suspect"]) == (
        "G-2",
        "O-1",
        False,
        False,
    )
    assert client.post("tasks/3/move/", {"to_goal": "G-2", "reason": "again"}).status_code == 422
    no_reason = client.post("tasks/3/move/", {"to_goal": "G-1", "reason": ""})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    assert _task(org, 3).goal.number == 2


def test_confirm_resolves_a_suspect_link_and_keep_a_stranded_task(org, planner, graph, api_as):
    client = api_as(planner)
    kept = client.post("tasks/3/keep/", {"reason": "Contract signed already"})
    assert kept.status_code == 200, kept.content
    assert kept.json()["gaps"] == {
        "orphaned": False,
        "stranded": False,
        "kept": True,
        "suspect": False,
    }
    assert kept.json()["kept_reason"] == "Contract signed already"

    confirmed = client.post("tasks/3/confirm/", {})
    assert confirmed.status_code == 200
    assert confirmed.json()["gaps"]["stranded"] is True  # confirming ends the keep
    # a task on an active goal cannot be kept; one without a goal has no link to confirm
    assert client.post("tasks/1/keep/", {"reason": "why not"}).status_code == 422
    response = client.post("tasks/2/confirm/", {})
    assert response.status_code == 422
    assert "no link to confirm" in response.json()["detail"]
