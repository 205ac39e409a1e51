"""Personal access tokens: made by the service, kept as a hash, checked on every request
(expired, revoked, a removed member, a disabled account), their last use recorded at most once
a minute, and their requests counted against a rate limit."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import services
from api.models import Access, AccessToken
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Membership

TOKEN = re.compile(r"^vnd_([0-9a-z]+)_([a-z2-9]{8})_([A-Za-z0-9_-]{43})$")


def _make(org, user, **kwargs):
    member = Membership.objects.get(organization=org, user=user)
    return services.token_create(organization=org, actor=user, member=member, name="CI", **kwargs)


def test_a_token_names_its_organization_and_is_stored_only_as_a_hash(org, planner):
    token, string = _make(org, planner)

    match = TOKEN.match(string)
    assert match is not None, string
    assert int(match[1], 36) == org.pk
    assert match[2] == token.public_id
    secret = match[3]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = AccessToken.objects.filter(organization=org, pk=token.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    assert token.prefix == f"vnd_{match[1]}_{token.public_id}"
    assert token.access == Access.READ  # read-only unless asked


def test_two_tokens_never_share_a_secret(org, planner):
    _, first = _make(org, planner)
    _, second = _make(org, planner)
    assert TOKEN.match(first)[3] != TOKEN.match(second)[3]


def test_a_member_makes_tokens_for_themselves_only(org, planner, viewer):
    member = Membership.objects.get(organization=org, user=viewer)
    with pytest.raises(PermissionDenied):
        services.token_create(organization=org, actor=planner, member=member, name="x")
    assert not AccessToken.objects.filter(organization=org).exists()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "access": "admin"}, "access"),
        ({"name": "ok", "expires_at": "past"}, "expires_at"),
    ],
)
def test_bad_token_settings_are_refused(org, planner, kwargs, field):
    member = Membership.objects.get(organization=org, user=planner)
    if kwargs.get("expires_at") == "past":
        kwargs["expires_at"] = timezone.now() - timedelta(seconds=1)
    with pytest.raises(ValidationError) as e:
        services.token_create(organization=org, actor=planner, member=member, **kwargs)
    assert field in e.value.error_dict
    assert not AccessToken.objects.filter(organization=org).exists()


# Authentication ------------------------------------------------------------------------------


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def test_a_token_authenticates_as_its_member(org, planner, api_client):
    _, string = _make(org, planner)
    response = api_client(string, org).get("members/")
    assert response.status_code == 200
    assert [m["email"] for m in response.json()["items"]] == ["planner@acme.test"]


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token vnd_1_abcdefgh_x", "bearer junk"],
)
def test_no_token_or_a_malformed_one_is_401_with_a_bearer_challenge(org, planner, header):
    from django.test import Client

    client = Client(headers={"Authorization": header} if header is not None else {})
    response = client.get(f"/api/v1/o/{org.slug}/goals/")
    body = _problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body["type"] == "urn:vindaris:problem:unauthorized"


def test_a_wrong_secret_or_an_unknown_token_is_401(org, planner, api_client):
    token, string = _make(org, planner)
    wrong = string[:-4] + ("aaaa" if not string.endswith("aaaa") else "bbbb")
    unknown = string.replace(token.public_id, "zzzzzzzz")
    for bad in (wrong, unknown):
        body = _problem(api_client(bad, org).get("goals/"), 401)
        assert body["detail"] == "This token is not valid."


def test_an_expired_token_is_401(org, planner, api_client):
    token, string = _make(org, planner, expires_at=timezone.now() + timedelta(days=1))
    assert api_client(string, org).get("goals/").status_code == 200
    AccessToken.objects.filter(organization=org, pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    body = _problem(api_client(string, org).get("goals/"), 401)
    assert body["detail"] == "This token has expired."


def test_a_revoked_token_is_401_at_once(org, planner, api_client):
    token, string = _make(org, planner)
    client = api_client(string, org)
    assert client.get("goals/").status_code == 200
    services.token_revoke(organization=org, actor=planner, token=token)
    body = _problem(client.get("goals/"), 401)
    assert body["detail"] == "This token was revoked."


def test_a_removed_members_tokens_stop_working_at_once(org, admin, planner, api_client):
    token, string = _make(org, planner)
    client = api_client(string, org)
    assert client.get("goals/").status_code == 200
    membership = Membership.objects.get(organization=org, user=planner)
    tenancy_services.membership_remove(organization=org, actor=admin, membership=membership)

    _problem(client.get("goals/"), 401)
    assert not AccessToken.objects.filter(organization=org, pk=token.pk).exists()


def test_a_disabled_accounts_tokens_are_401(org, planner, api_client):
    _, string = _make(org, planner)
    planner.is_active = False
    planner.save(update_fields=["is_active"])
    body = _problem(api_client(string, org).get("goals/"), 401)
    assert body["detail"] == "This token's account is disabled."


def test_a_token_acts_with_its_members_current_role(org, admin, planner, api_client):
    _, string = _make(org, planner, access=Access.WRITE)
    client = api_client(string, org)
    assert client.post("goals/", {"title": "A goal"}).status_code == 403
    membership = Membership.objects.get(organization=org, user=planner)
    tenancy_services.membership_change_role(
        organization=org, actor=admin, membership=membership, role="lead"
    )
    assert client.post("goals/", {"title": "A goal"}).status_code == 201


def test_another_organizations_token_is_404_not_401(org, other_org, outsider, api_client):
    _, string = _make(other_org, outsider)
    body = _problem(api_client(string, org).get("goals/"), 404)
    assert body["detail"] == "No such organization."
    assert api_client(string, other_org).get("goals/").status_code == 200


# Revoking ------------------------------------------------------------------------------------


def test_members_revoke_their_own_tokens_and_admins_anyones(org, admin, planner, viewer):
    mine, _ = _make(org, planner)
    theirs, _ = _make(org, viewer)
    with pytest.raises(PermissionDenied):
        services.token_revoke(organization=org, actor=planner, token=theirs)
    services.token_revoke(organization=org, actor=planner, token=mine)
    services.token_revoke(organization=org, actor=admin, token=theirs)

    revoked = dict(
        AccessToken.objects.filter(organization=org).values_list("public_id", "revoked_by")
    )
    assert revoked == {mine.public_id: planner.pk, theirs.public_id: admin.pk}


def test_another_organizations_token_cannot_be_revoked_here(org, other_org, admin, outsider):
    theirs, _ = _make(other_org, outsider)
    with pytest.raises(ValidationError):
        services.token_revoke(organization=org, actor=admin, token=theirs)
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# Last use ------------------------------------------------------------------------------------


def _last_used(token):
    return AccessToken.objects.filter(
        organization_id=token.organization_id, pk=token.pk
    ).values_list("last_used_at", flat=True)[0]


def test_the_last_use_is_recorded_at_most_once_a_minute(org, planner, api_client):
    token, string = _make(org, planner)
    client = api_client(string, org)
    assert _last_used(token) is None

    client.get("coverage/")
    first = _last_used(token)
    assert first is not None
    with CaptureQueriesContext(connection) as again:
        client.get("coverage/")
    assert _last_used(token) == first
    assert not any(q["sql"].startswith("UPDATE") for q in again.captured_queries)

    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    AccessToken.objects.filter(organization=org, pk=token.pk).update(last_used_at=two_minutes_ago)
    client.get("coverage/")
    assert _last_used(token) > two_minutes_ago


def test_a_refused_request_does_not_count_as_a_use(org, other_org, outsider, api_client):
    token, string = _make(other_org, outsider)
    api_client(string, org).get("goals/")  # the wrong organization
    assert _last_used(token) is None


# Rate limits ---------------------------------------------------------------------------------


def test_a_token_over_its_rate_limit_is_told_when_to_come_back(org, planner, api_client, settings):
    settings.API_RATE_LIMIT, settings.API_RATE_WINDOW = 3, 60
    _, string = _make(org, planner)
    _, other = _make(org, planner)
    client = api_client(string, org)
    statuses = [client.get("coverage/").status_code for _ in range(4)]

    assert statuses[:3] == [200, 200, 200]
    response = client.get("coverage/")
    body = _problem(response, 429)
    assert body["type"] == "urn:vindaris:problem:rate-limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # counted per token: another token of the same member has its own window
    assert api_client(other, org).get("coverage/").status_code == 200


def test_rate_limits_fail_open_when_the_cache_is_unreachable(org, planner, api_client, settings):
    settings.API_RATE_LIMIT = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
        }
    }
    _, string = _make(org, planner)
    client = api_client(string, org)
    assert [client.get("coverage/").status_code for _ in range(3)] == [200, 200, 200]
