"""Jobs asked for by writes go through the database (tenancy.JobRequest): they exist exactly when
the change does, a write never waits for the broker, and the dispatcher sends each pending job
once."""

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.urls import reverse

from goals import services as goal_services
from goals.models import GoalStatus
from tests.builders import make_goal, make_task
from vindaris.celery import app
from vindaris.lib.jobs import RECONCILE_TASK
from vindaris.tenancy.models import JobRequest
from vindaris.tenancy.tasks import dispatch_jobs


def pending(org) -> list[str]:
    return list(JobRequest.objects.filter(organization=org).values_list("task", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_write_asks_for_its_reconcile_in_its_own_transaction(org, lead, planner):
    goal = make_goal(org, lead)
    JobRequest.objects.filter(organization=org).delete()

    with transaction.atomic():
        goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=3)
        goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=2)
        make_task(org, planner, goal)

    assert pending(org) == [RECONCILE_TASK]  # asked three times, written once


@pytest.mark.django_db(transaction=True)
def test_a_write_rolled_back_leaves_no_job(org, lead):
    goal = make_goal(org, lead)
    JobRequest.objects.filter(organization=org).delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        goal_services.goal_update(
            organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
        )
        raise RuntimeError("the rest of the request failed")

    assert pending(org) == []


@pytest.mark.django_db(transaction=True)
def test_a_job_asked_for_in_a_savepoint_that_rolled_back_is_asked_for_again(org, lead):
    goal = make_goal(org, lead)
    JobRequest.objects.filter(organization=org).delete()

    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=3)
            raise RuntimeError("this part failed")
        goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=4)

    assert pending(org) == [RECONCILE_TASK]


def _new_pool() -> None:
    """Connections to the broker now configured (Celery keeps a pool per broker)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def hanging_broker(settings) -> Iterator[str]:
    """A broker that accepts connections and never answers (a frozen Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    previous = app.conf.broker_url
    app.conf.broker_url = url
    _new_pool()
    try:
        yield url
    finally:
        app.conf.broker_url = previous
        _new_pool()
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def test_a_frozen_broker_does_not_slow_a_write(org, lead, client_for, hanging_broker):
    goal = make_goal(org, lead, "Launch in Spain")
    client = client_for(lead)
    with socket.create_connection(("127.0.0.1", int(hanging_broker.rsplit(":", 1)[1][:-2]))) as s:
        s.settimeout(0.5)
        s.sendall(b"PING\r\n")
        with pytest.raises(TimeoutError):
            s.recv(1)  # the broker really hangs

    started = time.monotonic()
    response = client.post(
        reverse("goal_edit", args=[org.slug, goal.number]),
        {
            "title": goal.title,
            "description": "",
            "parent": "",
            "owner": "",
            "priority": "2",
            "status": "on_hold",
            "quarter": "",
            "start_date": "",
            "end_date": "",
        },
    )
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 0.9  # sending to this broker would take a second at least, then fail
    assert pending(org)[-1] == RECONCILE_TASK


def test_the_dispatcher_sends_each_pending_job_once_and_keeps_them_when_it_cannot(
    org, other_org, lead, outsider, hanging_broker, settings
):
    make_goal(org, lead)
    make_goal(other_org, outsider)
    JobRequest.objects.create(organization=org, task=RECONCILE_TASK)
    assert sorted(pending(org)) == [RECONCILE_TASK] * 2

    with pytest.raises(Exception):  # noqa: B017 - whatever the transport raises
        dispatch_jobs()

    assert len(pending(org)) == 2 and pending(other_org) == [RECONCILE_TASK]


def queued() -> list[tuple[str, list]]:
    """The (task, args) of the messages waiting in the test Redis's default queue."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        messages = [json.loads(m) for m in client.lrange("celery", 0, -1)]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


def test_the_dispatcher_sends_each_organizations_job_once_and_deletes_what_it_sent(
    org, other_org, lead, outsider
):
    app.control.purge()
    make_goal(org, lead)
    make_goal(other_org, outsider)
    JobRequest.objects.create(organization=org, task=RECONCILE_TASK)
    JobRequest.objects.create(organization=org, task=RECONCILE_TASK)

    assert dispatch_jobs() == 2

    assert sorted(queued()) == sorted(
        [(RECONCILE_TASK, [org.pk]), (RECONCILE_TASK, [other_org.pk])]
    )
    assert pending(org) == [] and pending(other_org) == []
    assert dispatch_jobs() == 0
    app.control.purge()
