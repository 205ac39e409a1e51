"""The digest tells each member only what it may see: nothing under a confidential goal hidden
from the reader is listed, counted or part of its linked ratio (goals.visibility)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals import visibility
from goals.models import Goal, GoalStatus
from tests.builders import make_goal, make_task
from tests.factories import MembershipFactory, UserFactory
from tests.traceability.conftest import Gaps
from traceability import digest, selectors, services
from traceability.clock import week_of
from traceability.models import Snapshot
from vindaris.tenancy.models import Membership, Role, User
from work.models import Origin, Task


@dataclass
class Secret:
    """A confidential goal with stranded and suspect work under a sub-goal, and a starved
    sub-goal; and the members who may or may not see it."""

    goal: Goal
    on_hold: Goal  # not confidential itself: hidden with its parent
    starved: Goal
    granted_work: Task  # assigned to the granted planner; stranded and suspect
    ungranted_work: Task  # assigned to the ungranted planner; stranded and suspect
    granted_planner: User
    ungranted_planner: User
    granted_viewer: User
    ungranted_viewer: User


def _member(org, role: str, email: str) -> Membership:
    return MembershipFactory(organization=org, role=role, user=UserFactory(email=email))


def build_secret(org, lead: User) -> Secret:
    granted_planner = _member(org, Role.PLANNER, "granted-planner@acme.test")
    ungranted_planner = _member(org, Role.PLANNER, "ungranted-planner@acme.test")
    granted_viewer = _member(org, Role.VIEWER, "granted-viewer@acme.test")
    ungranted_viewer = _member(org, Role.VIEWER, "ungranted-viewer@acme.test")
    secret = make_goal(org, lead, "Acquire Initech", confidential=True)
    on_hold = make_goal(org, lead, "Initech due diligence", parent=secret)
    starved = make_goal(org, lead, "Negotiate the Initech price", parent=secret)
    granted_work = make_task(
        org, lead, on_hold, "Audit the Initech books", assignee=granted_planner
    )
    ungranted_work = make_task(
        org, lead, on_hold, "Call the Initech bankers", assignee=ungranted_planner
    )
    goal_services.goal_update(organization=org, actor=lead, goal=on_hold, status=GoalStatus.ON_HOLD)
    Goal.objects.filter(pk=starved.pk).update(activated_at=timezone.now() - timedelta(days=30))
    for member in (granted_planner, granted_viewer):
        goal_services.goal_share(
            organization=org, actor=lead, goal=secret, member=member, access="view"
        )
    return Secret(
        goal=secret,
        on_hold=on_hold,
        starved=starved,
        granted_work=granted_work,
        ungranted_work=ungranted_work,
        granted_planner=granted_planner.user,
        ungranted_planner=ungranted_planner.user,
        granted_viewer=granted_viewer.user,
        ungranted_viewer=ungranted_viewer.user,
    )


@pytest.fixture
def secret(org, lead, planner, gaps: Gaps) -> Secret:
    return build_secret(org, lead)


def send(org):
    now = timezone.now()
    return services.digest_send_weekly(organization=org, week=week_of(org, now), now=now)


def digest_to(user: User):
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    return message


SECRET_WORDS = ("Initech",)


def _shows_the_secret(message) -> bool:
    text = message.body + message.alternatives[0][0] + message.subject
    return any(word in text for word in SECRET_WORDS)


def test_leads_and_granted_viewers_see_confidential_gaps_in_the_organization_wide_digest(
    org, lead, secret
):
    send(org)

    for user in (lead, secret.granted_viewer):
        message = digest_to(user)
        assert message.subject == "Acme weekly digest: 1 orphaned, 4 stranded, 5 suspect, 2 starved"
        body = message.body
        for task in (secret.granted_work, secret.ungranted_work):
            assert f"{task.key} {task.title}" in body
            assert f"({secret.on_hold.key} {secret.on_hold.title}, on hold)" in body
        assert f"{secret.starved.key} {secret.starved.title}" in body
        assert "Stranded tasks: 4 (4 new this week)" in body
        assert "Starved goals: 2 (2 new this week)" in body


def test_a_viewer_without_a_grant_gets_no_item_and_no_count_of_confidential_work(org, secret, gaps):
    send(org)

    message = digest_to(secret.ungranted_viewer)
    assert message.subject == "Acme weekly digest: 1 orphaned, 2 stranded, 3 suspect, 1 starved"
    assert not _shows_the_secret(message)
    assert f"/tasks/{secret.granted_work.number}/" not in message.body
    assert f"/goals/{secret.starved.number}/" not in message.body
    # what it may see is all there, orphaned work included
    assert f"{gaps.orphaned.key} {gaps.orphaned.title}" in message.body
    assert f"{gaps.starved.key} {gaps.starved.title}" in message.body
    assert "Stranded tasks: 2 (2 new this week)" in message.body


def test_a_granted_planner_sees_its_confidential_work_and_an_ungranted_one_does_not(org, secret):
    send(org)

    granted = digest_to(secret.granted_planner)
    assert granted.subject == "Acme weekly digest: 0 orphaned, 1 stranded, 1 suspect"
    assert f"{secret.granted_work.key} {secret.granted_work.title}" in granted.body
    assert secret.ungranted_work.title not in granted.body  # not its own work
    # The ungranted planner's only gap lies under the hidden goal: nothing to tell it.
    assert not [m for m in mail.outbox if m.to == [secret.ungranted_planner.email]]


def test_a_planner_with_visible_work_too_is_told_only_of_that(org, lead, secret, gaps):
    ungranted = Membership.objects.get(organization=org, user=secret.ungranted_planner)
    visible = make_task(
        org, lead, None, "Book the offsite", assignee=ungranted, origin=Origin.QUICK_ADD
    )

    send(org)

    message = digest_to(secret.ungranted_planner)
    assert message.subject == "Acme weekly digest: 1 orphaned, 0 stranded, 0 suspect"
    assert f"{visible.key} {visible.title}" in message.body
    assert not _shows_the_secret(message)
    assert f"/tasks/{secret.ungranted_work.number}/" not in message.body


def test_the_linked_ratio_counts_only_the_work_the_reader_may_see(org, lead, secret, gaps):
    # build_gaps: 2 of 6 live points on active goals; the secret adds 2 live points on hold.
    Snapshot.objects.create(
        organization=org,
        date=timezone.localdate() - timedelta(days=8),
        linked_effort=2,
        live_effort=4,
        linked_ratio=0.5,
        goal_effort={str(gaps.active.pk): 1, str(secret.on_hold.pk): 2},
        taken_at=timezone.now() - timedelta(days=8),
    )

    send(org)

    for user in (lead, secret.granted_viewer):
        assert (
            "Linked ratio: 25% of live effort is on active goals, -25 points since last week."
            in digest_to(user).body
        )
    # Last week's snapshot counted the hidden goal's effort: no change to compare with.
    assert (
        "Linked ratio: 33% of live effort is on active goals.\n"
        in digest_to(secret.ungranted_viewer).body
    )


def test_the_owner_of_a_confidential_goal_sees_it_without_a_grant(org, lead, secret):
    owner = _member(org, Role.VIEWER, "owner@acme.test")
    goal_services.goal_update(organization=org, actor=lead, goal=secret.goal, owner=owner)

    send(org)

    assert "2 starved" in digest_to(owner.user).subject
    assert "1 starved" in digest_to(secret.ungranted_viewer).subject


def test_visibility_classes_hide_exactly_what_goals_visibility_hides(org, lead, secret):
    """Members grouped by the confidential goals they own or are granted: each member's class
    hides the same goals as goals.visibility's rule for that member alone."""
    inner = make_goal(org, lead, "Initech board pack", parent=secret.goal, confidential=True)
    other = make_goal(org, lead, "Reorganize sales", confidential=True)
    owner = _member(org, Role.PLANNER, "owner@acme.test")
    goal_services.goal_update(organization=org, actor=lead, goal=other, owner=owner)
    both = _member(org, Role.VIEWER, "both@acme.test")
    changer = _member(org, Role.PLANNER, "changer@acme.test")
    for member, goal, access in (
        (both, secret.goal, "view"),
        (both, inner, "view"),
        (changer, inner, "change"),  # the inner goal alone: still hidden under its parent
    ):
        goal_services.goal_share(
            organization=org, actor=lead, goal=goal, member=member, access=access
        )
    members = list(Membership.objects.filter(organization=org).order_by("pk"))

    classes = selectors.digest_visibility(organization=org, memberships=members)

    sql, params = classes.hidden_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pairs = cursor.fetchall()
    for member in members:
        expected = visibility.hidden_goals_sql(member)
        if expected is None:
            assert classes.class_of[member.pk] == selectors.SEES_EVERYTHING
            continue
        with connection.cursor() as cursor:
            cursor.execute(*expected)
            hidden = {row[0] for row in cursor.fetchall()}
        mine = {goal for c, goal in pairs if c == classes.class_of[member.pk]}
        assert mine == hidden, member
    # the plain planners and viewers share one class; the others each have their own
    assert len(set(classes.class_of.values())) == 1 + 5


def _build_queries(org) -> int:
    members = list(Membership.objects.filter(organization=org).select_related("user"))
    with CaptureQueriesContext(connection) as ctx:
        digests = digest.build_digests(organization=org, memberships=members, now=timezone.now())
    assert len(digests) == len(members)
    return len(ctx.captured_queries)


def test_more_visibility_classes_take_no_more_queries(org, lead, secret):
    few = _build_queries(org)
    for n in range(10):
        member = _member(org, Role.VIEWER if n % 2 else Role.PLANNER, f"reader{n}@acme.test")
        goal = make_goal(org, lead, f"Confidential {n}", confidential=True)
        goal_services.goal_share(
            organization=org, actor=lead, goal=goal, member=member, access="view"
        )

    many = _build_queries(org)

    # visibility classes, sections, linked ratios, the scorecard (one for every reader: the
    # snapshot's record, computed when there is none), what to stop (the figures, counted) and
    # the active goals' health
    assert few == many == 8
