"""The lead in Chromium: gaps closed in place, the headline counts change without a page reload;
the scorecard and the goal tree on the dashboard."""

import pytest
from playwright.sync_api import expect

from tests.builders import make_goal, make_task
from tests.factories import PASSWORD
from tests.traceability.test_coverage import build_funding
from work import services as work_services
from work.models import Origin, Task, TaskEvent, TaskStatus


@pytest.fixture
def funding(org, lead, planner):
    return build_funding(org, lead, planner)


def mark_the_window(page) -> None:
    """A marker that only survives if the page is never reloaded."""
    page.evaluate("window.vindarisMarker = 'no reload'")


def assert_no_reload(page) -> None:
    assert page.evaluate("window.vindarisMarker") == "no reload"


def test_a_lead_links_an_orphaned_task_and_cancels_a_stranded_one_without_a_reload(
    page, login, org, lead, funding
):
    login(lead.email, PASSWORD)
    orphaned, stranded = funding.orphaned, funding.stranded

    # Link the orphaned task to a goal, from its queue, with the row's goal picker.
    page.goto("/o/acme/coverage/orphaned/")
    expect(page.locator("#coverage-orphaned-count")).to_have_text("1")
    expect(page.locator("#coverage-linked-ratio")).to_have_text("64%")
    mark_the_window(page)
    row = page.locator(f"#orphaned-task-{orphaned.number}")
    row.get_by_role("link", name=f"Link… {orphaned.key}").click()
    # htmx has processed the picker once coverage.js shows its Close button (on htmx:load)
    expect(row.get_by_role("button", name="Close")).to_be_visible()
    search = row.get_by_label("Find a goal")
    search.fill("churn")
    # Submitting too (the picker's other htmx trigger) does not depend on the typing delay.
    search.press("Enter")
    goal = row.get_by_label(f"Goal for {orphaned.key}")
    expect(goal.locator("option")).to_have_count(2)  # the prompt and the one match
    expect(goal).to_have_value(str(funding.b.number))
    row.get_by_role("button", name=f"Link {orphaned.key}").click()

    expect(page.locator(f"#orphaned-task-{orphaned.number}")).to_have_count(0)
    expect(page.locator("#coverage-orphaned-count")).to_have_text("0")
    expect(page.locator("#coverage-linked-ratio")).to_have_text("84%")  # 21 of 25 points
    expect(page.get_by_text(f"Linked {orphaned.key} to {funding.b.key}.")).to_be_visible()
    assert_no_reload(page)
    assert Task.objects.get(pk=orphaned.pk).goal_id == funding.b.pk

    # Cancel the stranded task from the dashboard's "what should we stop?" list.
    page.goto("/o/acme/coverage/")
    expect(page.locator("#coverage-stranded-count")).to_have_text("1")
    mark_the_window(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#stop-task-{stranded.number}").get_by_role(
        "button", name=f"Cancel {stranded.key}"
    ).click()

    expect(page.locator(f"#stop-task-{stranded.number}")).to_have_count(0)
    expect(page.locator("#coverage-stranded-count")).to_have_text("0")
    expect(page.locator("#coverage-linked-ratio")).to_have_text("95%")  # 21 of 22 points
    expect(page.get_by_text(f"Cancelled {stranded.key}.")).to_be_visible()
    assert_no_reload(page)
    assert Task.objects.get(pk=stranded.pk).status == TaskStatus.CANCELLED
    assert TaskEvent.objects.filter(task=stranded, kind="status", actor=lead).exists()


def test_a_lead_keeps_a_stranded_task_and_sees_it_move_to_the_kept_list(
    page, login, org, lead, funding
):
    login(lead.email, PASSWORD)
    stranded = funding.stranded
    page.goto("/o/acme/coverage/stranded/")
    mark_the_window(page)
    row = page.locator(f"#stranded-task-{stranded.number}")

    row.get_by_text(f"Keep… {stranded.key}").click()
    row.get_by_role("button", name=f"Keep {stranded.key}").click()  # no reason yet
    expect(row.get_by_role("alert")).to_have_text("Say why this work continues.")
    expect(row.locator(".htmx-added")).to_have_count(0)  # the re-rendered form is processed
    row.get_by_label(f"Why does {stranded.key} continue?").fill("The lease is signed")
    row.get_by_role("button", name=f"Keep {stranded.key}").click()

    kept = page.locator("#stranded-kept-rows").locator(f"#stranded-task-{stranded.number}")
    expect(kept).to_contain_text("The lease is signed")
    expect(
        page.locator("#stranded-rows").locator(f"#stranded-task-{stranded.number}")
    ).to_have_count(0)
    expect(page.locator("#coverage-stranded-count")).to_have_text("0")
    expect(page.locator("#coverage-kept-count")).to_have_text("+ 2 kept")
    assert_no_reload(page)


def test_a_lead_cancels_several_tasks_at_once(page, login, org, lead, funding):
    login(lead.email, PASSWORD)
    page.goto("/o/acme/coverage/stop/")
    mark_the_window(page)

    page.get_by_label(f"Select {funding.c_big.key}").check()
    page.get_by_label(f"Select {funding.c_small.key}").check()
    page.get_by_role("button", name="Cancel selected").click()

    expect(page.locator(f"#stop-task-{funding.c_big.number}")).to_have_count(0)
    expect(page.locator(f"#stop-task-{funding.c_small.number}")).to_have_count(0)
    expect(page.locator(f"#stop-task-{funding.stranded.number}")).to_be_visible()
    expect(page.locator("#coverage-linked-ratio")).to_have_text("47%")  # 8 of 17 points
    assert_no_reload(page)
    assert {
        t.status for t in Task.objects.filter(pk__in=[funding.c_big.pk, funding.c_small.pk])
    } == {TaskStatus.CANCELLED}


def test_a_viewer_sees_the_dashboard_without_actions(page, login, org, viewer, funding):
    login(viewer.email, PASSWORD)
    page.goto("/o/acme/coverage/")

    expect(page.get_by_role("heading", name="Coverage", level=1)).to_be_visible()
    expect(page.locator("#coverage-orphaned-count")).to_have_text("1")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    mark_the_window(page)
    page.locator("#coverage-goals").get_by_role("link", name="Share", exact=False).click()
    expect(page.locator("#coverage-goals tbody tr").first).to_have_id(
        f"coverage-goal-{funding.c.number}"
    )
    expect(page).to_have_url("/o/acme/coverage/?sort=-share")
    assert_no_reload(page)


def test_a_lead_reads_the_scorecard_and_the_goal_tree_on_the_dashboard(page, login, org, lead):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    company = make_goal(org, lead, "Grow revenue")
    team = make_goal(org, lead, "Win enterprise", parent=company)
    make_task(org, lead, team, "Pilot", estimate=3)
    late = make_task(org, lead, None, "Captured first", origin=Origin.QUICK_ADD)
    work_services.task_move(organization=org, actor=lead, task=late, to_goal=team, reason="x")

    login(lead.email, PASSWORD)
    page.goto("/o/acme/coverage/")

    # The scorecard arrives after the page: one of the two new tasks had a goal from the start.
    expect(page.locator("#scorecard-from-goals")).to_have_text("50%")
    expect(page.locator(f"#retrofitted-{late.number}")).to_contain_text("Captured first")
    # The goals table is the tree: the parent, judged by its sub-goal's work, then the sub-goal.
    rows = page.locator(".coverage-goal-table tbody tr")
    expect(rows.nth(0)).to_contain_text(company.key)
    expect(rows.nth(0)).to_contain_text("4 pts")
    expect(rows.nth(1)).to_contain_text(team.key)
