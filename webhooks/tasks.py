"""The webhooks' Celery tasks: the dispatcher (beat, every few seconds) and one attempt of a
delivery."""

from datetime import timedelta

from django.db import OperationalError, connection
from django.utils import timezone

from vindaris.celery import app
from vindaris.tenancy.models import Organization

from . import services
from .models import DeliveryState

DELIVER_TASK = "webhooks.deliver"
SWEEP_LIMIT = 1000


def send(organization_id: int, delivery_ids: list[int]) -> None:
    """Hand each delivery to a worker (a lost message is picked up by the sweep)."""
    for delivery_id in delivery_ids:
        app.send_task(DELIVER_TASK, args=[organization_id, delivery_id])


def _pending_organizations() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT organization_id FROM webhooks_event WHERE dispatched_at IS NULL"
            " LIMIT %s",
            [SWEEP_LIMIT],
        )
        return [row[0] for row in cursor.fetchall()]


def _due_deliveries() -> list[tuple[int, int]]:
    """Deliveries whose next attempt is due, or whose worker's lease ran out: the retries, and
    anything whose message was lost or whose worker died."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT d.organization_id, d.id FROM webhooks_delivery d
             WHERE d.state IN (%s, %s)
               AND ((d.state = %s AND d.next_attempt_at <= %s)
                    OR (d.state = %s AND d.lease_until < %s))
               AND EXISTS (SELECT 1 FROM webhooks_endpoint e
                            WHERE e.organization_id = d.organization_id AND e.id = d.endpoint_id
                              AND e.active)
             ORDER BY d.next_attempt_at LIMIT %s
            """,
            [
                DeliveryState.PENDING,
                DeliveryState.SENDING,
                DeliveryState.PENDING,
                now,
                DeliveryState.SENDING,
                now,
                SWEEP_LIMIT,
            ],
        )
        return [(row[0], row[1]) for row in cursor.fetchall()]


@app.task(
    name="webhooks.dispatch",
    soft_time_limit=30,
    time_limit=45,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def dispatch_webhooks() -> int:
    """Make the deliveries of every organization's new events and send them; send the
    deliveries due for another attempt. Returns how many deliveries were handed out."""
    sent = 0
    for organization in Organization.objects.filter(pk__in=_pending_organizations()):
        created = services.fan_out(organization=organization)
        send(organization.pk, created)
        sent += len(created)
    for organization_id, delivery_id in _due_deliveries():
        send(organization_id, [delivery_id])
        sent += 1
    return sent


@app.task(
    name=DELIVER_TASK,
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    expires=timedelta(hours=1).total_seconds(),
)
def deliver(organization_id: int, delivery_id: int) -> int | None:
    """One attempt of one delivery; the status code it got (None: nothing sent or no answer).
    Retries are not this task's: the sweep sends the delivery again when its time comes."""
    response = services.attempt(organization_id=organization_id, delivery_id=delivery_id)
    return None if response is None else response.status
