"""Celery tasks of the update reminder: thin (ids in, a service call), safe to run twice,
retried with backoff when the database is briefly unreachable."""

from datetime import date, datetime

from django.db import OperationalError
from django.utils import timezone

from vindaris.celery import app
from vindaris.tenancy.models import Organization
from vindaris.tenancy.zones import local_now

from . import health, services
from .reminders import REMINDER_HOUR

RETRIES = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def is_due(organization: Organization, now: datetime) -> bool:
    """Is it the first day of an update cycle, at or after the reminder hour, on the
    organization's clock?"""
    local = local_now(organization, now)
    return local.date() == health.cycle_start(organization, now) and local.hour >= REMINDER_HOUR


@app.task(name="updates.send_reminders", soft_time_limit=600, time_limit=660, **RETRIES)
def send_reminders(organization_id: int, period: str) -> int:
    """One organization's reminders of the update cycle starting on `period` (ISO date), fixed
    by the fan-out so that a redelivered task targets the same cycle (and sent-log rows)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    run = services.reminders_send(organization=organization, period=date.fromisoformat(period))
    return run.sent


@app.task(name="updates.send_reminders_due", soft_time_limit=60, time_limit=90, **RETRIES)
def send_reminders_due() -> int:
    """Hourly: the reminders of every organization whose local time is the first day of an
    update cycle at or after the reminder hour. Later runs that day find the sent-log."""
    now = timezone.now()
    organizations = Organization.objects.only(
        "pk", "timezone", "update_weekday", "update_cadence_weeks"
    ).order_by("pk")
    due = [o for o in organizations if is_due(o, now)]
    for organization in due:
        send_reminders.delay(organization.pk, health.cycle_start(organization, now).isoformat())
    return len(due)
