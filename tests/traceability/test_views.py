from urllib.parse import urlencode

from django.test import Client

from traceability.digest import unsubscribe_token
from vindaris.tenancy.models import Membership


def test_a_member_sees_their_digest_preference(org, planner, client_for):
    response = client_for(planner).get("/o/acme/digest/")

    assert response.status_code == 200
    assert b'name="receive"' in response.content and b"checked" in response.content
    assert b"your own work" in response.content


def test_a_viewer_opts_out_and_back_in(org, viewer, client_for, membership_of):
    client = client_for(viewer)

    response = client.post("/o/acme/digest/", {})
    assert response.status_code == 302 and response["Location"] == "/o/acme/digest/"
    assert membership_of(viewer, org).digest_opt_out is True

    client.post("/o/acme/digest/", {"receive": "on"})
    assert membership_of(viewer, org).digest_opt_out is False


def test_opting_out_of_one_organization_keeps_the_others(
    org, other_org, outsider, client_for, membership_of
):
    Membership.objects.create(organization=org, user=outsider, role="viewer")

    client_for(outsider).post("/o/acme/digest/", {})

    assert membership_of(outsider, org).digest_opt_out is True
    assert membership_of(outsider, other_org).digest_opt_out is False


def test_the_preferences_page_is_for_members_only(org, admin, outsider, client_for):
    assert client_for(outsider).get("/o/acme/digest/").status_code == 404
    assert client_for(outsider).post("/o/acme/digest/", {}).status_code == 404
    assert Client().get("/o/acme/digest/").status_code == 302  # to the login page
    assert Membership.objects.get(user=admin).digest_opt_out is False


def test_the_preference_form_needs_a_csrf_token(org, lead, membership_of):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)

    assert client.post("/o/acme/digest/", {}).status_code == 403
    assert membership_of(lead, org).digest_opt_out is False


def _unsubscribe_url(membership: Membership, slug: str = "acme", one_click: bool = False) -> str:
    path = "digest/unsubscribe/one-click/" if one_click else "digest/unsubscribe/"
    return f"/o/{slug}/{path}?{urlencode({'token': unsubscribe_token(membership)})}"


def test_the_unsubscribe_link_asks_before_it_acts_without_logging_in(org, lead, membership_of):
    url = _unsubscribe_url(membership_of(lead, org))
    client = Client(enforce_csrf_checks=True)

    page = client.get(url)
    assert page.status_code == 200
    assert b"Stop the weekly digest?" in page.content and b"lead@acme.test" in page.content
    assert membership_of(lead, org).digest_opt_out is False  # GET never writes

    done = client.post(url, {"csrfmiddlewaretoken": page.context["csrf_token"]})
    assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert membership_of(lead, org).digest_opt_out is True


def test_the_confirm_button_needs_its_csrf_token(org, lead, membership_of):
    response = Client(enforce_csrf_checks=True).post(_unsubscribe_url(membership_of(lead, org)))

    assert response.status_code == 403
    assert membership_of(lead, org).digest_opt_out is False


def test_a_mail_clients_one_click_post_unsubscribes(org, lead, membership_of):
    # RFC 8058: a POST with this body to the List-Unsubscribe URL, no cookies, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        _unsubscribe_url(membership_of(lead, org), one_click=True),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert membership_of(lead, org).digest_opt_out is True


def test_opening_the_one_click_link_in_a_browser_shows_the_confirm_page(org, lead, membership_of):
    membership = membership_of(lead, org)

    response = Client().get(_unsubscribe_url(membership, one_click=True), follow=True)

    assert response.redirect_chain[0][0] == _unsubscribe_url(membership)
    assert b"Stop the weekly digest?" in response.content
    assert membership_of(lead, org).digest_opt_out is False


def test_a_tampered_token_is_refused_and_changes_nothing(org, lead, planner, membership_of):
    token = unsubscribe_token(membership_of(lead, org))
    signature = token.split(":", 1)[1]
    forged = unsubscribe_token(membership_of(planner, org)).split(":", 1)[0] + ":" + signature

    for path in ("digest/unsubscribe/", "digest/unsubscribe/one-click/"):
        for bad in (forged, token[:-2], "", "not-a-token"):
            url = f"/o/acme/{path}?{urlencode({'token': bad})}"
            assert Client().get(url).status_code == 404
            assert Client().post(url).status_code == 404
        assert Client().post(f"/o/acme/{path}").status_code == 404
    assert not Membership.objects.filter(digest_opt_out=True).exists()


def test_a_token_works_only_under_its_own_organization(org, other_org, lead, membership_of):
    url = _unsubscribe_url(membership_of(lead, org), slug="globex", one_click=True)

    assert Client().post(url).status_code == 404
    assert membership_of(lead, org).digest_opt_out is False


def test_the_link_of_a_removed_member_is_no_longer_valid(org, lead, membership_of):
    membership = membership_of(lead, org)
    url = _unsubscribe_url(membership, one_click=True)
    membership.delete()

    assert Client().post(url).status_code == 404
