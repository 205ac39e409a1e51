"""Goal editors and sharing through the pages: who may edit, who may share, what a revoke does."""

import pytest
from django.urls import reverse

from goals import services
from goals.models import Goal, GoalUserObjectPermission
from tests.builders import make_goal, make_outcome


@pytest.fixture
def secret(org, lead) -> Goal:
    return make_goal(org, lead, "Acquire Initech", confidential=True)


def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": org.slug, **kwargs})


def edit_data(goal: Goal, **changes: str) -> dict[str, str]:
    data = {
        "title": goal.title,
        "priority": str(goal.priority),
        "status": goal.status,
        "owner": str(goal.owner_id or ""),
        "parent": str(goal.parent_id or ""),
    }
    if goal.confidential:
        data["confidential"] = "on"
    return data | changes


def test_a_planner_edits_only_goals_they_own_or_were_given_change_on(
    org, lead, planner, client_for, membership_of
):
    goal = make_goal(org, lead, "Grow revenue")
    client = client_for(planner)
    edit = url("goal_edit", org, goal_number=goal.number)
    assert client.get(edit).status_code == 403
    response = client.post(edit, edit_data(goal, title="Hijacked"))
    assert response.status_code == 403
    goal.refresh_from_db()
    assert goal.title == "Grow revenue"

    services.goal_share(
        organization=org, actor=lead, goal=goal, member=membership_of(planner, org), access="change"
    )
    assert client.get(edit).status_code == 200
    response = client.post(edit, edit_data(goal, title="Grow revenue in Europe"))
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Grow revenue in Europe"

    outcome = make_outcome(org, lead, goal)
    assert client.get(url("outcome_edit", org, outcome_number=outcome.number)).status_code == 200
    assert client.get(url("outcome_create", org, goal_number=goal.number)).status_code == 200


def test_the_owner_edits_their_goal_whatever_their_role(
    org, lead, viewer, client_for, membership_of
):
    goal = make_goal(org, lead, "Grow revenue", owner=membership_of(viewer, org))
    response = client_for(viewer).post(
        url("goal_edit", org, goal_number=goal.number), edit_data(goal, title="Grow revenue fast")
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Grow revenue fast"


def test_an_editor_it_was_shared_with_cannot_unhide_or_hand_over_the_goal(
    org, lead, planner, secret, client_for, membership_of
):
    services.goal_share(
        organization=org,
        actor=lead,
        goal=secret,
        member=membership_of(planner, org),
        access="change",
    )
    data = edit_data(secret, title="Acquire Initech Ltd", owner=str(membership_of(planner, org).pk))
    del data["confidential"]
    response = client_for(planner).post(url("goal_edit", org, goal_number=secret.number), data)
    assert response.status_code == 302
    secret.refresh_from_db()
    assert secret.title == "Acquire Initech Ltd"
    assert secret.confidential is True
    assert secret.owner_id is None


def test_a_confidential_goal_is_not_found_by_members_without_access(
    org, lead, planner, viewer, secret, client_for
):
    outcome = make_outcome(org, lead, secret)
    urls = [
        url("goal_detail", org, goal_number=secret.number),
        url("goal_edit", org, goal_number=secret.number),
        url("goal_access", org, goal_number=secret.number),
        url("outcome_create", org, goal_number=secret.number),
        url("outcome_edit", org, outcome_number=outcome.number),
    ]
    for user in (planner, viewer):
        client = client_for(user)
        for address in urls:
            assert client.get(address).status_code == 404, (user, address)
        listing = client.get(url("goal_list", org)).content.decode()
        assert "Acquire Initech" not in listing
        searched = client.get(url("goal_list", org), {"q": "Initech"}).content.decode()
        assert "Acquire Initech" not in searched
    assert "Acquire Initech" in client_for(lead).get(url("goal_list", org)).content.decode()


def test_the_lead_shares_and_revokes_and_the_planner_sees_the_effect_at_once(
    org, lead, planner, secret, client_for, membership_of, htmx_headers
):
    member = membership_of(planner, org)
    page = url("goal_detail", org, goal_number=secret.number)
    planner_client, lead_client = client_for(planner), client_for(lead)
    assert planner_client.get(page).status_code == 404

    response = lead_client.post(
        url("goal_access", org, goal_number=secret.number),
        {"member": member.pk, "access": "view"},
        **htmx_headers,
    )
    assert response.status_code == 200
    panel = response.content.decode()
    assert f'id="access-member-{member.pk}"' in panel
    assert "Can view" in panel
    assert planner_client.get(page).status_code == 200
    assert planner_client.get(url("goal_edit", org, goal_number=secret.number)).status_code == 403

    response = lead_client.post(
        url("goal_access_revoke", org, goal_number=secret.number), {"member": member.pk}
    )
    assert response.status_code == 302
    assert planner_client.get(page).status_code == 404
    assert not GoalUserObjectPermission.objects.filter(user=planner).exists()


def test_only_admins_leads_and_the_owner_share(
    org, admin, lead, planner, viewer, secret, client_for, membership_of
):
    access = url("goal_access", org, goal_number=secret.number)
    assert client_for(admin).get(access).status_code == 200
    assert client_for(lead).get(access).status_code == 200
    services.goal_share(
        organization=org,
        actor=lead,
        goal=secret,
        member=membership_of(planner, org),
        access="change",
    )
    # an editor is not a sharer
    response = client_for(planner).post(
        access, {"member": membership_of(viewer, org).pk, "access": "view"}
    )
    assert response.status_code == 403
    assert not GoalUserObjectPermission.objects.filter(user=viewer).exists()

    services.goal_update(
        organization=org, actor=lead, goal=secret, owner=membership_of(viewer, org)
    )
    assert client_for(viewer).get(access).status_code == 200


def test_sharing_with_a_stranger_or_junk_is_refused_with_a_message(
    org, other_org, lead, outsider, secret, client_for, membership_of
):
    access = url("goal_access", org, goal_number=secret.number)
    client = client_for(lead)
    for data in (
        {"member": membership_of(outsider, other_org).pk, "access": "view"},
        {"member": "not-a-number", "access": "view"},
        {"member": "", "access": "view"},
    ):
        response = client.post(access, data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode() or "required" in (
            response.content.decode()
        )
    assert not GoalUserObjectPermission.objects.exists()


def test_a_viewer_can_be_given_view_but_not_edit(
    org, lead, viewer, secret, client_for, membership_of
):
    member = membership_of(viewer, org)
    response = client_for(lead).post(
        url("goal_access", org, goal_number=secret.number),
        {"member": member.pk, "access": "change"},
    )
    assert response.status_code == 200
    assert "Viewers can be given view only." in response.content.decode()
    assert not GoalUserObjectPermission.objects.exists()
