"""An organization's trace exports re-import into an empty organization as the same strategy:
the same goal tree (titles, statuses, priorities, owners, confidentiality), the same outcomes,
the same work under the same goals, and the same coverage figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from goals.models import Goal, GoalStatus, Outcome, Priority
from imports import services
from imports.models import ImportState
from tests.builders import make_goal, make_outcome, make_task
from tests.factories import MembershipFactory, OrganizationFactory
from traceability.selectors import coverage_headline
from vindaris.tenancy.models import Role
from work.models import Origin, Task, TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(org, admin, lead, planner, membership_of):
    """Three levels, mixed statuses and priorities, a confidential goal, outcomes, linked and
    orphaned work, stranded work, a goal with nothing under it."""
    growth = make_goal(
        org, admin, "Grow revenue", priority=Priority.P1, owner=membership_of(lead, org)
    )
    europe = make_goal(org, admin, "Win Europe", parent=growth, priority=Priority.P2)
    berlin = make_goal(org, admin, "Open Berlin", parent=europe, priority=Priority.P3)
    paused = make_goal(org, admin, "Paused bet", status=GoalStatus.ON_HOLD, priority=Priority.P4)
    secret = make_goal(org, admin, "Acquire Initech", confidential=True, priority=Priority.P2)
    make_goal(org, admin, "Idea", parent=growth, status=GoalStatus.DRAFT)
    revenue = make_outcome(org, admin, growth, "Monthly revenue", "100", "250", unit="k€")
    make_outcome(org, admin, berlin, "Berlin stores", "0", "3")
    make_task(org, planner, growth, "Price page", estimate=3, outcome=revenue)
    make_task(org, planner, europe, "Hire a country lead", estimate=5)
    make_task(org, planner, berlin, "Sign the lease", estimate=8)
    make_task(org, planner, berlin, "Lease signed", estimate=2, status=TaskStatus.DONE)
    make_task(org, planner, paused, "Prototype", estimate=2)
    make_task(org, planner, secret, "Due diligence", estimate=5)
    org.allow_goalless_work = True
    org.save()
    make_task(org, planner, None, "Fix the footer", estimate=1, origin=Origin.QUICK_ADD)
    return org


def tree(organization) -> list[tuple]:
    """The strategy as a user reads it, numbers aside."""
    goals = Goal.objects.filter(organization=organization).select_related("parent", "owner__user")
    outcomes = Outcome.objects.filter(organization=organization).select_related("goal")
    tasks = Task.objects.filter(organization=organization).select_related("goal", "outcome")
    return sorted(
        [
            (
                "goal",
                g.title,
                g.parent.title if g.parent else "",
                g.status,
                g.priority,
                g.confidential,
                g.owner.user.email if g.owner else "",
            )
            for g in goals
        ]
        + [
            ("outcome", o.title, o.goal.title, o.unit, o.baseline, o.target, o.current)
            for o in outcomes
        ]
        + [
            (
                "task",
                t.title,
                t.goal.title if t.goal else "",
                t.outcome.title if t.outcome else "",
                t.status,
                t.estimate,
            )
            for t in tasks
        ],
        key=repr,
    )


def figures(organization, viewer) -> tuple:
    # past the starved grace period, so that goals made at different times compare alike
    now = timezone.now() + timedelta(days=30)
    h = coverage_headline(organization=organization, viewer=viewer, now=now)
    return (h.live_effort, h.linked_effort, h.orphaned, h.stranded, h.kept, h.starved)


@pytest.mark.parametrize("export", ["trace/export.csv", "trace/export.json"])
def test_the_trace_export_re_imports_as_the_same_strategy(
    export, source, admin, client_for, membership_of
):
    response = client_for(admin).get(f"/o/{source.slug}/{export}")
    content = b"".join(response.streaming_content)
    empty = OrganizationFactory(slug="fresh", name="Fresh")
    # the same people are members there too (owners and assignees match by email)
    importer = MembershipFactory(organization=empty, role=Role.ADMIN, user=admin)
    for membership in source.memberships.exclude(user=admin).select_related("user"):
        MembershipFactory(organization=empty, role=membership.role, user=membership.user)

    run = services.import_start(
        organization=empty,
        membership=importer,
        upload=SimpleUploadedFile(export.split("/")[-1], content),
    )
    services.run_pending(empty.pk)
    run.refresh_from_db()
    assert run.state == ImportState.READY, run.error
    assert run.plan["problems_count"] == 0, run.plan["problems"]
    services.import_apply(organization=empty, membership=importer, run=run)
    services.run_pending(empty.pk)
    run.refresh_from_db()
    assert run.state == ImportState.APPLIED, run.error

    assert tree(empty) == tree(source)
    assert figures(empty, importer) == figures(source, membership_of(admin, source))
    # by hand: live 3 + 5 + 8 + 2 + 5 + 1 = 24; on active goals 3 + 5 + 8 + 5 = 21;
    # one orphaned, one stranded (the paused bet's prototype), none starved past grace but
    # the draft idea is not active and the paused bet is not either
    assert figures(empty, importer)[:4] == (24, 21, 1, 1)
    assert Decimal(0) not in {o.target for o in Outcome.objects.filter(organization=empty)}


def test_re_importing_the_same_export_changes_nothing(source, admin, client_for):
    content = b"".join(
        client_for(admin).get(f"/o/{source.slug}/trace/export.json").streaming_content
    )
    empty = OrganizationFactory(slug="again", name="Again")
    importer = MembershipFactory(organization=empty, role=Role.ADMIN, user=admin)
    for _ in range(2):
        run = services.import_start(
            organization=empty,
            membership=importer,
            upload=SimpleUploadedFile("trace.json", content),
        )
        services.run_pending(empty.pk)
        run.refresh_from_db()
        services.import_apply(organization=empty, membership=importer, run=run)
        services.run_pending(empty.pk)
        run.refresh_from_db()
    assert run.plan["goals"] == {"new": 0, "changed": 0, "unchanged": 6}
    assert run.plan["tasks"] == {"new": 0, "changed": 0, "unchanged": 7}
    assert Goal.objects.filter(organization=empty).count() == 6
    assert Task.objects.filter(organization=empty).count() == 7
