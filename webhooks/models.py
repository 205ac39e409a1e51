"""Webhooks: the endpoints an organization's admins register, the events writes record (an
outbox, vindaris.lib.events) and each event's delivery to each endpoint, with its log."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from vindaris.lib import events
from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Membership, Organization

EVENT_CHOICES = list(events.TYPES.items())


class Endpoint(TenantModel):
    """A URL that receives the organization's events of the chosen types, signed with its
    secret. It acts as the admin who registered it: a delivery carries only what that member
    may see (and goes with their membership). The secret is kept as it is: it must sign every
    delivery, so a hash would not do; it is shown once, when created or rotated."""

    # Indexed by the primary key (organization_id, id) and the keys below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    number = models.PositiveIntegerField()
    member = TenantForeignKey(Membership, related_name="+", db_index=False)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=32))
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=64)
    secret_rotated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    # Deliveries that failed after all their attempts since the last one that succeeded.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="webhookendpoint_org_number_key"
            ),
        ]

    def __str__(self) -> str:
        return f"W-{self.number} {self.url}"

    @property
    def key(self) -> str:
        return f"W-{self.number}"

    @property
    def event_labels(self) -> list[str]:
        return [e for e in events.TYPES if e in self.events]


class Event(TenantModel):
    """Something that happened to a task, a goal, a check-in or a flag, recorded in the
    change's own transaction; `dispatched_at` once the dispatcher made its deliveries. Its
    `event_id` is what receivers see, the same on every attempt and redelivery."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    event_id = models.UUIDField(default=uuid.uuid4)
    type = models.CharField(max_length=32, choices=EVENT_CHOICES)
    object_id = models.BigIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "event_id"], name="webhookevent_org_event_id_key"
            ),
        ]
        indexes = [
            # the dispatcher's queue: the events not dispatched yet, in order
            models.Index(
                fields=["organization", "id"],
                name="webhookevent_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(TenantModel):
    """One event sent to one endpoint: the body as sent (the same bytes on every attempt), and
    the last attempt's outcome. `attempts` counts the attempts of this round (a redelivery
    starts a new round); `lease_until` is how long a worker that claimed it may take before
    another may try again (a worker that died mid-delivery)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    endpoint = TenantForeignKey(Endpoint, related_name="+", db_index=False)
    event = TenantForeignKey(Event, related_name="+", db_index=False)
    body = models.TextField()
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "endpoint", "event"], name="webhookdelivery_once_key"
            ),
        ]
        indexes = [
            # an endpoint's delivery log, newest first
            models.Index(
                fields=["organization", "endpoint", "-id"], name="webhookdelivery_log_idx"
            ),
            # the dispatcher's sweep: deliveries waiting for an attempt or held by a worker
            models.Index(
                fields=["next_attempt_at"],
                name="webhookdelivery_due_idx",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.state})"
