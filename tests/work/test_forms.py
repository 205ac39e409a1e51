"""Work forms list only the organization's objects: another organization's ids are not choices."""

import pytest

from goals.models import GoalStatus
from tests.builders import make_goal, make_outcome, make_task
from work.forms import (
    CHOOSE_GOAL,
    CheckInForm,
    GoalTaskForm,
    QuickAddForm,
    TaskEditForm,
    TaskMoveForm,
    WorkFilterForm,
)
from work.selectors import task_get

INVALID = "Select a valid choice"


@pytest.fixture
def goal(org, lead):
    return make_goal(org, lead, "Grow revenue")


@pytest.fixture
def other_goal(org, lead):
    return make_goal(org, lead, "Retain customers")


@pytest.fixture
def foreign(other_org, outsider, membership_of):
    goal = make_goal(other_org, outsider, "Their goal")
    outcome = make_outcome(other_org, outsider, goal, "Their outcome")
    return {
        "goal": goal,
        "outcome": outcome,
        "task": make_task(other_org, outsider, goal, "Their task"),
        "member": membership_of(outsider, other_org),
    }


def errors_of(form, field):
    assert not form.is_valid()
    return " ".join(form.errors.get(field, []))


def test_the_goal_task_form_offers_only_this_goals_outcomes_and_this_organizations_members(
    org, lead, planner, goal, other_goal, foreign, membership_of
):
    ours = make_outcome(org, lead, goal, "Ours")
    make_outcome(org, lead, other_goal, "Another goal's")
    form = GoalTaskForm(organization=org, goal=goal)
    assert list(form.fields["outcome"].queryset) == [ours]
    assert membership_of(planner, org) in form.fields["assignee"].queryset
    assert foreign["member"] not in form.fields["assignee"].queryset


@pytest.mark.parametrize("field", ["outcome", "assignee"])
def test_the_goal_task_form_rejects_another_organizations_ids(org, goal, foreign, field):
    value = foreign["outcome" if field == "outcome" else "member"].pk
    form = GoalTaskForm({"title": "x", "estimate": "1", field: value}, organization=org, goal=goal)
    assert INVALID in errors_of(form, field)


def test_the_goal_task_form_rejects_an_outcome_of_another_goal(org, lead, goal, other_goal):
    theirs = make_outcome(org, lead, other_goal, "Another goal's")
    form = GoalTaskForm(
        {"title": "x", "estimate": "1", "outcome": theirs.pk}, organization=org, goal=goal
    )
    assert INVALID in errors_of(form, "outcome")


def test_the_goal_task_form_accepts_a_complete_task(org, lead, planner, goal, membership_of):
    outcome = make_outcome(org, lead, goal)
    form = GoalTaskForm(
        {
            "title": "Call prospects",
            "outcome": outcome.pk,
            "assignee": membership_of(planner, org).pk,
            "estimate": "3",
            "due_date": "2030-02-01",
        },
        organization=org,
        goal=goal,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["outcome"] == outcome


def test_quick_add_requires_a_goal_unless_the_organization_allows_goalless_work(org, goal):
    form = QuickAddForm({"title": "Loose end", "estimate": "1"}, organization=org)
    assert errors_of(form, "goal") == CHOOSE_GOAL
    org.allow_goalless_work = True
    form = QuickAddForm({"title": "Loose end", "estimate": "1"}, organization=org)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["goal"] is None


def test_quick_add_offers_active_goals_of_the_organization_only(org, lead, goal, foreign):
    make_goal(org, lead, "Paused", status=GoalStatus.ON_HOLD)
    form = QuickAddForm(organization=org)
    assert list(form.fields["goal"].queryset) == [goal]
    form = QuickAddForm(
        {"title": "x", "estimate": "1", "goal": foreign["goal"].pk}, organization=org
    )
    assert INVALID in errors_of(form, "goal")


def test_the_edit_form_limits_outcomes_to_the_tasks_goal(org, lead, planner, goal, other_goal):
    ours = make_outcome(org, lead, goal, "Ours")
    theirs = make_outcome(org, lead, other_goal, "Another goal's")
    task = task_get(organization=org, number=make_task(org, planner, goal).number)
    form = TaskEditForm(
        {"title": "x", "estimate": "1", "outcome": theirs.pk}, organization=org, task=task
    )
    assert INVALID in errors_of(form, "outcome")
    assert list(TaskEditForm(organization=org, task=task).fields["outcome"].queryset) == [ours]


def test_the_edit_form_of_orphaned_work_offers_no_outcome(org, lead, planner, goal):
    org.allow_goalless_work = True
    make_outcome(org, lead, goal)
    task = make_task(org, planner, None, origin="quick_add")
    form = TaskEditForm(organization=org, task=task_get(organization=org, number=task.number))
    assert list(form.fields["outcome"].queryset) == []


def test_the_move_form_rejects_another_organizations_goal_and_outcome(org, planner, goal, foreign):
    task = task_get(organization=org, number=make_task(org, planner, goal).number)
    form = TaskMoveForm(
        {"to_goal": foreign["goal"].pk, "outcome": foreign["outcome"].pk, "reason": "r"},
        organization=org,
        task=task,
    )
    assert INVALID in errors_of(form, "to_goal")
    assert INVALID in errors_of(form, "outcome")


def test_the_move_form_wants_an_outcome_of_the_destination_and_a_reason(
    org, lead, planner, goal, other_goal
):
    here = make_outcome(org, lead, goal, "Here")
    there = make_outcome(org, lead, other_goal, "There")
    task = task_get(organization=org, number=make_task(org, planner, goal).number)
    form = TaskMoveForm(
        {"to_goal": other_goal.pk, "outcome": here.pk, "reason": ""}, organization=org, task=task
    )
    assert errors_of(form, "outcome") == "Choose an outcome of the goal the work moves to."
    assert errors_of(form, "reason") == "Say why the work moves."
    form = TaskMoveForm(
        {"to_goal": other_goal.pk, "outcome": there.pk, "reason": "Better fit"},
        organization=org,
        task=task,
    )
    assert form.is_valid(), form.errors


def test_the_move_form_does_not_offer_the_current_goal(org, planner, goal, other_goal):
    task = task_get(organization=org, number=make_task(org, planner, goal).number)
    assert list(TaskMoveForm(organization=org, task=task).fields["to_goal"].queryset) == [
        other_goal
    ]


def test_a_check_in_credits_only_tasks_of_the_outcomes_goal(
    org, lead, planner, goal, other_goal, foreign
):
    outcome = make_outcome(org, lead, goal)
    ours = make_task(org, planner, goal)
    elsewhere = make_task(org, planner, other_goal)
    for task in (elsewhere, foreign["task"]):
        form = CheckInForm(
            {"value": "150", "credited_tasks": [task.pk]}, goal=goal, outcome=outcome
        )
        assert INVALID in errors_of(form, "credited_tasks")
    form = CheckInForm({"value": "150", "credited_tasks": [ours.pk]}, goal=goal, outcome=outcome)
    assert form.is_valid(), form.errors
    assert form.credited_values() == {str(ours.pk)}


def test_work_filters_name_goals_by_number_and_drop_what_is_not_valid(
    org, planner, goal, foreign, membership_of
):
    form = WorkFilterForm(
        {"goal": str(goal.number), "status": "live", "gap": "suspect", "q": " launch "},
        organization=org,
    )
    filters = form.filters()
    assert (filters.goal, filters.status, filters.gap, filters.search) == (
        goal,
        "live",
        "suspect",
        "launch",
    )
    form = WorkFilterForm(
        {"assignee": foreign["member"].pk, "status": "live", "gap": "lost"}, organization=org
    )
    filters = form.filters()
    assert filters.assignee is None and filters.gap == "" and filters.status == "live"
    assert INVALID in form.errors["assignee"][0]
