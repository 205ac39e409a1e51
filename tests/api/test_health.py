"""A goal's health through the API, as the pages show it: the latest update's health and key,
and stale once a whole update cycle of the organization passed without one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from goals.models import Goal, GoalStatus
from tests.builders import make_goal, make_update

pytestmark = pytest.mark.django_db


def test_goals_carry_their_latest_health_and_staleness(org, lead, planner, api_as):
    risky = make_goal(org, lead, "Win mid-market")
    make_update(org, lead, risky, health="on_track", body="Started.")
    latest = make_update(org, lead, risky, health="at_risk", body="Two deals slipped.")
    quiet = make_goal(org, lead, "Enter Spain")
    # active for a month without a word: at least one whole weekly cycle went by
    Goal.objects.filter(organization=org, pk=quiet.pk).update(
        activated_at=timezone.now() - timedelta(days=30),
        created_at=timezone.now() - timedelta(days=30),
    )
    paused = make_goal(org, lead, "Paused", status=GoalStatus.ON_HOLD)
    client = api_as(planner)

    listed = {g["key"]: g["health"] for g in client.get("goals/").json()["items"]}

    assert listed[risky.key]["health"] == "at_risk"
    assert listed[risky.key]["update"] == f"U-{latest.number}"
    assert listed[risky.key]["stale"] is False
    assert listed[quiet.key] == {"health": None, "update": None, "updated_at": None, "stale": True}
    assert listed[paused.key]["stale"] is False  # only active goals go stale
    detail = client.get(f"goals/{risky.number}/").json()
    assert detail["health"] == listed[risky.key]
