"""The strategy-led scorecard, on data built through the services with known times."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from goals import services as goal_services
from goals.models import GoalEvent, Priority
from tests.builders import make_goal, make_task
from traceability import selectors, services
from vindaris.tenancy.zones import week_of
from work import services as work_services
from work.models import Origin, Task, TaskEvent

URL = "/o/acme/coverage/scorecard/"


@pytest.fixture(autouse=True)
def goalless_work(org):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])


def card_of(org, viewer=None):
    now = timezone.now()
    headline = selectors.coverage_headline(organization=org, viewer=viewer, now=now)
    return selectors.scorecard(organization=org, viewer=viewer, headline=headline, now=now)


def backdate_tasks(*tasks: Task, days: int) -> None:
    at = timezone.now() - timedelta(days=days)
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(created_at=at)
    TaskEvent.objects.filter(task__in=tasks, kind=TaskEvent.Kind.CREATED).update(created_at=at)


def test_work_created_from_goals_against_retrofitted_work(org, lead, planner):
    goal = make_goal(org, lead, "Grow revenue")
    for i in range(3):
        make_task(org, planner, goal, f"Planned {i}")
    late = make_task(org, planner, None, "Captured, linked later", origin=Origin.QUICK_ADD)
    make_task(org, planner, None, "Captured, still loose", origin=Origin.QUICK_ADD)
    work_services.task_move(
        organization=org, actor=lead, task=late, to_goal=goal, reason="It serves revenue"
    )
    # Two weeks ago, one task captured with a goal: counted in its own week.
    earlier = make_task(org, planner, goal, "Planned long ago")
    backdate_tasks(earlier, days=14)

    card = card_of(org)

    now = card.current
    assert (now.created_with_goal, now.retrofitted, now.unlinked) == (3, 1, 1)
    assert now.from_goals == 3 / 5 and now.from_goals_label == "60%"
    two_weeks_ago = week_of(org, timezone.now() - timedelta(days=14))
    week = next(w for w in card.weeks if w.start == two_weeks_ago)
    assert (week.created_with_goal, week.retrofitted, week.unlinked) == (1, 0, 0)
    assert [r.number for r in card.retrofitted] == [late.number]
    assert card.retrofitted[0].goal_number == goal.number
    assert len(card.weeks) == selectors.SCORECARD_WEEKS


def test_open_gaps_by_age(org, lead, planner):
    now = timezone.now()
    old = make_task(org, planner, None, "Loose for weeks", origin=Origin.QUICK_ADD)
    services.flags_reconcile(organization=org, now=now - timedelta(days=20))
    make_task(org, planner, None, "Loose for days", origin=Origin.QUICK_ADD)
    services.flags_reconcile(organization=org, now=now - timedelta(days=3))
    assert old.pk

    card = card_of(org)

    # two open flags, 20 and 3 days old: median 11.5 days, one older than 14 days
    assert card.current.open_gaps == 2
    assert card.current.median_gap_days == pytest.approx(11.5, abs=0.01)
    assert card.current.old_gaps == 1


def _change(org, lead, goal, *, days_ago: int) -> None:
    """A material change of `goal` (priority lowered), `days_ago` days ago."""
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P4)
    GoalEvent.objects.filter(goal=goal, kind=GoalEvent.Kind.UPDATED).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )


def _answered_on(task: Task, *, days_ago: int) -> None:
    TaskEvent.objects.filter(task=task).exclude(kind=TaskEvent.Kind.CREATED).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )


def test_material_changes_answered_within_seven_days(org, lead, planner):
    confirmed = make_goal(org, lead, "Answered by confirming", priority=Priority.P2)
    moved = make_goal(org, lead, "Answered by moving", priority=Priority.P2)
    ignored = make_goal(org, lead, "Never answered", priority=Priority.P2)
    late = make_goal(org, lead, "Answered too late", priority=Priority.P2)
    fresh = make_goal(org, lead, "Changed two days ago", priority=Priority.P2)
    empty = make_goal(org, lead, "No work to answer", priority=Priority.P2)
    elsewhere = make_goal(org, lead, "Somewhere else")
    a1, a2 = make_task(org, planner, confirmed, "A1"), make_task(org, planner, confirmed, "A2")
    b = make_task(org, planner, moved, "B")
    c = make_task(org, planner, ignored, "C")
    d = make_task(org, planner, late, "D")
    e = make_task(org, planner, fresh, "E")
    backdate_tasks(a1, a2, b, c, d, e, days=40)
    for goal in (confirmed, moved, ignored, late, empty):
        _change(org, lead, goal, days_ago=20)
    _change(org, lead, fresh, days_ago=2)
    for task in (a1, a2):
        work_services.task_confirm_link(organization=org, actor=planner, task=task)
        _answered_on(task, days_ago=18)  # two days after the change
    work_services.task_move(organization=org, actor=planner, task=b, to_goal=elsewhere, reason="x")
    _answered_on(b, days_ago=15)  # five days after
    work_services.task_confirm_link(organization=org, actor=planner, task=d)
    _answered_on(d, days_ago=10)  # ten days after: too late

    card = card_of(org)

    # Four changes found live work and are at least 7 days old (confirmed, moved, ignored,
    # late); two were answered in time. The fresh one is pending; the empty goal's is not
    # counted.
    assert sum(w.changes for w in card.weeks) == 4
    assert sum(w.answered for w in card.weeks) == 2
    assert sum(w.pending for w in card.weeks) == 1


def test_the_dashboard_loads_the_scorecard_and_it_has_a_page(org, lead, planner, client_for):
    goal = make_goal(org, lead, "Grow revenue")
    make_task(org, planner, goal, "Planned")
    client = client_for(planner)

    dashboard = client.get("/o/acme/coverage/").content.decode()
    page = client.get(URL).content.decode()
    fragment = client.get(URL, headers={"HX-Request": "true"}).content.decode()

    assert f'hx-get="{URL}" hx-trigger="load"' in dashboard
    assert f'href="{URL}"' in dashboard  # without JavaScript: a link to the page
    assert "<h1>Strategy-led scorecard</h1>" in page
    assert re.search(r'id="scorecard-from-goals">100%<', fragment)
    assert "<html" not in fragment


def test_the_digest_reports_last_weeks_scorecard_without_confidential_work(
    org, lead, planner, viewer
):
    now = timezone.now()
    last_week = datetime.combine(week_of(org, now) - timedelta(days=3), time(12), tzinfo=UTC)
    goal = make_goal(org, lead, "Grow revenue")
    secret = make_goal(org, lead, "Acquire Initech", confidential=True)
    planned = make_task(org, planner, goal, "Planned")
    late = make_task(org, planner, None, "Captured", origin=Origin.QUICK_ADD)
    work_services.task_move(organization=org, actor=lead, task=late, to_goal=goal, reason="x")
    hidden = make_task(org, lead, secret, "Review Initech's contracts")
    make_task(org, planner, None, "Loose this week", origin=Origin.QUICK_ADD)  # a gap to report
    for task in (planned, late, hidden):
        Task.objects.filter(pk=task.pk).update(created_at=last_week)

    services.digest_send_weekly(organization=org, week=week_of(org, now), now=now)

    [to_lead] = [m for m in mail.outbox if m.to == [lead.email]]
    # one of the two non-confidential tasks had a goal from the start; the confidential goal's
    # task is not counted (nor named) for anyone
    assert (
        "Work created from goals: 50% of 2 new tasks had a goal from the start; 1 linked later"
        in to_lead.body
    )
    assert "Initech" not in to_lead.body
    to_planner = [m for m in mail.outbox if m.to == [planner.email]]
    assert all("Strategy-led scorecard" not in m.body for m in to_planner)


def test_the_daily_snapshot_records_the_scorecard_and_pages_read_it(
    org, lead, planner, membership_of
):
    goal = make_goal(org, lead, "Grow revenue")
    secret = make_goal(org, lead, "Acquire Initech", confidential=True)
    make_task(org, planner, goal, "Planned")
    make_task(org, lead, secret, "Review Initech's contracts")
    live = card_of(org)  # computed now: two new tasks with a goal from the start
    assert live.current.created_with_goal == 2

    services.snapshot_take(organization=org, now=timezone.now())
    # Work after the snapshot is not in the recorded figures until the next one.
    make_task(org, planner, goal, "Planned after the snapshot")
    recorded = card_of(org)
    for_planner = card_of(org, viewer=membership_of(planner, org))

    assert recorded.current.created_with_goal == 2
    assert recorded.as_of < timezone.now()
    # the planner does not see the confidential goal: the record without it
    assert for_planner.current.created_with_goal == 1


def test_a_scorecard_that_takes_too_long_does_not_cost_the_days_snapshot(
    org, lead, planner, monkeypatch
):
    goal = make_goal(org, lead, "Grow revenue")
    make_task(org, planner, goal, "Planned")
    # A one-millisecond allowance: no read of the history fits in it.
    monkeypatch.setattr(services, "SCORECARD_TIMEOUT_MS", 1)

    snapshot = services.snapshot_take(organization=org, now=timezone.now())

    snapshot.refresh_from_db()
    assert snapshot.live_effort == 1 and snapshot.linked_ratio == 1.0
    assert snapshot.scorecard is None and snapshot.public_scorecard is None
    # the page computes it instead
    assert card_of(org).current.created_with_goal == 1
    # and the statement timeout did not outlive the snapshot
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != "1ms"


def test_with_no_new_work_yet_this_week_the_card_shows_last_weeks_share(
    org, lead, planner, client_for
):
    goal = make_goal(org, lead, "Grow revenue")
    tasks = [make_task(org, planner, goal, f"Planned {i}") for i in range(3)]
    loose = make_task(org, planner, None, "Captured", origin=Origin.QUICK_ADD)
    last_week = datetime.combine(
        week_of(org, timezone.now()) - timedelta(days=2), time(12), tzinfo=UTC
    )
    Task.objects.filter(pk__in=[t.pk for t in [*tasks, loose]]).update(created_at=last_week)

    fragment = client_for(lead).get(URL, headers={"HX-Request": "true"}).content.decode()

    # three of last week's four new tasks had a goal from the start
    assert re.search(r'id="scorecard-from-goals-last">75%<', fragment)
    assert "No new task yet this week." in fragment
