"""Deliveries end to end: changes made through the services, a real Celery worker (its beat runs
the dispatcher every 0.3 s) and a real HTTP receiver on loopback."""

import hashlib
import hmac
import json
import time

import pytest
from django.db import transaction

from tests.builders import make_goal, make_task, make_webhook_endpoint
from tests.factories import MembershipFactory, UserFactory
from vindaris.tenancy.models import Role
from webhooks.models import Delivery, DeliveryState, Endpoint, Event

from .conftest import readme_verify

pytestmark = pytest.mark.django_db(transaction=True)


def deliveries(org) -> list[Delivery]:
    return list(Delivery.objects.filter(organization=org).order_by("id"))


def test_a_delivery_is_signed_and_verifies_with_the_readme_snippet(
    webhook_worker, receiver, org, admin
):
    _endpoint, secret = make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    goal = make_goal(org, admin, "Win the mid-market")
    task = make_task(org, admin, goal, "Call ten prospects", estimate=3)

    (seen,) = receiver.wait_for(1)
    assert seen.path == "/hook"
    assert seen.headers["Content-Type"] == "application/json"
    body = json.loads(seen.body)
    assert body["id"] == seen.headers["Vindaris-Event-Id"]
    assert body["type"] == "task.created"
    assert body["organization"] == "acme"
    data = body["data"]
    assert (data["key"], data["title"], data["goal"]) == (
        f"T-{task.number}",
        "Call ten prospects",
        f"G-{goal.number}",
    )
    assert (data["estimate"], data["status"], data["origin"]) == (3, "todo", "goal_page")

    verify = readme_verify()
    assert verify(secret, seen.headers, seen.body)
    assert not verify(secret, seen.headers, seen.body), "a replayed event id is refused"
    fresh = readme_verify()
    assert not fresh(secret, seen.headers, seen.body + b" "), "a changed body is refused"
    assert not fresh("whsec_not_the_secret", seen.headers, seen.body)
    # Signed correctly, but six minutes old: a replay.
    old = str(int(time.time()) - 360)
    signed = hmac.new(secret.encode(), old.encode() + b"." + seen.body, hashlib.sha256)
    stale = {
        **seen.headers,
        "Vindaris-Timestamp": old,
        "Vindaris-Signature": f"v1={signed.hexdigest()}",
    }
    assert not fresh(secret, stale, seen.body)

    webhook_worker.wait_until(lambda: deliveries(org)[0].state == DeliveryState.SUCCEEDED)
    (delivery,) = deliveries(org)
    assert (delivery.status_code, delivery.attempts, delivery.response_excerpt) == (200, 1, "ok")


def test_a_500_is_retried_until_the_receiver_takes_it(webhook_worker, receiver, org, admin):
    make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    receiver.script = [500, 503]
    make_task(org, admin, make_goal(org, admin), "Call ten prospects")

    seen = receiver.wait_for(3)
    assert len(set(receiver.event_ids())) == 1, "every attempt carries the same event id"
    attempts = [s.headers["Vindaris-Attempt"] for s in seen]
    assert attempts == ["1", "2", "3"]
    webhook_worker.wait_until(lambda: deliveries(org)[0].state == DeliveryState.SUCCEEDED)
    (delivery,) = deliveries(org)
    assert (delivery.status_code, delivery.attempts) == (200, 3)


def test_a_redirect_is_not_followed_nor_retried(webhook_worker, receiver, org, admin):
    make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    receiver.script = [lambda seen: (302, {"Location": "/elsewhere"}, b"moved")]
    make_task(org, admin, make_goal(org, admin), "Call ten prospects")

    receiver.wait_for(1)
    webhook_worker.wait_until(lambda: deliveries(org)[0].state == DeliveryState.FAILED)
    time.sleep(1.5)  # five sweeps of the dispatcher: nothing more is sent
    assert [s.path for s in receiver.seen] == ["/hook"]
    (delivery,) = deliveries(org)
    assert (delivery.status_code, delivery.attempts) == (302, 1)
    assert delivery.error == "redirects are not followed"


def test_nothing_is_sent_for_a_change_that_rolled_back(webhook_worker, receiver, org, admin):
    make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    goal = make_goal(org, admin)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_task(org, admin, goal, "Never happened")
        raise RuntimeError("the request failed after the write")
    assert not Event.objects.filter(organization=org).exists()

    make_task(org, admin, goal, "Happened")
    receiver.wait_for(1)
    webhook_worker.wait_until(lambda: deliveries(org)[0].state == DeliveryState.SUCCEEDED)
    time.sleep(1.0)
    assert [json.loads(s.body)["data"]["title"] for s in receiver.seen] == ["Happened"]


def test_an_endpoint_failing_every_delivery_is_disabled_and_its_admins_emailed(
    webhook_worker, receiver, org, admin, lead
):
    second_admin = MembershipFactory(
        organization=org, role=Role.ADMIN, user=UserFactory(email="second-admin@acme.test")
    ).user
    endpoint, _ = make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    receiver.script = [500] * 100
    goal = make_goal(org, admin)
    make_task(org, admin, goal, "First")
    make_task(org, admin, goal, "Second")

    def disabled() -> bool:
        endpoint.refresh_from_db()
        return not endpoint.active

    # Two deliveries (WEBHOOKS_DISABLE_AFTER), four attempts each (WEBHOOKS_ATTEMPTS).
    webhook_worker.wait_until(disabled, timeout=30)
    assert endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 2
    assert [(d.state, d.attempts, d.status_code) for d in deliveries(org)] == [
        (DeliveryState.FAILED, 4, 500),
        (DeliveryState.FAILED, 4, 500),
    ]
    assert len(receiver.seen) == 8

    def told() -> list:
        return [m for m in webhook_worker.emails() if "was disabled" in m["Subject"]]

    webhook_worker.wait_until(lambda: bool(told()))
    (message,) = told()
    assert sorted(a.strip() for a in message["To"].split(",")) == sorted(
        [admin.email, second_admin.email]
    )
    assert lead.email not in message["To"]
    assert f"W-{endpoint.number}" in message["Subject"]

    # Switched off: a later change records nothing for it, and nothing is sent.
    make_task(org, admin, goal, "Third")
    assert Event.objects.filter(organization=org).count() == 2
    time.sleep(1.0)
    assert len(receiver.seen) == 8
    assert Endpoint.objects.get(pk=endpoint.pk).active is False
