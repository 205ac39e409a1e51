"""The API tokens page: /o/<slug>/settings/tokens/ — a member creates a token and sees its
secret once, lists and revokes their own; an admin also sees and revokes everyone's."""

import re

import pytest

from api import services
from api.models import Access, AccessToken
from vindaris.tenancy.models import Membership

TOKEN = re.compile(r"vnd_[0-9a-z]+_[a-z2-9]{8}_[A-Za-z0-9_-]{43}")


def _url(org, suffix=""):
    return f"/o/{org.slug}/settings/tokens/{suffix}"


def _make(org, user, name="CI"):
    member = Membership.objects.get(organization=org, user=user)
    token, _ = services.token_create(organization=org, actor=user, member=member, name=name)
    return token


def test_a_member_creates_a_token_and_sees_it_once(org, viewer, client_for, api_client):
    client = client_for(viewer)
    response = client.post(_url(org), {"name": "Weekly report", "access": "read", "expires": "30"})

    assert response.status_code == 200
    shown = TOKEN.findall(response.content.decode())
    assert len(shown) == 1
    assert "no-store" in response["Cache-Control"]
    token = AccessToken.objects.get(organization=org)
    assert (token.name, token.access, token.member.user) == ("Weekly report", Access.READ, viewer)
    assert token.expires_at is not None
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    # it works, and the page never shows it again
    assert api_client(shown[0], org).get("goals/").status_code == 200
    page = client.get(_url(org)).content.decode()
    assert TOKEN.findall(page) == []
    assert token.prefix in page


def test_a_token_without_expiry_and_with_write_access(org, planner, client_for):
    client_for(planner).post(_url(org), {"name": "CI", "access": "read_write", "expires": "never"})
    token = AccessToken.objects.get(organization=org)
    assert (token.access, token.expires_at) == (Access.WRITE, None)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "access": "read", "expires": "30"},
        {"name": "CI", "access": "admin", "expires": "30"},
        {"name": "CI", "access": "read", "expires": "forever"},
    ],
)
def test_bad_input_shows_the_form_again_and_creates_nothing(org, planner, client_for, data):
    response = client_for(planner).post(_url(org), data)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert TOKEN.findall(response.content.decode()) == []
    assert not AccessToken.objects.filter(organization=org).exists()


def test_members_see_their_own_tokens_and_admins_everyones(org, admin, planner, client_for):
    _make(org, planner, "Planner's script")
    _make(org, admin, "Admin's script")

    planner_page = client_for(planner).get(_url(org)).content.decode()
    assert "Planner&#x27;s script" in planner_page
    assert "Admin&#x27;s script" not in planner_page
    assert "Every token of Acme" not in planner_page

    admin_page = client_for(admin).get(_url(org)).content.decode()
    everyone = admin_page.split("Every token of Acme", 1)[1]
    assert "Planner&#x27;s script" in everyone and "Admin&#x27;s script" in everyone


def test_a_member_revokes_their_own_token(org, planner, client_for):
    token = _make(org, planner)
    response = client_for(planner).post(_url(org, "revoke/"), {"token": token.public_id})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_planner_cannot_revoke_someone_elses_token_but_an_admin_can(
    org, admin, planner, viewer, client_for
):
    token = _make(org, viewer)
    client_for(planner).post(_url(org, "revoke/"), {"token": token.public_id})
    token.refresh_from_db()
    assert token.revoked_at is None

    client_for(admin).post(_url(org, "revoke/"), {"token": token.public_id})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_organizations_token_is_not_a_choice(org, other_org, admin, outsider, client_for):
    theirs = _make(other_org, outsider)
    response = client_for(admin).post(_url(org, "revoke/"), {"token": theirs.public_id})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
