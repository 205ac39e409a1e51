import re

from django.core import mail
from playwright.sync_api import expect

from vindaris.tenancy.models import Membership, Role


def test_a_founder_signs_up_invites_a_colleague_who_accepts(page, live_server):
    page.goto("/signup/")
    page.get_by_label("Your name").fill("Fran Founder")
    page.get_by_label("Email").fill("fran@initech.example")
    page.get_by_label("Password").fill("a-long-enough-secret")
    page.get_by_label("Organization name").fill("Initech")
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/o/initech/$"))
    expect(page.get_by_role("heading", name="Initech", exact=True)).to_be_visible()

    page.get_by_role("link", name="Members").first.click()
    page.get_by_label("Email").fill("sam@initech.example")
    page.get_by_label("Role", exact=True).select_option("planner")
    page.get_by_role("button", name="Send invitation").click()
    # htmx swaps the panel in place: the pending invitation appears without a reload.
    expect(page.get_by_role("cell", name="sam@initech.example")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/invite/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]  # the email carries SITE_URL; the browser uses live_server

    page.get_by_role("button", name="Log out").click()
    page.goto(path)
    expect(page.get_by_role("heading", name="Join Initech")).to_be_visible()
    page.get_by_label("Your name").fill("Sam Planner")
    page.get_by_label("Password").fill("another-long-secret")
    page.get_by_role("button", name="Create account and join").click()

    expect(page).to_have_url(re.compile(r"/o/initech/$"))
    expect(page.get_by_text("You joined Initech.")).to_be_visible()
    membership = Membership.objects.get(
        user__email="sam@initech.example", organization__slug="initech"
    )
    assert membership.role == Role.PLANNER

    # The link was single-use.
    page.get_by_role("button", name="Log out").click()
    page.goto(path)
    expect(page.get_by_role("heading", name="This invitation is not valid")).to_be_visible()
