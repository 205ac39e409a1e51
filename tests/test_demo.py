"""The demo loads the strategy its docstring promises (the numbers below are copied from it),
once, quickly, with each organization's data kept to itself."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from goals import selectors as goal_selectors
from goals.models import CheckIn, Goal, GoalStatus, Outcome
from goals.visibility import can_change, is_visible
from vindaris import demo
from vindaris.tenancy.models import Membership, Organization
from work import gaps
from work.models import LIVE, CheckInCredit, Task, TaskEvent, TaskStatus


@pytest.fixture
def seeded(db) -> dict[str, Organization]:
    started = time.monotonic()
    assert demo.seed() is True
    seconds = time.monotonic() - started
    assert seconds < 5, f"the demo took {seconds:.1f} s to load"
    return {o.slug: o for o in Organization.objects.filter(slug__in=["acme", "globex"])}


def gap(condition, org: Organization) -> int:
    return Task.objects.filter(condition, organization=org).count()


def starved(org: Organization) -> list[str]:
    """Active goals with no live task in their subtree, active for longer than the grace."""
    past_grace = timezone.now() - timedelta(days=org.starved_grace_days)
    titles = []
    for goal in Goal.objects.filter(organization=org, status=GoalStatus.ACTIVE):
        subtree = goal_selectors.subtree_ids(goal=goal)
        live = Task.objects.filter(LIVE, organization=org, goal_id__in=subtree).exists()
        if not live and goal.activated_at < past_grace:
            titles.append(goal.title)
    return titles


def test_acme_has_three_company_objectives_and_eleven_team_goals(seeded):
    acme = seeded["acme"]
    objectives = Goal.objects.filter(organization=acme, parent=None)
    assert sorted(objectives.values_list("priority", flat=True)) == [1, 2, 3]
    assert set(objectives.values_list("status", flat=True)) == {GoalStatus.ACTIVE}
    team_goals = Goal.objects.filter(organization=acme, parent__in=objectives)
    assert team_goals.count() == 11
    assert Goal.objects.filter(organization=acme).count() == 14
    assert not team_goals.filter(owner=None).exists()
    assert all(g.start_date <= timezone.localdate() <= g.end_date for g in team_goals)
    outcomes_per_goal = [g.outcomes.count() for g in team_goals]
    assert min(outcomes_per_goal) >= 1 and max(outcomes_per_goal) <= 2
    assert Outcome.objects.filter(organization=acme).count() == 13
    checked = Outcome.objects.filter(organization=acme, check_ins__isnull=False).distinct()
    assert checked.count() == 11
    assert all(o.current != o.baseline for o in checked)
    assert CheckInCredit.objects.filter(organization=acme).exists()


def test_acme_has_eighty_four_tasks_of_every_status(seeded):
    acme = seeded["acme"]
    tasks = Task.objects.filter(organization=acme)
    assert tasks.count() == 84
    under_team_goals = tasks.filter(goal__parent__isnull=False, goal__parent__parent=None)
    assert under_team_goals.count() == 79
    assert set(tasks.values_list("status", flat=True)) == set(TaskStatus.values)
    assert tasks.exclude(assignee=None).values("assignee").distinct().count() >= 4
    assert tasks.values("estimate").distinct().count() >= 4
    assert not tasks.filter(LIVE, due_date=None).exists()
    # Status changes went through the service, so the history shows them.
    moved_on = tasks.exclude(status=TaskStatus.TODO).count()
    assert TaskEvent.objects.filter(task__organization=acme, kind="status").count() == moved_on


def test_acme_shows_every_kind_of_gap(seeded):
    acme = seeded["acme"]
    assert acme.allow_goalless_work
    assert gap(gaps.ORPHANED, acme) == 5
    assert gap(gaps.STRANDED, acme) == 5
    assert gap(gaps.KEPT, acme) == 1
    assert gap(gaps.SUSPECT, acme) == 10
    on_hold = Goal.objects.get(organization=acme, status=GoalStatus.ON_HOLD)
    assert on_hold.title == "Win back churned accounts"
    lowered = Goal.objects.get(organization=acme, title="Rewrite the help center")
    assert lowered.material_change == "priority lowered P2 → P3"
    assert Task.objects.filter(gaps.SUSPECT, goal=lowered).count() == 6
    assert starved(acme) == ["Fix the accessibility audit findings"]


def test_globex_has_a_smaller_strategy_of_its_own(seeded):
    globex, acme = seeded["globex"], seeded["acme"]
    assert Goal.objects.filter(organization=globex).count() == 3
    assert Goal.objects.filter(organization=globex, parent=None).count() == 1
    assert Task.objects.filter(organization=globex).count() == 10
    assert not globex.allow_goalless_work
    assert gap(gaps.ORPHANED, globex) == 0
    assert starved(globex) == []
    # Nothing of one organization points at the other.
    for org, other in ((globex, acme), (acme, globex)):
        assert not Task.objects.filter(organization=org, goal__organization=other).exists()
        assert not Task.objects.filter(organization=org, assignee__organization=other).exists()
        assert not Goal.objects.filter(organization=org, owner__organization=other).exists()
        assert not CheckIn.objects.filter(organization=org, outcome__organization=other).exists()
    acme_titles = set(Task.objects.filter(organization=acme).values_list("title", flat=True))
    globex_titles = set(Task.objects.filter(organization=globex).values_list("title", flat=True))
    assert not acme_titles & globex_titles


def test_seeding_twice_changes_nothing(seeded):
    counts = (Goal.objects.count(), Task.objects.count(), CheckIn.objects.count())
    assert demo.seed() is False
    assert (Goal.objects.count(), Task.objects.count(), CheckIn.objects.count()) == counts


def test_acmes_confidential_goal_is_seen_by_the_deal_team_only(seeded):
    acme = seeded["acme"]
    secret = Goal.objects.get(organization=acme, confidential=True)
    assert secret.title == demo.CONFIDENTIAL_GOAL.title
    members = {m.user.email: m for m in Membership.objects.filter(organization=acme)}
    for email in ("admin@acme.example", "lead@acme.example", "ola@acme.example"):
        assert is_visible(secret, members[email]), email
    for email in ("planner@acme.example", "viewer@acme.example", "sam@acme.example"):
        assert not is_visible(secret, members[email]), email
    assert secret.owner == members["lead@acme.example"]
    work = Task.objects.filter(goal=secret)
    assert work.count() == 4
    assert set(work.exclude(assignee=None).values_list("assignee__user__email", flat=True)) <= {
        "ola@acme.example"
    }
    assert can_change(secret, members["ola@acme.example"])
