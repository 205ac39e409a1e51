"""The triage queues: what each lists, each action (state, history, counts), roles, other
organizations' ids, the plain-HTML fallback, CSV export and paging."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalEvent, GoalStatus, Priority
from tests.builders import make_goal, make_task
from tests.traceability.test_coverage import build_funding, text_of
from traceability import selectors
from vindaris.tenancy.models import Membership
from work import services as work_services
from work.models import Origin, Task, TaskEvent, TaskStatus


@pytest.fixture
def funding(org, lead, planner):
    return build_funding(org, lead, planner)


def url(kind: str, what: str = "") -> str:
    if what == "csv":
        return f"/o/acme/coverage/{kind}.csv"
    return f"/o/acme/coverage/{kind}/{what + '/' if what else ''}"


def rows(html: str, kind: str, noun: str = "task") -> list[int]:
    return [int(n) for n in re.findall(rf'<tr id="{kind}-{noun}-(\d+)"', html)]


def fresh(task: Task) -> Task:
    return Task.objects.select_related("goal").get(pk=task.pk)


def events(task: Task) -> list[TaskEvent]:
    return list(TaskEvent.objects.filter(task=task).order_by("created_at", "id"))


# What each queue lists ------------------------------------------------------------------------


def test_each_queue_lists_its_gap(org, viewer, funding, client_for):
    client = client_for(viewer)

    orphaned = client.get(url("orphaned")).content.decode()
    stranded = client.get(url("stranded")).content.decode()
    suspect = client.get(url("suspect")).content.decode()
    starved = client.get(url("starved")).content.decode()

    assert rows(orphaned, "orphaned") == [funding.orphaned.number]
    open_section, kept_section = stranded.split('id="stranded-kept-rows"')
    assert rows(open_section, "stranded") == [funding.stranded.number]
    assert f'id="stranded-task-{funding.kept.number}"' in kept_section
    assert "Needed anyway" in kept_section
    assert rows(suspect, "suspect") == [funding.stranded.number]
    assert rows(starved, "starved", "goal") == [funding.d.number]


def test_a_queue_shows_the_headline_counts(org, viewer, funding, client_for):
    html = client_for(viewer).get(url("orphaned")).content.decode()

    assert text_of(html, "coverage-orphaned-count") == "1"
    assert text_of(html, "coverage-linked-ratio") == "64%"


def test_viewers_and_planners_see_the_queues_without_actions(
    org, viewer, planner, funding, client_for
):
    for user in (viewer, planner):
        for kind in ("orphaned", "stranded", "suspect", "starved", "stop"):
            html = client_for(user).get(url(kind)).content.decode()
            assert "/act/" not in html, kind
            assert 'type="checkbox"' not in html, kind


def test_leads_see_the_actions_of_each_queue(org, lead, funding, client_for):
    client = client_for(lead)

    assert "Link selected" in client.get(url("orphaned")).content.decode()
    stranded = client.get(url("stranded")).content.decode()
    assert "Keep selected" in stranded and "Move…" in stranded and "Keep…" in stranded
    suspect = client.get(url("suspect")).content.decode()
    assert "Confirm selected" in suspect and ">Confirm<" in suspect
    starved = client.get(url("starved")).content.decode()
    assert "Put selected on hold" in starved
    assert f"/o/acme/goals/{funding.d.number}/#goal-{funding.d.number}-task-form" in starved


# Orphaned: link to a goal, or cancel ----------------------------------------------------------


def test_a_lead_links_an_orphaned_task_to_a_goal_in_place(
    org, lead, funding, client_for, htmx_headers
):
    n = funding.orphaned.number
    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": n, "action": "link", "to_goal": funding.b.number, "via": "pick"},
        **htmx_headers,
    )

    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Reswap"] == "none"
    task = fresh(funding.orphaned)
    assert task.goal == funding.b and task.status == TaskStatus.TODO
    moved = events(task)[-1]
    assert (moved.kind, moved.from_goal, moved.to_goal, moved.actor) == (
        "moved",
        None,
        funding.b,
        lead,
    )
    assert moved.reason == "linked from the orphaned queue"
    # the row leaves, the counts change, out of band
    assert f'<tr id="orphaned-task-{n}" hx-swap-oob="delete">' in html
    assert 'id="coverage-headline" class="coverage-headline"' in html
    assert 'hx-swap-oob="true"' in html
    assert text_of(html, "coverage-orphaned-count") == "0"
    assert text_of(html, "coverage-linked-ratio") == "84%"  # 21 of 25 points
    assert f"Linked {task.key} to {funding.b.key}." in html


def test_a_lead_cancels_an_orphaned_task(org, lead, funding, client_for, htmx_headers):
    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": funding.orphaned.number, "action": "cancel"},
        **htmx_headers,
    )

    task = fresh(funding.orphaned)
    assert task.status == TaskStatus.CANCELLED and task.goal is None
    change = events(task)[-1]
    assert (change.kind, change.from_status, change.to_status) == ("status", "todo", "cancelled")
    assert change.reason == "cancelled from the orphaned queue"
    html = response.content.decode()
    assert text_of(html, "coverage-orphaned-count") == "0"
    assert text_of(html, "coverage-linked-ratio") == "80%"  # 16 of 20 points


def test_linking_needs_a_goal_and_writes_nothing_without_one(
    org, lead, funding, client_for, htmx_headers
):
    before = TaskEvent.objects.count()
    n = funding.orphaned.number

    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": n, "action": "link", "to_goal": "", "via": "pick"},
        **htmx_headers,
        HTTP_HX_TARGET=f"orphaned-task-{n}-pick",
    )

    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#orphaned-task-{n}-pick"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.lstrip().startswith(f'<form id="orphaned-task-{n}-pick"')
    assert "Choose the active goal this work should serve." in html
    assert fresh(funding.orphaned).goal is None and TaskEvent.objects.count() == before


def test_only_active_goals_can_receive_work(org, lead, funding, client_for):
    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": funding.orphaned.number, "action": "link", "to_goal": funding.e.number},
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert fresh(funding.orphaned).goal is None


# Stranded: move, cancel, or keep with a reason ------------------------------------------------


def test_a_lead_moves_a_stranded_task_with_a_reason(org, lead, funding, client_for, htmx_headers):
    response = client_for(lead).post(
        url("stranded", "act"),
        {
            "tasks": funding.stranded.number,
            "action": "move",
            "to_goal": funding.a.number,
            "reason": "Spain can wait; the office search helps the mid-market push",
        },
        **htmx_headers,
    )

    task = fresh(funding.stranded)
    assert task.goal == funding.a and task.kept_reason == ""
    moved = events(task)[-1]
    assert (moved.kind, moved.from_goal, moved.to_goal) == ("moved", funding.e, funding.a)
    assert moved.reason.startswith("Spain can wait")
    html = response.content.decode()
    assert text_of(html, "coverage-stranded-count") == "0"
    assert text_of(html, "coverage-suspect-count") == "0"  # a move confirms the new link


def test_a_lead_keeps_a_stranded_task_and_it_is_listed_as_kept(
    org, lead, funding, client_for, htmx_headers
):
    n = funding.stranded.number
    response = client_for(lead).post(
        url("stranded", "act"),
        {"tasks": n, "action": "keep", "reason": "The lease is signed", "via": "keep"},
        **htmx_headers,
    )

    task = fresh(funding.stranded)
    assert task.kept_reason == "The lease is signed"
    kept = events(task)[-1]
    assert (kept.kind, kept.reason, kept.actor) == ("kept", "The lease is signed", lead)
    html = response.content.decode()
    # out of the open list, into the kept one
    assert f'<tr id="stranded-task-{n}" hx-swap-oob="delete">' in html
    kept_insert = re.search(
        r'<tbody hx-swap-oob="afterbegin:#stranded-kept-rows">(.*?)</tbody>', html, re.S
    )
    assert kept_insert and f'id="stranded-task-{n}"' in kept_insert.group(1)
    assert "The lease is signed" in kept_insert.group(1)
    assert text_of(html, "coverage-stranded-count") == "0"
    assert text_of(html, "coverage-kept-count") == "+ 2 kept"
    page = client_for(lead).get(url("stranded")).content.decode()
    open_section, kept_section = page.split('id="stranded-kept-rows"')
    assert rows(open_section, "stranded") == []
    assert rows(kept_section, "stranded") == [funding.kept.number, n]


def test_a_kept_task_is_stranded_again_when_its_goal_changes_again(
    org, lead, viewer, funding, client_for
):
    goal_services.goal_update(
        organization=org, actor=lead, goal=funding.e, title="Launch in Iberia"
    )

    html = client_for(viewer).get(url("stranded")).content.decode()

    open_list = html[: html.index('id="stranded-kept-rows"')]
    assert f'id="stranded-task-{funding.kept.number}"' in open_list
    assert text_of(html, "coverage-stranded-count") == "2"


def test_keeping_needs_a_written_reason(org, lead, funding, client_for, htmx_headers):
    n = funding.stranded.number
    response = client_for(lead).post(
        url("stranded", "act"),
        {"tasks": n, "action": "keep", "reason": "   ", "via": "keep"},
        **htmx_headers,
        HTTP_HX_TARGET=f"stranded-task-{n}-keep",
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith(f'<form id="stranded-task-{n}-keep"')
    assert "Say why this work continues." in html
    assert fresh(funding.stranded).kept_reason == ""
    assert events(fresh(funding.stranded))[-1].kind != "kept"


# Suspect: confirm, move, cancel ---------------------------------------------------------------


@pytest.fixture
def suspect_task(org, lead, planner, funding):
    goal_services.goal_update(organization=org, actor=lead, goal=funding.a, priority=Priority.P2)
    return fresh(funding.a_big)


def test_a_lead_confirms_a_suspect_link(org, lead, funding, suspect_task, client_for, htmx_headers):
    client = client_for(lead)
    assert text_of(client.get(url("suspect")).content.decode(), "coverage-suspect-count") == "3"

    response = client.post(
        url("suspect", "act"), {"tasks": suspect_task.number, "action": "confirm"}, **htmx_headers
    )

    task = fresh(suspect_task)
    assert task.link_confirmed_at > task.goal.material_change_at
    confirmed = events(task)[-1]
    assert (confirmed.kind, confirmed.to_goal, confirmed.actor) == ("confirmed", funding.a, lead)
    html = response.content.decode()
    assert f'<tr id="suspect-task-{suspect_task.number}" hx-swap-oob="delete">' in html
    assert text_of(html, "coverage-suspect-count") == "2"


def test_a_lead_moves_and_cancels_suspect_work(
    org, lead, funding, suspect_task, client_for, htmx_headers
):
    client = client_for(lead)
    client.post(
        url("suspect", "act"),
        {"tasks": suspect_task.number, "action": "move", "to_goal": funding.b.number},
        **htmx_headers,
    )
    response = client.post(
        url("suspect", "act"),
        {"tasks": funding.a_small.number, "action": "cancel"},
        **htmx_headers,
    )

    assert fresh(suspect_task).goal == funding.b
    assert events(fresh(suspect_task))[-1].reason == "moved from the suspect queue"
    assert fresh(funding.a_small).status == TaskStatus.CANCELLED
    assert text_of(response.content.decode(), "coverage-suspect-count") == "1"


def test_confirming_the_link_of_stranded_suspect_work_leaves_it_stranded(
    org, lead, funding, client_for, htmx_headers
):
    response = client_for(lead).post(
        url("suspect", "act"),
        {"tasks": funding.stranded.number, "action": "confirm"},
        **htmx_headers,
    )

    html = response.content.decode()
    assert text_of(html, "coverage-suspect-count") == "0"
    assert text_of(html, "coverage-stranded-count") == "1"


# Starved: plan work, or put the goal on hold --------------------------------------------------


def test_a_lead_puts_a_starved_goal_on_hold(org, lead, funding, client_for, htmx_headers):
    response = client_for(lead).post(
        url("starved", "act"), {"goals": funding.d.number, "action": "hold"}, **htmx_headers
    )

    goal = Goal.objects.get(pk=funding.d.pk)
    assert goal.status == GoalStatus.ON_HOLD
    event = GoalEvent.objects.filter(goal=goal).latest("created_at")
    assert event.kind == "updated" and event.actor == lead
    assert event.changes["Status"] == ["Active", "On hold"]
    html = response.content.decode()
    assert f'<tr id="starved-goal-{goal.number}" hx-swap-oob="delete">' in html
    assert text_of(html, "coverage-starved-count") == "0"


def test_a_goal_that_got_work_meanwhile_is_not_put_on_hold(org, lead, planner, funding, client_for):
    make_task(org, planner, funding.d, "First hire")

    response = client_for(lead).post(
        url("starved", "act"), {"goals": funding.d.number, "action": "hold"}, follow=True
    )

    assert Goal.objects.get(pk=funding.d.pk).status == GoalStatus.ACTIVE
    assert f"{funding.d.key} is no longer starved: nothing done to it." in response.content.decode()


# What should we stop? -------------------------------------------------------------------------


def test_a_lead_cancels_work_from_the_dashboards_stop_list(
    org, lead, funding, client_for, htmx_headers
):
    response = client_for(lead).post(
        url("stop", "act"), {"tasks": funding.c_big.number, "action": "cancel"}, **htmx_headers
    )

    assert fresh(funding.c_big).status == TaskStatus.CANCELLED
    html = response.content.decode()
    assert f'<tr id="stop-task-{funding.c_big.number}" hx-swap-oob="delete">' in html
    assert text_of(html, "coverage-linked-ratio") == "55%"  # 11 of 20 points


# Bulk actions ---------------------------------------------------------------------------------


def test_a_lead_links_several_orphaned_tasks_at_once(
    org, lead, planner, funding, client_for, htmx_headers
):
    second = make_task(org, planner, None, "Update the wiki", origin=Origin.QUICK_ADD)
    numbers = [funding.orphaned.number, second.number]

    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": numbers, "action": "link", "to_goal": funding.a.number, "via": "bulk"},
        **htmx_headers,
    )

    assert {fresh(funding.orphaned).goal, fresh(second).goal} == {funding.a}
    assert all(events(fresh(t))[-1].kind == "moved" for t in (funding.orphaned, second))
    html = response.content.decode()
    for n in numbers:
        assert f'<tr id="orphaned-task-{n}" hx-swap-oob="delete">' in html
    assert '<form id="orphaned-bulk"' in html  # the bulk bar, reset
    assert text_of(html, "coverage-orphaned-count") == "0"


def test_a_bulk_action_is_all_or_nothing(
    org, lead, funding, suspect_task, client_for, htmx_headers
):
    # a_small already serves A: moving both suspect tasks of A to A must move neither
    response = client_for(lead).post(
        url("suspect", "act"),
        {
            "tasks": [suspect_task.number, funding.stranded.number, funding.a_small.number],
            "action": "move",
            "to_goal": funding.a.number,
            "via": "bulk",
        },
        **htmx_headers,
        HTTP_HX_TARGET="suspect-bulk",
    )

    assert response.status_code == 422
    assert "The work already serves this goal." in response.content.decode()
    assert fresh(funding.stranded).goal == funding.e
    assert fresh(suspect_task).goal == funding.a
    for task in (funding.stranded, suspect_task, funding.a_small):
        assert [e.kind for e in events(task)].count("moved") == 0


def test_rows_dealt_with_meanwhile_are_left_alone_and_leave_the_page(
    org, lead, funding, client_for, htmx_headers
):
    work_services.task_move(
        organization=org, actor=lead, task=funding.orphaned, to_goal=funding.b, reason="triaged"
    )

    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": funding.orphaned.number, "action": "cancel"},
        **htmx_headers,
    )

    assert fresh(funding.orphaned).status == TaskStatus.TODO
    html = response.content.decode()
    assert f'<tr id="orphaned-task-{funding.orphaned.number}" hx-swap-oob="delete">' in html
    assert "is no longer orphaned: nothing done to it." in html


def test_selecting_no_row_is_an_error(org, lead, funding, client_for, htmx_headers):
    response = client_for(lead).post(
        url("orphaned", "act"),
        {"action": "cancel", "via": "bulk"},
        **htmx_headers,
        HTTP_HX_TARGET="orphaned-bulk",
    )

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#orphaned-bulk"
    assert "Select at least one task." in response.content.decode()


# The plain-HTML fallback ----------------------------------------------------------------------


def test_without_javascript_an_action_redirects_back_to_the_queue(org, lead, funding, client_for):
    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": funding.orphaned.number, "action": "link", "to_goal": funding.a.number},
    )

    assert response.status_code == 302 and response["Location"] == url("orphaned")
    assert fresh(funding.orphaned).goal == funding.a


def test_without_javascript_an_action_returns_to_the_page_it_came_from(
    org, lead, funding, client_for
):
    response = client_for(lead).post(
        url("stop", "act"),
        {"tasks": funding.c_big.number, "action": "cancel", "next": "/o/acme/coverage/?sort=gaps"},
    )
    offsite = client_for(lead).post(
        url("stop", "act"),
        {"tasks": funding.c_small.number, "action": "cancel", "next": "https://evil.test/"},
    )

    not_a_path = client_for(lead).post(
        url("stop", "act"),
        {"tasks": funding.stranded.number, "action": "cancel", "next": "2723"},
    )

    assert response["Location"] == "/o/acme/coverage/?sort=gaps"
    assert offsite["Location"] == url("stop")
    assert not_a_path.status_code == 302 and not_a_path["Location"] == url("stop")


def test_without_javascript_a_rows_goal_picker_is_a_page(org, lead, funding, client_for):
    client = client_for(lead)
    page = client.get(url("orphaned", "triage"), {"tasks": funding.orphaned.number})
    html = page.content.decode()

    assert page.status_code == 200
    assert "<h1>Orphaned tasks: act on 1 task</h1>" in html
    assert f'<option value="{funding.a.number}">' in html
    assert f'<option value="{funding.e.number}">' not in html  # on hold: not a choice
    # the text filter narrows the choices by reloading the page
    filtered = client.get(
        url("orphaned", "triage"), {"tasks": funding.orphaned.number, "q": "churn"}
    ).content.decode()
    assert f'<option value="{funding.b.number}" selected>' in filtered
    assert f'<option value="{funding.a.number}">' not in filtered


def test_without_javascript_an_invalid_action_shows_the_form_with_its_errors(
    org, lead, funding, client_for
):
    response = client_for(lead).post(
        url("stranded", "act"), {"tasks": funding.stranded.number, "action": "keep", "reason": ""}
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was changed." in html and "Say why this work continues." in html
    assert f'<input type="hidden" name="tasks" value="{funding.stranded.number}">' in html


def test_with_htmx_a_rows_goal_picker_opens_in_the_row(
    org, lead, funding, client_for, htmx_headers
):
    response = client_for(lead).get(
        url("orphaned", "triage"), {"tasks": funding.orphaned.number}, **htmx_headers
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div class="row-picker"')
    assert f'<form id="orphaned-task-{funding.orphaned.number}-pick"' in html
    assert 'name="action" value="link"' in html


def test_the_goal_picker_searches_active_goals_by_title_or_key(
    org, lead, funding, client_for, htmx_headers
):
    client = client_for(lead)

    by_title = client.get("/o/acme/coverage/goals/", {"q": "BRAND"}, **htmx_headers)
    by_key = client.get("/o/acme/coverage/goals/", {"q": funding.a.key}, **htmx_headers)
    on_hold = client.get("/o/acme/coverage/goals/", {"q": "Spain"}, **htmx_headers)

    assert re.findall(r'<option value="(\d+)"', by_title.content.decode()) == [
        str(funding.c.number)
    ]
    assert f'<option value="{funding.a.number}" selected>' in by_key.content.decode()
    assert "No active goal matches" in on_hold.content.decode()


def test_without_javascript_starved_goals_are_put_on_hold_from_a_page(
    org, lead, funding, client_for
):
    client = client_for(lead)
    page = client.get(url("starved", "triage"), {"goals": funding.d.number}).content.decode()

    assert f'<input type="hidden" name="goals" value="{funding.d.number}">' in page
    assert 'name="action" value="hold"' in page
    assert f"/o/acme/goals/{funding.d.number}/#goal-{funding.d.number}-task-form" in page
    response = client.post(url("starved", "act"), {"goals": funding.d.number, "action": "hold"})
    assert response.status_code == 302 and response["Location"] == url("starved")
    assert Goal.objects.get(pk=funding.d.pk).status == GoalStatus.ON_HOLD


def test_triage_needs_rows_of_this_organization(org, lead, funding, client_for):
    client = client_for(lead)

    assert client.get(url("orphaned", "triage")).status_code == 404
    assert client.get(url("orphaned", "triage"), {"tasks": "999"}).status_code == 404
    assert client.get(url("orphaned", "triage"), {"tasks": "x"}).status_code == 404


# Roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "planner"])
@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("orphaned", {"action": "cancel"}),
        ("stranded", {"action": "keep", "reason": "Because"}),
        ("suspect", {"action": "confirm"}),
        ("starved", {"action": "hold"}),
        ("stop", {"action": "cancel"}),
    ],
)
def test_viewers_and_planners_cannot_act(
    org, funding, request, client_for, htmx_headers, role, kind, data
):
    client = client_for(request.getfixturevalue(role))
    row = {"goals": funding.d.number} if kind == "starved" else {"tasks": funding.stranded.number}
    before = (TaskEvent.objects.count(), GoalEvent.objects.count())

    plain = client.post(url(kind, "act"), {**row, **data})
    htmx = client.post(url(kind, "act"), {**row, **data}, **htmx_headers)

    assert (plain.status_code, htmx.status_code) == (403, 403)
    assert (TaskEvent.objects.count(), GoalEvent.objects.count()) == before


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_viewers_and_planners_cannot_open_the_pickers(org, funding, request, client_for, role):
    client = client_for(request.getfixturevalue(role))

    assert (
        client.get(url("orphaned", "triage"), {"tasks": funding.orphaned.number}).status_code == 403
    )
    assert client.get("/o/acme/coverage/goals/").status_code == 403


def test_admins_act_like_leads(org, admin, funding, client_for):
    client_for(admin).post(
        url("orphaned", "act"), {"tasks": funding.orphaned.number, "action": "cancel"}
    )

    assert fresh(funding.orphaned).status == TaskStatus.CANCELLED


# Other organizations --------------------------------------------------------------------------


@pytest.fixture
def foreign(other_org, outsider):
    """Another organization's goals and tasks, with numbers this organization does not use."""
    other_org.allow_goalless_work = True
    other_org.save(update_fields=["allow_goalless_work"])
    goals = [make_goal(other_org, outsider, f"Their goal {i}") for i in range(8)]
    tasks = [
        make_task(other_org, outsider, None, f"Their task {i}", origin=Origin.QUICK_ADD)
        for i in range(14)
    ]
    return goals, tasks


def test_another_organizations_task_is_not_a_valid_choice(
    org, lead, funding, foreign, client_for, htmx_headers
):
    goals, tasks = foreign
    theirs = tasks[-1]  # T-14 exists only there
    assert not Task.objects.filter(organization=org, number=theirs.number).exists()
    before = TaskEvent.objects.count()

    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": theirs.number, "action": "cancel", "via": "bulk"},
        **htmx_headers,
        HTTP_HX_TARGET="orphaned-bulk",
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert Task.objects.get(pk=theirs.pk).status == TaskStatus.TODO
    assert TaskEvent.objects.count() == before


def test_another_organizations_goal_is_not_a_valid_choice(org, lead, funding, foreign, client_for):
    goals, _ = foreign
    theirs = goals[-1]  # G-8 exists only there
    assert not Goal.objects.filter(organization=org, number=theirs.number).exists()

    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": funding.orphaned.number, "action": "link", "to_goal": theirs.number},
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert fresh(funding.orphaned).goal is None


def test_a_number_names_this_organizations_task_never_another_ones(
    org, lead, funding, foreign, client_for
):
    _, tasks = foreign
    same_number = next(t for t in tasks if t.number == funding.orphaned.number)

    client_for(lead).post(
        url("orphaned", "act"), {"tasks": funding.orphaned.number, "action": "cancel"}
    )

    assert fresh(funding.orphaned).status == TaskStatus.CANCELLED
    assert Task.objects.get(pk=same_number.pk).status == TaskStatus.TODO


def test_another_organizations_starved_goal_cannot_be_put_on_hold(
    org, lead, funding, foreign, client_for
):
    goals, _ = foreign
    theirs = goals[-1]

    response = client_for(lead).post(
        url("starved", "act"), {"goals": theirs.number, "action": "hold"}
    )

    assert response.status_code == 422
    assert Goal.objects.get(pk=theirs.pk).status == GoalStatus.ACTIVE


def test_an_action_the_queue_does_not_offer_is_refused(org, lead, funding, client_for):
    response = client_for(lead).post(
        url("orphaned", "act"),
        {"tasks": funding.orphaned.number, "action": "keep", "reason": "x"},
    )
    garbage = client_for(lead).post(url("orphaned", "act"), {"tasks": "abc", "action": "cancel"})

    assert response.status_code == 422 and garbage.status_code == 422
    assert fresh(funding.orphaned).kept_reason == "" and fresh(funding.orphaned).status == "todo"


# CSV export -----------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_each_queue_exports_as_csv(org, viewer, funding, client_for):
    client = client_for(viewer)

    orphaned = client.get(url("orphaned", "csv"))
    stranded = read_csv(client.get(url("stranded", "csv")))
    starved = read_csv(client.get(url("starved", "csv")))
    stop = read_csv(client.get(url("stop", "csv")))

    assert orphaned["Content-Type"] == "text/csv; charset=utf-8"
    assert orphaned["Content-Disposition"].startswith('attachment; filename="acme-orphaned-')
    rows_ = read_csv(orphaned)
    assert rows_[0][:4] == ["Task", "Title", "Status", "Goal"]
    assert [r[0] for r in rows_[1:]] == [funding.orphaned.key]
    # the stranded export lists kept tasks too, marked
    kept = {r[0]: (r[9], r[10]) for r in stranded[1:]}
    assert kept == {funding.stranded.key: ("no", ""), funding.kept.key: ("yes", "Needed anyway")}
    assert [r[0] for r in starved[1:]] == [funding.d.key]
    why = {r[0]: r[5] for r in stop[1:]}
    assert list(why) == [funding.c_big.key, funding.stranded.key, funding.c_small.key]
    assert why[funding.stranded.key] == f"{funding.e.key} is on hold"
    assert why[funding.c_big.key] == (
        f"over-funded: {funding.c.key} gets 50% of its siblings' live effort, "
        "its priority implies 7%"
    )


def test_the_csv_export_is_safe_to_open_in_a_spreadsheet(org, lead, planner, funding, client_for):
    evil = make_task(
        org, planner, None, '=HYPERLINK("http://evil.test","x")', origin=Origin.QUICK_ADD
    )
    work_services.task_update(organization=org, actor=planner, task=evil, title="@SUM(A1:A9)")
    make_task(org, planner, None, "+1 more thing", origin=Origin.QUICK_ADD)
    make_task(org, planner, None, "-2 and counting", origin=Origin.QUICK_ADD)

    titles = [r[1] for r in read_csv(client_for(lead).get(url("orphaned", "csv")))[1:]]

    assert "'@SUM(A1:A9)" in titles
    assert "'+1 more thing" in titles and "'-2 and counting" in titles
    assert all(not t.startswith(("=", "+", "-", "@")) for t in titles)


def test_the_export_is_for_members_only(org, outsider, funding, client_for):
    assert client_for(outsider).get(url("orphaned", "csv")).status_code == 404


# Paging and speed -----------------------------------------------------------------------------


def test_a_long_queue_is_paginated_by_task_number(org, lead, planner, viewer, client_for):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    tasks = [
        make_task(org, planner, None, f"Loose end {i}", origin=Origin.QUICK_ADD)
        for i in range(selectors.QUEUE_PAGE_SIZE + 5)
    ]
    client = client_for(viewer)

    first = client.get(url("orphaned")).content.decode()
    cursor = re.search(r'href="/o/acme/coverage/orphaned/\?before=(\d+)"', first).group(1)
    second = client.get(url("orphaned"), {"before": cursor}).content.decode()

    newest_first = [t.number for t in reversed(tasks)]
    assert rows(first, "orphaned") == newest_first[: selectors.QUEUE_PAGE_SIZE]
    assert rows(second, "orphaned") == newest_first[selectors.QUEUE_PAGE_SIZE :]
    assert "?before=" not in second.split('aria-label="More rows"')[1].split("</nav>")[0]


def test_the_starved_queue_is_paginated_by_priority_then_number(org, lead, viewer, client_for):
    goals = [
        make_goal(org, lead, f"Idle {i}", priority=Priority.P4 if i % 2 else Priority.P1)
        for i in range(selectors.QUEUE_PAGE_SIZE + 2)
    ]
    Goal.objects.filter(organization=org).update(activated_at=timezone.now() - timedelta(days=30))
    client = client_for(viewer)

    first = client.get(url("starved")).content.decode()
    cursor = re.search(r'href="/o/acme/coverage/starved/\?after=([\d-]+)"', first).group(1)
    second = client.get(url("starved"), {"after": cursor}).content.decode()

    expected = [g.number for g in sorted(goals, key=lambda g: (g.priority, g.number))]
    assert rows(first, "starved", "goal") + rows(second, "starved", "goal") == expected


@pytest.mark.parametrize("kind", ["orphaned", "stranded", "suspect", "starved", "stop"])
def test_a_queue_runs_a_constant_number_of_queries(org, lead, planner, client_for, kind):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    client = client_for(lead)

    def grow(times: int) -> None:
        for i in range(times):
            goal = make_goal(org, lead, f"Goal {i}", priority=Priority.P4)
            make_task(org, planner, goal, f"Work {i}", estimate=3)
            make_task(org, planner, None, f"Loose {i}", origin=Origin.QUICK_ADD)
            make_goal(org, lead, f"Idle {i}")
            if i % 2:
                goal_services.goal_update(
                    organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
                )

    grow(2)
    client.get(url(kind))
    with CaptureQueriesContext(connection) as small:
        client.get(url(kind))
    grow(20)
    with CaptureQueriesContext(connection) as large:
        client.get(url(kind))

    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_owner_filter_lists_this_organizations_goal_owners(
    org, other_org, lead, planner, viewer, outsider, client_for
):
    lead_m, planner_m = (Membership.objects.get(organization=org, user=u) for u in (lead, planner))
    make_goal(org, lead, "Win the mid-market", owner=planner_m)
    make_goal(org, lead, "Old bet", owner=lead_m, status=GoalStatus.ON_HOLD)
    make_goal(other_org, outsider, "Their goal", owner=Membership.objects.get(user=outsider))

    html = client_for(viewer).get("/o/acme/coverage/").content.decode()

    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', html)
    owners = [(value, label) for value, label in options if value]
    assert owners == [(str(planner_m.pk), planner.display_name)]  # owns an active goal


def test_a_bookmarked_owner_filter_stays_valid_and_selected(org, lead, planner, client_for):
    planner_m = Membership.objects.get(organization=org, user=planner)

    html = client_for(lead).get(f"/o/acme/coverage/?owner={planner_m.pk}").content.decode()

    assert f'<option value="{planner_m.pk}" selected>{planner.display_name}</option>' in html
    assert "Select a valid choice" not in html
