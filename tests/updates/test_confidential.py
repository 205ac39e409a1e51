"""A confidential goal's updates are seen only by those who may see the goal: not on its pages,
not in a notification, not in the digest."""

import pytest
from django.urls import reverse

from goals import services as goal_services
from notifications.models import GoalFollow, Notification
from tests.builders import make_goal, make_update
from tests.factories import MembershipFactory, UserFactory
from traceability import services as trace_services
from vindaris.tenancy.models import Membership, Role


@pytest.fixture
def secret(org, lead, planner, viewer, membership_of):
    """A confidential goal owned by the lead, shared (view) with a granted planner, and
    followed by the granted planner, the planner and the viewer (the last two may not see it:
    a follow made before it became confidential)."""
    granted = MembershipFactory(
        organization=org, role=Role.PLANNER, user=UserFactory(email="granted@acme.test")
    )
    goal = make_goal(
        org, lead, "Acquire Initech", confidential=True, owner=membership_of(lead, org)
    )
    goal_services.goal_share(organization=org, actor=lead, goal=goal, member=granted, access="view")
    for member in (granted, membership_of(planner, org), membership_of(viewer, org)):
        GoalFollow.objects.create(organization=org, goal=goal, member=member)
    return goal, granted


def test_those_who_may_not_see_the_goal_get_404_for_its_updates(
    org, lead, planner, viewer, secret, client_for
):
    goal, granted = secret
    update = make_update(org, lead, goal, "off_track", "The deal is **off**.")
    urls = [
        reverse("update_detail", args=[org.slug, update.number]),
        reverse("update_list", args=[org.slug, goal.number]),
    ]
    for user in (planner, viewer):
        for url in urls:
            response = client_for(user).get(url)
            assert response.status_code == 404, url
            assert "deal" not in response.content.decode()
    for url in urls:
        assert (
            "The deal is <strong>off</strong>."
            in client_for(granted.user).get(url).content.decode()
        )


def test_only_followers_who_may_see_the_goal_are_notified(
    org, admin, lead, planner, viewer, secret, membership_of
):
    goal, granted = secret
    # The admin posts: the owner (lead) and the granted follower are told; the planner and
    # the viewer follow it but may not see it; the admin is not told of their own update.
    update = make_update(org, admin, goal, "at_risk", "Due diligence found issues.")
    told = Notification.objects.filter(organization=org, kind="goal_update")
    assert sorted(n.recipient_id for n in told) == sorted([membership_of(lead, org).pk, granted.pk])
    assert {n.path for n in told} == {f"/o/{org.slug}/updates/{update.number}/"}


def test_the_digest_counts_and_lists_only_goals_the_reader_may_see(
    org, lead, viewer, secret, long_ago, membership_of
):
    goal, _ = secret
    public = make_goal(org, lead, "Grow revenue", owner=membership_of(lead, org))
    long_ago(goal, public)
    member = Membership.objects.select_related("user").get(organization=org, user=viewer)
    digest = trace_services.digest_for_member(organization=org, membership=member)
    assert digest.health is not None
    assert digest.health.active == 1
    assert [i.key for i in digest.health.stale] == [public.key]
    lead_digest = trace_services.digest_for_member(
        organization=org, membership=membership_of(lead, org)
    )
    assert lead_digest.health is not None
    assert sorted(i.key for i in lead_digest.health.stale) == sorted([goal.key, public.key])
