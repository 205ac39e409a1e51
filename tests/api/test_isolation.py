"""The tenant-isolation harness for the API: every operation under /api/v1/o/<slug>/, found in
the OpenAPI schema (which must describe every URL pattern there), asked with another
organization's token answers 404 and writes nothing; asked with the token of a member who may
not see a confidential goal, every operation about its objects answers 404 and writes nothing,
and every other one answers without a trace of them."""

import json

import pytest

from goals import services as goal_services
from goals.models import Goal
from tests.api.harness import BODIES, OBJECT_KEYWORDS, operations, token_client
from tests.isolation import classify, row_counts

NOT_FOUND_TYPE = "urn:vindaris:problem:not-found"


def test_every_api_route_is_an_operation_the_harness_asks():
    routes = {r.name for r in classify() if r.kind == "api"}
    asked = {op.name for op in operations()}
    assert routes == asked
    assert len(asked) >= 19


def test_every_operation_with_a_body_has_a_valid_one_to_send():
    with_body = {op.name for op in operations() if op.has_body}
    assert with_body == set(BODIES)


def test_object_operations_are_recognised_by_their_path():
    on_object = {op.name for op in operations() if op.on_object}
    assert {"get_goal", "get_task", "get_outcome", "move_task", "create_goal_task"} <= on_object
    assert not {"list_goals", "list_tasks", "capture_task"} & on_object
    assert all(any(k in op.path for k in OBJECT_KEYWORDS) for op in operations() if op.on_object)


def test_another_organizations_token_gets_404_everywhere_and_writes_nothing(
    org, other_org, admin, outsider, secret_world, token_for
):
    client = token_client(token_for(outsider, other_org))  # an admin there, nobody here
    leaks = []
    for op in operations():
        before = row_counts()
        response = op.send(client, secret_world.samples)
        label = f"{op.method} {op.url(secret_world.samples)}"
        if response.status_code != 404:
            leaks.append(f"{label} answered {response.status_code}")
        elif response.json()["type"] != NOT_FOUND_TYPE:
            leaks.append(f"{label} answered {response.content[:200]!r}")
        if row_counts() != before:
            leaks.append(f"{label} wrote")
    assert leaks == []


def test_a_token_on_an_organization_that_does_not_exist_gets_404(org, admin, token_for):
    client = token_client(token_for(admin, org))
    for op in operations():
        samples = {"org_slug": "no-such-org", "goal_number": "1", "outcome_number": "1"}
        samples |= {"task_number": "1", "open_goal_number": "1"}
        assert op.send(client, samples).status_code == 404, op.name


@pytest.mark.parametrize("role", ["planner", "viewer"])
def test_a_member_who_may_not_see_a_confidential_goal_finds_none_of_it(
    org, role, request, secret_world, token_for
):
    user = request.getfixturevalue(role)
    client = token_client(token_for(user, org))
    problems = []
    for op in operations():
        before = row_counts()
        response = op.send(client, secret_world.samples)
        label = f"{op.method} {op.url(secret_world.samples)}"
        body = response.content.decode()
        if op.on_object:
            # A write a viewer's role does not allow is refused before the object is looked up
            # (403, as on the pages): that tells nothing about the object either. Which one is
            # the role matrix's (test_role_matrix.py).
            wanted = {403, 404} if role == "viewer" and op.writes else {404}
            if response.status_code not in wanted:
                problems.append(f"{label} answered {response.status_code}")
            if row_counts() != before:
                problems.append(f"{label} wrote")
        for word in secret_world.hidden_words:
            if word in body:
                problems.append(f"{label} shows {word}: {body[:300]}")
    assert problems == []


def test_the_lists_a_member_may_read_leave_the_hidden_goal_out_but_not_the_rest(
    org, planner, secret_world, api_client, token_for
):
    client = api_client(token_for(planner, org), org)
    goals = [g["title"] for g in client.get("goals/").json()["items"]]
    tasks = [t["title"] for t in client.get("tasks/").json()["items"]]
    assert goals == ["Launch the new checkout"]
    assert tasks == ["Price the plans"]
    # the granted planner sees it all
    client = api_client(token_for(secret_world.granted, org), org)
    goals = [g["title"] for g in client.get("goals/").json()["items"]]
    assert goals == ["Launch the new checkout", "Acquire Initech"]


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        ("get", "goals/", {"parent": "G-{goal_number}"}, "parent"),
        ("get", "tasks/", {"goal": "G-{goal_number}"}, "goal"),
        ("post", "tasks/1/move/", {"to_goal": "G-{goal_number}", "reason": "x"}, "to_goal"),
        ("patch", "goals/{open_goal_number}/", {"parent": "G-{goal_number}"}, "parent"),
    ],
)
def test_naming_a_hidden_goal_in_a_filter_or_a_body_is_an_invalid_choice(
    org,
    lead,
    planner,
    membership_of,
    secret_world,
    api_client,
    token_for,
    method,
    path,
    body,
    field,
):
    """T-1 is the open goal's task; the planner owns the open goal, so may edit it."""
    open_goal = Goal.objects.get(organization=org, number=secret_world.samples["open_goal_number"])
    goal_services.goal_update(
        organization=org, actor=lead, goal=open_goal, owner=membership_of(planner, org)
    )
    client = api_client(token_for(planner, org), org)
    filled = {k: v.format(**secret_world.samples) for k, v in body.items()}
    url = path.format(**secret_world.samples)
    before = row_counts()
    response = client.get(url, filled) if method == "get" else getattr(client, method)(url, filled)
    assert row_counts() == before
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "Initech" not in json.dumps(response.json())
