"""The background jobs for real: a Celery worker process, the test Redis, the test database.

Rows must be committed for the worker to see them, hence transactional tests. Every service
call below commits on its own and asks for a reconcile in its transaction, which the dispatcher
(beat, inside the worker) hands to the broker, as in production.
"""

import time
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus
from tests.builders import make_goal, make_task
from tests.traceability.conftest import build_gaps, start_redis, stop_redis
from traceability.clock import local_now, week_of
from traceability.models import DigestSent, Flag, FlagKind, Resolution, Snapshot
from vindaris.celery import app
from vindaris.lib.jobs import RECONCILE_TASK
from vindaris.tenancy.models import JobRequest

pytestmark = pytest.mark.django_db(transaction=True)


def open_flags_of(task_or_goal) -> set[str]:
    return set(
        Flag.objects.filter(resolved_at__isnull=True)
        .filter(**{task_or_goal._meta.model_name: task_or_goal})
        .values_list("kind", flat=True)
    )


def test_the_reconcile_enqueued_by_a_change_raises_and_resolves_flags(
    celery_worker, org, lead, planner
):
    goal = make_goal(org, lead)
    task = make_task(org, planner, goal)

    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    celery_worker.wait_until(lambda: open_flags_of(task) == {"stranded", "suspect"})

    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ACTIVE)
    celery_worker.wait_until(lambda: open_flags_of(task) == {"suspect"})
    stranded = Flag.objects.get(task=task, kind=FlagKind.STRANDED)
    assert stranded.resolution == Resolution.RESOLVED


def test_tasks_executed_twice_leave_no_duplicate_flag_and_send_no_second_email(
    celery_worker, org, admin, lead, planner
):
    gaps = build_gaps(org, lead, planner)
    celery_worker.wait_until_idle()
    week = week_of(org, timezone.now()).isoformat()

    for _ in range(2):
        app.send_task(RECONCILE_TASK, args=[org.pk])
        app.send_task("traceability.send_digest", args=[org.pk, week])
    celery_worker.wait_until_idle()

    assert Flag.objects.filter(organization=org, resolved_at__isnull=True).count() == 7
    assert open_flags_of(gaps.stranded) == {"stranded", "suspect"}
    emails = celery_worker.emails()
    assert sorted(m["To"] for m in emails) == sorted([admin.email, lead.email, planner.email])
    assert DigestSent.objects.filter(organization=org).count() == 3
    unsubscribe_links = [m["List-Unsubscribe"].strip() for m in emails]  # unfolded
    assert all(link.startswith("<http://testserver/o/acme/digest/") for link in unsubscribe_links)


def test_with_redis_down_a_goal_still_goes_on_hold_and_its_reconcile_runs_once_redis_is_back(
    celery_worker, org, lead, planner
):
    goal = make_goal(org, lead)
    task = make_task(org, planner, goal)
    celery_worker.wait_until_idle()

    stop_redis()
    try:
        started = time.monotonic()
        with transaction.atomic():
            goal_services.goal_update(
                organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
            )
        elapsed = time.monotonic() - started
        time.sleep(1)  # the dispatcher's runs meanwhile cannot reach the broker
        assert JobRequest.objects.filter(organization=org).exists()  # the job waits
        assert open_flags_of(task) == set()
    finally:
        start_redis()

    assert elapsed < 0.5  # the write never waited for the broker
    assert Goal.objects.get(organization=org, pk=goal.pk).status == GoalStatus.ON_HOLD
    # No reconcile_all: the job the write asked for is done once the broker is back.
    celery_worker.wait_until(lambda: open_flags_of(task) == {"stranded", "suspect"}, timeout=60)
    assert not JobRequest.objects.filter(organization=org).exists()


def _a_zone_where_it_is_past_8(now: datetime) -> str:
    """A fixed-offset zone whose local time is now well inside its digest hours (09–20)."""
    for hours in range(-12, 15):
        if 9 <= (now + timedelta(hours=hours)).hour <= 20:
            return f"Etc/GMT{-hours:+d}"  # POSIX sign: Etc/GMT-3 is three hours ahead of UTC
    raise AssertionError("unreachable: some offset always fits")


def test_the_scheduled_fan_outs_reach_every_organization_on_its_own_schedule(
    celery_worker, org, other_org, lead, planner, outsider
):
    build_gaps(org, lead, planner)
    build_gaps(other_org, outsider, outsider)
    now = timezone.now()
    org.timezone = _a_zone_where_it_is_past_8(now)
    org.digest_weekday = local_now(org, now).weekday()
    org.save(update_fields=["timezone", "digest_weekday"])
    other_org.digest_weekday = (local_now(other_org, now).weekday() + 1) % 7  # tomorrow
    other_org.save(update_fields=["digest_weekday"])
    celery_worker.wait_until_idle()
    sent_before = len(celery_worker.emails())

    app.send_task("traceability.snapshot_all")
    app.send_task("traceability.send_digests_due")
    celery_worker.wait_until_idle()

    assert Snapshot.objects.filter(organization=org).count() == 1
    assert Snapshot.objects.filter(organization=other_org).count() == 1
    new = celery_worker.emails()[sent_before:]
    assert sorted(m["To"] for m in new) == sorted([lead.email, planner.email])
