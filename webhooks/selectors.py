"""Every read of the webhooks pages: an organization's endpoints and an endpoint's deliveries."""

import uuid

from django.db.models import QuerySet

from vindaris.tenancy.models import Organization

from .models import Delivery, Endpoint

ENDPOINT_LIST_SIZE = 100
DELIVERY_LOG_SIZE = 50


def endpoints_of(*, organization: Organization) -> QuerySet[Endpoint]:
    """The organization's endpoints in the order they were registered, the member each acts as
    loaded. One query."""
    return (
        Endpoint.objects.filter(organization=organization)
        .select_related("member__user")
        .order_by("number")[:ENDPOINT_LIST_SIZE]
    )


def endpoint_get(*, organization: Organization, number: int) -> Endpoint | None:
    return (
        Endpoint.objects.filter(organization=organization, number=number)
        .select_related("member__user")
        .first()
    )


def deliveries_of(*, endpoint: Endpoint, limit: int = DELIVERY_LOG_SIZE) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first, their events loaded (the body is not:
    the log never shows it). One query."""
    return list(
        Delivery.objects.filter(organization_id=endpoint.organization_id, endpoint=endpoint)
        .select_related("event")
        .defer("body")
        .order_by("-id")[:limit]
    )


def delivery_get(*, endpoint: Endpoint, event_id: uuid.UUID) -> Delivery | None:
    """The endpoint's delivery of the event with this public id."""
    return (
        Delivery.objects.filter(
            organization_id=endpoint.organization_id,
            endpoint=endpoint,
            event__event_id=event_id,
        )
        .select_related("event")
        .first()
    )
