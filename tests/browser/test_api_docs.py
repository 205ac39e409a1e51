"""Browser test: the API's docs page (Swagger UI from our own static files) draws every
operation under the site's Content-Security-Policy, with no violation and nothing fetched from
another origin, and a reader can try an operation with a token."""

import pytest
from playwright.sync_api import expect

from api import services
from tests.builders import make_goal
from vindaris.tenancy.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_page_draws_the_api_under_our_csp(page, live_server, org, lead):
    make_goal(org, lead, "Grow revenue")
    member = Membership.objects.get(organization=org, user=lead)
    _, token = services.token_create(organization=org, actor=lead, member=member, name="docs")
    requests, errors = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )

    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="Vindaris API")).to_be_visible()
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/o/{org_slug}/goals/")
    expect(operation.first).to_be_visible()

    # Authorize with the token, then try listing the goals.
    page.get_by_role("button", name="Authorize").first.click()
    page.locator("#auth-bearer-value").fill(token)
    page.get_by_role("button", name="Apply credentials").click()
    page.locator(".auth-btn-wrapper .btn-done").click()
    page.locator("#operations-goals-list_goals").click()
    page.get_by_role("button", name="Try it out").click()
    page.locator("#operations-goals-list_goals input[placeholder='org_slug']").fill(org.slug)
    page.get_by_role("button", name="Execute").click()
    live = page.locator(".live-responses-table tbody .response-col_status").first
    expect(live).to_contain_text("200")
    expect(page.locator(".live-responses-table")).to_contain_text("Grow revenue")

    assert [e for e in errors if "CSP" in e] == []
    assert errors == []
    assert all(url.startswith(live_server.url) for url in requests), requests
