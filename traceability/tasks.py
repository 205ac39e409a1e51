"""Celery tasks: thin (ids in, a service call), safe to run twice, retried with backoff when the
database is briefly unreachable. Fan-outs send one task per organization, so work spreads over
workers (and could later be routed by organization)."""

from datetime import date

from django.db import OperationalError
from django.utils import timezone

from vindaris.celery import app
from vindaris.tenancy.models import Organization

from . import services
from .clock import week_of
from .digest import is_due

RETRIES = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def _organization(organization_id: int) -> Organization | None:
    # None when the organization was deleted after the task was enqueued: nothing to do.
    return Organization.objects.filter(pk=organization_id).first()


@app.task(name="traceability.reconcile_organization", soft_time_limit=60, time_limit=90, **RETRIES)
def reconcile_organization(organization_id: int) -> None:
    """Sent by goals and work after every relevant change (vindaris.lib.jobs) and by the
    fan-out."""
    organization = _organization(organization_id)
    if organization is not None:
        services.flags_reconcile(organization=organization)


@app.task(name="traceability.reconcile_all", soft_time_limit=60, time_limit=90, **RETRIES)
def reconcile_all() -> int:
    """Every 15 minutes: one reconcile per organization, heals whatever an event missed."""
    ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in ids:
        reconcile_organization.delay(organization_id)
    return len(ids)


@app.task(name="traceability.snapshot_organization", soft_time_limit=60, time_limit=90, **RETRIES)
def snapshot_organization(organization_id: int) -> None:
    organization = _organization(organization_id)
    if organization is not None:
        services.snapshot_take(organization=organization)


@app.task(name="traceability.snapshot_all", soft_time_limit=60, time_limit=90, **RETRIES)
def snapshot_all() -> int:
    """Daily: one snapshot per organization."""
    ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in ids:
        snapshot_organization.delay(organization_id)
    return len(ids)


@app.task(name="traceability.send_digest", soft_time_limit=600, time_limit=660, **RETRIES)
def send_digest(organization_id: int, week: str) -> int:
    """This week's digest for one organization; `week` is the ISO date of its Monday, fixed by
    the fan-out so that a redelivered task targets the same week (and the same sent-log rows)."""
    organization = _organization(organization_id)
    if organization is None:
        return 0
    run = services.digest_send_weekly(organization=organization, week=date.fromisoformat(week))
    return run.sent


@app.task(name="traceability.send_digests_due", soft_time_limit=60, time_limit=90, **RETRIES)
def send_digests_due() -> int:
    """Hourly: the digest of every organization whose local time is its digest day at or after
    the digest hour. Later runs the same day find the sent-log and send nothing twice."""
    now = timezone.now()
    organizations = Organization.objects.only("pk", "timezone", "digest_weekday").order_by("pk")
    due = [o for o in organizations if is_due(o, now)]
    for organization in due:
        send_digest.delay(organization.pk, week_of(organization, now).isoformat())
    return len(due)
