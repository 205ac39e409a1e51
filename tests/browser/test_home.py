"""The home page in Chromium: a planner lands on their day and resolves a suspect link from it;
a lead sees the coverage headline and this week's changes."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Priority
from tests.builders import make_goal, make_task
from tests.factories import PASSWORD
from traceability import services as trace_services
from vindaris.tenancy.models import Membership
from work.models import Origin


def test_the_home_page_for_a_planner(page, login, org, lead, planner):
    me = Membership.objects.get(organization=org, user=planner)
    mine = make_goal(org, lead, "Win the mid-market", owner=me, priority=Priority.P1)
    overdue = make_task(
        org,
        lead,
        mine,
        "Call Globex back",
        assignee=me,
        due_date=timezone.localdate() - timedelta(days=1),
    )
    churn = make_goal(org, lead, "Cut churn", priority=Priority.P1)
    suspect = make_task(org, lead, churn, "Interview churned customers", assignee=me)
    goal_services.goal_update(organization=org, actor=lead, goal=churn, priority=Priority.P3)

    login(planner.email, PASSWORD)

    # Logging in lands on the organization's home page.
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    work = page.locator("#home-my-work")
    expect(work.get_by_role("heading", name="My live work")).to_be_visible()
    row = work.locator(f"#home-task-{overdue.number}")
    expect(row).to_contain_text("Call Globex back")
    expect(row).to_contain_text("G-1 Win the mid-market")
    expect(row).to_contain_text("Overdue")
    expect(page.locator("#home-goals")).to_contain_text("Win the mid-market")

    resolve = page.locator("#home-to-resolve")
    to_resolve = resolve.locator(f"#home-resolve-{suspect.number}")
    expect(to_resolve).to_contain_text("Interview churned customers")
    expect(to_resolve.locator(".badge-suspect")).to_be_visible()
    expect(to_resolve).to_contain_text("Assigned to you")

    # Through to the task, where the link is confirmed; back home there is nothing left.
    to_resolve.get_by_role("link", name=f"Resolve {suspect.key}").click()
    expect(page).to_have_url(re.compile(rf"/o/acme/tasks/{suspect.number}/$"))
    page.get_by_role("button", name="Confirm link").click()
    expect(page.locator(".notice-suspect")).to_have_count(0)
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#home-to-resolve")).to_contain_text("Nothing to resolve")
    expect(page.locator(f"#home-task-{suspect.number}")).to_be_visible()  # still my live work

    # The task itself, from the list of my work.
    page.locator(f"#home-task-{overdue.number}").get_by_role(
        "link", name="Call Globex back"
    ).click()
    expect(page).to_have_url(re.compile(rf"/o/acme/tasks/{overdue.number}/$"))
    expect(page.get_by_role("heading", name=re.compile("Call Globex back"))).to_be_visible()
    # Planners see no lead sections.
    page.go_back()
    expect(page.locator("#home-my-work")).to_be_visible()
    expect(page.locator("#home-this-week")).to_have_count(0)
    expect(page.locator("#coverage-headline")).to_have_count(0)


def test_the_home_page_for_a_lead(page, login, org, lead, planner):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    spain = make_goal(org, lead, "Launch in Spain")
    stranded = make_task(org, planner, spain, "Find a Madrid office", estimate=2)
    make_task(org, planner, make_goal(org, lead, "Win the mid-market"), "Call ten prospects")
    orphaned = make_task(org, planner, None, "Fix the invoice export", origin=Origin.QUICK_ADD)
    starved = make_goal(org, lead, "Hire a data team", priority=Priority.P3)
    Goal.objects.filter(organization=org, pk=starved.pk).update(
        activated_at=timezone.now() - timedelta(days=30)
    )
    goal_services.goal_update(organization=org, actor=lead, goal=spain, status=GoalStatus.ON_HOLD)
    trace_services.flags_reconcile(organization=org)

    login(lead.email, PASSWORD)

    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    headline = page.locator("#coverage-headline")
    expect(headline).to_be_visible()
    # 1 of 4 points of live effort (2 stranded, 1 orphaned, 1 linked) is on an active goal.
    expect(headline.locator("#coverage-linked-ratio")).to_have_text("25%")
    expect(headline.locator("#coverage-orphaned-count")).to_have_text("1")
    expect(headline.locator("#coverage-stranded-count")).to_have_text("1")
    expect(headline.locator("#coverage-starved-count")).to_have_text("1")

    week = page.locator("#home-this-week")
    expect(week.get_by_role("heading", name=re.compile("^This week"))).to_be_visible()
    expect(week.locator("#home-week-orphaned")).to_contain_text(orphaned.title)
    expect(week.locator("#home-week-orphaned .home-week-count")).to_have_text("1")
    # Putting the goal on hold stranded its task and made its link suspect.
    expect(week.locator("#home-week-stranded")).to_contain_text(stranded.title)
    expect(week.locator("#home-week-suspect")).to_contain_text(stranded.title)
    expect(week.locator("#home-week-starved")).to_contain_text("Hire a data team")

    queues = page.locator("#home-queues")
    expect(queues.locator("#home-queue-stranded")).to_contain_text("1 task")
    expect(queues.locator("#home-queue-stop")).to_contain_text("1 goal")
    queues.get_by_role("link", name="Stranded tasks").click()
    expect(page).to_have_url(re.compile(r"/o/acme/coverage/stranded/$"))
    expect(page.locator(f"#stranded-task-{stranded.number}")).to_be_visible()
