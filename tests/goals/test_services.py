"""Goal, outcome and check-in services: numbering, history, the tree's shape, and how a goal's
changes reach the work under it (stranded at once, suspect after a material change)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from goals import selectors, services
from goals.models import CheckIn, Goal, GoalEvent, GoalStatus, Outcome, Priority
from tests.builders import make_goal, make_outcome, make_task
from work import gaps
from work import selectors as work_selectors
from work import services as work_services
from work.models import Task, TaskStatus


@pytest.fixture(autouse=True)
def immediate_constraints(db):
    """Check the deferrable composite keys at each statement, so a service that breaks one fails
    here instead of passing inside the test's never-committed transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def stored_rows() -> dict[str, list[tuple]]:
    """Everything the goal services can write, to compare before and after a rejected call."""
    return {
        "goals": list(Goal.objects.order_by("pk").values_list()),
        "outcomes": list(Outcome.objects.order_by("pk").values_list()),
        "check_ins": list(CheckIn.objects.order_by("pk").values_list()),
        "events": list(GoalEvent.objects.order_by("pk").values_list()),
        "tasks": list(Task.objects.order_by("pk").values_list()),
    }


def numbers(condition, org) -> set[int]:
    """Numbers of the organization's tasks that meet a gap condition of work.selectors."""
    return set(Task.objects.filter(condition, organization=org).values_list("number", flat=True))


def suspect(org) -> set[int]:
    return numbers(gaps.SUSPECT, org)


def stranded(org) -> set[int]:
    return numbers(gaps.STRANDED, org)


def reload(goal: Goal) -> Goal:
    return Goal.objects.get(pk=goal.pk)


# Numbers


def test_goal_and_outcome_numbers_count_per_organization(org, lead, other_org, outsider):
    first = make_goal(org, lead, "Grow revenue")
    second = make_goal(org, lead, "Cut churn")
    theirs = make_goal(other_org, outsider, "Their goal")
    assert (first.key, second.key, theirs.key) == ("G-1", "G-2", "G-1")
    assert make_outcome(org, lead, first).key == "O-1"
    assert make_outcome(org, lead, second).key == "O-2"
    assert make_outcome(other_org, outsider, theirs).key == "O-1"


def test_a_deleted_goals_number_is_never_given_again(org, lead):
    make_goal(org, lead, "First")
    second = make_goal(org, lead, "Second")
    work_services.goal_delete(organization=org, actor=lead, goal=second)
    assert make_goal(org, lead, "Third").key == "G-3"


# Creating goals


def test_goal_create_records_who_created_it(org, lead):
    goal = make_goal(org, lead, "  Grow revenue  ", status=GoalStatus.DRAFT)
    assert goal.title == "Grow revenue"
    assert goal.activated_at is None
    event = GoalEvent.objects.get(goal=goal)
    assert (event.kind, event.actor, event.summary) == (GoalEvent.Kind.CREATED, lead, goal.title)


def test_an_active_goal_starts_its_grace_period_when_created(org, lead):
    goal = make_goal(org, lead, status=GoalStatus.ACTIVE)
    assert goal.activated_at is not None


def test_a_goal_can_sit_under_a_parent_with_an_owner_and_period(org, lead, membership_of):
    parent = make_goal(org, lead, "Company objective", priority=Priority.P1)
    child = make_goal(
        org,
        lead,
        "Team goal",
        parent=parent,
        owner=membership_of(lead, org),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 3, 31),
    )
    child = reload(child)
    assert child.parent == parent
    assert child.owner == membership_of(lead, org)
    assert child.period_label == "1 Jan 2025 – 31 Mar 2025"


def test_a_goal_cannot_have_a_parent_or_owner_of_another_organization(
    org, lead, other_org, outsider, membership_of
):
    their_goal = make_goal(other_org, outsider, "Theirs")
    before = stored_rows()
    with pytest.raises(ValidationError) as parent_error:
        make_goal(org, lead, "Ours", parent=their_goal)
    with pytest.raises(ValidationError) as owner_error:
        make_goal(org, lead, "Ours", owner=membership_of(outsider, other_org))
    assert "parent" in parent_error.value.message_dict
    assert "owner" in owner_error.value.message_dict
    assert stored_rows() == before


def test_a_period_cannot_end_before_it_starts(org, lead):
    with pytest.raises(ValidationError) as error:
        make_goal(org, lead, start_date=date(2025, 4, 1), end_date=date(2025, 3, 31))
    assert "end_date" in error.value.message_dict
    one_day = make_goal(org, lead, start_date=date(2025, 4, 1), end_date=date(2025, 4, 1))
    assert one_day.start_date == one_day.end_date
    assert Goal.objects.count() == 1


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"title": "   "}, "title"),
        ({"priority": 5}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"status": "paused"}, "status"),
    ],
)
def test_goal_create_rejects_bad_input_as_a_form_error(org, lead, kwargs, field):
    args = {"title": "Grow revenue", **kwargs}
    with pytest.raises(ValidationError) as error:
        services.goal_create(organization=org, actor=lead, **args)
    assert field in error.value.message_dict
    assert not Goal.objects.exists()


# Updating goals: history


def test_goal_update_records_who_changed_which_fields_from_what_to_what(
    org, lead, planner, membership_of
):
    goal = make_goal(org, lead, "Grow revenue", priority=Priority.P2)
    services.goal_update(
        organization=org,
        actor=planner,
        goal=goal,
        title="Grow recurring revenue",
        priority=Priority.P1,
        owner=membership_of(planner, org),
        end_date=date(2025, 6, 30),
        description="",
    )
    event = GoalEvent.objects.filter(goal=goal).latest("pk")
    assert event.kind == GoalEvent.Kind.UPDATED
    assert event.actor == planner
    assert event.changes == {
        "Title": ["Grow revenue", "Grow recurring revenue"],
        "Priority": ["P2", "P1"],
        "Owner": ["—", planner.display_name],
        "End": ["—", "2025-06-30"],
    }
    goal = reload(goal)
    assert (goal.title, goal.priority, goal.end_date) == (
        "Grow recurring revenue",
        Priority.P1,
        date(2025, 6, 30),
    )


def test_an_update_that_changes_nothing_records_nothing(org, lead):
    goal = make_goal(org, lead, "Grow revenue", priority=Priority.P2)
    services.goal_update(
        organization=org, actor=lead, goal=goal, title=" Grow revenue ", priority=Priority.P2
    )
    assert GoalEvent.objects.filter(goal=goal).count() == 1  # "created" only
    assert reload(goal).material_change_at is None


def test_moving_a_goal_records_the_old_and_new_parent(org, lead):
    first = make_goal(org, lead, "First")
    second = make_goal(org, lead, "Second")
    child = make_goal(org, lead, "Child", parent=first)
    services.goal_update(organization=org, actor=lead, goal=child, parent=second)
    assert GoalEvent.objects.filter(goal=child).latest("pk").changes == {"Parent": ["G-1", "G-2"]}
    services.goal_update(organization=org, actor=lead, goal=child, parent=None)
    assert reload(child).parent is None
    assert GoalEvent.objects.filter(goal=child).latest("pk").changes == {"Parent": ["G-2", "—"]}


# Updating goals: the tree's shape and the period


@pytest.mark.parametrize("depth", [0, 1, 2, 4])
def test_a_goal_cannot_move_under_itself_or_its_descendants(org, lead, depth):
    root = make_goal(org, lead, "Root")
    chain = [root]
    for level in range(depth):
        chain.append(make_goal(org, lead, f"Level {level + 1}", parent=chain[-1]))
    before = stored_rows()
    with pytest.raises(ValidationError) as error:
        services.goal_update(organization=org, actor=lead, goal=root, parent=chain[-1])
    assert "parent" in error.value.message_dict
    assert stored_rows() == before


def test_a_goal_can_move_under_a_cousin(org, lead):
    root = make_goal(org, lead, "Root")
    left = make_goal(org, lead, "Left", parent=root)
    right = make_goal(org, lead, "Right", parent=root)
    right_child = make_goal(org, lead, "Right child", parent=right)
    services.goal_update(organization=org, actor=lead, goal=left, parent=right_child)
    assert reload(left).parent == right_child


@pytest.mark.django_db(transaction=True)
def test_two_crossing_moves_at_once_cannot_make_a_cycle(org, lead):
    """A under B and B under A, each fine alone: the second waits for the first, then fails."""
    a = make_goal(org, lead, "A")
    b = make_goal(org, lead, "B")
    first_moved, finish_first = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def move(name: str, goal: Goal, parent: Goal, hold: bool) -> None:
        try:
            with transaction.atomic():
                services.goal_update(organization=org, actor=lead, goal=goal, parent=parent)
                if hold:
                    first_moved.set()
                    finish_first.wait(timeout=10)
            outcome[name] = "moved"
        except ValidationError as error:
            outcome[name] = error.message_dict
        finally:
            connection.close()

    first = threading.Thread(target=move, args=("first", a, b, True))
    second = threading.Thread(target=move, args=("second", b, a, False))
    first.start()
    assert first_moved.wait(timeout=10)
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive(), "the second move should wait for the first to commit"
    finish_first.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert outcome["first"] == "moved"
    assert "parent" in outcome["second"]
    assert (reload(a).parent_id, reload(b).parent_id) == (b.pk, None)


def test_goal_update_keeps_the_organization_of_parent_and_owner(
    org, lead, other_org, outsider, membership_of
):
    goal = make_goal(org, lead, "Ours")
    their_goal = make_goal(other_org, outsider, "Theirs")
    before = stored_rows()
    for fields in ({"parent": their_goal}, {"owner": membership_of(outsider, other_org)}):
        with pytest.raises(ValidationError) as error:
            services.goal_update(organization=org, actor=lead, goal=goal, **fields)
        assert set(fields) <= set(error.value.message_dict)
    assert stored_rows() == before


def test_goal_update_rejects_another_organizations_goal(org, lead, other_org, outsider):
    their_goal = make_goal(other_org, outsider, "Theirs", priority=Priority.P1)
    before = stored_rows()
    with pytest.raises(ValidationError):
        services.goal_update(organization=org, actor=lead, goal=their_goal, priority=Priority.P4)
    assert stored_rows() == before


def test_an_update_cannot_end_the_period_before_its_start(org, lead):
    goal = make_goal(org, lead, start_date=date(2025, 4, 1), end_date=date(2025, 6, 30))
    with pytest.raises(ValidationError):
        services.goal_update(organization=org, actor=lead, goal=goal, end_date=date(2025, 3, 1))
    with pytest.raises(ValidationError):
        services.goal_update(organization=org, actor=lead, goal=goal, start_date=date(2025, 7, 1))
    goal = reload(goal)
    assert (goal.start_date, goal.end_date) == (date(2025, 4, 1), date(2025, 6, 30))


def test_goal_update_rejects_unknown_statuses_and_priorities(org, lead):
    goal = make_goal(org, lead)
    for fields in ({"status": "paused"}, {"priority": 0}, {"title": ""}):
        with pytest.raises(ValidationError):
            services.goal_update(organization=org, actor=lead, goal=goal, **fields)
    assert GoalEvent.objects.filter(goal=goal).count() == 1


# The live graph: stranded and suspect work


@pytest.fixture
def goal_with_work(org, lead, planner):
    """An active P2 goal with one task of each status; returns (goal, {status: task})."""
    goal = make_goal(org, lead, "Grow revenue", priority=Priority.P2)
    tasks = {
        status: make_task(org, planner, goal, f"A {status} task", status=status)
        for status in TaskStatus.values
    }
    return goal, tasks


def live_numbers(tasks: dict[str, Task]) -> set[int]:
    return {t.number for s, t in tasks.items() if s in gaps.LIVE_STATUSES}


def test_leaving_active_strands_live_work_at_once_and_returning_frees_it(org, lead, goal_with_work):
    goal, tasks = goal_with_work
    assert stranded(org) == set()
    for status in (GoalStatus.ON_HOLD, GoalStatus.ACHIEVED, GoalStatus.ABANDONED):
        services.goal_update(organization=org, actor=lead, goal=goal, status=status)
        assert stranded(org) == live_numbers(tasks), status
    services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ACTIVE)
    assert stranded(org) == set()


def test_returning_to_active_restarts_the_grace_period(org, lead):
    goal = make_goal(org, lead)
    first_activation = goal.activated_at
    services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    assert reload(goal).activated_at == first_activation
    services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ACTIVE)
    assert reload(goal).activated_at > first_activation


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"priority": Priority.P3}, "priority lowered P2 → P3"),
        ({"status": GoalStatus.ON_HOLD}, "status Active → On hold"),
        ({"title": "Grow revenue in Europe"}, "title changed"),
    ],
)
def test_a_material_change_makes_live_links_suspect(org, lead, goal_with_work, fields, reason):
    goal, tasks = goal_with_work
    services.goal_update(organization=org, actor=lead, goal=goal, **fields)
    assert suspect(org) == live_numbers(tasks)
    goal = reload(goal)
    assert goal.material_change == reason
    assert GoalEvent.objects.filter(goal=goal).latest("pk").summary == reason


@pytest.mark.parametrize(
    "fields",
    [
        {"priority": Priority.P1},
        {"description": "Now with a longer explanation."},
        {"end_date": date(2030, 12, 31)},
    ],
)
def test_raising_priority_or_editing_details_leaves_links_alone(org, lead, goal_with_work, fields):
    goal, _ = goal_with_work
    services.goal_update(organization=org, actor=lead, goal=goal, **fields)
    assert suspect(org) == set()
    assert reload(goal).material_change_at is None


def test_changing_an_outcomes_target_makes_its_goals_live_links_suspect(org, lead, goal_with_work):
    goal, tasks = goal_with_work
    outcome = make_outcome(org, lead, goal, baseline="100", target="200")
    services.outcome_update(organization=org, actor=lead, outcome=outcome, title="MRR", unit="€")
    assert suspect(org) == set()
    services.outcome_update(organization=org, actor=lead, outcome=outcome, target=Decimal("250"))
    assert suspect(org) == live_numbers(tasks)
    assert reload(goal).material_change == f"{outcome.key} target 200.00 → 250"
    event = GoalEvent.objects.filter(goal=goal).latest("pk")
    assert event.kind == GoalEvent.Kind.OUTCOME_UPDATED
    assert event.changes == {f"{outcome.key} Target": ["200.00", "250"]}


def test_work_created_after_a_material_change_is_not_suspect(org, lead, planner):
    goal = make_goal(org, lead, priority=Priority.P1)
    services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P3)
    make_task(org, planner, goal)
    assert suspect(org) == set()


def test_finished_and_cancelled_work_is_never_stranded_or_suspect(org, lead, planner):
    goal = make_goal(org, lead)
    done = make_task(org, planner, goal, status=TaskStatus.DONE)
    cancelled = make_task(org, planner, goal, status=TaskStatus.CANCELLED)
    services.goal_update(
        organization=org, actor=lead, goal=goal, status=GoalStatus.ABANDONED, title="Gone"
    )
    assert stranded(org) == suspect(org) == set()
    for task in (done, cancelled):
        task = work_selectors.task_get(organization=org, number=task.number, viewer=None)
        assert not task.is_stranded and not task.is_suspect


def test_a_change_to_one_goal_leaves_other_goals_work_alone(org, lead, planner):
    changed = make_goal(org, lead, "Changed")
    other = make_goal(org, lead, "Other")
    child = make_goal(org, lead, "Child of changed", parent=changed)
    for goal in (changed, other, child):
        make_task(org, planner, goal)
    services.goal_update(organization=org, actor=lead, goal=changed, status=GoalStatus.ON_HOLD)
    ours = set(Task.objects.filter(goal=changed).values_list("number", flat=True))
    assert stranded(org) == suspect(org) == ours


# Outcomes and check-ins


def test_an_outcome_starts_at_its_baseline_and_is_recorded_on_its_goal(org, lead):
    goal = make_goal(org, lead)
    outcome = make_outcome(org, lead, goal, "Monthly revenue", baseline="100", target="200")
    assert outcome.current == Decimal("100")
    assert outcome.progress == 0
    event = GoalEvent.objects.filter(goal=goal).latest("pk")
    assert (event.kind, event.summary) == (GoalEvent.Kind.OUTCOME_ADDED, "O-1 Monthly revenue")


@pytest.mark.parametrize(
    "baseline, target, direction",
    [("100", "100", "increase"), ("100", "90", "increase"), ("10", "20", "decrease")],
)
def test_an_outcomes_target_lies_in_its_direction(org, lead, baseline, target, direction):
    goal = make_goal(org, lead)
    with pytest.raises(ValidationError) as error:
        make_outcome(org, lead, goal, baseline=baseline, target=target, direction=direction)
    assert "target" in error.value.message_dict
    assert not Outcome.objects.exists()


def test_an_outcome_cannot_be_added_to_another_organizations_goal(org, lead, other_org, outsider):
    their_goal = make_goal(other_org, outsider)
    before = stored_rows()
    with pytest.raises(ValidationError):
        make_outcome(org, lead, their_goal)
    assert stored_rows() == before


def test_outcome_update_rejects_another_organizations_outcome(org, lead, other_org, outsider):
    their_outcome = make_outcome(other_org, outsider, make_goal(other_org, outsider))
    before = stored_rows()
    with pytest.raises(ValidationError):
        services.outcome_update(
            organization=org, actor=lead, outcome=their_outcome, target=Decimal("999")
        )
    assert stored_rows() == before


def test_outcome_update_keeps_the_target_beyond_the_baseline(org, lead):
    outcome = make_outcome(org, lead, make_goal(org, lead), baseline="100", target="200")
    with pytest.raises(ValidationError):
        services.outcome_update(organization=org, actor=lead, outcome=outcome, target=Decimal(50))
    assert Outcome.objects.get(pk=outcome.pk).target == Decimal("200")


def test_a_check_in_moves_the_outcome_and_keeps_the_previous_value(org, lead, planner):
    goal = make_goal(org, lead)
    outcome = make_outcome(org, lead, goal, baseline="100", target="200")
    first = services.check_in_create(
        organization=org, actor=planner, outcome=outcome, value=Decimal("130"), note="Q1 deals"
    )
    second = services.check_in_create(
        organization=org,
        actor=planner,
        outcome=outcome,
        value=Decimal("150"),
        checked_on=date(2025, 5, 2),
    )
    assert (first.previous_value, first.value, first.author) == (100, 130, planner)
    assert (second.previous_value, second.checked_on) == (130, date(2025, 5, 2))
    outcome = Outcome.objects.get(pk=outcome.pk)
    assert (outcome.current, outcome.progress) == (150, 50)
    event = GoalEvent.objects.filter(goal=goal, kind=GoalEvent.Kind.CHECK_IN).earliest("pk")
    assert event.changes == {"O-1 value": ["100.00", "130"]}
    assert (event.actor, event.summary) == (planner, "Q1 deals")


def test_a_check_in_of_another_organizations_outcome_is_rejected(org, planner, other_org, outsider):
    their_outcome = make_outcome(other_org, outsider, make_goal(other_org, outsider))
    before = stored_rows()
    with pytest.raises(ValidationError):
        services.check_in_create(
            organization=org, actor=planner, outcome=their_outcome, value=Decimal("150")
        )
    assert stored_rows() == before


# Deleting


def test_deleting_a_goal_moves_its_sub_goals_up_with_history(org, lead):
    root = make_goal(org, lead, "Root")
    middle = make_goal(org, lead, "Middle", parent=root)
    children = [make_goal(org, lead, f"Child {n}", parent=middle) for n in (1, 2)]
    services.goal_delete_detached(organization=org, actor=lead, goal=middle)
    assert not Goal.objects.filter(pk=middle.pk).exists()
    for child in children:
        assert reload(child).parent == root
        event = GoalEvent.objects.filter(goal=child).latest("pk")
        assert (event.actor, event.changes) == (lead, {"Parent": ["G-2", "G-1"]})


def test_deleting_a_root_goal_makes_its_sub_goals_roots(org, lead):
    root = make_goal(org, lead, "Root")
    child = make_goal(org, lead, "Child", parent=root)
    services.goal_delete_detached(organization=org, actor=lead, goal=root)
    assert reload(child).parent is None


def test_a_goal_of_another_organization_cannot_be_deleted(org, lead, other_org, outsider):
    their_goal = make_goal(other_org, outsider)
    make_goal(other_org, outsider, "Their child", parent=their_goal)
    before = stored_rows()
    with pytest.raises(ValidationError):
        services.goal_delete_detached(organization=org, actor=lead, goal=their_goal)
    assert stored_rows() == before


def test_history_survives_in_order_with_its_actors(org, lead, planner):
    goal = make_goal(org, lead)
    services.goal_update(organization=org, actor=planner, goal=goal, priority=Priority.P4)
    services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P1)
    kinds = [
        (e.kind, e.actor, e.changes.get("Priority"))
        for e in GoalEvent.objects.filter(goal=goal).order_by("pk")
    ]
    assert kinds == [
        (GoalEvent.Kind.CREATED, lead, None),
        (GoalEvent.Kind.UPDATED, planner, ["P2", "P4"]),
        (GoalEvent.Kind.UPDATED, lead, ["P4", "P1"]),
    ]
    # The goal page shows it newest first.
    assert [e.actor for e in selectors.goal_history(goal=goal)] == [lead, planner, lead]
