"""The API keeps to its OpenAPI schema: schemathesis generates requests for every operation
from /api/v1/openapi.json (valid ones and, as its negative mode, invalid ones), sends them with
a valid token to an organization with data, and checks that none is a server error and that
every answer conforms to the schema (status code, content type, body).

Generated numbers are folded onto the objects that exist (G-1…G-3, O-1…O-2, T-1…T-5), so the
requests reach the code behind the lookups instead of stopping at a 404."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from goals.models import GoalStatus
from tests.builders import make_goal, make_outcome, make_task
from work.models import Origin

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# How many of each object the world below has, for the numbers in paths.
EXISTING = {"goal_number": 3, "outcome_number": 2, "task_number": 5}


# The schema, loaded from the running application as a client would (the schema's own URL needs
# no database).
APPLICATION = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APPLICATION)


@pytest.fixture(autouse=True)
def _requests_in_the_test_transaction():
    """The application as a WSGI server runs it, within the test's transaction: the handler
    must not close the connection at the end of each request (Django's test client does the
    same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(org, lead, planner, settings):
    """Goals, outcomes and tasks of every kind, and the lead's read-write token."""
    settings.API_RATE_LIMIT = 100_000
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    grow = make_goal(org, lead, "Grow revenue")
    mid = make_goal(org, lead, "Win mid-market", parent=grow)
    spain = make_goal(org, lead, "Enter Spain", parent=grow, status=GoalStatus.ON_HOLD)
    logos = make_outcome(org, lead, mid, "New logos")
    make_outcome(org, lead, grow, "Revenue")
    make_task(org, lead, mid, "Call prospects", outcome=logos)
    make_task(org, lead, mid, "Write the pitch")
    make_task(org, lead, spain, "Translate the site")
    make_task(org, lead, None, "Fix the invoice export", origin=Origin.QUICK_ADD)
    make_task(org, lead, grow, "Set the targets")
    return org


OPERATIONS = {op.label: op for op in (r.ok() for r in schema.get_all_operations())}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_api_keeps_to_its_schema(label, mode, world, lead, token_for):
    headers = {"Authorization": f"Bearer {token_for(lead, world)}"}

    @given(case=OPERATIONS[label].as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def keeps_to_the_schema(case):
        if "org_slug" in (case.path_parameters or {}):
            case.path_parameters["org_slug"] = world.slug
            for name, count in EXISTING.items():
                value = case.path_parameters.get(name)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
                    case.path_parameters[name] = 1 + (value - 1) % count
        case.call_and_validate(headers=headers, checks=CHECKS)

    keeps_to_the_schema()


def test_the_schema_describes_every_operation():
    assert len(OPERATIONS) == 19
