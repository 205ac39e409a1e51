"""Celery tasks: thin (ids in, a service call), safe to run twice."""

from django.db import OperationalError

from vindaris.celery import app
from vindaris.tenancy.models import Organization

from . import services

RETRIES = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@app.task(name="notifications.send_emails", soft_time_limit=300, time_limit=330, **RETRIES)
def send_emails(organization_id: int) -> int:
    """One organization's notification emails: one per member with something new. A second
    run, a redelivered task or a concurrent one sends nothing twice."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return services.notification_emails_send(organization=organization).sent


@app.task(name="notifications.send_emails_all", soft_time_limit=60, time_limit=90, **RETRIES)
def send_emails_all() -> int:
    """Every few minutes (beat): one email run per organization, so notifications that come
    close together leave in one email."""
    ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in ids:
        send_emails.delay(organization_id)
    return len(ids)
