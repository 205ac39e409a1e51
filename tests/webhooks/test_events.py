"""Events recorded by the writes (the outbox), made into deliveries by the dispatcher's service,
and sent by one attempt in this process: who gets what, and what is refused."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import GoalStatus
from tests.builders import (
    make_goal,
    make_import,
    make_outcome,
    make_task,
    make_webhook_endpoint,
)
from tests.factories import MembershipFactory, UserFactory
from traceability import services as trace_services
from vindaris.tenancy.models import Membership, Role
from webhooks import sender, services
from webhooks.models import Delivery, DeliveryState, Event
from work import services as work_services
from work.models import Origin, Task

pytestmark = pytest.mark.django_db


def event_types(org) -> list[str]:
    return list(
        Event.objects.filter(organization=org).order_by("id").values_list("type", flat=True)
    )


def event_inserts(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "INSERT INTO webhooks_event" in q["sql"]]


def test_each_change_records_its_event_type(org, admin):
    make_webhook_endpoint(org, admin)
    goal = make_goal(org, admin, "Win the mid-market")
    other = make_goal(org, admin, "Cut churn")
    outcome = make_outcome(org, admin, goal)
    task = make_task(org, admin, goal, "Call ten prospects")
    work_services.task_update(organization=org, actor=admin, task=task, title="Call twelve")
    work_services.task_set_status(organization=org, actor=admin, task=task, status="in_progress")
    work_services.task_move(
        organization=org, actor=admin, task=task, to_goal=other, reason="churn matters more"
    )
    goal_services.goal_update(organization=org, actor=admin, goal=goal, title="Win it")
    work_services.check_in_record(
        organization=org, actor=admin, outcome=outcome, value=Decimal("120")
    )
    assert event_types(org) == [
        "task.created",
        "task.updated",
        "task.updated",
        "task.moved",
        "goal.updated",
        "check_in.created",
    ]
    # Nothing changed: nothing recorded.
    work_services.task_set_status(organization=org, actor=admin, task=task, status="in_progress")
    assert len(event_types(org)) == 6


def test_only_subscribed_types_of_an_organization_with_an_active_endpoint_are_recorded(
    org, other_org, admin, membership_of
):
    endpoint, _ = make_webhook_endpoint(org, admin, chosen_events=["goal.updated"])
    goal = make_goal(org, admin)
    make_task(org, admin, goal)
    assert event_types(org) == []
    goal_services.goal_update(organization=org, actor=admin, goal=goal, title="Renamed")
    assert event_types(org) == ["goal.updated"]

    services.endpoint_update(
        organization=org,
        actor=membership_of(admin, org),
        endpoint=endpoint,
        url=endpoint.url,
        chosen_events=["goal.updated"],
        active=False,
    )
    goal_services.goal_update(organization=org, actor=admin, goal=goal, title="Renamed again")
    assert event_types(org) == ["goal.updated"]


def test_another_organization_never_sees_nor_triggers_an_endpoint(org, other_org, admin):
    endpoint, _ = make_webhook_endpoint(org, admin)
    other_admin = MembershipFactory(
        organization=other_org, role=Role.ADMIN, user=UserFactory(email="admin@globex.test")
    ).user
    make_task(other_org, other_admin, make_goal(other_org, other_admin), "Globex's work")
    assert Event.objects.filter(organization=other_org).count() == 0
    assert services.fan_out(organization=other_org) == []

    task = make_task(org, admin, make_goal(org, admin), "Acme's work")
    services.fan_out(organization=org)
    (delivery,) = Delivery.objects.filter(organization=org)
    assert delivery.endpoint_id == endpoint.pk
    assert json.loads(delivery.body)["data"]["key"] == f"T-{task.number}"
    assert not Delivery.objects.filter(organization=other_org).exists()


def test_an_endpoint_sees_what_its_admin_sees(org, admin, lead, membership_of):
    endpoint, _ = make_webhook_endpoint(org, admin, chosen_events=["task.created"])
    secret_goal = make_goal(org, lead, "Acquire Initech", confidential=True)
    open_goal = make_goal(org, lead, "Win the mid-market")
    make_task(org, lead, secret_goal, "Review Initech's contracts")
    services.fan_out(organization=org)
    assert Delivery.objects.filter(organization=org).count() == 1, "an admin sees everything"

    # Made a planner, the endpoint's admin no longer sees the confidential goal's work.
    Membership.objects.filter(pk=membership_of(admin, org).pk).update(role=Role.PLANNER)
    make_task(org, lead, secret_goal, "Draft the offer")
    visible = make_task(org, lead, open_goal, "Call ten prospects")
    services.fan_out(organization=org)
    bodies = [json.loads(d.body) for d in Delivery.objects.filter(organization=org).order_by("id")]
    assert [b["data"]["title"] for b in bodies] == [
        "Review Initech's contracts",
        visible.title,
    ]
    assert endpoint.pk == Delivery.objects.filter(organization=org).first().endpoint_id


def test_an_import_records_its_events_in_one_statement(org, admin):
    make_webhook_endpoint(org, admin, chosen_events=["task.created"])
    run = make_import(org, admin)
    goal = make_goal(org, admin)
    rows = [
        work_services.ImportedTask(
            source="jira",
            external_key=f"PM-{i}",
            title=f"Imported {i}",
            description="",
            status="todo",
            estimate=1,
            due_date=None,
            assignee_id=None,
            goal_id=goal.pk,
            outcome_id=None,
        )
        for i in range(1, 31)
    ]
    with CaptureQueriesContext(connection) as queries:
        first = work_services.tasks_import(
            organization=org, actor=admin, import_run_id=run.pk, label="Jira", tasks=rows
        )
    assert len(event_inserts(queries)) == 1
    imported = set(
        Task.objects.filter(organization=org, origin=Origin.IMPORT).values_list("pk", flat=True)
    )
    assert len(imported) == 30
    assert first > 0
    events = Event.objects.filter(organization=org, type="task.created")
    assert set(events.values_list("object_id", flat=True)) == imported

    # A re-import's changes: one statement too.
    changes = [
        work_services.ImportedChange(
            task_id=pk,
            title="Renamed",
            description="",
            status="in_progress",
            estimate=2,
            due_date=None,
            assignee_id=None,
            goal_id=None,
        )
        for pk in sorted(imported)[:10]
    ]
    with CaptureQueriesContext(connection) as queries:
        work_services.tasks_import_update(
            organization=org, actor=admin, label="Jira", changes=changes
        )
    assert len(event_inserts(queries)) == 1


def test_without_an_endpoint_a_write_stores_no_event(org, admin):
    goal = make_goal(org, admin)
    with CaptureQueriesContext(connection) as queries:
        make_task(org, admin, goal)
    assert len(event_inserts(queries)) == 1  # asked, in the same statement that would store
    assert not Event.objects.filter(organization=org).exists()


def test_the_reconciler_records_raised_and_resolved_flags_in_its_own_statement(org, admin):
    make_webhook_endpoint(org, admin, chosen_events=["flag.raised", "flag.resolved"])
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    goal = make_goal(org, admin, "Launch in Spain")
    orphans = [
        make_task(org, admin, None, f"Loose end {i}", origin=Origin.QUICK_ADD) for i in range(3)
    ]
    make_task(org, admin, goal, "Find an office")
    goal_services.goal_update(organization=org, actor=admin, goal=goal, status=GoalStatus.ON_HOLD)
    with CaptureQueriesContext(connection) as queries:
        result = trace_services.flags_reconcile(organization=org)
    # Three orphaned; the goal's one task stranded and suspect; (the goal is not active: not
    # starved).
    assert result.raised == 5
    (statement,) = event_inserts(queries)
    assert "INSERT INTO traceability_flag" in statement, "recorded by the reconcile's statement"
    assert event_types(org) == ["flag.raised"] * 5

    work_services.task_move(
        organization=org, actor=admin, task=orphans[0], to_goal=goal, reason="found its goal"
    )
    goal_services.goal_update(organization=org, actor=admin, goal=goal, status=GoalStatus.ACTIVE)
    later = timezone.now() + timedelta(seconds=1)
    result = trace_services.flags_reconcile(organization=org, now=later)
    assert result.resolved >= 1
    resolved = Event.objects.filter(organization=org, type="flag.resolved").count()
    assert resolved == result.resolved
    services.fan_out(organization=org)
    body = json.loads(
        Delivery.objects.filter(organization=org, event__type="flag.resolved").first().body
    )
    assert body["data"]["resolved_at"] is not None
    assert body["data"]["resolution"] != ""


def test_a_private_address_is_refused_under_production_settings(org, admin, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    make_webhook_endpoint(org, admin, receiver.url, ["task.created"])
    make_webhook_endpoint(org, admin, "http://localhost:9/hook", ["task.created"])
    make_task(org, admin, make_goal(org, admin))
    ids = services.fan_out(organization=org)
    assert len(ids) == 2
    for delivery_id in ids:
        response = services.attempt(organization_id=org.pk, delivery_id=delivery_id)
        assert response is not None and response.status is None
        assert response.error.startswith("refused:")
        assert not response.retryable
    assert receiver.seen == []
    states = Delivery.objects.filter(organization=org).values_list("state", "attempts", "error")
    for state, attempts, error in states:
        assert (state, attempts) == (DeliveryState.FAILED, 1)
        assert "not public" in error


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # the cloud metadata address: link-local
        ("100.64.0.1", False),  # shared address space
        ("0.0.0.0", False),  # noqa: S104 - an address under test, not bound
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # loopback written as IPv6
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
    ],
)
def test_which_addresses_are_public(address, public):
    assert sender.is_public(address) is public


def test_other_schemes_are_refused():
    with pytest.raises(sender.Refused):
        sender.check_url("ftp://hooks.example.com/")
    with pytest.raises(sender.Refused):
        sender.check_url("file:///etc/passwd")
