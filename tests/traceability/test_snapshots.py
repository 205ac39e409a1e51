from datetime import UTC, datetime

from tests.builders import make_goal, make_task
from traceability import services
from traceability.models import Snapshot


def test_a_snapshot_records_the_linked_ratio_and_the_gaps(org, gaps):
    snapshot = services.snapshot_take(organization=org)

    # live effort: linked 1 + orphaned 1 + stranded 1 + kept 1 + assigned 1 + suspect 1 = 6;
    # on active goals: linked and suspect (the lowered goal is still active) = 2
    assert (snapshot.linked_effort, snapshot.live_effort) == (2, 6)
    assert snapshot.linked_ratio == 2 / 6
    assert (snapshot.orphaned, snapshot.stranded, snapshot.suspect, snapshot.starved) == (
        1,
        2,
        3,
        1,
    )
    assert snapshot.goal_effort == {
        str(gaps.active.pk): 1,
        str(gaps.on_hold.pk): 3,
        str(gaps.lowered.pk): 1,
    }


def test_one_snapshot_per_day_the_latest_figures_win(org, lead, planner):
    goal = make_goal(org, lead)
    make_task(org, planner, goal, estimate=3)
    services.snapshot_take(organization=org)
    make_task(org, planner, goal, estimate=2)

    services.snapshot_take(organization=org)

    snapshot = Snapshot.objects.get(organization=org)
    assert snapshot.live_effort == 5 and snapshot.linked_ratio == 1.0


def test_the_snapshot_is_dated_in_the_organizations_timezone(org):
    org.timezone = "Pacific/Auckland"
    org.save(update_fields=["timezone"])
    late_evening_utc = datetime(2025, 3, 2, 20, 0, tzinfo=UTC)  # Monday 09:00 in Auckland

    snapshot = services.snapshot_take(organization=org, now=late_evening_utc)

    assert snapshot.date.isoformat() == "2025-03-03"
    assert snapshot.linked_ratio is None  # no live work at all: no ratio, not 0 %
