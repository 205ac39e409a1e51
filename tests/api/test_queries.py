"""Every read operation, and the writes, run the same number of queries whatever the data size:
each is counted on a small organization, then asked again after the organization grew tenfold
(more goals, outcomes, check-ins, tasks and flags than a page shows)."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Priority
from tests.api.harness import operations, token_client
from tests.builders import make_goal, make_outcome, make_task
from traceability import services as trace_services
from vindaris.tenancy.models import Membership
from work import services as work_services
from work.models import Origin

# Reads asked with their filters too.
QUERIES = {
    "list_goals": ["", "status=active&priority=P2&parent=G-1", "owner=lead@acme.test"],
    "list_tasks": [
        "",
        "gap=suspect",
        "gap=orphaned&status=live",
        "goal=G-1&assignee=lead@acme.test",
    ],
    "list_flags": ["", "kind=suspect"],
    "list_goal_coverage": ["", "limit=5"],
    "list_members": [""],
}


def grow(org, lead, goals: int, start: int) -> None:
    """`goals` more goals under G-1, each with an outcome checked in once, three tasks (one
    credited, one assigned to the lead) and some orphaned work; two goals in three are put on
    hold (their work stranded and suspect)."""
    if start == 0:
        parent = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    else:
        parent = Goal.objects.get(organization=org, number=1)
    lead_m = Membership.objects.get(organization=org, user=lead)
    for i in range(start, start + goals):
        goal = make_goal(org, lead, f"Goal {i}", parent=parent, owner=lead_m)
        outcome = make_outcome(org, lead, goal, f"Outcome {i}")
        tasks = [
            make_task(org, lead, goal, f"Task {i}.{j}", outcome=outcome if j == 0 else None)
            for j in range(3)
        ]
        work_services.task_update(organization=org, actor=lead, task=tasks[1], assignee=lead_m)
        work_services.check_in_record(
            organization=org,
            actor=lead,
            outcome=outcome,
            value=Decimal("150"),
            credited_tasks=[tasks[0]],
        )
        make_task(org, lead, None, f"Loose end {i}", origin=Origin.QUICK_ADD)
        if i % 3 != 1:
            goal_services.goal_update(
                organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
            )
    # work of G-1's own, so that the samples' T-1 … T-3 are G-1's
    if start == 0:
        for j in range(3):
            make_task(org, lead, parent, f"Own task {j}")
    trace_services.flags_reconcile(organization=org)


def _requests(samples):
    """(label, send) for every operation asked: each read with its filters, and the writes."""
    asked = []
    for op in operations():
        if op.writes:
            asked.append((op.name, op))
            continue
        for query in QUERIES.get(op.name, [""]):
            asked.append((f"{op.name}?{query}", op))
    return asked


WRITE_BODIES = {
    # each asked twice (small, then large): bodies that succeed both times, the same way
    "create_goal": [{"title": "Enter the Nordics"}, {"title": "Enter Benelux"}],
    "update_goal": [{"description": "One"}, {"description": "Two"}],
    "create_check_in": [{"value": "160", "credited_tasks": ["T-2"]}] * 2,
    "create_goal_task": [{"title": "Send the proposal", "outcome": "O-1"}] * 2,
    "capture_task": [{"title": "Look into the outage"}] * 2,
    "set_task_status": [{"status": "in_progress"}, {"status": "blocked"}],
    # T-1 goes from G-2 to G-4 and back: both on hold, so it can be kept each time
    "move_task": [{"to_goal": "G-4", "reason": "Belongs there"}, {"to_goal": "G-2", "reason": "x"}],
    "confirm_task": [{"reason": "Still right"}] * 2,
    "keep_task": [{"reason": "Signed"}] * 2,
}


@pytest.fixture
def measured(org, lead, token_for, settings):
    settings.API_RATE_LIMIT = 100_000
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    client = token_client(token_for(lead, org))
    client.get(f"/api/v1/o/{org.slug}/members/")  # the token's first use is recorded once
    return client


def _count(client, op, label, samples, round_):
    url = op.url(samples) + (f"?{label.split('?', 1)[1]}" if "?" in label else "")
    with CaptureQueriesContext(connection) as ctx:
        if op.writes:
            body = WRITE_BODIES[op.name][round_]
            response = getattr(client, op.method.lower())(url, json.dumps(body), "application/json")
        else:
            response = client.get(url)
    assert response.status_code < 500, (label, response.content)
    return len(ctx.captured_queries), response.status_code


def test_every_operation_runs_the_same_queries_for_small_and_large_organizations(
    org, lead, measured
):
    grow(org, lead, 3, 0)
    # T-1 … T-3 serve G-2 (the first goal under G-1, on hold), O-1 is its outcome
    samples = {
        "org_slug": org.slug,
        "goal_number": "2",
        "outcome_number": "1",
        "task_number": "1",
    }
    requests = _requests(samples)
    assert {op.name for _, op in requests} == {op.name for op in operations()}
    small = {label: _count(measured, op, label, samples, 0) for label, op in requests}
    grow(org, lead, 30, 3)
    large = {label: _count(measured, op, label, samples, 1) for label, op in requests}

    assert large == small
    # and nothing was refused on the way: the counts are of the real work
    assert [label for label, (_, status) in small.items() if status >= 400] == []
