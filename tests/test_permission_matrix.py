"""The role × view matrix: every organization URL pattern, asked by an admin, a lead, a planner,
a viewer, a planner the goal was shared with (view) and an outsider, about a confidential goal's
objects (the goal, its outcome, a task under it), answers what the table below says.

The table is written by hand from the product's rules, not read from the views: a new URL
pattern fails `test_every_organization_url_is_in_the_matrix` until someone decides who may use
it. A refusal (403 or 404) writes nothing.
"""

from dataclasses import dataclass

import pytest

from goals import services as goal_services
from tests.builders import (
    make_comment,
    make_goal,
    make_import,
    make_outcome,
    make_task,
    make_update,
)
from tests.factories import MembershipFactory, UserFactory
from tests.isolation import classify, fill, row_counts
from vindaris.tenancy.models import Role

OK, FORBIDDEN, NOT_FOUND = "ok", 403, 404
COLUMNS = ("outsider", "viewer", "planner", "granted", "lead", "admin")
RANK = {"viewer": 0, "planner": 1, "granted": 1, "lead": 2, "admin": 3}


@dataclass(frozen=True)
class Rule:
    """Who may use a URL: the least role, whether it names the confidential goal's objects,
    and the object-level right it needs beyond seeing them ("edit" the goal, "share" it)."""

    role: str  # viewer, planner, lead, admin; "token": signed links only (none is given here)
    on_object: bool = False
    needs: str = ""
    query: str = ""  # formatted with the samples: what the page is about


MATRIX: dict[str, Rule] = {
    # the organization
    "org_home": Rule("viewer"),
    "members": Rule("viewer"),
    "member_invite": Rule("admin"),
    "member_change_role": Rule("admin"),
    "member_remove": Rule("admin"),
    "invitation_revoke": Rule("admin"),
    "organization_settings": Rule("admin"),
    # API tokens: every member manages their own (admins also revoke others')
    "api_tokens": Rule("viewer"),
    "api_token_revoke": Rule("viewer"),
    # goals and outcomes
    "goal_list": Rule("viewer"),
    "goal_create": Rule("lead"),
    "goal_detail": Rule("viewer", on_object=True),
    "goal_edit": Rule("viewer", on_object=True, needs="edit"),
    "goal_access": Rule("viewer", on_object=True, needs="share"),
    "goal_access_revoke": Rule("viewer", on_object=True, needs="share"),
    "goal_delete": Rule("lead", on_object=True),
    "goal_confirm_links": Rule("planner", on_object=True),
    "goal_task_add": Rule("planner", on_object=True),
    "goal_task_paste": Rule("planner", on_object=True),
    "outcome_create": Rule("viewer", on_object=True, needs="edit"),
    "outcome_edit": Rule("viewer", on_object=True, needs="edit"),
    "outcome_check_in": Rule("planner", on_object=True),
    "outcome_detail": Rule("viewer", on_object=True),
    # work
    "task_detail": Rule("viewer", on_object=True),
    "task_edit": Rule("planner", on_object=True),
    "task_move": Rule("planner", on_object=True),
    "task_status": Rule("planner", on_object=True),
    "task_confirm": Rule("planner", on_object=True),
    "task_keep": Rule("planner", on_object=True),
    "work_list": Rule("viewer"),
    "task_quick_add": Rule("planner"),
    # the pickers' suggestions: only what the member may see (tests/work/test_visibility.py)
    "work_pick_goals": Rule("viewer"),
    "work_pick_members": Rule("viewer"),
    "work_pick_outcomes": Rule("viewer", query="to_goal=G-{goal_number}"),
    # digest
    "digest_preferences": Rule("viewer"),
    "digest_unsubscribe": Rule("token"),
    "digest_unsubscribe_one_click": Rule("token"),
    # trace
    "coverage_scorecard": Rule("viewer"),
    "trace": Rule("viewer"),
    "trace_goal_children": Rule("viewer", on_object=True),
    "trace_no_goal_children": Rule("viewer"),
    "trace_export_csv": Rule("viewer"),
    "trace_export_json": Rule("viewer"),
    # coverage
    "coverage": Rule("viewer"),
    "coverage_goal_options": Rule("lead"),
    **{
        f"coverage_{kind}{suffix}": Rule(role)
        for kind in ("orphaned", "stranded", "suspect", "starved", "stop")
        for suffix, role in (
            ("", "viewer"),
            ("_csv", "viewer"),
            ("_act", "lead"),
        )
    },
    # triage opens on chosen rows: the confidential goal's task (its goal, for starved goals)
    **{
        f"coverage_{kind}_triage": Rule("lead", query="tasks={task_number}")
        for kind in ("orphaned", "stranded", "suspect", "stop")
    },
    "coverage_starved_triage": Rule("lead", query="goals={goal_number}"),
    # import (leads and admins)
    "import_start": Rule("lead"),
    "import_detail": Rule("lead"),
    "import_progress": Rule("lead"),
    "import_map": Rule("lead"),
    "import_discard": Rule("lead"),
    # discussions: viewers read and comment; the cast's comment is the granted planner's
    "goal_comments": Rule("viewer", on_object=True),
    "task_comments": Rule("viewer", on_object=True),
    "update_comments": Rule("viewer", on_object=True),
    "comment_detail": Rule("viewer", on_object=True),
    "comment_edit": Rule("viewer", on_object=True, needs="author"),
    "comment_delete": Rule("viewer", on_object=True, needs="author or admin"),
    "comment_mentions": Rule("viewer", on_object=True, query="goal={goal_number}"),
    # goal updates: everyone who sees the goal reads them; its editors post (never viewers)
    "update_list": Rule("viewer", on_object=True),
    "update_create": Rule("planner", on_object=True, needs="edit"),
    "update_detail": Rule("viewer", on_object=True),
    "update_reminder_preferences": Rule("viewer"),
    # notifications: every member's own; following a goal needs seeing it
    "notification_list": Rule("viewer"),
    "notification_bell": Rule("viewer"),
    "notification_open": Rule("viewer"),
    "notification_mark_read": Rule("viewer"),
    "notification_preferences": Rule("viewer"),
    "notification_unsubscribe": Rule("token"),
    "notification_unsubscribe_one_click": Rule("token"),
    "goal_follow": Rule("viewer", on_object=True),
    "update_reminder_unsubscribe": Rule("token"),
    "update_reminder_unsubscribe_one_click": Rule("token"),
    # webhooks: admins only (an endpoint sees what its admin sees)
    "webhook_list": Rule("admin"),
    "webhook_detail": Rule("admin"),
    "webhook_rotate": Rule("admin"),
    "webhook_delete": Rule("admin"),
    "webhook_redeliver": Rule("admin"),
}


def expected(rule: Rule, column: str) -> object:
    if column == "outsider" or rule.role == "token":
        return NOT_FOUND
    if RANK[column] < RANK[rule.role]:
        return FORBIDDEN
    if rule.on_object and column in ("viewer", "planner"):
        return NOT_FOUND  # the goal is confidential and not shared with them
    if rule.needs in ("author", "author or admin"):  # the comment's author: granted
        return OK if column == "granted" or rule.needs.endswith(column) else FORBIDDEN
    if rule.needs and column == "granted":
        return FORBIDDEN  # shared for viewing: neither an editor nor a sharer
    return OK


def organization_routes() -> dict[str, str]:
    return {r.name: r.route for r in classify() if r.kind == "organization"}


def test_every_organization_url_is_in_the_matrix():
    routes = organization_routes()
    assert sorted(set(routes) - set(MATRIX)) == [], "decide who may use these URLs"
    assert sorted(set(MATRIX) - set(routes)) == [], "these URLs no longer exist"


@pytest.fixture
def cast(org, other_org, admin, lead, planner, viewer, outsider, client_for, membership_of):
    granted = MembershipFactory(
        organization=org, role=Role.PLANNER, user=UserFactory(email="granted@acme.test")
    )
    secret = make_goal(org, lead, "Acquire Initech", confidential=True)
    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=granted, access="view"
    )
    outcome = make_outcome(org, lead, secret)
    task = make_task(org, lead, secret, "Review Initech's contracts", outcome=outcome)
    users = {
        "outsider": outsider,
        "viewer": viewer,
        "planner": planner,
        "granted": granted.user,
        "lead": lead,
        "admin": admin,
    }
    samples = {
        "org_slug": org.slug,
        "goal_number": str(secret.number),
        "outcome_number": str(outcome.number),
        "task_number": str(task.number),
        "import_number": str(make_import(org, lead).number),
        "comment_number": str(make_comment(org, granted.user, goal=secret).number),
        "update_number": str(make_update(org, lead, secret).number),
    }
    from tests.builders import make_webhook_delivery, make_webhook_endpoint

    endpoint, _secret = make_webhook_endpoint(org, admin)
    samples["endpoint_number"] = str(endpoint.number)
    samples["event_id"] = str(make_webhook_delivery(org, admin, endpoint).event.event_id)
    return {name: client_for(user) for name, user in users.items()}, samples


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_by_view_matrix(name, cast):
    clients, samples = cast
    route = organization_routes()[name]
    rule = MATRIX[name]
    path = fill(route, samples) + ("?" + rule.query.format(**samples) if rule.query else "")
    got, wanted = {}, {}
    for column in COLUMNS:
        client = clients[column]
        before = row_counts()
        response = client.get(path)
        if response.status_code == 405:  # an action: ask it the way its form does
            response = client.post(path)
        status = response.status_code
        got[column] = OK if status < 500 and status not in (403, 404, 405) else status
        wanted[column] = expected(rule, column)
        if got[column] in (FORBIDDEN, NOT_FOUND):
            assert row_counts() == before, f"{column} was refused {path} but it wrote"
    assert got == wanted, f"{name}: {path}"
