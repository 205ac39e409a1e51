"""The home page, each member's start of the day: their live work, what they must resolve, the
goals they own and the check-ins due; for leads and admins the coverage headline, this week's
new gaps and the queues. Everything built through the services; every expected list written
by hand from the data built here."""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Outcome, Priority
from tests.builders import make_goal, make_outcome, make_task
from traceability import services as trace_services
from traceability.clock import organization_tz
from vindaris.tenancy.models import Membership, Organization, User
from work import services as work_services
from work.models import Origin, Task

HOME = "/o/acme/"


def keys(section) -> list[str]:
    """The keys of the tasks a section lists, in its order."""
    return [task.key for task in section.items]


def check_in(org: Organization, actor: User, outcome: Outcome, value: str, days_ago: int) -> None:
    work_services.check_in_record(
        organization=org,
        actor=actor,
        outcome=outcome,
        value=Decimal(value),
        checked_on=timezone.localdate() - timedelta(days=days_ago),
    )


@dataclass
class Day:
    """A planner's day in Acme, with a lead's goals around it."""

    mine: Goal  # active, P1, owned by the planner, four outcomes
    starved: Goal  # active, P3, owned by the planner, nothing under it for a month
    paused: Goal  # owned by the planner, put on hold: its work is stranded
    lowered: Goal  # the lead's, priority lowered: its work is suspect
    secret: Goal  # confidential, the lead's
    overdue: Task
    later: Task
    undated: Task
    kept: Task
    suspect: Task
    stranded: Task  # unassigned, on the planner's paused goal: stranded and suspect
    leads: Task  # on the planner's goal, assigned to the lead
    confirmed: Task  # the lead's, turned suspect then confirmed this week
    secret_task: Task  # assigned to the planner, under the confidential goal
    orphaned_before: Task  # orphaned last week
    orphaned: Task  # orphaned this week
    outcomes: dict[str, Outcome]


def build_day(org: Organization, lead: User, planner: User) -> Day:
    me = Membership.objects.get(organization=org, user=planner)
    lead_m = Membership.objects.get(organization=org, user=lead)
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    today = timezone.localdate()

    # Last week: one orphaned task, flagged then.
    orphaned_before = make_task(org, lead, None, "Answer the old ticket", origin=Origin.QUICK_ADD)
    monday = datetime.combine(
        today - timedelta(days=today.weekday()), time.min, tzinfo=organization_tz(org)
    )
    trace_services.flags_reconcile(organization=org, now=monday - timedelta(hours=6))

    mine = make_goal(org, lead, "Win the mid-market", owner=me, priority=Priority.P1)
    starved = make_goal(org, lead, "Hire a data team", owner=me, priority=Priority.P3)
    paused = make_goal(org, lead, "Launch in Spain", owner=me, priority=Priority.P2)
    lowered = make_goal(org, lead, "Cut churn", owner=lead_m, priority=Priority.P1)
    secret = make_goal(org, lead, "Acquire Initech", owner=lead_m, confidential=True)
    make_goal(org, lead, "Draft the 2027 plan", owner=me, status=GoalStatus.DRAFT)
    make_goal(org, lead, "Due diligence on Initech", owner=me, parent=secret)

    outcomes = {
        "ten": make_outcome(org, lead, mine, "Deals signed"),  # 100 -> 200
        "never": make_outcome(org, lead, mine, "Pipeline value"),
        "six": make_outcome(org, lead, mine, "Demos held"),
        "seven": make_outcome(org, lead, mine, "Trials started"),
    }
    check_in(org, planner, outcomes["ten"], "150", days_ago=10)  # 50%
    check_in(org, planner, outcomes["six"], "200", days_ago=6)  # 100%
    check_in(org, planner, outcomes["seven"], "125", days_ago=7)  # 25%

    later = make_task(
        org, lead, mine, "Send the proposal", assignee=me, due_date=today + timedelta(5)
    )
    overdue = make_task(
        org, lead, mine, "Call Globex back", assignee=me, due_date=today - timedelta(2)
    )
    undated = make_task(org, lead, mine, "Read the market study", assignee=me)
    done = make_task(org, lead, mine, "Book the offsite", assignee=me)
    work_services.task_set_status(organization=org, actor=planner, task=done, status="done")
    leads = make_task(org, lead, mine, "Approve the budget", assignee=lead_m)
    kept = make_task(org, lead, paused, "Register the company", assignee=me)
    stranded = make_task(org, lead, paused, "Find a Madrid office")
    suspect = make_task(org, lead, lowered, "Interview churned customers", assignee=me)
    confirmed = make_task(org, lead, lowered, "Survey the churned", assignee=lead_m)
    secret_task = make_task(org, lead, secret, "Review Initech's contracts", assignee=me)
    orphaned = make_task(org, planner, None, "Fix the invoice export", origin=Origin.QUICK_ADD)

    goal_services.goal_update(organization=org, actor=lead, goal=paused, status=GoalStatus.ON_HOLD)
    goal_services.goal_update(organization=org, actor=lead, goal=lowered, priority=Priority.P2)
    work_services.task_keep(organization=org, actor=planner, task=kept, reason="Needed anyway")
    Goal.objects.filter(organization=org, pk=starved.pk).update(
        activated_at=timezone.now() - timedelta(days=30)
    )
    trace_services.flags_reconcile(organization=org)
    work_services.task_confirm_link(organization=org, actor=lead, task=confirmed)
    trace_services.flags_reconcile(organization=org)
    return Day(
        mine=mine,
        starved=starved,
        paused=paused,
        lowered=lowered,
        secret=secret,
        overdue=overdue,
        later=later,
        undated=undated,
        kept=kept,
        suspect=suspect,
        stranded=stranded,
        leads=leads,
        confirmed=confirmed,
        secret_task=secret_task,
        orphaned_before=orphaned_before,
        orphaned=orphaned,
        outcomes=outcomes,
    )


@pytest.fixture
def day(org, lead, planner) -> Day:
    return build_day(org, lead, planner)


def home(client):
    response = client.get(HOME)
    assert response.status_code == 200
    return response.context, response.content.decode()


# Everyone's sections -------------------------------------------------------------------------


def test_my_live_work_is_by_due_date_overdue_first_and_undated_last(day, planner, client_for):
    ctx, html = home(client_for(planner))

    # Overdue (2 days ago), then in 5 days, then the undated ones by number: the kept task
    # on the paused goal and the suspect one are live too. Not the done one, not the lead's,
    # not the one under the confidential goal.
    assert keys(ctx["my_work"]) == [
        day.overdue.key,
        day.later.key,
        day.undated.key,
        day.kept.key,
        day.suspect.key,
    ]
    assert ctx["my_work"].total == 5
    overdue_row = re.search(rf'<tr id="home-task-{day.overdue.number}">.*?</tr>', html, re.S)
    assert overdue_row and "Overdue" in overdue_row.group()
    later_row = re.search(rf'<tr id="home-task-{day.later.number}">.*?</tr>', html, re.S)
    assert later_row and "Overdue" not in later_row.group()
    assert "assignee=planner%40acme.test&amp;status=live" in html


def test_to_resolve_lists_my_suspect_and_stranded_work_and_that_on_my_goals(
    day, planner, client_for
):
    ctx, html = home(client_for(planner))

    # Assigned to me and suspect; unassigned but stranded (and suspect) on my paused goal. The
    # kept task is a decision, not a gap; the lead's confirmed one is no longer suspect.
    assert keys(ctx["to_resolve"]) == [day.stranded.key, day.suspect.key]
    assert f'href="/o/acme/tasks/{day.suspect.number}/">Resolve' in html
    row = re.search(rf'<tr id="home-resolve-{day.stranded.number}">.*?</tr>', html, re.S)
    assert row and "On a goal you own" in row.group()


def test_goals_i_own_show_their_gaps_and_outcome_progress(day, planner, client_for):
    ctx, html = home(client_for(planner))

    # Active first by priority (P1, P3), then on hold; not the draft, not the one under the
    # confidential goal.
    rows = ctx["my_goals"].items
    assert [r.goal.key for r in rows] == [day.mine.key, day.starved.key, day.paused.key]
    mine, starved, paused = rows
    # Four live tasks (the done one is not); outcomes at 50, 0, 100 and 25 percent.
    assert (mine.live_tasks, mine.open_gaps, mine.progress_percent) == (4, 0, 44)
    assert (starved.live_tasks, starved.starved, starved.progress_percent) == (0, True, None)
    # Two live tasks: one stranded (and suspect: the goal left `active`), one kept.
    assert (paused.live_tasks, paused.stranded, paused.kept, paused.suspect) == (2, 1, 1, 1)
    assert paused.starved is False
    assert 'aria-label="Outcome progress of G-1">44%</progress>' in html


def test_check_ins_due_are_never_checked_first_then_the_oldest(day, planner, client_for):
    ctx, html = home(client_for(planner))

    # Never checked in, then 10 days ago, then exactly 7 days ago; not the one of 6 days ago.
    outcomes = day.outcomes
    assert [due.outcome.key for due in ctx["check_ins"].items] == [
        outcomes["never"].key,
        outcomes["ten"].key,
        outcomes["seven"].key,
    ]
    assert [d.days_since for d in ctx["check_ins"].items] == [None, 10, 7]
    assert "Never checked in" in html
    assert f"/o/acme/goals/{day.mine.number}/?check_in={outcomes['never'].number}" in html


def test_a_viewer_sees_its_sections_without_the_check_in_links_or_the_lead_sections(
    day, org, lead, viewer, client_for, membership_of
):
    goal_services.goal_update(
        organization=org, actor=lead, goal=day.mine, owner=membership_of(viewer, org)
    )
    ctx, html = home(client_for(viewer))

    assert [r.goal.key for r in ctx["my_goals"].items] == [day.mine.key]
    assert len(ctx["check_ins"].items) == 3
    assert "?check_in=" not in html  # a viewer does not check in
    assert "Nothing assigned to you." in html
    assert "home-this-week" not in html and 'id="coverage-headline"' not in html
    assert "queues" not in ctx


def test_a_planner_does_not_see_the_lead_sections(day, planner, client_for):
    ctx, html = home(client_for(planner))

    assert "home-this-week" not in html and "home-queues" not in html
    assert 'id="coverage-headline"' not in html
    assert "this_week" not in ctx and "headline" not in ctx


def test_a_confidential_goal_and_its_work_never_appear_nor_count(day, planner, client_for):
    ctx, html = home(client_for(planner))

    for hidden in ("Acquire Initech", "Review Initech", "Due diligence on Initech"):
        assert hidden not in html
    assert ctx["my_work"].total == 5
    assert day.secret_task.key not in keys(ctx["my_work"])


def test_empty_sections_say_what_to_do(org, lead, planner, client_for):
    make_goal(org, lead, "Grow revenue")

    _, html = home(client_for(planner))

    assert "Nothing assigned to you." in html and 'href="/o/acme/goals/">Browse goals' in html
    assert "Nothing to resolve" in html
    assert "You own no active or on-hold goal." in html
    assert "No check-ins due" in html
    assert "Start here" not in html


def test_a_new_organization_starts_here(org, lead, planner, client_for):
    _, lead_html = home(client_for(lead))
    _, planner_html = home(client_for(planner))

    assert "Start here" in lead_html and 'href="/o/acme/goals/new/"' in lead_html
    assert "Create the first goal" in lead_html
    assert "Start here" in planner_html and "ask one to create the first" in planner_html
    assert "Create the first goal" not in planner_html


# Leads and admins ----------------------------------------------------------------------------


def test_a_lead_sees_the_headline_this_weeks_changes_and_the_queues(day, lead, client_for):
    ctx, html = home(client_for(lead))

    assert 'id="coverage-headline"' in html
    week = {k.kind: k for k in ctx["this_week"].kinds}
    # Orphaned this week: only the new one (the other was flagged last week).
    assert [f.task.key for f in week["orphaned"].flags] == [day.orphaned.key]
    assert (week["orphaned"].raised, week["orphaned"].still_open) == (1, 1)
    # Stranded: the paused goal's unassigned task (the kept one holds no flag).
    assert [f.task.key for f in week["stranded"].flags] == [day.stranded.key]
    # Suspect: three raised this week, newest first; the lead's was confirmed since. The
    # confidential goal's task is the lead's to see, but its goal never changed.
    suspect = week["suspect"]
    assert (suspect.raised, suspect.still_open) == (3, 2)
    assert {f.task.key for f in suspect.flags} == {
        day.stranded.key,
        day.suspect.key,
        day.confirmed.key,
    }
    assert [f.goal.key for f in week["starved"].flags] == [day.starved.key]
    assert "link confirmed since" in html

    queues = {q.kind: (q.count, q.url) for q in ctx["queues"]}
    assert queues == {
        "orphaned": (2, "/o/acme/coverage/orphaned/"),
        "stranded": (1, "/o/acme/coverage/stranded/"),
        "suspect": (2, "/o/acme/coverage/suspect/"),
        "starved": (1, "/o/acme/coverage/starved/"),
        "stop": (1, "/o/acme/coverage/stop/"),  # the paused goal's open stranded work
    }
    assert '<li id="home-queue-stranded"><a href="/o/acme/coverage/stranded/">' in html


def test_a_lead_sees_the_confidential_goal_it_owns(day, lead, client_for):
    ctx, html = home(client_for(lead))

    assert [r.goal.key for r in ctx["my_goals"].items] == [day.lowered.key, day.secret.key]
    assert "Acquire Initech" in html
    # The lowered goal holds the planner's suspect task: the lead resolves it as owner.
    assert keys(ctx["to_resolve"]) == [day.suspect.key]


def test_an_admin_sees_the_lead_sections(day, admin, client_for):
    _, html = home(client_for(admin))

    assert 'id="coverage-headline"' in html and 'id="home-this-week"' in html


def test_this_week_says_so_when_nothing_changed(org, lead, client_for):
    make_task(org, lead, make_goal(org, lead, "Grow revenue"), "Call ten prospects")
    trace_services.flags_reconcile(organization=org)

    ctx, html = home(client_for(lead))

    assert ctx["this_week"].raised == 0
    assert "No new gaps this week" in html


# Other organizations ------------------------------------------------------------------------


def test_another_organizations_data_never_appears(day, other_org, outsider, planner, client_for):
    there = Membership.objects.create(organization=other_org, user=planner, role="planner")
    globex_goal = make_goal(other_org, outsider, "Globex world domination", owner=there)
    make_outcome(other_org, outsider, globex_goal, "Volcano lairs")
    make_task(other_org, outsider, globex_goal, "Buy a volcano", assignee=there)
    goal_services.goal_update(
        organization=other_org, actor=outsider, goal=globex_goal, priority=Priority.P4
    )
    trace_services.flags_reconcile(organization=other_org)

    ctx, html = home(client_for(planner))

    for theirs in ("Globex world domination", "Volcano lairs", "Buy a volcano"):
        assert theirs not in html
    assert ctx["my_work"].total == 5

    globex_html = client_for(outsider).get("/o/globex/").content.decode()
    for ours in ("Win the mid-market", "Fix the invoice export", "Interview churned"):
        assert ours not in globex_html


def test_outsiders_get_404(day, outsider, client_for):
    assert client_for(outsider).get(HOME).status_code == 404


# A constant number of queries ---------------------------------------------------------------


def grow(org: Organization, lead: User, member: Membership, start: int, count: int) -> None:
    """`count` more goals owned by `member`, each with an outcome and a task assigned to it;
    every third put on hold (stranded work), every other priority lowered (suspect work)."""
    for i in range(start, start + count):
        goal = make_goal(org, lead, f"Goal {i}", owner=member, priority=Priority.P1)
        make_outcome(org, lead, goal, f"Outcome {i}")
        make_task(org, lead, goal, f"Task {i}", assignee=member, due_date=timezone.localdate())
        if i % 3 == 0:
            goal_services.goal_update(
                organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD
            )
        elif i % 2 == 0:
            goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P2)
    trace_services.flags_reconcile(organization=org)


@pytest.mark.parametrize("who", ["planner", "lead"])
def test_the_page_runs_the_same_queries_for_3_and_30_goals_and_tasks(
    who, org, lead, planner, client_for, membership_of, django_assert_num_queries
):
    user = {"planner": planner, "lead": lead}[who]
    member = membership_of(user, org)
    client = client_for(user)
    grow(org, lead, member, 0, 3)
    client.get(HOME)  # warm up (the session's first request)
    with CaptureQueriesContext(connection) as small:
        ctx, _ = home(client)
    assert ctx["my_work"].total == 3

    grow(org, lead, member, 3, 27)
    with django_assert_num_queries(len(small.captured_queries)):
        ctx, html = home(client)
    assert ctx["my_work"].total == 30
    assert len(ctx["my_work"].items) == 10 and ctx["my_goals"].total == 30
    assert "See all 30" in html
