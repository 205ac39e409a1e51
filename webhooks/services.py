"""Every write of the webhooks app: endpoints (registered, changed, rotated, deleted by admins),
deliveries made from events (the dispatcher), each attempt's claim and outcome, redelivery, and
disabling an endpoint that keeps failing (its organization's admins are emailed).

Delivery is at least once, with a stable event id: an attempt is claimed (committed) before the
request leaves and its outcome recorded after; a worker that dies in between leaves the claim
to expire (its lease), and the next attempt sends the same event id and body again, counted in
`attempts`. Receivers drop event ids they have seen (the README shows how)."""

import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from vindaris.lib import events
from vindaris.lib.emails import send_templated_email
from vindaris.tenancy import selectors as tenancy_selectors
from vindaris.tenancy.models import Membership, Organization, Role
from vindaris.tenancy.numbering import next_number

from . import payloads, sender
from .models import Delivery, DeliveryState, Endpoint, Event

SECRET_PREFIX = "whsec_"
DESCRIPTION_MAX_LENGTH = 200
# Events turned into deliveries per transaction of the dispatcher.
FAN_OUT_BATCH = 500
# Retries never wait longer than this between two attempts.
MAX_BACKOFF = timedelta(hours=6)


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(24)


def _check_admin(member: Membership) -> None:
    if not member.is_admin:
        raise PermissionDenied("Only admins manage webhooks.")


def _check_events(chosen: list[str]) -> list[str]:
    unknown = sorted(set(chosen) - set(events.TYPES))
    if unknown:
        raise ValidationError({"events": f"Unknown event types: {', '.join(unknown)}."})
    if not chosen:
        raise ValidationError({"events": "Choose at least one event."})
    return [e for e in events.TYPES if e in chosen]


def _check_url(url: str) -> str:
    url = (url or "").strip()
    try:
        sender.check_url(url)
    except sender.Refused as e:
        raise ValidationError({"url": "Give an http:// or https:// URL."}) from e
    return url


@transaction.atomic
def endpoint_create(
    *,
    organization: Organization,
    actor: Membership,
    url: str,
    chosen_events: list[str],
    description: str = "",
) -> tuple[Endpoint, str]:
    """Register an endpoint acting as `actor` (an admin); returns it and its secret, which is
    shown once."""
    _check_admin(actor)
    secret = _new_secret()
    endpoint = Endpoint.objects.create(
        organization=organization,
        number=next_number(organization, "webhook"),
        member=actor,
        url=_check_url(url),
        description=(description or "").strip()[:DESCRIPTION_MAX_LENGTH],
        events=_check_events(chosen_events),
        secret=secret,
    )
    return endpoint, secret


def _locked(organization: Organization, endpoint: Endpoint) -> Endpoint:
    found = (
        Endpoint.objects.select_for_update()
        .filter(organization=organization, pk=endpoint.pk)
        .first()
    )
    if found is None:
        raise ValidationError("That endpoint does not exist.")
    return found


@transaction.atomic
def endpoint_update(
    *,
    organization: Organization,
    actor: Membership,
    endpoint: Endpoint,
    url: str,
    chosen_events: list[str],
    active: bool,
    description: str = "",
) -> Endpoint:
    """Change an endpoint's URL, events, description, or switch it on or off. Switching a
    disabled endpoint on again starts its count of failures afresh."""
    _check_admin(actor)
    endpoint = _locked(organization, endpoint)
    endpoint.url = _check_url(url)
    endpoint.events = _check_events(chosen_events)
    endpoint.description = (description or "").strip()[:DESCRIPTION_MAX_LENGTH]
    if active and not endpoint.active:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    endpoint.active = active
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(
    *, organization: Organization, actor: Membership, endpoint: Endpoint
) -> tuple[Endpoint, str]:
    """A new secret, shown once; deliveries from now on are signed with it alone."""
    _check_admin(actor)
    endpoint = _locked(organization, endpoint)
    secret = _new_secret()
    endpoint.secret = secret
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at"])
    return endpoint, secret


@transaction.atomic
def endpoint_delete(*, organization: Organization, actor: Membership, endpoint: Endpoint) -> None:
    """Delete an endpoint and its delivery log (the database deletes the deliveries)."""
    _check_admin(actor)
    _locked(organization, endpoint).delete()


@transaction.atomic
def redeliver(*, organization: Organization, actor: Membership, delivery: Delivery) -> Delivery:
    """Send a delivery again (the same event id and body, a new timestamp and signature) as a
    new round of attempts; a delivery a worker is sending now is left to it."""
    _check_admin(actor)
    found = (
        Delivery.objects.select_for_update()
        .filter(organization=organization, pk=delivery.pk)
        .first()
    )
    if found is None:
        raise ValidationError("That delivery does not exist.")
    held = found.lease_until is not None and found.lease_until > timezone.now()
    if found.state == DeliveryState.SENDING and held:
        raise ValidationError("This delivery is being sent right now.")
    found.state = DeliveryState.PENDING
    found.attempts = 0
    found.next_attempt_at = timezone.now()
    found.lease_until = None
    found.save(update_fields=["state", "attempts", "next_attempt_at", "lease_until"])
    return found


# The dispatcher --------------------------------------------------------------------------------


def fan_out(*, organization: Organization, now: datetime | None = None) -> list[int]:
    """Turn the organization's new events into deliveries, one per active endpoint subscribed
    to the type whose member may see the object, a batch at a time, each batch in its own
    transaction (events another dispatcher holds are skipped). Returns the new deliveries'
    ids, for the caller to send once committed."""
    created: list[int] = []
    while True:
        ids, more = _fan_out_batch(organization, now or timezone.now())
        created += ids
        if not more:
            return created


@transaction.atomic
def _fan_out_batch(organization: Organization, now: datetime) -> tuple[list[int], bool]:
    batch = list(
        Event.objects.select_for_update(skip_locked=True)
        .filter(organization=organization, dispatched_at__isnull=True)
        .order_by("id")[:FAN_OUT_BATCH]
    )
    if not batch:
        return [], False
    endpoints = list(
        Endpoint.objects.filter(organization=organization, active=True).select_related("member")
    )
    objects = payloads.render_objects(organization, batch) if endpoints else {}
    hidden = {e.pk: payloads.hidden_goal_ids(e.member) for e in endpoints}
    rows = []
    for event in batch:
        rendered = payloads.rendered_for(objects, event)
        if rendered is None:
            continue
        body = None
        for endpoint in endpoints:
            if event.type not in endpoint.events:
                continue
            if rendered.goal_id is not None and rendered.goal_id in hidden[endpoint.pk]:
                continue
            body = body or payloads.body(organization, event, rendered.data)
            rows.append(
                Delivery(
                    organization=organization,
                    endpoint=endpoint,
                    event=event,
                    body=body,
                    # the first attempt is sent at once; this is when the sweep takes over
                    # if that send was lost
                    next_attempt_at=now + timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS),
                )
            )
    deliveries = Delivery.objects.bulk_create(rows)
    Event.objects.filter(organization=organization, pk__in=[e.pk for e in batch]).update(
        dispatched_at=now
    )
    return [d.pk for d in deliveries], len(batch) == FAN_OUT_BATCH


@dataclass(frozen=True)
class Claim:
    """An attempt a worker may make now: what to send, where, signed with what."""

    delivery_id: int
    attempt: int
    url: str
    secret: str
    body: str
    event_id: str


def claim(*, organization_id: int, delivery_id: int, now: datetime | None = None) -> Claim | None:
    """Take the delivery for one attempt, committed before anything is sent: when it is
    waiting (a new one or a redelivery, or a retry whose time has come) or its last worker's
    lease ran out. None when another worker holds it, it is done, or its endpoint is off. A
    held delivery past its last attempt fails instead."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE webhooks_delivery d
               SET state = %(sending)s, attempts = d.attempts + 1, lease_until = %(lease)s,
                   last_attempt_at = %(now)s
              FROM webhooks_endpoint e, webhooks_event ev
             WHERE d.organization_id = %(org)s AND d.id = %(id)s
               AND e.organization_id = d.organization_id AND e.id = d.endpoint_id AND e.active
               AND ev.organization_id = d.organization_id AND ev.id = d.event_id
               AND ((d.state = %(pending)s AND (d.attempts = 0 OR d.next_attempt_at <= %(now)s))
                    OR (d.state = %(sending)s AND d.lease_until < %(now)s))
            RETURNING d.attempts, e.url, e.secret, d.body, ev.event_id
            """,
            {
                "org": organization_id,
                "id": delivery_id,
                "now": now,
                "lease": lease,
                "pending": DeliveryState.PENDING,
                "sending": DeliveryState.SENDING,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    attempt, url, secret, body, event_id = row
    if attempt > settings.WEBHOOKS_ATTEMPTS:
        record_outcome(
            organization_id=organization_id,
            delivery_id=delivery_id,
            attempt=attempt,
            response=sender.Response(None, 0, "", "gave up: the last attempt never finished"),
            final=True,
        )
        return None
    return Claim(delivery_id, attempt, url, secret, body, str(event_id))


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers_for(claim: Claim, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Vindaris-Event-Id": claim.event_id,
        "Vindaris-Timestamp": str(timestamp),
        "Vindaris-Signature": f"v1={signature(claim.secret, timestamp, body)}",
        "Vindaris-Attempt": str(claim.attempt),
    }


def attempt(*, organization_id: int, delivery_id: int) -> sender.Response | None:
    """Claim, send and record one attempt of a delivery (what the Celery task runs). None when
    there was nothing to send."""
    claimed = claim(organization_id=organization_id, delivery_id=delivery_id)
    if claimed is None:
        return None
    body = claimed.body.encode()
    timestamp = int(timezone.now().timestamp())
    response = sender.post(claimed.url, body, headers_for(claimed, body, timestamp))
    record_outcome(
        organization_id=organization_id,
        delivery_id=delivery_id,
        attempt=claimed.attempt,
        response=response,
    )
    return response


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt `attempt` (1, 2, …): WEBHOOKS_RETRY_SECONDS × 2^(n-1),
    at most MAX_BACKOFF, between half and all of it at random (receivers that failed together
    do not all come back at once)."""
    base = settings.WEBHOOKS_RETRY_SECONDS * 2 ** (attempt - 1)
    wait = min(base, MAX_BACKOFF.total_seconds())
    return timedelta(seconds=wait * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not a secret


@transaction.atomic
def record_outcome(
    *,
    organization_id: int,
    delivery_id: int,
    attempt: int,
    response: sender.Response,
    final: bool = False,
) -> Delivery | None:
    """Record an attempt's outcome: delivered; or waiting for the next attempt (a network
    error, a timeout, 5xx or 429, while attempts remain); or failed. A failed delivery counts
    against its endpoint, which is disabled after WEBHOOKS_DISABLE_AFTER in a row (its admins
    are emailed once the change commits); a delivered one clears the count."""
    delivery = (
        Delivery.objects.select_for_update()
        .filter(organization_id=organization_id, pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.attempts != attempt:
        return None  # deleted, or a later attempt is under way: this one's report is stale
    now = timezone.now()
    delivery.status_code = response.status
    delivery.duration_ms = response.duration_ms
    delivery.response_excerpt = response.excerpt
    delivery.error = response.error
    delivery.lease_until = None
    if response.succeeded:
        delivery.state = DeliveryState.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif not final and response.retryable and attempt < settings.WEBHOOKS_ATTEMPTS:
        delivery.state = DeliveryState.PENDING
        delivery.next_attempt_at = now + backoff(attempt)
    else:
        delivery.state = DeliveryState.FAILED
        delivery.next_attempt_at = None
    delivery.save()
    if delivery.state == DeliveryState.SUCCEEDED:
        Endpoint.objects.filter(
            organization_id=organization_id, pk=delivery.endpoint_id, consecutive_failures__gt=0
        ).update(consecutive_failures=0)
    elif delivery.state == DeliveryState.FAILED:
        _count_failure(organization_id, delivery.endpoint_id, now)
    return delivery


def _count_failure(organization_id: int, endpoint_id: int, now: datetime) -> None:
    endpoint = (
        Endpoint.objects.select_for_update()
        .select_related("organization")
        .filter(organization_id=organization_id, pk=endpoint_id)
        .first()
    )
    if endpoint is None:
        return
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if endpoint.active and endpoint.consecutive_failures >= settings.WEBHOOKS_DISABLE_AFTER:
        endpoint.active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = (
            f"Disabled after {endpoint.consecutive_failures} deliveries in a row failed."
        )
        fields += ["active", "disabled_at", "disabled_reason"]
        transaction.on_commit(lambda: _tell_admins(endpoint))
    endpoint.save(update_fields=fields)


def _tell_admins(endpoint: Endpoint) -> None:
    """Email the organization's admins that the endpoint was disabled."""
    organization = endpoint.organization
    admins = [
        m.user.email
        for m in tenancy_selectors.members_of(organization=organization).filter(role=Role.ADMIN)
        if m.user.is_active and m.user.email
    ]
    if not admins:
        return
    send_templated_email(
        "emails/webhook_disabled",
        to=admins,
        context={
            "organization": organization,
            "endpoint": endpoint,
            "path": f"/o/{organization.slug}/settings/webhooks/{endpoint.number}/",
        },
    )
