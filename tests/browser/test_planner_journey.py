"""The planner's journey in Chromium: work created from a goal page, stranded and suspect work."""

import re

import pytest
from playwright.sync_api import expect

from goals import services as goal_services
from goals.models import Priority
from tests.builders import make_goal, make_outcome, make_task
from tests.factories import PASSWORD
from work.models import Task


@pytest.fixture
def goal(org, lead):
    return make_goal(org, lead, "Grow revenue", priority=Priority.P2)


def mark_the_window(page) -> None:
    """A marker that only survives if the page is never reloaded."""
    page.evaluate("window.vindarisMarker = 'no reload'")


def assert_no_reload(page) -> None:
    assert page.evaluate("window.vindarisMarker") == "no reload"


def test_a_planner_creates_a_task_from_the_goal_page_without_a_reload(
    page, login, org, lead, planner, goal
):
    make_outcome(org, lead, goal, "Monthly revenue")
    login(planner.email, PASSWORD)
    page.goto(f"/o/acme/goals/{goal.number}/")
    counts = page.locator(f"#goal-{goal.number}-counts")
    expect(counts.locator(f"#goal-{goal.number}-live-tasks")).to_have_text("0")
    mark_the_window(page)

    form = page.locator(f"#goal-{goal.number}-task-form")
    form.get_by_label("Title").fill("Call ten prospects")
    form.get_by_label("Outcome").select_option(label="O-1 Monthly revenue")
    # The assignee is typed: the members whose name matches are suggested as you type.
    assignee = form.get_by_label("Assignee")
    assignee.fill(planner.name.split()[0])
    suggestion = page.locator(f"#goal-{goal.number}-task-assignee-options option")
    expect(suggestion).to_have_count(1)
    assignee.fill(suggestion.get_attribute("value"))  # picking it writes it in the input
    form.get_by_label("Estimate").fill("3")
    form.get_by_role("button", name="Add task").click()

    row = page.locator(f"#goal-{goal.number}-task-rows tr", has_text="Call ten prospects")
    expect(row).to_be_visible()
    expect(row).to_contain_text("O-1")
    expect(row).to_contain_text(planner.display_name)
    expect(counts.locator(f"#goal-{goal.number}-live-tasks")).to_have_text("1")
    expect(counts.locator(f"#goal-{goal.number}-live-effort")).to_have_text("3 pts")
    # The form is ready for the next task, as the page first showed it.
    fresh_form = page.locator(f"#goal-{goal.number}-task-form")
    expect(fresh_form.get_by_label("Title")).to_have_value("")
    expect(fresh_form.get_by_label("Title")).to_be_focused()
    expect(fresh_form.get_by_label("Assignee")).to_have_value("")
    expect(fresh_form.get_by_label("Estimate")).to_have_value("1")
    expect(page.get_by_text("Added T-1 Call ten prospects.")).to_be_visible()
    assert_no_reload(page)

    # A mistake is shown where it was made, still without a reload.
    page.locator(f"#goal-{goal.number}-task-form").get_by_role("button", name="Add task").click()
    expect(page.locator(f"#goal-{goal.number}-task-form")).to_contain_text(
        "This field is required."
    )
    assert_no_reload(page)
    assert Task.objects.count() == 1


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_a_lead_puts_a_goal_on_hold_and_the_planner_sees_its_work_stranded(
    browser, live_server, page, login, org, lead, planner, goal
):
    task = make_task(org, planner, goal, "Prototype the widget")
    other = make_task(org, planner, make_goal(org, lead, "Retain customers"), "Interview users")
    login(planner.email, PASSWORD)
    page.goto(f"/o/acme/goals/{goal.number}/")
    row = page.locator(f"#task-{task.number}")
    expect(row).to_be_visible()
    expect(row.locator(".badge-stranded")).to_have_count(0)

    # The lead, in a browser of their own, puts the goal on hold from its page.
    lead_context = browser.new_context(base_url=live_server.url)
    try:
        lead_page = lead_context.new_page()
        log_in(lead_page, lead.email)
        lead_page.goto(f"/o/acme/goals/{goal.number}/")
        lead_page.get_by_role("link", name="Edit goal").click()
        lead_page.get_by_label("Status").select_option("on_hold")
        lead_page.get_by_role("button", name="Save changes").click()
        # The form first says what the change does to the work, then saves on confirmation.
        expect(lead_page.get_by_text("strand 1 live task")).to_be_visible()
        lead_page.get_by_role("button", name="Confirm and save").click()
        expect(lead_page.locator(".goal-page .facts")).to_contain_text("On hold")
    finally:
        lead_context.close()

    page.reload()
    expect(
        page.get_by_text("This goal is not active, so its live work is stranded")
    ).to_be_visible()
    expect(row.locator(".badge-stranded")).to_be_visible()
    expect(page.locator(f"#goal-{goal.number}-stranded")).to_have_text("1")

    page.get_by_role("link", name="Work", exact=True).first.click()
    expect(page.locator(f"#task-{task.number} .badge-stranded")).to_be_visible()
    expect(page.locator(f"#task-{other.number}")).to_be_visible()
    mark_the_window(page)
    page.get_by_label("Gap").select_option("stranded")
    expect(page).to_have_url(re.compile(r"gap=stranded"))
    expect(page.locator(f"#task-{other.number}")).to_have_count(0)
    expect(page.locator(f"#task-{task.number}")).to_be_visible()
    assert_no_reload(page)

    # Quick add comes back to the list as it is filtered now. The goal is typed: part of its
    # title finds it among the active goals (the one on hold is not offered).
    page.get_by_label("Title").fill("Wind the prototype down")
    goal_input = page.get_by_label("Goal", exact=True).first
    goal_input.fill("customers")
    suggestions = page.locator("#quick-add-goal-options option")
    expect(suggestions).to_have_count(1)
    expect(suggestions).to_have_attribute("value", "G-2 Retain customers")
    goal_input.fill("G-2 Retain customers")  # as picking the suggestion writes it
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_text("Added T-3 Wind the prototype down under G-2.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"gap=stranded"))
    expect(page.get_by_label("Gap")).to_have_value("stranded")


def test_a_planner_resolves_a_suspect_link_and_the_badge_disappears(
    page, login, org, lead, planner, goal
):
    task = make_task(org, planner, goal, "Prototype the widget")
    other = make_task(org, planner, goal, "Interview users")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P4)
    login(planner.email, PASSWORD)
    page.goto(f"/o/acme/goals/{goal.number}/")
    expect(page.locator(".notice-suspect")).to_contain_text("priority lowered P2 → P4")
    expect(page.locator(f"#goal-{goal.number}-suspect")).to_have_text("2")
    mark_the_window(page)

    row = page.locator(f"#task-{task.number}")
    expect(row.locator(".badge-suspect")).to_be_visible()
    row.get_by_role("button", name="Confirm link").click()

    expect(page.locator(f"#task-{task.number} .badge-suspect")).to_have_count(0)
    expect(page.locator(f"#task-{other.number} .badge-suspect")).to_be_visible()
    expect(page.locator(f"#goal-{goal.number}-suspect")).to_have_text("1")
    assert_no_reload(page)

    page.get_by_role("button", name="Confirm all links").click()
    expect(page.locator(f"#goal-{goal.number}-suspect")).to_have_text("0")
    expect(page.locator(".badge-suspect")).to_have_count(0)
    expect(page.get_by_role("button", name="Confirm all links")).to_have_count(0)
    assert_no_reload(page)


def test_a_planner_checks_in_an_outcome_and_changes_status_inline(
    page, login, org, lead, planner, goal
):
    outcome = make_outcome(org, lead, goal, "Monthly revenue", baseline="100", target="200")
    task = make_task(org, planner, goal, "Launch the pricing page", outcome=outcome)
    login(planner.email, PASSWORD)
    page.goto(f"/o/acme/goals/{goal.number}/")
    mark_the_window(page)

    card = page.locator(f"#outcome-{outcome.number}")
    card.get_by_role("link", name="Check in").click()
    expect(card.get_by_label("New value")).to_be_focused()
    card.get_by_label("New value").fill("150")
    card.get_by_text("What moved this?").click()
    card.get_by_label("T-1 Launch the pricing page").check()
    card.get_by_role("button", name="Check in").click()
    expect(page.locator(f"#outcome-{outcome.number}-progress")).to_have_attribute("value", "50")
    expect(page.locator(f"#goal-{goal.number}-history")).to_contain_text("O-1 value: 100.00 → 150")

    row = page.locator(f"#task-{task.number}")
    row.get_by_label("Status of T-1").select_option("done")
    row.get_by_role("button", name="Set status of T-1").click()
    expect(page.locator(f"#goal-{goal.number}-live-tasks")).to_have_text("0")
    expect(page.locator(f"#goal-{goal.number}-done-share")).to_contain_text("100%")
    expect(page.get_by_text("T-1 is now done.")).to_be_visible()
    assert_no_reload(page)

    page.goto(f"/o/acme/tasks/{task.number}/")
    expect(page.get_by_text("Credited in check-ins")).to_be_visible()
    expect(page.locator("main")).to_contain_text("O-1 Monthly revenue: 100 → 150 on")
