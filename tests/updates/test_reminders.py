"""The update reminder: on the first day of each update cycle, each owner of stale active goals
gets one email listing exactly those goals, once per cycle, unless they opted out."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import Goal
from tests.builders import make_goal, make_update
from tests.factories import MembershipFactory, UserFactory
from updates import services
from updates.models import ReminderSent
from updates.tasks import is_due
from vindaris.tenancy.models import Membership, Role

# Monday 16 March 2026, 09:30 in Berlin (CET, UTC+1): the first day of the weekly cycle.
NOW = datetime(2026, 3, 16, 8, 30, tzinfo=UTC)
PERIOD = date(2026, 3, 16)
# Stale: no update since Monday 9 March 00:00 CET (Sunday 8 March, 23:00 UTC).
BOUNDARY = datetime(2026, 3, 8, 23, 0, tzinfo=UTC)


@pytest.fixture
def berlin(org):
    org.timezone, org.update_weekday, org.update_cadence_weeks = "Europe/Berlin", 0, 1
    org.save()
    return org


def _member(org, role, email):
    return MembershipFactory(organization=org, role=role, user=UserFactory(email=email))


@pytest.fixture
def owners(berlin, lead, planner, long_ago, membership_of):
    """Goals active since January. The lead owns two stale goals, a fresh one and one on hold;
    the planner one stale goal; a planner who opted out one stale goal."""
    at = datetime(2026, 1, 5, tzinfo=UTC)
    lead_m, planner_m = membership_of(lead, berlin), membership_of(planner, berlin)
    quiet_m = _member(berlin, Role.PLANNER, "quiet@acme.test")
    services.reminder_preference_set(organization=berlin, member=quiet_m, opt_out=True)
    g = {
        "never": make_goal(berlin, lead, "Cut churn", owner=lead_m, priority=1),
        "old": make_goal(berlin, lead, "Hire a CFO", owner=lead_m, priority=2),
        "fresh": make_goal(berlin, lead, "Win the Nordics", owner=lead_m, priority=1),
        "paused": make_goal(berlin, lead, "Open Tokyo", owner=lead_m, status="on_hold"),
        "planner": make_goal(berlin, lead, "Ship the app", owner=planner_m),
        "opted_out": make_goal(berlin, lead, "Audit", owner=quiet_m),
    }
    long_ago(*g.values(), at=at)
    make_update(berlin, lead, g["old"], "off_track", now=BOUNDARY - timedelta(microseconds=1))
    make_update(berlin, lead, g["fresh"], "on_track", now=BOUNDARY)
    return g


def test_each_owner_gets_one_email_listing_exactly_their_stale_active_goals(
    berlin, lead, planner, owners
):
    run = services.reminders_send(organization=berlin, period=PERIOD, now=NOW)

    assert (run.sent, run.failed) == (2, 0)
    by_to = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_to) == [lead.email, planner.email]
    lead_mail = by_to[lead.email]
    assert lead_mail.subject == "Acme: 2 goals waiting for an update"
    listed = [line for line in lead_mail.body.splitlines() if line.startswith("- G-")]
    assert listed == [
        f"- {owners['never'].key} Cut churn (no update yet)",
        f"- {owners['old'].key} Hire a CFO (last update 8 Mar 2026: off track)",
    ]
    assert (
        f"Post an update: http://testserver/o/acme/goals/{owners['never'].number}/updates/new/"
        in lead_mail.body
    )
    html = lead_mail.alternatives[0][0]
    assert "Win the Nordics" not in html and "Open Tokyo" not in html
    planner_body = by_to[planner.email].body.splitlines()
    planner_listed = [line for line in planner_body if line.startswith("- G-")]
    assert planner_listed == [f"- {owners['planner'].key} Ship the app (no update yet)"]


def test_running_twice_sends_one_email_per_owner_per_cycle(berlin, owners):
    services.reminders_send(organization=berlin, period=PERIOD, now=NOW)
    again = services.reminders_send(
        organization=berlin, period=PERIOD, now=NOW + timedelta(hours=3)
    )

    assert again.sent == 0
    assert len(mail.outbox) == 2
    assert ReminderSent.objects.filter(organization=berlin, period=PERIOD).count() == 2
    # The next cycle reminds again (nobody posted meanwhile).
    next_week = services.reminders_send(
        organization=berlin, period=PERIOD + timedelta(days=7), now=NOW + timedelta(days=7)
    )
    assert next_week.sent == 2


def test_a_late_redelivery_of_a_past_cycle_sends_nothing(berlin, owners):
    run = services.reminders_send(organization=berlin, period=PERIOD - timedelta(days=7), now=NOW)
    assert run.sent == 0 and mail.outbox == []


def test_an_update_takes_the_goal_off_the_reminder(berlin, lead, owners):
    make_update(berlin, lead, owners["never"], "at_risk", now=NOW - timedelta(hours=1))
    services.reminders_send(organization=berlin, period=PERIOD, now=NOW)
    lead_mail = next(m for m in mail.outbox if m.to == [lead.email])
    assert lead_mail.subject == "Acme: 1 goal waiting for an update"
    assert owners["never"].title not in lead_mail.body


def test_opting_out_on_the_preferences_page_stops_the_reminder(berlin, planner, owners, client_for):
    url = reverse("update_reminder_preferences", args=[berlin.slug])
    client = client_for(planner)
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 302  # the box unticked
    services.reminders_send(organization=berlin, period=PERIOD, now=NOW)
    assert planner.email not in [m.to[0] for m in mail.outbox]
    assert client.post(url, {"reminders": "on"}).status_code == 302
    services.reminders_send(
        organization=berlin, period=PERIOD + timedelta(days=7), now=NOW + timedelta(days=7)
    )
    assert planner.email in [m.to[0] for m in mail.outbox]


def test_a_goal_its_owner_may_not_see_is_not_listed(berlin, lead, planner, owners, membership_of):
    # A goal the planner owns, under a confidential goal not shared with them.
    secret = make_goal(berlin, lead, "Acquire Initech", confidential=True)
    hidden = make_goal(
        berlin, lead, "Initech due diligence", parent=secret, owner=membership_of(planner, berlin)
    )
    Goal.objects.filter(organization=berlin, pk__in=[secret.pk, hidden.pk]).update(
        activated_at=datetime(2026, 1, 5, tzinfo=UTC), created_at=datetime(2026, 1, 5, tzinfo=UTC)
    )
    services.reminders_send(organization=berlin, period=PERIOD, now=NOW)
    planner_mail = next(m for m in mail.outbox if m.to == [planner.email])
    assert "Initech" not in planner_mail.body
    assert "Initech" not in planner_mail.alternatives[0][0]


def test_the_selection_takes_the_same_queries_for_2_or_20_owners(
    berlin, other_org, owners, long_ago
):
    other_org.timezone, other_org.update_weekday = "Europe/Berlin", 0
    other_org.save()
    globex_lead = _member(other_org, Role.LEAD, "lead@globex.test").user
    for n in range(20):
        member = _member(other_org, Role.PLANNER, f"owner{n}@globex.test")
        for title in ("Grow", "Hire"):
            goal = make_goal(other_org, globex_lead, title, owner=member)
            long_ago(goal, at=datetime(2026, 1, 5, tzinfo=UTC))

    def queries(org) -> int:
        with CaptureQueriesContext(connection) as ctx:
            services.reminders_send(organization=org, period=PERIOD, now=NOW)
        return len(ctx.captured_queries)

    few, many = queries(berlin), queries(other_org)
    assert len(mail.outbox) == 2 + 20
    assert few == many


@pytest.mark.parametrize(
    ("utc", "due"),
    [
        (datetime(2026, 3, 16, 7, 59, tzinfo=UTC), False),  # Monday 08:59 in Berlin
        (datetime(2026, 3, 16, 8, 0, tzinfo=UTC), True),  # Monday 09:00
        (datetime(2026, 3, 15, 22, 59, tzinfo=UTC), False),  # Sunday 23:59
        (datetime(2026, 3, 16, 22, 59, tzinfo=UTC), True),  # Monday 23:59
        (datetime(2026, 3, 16, 23, 0, tzinfo=UTC), False),  # Tuesday 00:00
    ],
)
def test_the_reminder_is_due_on_the_update_day_from_9_local_time(berlin, utc, due):
    assert is_due(berlin, utc) is due


def _one_click_link(message) -> str:
    return message.extra_headers["List-Unsubscribe"].strip("<>")


def test_the_reminder_carries_a_one_click_unsubscribe(berlin, planner, owners, client):
    services.reminders_send(organization=berlin, period=PERIOD, now=NOW)
    message = next(m for m in mail.outbox if m.to == [planner.email])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = _one_click_link(message)
    assert link.startswith("http://testserver/o/acme/updates/reminders/unsubscribe/one-click/?")
    token = link.split("?", 1)[1]
    assert f"Unsubscribe: http://testserver/o/acme/updates/reminders/unsubscribe/?{token}" in (
        message.body
    )
    # A mail client POSTs to it without cookies or a CSRF token.
    response = client.post(
        link.removeprefix("http://testserver"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    member = Membership.objects.get(organization=berlin, user=planner)
    assert member.update_reminder_opt_out is True
    services.reminders_send(
        organization=berlin, period=PERIOD + timedelta(days=7), now=NOW + timedelta(days=7)
    )
    assert [m.to for m in mail.outbox].count([planner.email]) == 1


def test_the_confirm_page_unsubscribes_and_a_bad_token_changes_nothing(
    berlin, planner, owners, client
):
    services.reminders_send(organization=berlin, period=PERIOD, now=NOW)
    message = next(m for m in mail.outbox if m.to == [planner.email])
    token = _one_click_link(message).split("?", 1)[1]
    url = f"/o/acme/updates/reminders/unsubscribe/?{token}"
    assert client.get(url).status_code == 200
    member = Membership.objects.get(organization=berlin, user=planner)
    assert member.update_reminder_opt_out is False
    for bad in (
        url[:-3],
        url.replace("/o/acme/", "/o/globex/"),
        "/o/acme/updates/reminders/unsubscribe/",
    ):
        assert client.post(bad).status_code == 404
    member.refresh_from_db()
    assert member.update_reminder_opt_out is False
    assert client.post(url).status_code == 200
    member.refresh_from_db()
    assert member.update_reminder_opt_out is True
