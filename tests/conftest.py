"""The fixed cast: `org` with an admin, lead, planner and viewer; `other_org` with the outsider."""

import os

import pytest
from django.test import Client

from tests.builders import make_goal, make_outcome, make_task
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from vindaris.tenancy.models import Membership, Organization, Role, User


@pytest.fixture
def org(db) -> Organization:
    return OrganizationFactory(name="Acme", slug="acme")


@pytest.fixture
def other_org(db) -> Organization:
    return OrganizationFactory(name="Globex", slug="globex")


def _member(org: Organization, role: str, email: str) -> User:
    return MembershipFactory(organization=org, role=role, user=UserFactory(email=email)).user


@pytest.fixture
def admin(org) -> User:
    return _member(org, Role.ADMIN, "admin@acme.test")


@pytest.fixture
def lead(org) -> User:
    return _member(org, Role.LEAD, "lead@acme.test")


@pytest.fixture
def planner(org) -> User:
    return _member(org, Role.PLANNER, "planner@acme.test")


@pytest.fixture
def viewer(org) -> User:
    return _member(org, Role.VIEWER, "viewer@acme.test")


@pytest.fixture
def outsider(other_org) -> User:
    """An admin of another organization: powerful there, nobody here."""
    return _member(other_org, Role.ADMIN, "admin@globex.test")


@pytest.fixture
def membership_of():
    def get(user: User, org: Organization) -> Membership:
        return Membership.objects.get(user=user, organization=org)

    return get


@pytest.fixture
def client_for():
    """A test client signed in as the given user."""

    def make(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def url_samples(org, admin) -> dict[str, str]:
    """A real object of `org` for every URL keyword used under /o/<slug>/, so that a 404 proves
    the organization check and not a missing object."""
    goal = make_goal(org, admin)
    outcome = make_outcome(org, admin, goal)
    task = make_task(org, admin, goal, outcome=outcome)
    return {
        "goal_number": str(goal.number),
        "outcome_number": str(outcome.number),
        "task_number": str(task.number),
    }


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
