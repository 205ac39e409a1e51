"""Work assigned to me, my work turning suspect or stranded: notified to the assignee who can
see the task, never to one who cannot, once."""

import pytest

from goals import services as goal_services
from goals.models import GoalStatus, Priority
from notifications.models import Kind, Notification
from tests.builders import make_goal, make_task
from traceability import services as traceability_services
from work import services as work_services

pytestmark = pytest.mark.django_db


def _of(org, member) -> list[tuple[str, str, str]]:
    return list(
        Notification.objects.filter(organization=org, recipient_id=member.pk)
        .order_by("id")
        .values_list("kind", "text", "path")
    )


def test_assigning_work_notifies_the_assignee(org, lead, planner, membership_of):
    goal = make_goal(org, lead, "Win the mid-market")
    planner_m = membership_of(planner, org)
    task = make_task(org, lead, goal, "Call ten prospects", assignee=planner_m)
    assert _of(org, planner_m) == [
        (
            "assigned",
            f"{lead.display_name} assigned you {task.key} Call ten prospects",
            f"/o/acme/tasks/{task.number}/",
        )
    ]
    n = Notification.objects.get(organization=org)
    assert n.actor_id == lead.pk and n.by_email  # assigned work comes by email by default


def test_taking_work_oneself_notifies_nobody(org, lead, planner, membership_of):
    goal = make_goal(org, lead)
    make_task(org, planner, goal, assignee=membership_of(planner, org))
    assert not Notification.objects.exists()


def test_reassigning_notifies_the_new_assignee_only(org, lead, planner, viewer, membership_of):
    goal = make_goal(org, lead)
    planner_m, viewer_m = membership_of(planner, org), membership_of(viewer, org)
    task = make_task(org, lead, goal, "Draft the memo", assignee=planner_m)
    work_services.task_update(organization=org, actor=lead, task=task, title="Draft the brief")
    assert len(_of(org, planner_m)) == 1  # the edit of the title told nobody
    work_services.task_update(organization=org, actor=lead, task=task, assignee=viewer_m)
    assert _of(org, viewer_m) == [
        (
            "assigned",
            f"{lead.display_name} assigned you {task.key} Draft the brief",
            f"/o/acme/tasks/{task.number}/",
        )
    ]
    assert len(_of(org, planner_m)) == 1


def test_work_under_a_confidential_goal_is_not_announced_to_who_cannot_see_it(
    org, lead, planner, viewer, membership_of
):
    secret = make_goal(org, lead, "Acquire Globex", confidential=True)
    under = make_goal(org, lead, "Due diligence", parent=secret)
    planner_m, viewer_m = membership_of(planner, org), membership_of(viewer, org)
    make_task(org, lead, under, "Read their books", assignee=planner_m)
    assert _of(org, planner_m) == []

    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=viewer_m, access="view"
    )
    task = make_task(org, lead, under, "Meet their CFO", assignee=viewer_m)
    assert [k for k, _, _ in _of(org, viewer_m)] == ["assigned"]
    assert _of(org, viewer_m)[0][2] == f"/o/acme/tasks/{task.number}/"


def test_work_turning_suspect_notifies_its_assignee_once(org, admin, lead, planner, membership_of):
    goal = make_goal(org, lead, "Cut churn", priority=Priority.P1)
    planner_m = membership_of(planner, org)
    task = make_task(org, planner, goal, "Interview churned customers", assignee=planner_m)
    unassigned = make_task(org, planner, goal, "Survey")
    traceability_services.flags_reconcile(organization=org)
    assert _of(org, planner_m) == []

    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P3)
    traceability_services.flags_reconcile(organization=org)
    traceability_services.flags_reconcile(organization=org)

    goal.refresh_from_db()
    assert _of(org, planner_m) == [
        (
            "task_suspect",
            f"{task.key} Interview churned customers is suspect: {goal.key} changed"
            f" ({goal.material_change})",
            f"/o/acme/tasks/{task.number}/",
        )
    ]
    assert goal.material_change  # the change is named
    assert Notification.objects.filter(organization=org).count() == 1
    assert unassigned.assignee_id is None


def test_work_turning_stranded_notifies_its_assignee_once_not_also_as_suspect(
    org, lead, planner, membership_of
):
    goal = make_goal(org, lead, "Launch in Spain")
    planner_m = membership_of(planner, org)
    task = make_task(org, lead, goal, "Find a Madrid office", assignee=planner_m)
    Notification.objects.filter(organization=org).delete()  # the "assigned" one

    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    traceability_services.flags_reconcile(organization=org)

    assert _of(org, planner_m) == [
        (
            "task_stranded",
            f"{task.key} Find a Madrid office is stranded: {goal.key} is on hold",
            f"/o/acme/tasks/{task.number}/",
        )
    ]
    n = Notification.objects.get(organization=org)
    assert n.actor_id is None and n.by_email is False  # in the digest already; not by default


def test_suspect_or_stranded_work_under_a_hidden_goal_is_not_announced(
    org, admin, lead, planner, viewer, membership_of
):
    secret = make_goal(org, lead, "Acquire Globex", confidential=True)
    under = make_goal(org, lead, "Due diligence", parent=secret)
    planner_m, viewer_m, admin_m = (membership_of(u, org) for u in (planner, viewer, admin))
    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=viewer_m, access="view"
    )
    hidden = make_task(org, lead, under, "Read their books", assignee=planner_m)
    shared = make_task(org, lead, under, "Meet their CFO", assignee=viewer_m)
    seen_by_admin = make_task(org, lead, under, "Sign the term sheet", assignee=admin_m)
    Notification.objects.filter(organization=org).delete()

    goal_services.goal_update(organization=org, actor=lead, goal=under, priority=Priority.P4)
    traceability_services.flags_reconcile(organization=org)

    assert _of(org, planner_m) == []
    assert [(k, p) for k, _, p in _of(org, viewer_m)] == [
        ("task_suspect", f"/o/acme/tasks/{shared.number}/")
    ]
    assert [(k, p) for k, _, p in _of(org, admin_m)] == [
        ("task_suspect", f"/o/acme/tasks/{seen_by_admin.number}/")
    ]
    assert hidden.assignee_id == planner_m.pk


def test_the_importer_assigns_without_a_notification_per_row(org, lead, planner, membership_of):
    from tests.builders import make_import

    membership_of(planner, org)
    text = (
        "Issue key,Summary,Status,Assignee\n"
        f"PM-1,Pay with cards,To Do,{planner.email}\n"
        f"PM-2,Refunds,To Do,{planner.email}\n"
    )
    make_import(org, lead, text)
    assert not Notification.objects.filter(kind=Kind.ASSIGNED).exists()
