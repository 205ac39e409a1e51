"""Issue 19's journey: a goal's owner posts an "at risk" update, a lead asks a planner about it
in a comment with a mention, and the planner sees the bell's count, opens it and lands on the
comment."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tests.builders import make_goal
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from vindaris.tenancy.models import Role


def _log_in(browser, live_server, email: str):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def test_an_at_risk_update_a_mention_and_the_bell(browser, live_server, org, lead, planner):
    owner = MembershipFactory(
        organization=org,
        role=Role.PLANNER,
        user=UserFactory(email="olivia@acme.test", name="Olivia Owner"),
    )
    lead.name, planner.name = "Lee Lead", "Pat Planner"
    lead.save(update_fields=["name"])
    planner.save(update_fields=["name"])
    goal = make_goal(org, lead, "Open the Lyon office", owner=owner)
    goal_url = f"/o/{org.slug}/goals/{goal.number}/"
    expect.set_options(timeout=TIMEOUT_MS)

    # The owner says the goal is at risk, from its page.
    olivia = _log_in(browser, live_server, "olivia@acme.test")
    olivia.goto(goal_url)
    olivia.get_by_label("Health").select_option("at_risk")
    olivia.get_by_label("What happened, what is next").fill("The lease is **not signed** yet.")
    olivia.get_by_role("button", name="Post update").click()
    expect(olivia.get_by_role("main")).to_contain_text("not signed")

    # The lead reads it and asks the planner, picking them in the mention picker; the
    # discussion loads after the page, and the comment appears in place.
    lee = _log_in(browser, live_server, lead.email)
    lee.goto(goal_url)
    updates = lee.locator(f"#goal-{goal.number}-updates")
    expect(updates).to_contain_text("At risk")
    expect(updates).to_contain_text("The lease is not signed yet.")
    discussion = lee.locator(f"#goal-{goal.number}-comments")
    discussion.get_by_label("Comment", exact=True).fill("Can we still open in March? ")
    picker = discussion.get_by_label("Mention a member")
    picker.click()
    expect(discussion.locator("datalist option[value='@planner@acme.test']")).to_have_count(1)
    picker.fill("@planner@acme.test")
    expect(discussion.get_by_label("Comment", exact=True)).to_have_value(
        "Can we still open in March? @planner@acme.test "
    )
    lee.evaluate("window.sameDocument = true")
    discussion.get_by_role("button", name="Comment", exact=True).click()
    comment = lee.locator("article.comment", has_text="Can we still open in March?")
    expect(comment).to_contain_text("Lee Lead")
    assert lee.evaluate("window.sameDocument") is True  # posted and shown in place by htmx

    # The planner sees one unread notification on the bell, opens it and lands on the comment.
    pat = _log_in(browser, live_server, planner.email)
    pat.goto(f"/o/{org.slug}/")
    bell = pat.locator("#notification-bell")
    expect(bell).to_contain_text("1")
    bell.click()
    expect(pat).to_have_url(re.compile(r"/notifications/"))
    pat.get_by_role("button", name=re.compile("Lee Lead mentioned you on")).click()
    expect(pat).to_have_url(re.compile(rf"/goals/{goal.number}/comments/\?page=1#comment-\d+$"))
    landed = pat.locator("article.comment:target")
    expect(landed).to_contain_text("Can we still open in March? @planner@acme.test")
    expect(landed).to_contain_text("Lee Lead")
    pat.goto(f"/o/{org.slug}/")
    expect(pat.locator("#notification-bell")).not_to_contain_text("1")
