"""Discussions' cast: the organization's members (admin, lead, planner, viewer), a second
planner the confidential goal is shared with, and a goal of each kind to talk about."""

from dataclasses import dataclass

import pytest

from goals import services as goal_services
from goals.models import Goal
from tests.builders import make_goal, make_task
from tests.factories import MembershipFactory, UserFactory
from vindaris.tenancy.models import Membership, Role, User
from work.models import Task


@dataclass
class Cast:
    admin: Membership
    lead: Membership
    planner: Membership
    viewer: Membership
    granted: Membership  # a planner the confidential goal is shared with
    owner: Membership  # a planner who owns the confidential goal
    outsider: Membership  # an admin of another organization
    goal: Goal  # an ordinary goal
    secret: Goal  # a confidential goal
    secret_child: Goal  # an ordinary goal under the confidential one
    task: Task  # a task on the ordinary goal
    secret_task: Task  # a task on the secret goal's child


def _member(org, role: str, email: str, name: str) -> Membership:
    return MembershipFactory(organization=org, role=role, user=UserFactory(email=email, name=name))


@pytest.fixture
def cast(org, other_org, admin, lead, planner, viewer, outsider, membership_of) -> Cast:
    def named(user: User, name: str) -> Membership:
        user.name = name
        user.save(update_fields=["name"])
        return Membership.objects.select_related("user").get(user=user, organization=org)

    granted = _member(org, Role.PLANNER, "gina@acme.test", "Gina Granted")
    owner = _member(org, Role.PLANNER, "otto@acme.test", "Otto Owner")
    goal = make_goal(org, lead, "Grow revenue")
    secret = make_goal(org, lead, "Acquire Initech", confidential=True, owner=owner)
    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=granted, access="view"
    )
    secret_child = make_goal(org, lead, "Audit Initech's books", parent=secret)
    return Cast(
        admin=named(admin, "Ada Admin"),
        lead=named(lead, "Lee Lead"),
        planner=named(planner, "Pat Planner"),
        viewer=named(viewer, "Vic Viewer"),
        granted=granted,
        owner=owner,
        outsider=Membership.objects.select_related("user").get(
            user=outsider, organization=other_org
        ),
        goal=goal,
        secret=secret,
        secret_child=secret_child,
        task=make_task(org, lead, goal, "Call prospects"),
        secret_task=make_task(org, lead, secret_child, "Read the ledgers"),
    )
