from datetime import date
from decimal import Decimal

import pytest

from goals.forms import GoalFilterForm, GoalForm, OutcomeForm, Quarter
from goals.models import Priority
from tests.builders import make_goal, make_outcome

TODAY = date(2026, 11, 5)  # in 2026 Q4


@pytest.fixture
def org_lead(org, lead, membership_of):
    return membership_of(lead, org)


def goal_data(**overrides) -> dict[str, str]:
    return {"title": "Grow revenue", "priority": "2", "status": "draft", **overrides}


# Quarters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_a_quarter_spans_its_three_months(value, start, end):
    quarter = Quarter.parse(value)
    assert quarter is not None
    assert (quarter.start, quarter.end, quarter.value) == (start, end, value)


@pytest.mark.parametrize("value", ["", "2026", "2026-Q0", "2026-Q5", "26-Q1", "0001-Q1", "x"])
def test_anything_else_is_not_a_quarter(value):
    assert Quarter.parse(value) is None


def test_quarters_shift_across_years():
    assert Quarter(2026, 4).shifted(1) == Quarter(2027, 1)
    assert Quarter(2026, 1).shifted(-1) == Quarter(2025, 4)
    assert Quarter(2026, 3).shifted(6) == Quarter(2028, 1)


# Goals -----------------------------------------------------------------------------------------


def test_the_quarter_picks_are_this_quarter_and_the_next_four(org, org_lead):
    form = GoalForm(organization=org, viewer=org_lead, today=TODAY)
    assert form.fields["quarter"].choices == [
        ("", "Custom dates"),
        ("2026-Q4", "2026 Q4"),
        ("2027-Q1", "2027 Q1"),
        ("2027-Q2", "2027 Q2"),
        ("2027-Q3", "2027 Q3"),
        ("2027-Q4", "2027 Q4"),
    ]


def test_a_quarter_pick_sets_the_dates(org, org_lead):
    form = GoalForm(
        goal_data(quarter="2027-Q1", start_date="2020-01-01"),
        organization=org,
        viewer=org_lead,
        today=TODAY,
    )
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["start_date"], form.cleaned_data["end_date"]) == (
        date(2027, 1, 1),
        date(2027, 3, 31),
    )


def test_a_quarter_outside_the_picks_is_rejected(org, org_lead):
    form = GoalForm(goal_data(quarter="2019-Q1"), organization=org, viewer=org_lead, today=TODAY)
    assert not form.is_valid()
    assert "quarter" in form.errors


def test_custom_dates_must_not_end_before_they_start(org, org_lead):
    form = GoalForm(
        goal_data(start_date="2026-06-01", end_date="2026-05-31"),
        organization=org,
        viewer=org_lead,
        today=TODAY,
    )
    assert form.errors == {"end_date": ["The period must end on or after its start."]}


def test_another_organizations_parent_and_owner_are_not_valid_choices(
    org, other_org, outsider, membership_of, org_lead
):
    foreign_goal = make_goal(other_org, outsider, "Globex goal")
    foreign_owner = membership_of(outsider, other_org)
    form = GoalForm(
        goal_data(parent=str(foreign_goal.pk), owner=str(foreign_owner.pk)),
        organization=org,
        viewer=org_lead,
    )
    assert not form.is_valid()
    assert form.errors["parent"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert form.errors["owner"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_only_the_organizations_goals_and_members_are_offered(
    org, other_org, admin, lead, outsider, org_lead
):
    mine = make_goal(org, admin, "Acme goal")
    make_goal(other_org, outsider, "Globex goal")
    form = GoalForm(organization=org, viewer=org_lead)
    assert list(form.fields["parent"].queryset) == [mine]
    assert {m.user for m in form.fields["owner"].queryset} == {admin, lead}


def test_on_edit_the_goal_and_its_subtree_are_no_possible_parents(org, admin, org_lead):
    root = make_goal(org, admin, "Root")
    goal = make_goal(org, admin, "Goal", parent=root)
    child = make_goal(org, admin, "Child", parent=goal)
    make_goal(org, admin, "Grandchild", parent=child)
    sibling = make_goal(org, admin, "Sibling", parent=root)
    form = GoalForm(organization=org, viewer=org_lead, goal=goal)
    assert set(form.fields["parent"].queryset) == {root, sibling}

    form = GoalForm(goal_data(parent=str(child.pk)), organization=org, viewer=org_lead, goal=goal)
    assert not form.is_valid() and "parent" in form.errors


def test_only_changed_fields_are_handed_to_the_service(org, admin, membership_of, org_lead):
    goal = make_goal(org, admin, "Goal", priority=Priority.P2, status="active")
    owner = membership_of(admin, org)
    form = GoalForm(
        goal_data(title="Goal", priority="3", status="active", owner=str(owner.pk)),
        organization=org,
        viewer=org_lead,
        goal=goal,
    )
    assert form.is_valid(), form.errors
    assert form.changed_values(goal) == {"priority": 3, "owner": owner}


def test_browser_line_endings_do_not_count_as_a_change(org, admin, org_lead):
    goal = make_goal(org, admin, "Goal", status="draft", description="One\nTwo")
    form = GoalForm(
        goal_data(title="Goal", description="One\r\nTwo"),
        organization=org,
        viewer=org_lead,
        goal=goal,
    )
    assert form.is_valid(), form.errors
    assert form.changed_values(goal) == {}


# Outcomes --------------------------------------------------------------------------------------


def outcome_data(**overrides) -> dict[str, str]:
    return {
        "title": "Active users",
        "direction": "increase",
        "baseline": "10",
        "target": "20",
        **overrides,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a number."),
        ("NaN", "Enter a number."),
        ("Infinity", "Enter a number."),
        ("-Infinity", "Enter a number."),
        ("1e999", "Ensure that there are no more than 14 digits in total."),
        ("1234567890123", "Ensure that there are no more than 12 digits before the decimal point."),
        ("1.005", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_outcome_numbers_must_fit_the_column(value, message):
    form = OutcomeForm(outcome_data(target=value))
    assert form.errors == {"target": [message]}


def test_an_outcome_without_a_current_value_starts_at_its_baseline():
    form = OutcomeForm(outcome_data(baseline="-5.5", target="12.25"))
    assert form.is_valid(), form.errors
    assert form.values()["baseline"] == Decimal("-5.5")
    assert form.values()["current"] is None


def test_editing_an_outcome_leaves_its_current_value_alone(org, admin):
    outcome = make_outcome(org, admin, make_goal(org, admin))
    form = OutcomeForm(outcome_data(title=outcome.title, current="999"), outcome=outcome)
    assert "current" not in form.fields
    assert form.is_valid(), form.errors
    assert form.changed_values(outcome) == {"baseline": Decimal("10"), "target": Decimal("20")}


# The goal list filters -------------------------------------------------------------------------


def test_the_period_filter_offers_last_this_and_next_year_by_quarter(org):
    choices = GoalFilterForm({}, organization=org, today=TODAY).fields["period"].choices
    assert choices[0] == ("", "Any period")
    assert choices[1] == ("2025-Q1", "2025 Q1")
    assert choices[-1] == ("2027-Q4", "2027 Q4")
    assert len(choices) == 13


def test_a_bookmarked_quarter_stays_selectable(org):
    form = GoalFilterForm({"period": "2021-Q3"}, organization=org, today=TODAY)
    assert ("2021-Q3", "2021 Q3") in form.fields["period"].choices
    filters = form.filters()
    assert (filters["period_start"], filters["period_end"]) == (
        date(2021, 7, 1),
        date(2021, 9, 30),
    )


def test_filters_become_selector_arguments(org, lead, membership_of):
    lead_m = membership_of(lead, org)
    form = GoalFilterForm(
        {"status": "active", "owner": lead_m.pk, "priority": "1", "q": "  revenue "},
        organization=org,
    )
    assert form.filters() == {
        "status": "active",
        "owner": lead_m,
        "priority": 1,
        "period_start": None,
        "period_end": None,
        "search": "revenue",
    }
    assert form.is_filtered


def test_invalid_filters_are_dropped_and_valid_ones_kept(org, other_org, outsider, membership_of):
    foreign = membership_of(outsider, other_org)
    form = GoalFilterForm(
        {"status": "gone", "owner": foreign.pk, "priority": "2"}, organization=org
    )
    filters = form.filters()
    assert (filters["status"], filters["owner"], filters["priority"]) == ("", None, 2)
    assert set(form.errors) == {"status", "owner"}


def test_an_empty_filter_is_no_filter(org):
    form = GoalFilterForm({}, organization=org)
    assert form.errors == {}
    assert not form.is_filtered
