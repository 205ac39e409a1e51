"""A confidential goal leaves no trace for members without access: every page, fragment, list,
search and export of the organization is fetched as an ungranted planner and as a viewer, and
none names the goal, its sub-goals, outcomes or work. The lead and a planner it was shared with
find it in the same places."""

from datetime import timedelta

import pytest
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Priority
from tests.builders import (
    make_comment,
    make_goal,
    make_import,
    make_outcome,
    make_task,
    make_update,
    make_webhook_delivery,
    make_webhook_endpoint,
)
from tests.factories import MembershipFactory, UserFactory
from tests.isolation import classify, fill
from traceability import services as trace_services
from vindaris.tenancy.models import Role

SECRET = "Initech"

# Query strings that make list pages show everything they can: every filter and gap view.
LIST_QUERIES = {
    "goal_list": ["", "q=nitec", "status=active", "status=on_hold"],
    "work_list": [
        "",
        "q=nitec",
        "status=todo",
        "gap=orphaned",
        "gap=stranded",
        "gap=suspect",
        "status=done",
    ],
    "trace": ["", "gaps=1", "q=nitec", "status=on_hold"],
    "coverage": ["", "sort=-live_effort", "q=nitec"],
    "coverage_goal_options": ["q=nitec", "q=G-"],
}


@pytest.fixture
def world(org, admin, lead, planner, viewer):
    """An open objective with a confidential goal under it, itself holding live, suspect,
    stranded and starved work, an outcome and check-ins; open work beside it."""
    objective = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    open_goal = make_goal(org, lead, "Launch checkout", parent=objective)
    open_outcome = make_outcome(org, lead, open_goal, "Checkout sign-ups")
    open_task = make_task(org, lead, open_goal, "Pricing page", outcome=open_outcome)

    secret = make_goal(
        org, lead, f"Acquire {SECRET}", parent=objective, confidential=True, priority=Priority.P1
    )
    outcome = make_outcome(org, lead, secret, f"{SECRET} workstreams closed")
    make_task(org, lead, secret, f"Review {SECRET} contracts", outcome=outcome, estimate=8)
    make_task(org, lead, secret, f"Model {SECRET} ARR", estimate=5)
    on_hold = make_goal(org, lead, f"Merge {SECRET} payroll", parent=secret)
    make_task(org, lead, on_hold, f"Map {SECRET} payroll codes", estimate=3)
    goal_services.goal_update(organization=org, actor=lead, goal=on_hold, status=GoalStatus.ON_HOLD)
    goal_services.goal_update(organization=org, actor=lead, goal=secret, priority=Priority.P2)
    starved = make_goal(org, lead, f"Retain {SECRET} engineers", parent=secret)
    Goal.objects.filter(pk=starved.pk).update(activated_at=timezone.now() - timedelta(days=30))
    trace_services.flags_reconcile(organization=org)

    granted = MembershipFactory(
        organization=org, role=Role.PLANNER, user=UserFactory(email="granted@acme.test")
    )
    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=granted, access="view"
    )
    endpoint, _secret = make_webhook_endpoint(org, admin)
    samples = {
        "org_slug": org.slug,
        "goal_number": str(objective.number),
        "outcome_number": str(open_outcome.number),
        "task_number": str(open_task.number),
        "import_number": str(make_import(org, lead).number),
        # the open goal's update and comment; webhook pages are admins' (lead's samples here)
        "update_number": str(make_update(org, lead, open_goal).number),
        "comment_number": str(make_comment(org, lead, goal=open_goal).number),
        "endpoint_number": str(endpoint.number),
        "event_id": str(make_webhook_delivery(org, admin, endpoint).event.event_id),
    }
    return {"granted": granted.user, "samples": samples, "secret": secret}


def readable_pages(samples: dict[str, str]) -> list[str]:
    """Every organization URL a GET reads, on the open objects beside the secret, with the list
    pages' filters."""
    paths = []
    for route in classify():
        if route.kind != "organization":
            continue
        path = fill(route.route, samples)
        paths += [f"{path}?{q}" if q else path for q in LIST_QUERIES.get(route.name, [""])]
    return paths


def fetch_all(client, paths: list[str], htmx_headers) -> dict[str, str]:
    bodies = {}
    for path in paths:
        for headers in ({}, htmx_headers):
            response = client.get(path, **headers)
            if response.status_code != 200:
                continue
            if getattr(response, "streaming", False):
                body = b"".join(response.streaming_content).decode()
            else:
                body = response.content.decode()
            bodies[f"{'htmx ' if headers else ''}{path}"] = body
    return bodies


@pytest.mark.parametrize("who", ["planner", "viewer"])
def test_members_without_access_find_nothing_of_it_anywhere(
    who, request, world, client_for, htmx_headers
):
    client = client_for(request.getfixturevalue(who))
    bodies = fetch_all(client, readable_pages(world["samples"]), htmx_headers)
    assert len(bodies) > 40  # the sweep read real pages, not only refusals
    leaks = sorted(path for path, body in bodies.items() if SECRET in body)
    assert leaks == []
    # nor by its key: G-n of the confidential goal appears nowhere
    key = f"G-{world['secret'].number}<"
    assert sorted(path for path, body in bodies.items() if key in body) == []


@pytest.mark.parametrize("who", ["lead", "granted"])
def test_the_lead_and_the_member_it_was_shared_with_find_it(
    who, request, world, client_for, htmx_headers
):
    user = world["granted"] if who == "granted" else request.getfixturevalue(who)
    client = client_for(user)
    org_slug = world["samples"]["org_slug"]
    for path in (
        f"/o/{org_slug}/goals/",
        f"/o/{org_slug}/work/",
        f"/o/{org_slug}/trace/export.csv",
        f"/o/{org_slug}/trace/export.json",
    ):
        bodies = fetch_all(client, [path], htmx_headers)
        assert any(SECRET in body for body in bodies.values()), path
