from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import GoalStatus
from tests.builders import make_goal, make_task
from tests.factories import MembershipFactory
from tests.traceability.conftest import build_gaps
from traceability import services
from traceability.clock import week_of
from traceability.digest import is_due
from traceability.models import DigestSent, Flag, Snapshot
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Membership, Role
from work.models import Origin


def send(org, now=None):
    now = now or timezone.now()
    return services.digest_send_weekly(organization=org, week=week_of(org, now), now=now)


def digest_to(address):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def html_of(message) -> str:
    return message.alternatives[0][0]


def test_admins_leads_and_viewers_get_the_organization_wide_digest(
    org, admin, lead, viewer, planner, gaps
):
    run = send(org)

    assert run.sent == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [admin.email, lead.email, viewer.email, planner.email]
    )
    for user in (admin, lead, viewer):
        message = digest_to(user.email)
        assert message.subject == "Acme weekly digest: 1 orphaned, 2 stranded, 3 suspect, 1 starved"
        for task in (gaps.orphaned, gaps.stranded, gaps.assigned, gaps.suspect):
            assert f"{task.key} {task.title}" in message.body
            assert f"http://testserver/o/acme/tasks/{task.number}/" in message.body
            assert f'href="http://testserver/o/acme/tasks/{task.number}/"' in html_of(message)
        assert f"{gaps.starved.key} {gaps.starved.title}" in message.body
        assert f"http://testserver/o/acme/goals/{gaps.starved.number}/" in message.body
        for quiet in (gaps.linked, gaps.done, gaps.kept):
            assert quiet.title not in message.body


def test_planners_get_their_own_unlinked_work_only(org, lead, planner, gaps):
    someone_elses = make_task(org, lead, None, "Lead's own capture", origin=Origin.QUICK_ADD)
    idle_planner = MembershipFactory(organization=org, role=Role.PLANNER).user

    send(org)

    message = digest_to(planner.email)
    assert message.subject == "Acme weekly digest: 1 orphaned, 2 stranded, 3 suspect"
    assert "Covers your own work" in message.body
    assert gaps.assigned.title in message.body  # created by the lead, assigned to the planner
    assert someone_elses.title not in message.body
    assert gaps.starved.title not in message.body
    assert "Starved goals" not in message.body
    assert not [m for m in mail.outbox if m.to == [idle_planner.email]]  # nothing to report
    assert "2 orphaned" in digest_to(lead.email).subject


def test_removed_inactive_and_opted_out_members_get_nothing(
    org, admin, lead, viewer, planner, gaps
):
    lead.is_active = False
    lead.save(update_fields=["is_active"])
    Membership.objects.filter(organization=org, user=viewer).update(digest_opt_out=True)
    tenancy_services.membership_remove(
        organization=org, actor=admin, membership=Membership.objects.get(user=planner)
    )

    send(org)

    assert [m.to for m in mail.outbox] == [[admin.email]]


def test_a_member_of_two_organizations_gets_each_digest_with_only_its_data(
    org, other_org, lead, planner, outsider, gaps
):
    MembershipFactory(organization=org, user=outsider, role=Role.LEAD)
    globex_goal = make_goal(other_org, outsider, "Globex secret goal")
    make_task(other_org, outsider, globex_goal, "Globex secret task")
    goal_services.goal_update(
        organization=other_org, actor=outsider, goal=globex_goal, status=GoalStatus.ON_HOLD
    )

    send(org)
    send(other_org)

    to_outsider = [m for m in mail.outbox if m.to == [outsider.email]]
    assert sorted(m.subject for m in to_outsider) == [
        "Acme weekly digest: 1 orphaned, 2 stranded, 3 suspect, 1 starved",
        "Globex weekly digest: 0 orphaned, 1 stranded, 1 suspect, 0 starved",
    ]
    acme, globex = sorted(to_outsider, key=lambda m: m.subject)
    assert "Globex secret" not in acme.body and "/o/globex/" not in acme.body
    assert gaps.stranded.title not in globex.body and "/o/acme/" not in globex.body
    assert "Globex secret task" in globex.body


def test_nothing_to_report_sends_nothing(org, lead, planner):
    goal = make_goal(org, lead)
    make_task(org, planner, goal)

    run = send(org)

    assert run.sent == 0 and mail.outbox == []
    assert not DigestSent.objects.exists()


def test_a_second_run_in_the_same_week_sends_nothing(org, lead, gaps):
    first = send(org)
    second = send(org, now=timezone.now() + timedelta(hours=1))

    assert first.sent == 2 and second.sent == 0  # the lead and the planner
    assert len(mail.outbox) == 2
    assert DigestSent.objects.filter(organization=org).count() == 2


def test_a_digest_for_a_past_week_is_not_sent(org, lead, gaps):
    now = timezone.now()
    run = services.digest_send_weekly(
        organization=org, week=week_of(org, now) - timedelta(days=7), now=now
    )
    assert run.sent == 0 and mail.outbox == []


class BouncingBackend(EmailBackend):
    """Django's in-memory backend, refusing one address."""

    def send_messages(self, messages):
        if any("planner@acme.test" in m.to for m in messages):
            raise ConnectionRefusedError("mailbox unavailable")
        return super().send_messages(messages)


def test_a_failed_send_is_retried_by_the_next_run(org, lead, planner, gaps):
    with override_settings(EMAIL_BACKEND="tests.traceability.test_digest.BouncingBackend"):
        first = send(org)
    second = send(org)

    assert (first.sent, first.failed) == (1, 1)
    assert (second.sent, second.failed) == (1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == [lead.email, planner.email]


def test_new_this_week_totals_and_the_linked_ratio_change(org, lead, gaps):
    services.flags_reconcile(organization=org)
    Flag.objects.filter(task=gaps.orphaned).update(raised_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()
    Snapshot.objects.create(
        organization=org,
        date=today - timedelta(days=8),
        linked_effort=1,
        live_effort=2,
        linked_ratio=0.5,
        taken_at=timezone.now() - timedelta(days=8),
    )

    send(org)

    body = digest_to(lead.email).body
    assert "Orphaned tasks: 1\n" in body  # raised ten days ago: not new
    assert f"{gaps.orphaned.key} {gaps.orphaned.title} (no goal)" in body
    assert "Stranded tasks: 2 (2 new this week)" in body
    assert f"{gaps.stranded.key} {gaps.stranded.title} [new]" in body
    # 2 of 6 live effort points on active goals: 33 %, from 50 % a week ago
    assert (
        "Linked ratio: 33% of live effort is on active goals, -17 points since last week." in body
    )


def test_the_digest_carries_a_one_click_unsubscribe(org, lead, gaps):
    send(org)

    message = digest_to(lead.email)
    link = message.extra_headers["List-Unsubscribe"]
    assert link.startswith("<http://testserver/o/acme/digest/unsubscribe/one-click/?token=")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the body links to the confirm page with the same token, and to the preferences page
    token = link.strip("<>").split("?", 1)[1]
    assert f"http://testserver/o/acme/digest/unsubscribe/?{token}" in message.body
    assert "Your digest preference: http://testserver/o/acme/digest/\n" in message.body


def _queries_for(org) -> int:
    with CaptureQueriesContext(connection) as ctx:
        send(org)
    return len(ctx.captured_queries)


def test_building_and_sending_takes_the_same_queries_for_3_or_30_recipients(
    org, other_org, admin, lead, planner
):
    build_gaps(org, lead, planner)
    build_gaps(other_org, admin, MembershipFactory(organization=other_org).user)
    for _ in range(29):
        MembershipFactory(organization=other_org, role=Role.VIEWER)

    few, many = _queries_for(org), _queries_for(other_org)

    assert len(mail.outbox) == 3 + 30  # acme: admin, lead, planner; globex: planner, 29 viewers
    # with the scorecard (its snapshot's record, or computed once), what to stop (two) and the
    # active goals' health (one)
    assert few == many <= 14


@pytest.mark.parametrize(
    ("utc", "zone", "weekday", "due"),
    [
        (datetime(2025, 3, 3, 8, 5, tzinfo=UTC), "UTC", 0, True),  # Monday 08:05
        (datetime(2025, 3, 3, 7, 55, tzinfo=UTC), "UTC", 0, False),  # too early
        (datetime(2025, 3, 4, 8, 5, tzinfo=UTC), "UTC", 0, False),  # Tuesday
        (datetime(2025, 3, 2, 20, 5, tzinfo=UTC), "Pacific/Auckland", 0, True),  # Mon 09:05 there
        (datetime(2025, 3, 3, 12, 5, tzinfo=UTC), "America/New_York", 0, False),  # 07:05 there
        (datetime(2025, 3, 7, 13, 5, tzinfo=UTC), "America/New_York", 4, True),  # Friday 08:05
    ],
)
def test_the_digest_is_due_on_the_digest_day_from_8_local_time(org, utc, zone, weekday, due):
    org.timezone, org.digest_weekday = zone, weekday
    assert is_due(org, utc) is due


def test_long_sections_list_twenty_and_count_the_rest(org, lead, planner):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    for n in range(25):
        make_task(org, planner, None, f"Captured {n}", origin=Origin.QUICK_ADD)

    send(org)

    body = digest_to(lead.email).body
    assert "Orphaned tasks: 25 (25 new this week)" in body
    assert body.count("[new] (no goal)") == 20
    assert "- and 5 more in Vindaris" in body
    assert "Captured 24" in body and "Captured 0 " not in body  # the most recent first
