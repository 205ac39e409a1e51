import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.forms import Quarter, organization_today
from goals.models import Goal, GoalEvent, GoalStatus, Outcome, Priority
from goals.services import goal_update
from tests.builders import make_goal, make_outcome
from tests.factories import MembershipFactory
from vindaris.tenancy.models import Role


def goal_list_url(org) -> str:
    return reverse("goal_list", kwargs={"org_slug": org.slug})


def goal_page_url(org, goal) -> str:
    return reverse("goal_detail", kwargs={"org_slug": org.slug, "goal_number": goal.number})


def row_numbers(html: str) -> list[int]:
    """Goal numbers of the list's rows, in page order."""
    return [int(n) for n in re.findall(r'id="goal-row-(\d+)"', html)]


def row_depths(html: str) -> dict[int, int]:
    return {int(n): int(d) for n, d in re.findall(r'id="goal-row-(\d+)" data-depth="(\d+)"', html)}


def goal_post(**overrides) -> dict[str, str]:
    data = {
        "title": "Win the enterprise market",
        "description": "",
        "parent": "",
        "owner": "",
        "priority": "2",
        "status": "active",
        "quarter": "",
        "start_date": "",
        "end_date": "",
    }
    data.update(overrides)
    return data


def outcome_post(**overrides) -> dict[str, str]:
    data = {
        "title": "Enterprise customers",
        "unit": "customers",
        "direction": "increase",
        "baseline": "3",
        "target": "12",
        "current": "",
        "due_date": "",
    }
    data.update(overrides)
    return data


# Roles -----------------------------------------------------------------------------------------


@pytest.fixture
def goal(org, admin) -> Goal:
    return make_goal(org, admin, "Grow revenue")


@pytest.fixture
def outcome(org, admin, goal) -> Outcome:
    return make_outcome(org, admin, goal)


@pytest.fixture
def write_urls(org, goal, outcome) -> dict[str, str]:
    slug = org.slug
    return {
        "goal_create": reverse("goal_create", kwargs={"org_slug": slug}),
        "goal_edit": reverse("goal_edit", kwargs={"org_slug": slug, "goal_number": goal.number}),
        "outcome_create": reverse(
            "outcome_create", kwargs={"org_slug": slug, "goal_number": goal.number}
        ),
        "outcome_edit": reverse(
            "outcome_edit", kwargs={"org_slug": slug, "outcome_number": outcome.number}
        ),
    }


@pytest.mark.parametrize("who", ["viewer", "planner"])
@pytest.mark.parametrize("name", ["goal_create", "goal_edit", "outcome_create", "outcome_edit"])
def test_viewers_and_planners_cannot_open_or_post_goal_and_outcome_forms(
    who, name, request, client_for, write_urls, goal, outcome
):
    client = client_for(request.getfixturevalue(who))
    data = goal_post(title="Sneaky") if name.startswith("goal") else outcome_post(title="Sneaky")
    goals, outcomes, events = (
        Goal.objects.count(),
        Outcome.objects.count(),
        GoalEvent.objects.count(),
    )

    assert client.get(write_urls[name]).status_code == 403
    assert client.post(write_urls[name], data).status_code == 403

    assert (Goal.objects.count(), Outcome.objects.count(), GoalEvent.objects.count()) == (
        goals,
        outcomes,
        events,
    )
    goal.refresh_from_db()
    outcome.refresh_from_db()
    assert "Sneaky" not in (goal.title, outcome.title)


@pytest.mark.parametrize("who", ["lead", "admin"])
@pytest.mark.parametrize("name", ["goal_create", "goal_edit", "outcome_create", "outcome_edit"])
def test_leads_and_admins_open_goal_and_outcome_forms(who, name, request, client_for, write_urls):
    response = client_for(request.getfixturevalue(who)).get(write_urls[name])
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


@pytest.mark.parametrize("who", ["viewer", "planner", "lead", "admin"])
def test_every_member_sees_the_goal_list(who, request, org, goal, client_for):
    response = client_for(request.getfixturevalue(who)).get(goal_list_url(org))
    assert response.status_code == 200
    assert "Grow revenue" in response.content.decode()


def test_only_leads_are_offered_new_goal_and_edit_links(org, goal, viewer, lead, client_for):
    new_url = reverse("goal_create", kwargs={"org_slug": org.slug})
    edit_url = reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number})
    as_viewer = client_for(viewer).get(goal_list_url(org)).content.decode()
    as_lead = client_for(lead).get(goal_list_url(org)).content.decode()
    assert new_url not in as_viewer and edit_url not in as_viewer
    assert new_url in as_lead and edit_url in as_lead


# 404s ------------------------------------------------------------------------------------------


def test_a_goal_number_missing_from_the_organization_is_404(
    org, other_org, lead, outsider, goal, outcome, client_for
):
    # Globex has goals numbered beyond Acme's: the number exists, just not here.
    for _ in range(3):
        other_goal = make_goal(other_org, outsider, "Globex goal")
    other_outcome = make_outcome(other_org, outsider, other_goal)
    make_outcome(other_org, outsider, other_goal, "Another")
    client = client_for(lead)
    for url in (
        reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": other_goal.number}),
        reverse("outcome_create", kwargs={"org_slug": org.slug, "goal_number": other_goal.number}),
        reverse(
            "outcome_edit",
            kwargs={"org_slug": org.slug, "outcome_number": other_outcome.number + 1},
        ),
        reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": 2**40}),
        reverse("outcome_edit", kwargs={"org_slug": org.slug, "outcome_number": 10**25}),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, goal_post()).status_code == 404, url
    assert not Outcome.objects.filter(goal=goal).exclude(pk=outcome.pk).exists()


# Creating and editing goals --------------------------------------------------------------------


def test_a_lead_creates_a_goal_and_lands_on_its_page(org, lead, membership_of, client_for):
    owner = membership_of(lead, org)
    response = client_for(lead).post(
        reverse("goal_create", kwargs={"org_slug": org.slug}),
        goal_post(
            title="  Win the enterprise market ",
            description="Land three logos",
            owner=str(owner.pk),
            priority="1",
            start_date="2026-01-01",
            end_date="2026-06-30",
        ),
    )
    goal = Goal.objects.get(organization=org)
    assert response.status_code == 302
    assert response["Location"] == goal_page_url(org, goal)
    assert (goal.title, goal.description, goal.owner, goal.priority, goal.status) == (
        "Win the enterprise market",
        "Land three logos",
        owner,
        Priority.P1,
        GoalStatus.ACTIVE,
    )
    assert (goal.start_date, goal.end_date) == (date(2026, 1, 1), date(2026, 6, 30))
    assert goal.events.get().kind == GoalEvent.Kind.CREATED


def test_a_quarter_quick_pick_fills_the_period(org, lead, client_for):
    quarter = Quarter.of(organization_today(org)).shifted(1)
    client_for(lead).post(
        reverse("goal_create", kwargs={"org_slug": org.slug}),
        # The quarter wins over whatever dates came along with it.
        goal_post(quarter=quarter.value, start_date="2001-01-01", end_date="junk"),
    )
    goal = Goal.objects.get(organization=org)
    assert (goal.start_date, goal.end_date) == (quarter.start, quarter.end)


def test_the_parent_parameter_preselects_the_parent(org, lead, goal, client_for):
    url = reverse("goal_create", kwargs={"org_slug": org.slug}) + f"?parent={goal.number}"
    body = client_for(lead).get(url).content.decode()
    assert f'<option value="{goal.pk}" selected>' in body
    assert f"New sub-goal of {goal.key}" in body


@pytest.mark.parametrize("value", ["junk", "999", "-1", "1" * 30, "", "²", "0"])
def test_a_bad_parent_parameter_is_ignored(org, lead, goal, client_for, value):
    url = reverse("goal_create", kwargs={"org_slug": org.slug}) + f"?parent={value}"
    response = client_for(lead).get(url)
    assert response.status_code == 200
    assert " selected>G-" not in response.content.decode()


def test_a_sub_goal_is_created_under_its_parent(org, lead, goal, client_for):
    client_for(lead).post(
        reverse("goal_create", kwargs={"org_slug": org.slug}) + f"?parent={goal.number}",
        goal_post(title="Sub-goal", parent=str(goal.pk)),
    )
    assert Goal.objects.get(title="Sub-goal").parent == goal


def test_another_organizations_parent_and_owner_are_rejected_and_nothing_is_saved(
    org, other_org, lead, outsider, membership_of, client_for
):
    foreign_goal = make_goal(other_org, outsider, "Globex secret")
    foreign_owner = membership_of(outsider, other_org)
    response = client_for(lead).post(
        reverse("goal_create", kwargs={"org_slug": org.slug}),
        goal_post(parent=str(foreign_goal.pk), owner=str(foreign_owner.pk)),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("Select a valid choice.") == 2
    assert "Globex secret" not in body
    assert not Goal.objects.filter(organization=org).exists()


def test_another_organizations_ids_are_rejected_on_edit(
    org, other_org, lead, outsider, goal, membership_of, client_for
):
    foreign_goal = make_goal(other_org, outsider, "Globex secret")
    foreign_owner = membership_of(outsider, other_org)
    response = client_for(lead).post(
        reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number}),
        goal_post(title="Renamed", parent=str(foreign_goal.pk), owner=str(foreign_owner.pk)),
    )
    assert response.status_code == 200
    assert response.content.decode().count("Select a valid choice.") == 2
    goal.refresh_from_db()
    assert (goal.title, goal.parent, goal.owner) == ("Grow revenue", None, None)
    assert goal.events.count() == 1  # only "created"


def test_a_goal_cannot_move_under_its_own_sub_goal(org, admin, lead, goal, client_for):
    child = make_goal(org, admin, "Child", parent=goal)
    grandchild = make_goal(org, admin, "Grandchild", parent=child)
    url = reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number})
    client = client_for(lead)

    body = client.get(url).content.decode()
    assert f'value="{child.pk}"' not in body and f'value="{grandchild.pk}"' not in body

    response = client.post(url, goal_post(title="Grow revenue", parent=str(grandchild.pk)))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    goal.refresh_from_db()
    assert goal.parent is None


def test_a_period_ending_before_it_starts_is_a_form_error(org, lead, goal, client_for):
    response = client_for(lead).post(
        reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number}),
        goal_post(title="Grow revenue", start_date="2026-05-01", end_date="2026-04-01"),
    )
    assert response.status_code == 200
    assert "The period must end on or after its start." in response.content.decode()
    goal.refresh_from_db()
    assert goal.start_date is None and goal.events.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("title", "x" * 201, "at most 200 characters"),
        ("priority", "9", "Select a valid choice."),
        ("status", "deleted", "Select a valid choice."),
        ("start_date", "2026-02-30", "Enter a valid date."),
        ("owner", "not-a-number", "Select a valid choice."),
        ("parent", "99999999999999999999", "Select a valid choice."),
    ],
)
def test_bad_goal_input_rerenders_the_form_and_writes_nothing(
    org, lead, goal, client_for, field, value, message
):
    url = reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number})
    response = client_for(lead).post(url, goal_post(**{"title": "Changed", field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    goal.refresh_from_db()
    assert goal.title == "Grow revenue" and goal.events.count() == 1


def test_edits_write_history_old_to_new(org, lead, goal, membership_of, client_for):
    owner = membership_of(lead, org)
    response = client_for(lead).post(
        reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number}),
        goal_post(title="Grow recurring revenue", priority="3", owner=str(owner.pk)),
    )
    assert response.status_code == 302
    assert response["Location"] == goal_page_url(org, goal)
    event = goal.events.get(kind=GoalEvent.Kind.UPDATED)
    assert event.actor == lead
    assert event.changes == {
        "Title": ["Grow revenue", "Grow recurring revenue"],
        "Priority": ["P2", "P3"],
        "Owner": ["—", lead.display_name],
    }


def test_saving_an_unchanged_goal_records_nothing(org, lead, goal, client_for):
    url = reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number})
    client = client_for(lead)
    form = client.get(url).context["form"]
    data = {
        name: "" if value is None else str(getattr(value, "pk", value))
        for name, value in ((f.name, f.value()) for f in form)
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert goal.events.count() == 1


def test_the_edit_form_shows_the_current_values(org, admin, lead, client_for):
    parent = make_goal(org, admin, "Company objective")
    goal = make_goal(
        org, admin, "Team goal", parent=parent, start_date=date(2026, 1, 1), end_date=None
    )
    goal_update(organization=org, actor=admin, goal=goal, description="Line one\nLine two")
    body = (
        client_for(lead)
        .get(reverse("goal_edit", kwargs={"org_slug": org.slug, "goal_number": goal.number}))
        .content.decode()
    )
    assert 'value="Team goal"' in body
    assert f'<option value="{parent.pk}" selected>' in body
    assert 'value="2026-01-01"' in body
    assert "Line one\nLine two</textarea>" in body


# Outcomes --------------------------------------------------------------------------------------


def test_a_lead_adds_an_outcome_that_starts_at_its_baseline(org, lead, goal, client_for):
    response = client_for(lead).post(
        reverse("outcome_create", kwargs={"org_slug": org.slug, "goal_number": goal.number}),
        outcome_post(due_date="2026-12-31"),
    )
    assert response.status_code == 302
    assert response["Location"] == goal_page_url(org, goal)
    outcome = goal.outcomes.get()
    assert (outcome.baseline, outcome.target, outcome.current, outcome.unit) == (
        Decimal("3"),
        Decimal("12"),
        Decimal("3"),
        "customers",
    )
    assert outcome.due_date == date(2026, 12, 31)
    assert goal.events.filter(kind=GoalEvent.Kind.OUTCOME_ADDED).count() == 1


def test_an_outcome_can_start_from_a_current_value(org, lead, goal, client_for):
    client_for(lead).post(
        reverse("outcome_create", kwargs={"org_slug": org.slug, "goal_number": goal.number}),
        outcome_post(current="5.5"),
    )
    assert goal.outcomes.get().current == Decimal("5.5")


def test_a_target_against_the_direction_is_a_form_error(org, lead, goal, client_for):
    response = client_for(lead).post(
        reverse("outcome_create", kwargs={"org_slug": org.slug, "goal_number": goal.number}),
        outcome_post(baseline="10", target="5", direction="increase"),
    )
    assert response.status_code == 200
    assert "To increase, the target must be above the baseline." in response.content.decode()
    assert not Outcome.objects.exists()
    assert goal.events.count() == 1


@pytest.mark.parametrize(
    "value", ["junk", "NaN", "nan", "sNaN", "Infinity", "-inf", "1e999", "1234567890123", "0.001"]
)
@pytest.mark.parametrize("field", ["baseline", "target", "current"])
def test_junk_numbers_are_form_errors_never_500(org, lead, goal, client_for, field, value):
    response = client_for(lead).post(
        reverse("outcome_create", kwargs={"org_slug": org.slug, "goal_number": goal.number}),
        outcome_post(**{field: value}),
    )
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Outcome.objects.exists()


def test_editing_an_outcome_records_the_change_and_leaves_its_value_to_check_ins(
    org, lead, goal, outcome, client_for
):
    url = reverse("outcome_edit", kwargs={"org_slug": org.slug, "outcome_number": outcome.number})
    client = client_for(lead)
    assert 'name="current"' not in client.get(url).content.decode()

    response = client.post(
        url,
        outcome_post(title=outcome.title, unit="", baseline="100", target="250", current="999"),
    )
    assert response.status_code == 302
    assert response["Location"] == goal_page_url(org, goal)
    outcome.refresh_from_db()
    assert (outcome.target, outcome.current) == (Decimal("250"), Decimal("100"))
    event = goal.events.get(kind=GoalEvent.Kind.OUTCOME_UPDATED)
    assert event.changes == {f"{outcome.key} Target": ["200.00", "250"]}


def test_an_outcome_edit_against_the_direction_changes_nothing(
    org, lead, goal, outcome, client_for
):
    response = client_for(lead).post(
        reverse("outcome_edit", kwargs={"org_slug": org.slug, "outcome_number": outcome.number}),
        outcome_post(title=outcome.title, baseline="100", target="200", direction="decrease"),
    )
    assert response.status_code == 200
    assert "To decrease, the target must be below the baseline." in response.content.decode()
    outcome.refresh_from_db()
    assert outcome.direction == "increase"
    assert not goal.events.filter(kind=GoalEvent.Kind.OUTCOME_UPDATED).exists()


# The goal list ---------------------------------------------------------------------------------


def test_the_list_is_in_hierarchy_order_with_depths(org, admin, lead, client_for):
    grow = make_goal(org, admin, "Grow revenue", priority=Priority.P2)
    enterprise = make_goal(org, admin, "Enterprise deals", parent=grow, priority=Priority.P3)
    smb = make_goal(org, admin, "SMB self-serve", parent=grow, priority=Priority.P1)
    logos = make_goal(org, admin, "Three new logos", parent=enterprise)
    safety = make_goal(org, admin, "Ship safely", priority=Priority.P1)

    body = client_for(lead).get(goal_list_url(org)).content.decode()

    # Parents before children; siblings by priority, then number.
    assert row_numbers(body) == [g.number for g in (safety, grow, smb, enterprise, logos)]
    assert row_depths(body) == {
        safety.number: 0,
        grow.number: 0,
        smb.number: 1,
        enterprise.number: 1,
        logos.number: 2,
    }
    assert f'href="{goal_page_url(org, logos)}"' in body


def test_the_list_shows_status_priority_owner_and_period(
    org, admin, lead, membership_of, client_for
):
    make_goal(
        org,
        admin,
        "Grow revenue",
        status=GoalStatus.ON_HOLD,
        priority=Priority.P4,
        owner=membership_of(lead, org),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 31),
    )
    body = client_for(lead).get(goal_list_url(org)).content.decode()
    row = re.search(r'<tr id="goal-row-1".*?</tr>', body, re.S).group(0)
    for text in ("G-1", "Grow revenue", "On hold", "P4", lead.display_name, "1 Jan 2026"):
        assert text in row


@pytest.fixture
def filter_cast(org, admin, lead, membership_of):
    """Goals that differ in one filtered property each."""
    lead_m = membership_of(lead, org)
    return {
        "root": make_goal(org, admin, "Grow revenue", status=GoalStatus.ACTIVE),
        "on_hold": make_goal(org, admin, "Paused hiring plan", status=GoalStatus.ON_HOLD),
        "owned": make_goal(org, admin, "Owned by the lead", owner=lead_m, status="draft"),
        "p1": make_goal(org, admin, "Urgent security fix", priority=Priority.P1, status="draft"),
        "q4": make_goal(
            org,
            admin,
            "Holiday campaign",
            status="draft",
            start_date=date(2026, 10, 1),
            end_date=date(2026, 12, 31),
        ),
        "open_ended": make_goal(
            org, admin, "Keep costs down", status="draft", start_date=date(2026, 11, 15)
        ),
        "earlier": make_goal(
            org,
            admin,
            "Spring launch",
            status="draft",
            start_date=date(2026, 3, 1),
            end_date=date(2026, 5, 31),
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "on_hold"}, ["on_hold"]),
        ({"priority": "1"}, ["p1"]),
        ({"period": "2026-Q4"}, ["q4", "open_ended"]),
        ({"period": "2026-Q2"}, ["earlier"]),
        ({"q": "CAMPAIGN"}, ["q4"]),
        ({"q": "100%"}, []),
        ({"status": "draft", "period": "2026-Q4", "q": "keep"}, ["open_ended"]),
    ],
)
def test_filters_narrow_the_list(org, lead, filter_cast, client_for, params, expected):
    body = client_for(lead).get(goal_list_url(org), params).content.decode()
    assert sorted(row_numbers(body)) == sorted(filter_cast[k].number for k in expected)


def test_the_owner_filter_lists_members_and_narrows_the_list(
    org, lead, filter_cast, membership_of, client_for
):
    lead_m = membership_of(lead, org)
    body = client_for(lead).get(goal_list_url(org), {"owner": lead_m.pk}).content.decode()
    assert row_numbers(body) == [filter_cast["owned"].number]
    assert f'<option value="{lead_m.pk}" selected>{lead.display_name}</option>' in body


def test_an_empty_filter_form_submission_lists_everything(org, lead, filter_cast, client_for):
    params = {"status": "", "owner": "", "priority": "", "period": "", "q": ""}
    body = client_for(lead).get(goal_list_url(org), params).content.decode()
    assert len(row_numbers(body)) == len(filter_cast)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "deleted"},
        {"priority": "x"},
        {"owner": "nope"},
        {"owner": "99999999999999999999"},
        {"period": "2026-Q5"},
        {"page": "abc"},
        {"page": "-3"},
        {"page": "9" * 40},
        {"page": "²"},
        {"q": "x" * 500},
    ],
)
def test_junk_filters_are_reported_and_ignored(org, lead, filter_cast, client_for, params):
    response = client_for(lead).get(goal_list_url(org), params)
    assert response.status_code == 200
    assert len(row_numbers(response.content.decode())) == len(filter_cast)


def test_another_organizations_owner_is_not_a_valid_filter(
    org, other_org, lead, outsider, filter_cast, membership_of, client_for
):
    foreign = membership_of(outsider, other_org)
    body = client_for(lead).get(goal_list_url(org), {"owner": foreign.pk}).content.decode()
    assert "Select a valid choice." in body
    assert outsider.display_name not in body


def test_an_htmx_filter_answers_with_the_results_fragment(
    org, lead, filter_cast, client_for, htmx_headers
):
    response = client_for(lead).get(goal_list_url(org), {"status": "on_hold"}, **htmx_headers)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="goal-results"')
    assert "<html" not in body and "<form" not in body
    assert row_numbers(body) == [filter_cast["on_hold"].number]
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(org, lead, filter_cast, client_for):
    response = client_for(lead).get(
        goal_list_url(org),
        {"status": "on_hold"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in response.content.decode()


def build_goal_forest(org, admin, lead_m, count: int) -> None:
    """`count` goals: roots with two levels of sub-goals, owned and dated."""
    parents: list[Goal] = []
    for i in range(count):
        parent = parents[-1] if i % 3 else None
        goal = make_goal(
            org,
            admin,
            f"Goal {i}",
            parent=parent,
            owner=lead_m,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
        )
        parents.append(goal)


def test_the_list_runs_the_same_queries_for_5_and_50_goals(
    org, admin, lead, membership_of, client_for, django_assert_num_queries
):
    lead_m = membership_of(lead, org)
    client = client_for(lead)
    filters = {"owner": lead_m.pk, "period": "2026-Q2", "status": "active", "q": "goal"}
    build_goal_forest(org, admin, lead_m, 5)
    with CaptureQueriesContext(connection) as plain:
        assert len(row_numbers(client.get(goal_list_url(org)).content.decode())) == 5
    with CaptureQueriesContext(connection) as filtered:
        assert len(row_numbers(client.get(goal_list_url(org), filters).content.decode())) == 5

    build_goal_forest(org, admin, lead_m, 45)
    with django_assert_num_queries(len(plain.captured_queries)):
        assert len(row_numbers(client.get(goal_list_url(org)).content.decode())) == 50
    with django_assert_num_queries(len(filtered.captured_queries)):
        response = client.get(goal_list_url(org), filters)
        assert len(row_numbers(response.content.decode())) == 50


def test_large_lists_are_paginated_and_keep_their_filters(org, admin, lead, client_for):
    # 205 active goals and one draft that the status filter leaves out.
    for i in range(205):
        make_goal(org, admin, f"Goal {i:03}", priority=Priority.P2)
    make_goal(org, admin, "A draft", status=GoalStatus.DRAFT, priority=Priority.P1)
    client = client_for(lead)

    first = client.get(goal_list_url(org), {"status": "active"}).content.decode()
    assert len(row_numbers(first)) == 200
    assert "Goals 1–200 of 205" in first
    assert 'href="?status=active&amp;page=2"' in first

    second = client.get(goal_list_url(org), {"status": "active", "page": "2"}).content.decode()
    assert len(row_numbers(second)) == 5
    assert "Page 2 of 2" in second
    assert set(row_numbers(first)).isdisjoint(row_numbers(second))

    past_the_end = client.get(goal_list_url(org), {"status": "active", "page": "7"})
    assert row_numbers(past_the_end.content.decode()) == row_numbers(second)


def test_a_short_list_has_no_pages(org, lead, filter_cast, client_for):
    body = client_for(lead).get(goal_list_url(org)).content.decode()
    assert "Goal list pages" not in body
    assert f"{len(filter_cast)} goals" in body


def test_another_organizations_goals_never_appear(org, other_org, lead, outsider, goal, client_for):
    make_goal(other_org, outsider, "Globex secret")
    MembershipFactory(organization=other_org, role=Role.LEAD)
    body = client_for(lead).get(goal_list_url(org)).content.decode()
    assert "Globex secret" not in body
    assert row_numbers(body) == [goal.number]
