"""Work under a confidential goal, seen from the work app: a planner or viewer it was not shared
with finds none of it (work list and every filter, task pages, pickers, the goal page's
sub-goals, a task's history and credits) and cannot name the goal in a form; the lead and a
planner it was shared with work with it as with any other goal."""

import re
from decimal import Decimal

import pytest

from goals import services as goal_services
from goals.models import GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from tests.factories import MembershipFactory, UserFactory
from vindaris.tenancy.models import Role
from work import services
from work.models import Task, TaskEvent

SECRET = "Initech"
# What names the hidden goals and their work.
HIDDEN = re.compile(rf"(Acquire|Review|Model|Merge|Map) {SECRET}")

# The work list with every filter it has.
WORK_LIST_QUERIES = [
    "",
    "q=Initech",
    "status=live",
    "status=todo",
    "status=done",
    "gap=orphaned",
    "gap=stranded",
    "gap=suspect",
]


@pytest.fixture
def world(org, lead, planner, viewer):
    """An open objective with a confidential goal under it (an outcome, live, done, stranded
    and suspect work, a sub-goal with work of its own), open work beside it and orphaned work."""
    org.allow_goalless_work = True
    org.save()
    objective = make_goal(org, lead, "Grow revenue", priority=Priority.P1)
    open_goal = make_goal(org, lead, "Launch checkout", parent=objective)
    open_task = make_task(org, lead, open_goal, "Pricing page")
    orphan = make_task(org, lead, None, "Loose end", origin="quick_add")

    secret = make_goal(org, lead, f"Acquire {SECRET}", parent=objective, confidential=True)
    outcome = make_outcome(org, lead, secret, f"{SECRET} workstreams closed")
    live = make_task(org, lead, secret, f"Review {SECRET} contracts", outcome=outcome)
    make_task(org, lead, secret, f"Model {SECRET} ARR", status="done")
    sub = make_goal(org, lead, f"Merge {SECRET} payroll", parent=secret)
    make_task(org, lead, sub, f"Map {SECRET} payroll codes")
    goal_services.goal_update(organization=org, actor=lead, goal=sub, status=GoalStatus.ON_HOLD)
    goal_services.goal_update(organization=org, actor=lead, goal=secret, priority=Priority.P3)

    granted = MembershipFactory(
        organization=org, role=Role.PLANNER, user=UserFactory(email="granted@acme.test")
    )
    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=granted, access="view"
    )
    return {
        "objective": objective,
        "open_goal": open_goal,
        "open_task": open_task,
        "orphan": orphan,
        "secret": secret,
        "sub": sub,
        "outcome": outcome,
        "live": live,
        "granted": granted.user,
    }


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def work_list_pages(client) -> dict[str, str]:
    pages = {}
    for query in WORK_LIST_QUERIES:
        pages[query] = body(client.get(f"/o/acme/work/?{query}"))
        pages[f"htmx {query}"] = body(client.get(f"/o/acme/work/?{query}", HTTP_HX_REQUEST="true"))
    return pages


@pytest.mark.parametrize("who", ["planner", "viewer"])
def test_the_work_list_never_shows_work_under_a_goal_hidden_from_the_member(
    who, request, world, client_for
):
    client = client_for(request.getfixturevalue(who))
    pages = work_list_pages(client)
    # (the search for "Initech" shows what was typed, and nothing more)
    assert sorted(q for q, html in pages.items() if HIDDEN.search(html)) == []
    assert f'id="task-{world["open_task"].number}"' in pages[""]
    assert f'id="task-{world["orphan"].number}"' in pages["gap=orphaned"]  # no goal: visible
    # naming the goal in the filter is an error, not a way in
    html = body(client.get(f"/o/acme/work/?goal={world['secret'].number}"))
    assert "Select a valid choice" in html and SECRET not in html


@pytest.mark.parametrize("who", ["lead", "granted"])
def test_the_lead_and_the_member_it_was_shared_with_see_it_in_the_work_list(
    who, request, world, client_for
):
    user = world["granted"] if who == "granted" else request.getfixturevalue(who)
    client = client_for(user)
    html = body(client.get(f"/o/acme/work/?goal={world['secret'].key}"))
    assert f'id="task-{world["live"].number}"' in html
    assert f"Review {SECRET} contracts" in body(client.get("/o/acme/work/?gap=suspect"))
    assert f"Map {SECRET} payroll codes" in body(client.get("/o/acme/work/?gap=stranded"))


def test_its_task_urls_answer_404_to_a_planner_and_a_viewer_it_was_not_shared_with(
    world, planner, viewer, client_for
):
    n = world["live"].number
    planner_client, viewer_client = client_for(planner), client_for(viewer)
    for suffix in ("", "edit/", "move/"):
        assert planner_client.get(f"/o/acme/tasks/{n}/{suffix}").status_code == 404, suffix
    assert viewer_client.get(f"/o/acme/tasks/{n}/").status_code == 404
    events = TaskEvent.objects.count()
    writes = {
        "status/": {"status": "done"},
        "confirm/": {},
        "keep/": {"reason": "because"},
        "edit/": {"title": "Taken", "estimate": "1"},
        "move/": {"to_goal": world["open_goal"].key, "reason": "because"},
    }
    for suffix, data in writes.items():
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = planner_client.post(f"/o/acme/tasks/{n}/{suffix}", data, **headers)
            assert response.status_code == 404, suffix
    live = Task.objects.get(pk=world["live"].pk)
    assert (live.title, live.status, live.goal) == (world["live"].title, "todo", world["secret"])
    assert TaskEvent.objects.count() == events


@pytest.mark.parametrize("who", ["lead", "granted"])
def test_the_lead_and_the_member_it_was_shared_with_open_its_tasks(who, request, world, client_for):
    user = world["granted"] if who == "granted" else request.getfixturevalue(who)
    html = body(client_for(user).get(f"/o/acme/tasks/{world['live'].number}/"))
    assert f"Review {SECRET} contracts" in html and world["secret"].key in html


def suggestions(client, path: str) -> str:
    return body(client.get(path, HTTP_HX_REQUEST="true"))


def test_pickers_do_not_offer_a_hidden_goal_or_its_outcomes(world, planner, client_for):
    client = client_for(planner)
    secret = world["secret"]
    for query in ("", "field=q&q=Initech", f"field=q&q={secret.key}", "active=1&field=goal&goal=I"):
        html = suggestions(client, f"/o/acme/work/pick/goals/?{query}")
        assert SECRET not in html and f"{secret.key} " not in html, query
    html = suggestions(client, f"/o/acme/work/pick/outcomes/?field=outcome&to_goal={secret.key}")
    assert "<option" not in html
    # nor do the suggestions rendered with the pages
    assert SECRET not in body(client.get("/o/acme/work/"))
    move_page = body(client.get(f"/o/acme/tasks/{world['open_task'].number}/move/"))
    assert SECRET not in move_page
    # while the open goals are offered
    html = suggestions(client, "/o/acme/work/pick/goals/?field=q&q=checkout")
    assert f'<option value="{world["open_goal"].key} Launch checkout">' in html


def test_pickers_offer_it_to_the_member_it_was_shared_with(world, client_for):
    client = client_for(world["granted"])
    html = suggestions(client, "/o/acme/work/pick/goals/?field=q&q=Initech")
    assert f'value="{world["secret"].key} Acquire {SECRET}"' in html
    html = suggestions(
        client, f"/o/acme/work/pick/outcomes/?field=outcome&to_goal={world['secret'].key}"
    )
    assert f"{SECRET} workstreams closed" in html


def test_posting_a_hidden_goal_is_rejected_like_any_goal_that_is_not_a_choice(
    world, planner, client_for
):
    client = client_for(planner)
    secret = world["secret"]
    for named in (secret.key, str(secret.number), secret.title):
        response = client.post(
            "/o/acme/work/add/", {"title": "Sneaky", "estimate": "1", "goal": named}
        )
        html = body(response)
        assert "Select a valid choice" in html, named
        assert f'<option value="{secret.key} ' not in html  # nor is it suggested instead
    response = client.post(
        f"/o/acme/tasks/{world['open_task'].number}/move/",
        {"to_goal": secret.key, "outcome": world["outcome"].key, "reason": "Sneaky"},
    )
    assert "Select a valid choice" in body(response)
    assert not Task.objects.filter(title="Sneaky").exists()
    assert Task.objects.get(pk=world["open_task"].pk).goal == world["open_goal"]


def test_the_member_it_was_shared_with_adds_and_moves_work_to_it(world, client_for):
    client = client_for(world["granted"])
    secret = world["secret"]
    response = client.post(
        "/o/acme/work/add/", {"title": "Call the lawyers", "estimate": "1", "goal": secret.key}
    )
    assert response.status_code == 302
    assert Task.objects.get(title="Call the lawyers").goal == secret
    response = client.post(
        f"/o/acme/tasks/{world['open_task'].number}/move/",
        {"to_goal": secret.key, "outcome": world["outcome"].key, "reason": "Part of the deal"},
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=world["open_task"].pk).outcome == world["outcome"]


def sub_goal_rows(html: str) -> set[str]:
    return set(re.findall(r'<tr id="sub-goal-(\d+)"', html))


def test_the_goal_page_lists_only_the_sub_goals_the_member_may_see(
    world, lead, planner, viewer, client_for
):
    objective, open_goal, secret = world["objective"], world["open_goal"], world["secret"]
    expected_open = {str(open_goal.number)}
    for user in (planner, viewer):
        html = body(client_for(user).get(f"/o/acme/goals/{objective.number}/"))
        assert sub_goal_rows(html) == expected_open
        assert SECRET not in html
    for user in (lead, world["granted"]):
        html = body(client_for(user).get(f"/o/acme/goals/{objective.number}/"))
        assert sub_goal_rows(html) == expected_open | {str(secret.number)}


def test_a_tasks_history_and_credits_keep_a_hidden_goal_out_of_its_page(
    org, lead, planner, world, client_for
):
    """Work that left a confidential goal keeps its history; a member who may not see the
    goal reads that it came from a goal they cannot see, and not the check-ins of its
    outcome."""
    live, secret = world["live"], world["secret"]
    services.check_in_record(
        organization=org,
        actor=lead,
        outcome=world["outcome"],
        value=Decimal("1"),
        credited_tasks=[live],
    )
    services.task_move(
        organization=org, actor=lead, task=live, to_goal=world["open_goal"], reason="Spun out"
    )
    html = body(client_for(planner).get(f"/o/acme/tasks/{live.number}/"))
    assert "created it under a goal you cannot see" in html
    assert "moved it from a goal you cannot see to" in html
    assert secret.key + "<" not in html and f"{SECRET} workstreams" not in html
    assert "No check-in has credited this task yet." in html
    html = body(client_for(lead).get(f"/o/acme/tasks/{live.number}/"))
    assert f"{secret.key}</a>" in html and f"{SECRET} workstreams closed" in html
