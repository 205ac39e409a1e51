"""The demo loads the strategy its docstring promises (the numbers below are copied from it),
once, quickly, with each organization's data kept to itself, and tells the story of a quarter:
twelve weeks of history and daily snapshots, as of week 10.

The tests only read the demo: it is loaded once for the module (its statements checked like a
test's) and rolled back after the last test."""

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals import selectors as goal_selectors
from goals.models import CheckIn, Goal, GoalEvent, GoalStatus, Outcome, outcome_progress
from goals.visibility import can_change, is_visible
from tests import tenant_sql
from traceability.clock import local_date, organization_tz
from traceability.models import Flag, FlagKind, Resolution, Snapshot
from traceability.selectors import coverage_figures
from vindaris import demo
from vindaris.tenancy.models import Membership, Organization
from work import gaps
from work.models import LIVE, CheckInCredit, Origin, Task, TaskEvent, TaskStatus


@dataclass(frozen=True)
class Load:
    statements: int


@pytest.fixture(scope="module")
def demo_load(django_db_setup, django_db_blocker) -> Iterator[Load]:
    """The demo, loaded once in a transaction that is rolled back after the module's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        tenant_sql.forget()
        with CaptureQueriesContext(connection) as queries:
            assert demo.seed() is True
        unpinned = tenant_sql.recorded()
        tenant_sql.forget()
        assert not unpinned, f"statements not pinned to one organization: {unpinned[:3]}"
        yield Load(statements=len(queries))
        transaction.set_rollback(True)


@pytest.fixture
def seeded(db, demo_load) -> dict[str, Organization]:
    return {o.slug: o for o in Organization.objects.filter(slug__in=["acme", "globex"])}


def test_the_demo_loads_in_a_few_thousand_statements(db, demo_load):
    # Twelve weeks replayed through the services, a reconcile after each act that may open or
    # close a gap and a snapshot a day (which records the scorecard too): a few thousand
    # statements, about 3 s on a quiet machine. The count is what is held: a wall-clock limit
    # fails on a busy machine, not on a slower demo.
    assert demo_load.statements < 5000


def gap(condition, org: Organization) -> int:
    return Task.objects.filter(condition, organization=org).count()


def starved(org: Organization) -> list[str]:
    """Active goals with no live task on an active goal in their subtree, active for longer
    than the grace (stranded work covers nothing)."""
    past_grace = timezone.now() - timedelta(days=org.starved_grace_days)
    titles = []
    for goal in Goal.objects.filter(organization=org, status=GoalStatus.ACTIVE):
        subtree = goal_selectors.subtree_ids(goal=goal)
        live = Task.objects.filter(
            LIVE, organization=org, goal_id__in=subtree, goal__status=GoalStatus.ACTIVE
        ).exists()
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
    # Status changes went through the service, so the history shows them: every task that
    # moved on has status rows, the last of which leads to where it stands.
    for task in tasks.exclude(status=TaskStatus.TODO):
        changes = TaskEvent.objects.filter(organization=acme, task=task, kind="status")
        assert changes.order_by("-created_at", "-id").first().to_status == task.status, task
    assert not TaskEvent.objects.filter(
        organization=acme, kind="status", task__status=TaskStatus.TODO
    ).exists()


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


# The quarter the demo tells -------------------------------------------------------------------


def today_of(org: Organization) -> date:
    return local_date(org, timezone.now())


def snapshots_of(org: Organization) -> list[Snapshot]:
    return list(Snapshot.objects.filter(organization=org).order_by("date"))


def day_of(org: Organization, moment: datetime) -> date:
    return local_date(org, moment)


def test_the_demo_is_week_ten_of_a_thirteen_week_quarter(seeded):
    for org in seeded.values():
        today = today_of(org)
        team_goals = Goal.objects.filter(organization=org, parent__isnull=False)
        assert {(g.start_date, g.end_date) for g in team_goals} == {
            (team_goals[0].start_date, team_goals[0].end_date)
        }
        start, end = team_goals[0].start_date, team_goals[0].end_date
        assert start.weekday() == 0
        assert (end - start).days + 1 == 13 * 7
        assert (today - start).days // 7 + 1 == 10
        for objective in Goal.objects.filter(organization=org, parent=None):
            assert objective.start_date == start
            assert (objective.end_date - start).days + 1 == 26 * 7


def test_each_organization_has_twelve_weeks_of_daily_snapshots_ending_today(seeded):
    for org in seeded.values():
        today = today_of(org)
        dates = [s.date for s in snapshots_of(org)]
        assert dates == [today - timedelta(days=83 - n) for n in range(84)]


def test_todays_snapshot_equals_the_live_coverage_figures(seeded):
    for org in seeded.values():
        snapshot = Snapshot.objects.get(organization=org, date=today_of(org))
        figures = coverage_figures(organization=org, now=timezone.now())
        everything, public = figures.everything, figures.public
        assert (
            snapshot.linked_effort,
            snapshot.live_effort,
            snapshot.linked_ratio,
            snapshot.orphaned,
            snapshot.stranded,
            snapshot.suspect,
            snapshot.starved,
            snapshot.goal_effort,
        ) == (
            everything.linked_effort,
            everything.live_effort,
            everything.linked_ratio,
            everything.orphaned,
            everything.stranded,
            everything.suspect,
            everything.starved,
            figures.goal_effort,
        )
        assert (
            snapshot.public_linked_effort,
            snapshot.public_live_effort,
            snapshot.public_linked_ratio,
            snapshot.public_stranded,
            snapshot.public_suspect,
            snapshot.public_starved,
        ) == (
            public.linked_effort,
            public.live_effort,
            public.linked_ratio,
            public.stranded,
            public.suspect,
            public.starved,
        )


def test_acmes_trend_moves_with_its_story(seeded):
    acme = seeded["acme"]
    snapshots = snapshots_of(acme)
    by_day = {s.date: s for s in snapshots}
    ratios = [s.linked_ratio for s in snapshots]
    # Not flat: it moves most days, dips now and then, and ends higher than it began.
    assert None not in ratios
    assert len(set(ratios)) > 20
    assert sum(1 for a, b in itertools.pairwise(ratios) if b < a) >= 3
    assert sum(ratios[-7:]) / 7 > sum(ratios[:7]) / 7
    # Day one: the imported backlog (two tasks) is the only orphaned work.
    assert snapshots[0].orphaned == 2
    assert snapshots[-1].orphaned == 5

    on_hold = Goal.objects.get(organization=acme, title="Win back churned accounts")
    held = day_of(
        acme, GoalEvent.objects.get(organization=acme, goal=on_hold, kind="updated").created_at
    )
    kept = day_of(acme, TaskEvent.objects.get(organization=acme, kind="kept").created_at)
    assert (held - on_hold.start_date).days // 7 + 1 == 6  # put on hold in week 6
    assert all(s.stranded == 0 for s in snapshots if s.date < held)
    # Its live work (3 + 3 + 1 + 2 + 5 points) stopped counting as linked the day it was held.
    before = by_day[held - timedelta(days=1)]
    unlinked = by_day[held].live_effort - by_day[held].linked_effort
    assert unlinked - (before.live_effort - before.linked_effort) == 14
    assert by_day[held].linked_ratio < before.linked_ratio
    # Five stranded tasks, one of them kept a few days later: four from then on.
    assert all(s.stranded == 5 for s in snapshots if held <= s.date < kept)
    assert all(s.stranded == 4 for s in snapshots if s.date >= kept)

    lowered = Goal.objects.get(organization=acme, title="Rewrite the help center")
    lowered_on = day_of(
        acme, GoalEvent.objects.get(organization=acme, goal=lowered, kind="updated").created_at
    )
    # Before: the four held tasks not kept; from then on, the help center's six live tasks too.
    assert by_day[lowered_on - timedelta(days=1)].suspect == 4
    assert all(s.suspect == 10 for s in snapshots if s.date >= lowered_on)


def test_history_spans_the_quarter_a_few_rows_a_minute(seeded):
    for org in seeded.values():
        moments = [
            *TaskEvent.objects.filter(organization=org).values_list("created_at", flat=True),
            *GoalEvent.objects.filter(organization=org).values_list("created_at", flat=True),
        ]
        assert max(moments) - min(moments) > timedelta(weeks=8)
        # Nothing carries the minute of the seed: the story's last acts were yesterday.
        assert all(day_of(org, m) < today_of(org) for m in moments)
        per_minute = Counter(m.replace(second=0, microsecond=0) for m in moments)
        assert max(per_minute.values()) <= 3
    acme = seeded["acme"]
    task_moments = TaskEvent.objects.filter(organization=acme).values_list("created_at", flat=True)
    days = {day_of(acme, m) for m in task_moments}
    assert len(days) > 40
    # Work happens on working days (but for the set-up, whatever day the story began on).
    first = today_of(acme) - timedelta(days=83)
    assert all(day.weekday() < 5 for day in days if day > first + timedelta(days=1))


def test_nothing_is_stamped_with_the_time_of_the_seed(seeded):
    for org in seeded.values():
        midnight = datetime.combine(today_of(org), datetime.min.time(), organization_tz(org))
        for model, fields in (
            (Goal, ("created_at", "updated_at", "activated_at", "material_change_at")),
            (Outcome, ("created_at", "updated_at")),
            (CheckIn, ("created_at",)),
            (Task, ("created_at", "updated_at", "link_confirmed_at")),
        ):
            for name in fields:
                late = model.objects.filter(organization=org, **{f"{name}__gte": midnight})
                assert not late.exists(), f"{model.__name__}.{name}"
        # Flags too, but for those the reconciler raised as today's snapshot was taken.
        assert not Flag.objects.filter(
            organization=org,
            raised_at__gte=midnight,
            raised_at__lt=timezone.now() - timedelta(minutes=5),
        ).exists()


def test_goals_were_set_up_early_and_the_confidential_one_mid_quarter(seeded):
    for org in seeded.values():
        today = today_of(org)
        for goal in Goal.objects.filter(organization=org):
            age = (today - day_of(org, goal.created_at)).days
            if goal.confidential:
                assert 5 * 7 <= age < 7 * 7, goal
            else:
                assert age >= 9 * 7, goal
            # Active since it was set up, or since it was last made active again.
            activations = [goal.created_at] + [
                e.created_at
                for e in GoalEvent.objects.filter(organization=org, goal=goal, kind="updated")
                if e.changes.get("Status", [None, None])[1] == "Active"
            ]
            assert goal.activated_at == max(activations), goal


def test_globexs_trend_dips_while_its_office_waited(seeded):
    globex = seeded["globex"]
    office = Goal.objects.get(organization=globex, title="Fit out the office")
    held, resumed = (
        day_of(globex, e.created_at)
        for e in GoalEvent.objects.filter(organization=globex, goal=office, kind="updated")
        .exclude(changes={})
        .order_by("created_at")
    )
    snapshots = snapshots_of(globex)
    # Globex captures no work without a goal: all of its live work is linked, but the office's
    # while it was on hold.
    assert all(s.orphaned == 0 for s in snapshots)
    waiting = [s for s in snapshots if held <= s.date < resumed]
    assert len(waiting) >= 5
    assert all(s.stranded > 0 and s.linked_ratio < 1 for s in waiting)
    assert all(s.linked_ratio == 1 for s in snapshots if s.live_effort and s.date < held)
    assert all(s.linked_ratio == 1 and s.stranded == 0 for s in snapshots if s.date >= resumed)
    assert snapshots[-1].suspect == 0


def test_check_ins_come_about_weekly_moving_towards_their_targets(seeded):
    acme = seeded["acme"]
    check_ins = CheckIn.objects.filter(organization=acme).select_related("outcome")
    weeks = {c.checked_on.isocalendar()[:2] for c in check_ins}
    assert len(weeks) >= 9
    by_outcome: dict[int, list[CheckIn]] = {}
    for check_in in check_ins.order_by("created_at"):
        assert day_of(acme, check_in.created_at) == check_in.checked_on
        by_outcome.setdefault(check_in.outcome_id, []).append(check_in)
    assert len(by_outcome) == 11
    assert max(len(c) for c in by_outcome.values()) >= 8
    for series in by_outcome.values():
        outcome = series[0].outcome
        progress = [outcome_progress(outcome.baseline, outcome.target, c.value) for c in series]
        assert progress == sorted(progress), outcome
        for a, b in itertools.pairwise(series):
            assert (b.checked_on - a.checked_on).days >= 3, outcome
            assert b.previous_value == a.value
    # Each credit names work finished before the check-in.
    for credit in CheckInCredit.objects.filter(organization=acme).select_related(
        "check_in", "task"
    ):
        done = TaskEvent.objects.get(
            organization=acme, task=credit.task, kind="status", to_status=TaskStatus.DONE
        )
        assert done.created_at < credit.check_in.created_at


def test_retrofitted_work_was_captured_without_a_goal_and_linked_later(seeded):
    acme = seeded["acme"]
    retrofitted = Task.objects.filter(
        organization=acme, origin=Origin.QUICK_ADD, goal__isnull=False
    ).order_by("title")
    assert [t.title for t in retrofitted] == [
        "Checkout analytics events",
        "Delete unused disk snapshots",
        "Fix the confusing empty states",
        "Lazy-load charts",
        "Sponsor a Berlin SaaS meetup",
    ]
    for task in retrofitted:
        events = list(TaskEvent.objects.filter(organization=acme, task=task).order_by("created_at"))
        assert (events[0].kind, events[0].to_goal_id) == ("created", None)
        linked = [e for e in events if e.kind == "moved"]
        assert [(e.from_goal_id, e.to_goal_id) for e in linked] == [(None, task.goal_id)]
        assert day_of(acme, linked[0].created_at) > day_of(acme, events[0].created_at)
        # The orphaned flag was raised when it was captured and resolved when it was linked.
        flag = Flag.objects.get(organization=acme, task=task, kind=FlagKind.ORPHANED)
        assert timedelta(0) <= flag.raised_at - events[0].created_at < timedelta(minutes=1)
        assert timedelta(0) <= flag.resolved_at - linked[0].created_at < timedelta(minutes=1)
        assert flag.resolution == Resolution.MOVED
    # Work moved from one goal to another, too.
    moved = TaskEvent.objects.filter(organization=acme, kind="moved", from_goal__isnull=False)
    assert sorted(moved.values_list("task__title", flat=True)) == [
        "Localize invoices",
        "Tours in German",
    ]


def test_flags_have_ages_and_resolutions(seeded):
    acme = seeded["acme"]
    now = timezone.now()
    flags = Flag.objects.filter(organization=acme)
    open_ages = [(now - f.raised_at).days for f in flags.filter(resolved_at=None)]
    assert max(open_ages) > 14 and min(open_ages) < 7
    assert len({age // 7 for age in open_ages}) >= 4
    resolved = set(flags.exclude(resolved_at=None).values_list("resolution", flat=True))
    assert {Resolution.MOVED, Resolution.CONFIRMED, Resolution.KEPT} <= resolved
    # The starved goal has gone without live work for weeks.
    starved_flag = flags.get(kind=FlagKind.STARVED, resolved_at=None)
    assert starved_flag.goal.title == "Fix the accessibility audit findings"
    assert now - starved_flag.raised_at > timedelta(weeks=5)
    # The cloud goal's raised target made its live work suspect; Ola confirmed each link.
    cloud = Goal.objects.get(organization=acme, title="Halve cloud spend per customer")
    assert cloud.material_change.endswith("target 25.00 → 21")
    suspect = flags.filter(kind=FlagKind.SUSPECT, task__goal=cloud)
    assert Resolution.CONFIRMED in set(suspect.values_list("resolution", flat=True))
    assert not suspect.filter(resolved_at=None).exists()
    for flag in flags.exclude(resolved_at=None):
        assert flag.raised_at < flag.resolved_at
