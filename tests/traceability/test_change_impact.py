"""The consequences of a goal or outcome change, shown before it is saved: the preview's
prediction equals what the change then does, as the reconciler's flags and the coverage
figures say afterwards.

Each test builds a small tree through the services, reads the flags and coverage as they
stand, previews the change through the edit form, confirms it through the same form, runs the
reconciler as the product does, and compares. The expected tasks, points and goals are also
written out by hand from the data each test builds.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalEvent, GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from tests.test_html_valid import validate
from traceability import services
from traceability.models import Flag, FlagKind
from traceability.selectors.coverage import coverage_headline
from traceability.selectors.impact import (
    IMPACT_TASKS_SHOWN,
    ChangeImpact,
    goal_change_impact,
)
from vindaris.tenancy.models import Membership
from work import services as work_services
from work.models import Task, TaskStatus

HTMX = {"HTTP_HX_REQUEST": "true"}


# What the product says, before and after ------------------------------------------------------


@dataclass(frozen=True)
class Gaps:
    """Open flags (task numbers by kind), kept tasks, and the starved goals (numbers) and
    linked effort as the member sees them on the coverage dashboard."""

    stranded: frozenset[int]
    suspect: frozenset[int]
    kept: frozenset[int]
    starved: frozenset[int]
    linked_effort: int


def observe(org, membership, now=None) -> Gaps:
    now = now or timezone.now()
    services.flags_reconcile(organization=org, now=now)
    open_flags = Flag.objects.filter(organization=org, resolved_at__isnull=True)

    def tasks(kind: str) -> frozenset[int]:
        return frozenset(
            open_flags.filter(kind=kind, task__isnull=False).values_list("task__number", flat=True)
        )

    headline = coverage_headline(organization=org, viewer=membership, now=now)
    starved = Goal.objects.filter(organization=org, pk__in=headline.starved_ids)
    kept = [t for t in Task.objects.filter(organization=org).select_related("goal") if t.is_kept]
    return Gaps(
        stranded=tasks(FlagKind.STRANDED),
        suspect=tasks(FlagKind.SUSPECT),
        kept=frozenset(t.number for t in kept),
        starved=frozenset(starved.values_list("number", flat=True)),
        linked_effort=headline.linked_effort,
    )


def predicted(impact: ChangeImpact) -> dict[str, frozenset[int]]:
    """The preview's task and goal sets (every affected task is listed in these small trees)."""
    assert impact.more == 0
    return {
        "stranded": frozenset(t.number for t in impact.tasks if t.stranded),
        "unkept": frozenset(t.number for t in impact.tasks if t.unkept),
        "suspect": frozenset(t.number for t in impact.tasks if t.suspect),
        "starved": frozenset(g.number for g in impact.starved if g.starved_at is None),
        "relieved": frozenset(g.number for g in impact.relieved),
    }


def happened(before: Gaps, after: Gaps) -> dict[str, frozenset[int]]:
    """What the change did, by the flags and the coverage figures."""
    return {
        "stranded": after.stranded - before.stranded - before.kept,
        "unkept": after.stranded & before.kept,
        "suspect": after.suspect - before.suspect,
        "starved": after.starved - before.starved,
        "relieved": before.starved - after.starved,
    }


def numbers(*objects) -> frozenset[int]:
    return frozenset(o.number for o in objects)


def goal_data(goal: Goal, **changes) -> dict[str, str]:
    """The edit form as it stands for `goal`, with `changes`."""
    data = {
        "title": goal.title,
        "description": goal.description,
        "parent": str(goal.parent_id or ""),
        "owner": str(goal.owner_id or ""),
        "priority": str(goal.priority),
        "status": goal.status,
        "quarter": "",
        "start_date": "",
        "end_date": "",
    }
    data.update({k: str(v) for k, v in changes.items()})
    return data


def edit_url(org, goal: Goal) -> str:
    return reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number})


def outcome_url(org, outcome) -> str:
    return reverse("outcome_edit", kwargs={"org_slug": org.slug, "outcome_number": outcome.number})


def preview_then_confirm(client, url: str, data: dict[str, str]) -> ChangeImpact:
    """POST the change: the form comes back with the preview; confirm it: saved."""
    response = client.post(url, data)
    assert response.status_code == 200
    impact = response.context["impact"]
    assert impact is not None and impact.consequential
    assert "Confirm and save" in response.content.decode()
    confirmed = client.post(
        url, {**data, "confirm": "1", "previewed": response.context["impact_key"]}
    )
    assert confirmed.status_code == 302
    return impact


def past_grace(org, *goals: Goal) -> None:
    """These goals became active a month ago: past any grace period."""
    Goal.objects.filter(organization=org, pk__in=[g.pk for g in goals]).update(
        activated_at=timezone.now() - timedelta(days=30)
    )


@pytest.fixture
def lead_membership(org, lead) -> Membership:
    return Membership.objects.get(organization=org, user=lead)


# Each kind of change ----------------------------------------------------------------------------


def test_putting_a_goal_on_hold_strands_its_live_work_not_a_parent_with_work_of_its_own(
    org, admin, lead, planner, lead_membership, client_for
):
    company = make_goal(org, admin, "Grow revenue")
    spain = make_goal(org, admin, "Launch in Spain", parent=company)
    office = make_task(org, planner, spain, "Find a Madrid office", estimate=3)
    # A material change after the first task: its link is suspect already.
    goal_services.goal_update(organization=org, actor=admin, goal=spain, title="Launch in Iberia")
    bank = make_task(org, planner, spain, "Open a bank account", estimate=5)
    done = make_task(org, planner, spain, "Translate the site", estimate=8)
    work_services.task_set_status(organization=org, actor=planner, task=done, status="done")
    elsewhere = make_task(org, planner, company, "Call ten prospects", estimate=2)
    past_grace(org, company, spain)
    spain.refresh_from_db()
    before = observe(org, lead_membership)
    assert before.suspect == numbers(office)

    impact = preview_then_confirm(
        client_for(lead), edit_url(org, spain), goal_data(spain, status=GoalStatus.ON_HOLD)
    )
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    # By hand: both live tasks stranded, 3 + 5 points; the one not yet suspect turns suspect.
    assert predicted(impact)["stranded"] == numbers(office, bank)
    assert (impact.stranded.tasks, impact.stranded.effort) == (2, 8)
    assert predicted(impact)["suspect"] == numbers(bank)
    assert (impact.suspect.tasks, impact.suspect.effort) == (1, 5)
    assert impact.leaves_active
    # The parent has live work of its own: it is not starved.
    assert impact.starved == () and company.number not in after.starved
    # It no longer counts as linked: the linked effort drops by its points.
    assert before.linked_effort - after.linked_effort == impact.stranded.effort == 8
    assert elsewhere.number not in after.stranded | after.suspect


def test_putting_the_only_working_sub_goal_on_hold_starves_the_goals_above_it(
    org, admin, lead, planner, lead_membership, client_for
):
    company = make_goal(org, admin, "Grow revenue")
    europe = make_goal(org, admin, "Expand in Europe", parent=company)
    spain = make_goal(org, admin, "Launch in Spain", parent=europe)
    make_task(org, planner, spain, "Find a Madrid office", estimate=3)
    past_grace(org, company, europe, spain)
    spain.refresh_from_db()
    before = observe(org, lead_membership)
    assert before.starved == frozenset()

    impact = preview_then_confirm(
        client_for(lead), edit_url(org, spain), goal_data(spain, status=GoalStatus.ON_HOLD)
    )
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    # Its work is stranded: it covers nothing above it, so both goals above starve at once.
    assert predicted(impact)["starved"] == numbers(company, europe)
    assert after.starved == numbers(company, europe)


def test_achieving_a_goal_on_hold_ends_the_keep_of_its_kept_work(
    org, admin, lead, planner, lead_membership, client_for
):
    spain = make_goal(org, admin, "Launch in Spain")
    register = make_task(org, planner, spain, "Register the company", estimate=2)
    office = make_task(org, planner, spain, "Find a Madrid office", estimate=3)
    goal_services.goal_update(organization=org, actor=admin, goal=spain, status=GoalStatus.ON_HOLD)
    work_services.task_keep(
        organization=org, actor=planner, task=register, reason="Needed whatever happens"
    )
    spain.refresh_from_db()
    before = observe(org, lead_membership)
    assert (before.kept, before.stranded) == (numbers(register), numbers(office))

    impact = preview_then_confirm(
        client_for(lead), edit_url(org, spain), goal_data(spain, status=GoalStatus.ACHIEVED)
    )
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    # By hand: nothing newly stranded (the goal was not active); the kept task is stranded
    # again, and its link (confirmed when it was kept) turns suspect.
    assert impact.stranded.tasks == 0
    assert predicted(impact)["unkept"] == numbers(register)
    assert (impact.unkept.tasks, impact.unkept.effort) == (1, 2)
    assert predicted(impact)["suspect"] == numbers(register)
    assert not impact.leaves_active


def test_abandoning_a_goal_strands_its_work_and_it_stops_counting_as_starved(
    org, admin, lead, planner, lead_membership, client_for
):
    churn = make_goal(org, admin, "Cut churn")
    interviews = make_task(org, planner, churn, "Interview churned customers", estimate=4)
    survey = make_task(org, planner, churn, "Survey the remaining ones", estimate=1)
    empty = make_goal(org, admin, "Hire a data team", parent=churn)
    past_grace(org, churn, empty)
    churn.refresh_from_db()
    before = observe(org, lead_membership)
    assert before.starved == numbers(empty)

    impact = preview_then_confirm(
        client_for(lead), edit_url(org, churn), goal_data(churn, status=GoalStatus.ABANDONED)
    )
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    assert predicted(impact)["stranded"] == numbers(interviews, survey)
    assert impact.stranded.effort == 5
    assert predicted(impact)["suspect"] == numbers(interviews, survey)
    # The sub-goal stays starved (its parent's work is not under it): nothing moves there.
    assert impact.starved == impact.relieved == ()
    assert after.starved == numbers(empty)


def test_abandoning_a_starved_goal_relieves_it(
    org, admin, lead, planner, lead_membership, client_for
):
    """A starved goal with no work has nothing to preview: it is saved at once, and it is no
    longer starved, as the prediction says."""
    empty = make_goal(org, admin, "Hire a data team")
    past_grace(org, empty)
    empty.refresh_from_db()
    before = observe(org, lead_membership)

    impact = goal_change_impact(
        organization=org,
        viewer=lead_membership,
        goal=empty,
        changes={"status": GoalStatus.ABANDONED},
        now=timezone.now(),
    )
    assert not impact.consequential
    response = client_for(lead).post(
        edit_url(org, empty), goal_data(empty, status=GoalStatus.ABANDONED)
    )
    assert response.status_code == 302
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    assert predicted(impact)["relieved"] == numbers(empty)


def test_lowering_the_priority_makes_links_suspect(
    org, admin, lead, planner, lead_membership, client_for
):
    goal = make_goal(org, admin, "Win the mid-market", priority=Priority.P1)
    calls = make_task(org, planner, goal, "Call ten prospects", estimate=3)
    demo = make_task(org, planner, goal, "Give a demo", estimate=2, status=TaskStatus.BLOCKED)
    cancelled = make_task(org, planner, goal, "Print flyers", estimate=9)
    work_services.task_set_status(
        organization=org, actor=planner, task=cancelled, status=TaskStatus.CANCELLED
    )
    goal.refresh_from_db()
    before = observe(org, lead_membership)

    impact = preview_then_confirm(
        client_for(lead), edit_url(org, goal), goal_data(goal, priority=Priority.P3)
    )
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    assert predicted(impact)["suspect"] == numbers(calls, demo)
    assert (impact.suspect.tasks, impact.suspect.effort) == (2, 5)
    assert impact.stranded.tasks == 0 and impact.starved == ()


def test_raising_the_priority_or_editing_the_description_saves_at_once(
    org, admin, lead, planner, lead_membership, client_for
):
    goal = make_goal(org, admin, "Win the mid-market", priority=Priority.P3)
    make_task(org, planner, goal, "Call ten prospects", estimate=3)
    goal.refresh_from_db()
    before = observe(org, lead_membership)
    client = client_for(lead)

    for change in ({"priority": Priority.P1}, {"description": "Mid-sized firms in Europe"}):
        response = client.post(edit_url(org, goal), goal_data(goal, **change))
        assert response.status_code == 302
        goal.refresh_from_db()

    assert (goal.priority, goal.description) == (Priority.P1, "Mid-sized firms in Europe")
    assert observe(org, lead_membership) == before


def test_changing_an_outcome_target_makes_the_goals_links_suspect(
    org, admin, lead, planner, lead_membership, client_for
):
    goal = make_goal(org, admin, "Grow revenue")
    outcome = make_outcome(org, admin, goal, "Monthly revenue", baseline="100", target="200")
    pricing = make_task(org, planner, goal, "New pricing page", estimate=3, outcome=outcome)
    ads = make_task(org, planner, goal, "Run ads", estimate=2)
    other = make_task(org, planner, make_goal(org, admin, "Ship safely"), "Fix the CI", estimate=1)
    before = observe(org, lead_membership)
    data = {
        "title": outcome.title,
        "unit": "",
        "direction": "increase",
        "baseline": "100",
        "target": "250",
        "due_date": "",
    }

    impact = preview_then_confirm(client_for(lead), outcome_url(org, outcome), data)
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    # Every live task of the goal, not only those aimed at this outcome.
    assert predicted(impact)["suspect"] == numbers(pricing, ads)
    assert impact.suspect.effort == 5
    assert other.number not in after.suspect
    outcome.refresh_from_db()
    assert outcome.target == Decimal("250")


def test_an_outcome_change_other_than_its_target_saves_at_once(
    org, admin, lead, planner, lead_membership, client_for
):
    goal = make_goal(org, admin, "Grow revenue")
    outcome = make_outcome(org, admin, goal, "Monthly revenue", baseline="100", target="200")
    make_task(org, planner, goal, "New pricing page", estimate=3, outcome=outcome)
    before = observe(org, lead_membership)
    data = {
        "title": "Monthly recurring revenue",
        "unit": "k€",
        "direction": "increase",
        "baseline": "100",
        "target": "200",
        "due_date": "",
    }
    response = client_for(lead).post(outcome_url(org, outcome), data)
    assert response.status_code == 302
    assert observe(org, lead_membership) == before


def test_a_target_against_the_direction_is_an_error_not_a_preview(
    org, admin, lead, planner, client_for
):
    goal = make_goal(org, admin, "Grow revenue")
    outcome = make_outcome(org, admin, goal, "Monthly revenue", baseline="100", target="200")
    make_task(org, planner, goal, "New pricing page", estimate=3)
    data = {
        "title": outcome.title,
        "unit": "",
        "direction": "increase",
        "baseline": "100",
        "target": "50",
        "due_date": "",
    }
    response = client_for(lead).post(outcome_url(org, outcome), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "To increase, the target must be above the baseline." in body
    assert "Confirm and save" not in body
    assert not goal.events.filter(kind=GoalEvent.Kind.OUTCOME_UPDATED).exists()


# Starved parents: when work moves away ----------------------------------------------------------


def test_moving_a_goal_starves_its_parent_and_grandparent_and_feeds_its_new_parent(
    org, admin, lead, planner, lead_membership, client_for
):
    grandparent = make_goal(org, admin, "Grow revenue")
    parent = make_goal(org, admin, "Enterprise deals", parent=grandparent)
    logos = make_goal(org, admin, "Three new logos", parent=parent)
    pitch = make_task(org, planner, logos, "Pitch Initech", estimate=5)
    covered = make_goal(org, admin, "Partnerships")  # another parent with live work of its own
    make_task(org, planner, covered, "Sign a reseller", estimate=1)
    hungry = make_goal(org, admin, "Expand to Spain")  # starved: no work anywhere under it
    past_grace(org, grandparent, parent, logos, covered, hungry)
    logos.refresh_from_db()
    before = observe(org, lead_membership)
    assert before.starved == numbers(hungry)

    impact = preview_then_confirm(
        client_for(lead), edit_url(org, logos), goal_data(logos, parent=hungry.pk)
    )
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)
    # By hand: the old parent and grandparent lose their only live work, the new one gets it.
    assert predicted(impact)["starved"] == numbers(grandparent, parent)
    assert predicted(impact)["relieved"] == numbers(hungry)
    # Moving is not a material change: the task's link stays as it was.
    assert impact.tasks == () and pitch.number not in after.suspect | after.stranded


def test_a_parent_with_other_live_work_is_not_starved(
    org, admin, lead, planner, lead_membership, client_for
):
    parent = make_goal(org, admin, "Enterprise deals")
    logos = make_goal(org, admin, "Three new logos", parent=parent)
    make_task(org, planner, logos, "Pitch Initech", estimate=5)
    sibling = make_goal(org, admin, "Renewals", parent=parent)
    make_task(org, planner, sibling, "Renew Globex", estimate=2)
    target = make_goal(org, admin, "Partnerships")
    past_grace(org, parent, logos, sibling, target)
    logos.refresh_from_db()
    before = observe(org, lead_membership)

    impact = goal_change_impact(
        organization=org,
        viewer=lead_membership,
        goal=logos,
        changes={"parent": target},
        now=timezone.now(),
    )
    # Nothing starves (the new parent, starved until now, no longer is): saved at once.
    assert not impact.consequential and impact.starved == ()
    assert [g.number for g in impact.relieved] == [target.number]
    response = client_for(lead).post(edit_url(org, logos), goal_data(logos, parent=target.pk))
    assert response.status_code == 302
    after = observe(org, lead_membership)
    assert predicted(impact) == happened(before, after)
    assert parent.number not in after.starved


def test_a_parent_within_its_grace_period_will_be_starved_when_it_ends(
    org, admin, lead, planner, lead_membership, client_for
):
    org.starved_grace_days = 7
    org.save(update_fields=["starved_grace_days"])
    parent = make_goal(org, admin, "Enterprise deals")  # active since just now
    logos = make_goal(org, admin, "Three new logos", parent=parent)
    make_task(org, planner, logos, "Pitch Initech", estimate=5)
    past_grace(org, logos)
    logos.refresh_from_db()
    parent.refresh_from_db()
    before = observe(org, lead_membership)

    impact = preview_then_confirm(
        client_for(lead), edit_url(org, logos), goal_data(logos, parent="")
    )
    after = observe(org, lead_membership)

    assert predicted(impact) == happened(before, after)  # nothing starved yet
    (later,) = impact.starved
    assert later.number == parent.number
    assert later.starved_at == parent.activated_at + timedelta(days=7)  # a UTC organization
    assert later.starved_on == later.starved_at.date()
    # The coverage figures agree: not starved a second before, starved from that moment.
    just_before = coverage_headline(
        organization=org, viewer=lead_membership, now=later.starved_at - timedelta(seconds=1)
    )
    at = coverage_headline(organization=org, viewer=lead_membership, now=later.starved_at)
    assert parent.pk not in just_before.starved_ids and parent.pk in at.starved_ids


# Confidential goals ------------------------------------------------------------------------------


def test_the_preview_shows_what_the_member_sees(
    org, admin, lead, planner, lead_membership, membership_of, client_for
):
    """A planner who owns a goal moves it out from under its parent. The parent's confidential
    sub-goal, with live work, is hidden from them: the preview names neither, and counts the
    parent starved as the planner's coverage dashboard does, where hidden work covers
    nothing."""
    planner_membership = membership_of(planner, org)
    parent = make_goal(org, admin, "Enterprise deals")
    mine = make_goal(org, admin, "Three new logos", parent=parent, owner=planner_membership)
    pitch = make_task(org, planner, mine, "Pitch Initech", estimate=5)
    secret = make_goal(org, admin, "Acquire Globex", parent=parent, confidential=True)
    make_task(org, admin, secret, "Due diligence on Globex", estimate=13)
    past_grace(org, parent, mine, secret)
    mine.refresh_from_db()
    before = observe(org, planner_membership)
    client = client_for(planner)

    response = client.post(edit_url(org, mine), goal_data(mine, parent="", priority=Priority.P4))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Acquire Globex" not in body and "Due diligence" not in body
    assert f"T-{pitch.number}" in body
    impact = response.context["impact"]
    confirmed = client.post(
        edit_url(org, mine),
        {
            **goal_data(mine, parent="", priority=Priority.P4),
            "confirm": "1",
            "previewed": response.context["impact_key"],
        },
    )
    assert confirmed.status_code == 302
    after = observe(org, planner_membership)

    assert predicted(impact) == happened(before, after)
    assert predicted(impact)["starved"] == numbers(parent)
    assert predicted(impact)["suspect"] == numbers(pitch)
    # Leads see the confidential work under the parent: not starved for them.
    assert parent.number not in observe(org, lead_membership).starved


# The form: confirm, go back, a stale preview, htmx, valid HTML, constant queries -----------------


def test_back_to_editing_keeps_the_values_and_saves_nothing(org, admin, lead, planner, client_for):
    goal = make_goal(org, admin, "Launch in Spain")
    make_task(org, planner, goal, "Find a Madrid office", estimate=3)
    data = goal_data(goal, status=GoalStatus.ON_HOLD, title="Launch in Iberia")
    response = client_for(lead).post(edit_url(org, goal), {**data, "back": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Confirm and save" not in body and "Save changes" in body
    assert 'value="Launch in Iberia"' in body
    assert '<option value="on_hold" selected>' in body
    goal.refresh_from_db()
    assert (goal.status, goal.title) == (GoalStatus.ACTIVE, "Launch in Spain")


def test_a_preview_that_no_longer_holds_is_shown_again_instead_of_saving(
    org, admin, lead, planner, client_for
):
    goal = make_goal(org, admin, "Launch in Spain")
    make_task(org, planner, goal, "Find a Madrid office", estimate=3)
    client = client_for(lead)
    data = goal_data(goal, status=GoalStatus.ON_HOLD)
    first = client.post(edit_url(org, goal), data)
    assert first.context["impact"].stranded.tasks == 1
    make_task(org, planner, goal, "Open a bank account", estimate=5)  # meanwhile

    again = client.post(
        edit_url(org, goal), {**data, "confirm": "1", "previewed": first.context["impact_key"]}
    )
    assert again.status_code == 200
    assert "not what you were shown" in again.content.decode()
    assert (again.context["impact"].stranded.tasks, again.context["impact"].stranded.effort) == (
        2,
        8,
    )
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE

    # Values edited in the preview are previewed too before they are saved.
    edited = client.post(
        edit_url(org, goal),
        {
            **goal_data(goal, status=GoalStatus.ABANDONED),
            "confirm": "1",
            "previewed": again.context["impact_key"],
        },
    )
    assert edited.status_code == 200 and "Abandoning" in edited.content.decode()

    saved = client.post(
        edit_url(org, goal),
        {
            **goal_data(goal, status=GoalStatus.ABANDONED),
            "confirm": "1",
            "previewed": edited.context["impact_key"],
        },
    )
    assert saved.status_code == 302
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ABANDONED


def test_htmx_swaps_the_form_and_follows_the_save(org, admin, lead, planner, client_for):
    goal = make_goal(org, admin, "Launch in Spain")
    make_task(org, planner, goal, "Find a Madrid office", estimate=3)
    client = client_for(lead)
    data = goal_data(goal, status=GoalStatus.ON_HOLD)

    preview = client.post(edit_url(org, goal), data, **HTMX)
    body = preview.content.decode()
    assert preview.status_code == 200
    assert body.lstrip().startswith('<form method="post" class="card" novalidate id="goal-form"')
    assert "Putting G-" in body and "on hold will:" in body and "<html" not in body

    saved = client.post(
        edit_url(org, goal),
        {**data, "confirm": "1", "previewed": preview.context["impact_key"]},
        **HTMX,
    )
    assert saved.status_code == 200
    assert saved["HX-Redirect"] == reverse(
        "goal_detail", kwargs={"org_slug": org.slug, "goal_number": goal.number}
    )
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ON_HOLD

    invalid = client.post(edit_url(org, goal), goal_data(goal, title=""), **HTMX)
    assert invalid.status_code == 422 and "This field is required." in invalid.content.decode()


def _tree_with_tasks(org, admin, planner, count: int) -> Goal:
    parent = make_goal(org, admin, f"Parent of {count}")
    goal = make_goal(org, admin, f"Goal with {count} tasks", parent=parent)
    for i in range(count):
        make_task(org, planner, goal, f"Task {i}", estimate=2)
    past_grace(org, parent, goal)
    goal.refresh_from_db()
    return goal


def test_the_preview_runs_the_same_queries_for_5_or_50_tasks(
    org, admin, lead, planner, lead_membership, client_for
):
    client = client_for(lead)
    counts, bodies = [], []
    for size in (5, 50):
        goal = _tree_with_tasks(org, admin, planner, size)
        data = goal_data(goal, status=GoalStatus.ON_HOLD, parent="")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(edit_url(org, goal), data)
        assert response.status_code == 200
        counts.append(len(queries))
        bodies.append(response.content.decode())
        with CaptureQueriesContext(connection) as selector_queries:
            impact = goal_change_impact(
                organization=org,
                viewer=lead_membership,
                goal=goal,
                changes={"status": GoalStatus.ON_HOLD, "parent": None},
                now=timezone.now(),
            )
        assert len(selector_queries) == 2  # the tasks, the starved goals
        assert (impact.stranded.tasks, impact.stranded.effort) == (size, 2 * size)
        assert len(impact.tasks) == min(size, IMPACT_TASKS_SHOWN)
        assert impact.more == max(0, size - IMPACT_TASKS_SHOWN)
    assert counts[0] == counts[1]
    assert "and 30 more" in bodies[1] and "more:" not in bodies[0]


def test_the_preview_is_valid_html(org, admin, lead, planner, client_for, tmp_path):
    goal = make_goal(org, admin, "Launch in Spain")
    outcome = make_outcome(org, admin, goal)
    make_task(org, planner, goal, "Find a Madrid office", estimate=3)
    child = make_goal(org, admin, "Barcelona office", parent=goal)
    make_task(org, planner, child, "Sign the lease", estimate=1)
    client = client_for(lead)
    pages = {}
    for shape, headers in (("page", {}), ("htmx", HTMX)):
        response = client.post(
            edit_url(org, goal), goal_data(goal, status=GoalStatus.ON_HOLD), **headers
        )
        assert "Confirm and save" in response.content.decode()
        pages[f"goal {shape}"] = response.content.decode()
        response = client.post(
            outcome_url(org, outcome),
            {
                "title": outcome.title,
                "unit": "",
                "direction": "increase",
                "baseline": "100",
                "target": "300",
                "due_date": "",
            },
            **headers,
        )
        assert "Confirm and save" in response.content.decode()
        pages[f"outcome {shape}"] = response.content.decode()
    assert validate(pages, tmp_path) == {}
