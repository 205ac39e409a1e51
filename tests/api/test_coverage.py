"""Coverage through the API: the headline figures, each active goal's figures under the
funding rule, the open flags, over what the token's member may see; and the members."""

from datetime import timedelta

import pytest
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Priority
from tests.builders import make_goal, make_task
from traceability import services as trace_services
from work.models import Origin


@pytest.fixture
def world(org, lead):
    """G-1 active (P1) with 3 live points; G-2 on hold with 2 (stranded, and suspect: leaving
    `active` is a material change); 5 orphaned points; G-3 active (P3), without work for ten
    days: starved; G-4 confidential, active (P2), with 4 points whose link turned suspect."""
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    grow = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    spain = make_goal(org, lead, "Enter Spain")
    data = make_goal(org, lead, "Hire a data team", priority=Priority.P3)
    secret = make_goal(org, lead, "Acquire Initech", confidential=True)
    make_task(org, lead, grow, "Call prospects", estimate=3)
    make_task(org, lead, spain, "Translate the site", estimate=2)
    make_task(org, lead, None, "Fix the invoice export", estimate=5, origin=Origin.QUICK_ADD)
    make_task(org, lead, secret, "Review Initech's contracts", estimate=4)
    goal_services.goal_update(organization=org, actor=lead, goal=spain, status=GoalStatus.ON_HOLD)
    goal_services.goal_update(
        organization=org, actor=lead, goal=secret, title="Acquire Initech Ltd"
    )
    ten_days_ago = timezone.now() - timedelta(days=10)
    Goal.objects.filter(organization=org).update(activated_at=ten_days_ago, created_at=ten_days_ago)
    trace_services.flags_reconcile(organization=org)
    return grow, spain, data, secret


def test_the_headline_over_what_the_member_sees(org, lead, planner, world, api_as):
    assert api_as(planner).get("coverage/").json() == {
        "live_effort": 10,  # 3 + 2 + 5
        "linked_effort": 3,
        "linked_ratio": 0.3,
        "orphaned": 1,
        "stranded": 1,
        "kept": 0,
        "suspect": 1,
        "starved": 1,
    }
    everything = api_as(lead).get("coverage/").json()
    assert (everything["live_effort"], everything["linked_effort"], everything["suspect"]) == (
        14,
        7,
        2,
    )


def test_each_active_goals_figures(org, lead, planner, world, api_as):
    rows = api_as(planner).get("coverage/goals/").json()["items"]
    assert [r["goal"] for r in rows] == ["G-1", "G-3"]  # the tree's order: P1 before P3
    grow, data = rows
    # among the top-level active goals the planner sees: 3 points in all, weights 8 and 2
    assert (grow["live_effort"], grow["share"], grow["implied_share"], grow["funding"]) == (
        3,
        1.0,
        0.8,
        "",
    )
    assert (data["live_effort"], data["share"], data["implied_share"], data["funding"]) == (
        0,
        0.0,
        0.2,
        "under",
    )
    assert data["starved"] is True

    lead_rows = api_as(lead).get("coverage/goals/", {"limit": 2}).json()
    assert [r["goal"] for r in lead_rows["items"]] == ["G-1", "G-4"]
    more = api_as(lead).get("coverage/goals/", {"limit": 2, "cursor": lead_rows["next_cursor"]})
    assert [r["goal"] for r in more.json()["items"]] == ["G-3"]
    assert more.json()["next_cursor"] is None


def test_open_flags_on_what_the_member_sees(org, lead, planner, world, api_as):
    def flags(client, **params):
        return sorted(
            (f["kind"], f["task"] or f["goal"])
            for f in client.get("coverage/flags/", params).json()["items"]
        )

    assert flags(api_as(planner)) == [
        ("orphaned", "T-3"),
        ("starved", "G-3"),
        ("stranded", "T-2"),
        ("suspect", "T-2"),
    ]
    assert ("suspect", "T-4") in flags(api_as(lead))
    assert flags(api_as(planner), kind="starved") == [("starved", "G-3")]


def test_the_members_and_their_roles(org, admin, lead, planner, viewer, api_as):
    client = api_as(viewer)
    first = client.get("members/", {"limit": 3}).json()
    rest = client.get("members/", {"limit": 3, "cursor": first["next_cursor"]}).json()
    members = [(m["email"], m["role"]) for m in first["items"] + rest["items"]]
    assert members == [
        ("admin@acme.test", "admin"),
        ("lead@acme.test", "lead"),
        ("planner@acme.test", "planner"),
        ("viewer@acme.test", "viewer"),
    ]
    assert rest["next_cursor"] is None
