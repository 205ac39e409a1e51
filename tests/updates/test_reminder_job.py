"""The reminder job for real: a Celery worker process, the test Redis and database, emails
written by Django's mail system to files. Rows must be committed for the worker to see them,
hence transactional tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.builders import make_goal, make_update
from tests.traceability.test_jobs import _a_zone_where_it_is_past_8
from updates import health
from updates.models import ReminderSent
from vindaris.celery import app
from vindaris.tenancy.zones import local_now

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stale(org, lead, planner, long_ago, membership_of):
    """Today is the first day of the organization's update cycle, past 09:00 its local time.
    The lead owns two stale goals and a fresh one, the planner one stale goal."""
    now = timezone.now()
    org.timezone = _a_zone_where_it_is_past_8(now)
    org.update_weekday = local_now(org, now).weekday()
    org.save(update_fields=["timezone", "update_weekday"])
    lead_m, planner_m = membership_of(lead, org), membership_of(planner, org)
    goals = [
        make_goal(org, lead, "Cut churn", owner=lead_m),
        make_goal(org, lead, "Hire a CFO", owner=lead_m),
        make_goal(org, lead, "Win the Nordics", owner=lead_m),
        make_goal(org, lead, "Ship the app", owner=planner_m),
    ]
    long_ago(*goals, days=60)
    make_update(org, lead, goals[2], "on_track", now=now - timedelta(hours=1))
    return goals


def _listed(message) -> list[str]:
    text = message.get_payload(0).get_payload(decode=True).decode()
    return [line for line in text.splitlines() if line.startswith("- G-")]


def test_the_job_run_twice_sends_one_email_per_owner(celery_worker, org, lead, planner, stale):
    celery_worker.wait_until_idle()
    sent_before = len(celery_worker.emails())
    period = health.cycle_start(org, timezone.now()).isoformat()

    for _ in range(2):
        app.send_task("updates.send_reminders", args=[org.pk, period])
    celery_worker.wait_until_idle()

    new = celery_worker.emails()[sent_before:]
    assert sorted(m["To"] for m in new) == sorted([lead.email, planner.email])
    by_to = {m["To"]: m for m in new}
    never, old, _, planners = stale
    assert _listed(by_to[lead.email]) == [
        f"- {never.key} Cut churn (no update yet)",
        f"- {old.key} Hire a CFO (no update yet)",
    ]
    assert _listed(by_to[planner.email]) == [f"- {planners.key} Ship the app (no update yet)"]
    assert ReminderSent.objects.filter(organization=org).count() == 2


def test_the_hourly_fan_out_reminds_only_organizations_on_their_update_day(
    celery_worker, org, other_org, lead, outsider, stale, long_ago, membership_of
):
    # Globex's update day is tomorrow: its stale goal waits.
    other_org.update_weekday = (local_now(other_org, timezone.now()).weekday() + 1) % 7
    other_org.save(update_fields=["update_weekday"])
    owner = membership_of(outsider, other_org)
    long_ago(make_goal(other_org, outsider, "Globex goal", owner=owner), days=60)
    celery_worker.wait_until_idle()
    sent_before = len(celery_worker.emails())

    app.send_task("updates.send_reminders_due")
    celery_worker.wait_until_idle()

    new = celery_worker.emails()[sent_before:]
    assert sorted(m["To"] for m in new) == sorted([lead.email, "planner@acme.test"])
    assert not ReminderSent.objects.filter(organization=other_org).exists()
