"""Posting a goal update: who may, what it records, what the goal page shows."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.builders import make_goal, make_outcome, make_update
from updates import services
from updates.models import GoalUpdate, GoalUpdateCheckIn


def _goal_url(org, goal):
    return reverse("goal_detail", args=[org.slug, goal.number])


def _new_url(org, goal):
    return reverse("update_create", args=[org.slug, goal.number])


def test_the_owner_posts_an_update_with_a_check_in(org, admin, planner, client_for, membership_of):
    goal = make_goal(org, admin, "Grow revenue", owner=membership_of(planner, org))
    outcome = make_outcome(org, admin, goal, "Monthly revenue", baseline="100", target="200")
    response = client_for(planner).post(
        _new_url(org, goal),
        {"health": "at_risk", "body": "Two deals **slipped**.", f"outcome_{outcome.number}": "130"},
    )
    assert response.status_code == 302
    update = GoalUpdate.objects.get(organization=org, goal=goal)
    assert (update.health, update.body, update.author) == (
        "at_risk",
        "Two deals **slipped**.",
        planner,
    )
    link = GoalUpdateCheckIn.objects.select_related("check_in").get(organization=org, update=update)
    assert (link.check_in.outcome_id, link.check_in.value) == (outcome.pk, Decimal("130"))
    outcome.refresh_from_db()
    assert outcome.current == Decimal("130")

    page = client_for(planner).get(_goal_url(org, goal)).content.decode()
    assert "<strong>slipped</strong>" in page
    assert 'class="badge health-at_risk"' in page


def test_viewers_cannot_post_updates_even_on_goals_they_own(
    org, admin, viewer, client_for, membership_of
):
    goal = make_goal(org, admin, owner=membership_of(viewer, org))
    client = client_for(viewer)
    assert client.get(_new_url(org, goal)).status_code == 403
    assert client.post(_new_url(org, goal), {"health": "on_track"}).status_code == 403
    page = client.get(_goal_url(org, goal)).content.decode()
    assert "Post an update" not in page
    with pytest.raises(PermissionDenied):
        services.update_post(
            organization=org,
            actor=viewer,
            member=membership_of(viewer, org),
            goal=goal,
            health="on_track",
        )
    assert not GoalUpdate.objects.filter(organization=org).exists()


def test_a_planner_who_neither_owns_nor_edits_the_goal_cannot_post(org, admin, planner, client_for):
    goal = make_goal(org, admin)
    assert client_for(planner).post(_new_url(org, goal), {"health": "on_track"}).status_code == 403
    assert "Post an update" not in client_for(planner).get(_goal_url(org, goal)).content.decode()


def test_bad_input_re_renders_the_form(org, admin, lead, client_for):
    goal = make_goal(org, admin)
    response = client_for(lead).post(_new_url(org, goal), {"health": "great", "body": "x"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not GoalUpdate.objects.filter(organization=org).exists()


def test_the_history_lists_updates_newest_first(org, admin, lead, viewer, client_for):
    goal = make_goal(org, admin)
    make_update(org, lead, goal, "on_track", "first")
    make_update(org, lead, goal, "off_track", "second")
    page = client_for(viewer).get(reverse("update_list", args=[org.slug, goal.number]))
    html = page.content.decode()
    assert html.index("second") < html.index("first")
