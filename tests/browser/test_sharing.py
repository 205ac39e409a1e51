"""The owner of a confidential goal shares it with a planner, who then sees it; on revoke the
planner loses it at once."""

import re

from playwright.sync_api import expect

from goals.models import Goal
from tests.builders import make_goal, make_task
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from vindaris.tenancy.models import Role


def test_an_owner_shares_a_confidential_goal_with_a_planner_then_revokes_it(
    browser, live_server, page, login, org, lead, planner
):
    owner = MembershipFactory(
        organization=org,
        role=Role.PLANNER,
        user=UserFactory(email="olivia@acme.test", name="Olivia Owner"),
    )
    planner.name = "Pat Planner"
    planner.save()
    secret: Goal = make_goal(org, lead, "Acquire Initech", confidential=True, owner=owner)
    make_task(org, lead, secret, "Review Initech's contracts")
    goal_url = f"/o/{org.slug}/goals/{secret.number}/"

    # The planner's own browser: the goal does not exist for them.
    other = browser.new_context(base_url=live_server.url)
    pat = other.new_page()
    pat.goto("/accounts/login/")
    pat.get_by_label("Email").fill(planner.email)
    pat.get_by_label("Password").fill(PASSWORD)
    pat.get_by_role("button", name="Log in").click()
    pat.wait_for_load_state()
    assert pat.goto(goal_url).status == 404
    pat.goto(f"/o/{org.slug}/goals/")
    expect(pat.get_by_role("main")).not_to_contain_text("Acquire Initech")

    # The owner shares it from the goal page.
    login(owner.user.email, PASSWORD)
    page.goto(goal_url)
    expect(page.get_by_role("heading", name=re.compile("Acquire Initech"))).to_contain_text(
        "Confidential"
    )
    page.get_by_role("link", name="Share…").click()
    panel = page.locator("#access-panel")
    page.get_by_label("Member").select_option(label="Pat Planner")
    page.get_by_label("Permission").select_option("view")
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(panel.locator("li", has_text="Pat Planner")).to_contain_text("Can view")
    assert page.evaluate("window.sameDocument") is True  # swapped in place by htmx
    expect(page.locator("#messages")).to_contain_text("Pat Planner can now view")

    # The planner sees it now: in the goal list and on its page, with its work.
    pat.goto(f"/o/{org.slug}/goals/")
    expect(pat.get_by_role("main")).to_contain_text("Acquire Initech")
    assert pat.goto(goal_url).status == 200
    expect(pat.get_by_role("main")).to_contain_text("Review Initech's contracts")
    # but may not edit it
    expect(pat.get_by_role("link", name="Edit goal")).to_have_count(0)

    # The owner revokes; the planner's next request no longer finds it.
    panel.locator("li", has_text="Pat Planner").get_by_role(
        "button", name=re.compile("Remove")
    ).click()
    expect(panel.locator("ul.access-list")).not_to_contain_text("Pat Planner")
    expect(page.locator("#messages")).to_contain_text("Pat Planner no longer has access")
    assert pat.goto(goal_url).status == 404
    pat.goto(f"/o/{org.slug}/goals/")
    expect(pat.get_by_role("main")).not_to_contain_text("Acquire Initech")
    other.close()
