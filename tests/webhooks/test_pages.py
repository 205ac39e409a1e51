"""The webhooks pages: registering an endpoint (its secret shown once), changing and rotating
it, its delivery log and redelivery (admins only: the role matrix and the isolation harness
cover who else gets 403 or 404)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.builders import (
    make_goal,
    make_task,
    make_webhook_delivery,
    make_webhook_endpoint,
)
from webhooks import services
from webhooks.models import Delivery, DeliveryState, Endpoint

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"whsec_[0-9a-f]{48}")


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(org, admin, client_for):
    client = client_for(admin)
    url = "/o/acme/settings/webhooks/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "url": "https://hooks.example.com/vindaris",
            "description": "CI bot",
            "events": ["task.created", "task.moved"],
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    (shown,) = set(SECRET.findall(response.content.decode()))
    endpoint = Endpoint.objects.get(organization=org)
    assert endpoint.secret == shown
    assert (endpoint.url, endpoint.description) == ("https://hooks.example.com/vindaris", "CI bot")
    assert endpoint.events == ["task.created", "task.moved"]
    assert endpoint.member.user == admin

    detail = client.get(f"{url}{endpoint.number}/").content.decode()
    assert shown not in detail and not SECRET.search(detail)
    assert shown not in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"url": "ftp://hooks.example.com/", "events": ["task.created"]}, "Enter a valid URL."),
        ({"url": "https://hooks.example.com/"}, "Choose at least one event."),
        ({"url": "https://hooks.example.com/", "events": ["task.deleted"]}, "valid choice"),
    ],
)
def test_bad_input_is_shown_on_the_form(org, admin, client_for, data, field_error):
    response = client_for(admin).post("/o/acme/settings/webhooks/", data)
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert not Endpoint.objects.filter(organization=org).exists()


def test_an_admin_changes_rotates_and_deletes_an_endpoint(org, admin, client_for):
    endpoint, old = make_webhook_endpoint(org, admin)
    client = client_for(admin)
    url = f"/o/acme/settings/webhooks/{endpoint.number}/"
    response = client.post(
        url, {"url": "https://other.example.com/in", "events": ["goal.updated"], "active": ""}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.active) == (
        "https://other.example.com/in",
        ["goal.updated"],
        False,
    )

    response = client.post(url + "rotate/")
    (shown,) = set(SECRET.findall(response.content.decode()))
    endpoint.refresh_from_db()
    assert endpoint.secret == shown != old

    assert client.post(url + "delete/").status_code == 302
    assert not Endpoint.objects.filter(organization=org).exists()


def test_the_delivery_log_and_redelivery(org, admin, client_for, receiver):
    endpoint, _ = make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    delivery = make_webhook_delivery(org, admin, endpoint)
    receiver.script = [(lambda seen: (503, {}, b"busy " * 500))]
    services.attempt(organization_id=org.pk, delivery_id=delivery.pk)

    client = client_for(admin)
    url = f"/o/acme/settings/webhooks/{endpoint.number}/"
    page = client.get(url).content.decode()
    row = page[page.index(f'id="delivery-{delivery.event.event_id}"') :]
    row = row[: row.index("</tr>")]
    assert "task.created" in row
    assert "<td>503</td>" in row
    assert "<td>1</td>" in row  # attempts
    assert "busy busy" in row
    # The excerpt is capped: 2,500 characters were answered, 1,000 kept.
    delivery.refresh_from_db()
    assert len(delivery.response_excerpt) == 1000
    assert delivery.state == DeliveryState.PENDING and delivery.next_attempt_at is not None

    response = client.post(f"{url}deliveries/{delivery.event.event_id}/redeliver/")
    assert response.status_code == 302
    assert response["Location"] == url
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
    services.attempt(organization_id=org.pk, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.status_code) == (
        DeliveryState.SUCCEEDED,
        1,
        200,
    )
    assert receiver.event_ids() == [str(delivery.event.event_id)] * 2


def test_the_pages_run_a_constant_number_of_queries(org, admin, client_for):
    endpoint, _ = make_webhook_endpoint(org, admin)
    make_webhook_delivery(org, admin, endpoint)
    client = client_for(admin)
    detail = f"/o/acme/settings/webhooks/{endpoint.number}/"

    def counts() -> tuple[int, int]:
        sizes = []
        for url in ("/o/acme/settings/webhooks/", detail):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            sizes.append(len(queries))
        return sizes[0], sizes[1]

    few = counts()
    goal = make_goal(org, admin)
    for i in range(6):
        make_task(org, admin, goal, f"More work {i}")
    make_webhook_endpoint(org, admin, "https://second.example.com/")
    services.fan_out(organization=org)
    assert Delivery.objects.filter(organization=org, endpoint=endpoint).count() == 7
    assert counts() == few
