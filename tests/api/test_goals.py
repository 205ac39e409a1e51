"""Goals, outcomes and check-ins through the API: lists and filters, the goal with its
figures, creating and changing goals through the same services as the pages (a material change
makes the work suspect), check-ins crediting tasks."""

from decimal import Decimal

import pytest

from goals.models import CheckIn, Goal, GoalEvent, GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from traceability import services as trace_services
from vindaris.tenancy.models import Membership
from work import services as work_services
from work.models import CheckInCredit, Task


@pytest.fixture
def tree(org, lead, planner):
    """G-1 "Grow revenue" (P1) over G-2 "Win mid-market" (active) and G-3 "Enter Spain" (on
    hold); work on each, an outcome of G-2 checked in halfway."""
    objective = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    mid = make_goal(org, lead, "Win mid-market", parent=objective)
    spain = make_goal(org, lead, "Enter Spain", parent=objective, status=GoalStatus.ON_HOLD)
    outcome = make_outcome(org, lead, mid, "New logos", baseline="100", target="200")
    make_task(org, lead, objective, "Set the targets", estimate=1)
    calls = make_task(org, lead, mid, "Call prospects", estimate=2, outcome=outcome)
    make_task(org, lead, mid, "Write the pitch", estimate=3)
    make_task(org, lead, mid, "Run the webinar", estimate=5)
    done = make_task(org, lead, mid, "Hire an SDR", estimate=4)
    work_services.task_set_status(organization=org, actor=lead, task=done, status="done")
    make_task(org, lead, spain, "Translate the site", estimate=2)
    work_services.check_in_record(
        organization=org, actor=lead, outcome=outcome, value=Decimal("150"), credited_tasks=[calls]
    )
    return objective, mid, spain, outcome


def test_the_goal_list_is_by_number_and_filters(org, lead, planner, tree, api_as):
    client = api_as(planner)
    listed = client.get("goals/").json()
    assert [g["key"] for g in listed["items"]] == ["G-1", "G-2", "G-3"]
    assert listed["next_cursor"] is None
    mid = listed["items"][1]
    assert (mid["parent"], mid["priority"], mid["status"]) == ("G-1", "P2", "active")
    assert mid["url"].endswith(f"/o/{org.slug}/goals/2/")

    def keys(**params):
        response = client.get("goals/", params)
        assert response.status_code == 200, response.content
        return [g["key"] for g in response.json()["items"]]

    assert keys(status="on_hold") == ["G-3"]
    assert keys(priority="P1") == ["G-1"]
    assert keys(parent="G-1") == ["G-2", "G-3"]
    assert keys(top_level="true") == ["G-1"]
    assert keys(owner="planner@acme.test") == []
    Goal.objects.filter(organization=org, number=3).update(
        owner=Membership.objects.get(organization=org, user=planner)
    )
    assert keys(owner="PLANNER@acme.test") == ["G-3"]


def test_the_goal_list_pages_by_cursor(org, lead, api_as):
    for i in range(5):
        make_goal(org, lead, f"Goal {i}")
    client = api_as(lead)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("goals/", params).json()
        seen += [g["key"] for g in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["G-1", "G-2", "G-3", "G-4", "G-5"]
    assert pages == 3


def test_a_goal_with_its_figures(org, planner, tree, api_as):
    client = api_as(planner)
    mid = client.get("goals/2/").json()
    assert [a["key"] for a in mid["ancestors"]] == ["G-1"]
    # its own work: three live tasks (2 + 3 + 5 points), one done (4 points)
    assert mid["work"] == {
        "live_tasks": 3,
        "live_effort": 10,
        "done_tasks": 1,
        "done_effort": 4,
        "done_percent": 29,  # 4 of 14 points
        "suspect": 0,
        "stranded": 0,
        "kept": 0,
    }
    assert mid["outcomes"][0]["key"] == "O-1"
    assert mid["outcomes"][0]["current"] == "150.00"
    assert mid["outcomes"][0]["progress"] == 50

    objective = client.get("goals/1/").json()
    assert objective["work"]["live_tasks"] == 1
    # the subtree: its own task, G-2's three and G-3's stranded one
    sub = objective["subtree"]
    assert (sub["live_tasks"], sub["live_effort"], sub["done_effort"]) == (5, 13, 4)
    assert (sub["stranded"], sub["suspect"], sub["outcomes"], sub["outcome_progress"]) == (
        1,
        0,
        1,
        50,
    )
    assert objective["open_flags"] == {"stranded": 0, "suspect": 0, "starved": 0}

    trace_services.flags_reconcile(organization=org)
    spain = client.get("goals/3/").json()
    assert spain["work"]["stranded"] == 1
    assert spain["open_flags"]["stranded"] == 1


def test_a_lead_creates_a_goal(org, lead, planner, tree, api_as):
    response = api_as(lead).post(
        "goals/",
        {
            "title": "Enter the Nordics",
            "parent": "G-1",
            "owner": "planner@acme.test",
            "priority": "P3",
            "status": "active",
            "start_date": "2027-01-01",
            "end_date": "2027-03-31",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["key"], body["parent"], body["owner"]["email"]) == (
        "G-4",
        "G-1",
        "planner@acme.test",
    )
    goal = Goal.objects.get(organization=org, number=4)
    assert (goal.priority, goal.status, goal.created_by) == (3, "active", lead)
    assert GoalEvent.objects.filter(organization=org, goal=goal, kind="created").count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "x", "parent": "G-99"}, "parent"),
        ({"title": "x", "owner": "nobody@acme.test"}, "owner"),
        ({"title": "x", "start_date": "2027-02-01", "end_date": "2027-01-01"}, "end_date"),
        ({"title": "   "}, "title"),
        ({"title": "x", "priority": "P9"}, "priority"),
        ({"title": "x" * 201}, "title"),
        ({"title": "bad\u0000title"}, "title"),
    ],
)
def test_a_goal_that_cannot_be_made_is_a_422_on_its_field(org, lead, tree, api_as, body, field):
    response = api_as(lead).post("goals/", body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert Goal.objects.filter(organization=org).count() == 3


def test_a_material_change_makes_the_goals_work_suspect(org, lead, tree, api_as):
    client = api_as(lead)
    response = client.patch("goals/2/", {"priority": "P3", "description": "Narrower"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["priority"] == "P3"
    assert body["material_change"] == "priority lowered P2 → P3"
    assert body["work"]["suspect"] == 3  # its live tasks, not the done one
    suspect = client.get("tasks/", {"gap": "suspect"}).json()["items"]
    assert sorted(t["title"] for t in suspect) == [
        "Call prospects",
        "Run the webinar",
        "Write the pitch",
    ]
    # a change that is not material leaves the links alone
    client.patch("goals/1/", {"description": "Why we grow"})
    assert client.get("goals/1/").json()["work"]["suspect"] == 0


def test_nothing_sent_changes_nothing(org, lead, tree, api_as):
    before = Goal.objects.get(organization=org, number=2).updated_at
    assert api_as(lead).patch("goals/2/", {}).status_code == 200
    assert Goal.objects.get(organization=org, number=2).updated_at == before


def test_a_goal_cannot_go_under_itself(org, lead, tree, api_as):
    response = api_as(lead).patch("goals/1/", {"parent": "G-2"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent"


def test_required_fields_cannot_be_emptied(org, lead, tree, api_as):
    response = api_as(lead).patch("goals/1/", {"title": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "title"


def test_an_editor_who_does_not_share_the_goal_keeps_its_owner_and_confidentiality(
    org, lead, planner, tree, api_as
):
    from goals import services as goal_services

    goal = Goal.objects.get(organization=org, number=2)
    member = Membership.objects.get(organization=org, user=planner)
    goal_services.goal_share(
        organization=org, actor=lead, goal=goal, member=member, access="change"
    )
    client = api_as(planner)
    assert client.patch("goals/2/", {"title": "Win the mid-market"}).status_code == 200
    assert client.patch("goals/2/", {"confidential": True}).status_code == 403
    assert client.patch("goals/2/", {"owner": "planner@acme.test"}).status_code == 403
    goal.refresh_from_db()
    assert (goal.title, goal.confidential, goal.owner_id) == ("Win the mid-market", False, None)


def test_outcomes_of_a_goal_and_an_outcome_with_its_check_ins(org, viewer, tree, api_as):
    client = api_as(viewer)
    assert [o["key"] for o in client.get("goals/2/outcomes/").json()["items"]] == ["O-1"]
    assert client.get("goals/1/outcomes/").json()["items"] == []
    outcome = client.get("outcomes/1/").json()
    assert (outcome["goal"], outcome["baseline"], outcome["target"]) == ("G-2", "100.00", "200.00")
    (check_in,) = outcome["check_ins"]
    assert (check_in["previous_value"], check_in["value"]) == ("100.00", "150.00")
    assert check_in["credited_tasks"] == ["T-2"]
    assert check_in["author"]["email"] == "lead@acme.test"


def test_a_planner_checks_in_crediting_the_goals_tasks(org, planner, tree, api_as):
    response = api_as(planner).post(
        "outcomes/1/check-ins/",
        {"value": "175.5", "note": "Two new logos", "credited_tasks": ["T-3", "T-4"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["previous_value"], body["value"], body["credited_tasks"]) == (
        "150.00",
        "175.50",
        ["T-3", "T-4"],
    )
    check_in = CheckIn.objects.filter(organization=org).latest("id")
    credited = CheckInCredit.objects.filter(organization=org, check_in=check_in)
    assert sorted(credited.values_list("task__number", flat=True)) == [3, 4]
    assert check_in.outcome.current == Decimal("175.50")


def test_only_the_goals_own_tasks_can_be_credited(org, planner, tree, api_as):
    response = api_as(planner).post(
        "outcomes/1/check-ins/", {"value": "180", "credited_tasks": ["T-1"]}
    )  # T-1 serves G-1, not G-2
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "credited_tasks"
    assert CheckIn.objects.filter(organization=org).count() == 1


@pytest.mark.parametrize("value", ["NaN", "1e20", "abc", "123.456"])
def test_a_value_that_is_not_a_two_decimal_number_is_422(org, planner, tree, api_as, value):
    response = api_as(planner).post("outcomes/1/check-ins/", {"value": value})
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "value"
    assert Task.objects.filter(organization=org).count() == 6
