"""The planner's pages: the goal page, the task page and the work list."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import CheckIn, Goal, GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from vindaris.tenancy.models import Membership
from work import services
from work.models import CheckInCredit, Origin, Task, TaskEvent, TaskStatus


@pytest.fixture
def goal(org, lead):
    parent = make_goal(org, lead, "Win the mid-market", priority=Priority.P1)
    return make_goal(org, lead, "Grow revenue", parent=parent)


@pytest.fixture
def outcome(org, lead, goal):
    return make_outcome(org, lead, goal, "Monthly revenue", baseline="100", target="200")


@pytest.fixture
def foreign(other_org, outsider):
    """Another organization's goal, outcome and task."""
    goal = make_goal(other_org, outsider, "Their goal")
    outcome = make_outcome(other_org, outsider, goal, "Their outcome")
    task = make_task(other_org, outsider, goal, "Their task", outcome=outcome)
    return {"goal": goal, "outcome": outcome, "task": task}


def goal_url(org, goal, suffix=""):
    return f"/o/{org.slug}/goals/{goal.number}/{suffix}"


def task_url(org, task, suffix=""):
    return f"/o/{org.slug}/tasks/{task.number}/{suffix}"


def fresh(task: Task) -> Task:
    return Task.objects.select_related("goal").get(pk=task.pk)


def row_of(html: str, task: Task) -> str:
    """The table row of a task in a page or fragment."""
    match = re.search(rf'<tr id="task-{task.number}".*?</tr>', html, re.S)
    assert match, f"no row for {task.key}"
    return match.group(0)


def counts_region(html: str, goal: Goal) -> str:
    match = re.search(rf'<section id="goal-{goal.number}-counts".*?</section>', html, re.S)
    assert match, "no counts region"
    return match.group(0)


def count_in(html: str, goal: Goal, name: str) -> str:
    match = re.search(rf'id="goal-{goal.number}-{name}">(\d+)', html)
    assert match, f"no {name} count"
    return match.group(1)


# The goal page ---------------------------------------------------------------------------------


def test_the_goal_page_shows_the_goal_its_path_counts_outcomes_work_and_history(
    org, lead, planner, goal, outcome, client_for
):
    make_task(org, planner, goal, "Call ten prospects", outcome=outcome, estimate=3)
    child = make_goal(org, lead, "Partner channel", parent=goal)
    make_task(org, planner, child, "Sign a reseller", estimate=5)

    html = client_for(planner).get(goal_url(org, goal)).content.decode()

    assert "G-2" in html and "Grow revenue" in html
    assert f'href="/o/acme/goals/{goal.parent.number}/"' in html  # the path to the root
    assert count_in(html, goal, "live-tasks") == "1"
    assert 'id="goal-2-live-effort">3 pts' in html
    assert "Call ten prospects" in html
    assert '<progress id="outcome-1-progress" max="100" value="0"' in html
    assert 'id="sub-goal-3"' in html and "Partner channel" in html
    assert "Add task" in html and "Check in" in html
    assert "created" in html  # history feed


def test_the_goal_page_shows_50_tasks_and_links_to_the_rest_in_the_work_list(
    org, planner, goal, client_for
):
    for i in range(51):
        make_task(org, planner, goal, f"Task {i}")
    html = client_for(planner).get(goal_url(org, goal)).content.decode()
    assert html.count('<tr id="task-') == 50
    assert 'id="task-1"' not in html  # live first, newest first
    assert f'href="/o/acme/work/?goal={goal.number}"' in html


def test_task_titles_with_markup_are_shown_as_text_in_rows_and_check_in_boxes(
    org, lead, planner, viewer, goal, outcome, client_for
):
    title = '<img src=x onerror="alert(1)"> & Co'
    task = make_task(org, planner, goal, title, outcome=outcome, estimate=2)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P4)
    shown = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co"

    html = client_for(planner).get(goal_url(org, goal)).content.decode()
    assert "<img src=x" not in html
    row = row_of(html, task)
    assert f'<span class="key">{task.key}</span> {shown}</a>' in row
    assert f'hx-confirm="Cancel {task.key} {shown}?"' in row  # the suspect row's cancel
    assert "Confirm link" in row and f'href="#outcome-{outcome.number}"' in row
    assert '<td class="num">2</td>' in row
    opened = client_for(planner).get(f"{goal_url(org, goal)}?check_in={outcome.number}")
    html = opened.content.decode()
    assert "<img src=x" not in html
    box = f'id="checkin-{outcome.number}-credit-{task.number}"'
    assert box in html
    assert f'{task.key} {shown} <span class="muted">(aims at {outcome.key})</span>' in html

    as_viewer = row_of(client_for(viewer).get(goal_url(org, goal)).content.decode(), task)
    assert '<span class="badge status-todo">To do</span>' in as_viewer
    assert "<form" not in as_viewer and "Move" not in as_viewer
    assert shown in as_viewer and "Suspect" in as_viewer


def test_a_viewer_reads_the_goal_page_without_write_forms(org, viewer, goal, outcome, client_for):
    response = client_for(viewer).get(goal_url(org, goal))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Add task" not in html and "Check in" not in html and "Delete goal" not in html


def test_leads_see_links_to_edit_delete_and_add_sub_goals_planners_do_not(
    org, lead, planner, goal, client_for
):
    lead_html = client_for(lead).get(goal_url(org, goal)).content.decode()
    planner_html = client_for(planner).get(goal_url(org, goal)).content.decode()
    assert f"/o/acme/goals/new/?parent={goal.number}" in lead_html
    assert goal_url(org, goal, "delete/") in lead_html
    assert goal_url(org, goal, "delete/") not in planner_html
    assert "Add sub-goal" not in planner_html


def test_numbers_not_in_the_organization_are_404(org, planner, goal, foreign, client_for):
    client = client_for(planner)
    assert client.get(f"/o/{org.slug}/goals/999/").status_code == 404
    assert client.get(f"/o/{org.slug}/tasks/999/").status_code == 404
    assert client.post(f"/o/{org.slug}/outcomes/999/check-in/", {"value": "1"}).status_code == 404
    assert client.post(f"/o/{org.slug}/goals/999/tasks/add/", {"title": "x"}).status_code == 404


# Adding work from the goal page ----------------------------------------------------------------


def test_without_javascript_adding_a_task_redirects_back_to_the_goal_page(
    org, planner, goal, outcome, membership_of, client_for
):
    response = client_for(planner).post(
        goal_url(org, goal, "tasks/add/"),
        {
            "title": "Call ten prospects",
            "outcome": outcome.pk,
            "assignee": "planner@acme.test",
            "estimate": "3",
            "due_date": "2030-01-31",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/o/acme/goals/{goal.number}/#goal-{goal.number}-work"
    task = Task.objects.get(organization=org)
    assert (task.goal, task.outcome, task.estimate) == (goal, outcome, 3)
    assert task.origin == Origin.GOAL_PAGE
    assert task.assignee == membership_of(planner, org)
    assert str(task.due_date) == "2030-01-31"


def test_with_htmx_the_new_row_appears_the_form_clears_and_the_counts_update(
    org, planner, goal, client_for, htmx_headers
):
    make_task(org, planner, goal, "Existing work", estimate=2)
    response = client_for(planner).post(
        goal_url(org, goal, "tasks/add/"),
        {"title": "Call ten prospects", "estimate": "3"},
        **htmx_headers,
    )
    assert response.status_code == 200
    html = response.content.decode()
    task = Task.objects.get(title="Call ten prospects")
    # The answer is the new row, on top of the task list (the form stays where it is and
    # empties itself on the event) ...
    assert response["HX-Retarget"] == f"#goal-{goal.number}-task-rows"
    assert response["HX-Reswap"] == "afterbegin"
    assert json.loads(response["HX-Trigger-After-Swap"]) == {"task-added": {}}
    assert html.lstrip().startswith(f'<tr id="task-{task.number}"')
    assert f'id="goal-{goal.number}-task-form"' not in html
    # ... and the counts follow out of band.
    counts = counts_region(html, goal)
    assert 'hx-swap-oob="true"' in counts
    assert count_in(counts, goal, "live-tasks") == "2"
    assert 'id="goal-2-live-effort">5 pts' in counts
    assert "Added T-2 Call ten prospects." in html  # the message, out of band
    assert "<html" not in html


def test_an_invalid_task_is_shown_inline_with_its_errors_and_nothing_is_written(
    org, planner, goal, client_for, htmx_headers
):
    response = client_for(planner).post(
        goal_url(org, goal, "tasks/add/"), {"title": "", "estimate": "-2"}, **htmx_headers
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith(f'<form id="goal-{goal.number}-task-form"')
    assert "This field is required." in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert not Task.objects.exists()


def test_without_javascript_an_invalid_task_re_renders_the_goal_page_with_errors(
    org, planner, goal, client_for
):
    response = client_for(planner).post(
        goal_url(org, goal, "tasks/add/"), {"title": "Keep me", "estimate": "lots"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a whole number." in html
    assert 'value="Keep me"' in html  # what the planner typed is kept
    assert "<html" in html
    assert not Task.objects.exists()


def test_the_outcome_must_be_one_of_this_goal(org, lead, planner, goal, client_for):
    other_goal = make_goal(org, lead, "Another goal")
    elsewhere = make_outcome(org, lead, other_goal, "Elsewhere")
    response = client_for(planner).post(
        goal_url(org, goal, "tasks/add/"),
        {"title": "Misfiled", "estimate": "1", "outcome": elsewhere.pk},
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.parametrize("field", ["outcome", "assignee"])
def test_another_organizations_ids_are_not_valid_choices(
    org, planner, goal, foreign, outsider, other_org, membership_of, client_for, field
):
    value = foreign["outcome"].pk if field == "outcome" else outsider.email
    response = client_for(planner).post(
        goal_url(org, goal, "tasks/add/"), {"title": "Sneaky", "estimate": "1", field: value}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Task.objects.filter(organization=org).exists()


# Stranded and suspect work, resolved from the goal page ----------------------------------------


def test_putting_a_goal_on_hold_strands_its_live_work_on_the_goal_page(
    org, lead, planner, goal, client_for
):
    task = make_task(org, planner, goal, "Live work")
    done = make_task(org, planner, goal, "Done work", status=TaskStatus.DONE)
    html = client_for(planner).get(goal_url(org, goal)).content.decode()
    assert "Stranded" not in row_of(html, task)

    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)

    html = client_for(planner).get(goal_url(org, goal)).content.decode()
    assert "Stranded" in row_of(html, task)
    assert "Stranded" not in row_of(html, done)
    assert "This goal is not active, so its live work is stranded (1 task)" in html
    assert count_in(html, goal, "stranded") == "1"


def test_lowering_the_priority_makes_links_suspect_until_all_are_confirmed(
    org, lead, planner, goal, client_for, htmx_headers
):
    tasks = [make_task(org, planner, goal, f"Task {i}") for i in range(3)]
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P4)
    client = client_for(planner)

    html = client.get(goal_url(org, goal)).content.decode()
    assert all("Suspect" in row_of(html, t) for t in tasks)
    assert "Stranded" not in row_of(html, tasks[0])
    assert "priority lowered P2 → P4" in html
    assert count_in(html, goal, "suspect") == "3"
    assert "Confirm all links" in html

    response = client.post(goal_url(org, goal, "confirm-links/"), **htmx_headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert all("Suspect" not in row_of(html, t) for t in tasks)
    assert count_in(counts_region(html, goal), goal, "suspect") == "0"
    assert "Confirm all links" not in html
    assert "Confirmed 3 suspect links." in html
    assert not any(fresh(t).is_suspect for t in tasks)


def test_without_javascript_confirm_all_redirects_back(org, lead, planner, goal, client_for):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, title="Grow revenue fast")
    client = client_for(planner)
    response = client.post(goal_url(org, goal, "confirm-links/"))
    assert response.status_code == 302
    assert not fresh(task).is_suspect
    page = client.get(response["Location"]).content.decode()
    assert "Confirmed 1 suspect link." in page


def test_a_planner_confirms_one_suspect_link_and_the_row_and_counts_update(
    org, lead, planner, goal, client_for, htmx_headers
):
    task, other = make_task(org, planner, goal, "One"), make_task(org, planner, goal, "Two")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P3)

    response = client_for(planner).post(
        task_url(org, task, "confirm/"),
        {"layout": "goal", "next": goal_url(org, goal)},
        **htmx_headers,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="task-{task.number}"')
    assert "Suspect" not in row_of(html, task)
    assert count_in(counts_region(html, goal), goal, "suspect") == "1"
    assert not fresh(task).is_suspect and fresh(other).is_suspect
    event = TaskEvent.objects.filter(task=task).latest("id")
    assert event.kind == TaskEvent.Kind.CONFIRMED and event.actor == planner


def test_a_planner_cancels_a_suspect_task_from_the_goal_page(
    org, lead, planner, goal, client_for, htmx_headers
):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P3)
    response = client_for(planner).post(
        task_url(org, task, "status/"), {"status": "cancelled", "layout": "goal"}, **htmx_headers
    )
    html = response.content.decode()
    assert "Suspect" not in row_of(html, task)
    assert count_in(counts_region(html, goal), goal, "live-tasks") == "0"
    assert fresh(task).status == TaskStatus.CANCELLED


def test_inline_status_change_without_javascript_returns_to_the_page_it_came_from(
    org, planner, goal, client_for
):
    task = make_task(org, planner, goal)
    response = client_for(planner).post(
        task_url(org, task, "status/"),
        {"status": "in_progress", "layout": "goal", "next": goal_url(org, goal)},
    )
    assert response.status_code == 302 and response["Location"] == goal_url(org, goal)
    assert fresh(task).status == TaskStatus.IN_PROGRESS


def test_next_cannot_send_anyone_off_site(org, planner, goal, client_for):
    task = make_task(org, planner, goal)
    response = client_for(planner).post(
        task_url(org, task, "status/"), {"status": "done", "next": "https://evil.example/"}
    )
    assert response["Location"] == task_url(org, task)


def test_an_invalid_status_changes_nothing(org, planner, goal, client_for, htmx_headers):
    task = make_task(org, planner, goal)
    response = client_for(planner).post(
        task_url(org, task, "status/"), {"status": "finished", "layout": "goal"}, **htmx_headers
    )
    assert response.status_code == 422
    assert fresh(task).status == TaskStatus.TODO


# Check-ins ------------------------------------------------------------------------------------


def test_a_planner_checks_in_an_outcome_crediting_the_tasks_that_moved_it(
    org, planner, goal, outcome, client_for, htmx_headers
):
    task = make_task(org, planner, goal, "Launch pricing page", outcome=outcome)
    response = client_for(planner).post(
        f"/o/acme/outcomes/{outcome.number}/check-in/",
        {"value": "150", "note": "Pricing page live", "credited_tasks": [task.pk]},
        **htmx_headers,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div id="outcome-{outcome.number}"')
    assert f'<progress id="outcome-{outcome.number}-progress" max="100" value="50"' in html
    history = re.search(rf'<section id="goal-{goal.number}-history"[^>]*>', html).group(0)
    assert 'hx-swap-oob="true"' in history
    check_in = CheckIn.objects.get(outcome=outcome)
    assert check_in.value == Decimal("150") and check_in.author == planner
    assert list(CheckInCredit.objects.values_list("task", flat=True)) == [task.pk]


def test_the_goal_page_opens_a_check_in_only_when_a_planner_asks(
    org, planner, viewer, goal, outcome, client_for, htmx_headers
):
    check_in_url = f"/o/acme/outcomes/{outcome.number}/check-in/"
    closed = client_for(planner).get(goal_url(org, goal)).content.decode()
    assert 'name="value"' not in closed  # no check-in form drawn per outcome
    link = re.search(r'<a class="button secondary" href="([^"]+)"\s+hx-get="([^"]+)"', closed)
    assert link.groups() == (
        f"{goal_url(org, goal)}?check_in={outcome.number}#outcome-{outcome.number}",
        check_in_url,
    )

    # with htmx, the card comes back with its form open, the cursor in the new value
    card = client_for(planner).get(check_in_url, **htmx_headers)
    assert card.status_code == 200
    html = card.content.decode()
    assert html.lstrip().startswith(f'<div id="outcome-{outcome.number}"')
    assert re.search(r'<input type="number" name="value"[^>]* autofocus', html)
    # without it, the goal page with the form open
    redirect = client_for(planner).get(check_in_url)
    assert redirect.status_code == 302
    assert redirect["Location"] == link.group(1)
    opened = client_for(planner).get(redirect["Location"]).content.decode()
    assert opened.count('name="value"') == 1 and "Check in O-" in opened

    # a viewer can neither open one nor get one drawn; a number that is no outcome opens nothing
    assert client_for(viewer).get(check_in_url, **htmx_headers).status_code == 403
    as_viewer = client_for(viewer).get(f"{goal_url(org, goal)}?check_in={outcome.number}")
    assert 'name="value"' not in as_viewer.content.decode()
    for junk in ("999", "x", "-1", "9" * 40):
        page = client_for(planner).get(f"{goal_url(org, goal)}?check_in={junk}")
        assert page.status_code == 200 and 'name="value"' not in page.content.decode()
    assert not CheckIn.objects.exists()


def test_a_check_in_closes_its_form_when_recorded_and_keeps_it_open_with_errors(
    org, planner, outcome, client_for, htmx_headers
):
    url = f"/o/acme/outcomes/{outcome.number}/check-in/"
    rejected = client_for(planner).post(url, {"value": "a lot"}, **htmx_headers)
    assert rejected.status_code == 422 and 'name="value"' in rejected.content.decode()
    recorded = client_for(planner).post(url, {"value": "120"}, **htmx_headers)
    assert recorded.status_code == 200
    card = recorded.content.decode().split('<section id="goal-')[0]
    assert 'name="value"' not in card and "Check in<span" in card


def test_a_check_in_credits_only_tasks_of_the_outcomes_goal(
    org, lead, planner, goal, outcome, foreign, client_for
):
    elsewhere = make_task(org, planner, make_goal(org, lead, "Elsewhere"))
    for task in (elsewhere, foreign["task"]):
        response = client_for(planner).post(
            f"/o/acme/outcomes/{outcome.number}/check-in/",
            {"value": "150", "credited_tasks": [task.pk]},
        )
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_check_in_without_a_value_is_rejected_inline(
    org, planner, outcome, client_for, htmx_headers
):
    response = client_for(planner).post(
        f"/o/acme/outcomes/{outcome.number}/check-in/", {"value": ""}, **htmx_headers
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not CheckIn.objects.exists()


# Deleting a goal ------------------------------------------------------------------------------


def test_only_leads_and_admins_delete_goals(org, planner, lead, goal, client_for):
    make_task(org, planner, goal)
    assert client_for(planner).get(goal_url(org, goal, "delete/")).status_code == 403
    assert client_for(planner).post(goal_url(org, goal, "delete/")).status_code == 403
    page = client_for(lead).get(goal_url(org, goal, "delete/"))
    assert page.status_code == 200
    assert "1 live task</strong> will be <strong>orphaned" in page.content.decode()
    assert Goal.objects.filter(pk=goal.pk).exists()  # GET asks, it never deletes


def test_deleting_a_goal_orphans_its_work_and_returns_to_the_parent(
    org, planner, lead, goal, client_for
):
    task = make_task(org, planner, goal)
    parent = goal.parent
    response = client_for(lead).post(goal_url(org, goal, "delete/"))
    assert response.status_code == 302 and response["Location"] == goal_url(org, parent)
    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert fresh(task).is_orphaned


# Roles ----------------------------------------------------------------------------------------


def write_endpoints(org, goal, outcome, task):
    return [
        goal_url(org, goal, "tasks/add/"),
        goal_url(org, goal, "confirm-links/"),
        goal_url(org, goal, "delete/"),
        f"/o/{org.slug}/outcomes/{outcome.number}/check-in/",
        task_url(org, task, "edit/"),
        task_url(org, task, "move/"),
        task_url(org, task, "status/"),
        task_url(org, task, "confirm/"),
        task_url(org, task, "keep/"),
        f"/o/{org.slug}/work/add/",
    ]


def test_viewers_get_403_on_every_write_and_nothing_changes(
    org, lead, viewer, goal, outcome, client_for, htmx_headers
):
    task = make_task(org, lead, goal, outcome=outcome)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    client = client_for(viewer)
    data = {"title": "x", "estimate": "1", "status": "done", "value": "5", "reason": "because"}
    events = TaskEvent.objects.count()
    for url in write_endpoints(org, goal, outcome, task):
        assert client.post(url, data).status_code == 403, url
        assert client.post(url, data, **htmx_headers).status_code == 403, url
    assert client.get(task_url(org, task, "edit/")).status_code == 403
    assert client.get(task_url(org, task, "move/")).status_code == 403
    assert TaskEvent.objects.count() == events
    assert Task.objects.count() == 1 and Goal.objects.filter(pk=goal.pk).exists()
    assert not CheckIn.objects.exists()


def test_viewers_read_the_task_page_and_the_work_list(org, lead, viewer, goal, client_for):
    task = make_task(org, lead, goal)
    client = client_for(viewer)
    task_page = client.get(task_url(org, task))
    work_page = client.get("/o/acme/work/")
    assert task_page.status_code == 200 and work_page.status_code == 200
    assert "Change status" not in task_page.content.decode()
    assert "Quick add" not in work_page.content.decode()


# The task page --------------------------------------------------------------------------------


def test_the_task_page_traces_the_work_up_to_the_root_goal(org, planner, goal, outcome, client_for):
    task = make_task(org, planner, goal, outcome=outcome)
    html = client_for(planner).get(task_url(org, task)).content.decode()
    trace = re.search(r'<ol class="trace">(.*?)</ol>', html, re.S).group(1)
    positions = [trace.index(s) for s in (task.key, outcome.key, goal.key, goal.parent.key)]
    assert positions == sorted(positions)
    assert "Root goal" in trace and "P1" in trace and "Active" in trace
    assert f'created it under <a href="/o/acme/goals/{goal.number}/">{goal.key}</a>' in html


def test_the_task_page_shows_an_orphaned_task_as_such(org, planner, client_for):
    org.allow_goalless_work = True
    org.save()
    task = make_task(org, planner, None, "Loose end", origin=Origin.QUICK_ADD)
    html = client_for(planner).get(task_url(org, task)).content.decode()
    assert "Orphaned" in html and "it is orphaned" in html


def test_editing_a_task_records_old_and_new_values(org, planner, goal, outcome, client_for):
    task = make_task(org, planner, goal, "Draft", estimate=1)
    client = client_for(planner)
    assert client.get(task_url(org, task, "edit/")).status_code == 200
    response = client.post(
        task_url(org, task, "edit/"),
        {"title": "Final", "description": "", "outcome": outcome.pk, "estimate": "5"},
    )
    assert response.status_code == 302
    task = fresh(task)
    assert (task.title, task.outcome, task.estimate) == ("Final", outcome, 5)
    html = client.get(task_url(org, task)).content.decode()
    assert "<del>Draft</del> → <ins>Final</ins>" in html


def test_editing_rejects_an_outcome_of_another_goal(org, lead, planner, goal, client_for):
    task = make_task(org, planner, goal, "Draft")
    elsewhere = make_outcome(org, lead, make_goal(org, lead, "Other"), "Elsewhere")
    response = client_for(planner).post(
        task_url(org, task, "edit/"), {"title": "Changed", "outcome": elsewhere.pk, "estimate": "1"}
    )
    assert "Select a valid choice" in response.content.decode()
    assert fresh(task).title == "Draft"


def test_moving_a_task_needs_a_reason_and_shows_in_its_history(
    org, lead, planner, goal, client_for
):
    task = make_task(org, planner, goal)
    target = make_goal(org, lead, "Retain customers")
    target_outcome = make_outcome(
        org, lead, target, "Churn", baseline="10", target="5", direction="decrease"
    )
    client = client_for(planner)

    response = client.post(task_url(org, task, "move/"), {"to_goal": target.key, "reason": ""})
    assert "Say why the work moves." in response.content.decode()
    assert fresh(task).goal == goal

    response = client.post(
        task_url(org, task, "move/"),
        {
            "to_goal": f"{target.key} {target.title}",
            "outcome": f"{target_outcome.key} {target_outcome.title}",
            "reason": "Churn is the bigger risk",
        },
    )
    assert response.status_code == 302 and response["Location"] == task_url(org, task)
    assert (fresh(task).goal, fresh(task).outcome) == (target, target_outcome)
    html = client.get(task_url(org, task)).content.decode()
    assert f'from <a href="/o/acme/goals/{goal.number}/">{goal.key}</a>' in html
    assert "Why: Churn is the bigger risk" in html


def test_moving_rejects_another_organizations_goal_and_a_mismatched_outcome(
    org, lead, planner, goal, outcome, foreign, client_for
):
    task = make_task(org, planner, goal)
    target = make_goal(org, lead, "Retain customers")
    client = client_for(planner)
    response = client.post(
        task_url(org, task, "move/"), {"to_goal": foreign["goal"].title, "reason": "why not"}
    )
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        task_url(org, task, "move/"),
        {"to_goal": target.key, "outcome": outcome.key, "reason": "x"},
    )
    assert "Choose an outcome of the goal the work moves to." in response.content.decode()
    assert fresh(task).goal == goal


def test_a_planner_keeps_a_stranded_task_going_with_a_reason(org, lead, planner, goal, client_for):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    client = client_for(planner)
    response = client.post(task_url(org, task, "keep/"), {"reason": ""})
    assert "Say why this work continues." in response.content.decode()

    response = client.post(task_url(org, task, "keep/"), {"reason": "Contract signed already"})
    assert response.status_code == 302
    goal_page = client.get(goal_url(org, goal)).content.decode()
    # kept, not counted as stranded: one badge, saying both
    assert 'Kept<span class="visually-hidden">: stranded, kept on purpose' in row_of(
        goal_page, task
    )
    assert "badge-stranded" not in row_of(goal_page, task)


# The work list --------------------------------------------------------------------------------


def test_the_work_list_filters_by_goal_status_gap_assignee_and_search(
    org, lead, planner, goal, membership_of, client_for
):
    on_hold = make_goal(org, lead, "Paused bet")
    mine = make_task(
        org, planner, goal, "Write the launch post", assignee=membership_of(planner, org)
    )
    stranded = make_task(org, planner, on_hold, "Prototype the widget")
    done = make_task(org, planner, goal, "Old work", status=TaskStatus.DONE)
    goal_services.goal_update(organization=org, actor=lead, goal=on_hold, status=GoalStatus.ON_HOLD)
    client = client_for(planner)

    def listed(query):
        html = client.get(f"/o/acme/work/?{query}").content.decode()
        return {t.key for t in (mine, stranded, done) if f'id="task-{t.number}"' in html}

    assert listed("") == {"T-1", "T-2", "T-3"}
    assert listed(f"goal={goal.number}") == {"T-1", "T-3"}
    assert listed("status=live") == {"T-1", "T-2"}
    assert listed("status=done") == {"T-3"}
    assert listed("gap=stranded") == {"T-2"}
    assert listed("assignee=planner%40acme.test") == {"T-1"}
    assert listed(f"goal={goal.key}+{goal.title}") == {"T-1", "T-3"}  # as the picker writes it
    assert listed("q=launch") == {"T-1"}
    assert "Stranded" in row_of(client.get("/o/acme/work/").content.decode(), stranded)


def test_a_filter_on_another_organizations_goal_is_rejected_not_applied(
    org, planner, goal, other_org, outsider, client_for
):
    make_task(org, planner, goal)
    theirs = [make_goal(other_org, outsider, f"Theirs {i}") for i in range(4)][-1]
    response = client_for(planner).get(f"/o/acme/work/?goal={theirs.number}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert 'id="task-1"' in html


def test_the_work_list_pages_with_an_older_tasks_cursor_that_keeps_the_filters(
    org, planner, goal, client_for, htmx_headers
):
    for i in range(55):
        make_task(org, planner, goal, f"Task {i}")
    client = client_for(planner)
    html = client.get("/o/acme/work/?status=live").content.decode()
    assert html.count('<tr id="task-') == 50
    assert 'id="task-55"' in html and 'id="task-6"' in html and 'id="task-5"' not in html
    older = re.search(r'href="(/o/acme/work/\?[^"]*before=6[^"]*)"', html).group(1)
    assert "status=live" in older

    response = client.get(older.replace("&amp;", "&"), **htmx_headers)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="work-results"')
    assert html.count('<tr id="task-') == 5
    assert 'id="task-5"' in html and 'id="task-1"' in html
    assert "Older tasks" not in html and "Newest tasks" in html


def test_a_history_restore_gets_the_whole_page(org, planner, client_for, htmx_headers):
    response = client_for(planner).get(
        "/o/acme/work/", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **htmx_headers
    )
    assert "<html" in response.content.decode()


def test_quick_add_asks_for_a_goal_when_goalless_work_is_not_allowed(org, planner, client_for):
    response = client_for(planner).post(
        "/o/acme/work/add/", {"title": "Loose end", "estimate": "1"}
    )
    assert response.status_code == 200
    assert "Choose the goal this work serves." in response.content.decode()
    assert not Task.objects.exists()


def test_quick_add_captures_orphaned_work_when_the_organization_allows_it(org, planner, client_for):
    org.allow_goalless_work = True
    org.save()
    client = client_for(planner)
    response = client.post(
        "/o/acme/work/add/",
        {"title": "Loose end", "estimate": "1", "next": "/o/acme/work/?gap=orphaned"},
    )
    assert response.status_code == 302 and response["Location"] == "/o/acme/work/?gap=orphaned"
    task = Task.objects.get()
    assert task.goal is None and task.origin == Origin.QUICK_ADD and task.is_orphaned
    html = client.get(response["Location"]).content.decode()
    assert "Orphaned" in row_of(html, task)
    assert "it is orphaned" in html  # the success message


def test_quick_add_under_a_goal(org, planner, goal, foreign, client_for):
    client = client_for(planner)
    response = client.post(
        "/o/acme/work/add/", {"title": "Theirs", "estimate": "1", "goal": foreign["goal"].title}
    )
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        "/o/acme/work/add/", {"title": "Ours", "estimate": "2", "goal": goal.key}
    )
    assert response.status_code == 302
    task = Task.objects.get(organization=org)
    assert (task.goal, task.origin, task.estimate) == (goal, Origin.QUICK_ADD, 2)


def test_a_status_change_on_the_work_list_swaps_its_row(
    org, planner, goal, client_for, htmx_headers
):
    task = make_task(org, planner, goal)
    response = client_for(planner).post(
        task_url(org, task, "status/"),
        {"status": "blocked", "layout": "work", "next": "/o/acme/work/?status=live"},
        **htmx_headers,
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="task-{task.number}"')
    assert 'value="blocked" selected' in html
    assert f'href="/o/acme/goals/{goal.number}/"' in html  # the work list's goal column
    assert fresh(task).status == TaskStatus.BLOCKED


# The pickers' suggestions -----------------------------------------------------------------------


def options(client, path: str) -> list[str]:
    """The values of the <option>s a picker's suggestions answer with."""
    response = client.get(path, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)"', response.content.decode())


def test_goal_suggestions_match_a_key_or_part_of_a_title_active_goals_first(
    org, lead, planner, goal, client_for
):
    paused = make_goal(org, lead, "Grow the partner channel", status=GoalStatus.ON_HOLD)
    urgent = make_goal(org, lead, "Grow margins", priority=Priority.P1)
    client = client_for(planner)
    url = "/o/acme/work/pick/goals/"
    # what the input sends: its own name and text, `field` naming it
    assert options(client, f"{url}?field=goal&goal=grow") == [
        "G-4 Grow margins",  # P1
        "G-2 Grow revenue",  # P2
        "G-3 Grow the partner channel",  # not active: last
    ]
    assert options(client, f"{url}?field=goal&goal=G-3") == ["G-3 Grow the partner channel"]
    assert options(client, f"{url}?active=1&field=goal&goal=grow") == [
        "G-4 Grow margins",
        "G-2 Grow revenue",
    ]
    assert options(client, f"{url}?exclude={urgent.number}&field=to_goal&to_goal=margins") == []
    assert len(options(client, f"{url}?field=q&q=")) == 4  # with the sub-goals' parent
    assert paused.key in client.get(f"{url}?q=partner").content.decode()
    assert "On hold" in client.get(f"{url}?q=partner").content.decode()


def test_suggestions_are_escaped_and_at_most_twenty(org, lead, planner, client_for):
    for i in range(25):
        make_goal(org, lead, f"<b>Bold</b> goal {i}")
    html = client_for(planner).get("/o/acme/work/pick/goals/?q=bold").content.decode()
    assert html.count("<option") == 20
    assert "<b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html
    # junk typed is no error
    for junk in ("%00", "G-1%00", "x" * 5000, "G-99999999999999"):
        for picker in ("goals", "members", "outcomes"):
            url = f"/o/acme/work/pick/{picker}/?q={junk}&to_goal={junk}"
            assert client_for(planner).get(url).status_code == 200, url


def test_member_suggestions_match_a_name_or_an_email_of_this_organization_only(
    org, planner, viewer, outsider, client_for
):
    client = client_for(planner)
    url = "/o/acme/work/pick/members/?field=assignee&assignee="
    as_written = f"{planner.display_name} &lt;planner@acme.test&gt;"
    assert options(client, url + "planner@") == [as_written]
    assert options(client, url + planner.name.split()[0].upper())[0] == as_written
    assert options(client, url + "globex") == []  # the outsider is no member here
    assert len(options(client, url)) == 2  # the planner and the viewer


def test_outcome_suggestions_are_the_outcomes_of_the_goal_typed_beside_them(
    org, lead, planner, goal, outcome, client_for
):
    other = make_goal(org, lead, "Retain customers")
    make_outcome(org, lead, other, "Churn", baseline="10", target="5", direction="decrease")
    client = client_for(planner)
    url = "/o/acme/work/pick/outcomes/?field=outcome&outcome="
    assert options(client, f"{url}&to_goal={goal.key}+{goal.title}") == ["O-1 Monthly revenue"]
    assert options(client, f"{url}churn&to_goal={other.key}") == ["O-2 Churn"]
    assert options(client, f"{url}&to_goal=G-99") == []
    assert options(client, url) == []


# Speed: the same number of queries whatever the number of tasks -------------------------------


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_tasks(org, actor, goal, outcome, n: int, start: int = 0):
    """Tasks with every related field a row shows: assignee, outcome, done and live ones."""
    assignee = Membership.objects.get(organization=org, user=actor)
    for i in range(start, n):
        task = make_task(
            org, actor, goal, f"Task {i}", outcome=outcome if i % 2 else None, assignee=assignee
        )
        if i % 3 == 0:
            services.task_set_status(organization=org, actor=actor, task=task, status="done")


def test_the_goal_page_runs_the_same_queries_with_5_and_50_tasks(
    org, lead, planner, goal, outcome, client_for
):
    make_goal(org, lead, "A sub-goal", parent=goal)
    client = client_for(planner)
    add_tasks(org, planner, goal, outcome, 5)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P3)
    few = queries(client, goal_url(org, goal))
    add_tasks(org, planner, goal, outcome, 50, start=5)
    many = queries(client, goal_url(org, goal))
    assert few == many


def test_the_work_list_runs_the_same_queries_with_5_and_50_tasks(
    org, planner, goal, outcome, client_for
):
    client = client_for(planner)
    add_tasks(org, planner, goal, outcome, 5)
    few = queries(client, "/o/acme/work/")
    add_tasks(org, planner, goal, outcome, 50, start=5)
    many = queries(client, "/o/acme/work/")
    assert few == many


def test_the_task_page_runs_the_same_queries_however_long_its_history(
    org, lead, planner, goal, outcome, client_for
):
    client = client_for(planner)
    task = make_task(org, planner, goal, outcome=outcome)
    for status in ("in_progress", "blocked", "todo", "in_progress"):
        services.task_set_status(organization=org, actor=planner, task=task, status=status)
    few = queries(client, task_url(org, task))
    for i in range(25):
        services.task_set_status(organization=org, actor=planner, task=task, status="blocked")
        services.task_set_status(organization=org, actor=planner, task=task, status="todo")
        services.check_in_record(
            organization=org,
            actor=planner,
            outcome=outcome,
            value=Decimal(110 + i),
            checked_on=timezone.localdate() - timedelta(days=i),
            credited_tasks=[task],
        )
    many = queries(client, task_url(org, task))
    assert few == many
