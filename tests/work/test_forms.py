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
    # the assignee is typed; its suggestions come from the members' picker as they type
    html = str(form["assignee"])
    assert html.startswith('<input type="text" name="assignee" autocomplete="off"')
    assert 'list="goal-1-task-assignee-options"' in html
    assert '<datalist id="goal-1-task-assignee-options"></datalist>' in html
    assert 'hx-get="/o/acme/work/pick/members/?field=assignee"' in html


def test_the_goal_task_form_rejects_another_organizations_outcome_and_member(org, goal, foreign):
    form = GoalTaskForm(
        {"title": "x", "estimate": "1", "outcome": foreign["outcome"].pk},
        organization=org,
        goal=goal,
    )
    assert INVALID in errors_of(form, "outcome")
    for named in ("admin@globex.test", "Someone <admin@globex.test>", str(foreign["member"].pk)):
        form = GoalTaskForm(
            {"title": "x", "estimate": "1", "assignee": named}, organization=org, goal=goal
        )
        assert INVALID in errors_of(form, "assignee"), named


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
            "assignee": "planner@acme.test",
            "estimate": "3",
            "due_date": "2030-02-01",
        },
        organization=org,
        goal=goal,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["outcome"] == outcome
    assert form.cleaned_data["assignee"] == membership_of(planner, org)
    # shown again as typed
    assert 'value="planner@acme.test"' in str(form["assignee"])


def test_quick_add_requires_a_goal_unless_the_organization_allows_goalless_work(org, goal):
    form = QuickAddForm({"title": "Loose end", "estimate": "1"}, organization=org, viewer=None)
    assert errors_of(form, "goal") == CHOOSE_GOAL
    org.allow_goalless_work = True
    form = QuickAddForm({"title": "Loose end", "estimate": "1"}, organization=org, viewer=None)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["goal"] is None


def test_quick_add_offers_active_goals_of_the_organization_only(org, lead, goal, foreign):
    paused = make_goal(org, lead, "Paused", status=GoalStatus.ON_HOLD)
    form = QuickAddForm(organization=org, viewer=None)
    assert list(form.fields["goal"].queryset) == [goal]
    assert 'hx-get="/o/acme/work/pick/goals/?active=1&amp;field=goal"' in str(form["goal"])
    for named in (paused.key, "Their goal", "G-99"):
        form = QuickAddForm(
            {"title": "x", "estimate": "1", "goal": named}, organization=org, viewer=None
        )
        assert INVALID in errors_of(form, "goal"), named


@pytest.mark.parametrize(
    "typed", ["G-1", "g1", "1", " G-1 Grow revenue ", "G-1 as the list wrote it", "grow REVENUE"]
)
def test_a_goal_is_named_by_its_key_or_its_title(org, goal, other_goal, typed):
    form = QuickAddForm(
        {"title": "x", "estimate": "1", "goal": typed}, organization=org, viewer=None
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["goal"] == goal


def test_a_title_two_goals_share_asks_for_the_key(org, lead, goal):
    make_goal(org, lead, "Grow revenue")
    form = QuickAddForm(
        {"title": "x", "estimate": "1", "goal": "Grow revenue"}, organization=org, viewer=None
    )
    assert "Several goals are called “Grow revenue”" in errors_of(form, "goal")


@pytest.mark.parametrize("typed", ["x" * 5000, "G-1\x00", "G-99999999999999999999", "<b>G-1</b>"])
def test_junk_in_a_picker_is_a_form_error(org, goal, typed):
    form = QuickAddForm(
        {"title": "x", "estimate": "1", "goal": typed}, organization=org, viewer=None
    )
    assert INVALID in errors_of(form, "goal")


def test_the_edit_form_limits_outcomes_to_the_tasks_goal(org, lead, planner, goal, other_goal):
    ours = make_outcome(org, lead, goal, "Ours")
    theirs = make_outcome(org, lead, other_goal, "Another goal's")
    task = task_get(organization=org, number=make_task(org, planner, goal).number, viewer=None)
    form = TaskEditForm(
        {"title": "x", "estimate": "1", "outcome": theirs.pk}, organization=org, task=task
    )
    assert INVALID in errors_of(form, "outcome")
    assert list(TaskEditForm(organization=org, task=task).fields["outcome"].queryset) == [ours]


def test_the_edit_form_of_orphaned_work_offers_no_outcome(org, lead, planner, goal):
    org.allow_goalless_work = True
    make_outcome(org, lead, goal)
    task = make_task(org, planner, None, origin="quick_add")
    form = TaskEditForm(
        organization=org, task=task_get(organization=org, number=task.number, viewer=None)
    )
    assert list(form.fields["outcome"].queryset) == []


def test_the_move_form_rejects_another_organizations_goal_and_outcome(org, planner, goal, foreign):
    task = task_get(organization=org, number=make_task(org, planner, goal).number, viewer=None)
    form = TaskMoveForm(
        {"to_goal": "Their goal", "outcome": foreign["outcome"].key, "reason": "r"},
        organization=org,
        viewer=None,
        task=task,
    )
    assert INVALID in errors_of(form, "to_goal")
    assert INVALID in errors_of(form, "outcome")


def test_the_move_form_wants_an_outcome_of_the_destination_and_a_reason(
    org, lead, planner, goal, other_goal
):
    here = make_outcome(org, lead, goal, "Here")
    there = make_outcome(org, lead, other_goal, "There")
    task = task_get(organization=org, number=make_task(org, planner, goal).number, viewer=None)
    form = TaskMoveForm(
        {"to_goal": other_goal.key, "outcome": here.key, "reason": ""},
        organization=org,
        viewer=None,
        task=task,
    )
    assert errors_of(form, "outcome") == "Choose an outcome of the goal the work moves to."
    assert errors_of(form, "reason") == "Say why the work moves."
    for named in (there.key, "O-2 There", "there"):
        form = TaskMoveForm(
            {"to_goal": f"{other_goal.key} {other_goal.title}", "outcome": named, "reason": "Fit"},
            organization=org,
            viewer=None,
            task=task,
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["outcome"] == there


def test_an_outcome_title_is_read_among_the_outcomes_of_the_goal_it_moves_to(
    org, lead, planner, goal, other_goal
):
    make_outcome(org, lead, goal, "Monthly revenue")
    theirs = make_outcome(org, lead, other_goal, "Monthly revenue")
    task = task_get(organization=org, number=make_task(org, planner, goal).number, viewer=None)
    form = TaskMoveForm(
        {"to_goal": other_goal.key, "outcome": "monthly revenue", "reason": "Fit"},
        organization=org,
        viewer=None,
        task=task,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["outcome"] == theirs


def test_the_move_form_does_not_offer_the_current_goal(org, planner, goal, other_goal):
    task = task_get(organization=org, number=make_task(org, planner, goal).number, viewer=None)
    form = TaskMoveForm(organization=org, viewer=None, task=task)
    assert list(form.fields["to_goal"].queryset) == [other_goal]
    assert f"/o/acme/work/pick/goals/?exclude={goal.number}&amp;field=to_goal" in str(
        form["to_goal"]
    )
    form = TaskMoveForm(
        {"to_goal": goal.key, "reason": "r"}, organization=org, viewer=None, task=task
    )
    assert INVALID in errors_of(form, "to_goal")


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
        viewer=None,
    )
    filters = form.filters()
    assert (filters.goal, filters.status, filters.gap, filters.search) == (
        goal,
        "live",
        "suspect",
        "launch",
    )
    form = WorkFilterForm(
        {"assignee": "admin@globex.test", "status": "live", "gap": "lost"},
        organization=org,
        viewer=None,
    )
    filters = form.filters()
    assert filters.assignee is None and filters.gap == "" and filters.status == "live"
    assert INVALID in form.errors["assignee"][0]
