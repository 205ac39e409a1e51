"""A worker killed mid-delivery: the attempt it claimed stays claimed until its lease runs out,
then the next attempt sends the same event id again, counted in the log. At least once, with a
stable event id: the receiver sees an event id at most once per attempt the log shows.

The attempt runs in a real separate process (as a worker would run it) against the test
database, killed with SIGKILL while the receiver holds its request."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.builders import make_goal, make_task, make_webhook_endpoint
from tests.traceability.conftest import _database_url
from webhooks import services
from webhooks.models import Delivery, DeliveryState

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1


def test_a_worker_killed_mid_delivery_sends_the_event_id_again_once_per_attempt(
    receiver, org, admin, settings
):
    settings.WEBHOOKS_LEASE_SECONDS = LEASE_SECONDS
    make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    goal = make_goal(org, admin)
    first = make_task(org, admin, goal, "First")
    second = make_task(org, admin, goal, "Second")
    assert len(services.fan_out(organization=org)) == 2
    held, other = (
        Delivery.objects.select_related("event").get(organization=org, event__object_id=t.pk)
        for t in (first, second)
    )

    release = threading.Event()

    def hold(seen):  # the receiver takes the request and does not answer until released
        release.wait(30)
        return 200, {}, b"late"

    receiver.script = [hold]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vindaris.settings.test",
        "DATABASE_URL": _database_url(),
        "WEBHOOKS_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    code = (
        "import django; django.setup(); from webhooks.services import attempt;"
        f" attempt(organization_id={org.pk}, delivery_id={held.pk})"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603
    try:
        receiver.wait_for(1, timeout=60)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
        release.set()

    held.refresh_from_db()
    assert (held.state, held.attempts) == (DeliveryState.SENDING, 1)
    # Another worker (a redelivered message) finds it claimed and sends nothing.
    assert services.attempt(organization_id=org.pk, delivery_id=held.pk) is None
    assert len(receiver.seen) == 1

    time.sleep(LEASE_SECONDS + 0.2)
    response = services.attempt(organization_id=org.pk, delivery_id=held.pk)
    assert response is not None and response.status == 200
    response = services.attempt(organization_id=org.pk, delivery_id=other.pk)
    assert response is not None and response.status == 200
    # Delivered: nothing more is sent for either.
    assert services.attempt(organization_id=org.pk, delivery_id=held.pk) is None
    assert services.attempt(organization_id=org.pk, delivery_id=other.pk) is None

    held.refresh_from_db()
    other.refresh_from_db()
    assert (held.state, held.attempts) == (DeliveryState.SUCCEEDED, 2)
    assert (other.state, other.attempts) == (DeliveryState.SUCCEEDED, 1)
    assert Counter(receiver.event_ids()) == {
        str(held.event.event_id): 2,
        str(other.event.event_id): 1,
    }
    assert [s.headers["Vindaris-Attempt"] for s in receiver.seen] == ["1", "2", "1"]
