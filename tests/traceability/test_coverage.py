"""The coverage dashboard: every figure against hand-computed expectations on known data."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import Direction, Goal, GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from traceability import selectors, services
from traceability.clock import local_date
from traceability.models import Snapshot
from vindaris.tenancy.models import Membership, Organization, User
from work import services as work_services
from work.models import Origin, Task

URL = "/o/acme/coverage/"


@dataclass
class Funding:
    """Four active goals, one on hold, orphaned work, in known proportions.

    Active goals (weights P1 = 8, P2 = 4, P3 = 2, P4 = 1; total 15):
      A  P1  live 4 + 2 = 6 pts, done 2 pts, outcomes at 50 % and 25 %, owned by the lead
      B  P2  live 2 pts, one outcome (decrease) at 50 %
      C  P4  live 5 + 3 = 8 pts
      D  P3  no work, active for 30 days: starved
    On hold: E  P2  live 3 pts (stranded, suspect) and 1 pt kept with a reason
    Orphaned: 5 pts.

    Live effort 6 + 2 + 8 + 3 + 1 + 5 = 25; on active goals 16: linked ratio 64 %.
    Shares of the 16 points on active goals against the implied share (weight / 15):
      A 37.5 % vs 53.3 %: in range (at least half, at most one and a half times)
      B 12.5 % vs 26.7 %: under-funded (less than half)
      C 50 %   vs 6.7 %:  over-funded
      D 0 %    vs 13.3 %: under-funded
    """

    a: Goal
    b: Goal
    c: Goal
    d: Goal
    e: Goal
    a_big: Task
    a_small: Task
    a_done: Task
    c_big: Task
    c_small: Task
    stranded: Task
    kept: Task
    orphaned: Task


def build_funding(org: Organization, lead: User, planner: User) -> Funding:
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    owner = Membership.objects.get(organization=org, user=lead)
    a = make_goal(org, lead, "Win the mid-market", priority=Priority.P1, owner=owner)
    b = make_goal(org, lead, "Cut churn", priority=Priority.P2)
    c = make_goal(org, lead, "Refresh the brand", priority=Priority.P4)
    d = make_goal(org, lead, "Hire a data team", priority=Priority.P3)
    e = make_goal(org, lead, "Launch in Spain", priority=Priority.P2)
    make_outcome(org, lead, a, "Deals", baseline="0", target="100", current=Decimal("50"))
    make_outcome(org, lead, a, "Pipeline", baseline="100", target="200", current=Decimal("125"))
    make_outcome(
        org,
        lead,
        b,
        "Churn",
        baseline="10",
        target="6",
        current=Decimal("8"),
        direction=Direction.DECREASE,
    )
    a_big = make_task(org, planner, a, "Call prospects", estimate=4)
    a_small = make_task(org, planner, a, "Write the pitch", estimate=2)
    a_done = make_task(org, planner, a, "Hire a sales rep", estimate=2)
    work_services.task_set_status(organization=org, actor=planner, task=a_done, status="done")
    make_task(org, planner, b, "Interview churned customers", estimate=2)
    c_big = make_task(org, planner, c, "New logo", estimate=5)
    c_small = make_task(org, planner, c, "New colours", estimate=3)
    stranded = make_task(org, planner, e, "Find a Madrid office", estimate=3)
    kept = make_task(org, planner, e, "Register the company", estimate=1)
    orphaned = make_task(
        org, planner, None, "Fix the invoice export", estimate=5, origin=Origin.QUICK_ADD
    )
    goal_services.goal_update(organization=org, actor=lead, goal=e, status=GoalStatus.ON_HOLD)
    work_services.task_keep(organization=org, actor=lead, task=kept, reason="Needed anyway")
    Goal.objects.filter(pk=d.pk).update(activated_at=timezone.now() - timedelta(days=30))
    return Funding(
        a=a,
        b=b,
        c=c,
        d=d,
        e=e,
        a_big=a_big,
        a_small=a_small,
        a_done=a_done,
        c_big=c_big,
        c_small=c_small,
        stranded=stranded,
        kept=kept,
        orphaned=orphaned,
    )


@pytest.fixture
def funding(org, lead, planner) -> Funding:
    return build_funding(org, lead, planner)


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"#{element_id} not found"
    return match.group(1).strip()


def goal_rows(html: str) -> list[int]:
    """Goal numbers of the goals table's rows, in page order."""
    return [int(n) for n in re.findall(r'id="coverage-goal-(\d+)"', html)]


def goal_row(html: str, goal: Goal) -> str:
    match = re.search(rf'<tr id="coverage-goal-{goal.number}".*?</tr>', html, re.S)
    assert match, f"no row for {goal.key}"
    return match.group(0)


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


# The headline ---------------------------------------------------------------------------------


def test_the_headline_counts_the_gaps_and_the_linked_ratio(org, viewer, funding, client_for):
    html = client_for(viewer).get(URL).content.decode()

    assert text_of(html, "coverage-linked-ratio") == "64%"  # 16 of 25 points
    assert text_of(html, "coverage-linked-effort") == "16 of 25 pts of live effort on active goals"
    assert text_of(html, "coverage-orphaned-count") == "1"
    # the kept task is a decision, not a gap: counted apart, as the flags and snapshots count it
    assert text_of(html, "coverage-stranded-count") == "1"
    assert text_of(html, "coverage-kept-count") == "+ 1 kept"
    assert text_of(html, "coverage-suspect-count") == "1"  # leaving `active` is a material change
    assert text_of(html, "coverage-starved-count") == "1"


def test_each_headline_count_links_to_its_queue(org, viewer, funding, client_for):
    html = client_for(viewer).get(URL).content.decode()

    for kind in ("orphaned", "stranded", "suspect", "starved"):
        assert re.search(
            rf'<a href="/o/acme/coverage/{kind}/"><span id="coverage-{kind}-count">', html
        )


def test_the_headline_agrees_with_the_snapshot_and_the_flags(org, lead, planner, gaps):
    now = timezone.now()
    headline = selectors.coverage_headline(organization=org, viewer=None, now=now)
    snapshot = services.snapshot_take(organization=org, now=now)
    services.flags_reconcile(organization=org, now=now)
    open_flags = selectors.open_flags(organization=org)

    assert (headline.linked_effort, headline.live_effort) == (2, 6)
    assert (
        (headline.orphaned, headline.stranded, headline.suspect, headline.starved)
        == (
            snapshot.orphaned,
            snapshot.stranded,
            snapshot.suspect,
            snapshot.starved,
        )
        == (1, 2, 3, 1)
    )
    assert headline.kept == 1
    assert headline.linked_ratio == snapshot.linked_ratio
    by_kind = {
        kind: sum(1 for f in open_flags if f.kind == kind)
        for kind in ("orphaned", "stranded", "suspect", "starved")
    }
    assert by_kind == {"orphaned": 1, "stranded": 2, "suspect": 3, "starved": 1}


def test_without_live_work_the_linked_ratio_is_a_dash_not_zero(org, viewer, client_for):
    html = client_for(viewer).get(URL).content.decode()

    assert text_of(html, "coverage-linked-ratio") == "—"
    assert "No live effort yet" in html
    assert "No active goals yet." in html


# The goals table ------------------------------------------------------------------------------


def test_funding_shares_against_priority_weight(org, funding):
    # Four top-level goals: siblings, so each is judged among all of them.
    overview = selectors.coverage_overview(
        organization=org, viewer=None, now=timezone.now(), table=selectors.GoalTableQuery()
    )
    table = overview.table
    rows = {r.number: r.funding for r in table.rows}

    assert overview.matching == 4
    a, b, c, d = (rows[g.number] for g in (funding.a, funding.b, funding.c, funding.d))
    assert (a.share, a.implied, a.verdict) == (6 / 16, 8 / 15, "")
    assert (b.share, b.implied, b.verdict) == (2 / 16, 4 / 15, "under")
    assert (c.share, c.implied, c.verdict) == (8 / 16, 1 / 15, "over")
    assert (d.share, d.implied, d.verdict) == (0, 2 / 15, "under")
    assert funding.e.number not in rows  # not active


def test_the_funding_tolerance_is_half_either_way():
    # 16 points on active goals, weights 15 in all; a P2 goal (4/15) is due 4.27 points.
    def mark(effort: int) -> str:
        return selectors.funding(effort=effort, weight=4, group_effort=16, group_weight=15)

    assert mark(2) == "under"  # 46.9 % of its due share
    assert mark(3) == ""  # 70.3 %
    assert mark(6) == ""  # 140.6 %
    assert mark(7) == "over"  # 164 %
    # exactly half, and exactly one and a half times, of the due share are still in range
    assert selectors.funding(effort=9, weight=2, group_effort=27, group_weight=3) == ""
    assert selectors.funding(effort=3, weight=1, group_effort=4, group_weight=2) == ""
    assert selectors.funding(effort=4, weight=1, group_effort=5, group_weight=2) == "over"
    # nothing on active goals at all: nothing to compare
    assert selectors.funding(effort=0, weight=8, group_effort=0, group_weight=15) == ""


def test_the_goals_table_shows_each_figure(org, viewer, funding, client_for):
    html = client_for(viewer).get(URL).content.decode()

    a = cells(goal_row(html, funding.a))
    # priority, live tasks, live effort, share, implied, funding, done, progress, activity, gaps
    assert a[:8] == ["P1", "2", "6 pts", "38%", "53%", "In range", "25%", "38%"]
    assert a[8] == f"{timezone.localtime():%-d %b}"
    assert a[9] == "None"
    b = cells(goal_row(html, funding.b))
    assert b[:8] == ["P2", "1", "2 pts", "12%", "27%", "Under-funded", "0%", "50%"]
    c = cells(goal_row(html, funding.c))
    assert c[:8] == ["P4", "2", "8 pts", "50%", "7%", "Over-funded", "0%", "— no outcomes"]
    d = cells(goal_row(html, funding.d))
    assert d[:8] == ["P3", "0", "0 pts", "0%", "13%", "Under-funded", "—", "— no outcomes"]
    assert d[9] == "Starved"
    assert 'class="funding-over"' in goal_row(html, funding.c)


def test_each_row_links_to_its_goal_page(org, viewer, funding, client_for):
    html = client_for(viewer).get(URL).content.decode()

    assert f'href="/o/acme/goals/{funding.a.number}/"' in goal_row(html, funding.a)


def test_open_gaps_count_suspect_work_of_an_active_goal(org, lead, viewer, funding, client_for):
    goal_services.goal_update(organization=org, actor=lead, goal=funding.a, priority=Priority.P2)

    html = client_for(viewer).get(URL).content.decode()

    assert cells(goal_row(html, funding.a))[9] == "2 suspect"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("priority", "abdc"),
        ("-priority", "cdba"),
        ("goal", "abdc"),  # the tree order: siblings by priority, then number
        ("-live_tasks", "acbd"),
        ("-live_effort", "cabd"),
        ("live_effort", "dbac"),
        ("-share", "cabd"),
        ("-implied", "abdc"),
        ("-funding", "cabd"),
        ("-done", "abcd"),  # A 25 %, B and C 0 %, D has no effort at all (last)
        ("-progress", "bacd"),  # B 50 %, A 38 %, then goals without outcomes
        ("-gaps", "dabc"),
    ],
)
def test_the_goals_table_sorts_by_every_column(org, viewer, funding, client_for, sort, expected):
    html = client_for(viewer).get(URL, {"sort": sort}).content.decode()

    letters = {getattr(funding, x).number: x for x in "abcd"}
    assert "".join(letters[n] for n in goal_rows(html)) == expected


def test_the_goals_table_sorts_by_last_activity(org, lead, viewer, funding, client_for):
    make_task(org, lead, funding.b, "A fresh task")

    html = client_for(viewer).get(URL, {"sort": "-activity"}).content.decode()

    assert goal_rows(html)[0] == funding.b.number


def test_a_column_header_sorts_and_flips_the_order(org, viewer, funding, client_for):
    html = client_for(viewer).get(URL, {"sort": "-share"}).content.decode()

    assert 'aria-sort="descending"' in html
    assert "sort=share" in html  # the same header sorts the other way next
    assert "sort=-live_effort" in html  # other number columns start largest first


def test_an_unknown_sort_falls_back_to_priority(org, viewer, funding, client_for):
    response = client_for(viewer).get(URL, {"sort": "title; DROP TABLE"})

    assert response.status_code == 200
    assert goal_rows(response.content.decode())[0] == funding.a.number


def test_the_goals_table_filters_by_owner_and_keeps_organization_wide_shares(
    org, lead, viewer, funding, client_for, membership_of
):
    owner = membership_of(lead, org)

    html = client_for(viewer).get(URL, {"owner": owner.pk}).content.decode()

    assert goal_rows(html) == [funding.a.number]
    assert cells(goal_row(html, funding.a))[3:5] == ["38%", "53%"]  # still of all active goals
    assert "1 active goal matching the filters" in html


def test_the_goals_table_filters_by_period(org, lead, viewer, funding, client_for):
    Goal.objects.filter(pk=funding.b.pk).update(
        start_date=date(2026, 1, 1), end_date=date(2026, 3, 31)
    )
    Goal.objects.filter(pk=funding.c.pk).update(
        start_date=date(2026, 4, 1), end_date=date(2026, 6, 30)
    )

    html = client_for(viewer).get(URL, {"period": "2026-Q1"}).content.decode()

    assert goal_rows(html) == [funding.b.number]


def test_another_organizations_owner_is_not_a_valid_filter(
    org, other_org, outsider, viewer, funding, client_for, membership_of
):
    foreign = membership_of(outsider, other_org)

    response = client_for(viewer).get(URL, {"owner": foreign.pk})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert len(goal_rows(response.content.decode())) == 4  # the invalid filter is not applied


def test_the_goals_table_is_paginated(org, lead, viewer, client_for):
    for i in range(selectors.GOAL_TABLE_SIZE + 3):
        make_goal(org, lead, f"Goal {i}", priority=Priority.P4)

    client = client_for(viewer)
    first = client.get(URL, {"sort": "goal"}).content.decode()
    second = client.get(URL, {"sort": "goal", "page": "2"}).content.decode()
    beyond = client.get(URL, {"sort": "goal", "page": "99"}).content.decode()

    assert len(goal_rows(first)) == selectors.GOAL_TABLE_SIZE
    assert goal_rows(second) == list(range(51, 54))
    assert goal_rows(beyond) == goal_rows(second)  # past the end: the last page
    assert "page=2" in first


def test_an_htmx_filter_answers_with_the_table_only(org, viewer, funding, client_for, htmx_headers):
    response = client_for(viewer).get(
        URL, {"sort": "-share"}, **htmx_headers, HTTP_HX_TARGET="coverage-goals"
    )
    html = response.content.decode()

    assert html.lstrip().startswith('<div id="coverage-goals"')
    assert goal_rows(html)[0] == funding.c.number
    assert "coverage-headline" not in html


def test_rows_deep_link_into_the_trace_once_it_exists(org, viewer, funding, client_for):
    html = client_for(viewer).get(URL).content.decode()

    assert f'/o/acme/trace/?focus={funding.a.key}"' in goal_row(html, funding.a)


# What should we stop? -------------------------------------------------------------------------


def stop_rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="stop-task-(\d+)"', html)]


def test_what_to_stop_lists_stranded_and_over_funded_low_priority_work(
    org, viewer, funding, client_for
):
    html = client_for(viewer).get(URL).content.decode()

    # largest effort first; the kept task is a decision already taken; A is P1, not low priority
    assert stop_rows(html) == [
        funding.c_big.number,
        funding.stranded.number,
        funding.c_small.number,
    ]
    row = re.search(rf'id="stop-task-{funding.c_big.number}".*?</tr>', html, re.S).group(0)
    assert "50% of its siblings' live effort; its priority implies 7%" in row
    row = re.search(rf'id="stop-task-{funding.stranded.number}".*?</tr>', html, re.S).group(0)
    assert f"{funding.e.key} is on hold" in row


def test_what_to_stop_is_limited_with_a_link_to_the_full_list(org, lead, viewer, client_for):
    hold = make_goal(org, lead, "Old plan")
    for i in range(12):
        make_task(org, lead, hold, f"Old work {i}", estimate=i + 1)
    goal_services.goal_update(organization=org, actor=lead, goal=hold, status=GoalStatus.ON_HOLD)
    client = client_for(viewer)

    html = client.get(URL).content.decode()
    full = client.get("/o/acme/coverage/stop/").content.decode()

    assert len(stop_rows(html)) == 10
    assert 'href="/o/acme/coverage/stop/">See the full list' in html
    assert len(stop_rows(full)) == 12
    estimates = [Task.objects.get(organization=org, number=n).estimate for n in stop_rows(full)]
    assert estimates == sorted(estimates, reverse=True)


def test_over_funded_is_judged_on_active_goals_only(org, lead, planner):
    # A single active P4 goal takes every point on active goals, and all the weight: in range.
    low = make_goal(org, lead, "Tidy up", priority=Priority.P4)
    make_task(org, planner, low, estimate=10)
    overview = selectors.coverage_overview(organization=org, viewer=None, now=timezone.now())

    items, _ = selectors.stop_candidates(organization=org, overview=overview)

    assert overview.matching == 1 and overview.headline.linked_effort == 10
    assert items == [] and overview.stop_goals == {}


# The trend ------------------------------------------------------------------------------------


def test_without_snapshots_the_trend_shows_todays_figures(org, viewer, funding, client_for):
    html = client_for(viewer).get(URL).content.decode()

    assert "No daily snapshots yet" in html
    assert html.count("<svg") == 2
    assert "Linked ratio: <strong>64%</strong> today" in html
    assert "Orphaned: <strong>1</strong> today" in html
    assert re.search(r'<circle class="chart-dot series-linked_percent"', html)


def test_the_trend_draws_the_snapshots_of_the_last_twelve_weeks(org, viewer, funding, client_for):
    today = local_date(org, timezone.now())
    for days_ago, ratio, orphaned in ((90, 0.1, 9), (70, 0.5, 4), (14, 0.6, 2)):
        Snapshot.objects.create(
            organization=org,
            date=today - timedelta(days=days_ago),
            linked_ratio=ratio,
            linked_effort=0,
            live_effort=0,
            orphaned=orphaned,
            # No confidential work: the figures a viewer is shown are the same.
            public_linked_ratio=ratio,
            public_linked_effort=0,
            public_live_effort=0,
            public_stranded=0,
            public_suspect=0,
            public_starved=0,
            taken_at=timezone.now(),
        )

    html = client_for(viewer).get(URL).content.decode()

    assert "No daily snapshots yet" not in html
    line = re.search(
        r'<polyline class="chart-line series-linked_percent" fill="none" points="([^"]+)"', html
    )
    points = [tuple(map(float, p.split(","))) for p in line.group(1).split()]
    assert len(points) == 3  # 70 and 14 days ago, and today; 90 days ago is out of range
    xs = [x for x, _ in points]
    assert xs == sorted(xs)
    # y grows downwards: 50 % sits below 64 % today
    assert points[0][1] > points[-1][1]
    assert "Linked ratio 50% on" in html and "64% today" in html
    # the week-by-week table: today, then the week with the snapshot of two weeks ago
    table = html[html.index("The figures, week by week") :]
    assert "60%" in table and "(now)" in table


def test_todays_snapshot_is_replaced_by_the_live_figures(org, viewer, funding, client_for):
    services.snapshot_take(organization=org)
    Snapshot.objects.filter(organization=org).update(linked_ratio=0.01)

    html = client_for(viewer).get(URL).content.decode()

    assert "Linked ratio: <strong>64%</strong> today" in html


# Speed and access -----------------------------------------------------------------------------


def add_more(org: Organization, lead: User, planner: User, times: int) -> None:
    for i in range(times):
        goal = make_goal(org, lead, f"More {i}", priority=Priority.P1 + i % 4)
        make_outcome(org, lead, goal, f"Outcome {i}")
        for j in range(3):
            make_task(org, planner, goal, f"Task {i}.{j}", estimate=j + 1)
        make_task(org, planner, None, f"Loose {i}", origin=Origin.QUICK_ADD)
        if i % 3 == 0:
            goal_services.goal_update(
                organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
            )


def test_the_dashboard_runs_a_constant_number_of_queries(org, lead, planner, viewer, client_for):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    client = client_for(lead)
    add_more(org, lead, planner, 3)
    services.snapshot_take(organization=org, now=timezone.now() - timedelta(days=3))
    client.get(URL)  # warm up (session, content types)

    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    add_more(org, lead, planner, 30)
    services.snapshot_take(organization=org, now=timezone.now() - timedelta(days=2))
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL).status_code == 200

    assert len(large.captured_queries) == len(small.captured_queries)
    # the request's own (session, user, membership, session save) and eight for the page
    assert len(small.captured_queries) <= 15


def test_planners_and_viewers_see_the_dashboard_read_only(
    org, planner, viewer, funding, client_for
):
    for user in (planner, viewer):
        html = client_for(user).get(URL).content.decode()
        assert "coverage-headline" in html
        assert "/coverage/stop/act/" not in html
        assert "leads and admins act on the gaps" in html


def test_leads_and_admins_can_act_from_the_dashboard(org, lead, admin, funding, client_for):
    for user in (lead, admin):
        html = client_for(user).get(URL).content.decode()
        assert 'hx-post="/o/acme/coverage/stop/act/"' in html


def test_the_dashboard_is_for_members_only(org, outsider, client_for):
    assert client_for(outsider).get(URL).status_code == 404
