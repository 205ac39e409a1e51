"""Time as the organization lives it: its day and week for organization-wide facts, the viewer's
zone (their own, else the organization's) for what pages show.

The boundary used throughout: 2026-12-07 11:30 UTC, a Monday. It is already Tuesday 8 Dec,
00:30 in Auckland (UTC+13 in December), still Monday 7 Dec, 03:30 in Los Angeles (UTC-8) and
12:30 in Paris (UTC+1)."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals.forms import organization_today
from goals.models import CheckIn, GoalEvent
from tests.builders import make_goal, make_outcome, make_task
from traceability import services as traceability_services
from traceability.clock import local_date as clock_local_date
from traceability.clock import week_of as clock_week_of
from traceability.models import DigestSent, Flag, FlagKind
from vindaris.tenancy import services, zones
from vindaris.tenancy.access import org_view
from vindaris.tenancy.models import Membership, Organization
from work import gaps
from work.models import Origin

MONDAY_1130_UTC = datetime(2026, 12, 7, 11, 30, tzinfo=UTC)


def _set_zone(org: Organization, name: str) -> None:
    org.timezone = name
    org.save(update_fields=["timezone"])


def _set_member_zone(membership: Membership, name: str) -> None:
    Membership.objects.filter(organization=membership.organization, pk=membership.pk).update(
        timezone=name
    )


# The organization's day and week ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "monday"),
    [
        ("Pacific/Auckland", date(2026, 12, 8), date(2026, 12, 7)),  # Tuesday 00:30
        ("America/Los_Angeles", date(2026, 12, 7), date(2026, 12, 7)),  # Monday 03:30
        ("UTC", date(2026, 12, 7), date(2026, 12, 7)),
    ],
)
def test_the_organizations_day_and_week_follow_its_zone(org, zone, day, monday):
    _set_zone(org, zone)

    assert zones.local_date(org, MONDAY_1130_UTC) == day
    assert zones.week_of(org, MONDAY_1130_UTC) == monday
    # traceability's names are the same helpers
    assert clock_local_date(org, MONDAY_1130_UTC) == day
    assert clock_week_of(org, MONDAY_1130_UTC) == monday


def test_the_week_turns_on_the_organizations_monday(org, other_org):
    sunday_1230_utc = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)
    _set_zone(org, "Pacific/Auckland")  # Monday 7 Dec, 01:30: a new week
    _set_zone(other_org, "America/Los_Angeles")  # Sunday 6 Dec, 04:30: last week still

    assert zones.week_of(org, sunday_1230_utc) == date(2026, 12, 7)
    assert zones.week_of(other_org, sunday_1230_utc) == date(2026, 11, 30)


def test_the_snapshot_is_dated_on_each_organizations_day(org, other_org):
    _set_zone(org, "Pacific/Auckland")
    _set_zone(other_org, "America/Los_Angeles")

    auckland = traceability_services.snapshot_take(organization=org, now=MONDAY_1130_UTC)
    los_angeles = traceability_services.snapshot_take(organization=other_org, now=MONDAY_1130_UTC)

    assert auckland.date == date(2026, 12, 8)
    assert los_angeles.date == date(2026, 12, 7)


def test_the_digest_goes_out_for_the_organizations_week(org, lead, planner):
    _set_zone(org, "Pacific/Auckland")
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    make_task(org, planner, None, "Fix the invoice export", origin=Origin.QUICK_ADD)
    sunday_1230_utc = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)  # Monday 01:30 in Auckland

    # Last week's digest asked for now (a late redelivery) sends nothing.
    late = traceability_services.digest_send_weekly(
        organization=org, week=date(2026, 11, 30), now=sunday_1230_utc
    )
    run = traceability_services.digest_send_weekly(
        organization=org, week=date(2026, 12, 7), now=sunday_1230_utc
    )

    assert (late.sent, run.sent) == (0, 2)  # the lead and the planner (their orphaned task)
    assert set(DigestSent.objects.filter(organization=org).values_list("week", flat=True)) == {
        date(2026, 12, 7)
    }


def test_the_goal_period_is_current_on_the_organizations_day(org, other_org):
    # 25 hours apart: their dates differ at every moment.
    _set_zone(org, "Pacific/Kiritimati")  # UTC+14
    _set_zone(other_org, "Pacific/Pago_Pago")  # UTC-11

    before = timezone.now()
    ahead, behind = organization_today(org), organization_today(other_org)
    after = timezone.now()

    assert ahead in {(before + timedelta(hours=14)).date(), (after + timedelta(hours=14)).date()}
    assert behind in {(before - timedelta(hours=11)).date(), (after - timedelta(hours=11)).date()}
    assert ahead != behind


# The starved goal's grace days are the organization's days ------------------------------------


def test_grace_days_are_counted_on_the_organizations_clock_across_a_daylight_saving_change(
    org, lead
):
    # Los Angeles leaves daylight-saving time on Sunday 1 Nov 2026 at 02:00: the week from
    # Saturday 31 Oct 12:00 (PDT, 19:00 UTC) to Saturday 7 Nov 12:00 (PST, 20:00 UTC) lasts
    # 169 hours.
    _set_zone(org, "America/Los_Angeles")
    goal = make_goal(org, lead, "Hire a data team")
    activated = datetime(2026, 10, 31, 19, 0, tzinfo=UTC)
    type(goal).objects.filter(organization=org, pk=goal.pk).update(
        activated_at=activated, created_at=activated
    )
    before_noon = datetime(2026, 11, 7, 19, 30, tzinfo=UTC)  # 11:30 there, 168.5 h later
    at_noon = datetime(2026, 11, 7, 20, 0, tzinfo=UTC)  # 12:00 there

    assert gaps.starved_before(organization=org, now=at_noon) == activated
    traceability_services.flags_reconcile(organization=org, now=before_noon)
    assert not Flag.objects.filter(organization=org, kind=FlagKind.STARVED).exists()
    traceability_services.flags_reconcile(organization=org, now=at_noon)
    assert list(
        Flag.objects.filter(organization=org, kind=FlagKind.STARVED).values_list(
            "goal", "raised_at"
        )
    ) == [(goal.pk, at_noon)]


def test_grace_days_without_a_clock_change_are_whole_days(org):
    _set_zone(org, "Pacific/Auckland")
    org.starved_grace_days = 7

    assert gaps.starved_before(organization=org, now=MONDAY_1130_UTC) == datetime(
        2026, 11, 30, 11, 30, tzinfo=UTC
    )


# Pages show times in the viewer's zone ---------------------------------------------------------


def _history_at(org: Organization, actor, moment: datetime):
    goal = make_goal(org, actor, "Grow revenue")
    GoalEvent.objects.filter(organization=org, goal=goal).update(created_at=moment)
    return goal


@pytest.mark.parametrize(
    ("zone", "shown", "stamp"),
    [
        ("Pacific/Auckland", "8 Dec 2026, 00:30", "2026-12-08T00:30:00+1300"),
        ("America/Los_Angeles", "7 Dec 2026, 03:30", "2026-12-07T03:30:00-0800"),
    ],
)
def test_a_history_time_is_shown_in_the_organizations_zone(
    org, lead, viewer, client_for, zone, shown, stamp
):
    _set_zone(org, zone)
    goal = _history_at(org, lead, MONDAY_1130_UTC)

    body = client_for(viewer).get(f"/o/acme/goals/{goal.number}/").content.decode()

    assert f'datetime="{stamp}">{shown}</time>' in body
    assert f"Times in {zone}" in body


def test_a_member_with_their_own_zone_sees_their_zone(org, lead, viewer, client_for, membership_of):
    _set_zone(org, "Pacific/Auckland")
    _set_member_zone(membership_of(viewer, org), "Europe/Paris")
    goal = _history_at(org, lead, MONDAY_1130_UTC)

    mine = client_for(viewer).get(f"/o/acme/goals/{goal.number}/").content.decode()
    theirs = client_for(lead).get(f"/o/acme/goals/{goal.number}/").content.decode()

    assert "7 Dec 2026, 12:30" in mine and "Times in Europe/Paris" in mine
    assert "8 Dec 2026, 00:30" in theirs and "Times in Pacific/Auckland" in theirs


def test_the_zone_is_the_requests_only(org, lead, viewer, client_for):
    _set_zone(org, "Pacific/Auckland")
    goal = _history_at(org, lead, MONDAY_1130_UTC)

    client_for(viewer).get(f"/o/acme/goals/{goal.number}/")

    assert timezone.get_current_timezone_name() == "UTC"


def test_each_organization_shows_its_own_zone_to_the_same_person(
    org, other_org, lead, outsider, client_for
):
    _set_zone(org, "Pacific/Auckland")
    _set_zone(other_org, "America/Los_Angeles")
    Membership.objects.create(organization=org, user=outsider, role="viewer")
    goal = _history_at(org, lead, MONDAY_1130_UTC)
    theirs = _history_at(other_org, outsider, MONDAY_1130_UTC)
    client = client_for(outsider)

    here = client.get(f"/o/acme/goals/{goal.number}/").content.decode()
    there = client.get(f"/o/globex/goals/{theirs.number}/").content.decode()

    assert "8 Dec 2026, 00:30" in here
    assert "7 Dec 2026, 03:30" in there


def test_a_streamed_body_is_written_in_the_viewers_zone(org, viewer):
    _set_zone(org, "Pacific/Auckland")

    @org_view()
    def zones_streamed(request):
        return StreamingHttpResponse(timezone.get_current_timezone_name() for _ in range(2))

    request = RequestFactory().get("/o/acme/stream/")
    request.user = viewer
    response = zones_streamed(request, org_slug="acme")

    assert timezone.get_current_timezone_name() == "UTC"  # between the chunks too
    assert list(response.streaming_content) == [b"Pacific/Auckland", b"Pacific/Auckland"]
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_check_in_without_a_date_is_dated_on_the_viewers_day(
    org, lead, planner, client_for, membership_of
):
    _set_zone(org, "Pacific/Pago_Pago")  # UTC-11
    _set_member_zone(membership_of(planner, org), "Pacific/Kiritimati")  # UTC+14
    goal = make_goal(org, lead)
    outcome = make_outcome(org, lead, goal)

    before = timezone.now()
    response = client_for(planner).post(
        f"/o/acme/outcomes/{outcome.number}/check-in/", {"value": "120"}
    )
    after = timezone.now()

    assert response.status_code == 302
    check_in = CheckIn.objects.get(organization=org, outcome=outcome)
    assert check_in.checked_on in {
        (before + timedelta(hours=14)).date(),
        (after + timedelta(hours=14)).date(),
    }


def test_the_viewers_zone_costs_no_query(org, viewer, client_for, membership_of):
    _set_zone(org, "Pacific/Auckland")
    client = client_for(viewer)
    client.get("/o/acme/digest/")  # the session and its caches warm

    with CaptureQueriesContext(connection) as organization_zone:
        client.get("/o/acme/digest/")
    _set_member_zone(membership_of(viewer, org), "Europe/Paris")
    with CaptureQueriesContext(connection) as own_zone:
        body = client.get("/o/acme/digest/").content.decode()

    assert "Times in Europe/Paris" in body
    assert len(own_zone) == len(organization_zone)


# A member chooses their own zone ---------------------------------------------------------------


def test_a_member_sets_their_own_zone_and_goes_back_to_the_organizations(
    org, viewer, client_for, membership_of
):
    _set_zone(org, "Pacific/Auckland")
    client = client_for(viewer)

    page = client.get("/o/acme/digest/").content.decode()
    assert "<h1>Your preferences</h1>" in page
    assert '<option value="" selected>The organization&#x27;s zone (Pacific/Auckland)</option>' in (
        page
    )

    response = client.post("/o/acme/digest/", {"receive": "on", "timezone": "Europe/Paris"})
    assert response.status_code == 302 and response["Location"] == "/o/acme/digest/"
    membership = membership_of(viewer, org)
    assert (membership.timezone, membership.digest_opt_out) == ("Europe/Paris", False)
    page = client.get("/o/acme/digest/").content.decode()
    assert "Times are now shown in Europe/Paris." in page
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in page

    client.post("/o/acme/digest/", {"receive": "on", "timezone": ""})
    assert membership_of(viewer, org).timezone == ""
    assert "Times in Pacific/Auckland" in client.get("/o/acme/digest/").content.decode()


@pytest.mark.parametrize("bad", ["Mars/Olympus", "localtime", "europe/paris", "x" * 300])
def test_an_unknown_zone_is_refused_and_changes_nothing(
    org, viewer, client_for, membership_of, bad
):
    response = client_for(viewer).post("/o/acme/digest/", {"timezone": bad})  # also opts out

    assert response.status_code == 200
    assert "is not a time zone. Choose one from the list, such as Europe/Paris." in (
        response.content.decode()
    )
    membership = membership_of(viewer, org)
    assert (membership.timezone, membership.digest_opt_out) == ("", False)


def test_a_member_sets_only_their_own_zone(org, lead, viewer, membership_of):
    with pytest.raises(PermissionDenied):
        services.membership_time_zone_set(
            organization=org,
            actor=lead,
            membership=membership_of(viewer, org),
            timezone_name="Europe/Paris",
        )
    with pytest.raises(ValidationError):
        services.membership_time_zone_set(
            organization=org,
            actor=viewer,
            membership=membership_of(viewer, org),
            timezone_name="Mars/Olympus",
        )
    assert membership_of(viewer, org).timezone == ""


def test_a_zone_the_system_no_longer_knows_shows_utc_not_an_error(
    org, lead, viewer, client_for, membership_of
):
    Organization.objects.filter(pk=org.pk).update(timezone="Atlantis/Capital")
    goal = _history_at(org, lead, MONDAY_1130_UTC)

    body = client_for(viewer).get(f"/o/acme/goals/{goal.number}/").content.decode()

    assert "7 Dec 2026, 11:30" in body and "Times in UTC" in body


# The organization's zone in its settings -------------------------------------------------------


def _settings(zone: str) -> dict[str, object]:
    return {"name": "Acme", "timezone": zone, "digest_weekday": 0, "starved_grace_days": 7}


def test_the_settings_offer_every_zone_grouped_by_area(org, admin, client_for):
    _set_zone(org, "America/Los_Angeles")

    page = client_for(admin).get("/o/acme/settings/").content.decode()

    assert '<optgroup label="Pacific">' in page and '<optgroup label="Other">' in page
    assert '<option value="America/Los_Angeles" selected>America/Los Angeles</option>' in page
    others = 7 + 3 + 7  # the digest day's, the goal update cadence's and update day's options
    assert page.count("<option ") == len(zoneinfo.available_timezones() - {"localtime"}) + others


def test_the_organizations_zone_is_saved(org, admin, client_for):
    response = client_for(admin).post("/o/acme/settings/", _settings("Pacific/Auckland"))

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.timezone == "Pacific/Auckland"


def test_an_unknown_organization_zone_is_refused_and_changes_nothing(org, admin, client_for):
    response = client_for(admin).post("/o/acme/settings/", _settings("Mars/Olympus"))

    assert response.status_code == 200
    assert "Mars/Olympus is not a time zone." in response.content.decode()
    org.refresh_from_db()
    assert org.timezone == "UTC"
    with pytest.raises(ValidationError):
        services.organization_update(
            organization=org,
            actor=admin,
            name="Acme",
            timezone_name="Mars/Olympus",
            digest_weekday=0,
            allow_goalless_work=False,
            starved_grace_days=7,
        )
