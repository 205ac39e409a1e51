"""A planner breaks a goal down in one sitting, in Chromium: five pasted lines, a preview, five
tasks."""

import pytest
from playwright.sync_api import expect

from goals.models import Priority
from tests.builders import make_goal
from tests.factories import PASSWORD
from work.models import Origin, Task

LINES = "\n".join(
    [
        "- Call ten prospects ~3",
        "- Draft the pricing page ~5",
        "",
        "1. Review the contract",
        "[ ] Book the venue ~2",
        "Send the invitations",
    ]
)


@pytest.fixture
def goal(org, lead):
    return make_goal(org, lead, "Grow revenue", priority=Priority.P2)


def test_a_planner_pastes_five_lines_and_gets_five_tasks(page, login, org, planner, goal):
    login(planner.email, PASSWORD)
    page.goto(f"/o/acme/goals/{goal.number}/")
    disclosure = page.locator(f"#goal-{goal.number}-task-paste")
    disclosure.get_by_text("Paste several tasks").click()
    disclosure.get_by_label("Tasks, one per line").fill(LINES)
    page.evaluate("window.vindarisMarker = 'no reload'")
    disclosure.get_by_role("button", name="Preview").click()

    # The preview comes into the disclosure, without a reload: five tasks, nothing created yet.
    expect(disclosure.get_by_role("heading", name="Preview")).to_be_focused()
    assert page.evaluate("window.vindarisMarker") == "no reload"
    rows = disclosure.locator(f"#goal-{goal.number}-paste-tasks tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Call ten prospects")
    expect(rows.nth(0)).to_contain_text("3 pts")
    expect(rows.nth(2)).to_contain_text("Review the contract")
    expect(rows.nth(2)).to_contain_text("1 pt")
    assert Task.objects.count() == 0

    disclosure.get_by_role("button", name=f"Create 5 tasks under {goal.key}").click()

    expect(page.get_by_text(f"5 tasks created under {goal.key}.")).to_be_visible()
    task_rows = page.locator(f"#goal-{goal.number}-task-rows tr[id^='task-']")
    expect(task_rows).to_have_count(5)
    for title in (
        "Call ten prospects",
        "Draft the pricing page",
        "Review the contract",
        "Book the venue",
        "Send the invitations",
    ):
        expect(task_rows.filter(has_text=title)).to_have_count(1)
    expect(page.locator(f"#goal-{goal.number}-live-tasks")).to_have_text("5")
    expect(page.locator(f"#goal-{goal.number}-live-effort")).to_have_text("12 pts")
    assert set(Task.objects.values_list("goal_id", "origin")) == {(goal.pk, Origin.GOAL_PAGE)}
