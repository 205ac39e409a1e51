import re

from playwright.sync_api import expect

from goals.forms import Quarter, organization_today
from goals.models import Goal
from tests.factories import PASSWORD


def test_a_lead_creates_a_goal_for_next_quarter_then_a_sub_goal_and_sees_them_indented(
    page, login, org, lead
):
    next_quarter = Quarter.of(organization_today(org)).shifted(1)
    login(lead.email, PASSWORD)

    page.goto(f"/o/{org.slug}/goals/")
    page.get_by_role("link", name="New goal").click()
    page.get_by_label("Title").fill("Win the enterprise market")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Period").select_option(next_quarter.value)
    # The quick pick fills the dates at once, before anything is saved.
    expect(page.get_by_label("Start date")).to_have_value(next_quarter.start.isoformat())
    expect(page.get_by_label("End date")).to_have_value(next_quarter.end.isoformat())
    page.get_by_role("button", name="Create goal").click()

    expect(page).to_have_url(re.compile(rf"/o/{org.slug}/goals/\d+/$"))
    parent = Goal.objects.get(organization=org, title="Win the enterprise market")
    assert (parent.start_date, parent.end_date) == (next_quarter.start, next_quarter.end)

    page.goto(f"/o/{org.slug}/goals/new/?parent={parent.number}")
    expect(page.get_by_role("heading", name=f"New sub-goal of {parent.key}")).to_be_visible()
    expect(page.get_by_label("Parent goal")).to_have_value(str(parent.pk))
    page.get_by_label("Title").fill("Three new logos")
    page.get_by_role("button", name="Create goal").click()
    expect(page).to_have_url(re.compile(rf"/o/{org.slug}/goals/\d+/$"))

    page.goto(f"/o/{org.slug}/goals/")
    rows = page.locator("table.goal-list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Win the enterprise market")
    expect(rows.nth(0)).to_contain_text(next_quarter.start.strftime("%-d %b %Y"))
    expect(rows.nth(1)).to_contain_text("Three new logos")

    def indent(row: int) -> float:
        cell = rows.nth(row).locator("td.goal-title")
        return cell.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)")

    assert indent(1) > indent(0)

    # Filtering swaps the list in place (no page load) and keeps the filter in the address bar.
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Title contains").fill("logos")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Three new logos")
    expect(page).to_have_url(re.compile(r"q=logos"))
    assert page.evaluate("window.sameDocument") is True
