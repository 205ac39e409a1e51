"""Goal updates: a goal made long ago (so that a missing update can be stale)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from goals.models import Goal


@pytest.fixture
def long_ago():
    """Make goals look active since `days` ago (default 60): activated and created then."""

    def age(*goals: Goal, days: int = 60, at: datetime | None = None) -> datetime:
        when = at or timezone.now() - timedelta(days=days)
        for goal in goals:
            Goal.objects.filter(organization_id=goal.organization_id, pk=goal.pk).update(
                activated_at=when, created_at=when
            )
            goal.activated_at = goal.created_at = when
        return when

    return age


# A real Celery worker for the reminder job end to end (tests/traceability/conftest.py).
from tests.traceability.conftest import celery_worker  # noqa: E402, F401
