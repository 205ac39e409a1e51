"""A lead sees what putting a goal on hold would do before it is saved, then confirms it."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from goals.models import Goal, GoalStatus
from tests.builders import make_goal, make_task
from tests.factories import PASSWORD


def test_a_lead_previews_putting_a_goal_on_hold_and_confirms(page, login, org, lead, planner):
    company = make_goal(org, lead, "Grow revenue")
    spain = make_goal(org, lead, "Launch in Spain", parent=company)
    office = make_task(org, planner, spain, "Find a Madrid office", estimate=3)
    bank = make_task(org, planner, spain, "Open a bank account", estimate=5)
    Goal.objects.filter(organization=org, pk__in=[company.pk, spain.pk]).update(
        activated_at=timezone.now() - timedelta(days=30)
    )
    login(lead.email, PASSWORD)

    page.goto(f"/o/{org.slug}/goals/{spain.number}/")
    page.get_by_role("link", name="Edit goal").click()
    expect(page.get_by_role("heading", name=f"Edit {spain.key}")).to_be_visible()
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Status").select_option("on_hold")
    page.get_by_role("button", name="Save changes").click()

    # The form comes back in place with what would follow; nothing is saved yet.
    impact = page.locator("#change-impact")
    expect(impact).to_contain_text(f"Putting {spain.key} on hold will:")
    expect(impact).to_contain_text("strand 2 live tasks (8 pts)")
    expect(impact).to_contain_text("make 2 links suspect (8 pts)")
    rows = impact.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"{office.key} Find a Madrid office")
    expect(rows.nth(1)).to_contain_text(f"{bank.key} Open a bank account")
    expect(page.get_by_label("Status")).to_have_value("on_hold")
    assert page.evaluate("window.sameDocument") is True
    spain.refresh_from_db()
    assert spain.status == GoalStatus.ACTIVE

    # Back to editing keeps the values; saving again shows the same preview.
    page.get_by_role("button", name="Back to editing").click()
    expect(page.locator("#change-impact")).to_have_count(0)
    expect(page.get_by_label("Status")).to_have_value("on_hold")
    page.get_by_role("button", name="Save changes").click()
    expect(impact).to_contain_text("strand 2 live tasks (8 pts)")

    page.get_by_role("button", name="Confirm and save").click()
    expect(page).to_have_url(re.compile(rf"/o/{org.slug}/goals/{spain.number}/$"))
    expect(page.locator("#messages")).to_contain_text(f"{spain.key} saved.")
    spain.refresh_from_db()
    assert spain.status == GoalStatus.ON_HOLD
