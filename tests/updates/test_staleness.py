"""Staleness: an active goal with no update since the start of the previous update cycle, the
cycles starting at midnight of the organization's update day on its own clock."""

from datetime import UTC, date, datetime

import pytest

from tests.builders import make_goal, make_update
from updates import health
from updates.models import GoalUpdate


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def new_york(org):
    """Weekly updates on Fridays, in New York: US daylight saving starts Sunday 8 March 2026,
    inside the cycle of Friday 6 March (EST, UTC-5) to Friday 13 March (EDT, UTC-4)."""
    org.timezone = "America/New_York"
    org.update_weekday = 4
    org.update_cadence_weeks = 1
    org.save()
    return org


def test_the_cycle_starts_at_midnight_of_the_update_day_on_the_organizations_clock(new_york):
    # Thursday 12 March 23:59:59 EDT is 03:59:59 UTC on the 13th: still the cycle of 6 March.
    assert health.cycle_start(new_york, _utc(2026, 3, 13, 3, 59, 59)) == date(2026, 3, 6)
    assert health.cycle_start(new_york, _utc(2026, 3, 13, 4, 0)) == date(2026, 3, 13)
    # A goal is stale once a whole cycle went by: from Friday 13 March 00:00 EDT, updates
    # before Friday 6 March 00:00 EST (05:00 UTC, an hour later in UTC than after the change).
    assert health.stale_before(new_york, _utc(2026, 3, 13, 4, 0)) == _utc(2026, 3, 6, 5, 0)
    assert health.stale_before(new_york, _utc(2026, 3, 13, 3, 59, 59)) == _utc(2026, 2, 27, 5, 0)


def test_a_goal_turns_stale_exactly_at_the_cycle_boundary(new_york, lead, long_ago):
    goal = make_goal(new_york, lead, "Open the Boston office")
    long_ago(goal, at=_utc(2026, 1, 1))
    # Its last update: Thursday 5 March 23:00 EST, an hour before the cycle of 6 March began.
    make_update(new_york, lead, goal, "on_track", now=_utc(2026, 3, 6, 4, 0))

    def stale_at(now: datetime) -> bool:
        return health.of_goals(organization=new_york, goal_ids=[goal.pk], now=now)[goal.pk].stale

    assert stale_at(_utc(2026, 3, 13, 3, 59, 59)) is False  # Thursday 12 March, 23:59:59 EDT
    assert stale_at(_utc(2026, 3, 13, 4, 0)) is True  # Friday 13 March, 00:00 EDT


def test_an_update_at_the_very_start_of_the_previous_cycle_is_not_stale(new_york, lead, long_ago):
    goal = make_goal(new_york, lead, "Open the Boston office")
    long_ago(goal, at=_utc(2026, 1, 1))
    make_update(new_york, lead, goal, "at_risk", now=_utc(2026, 3, 6, 5, 0))  # 6 March 00:00 EST
    found = health.of_goals(organization=new_york, goal_ids=[goal.pk], now=_utc(2026, 3, 13, 4))
    assert found[goal.pk] == health.GoalHealth(
        health="at_risk",
        updated_at=_utc(2026, 3, 6, 5, 0),
        update_number=GoalUpdate.objects.get(organization=new_york, goal=goal).number,
        stale=False,
    )


def test_a_goal_without_updates_is_stale_only_once_active_for_a_whole_cycle(
    new_york, lead, long_ago
):
    old, recent = make_goal(new_york, lead, "Old"), make_goal(new_york, lead, "Recent")
    long_ago(old, at=_utc(2026, 3, 6, 4, 59))  # Thursday 5 March 23:59 EST
    long_ago(recent, at=_utc(2026, 3, 6, 5, 0))  # Friday 6 March 00:00 EST
    found = health.of_goals(
        organization=new_york, goal_ids=[old.pk, recent.pk], now=_utc(2026, 3, 13, 4, 0)
    )
    assert (found[old.pk].stale, found[recent.pk].stale) == (True, False)
    assert found[old.pk].health is None


def test_goals_that_are_not_active_are_never_stale(new_york, lead, long_ago):
    goal = make_goal(new_york, lead, "Paused", status="on_hold")
    long_ago(goal, at=_utc(2025, 1, 1))
    found = health.of_goals(organization=new_york, goal_ids=[goal.pk], now=_utc(2026, 3, 13, 4))
    assert found[goal.pk].stale is False


def test_the_update_day_and_cadence_are_the_organizations(org):
    # Every two weeks on Fridays: cycles counted from Friday 5 January 2024, so 13 March 2026
    # (798 days, 114 weeks later) starts one and 20 March is in its second week.
    org.timezone, org.update_weekday, org.update_cadence_weeks = "Asia/Tokyo", 4, 2
    org.save()
    # Friday 20 March 09:00 in Tokyo (UTC+9, no daylight saving) is 00:00 UTC.
    assert health.cycle_start(org, _utc(2026, 3, 20, 0, 0)) == date(2026, 3, 13)
    # The previous cycle began two weeks before: Friday 27 February 00:00 JST.
    assert health.stale_before(org, _utc(2026, 3, 20, 0, 0)) == _utc(2026, 2, 26, 15, 0)
    # On Monday updates: Monday 16 March starts this week's cycle.
    org.update_weekday, org.update_cadence_weeks = 0, 1
    assert health.cycle_start(org, _utc(2026, 3, 20, 0, 0)) == date(2026, 3, 16)


def test_the_settings_page_sets_the_cadence_and_day(org, admin, client_for):
    response = client_for(admin).post(
        f"/o/{org.slug}/settings/",
        {
            "name": "Acme",
            "timezone": "Europe/Paris",
            "digest_weekday": "0",
            "starved_grace_days": "7",
            "update_cadence_weeks": "2",
            "update_weekday": "2",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.update_cadence_weeks, org.update_weekday) == (2, 2)
    bad = client_for(admin).post(
        f"/o/{org.slug}/settings/",
        {
            "name": "Acme",
            "timezone": "Europe/Paris",
            "digest_weekday": "0",
            "starved_grace_days": "7",
            "update_cadence_weeks": "3",
            "update_weekday": "9",
        },
    )
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
    org.refresh_from_db()
    assert (org.update_cadence_weeks, org.update_weekday) == (2, 2)
