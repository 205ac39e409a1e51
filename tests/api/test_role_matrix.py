"""The API's role × operation matrix, in the spirit of tests/test_permission_matrix.py: every
operation under /api/v1/o/<slug>/, asked with the tokens of an outsider, a viewer, a planner, a
planner the confidential goal was shared with (view), a lead, an admin, and an admin's
read-only token, about the confidential goal's objects, answers what the table says.

The table is written by hand from the product's rules, which are the pages': a new operation
fails `test_every_operation_is_in_the_matrix` until someone decides who may use it. A refusal
writes nothing."""

from dataclasses import dataclass

import pytest

from api.models import Access
from tests.api.harness import operations, token_client
from tests.isolation import row_counts

OK, FORBIDDEN, NOT_FOUND = "ok", 403, 404
COLUMNS = ("outsider", "read_only", "viewer", "planner", "granted", "lead", "admin")
RANK = {"viewer": 0, "planner": 1, "granted": 1, "lead": 2, "admin": 3}


@dataclass(frozen=True)
class Rule:
    """The least role, and the object-level right beyond seeing the object ("edit")."""

    role: str
    needs: str = ""


API_MATRIX: dict[str, Rule] = {
    # goals, outcomes, check-ins: as the goal pages
    "list_goals": Rule("viewer"),
    "create_goal": Rule("lead"),
    "get_goal": Rule("viewer"),
    "update_goal": Rule("viewer", needs="edit"),
    "list_outcomes": Rule("viewer"),
    "get_outcome": Rule("viewer"),
    "create_check_in": Rule("planner"),
    # work: as the goal page, the task page and the work list
    "create_goal_task": Rule("planner"),
    "capture_task": Rule("planner"),
    "list_tasks": Rule("viewer"),
    "get_task": Rule("viewer"),
    "set_task_status": Rule("planner"),
    "move_task": Rule("planner"),
    "confirm_task": Rule("planner"),
    "keep_task": Rule("planner"),
    # coverage and members: as the dashboard and the members page
    "get_coverage": Rule("viewer"),
    "list_goal_coverage": Rule("viewer"),
    "list_flags": Rule("viewer"),
    "list_members": Rule("viewer"),
}

OPERATIONS = {op.name: op for op in operations()}


def expected(rule: Rule, column: str, *, writes: bool, on_object: bool) -> object:
    if column == "outsider":
        return NOT_FOUND
    if column == "read_only":
        return FORBIDDEN if writes else OK  # an admin's token, read-only: never writes
    if RANK[column] < RANK[rule.role]:
        return FORBIDDEN
    if on_object and column in ("viewer", "planner"):
        return NOT_FOUND  # the goal is confidential and not shared with them
    if rule.needs and column == "granted":
        return FORBIDDEN  # shared for viewing: not an editor
    return OK


def test_every_operation_is_in_the_matrix():
    assert sorted(set(OPERATIONS) - set(API_MATRIX)) == [], "decide who may use these"
    assert sorted(set(API_MATRIX) - set(OPERATIONS)) == [], "these operations no longer exist"


@pytest.fixture
def tokens(org, other_org, admin, lead, planner, viewer, outsider, secret_world, token_for):
    users = {
        "viewer": viewer,
        "planner": planner,
        "granted": secret_world.granted,
        "lead": lead,
        "admin": admin,
    }
    clients = {name: token_client(token_for(user, org)) for name, user in users.items()}
    clients["outsider"] = token_client(token_for(outsider, other_org))
    clients["read_only"] = token_client(token_for(admin, org, Access.READ))
    return clients


@pytest.mark.parametrize("name", sorted(API_MATRIX))
def test_role_by_operation_matrix(name, tokens, secret_world):
    op, rule = OPERATIONS[name], API_MATRIX[name]
    got, wanted = {}, {}
    for column in COLUMNS:
        before = row_counts()
        response = op.send(tokens[column], secret_world.samples)
        status = response.status_code
        got[column] = OK if status < 500 and status not in (401, 403, 404, 405) else status
        wanted[column] = expected(rule, column, writes=op.writes, on_object=op.on_object)
        if got[column] in (FORBIDDEN, NOT_FOUND):
            assert row_counts() == before, f"{column} was refused {name} but it wrote"
            assert response["Content-Type"] == "application/problem+json"
    assert got == wanted, f"{name}: {op.method} {op.path}"


def test_the_writes_that_pass_write_what_they_say(org, lead, tokens, secret_world):
    """The matrix's "ok" is no 422 in disguise: the lead's writes with the harness's bodies
    succeed."""
    for name, op in OPERATIONS.items():
        if not op.writes or name == "keep_task":  # keeping needs a stranded task: 422 here
            continue
        response = op.send(tokens["lead"], secret_world.samples)
        assert response.status_code in (200, 201), (name, response.content)
