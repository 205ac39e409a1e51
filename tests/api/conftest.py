"""Tokens and clients for the API: `token_for(user)` makes a real token through the service,
`api_client(token)` a test client that sends it."""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from api import services
from api.models import Access
from goals import services as goal_services
from goals.models import Goal, Outcome
from tests.builders import make_goal, make_outcome, make_task
from tests.factories import MembershipFactory, UserFactory
from vindaris.tenancy.models import Membership, Organization, Role, User
from work.models import Task


class ApiClient:
    """A test client that sends a bearer token and JSON bodies, on one organization's API."""

    def __init__(self, token: str | None, org_slug: str) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        self.client = Client(headers=headers)
        self.base = f"/api/v1/o/{org_slug}/"

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(self.url(path), params or {})

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            self.url(path), json.dumps(body if body is not None else {}), "application/json"
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(self.url(path), json.dumps(body), "application/json")


@pytest.fixture
def token_for():
    """A new token of `user` in `org` (read-write unless asked), through the service."""

    def make(user: User, org: Organization, access: str = Access.WRITE, **kwargs: Any) -> str:
        member = Membership.objects.get(organization=org, user=user)
        _, token = services.token_create(
            organization=org, actor=user, member=member, name="test", access=access, **kwargs
        )
        return token

    return make


@pytest.fixture
def api_client():
    def make(token: str | None, org: Organization) -> ApiClient:
        return ApiClient(token, org.slug)

    return make


@pytest.fixture
def api_as(org, token_for, api_client):
    """A client on `org`'s API with a new read-write token of `user`."""

    def make(user: User, access: str = Access.WRITE) -> ApiClient:
        return api_client(token_for(user, org, access), org)

    return make


@pytest.fixture
def secret_world(org, lead):
    """A confidential goal ("Acquire Initech") with an outcome and a task aimed at it, shared
    for viewing with one planner ("granted"), beside an open goal; the organization captures
    goal-less work. Samples name them for the harness (tests/api/harness.py)."""
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    granted = MembershipFactory(
        organization=org, role=Role.PLANNER, user=UserFactory(email="granted@acme.test")
    )
    open_goal = make_goal(org, lead, "Launch the new checkout")
    make_task(org, lead, open_goal, "Price the plans")
    secret = make_goal(org, lead, "Acquire Initech", confidential=True)
    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=granted, access="view"
    )
    outcome = make_outcome(org, lead, secret, "Initech workstreams closed")
    task = make_task(org, lead, secret, "Review Initech's contracts", outcome=outcome)
    samples = {
        "org_slug": org.slug,
        "goal_number": str(secret.number),
        "outcome_number": str(outcome.number),
        "task_number": str(task.number),
        "open_goal_number": str(open_goal.number),
    }
    return SecretWorld(
        granted=granted.user, secret=secret, outcome=outcome, task=task, samples=samples
    )


@dataclass
class SecretWorld:
    granted: User
    secret: Goal
    outcome: Outcome
    task: Task
    samples: dict[str, str]

    @property
    def hidden_words(self) -> list[str]:
        """What would give the hidden objects away in an answer: their titles and keys."""
        return [
            "Initech",
            f'"{self.secret.key}"',
            f'"{self.outcome.key}"',
            f'"{self.task.key}"',
        ]
