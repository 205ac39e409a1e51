"""Who sees a confidential goal and what lies under it; who may edit and share it; grants never
outlive the member or the goal, and never cross organizations."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from goals import services
from goals.models import Goal, GoalUserObjectPermission, Outcome
from goals.visibility import can_change, can_share, is_visible, visible_goals, visible_q
from tests.builders import make_goal, make_outcome, make_task
from tests.factories import MembershipFactory, UserFactory
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Role
from work import services as work_services
from work.models import Task


@pytest.fixture
def secret(org, lead, membership_of) -> Goal:
    return make_goal(org, lead, "Acquire Initech", confidential=True)


@pytest.fixture
def granted(org):
    return MembershipFactory(organization=org, role=Role.PLANNER, user=UserFactory())


def visible_titles(member) -> set[str]:
    return set(visible_goals(member).values_list("title", flat=True))


def test_confidential_goal_and_everything_under_it_is_hidden_from_plain_members(
    org, lead, planner, viewer, admin, secret, membership_of
):
    child = make_goal(org, lead, "Integrate payroll", parent=secret)
    grandchild = make_goal(org, lead, "Merge HR systems", parent=child)
    open_goal = make_goal(org, lead, "Grow revenue")
    outcome = make_outcome(org, lead, grandchild)
    task = make_task(org, lead, grandchild, "Map payroll codes", outcome=outcome)
    org.allow_goalless_work = True
    orphan = make_task(org, lead, None, "Loose end", origin="quick_add")

    for user in (planner, viewer):
        member = membership_of(user, org)
        assert visible_titles(member) == {"Grow revenue"}
        tasks = Task.objects.filter(visible_q(member, "goal"), organization=org)
        assert set(tasks) == {orphan}
        assert not Outcome.objects.filter(visible_q(member, "goal"), pk=outcome.pk).exists()
        assert not is_visible(grandchild, member)
        assert is_visible(open_goal, member)
    for user in (admin, lead):
        member = membership_of(user, org)
        assert visible_titles(member) >= {
            "Acquire Initech",
            "Integrate payroll",
            "Merge HR systems",
        }
        assert Task.objects.filter(visible_q(member, "goal"), pk=task.pk).exists()


def test_owner_and_granted_members_see_it_and_a_revoke_takes_effect_at_once(
    org, lead, planner, secret, granted, membership_of
):
    owner = MembershipFactory(organization=org, role=Role.VIEWER, user=UserFactory())
    services.goal_update(organization=org, actor=lead, goal=secret, owner=owner)
    assert "Acquire Initech" in visible_titles(owner)
    assert "Acquire Initech" not in visible_titles(granted)

    services.goal_share(organization=org, actor=lead, goal=secret, member=granted, access="view")
    assert "Acquire Initech" in visible_titles(granted)
    assert "Acquire Initech" not in visible_titles(membership_of(planner, org))

    services.goal_unshare(organization=org, actor=lead, goal=secret, member=granted)
    assert "Acquire Initech" not in visible_titles(granted)


def test_a_confidential_goal_inside_another_needs_access_to_both(org, lead, secret, granted):
    inner = make_goal(org, lead, "Board pack", parent=secret, confidential=True)
    services.goal_share(organization=org, actor=lead, goal=inner, member=granted, access="view")
    assert "Board pack" not in visible_titles(granted)
    services.goal_share(organization=org, actor=lead, goal=secret, member=granted, access="view")
    assert {"Acquire Initech", "Board pack"} <= visible_titles(granted)


def test_editors_are_admins_leads_the_owner_and_members_granted_change(
    org, admin, lead, planner, viewer, granted, membership_of
):
    goal = make_goal(org, lead, "Open goal")
    assert can_change(goal, membership_of(admin, org))
    assert can_change(goal, membership_of(lead, org))
    assert not can_change(goal, membership_of(planner, org))
    assert not can_change(goal, membership_of(viewer, org))

    services.goal_share(organization=org, actor=lead, goal=goal, member=granted, access="view")
    assert not can_change(goal, granted)
    services.goal_share(organization=org, actor=lead, goal=goal, member=granted, access="change")
    assert can_change(goal, granted)
    assert not can_share(goal, granted)

    planner_member = membership_of(planner, org)
    services.goal_update(organization=org, actor=lead, goal=goal, owner=planner_member)
    goal.refresh_from_db()
    assert can_change(goal, planner_member)
    assert can_share(goal, planner_member)


def test_viewers_can_be_given_view_but_not_change(org, lead, viewer, secret, membership_of):
    member = membership_of(viewer, org)
    with pytest.raises(ValidationError):
        services.goal_share(
            organization=org, actor=lead, goal=secret, member=member, access="change"
        )
    assert not GoalUserObjectPermission.objects.filter(user=viewer).exists()
    services.goal_share(organization=org, actor=lead, goal=secret, member=member, access="view")
    assert "Acquire Initech" in visible_titles(member)


def test_removing_a_member_deletes_their_grants(org, admin, lead, secret, granted):
    services.goal_share(organization=org, actor=lead, goal=secret, member=granted, access="change")
    assert GoalUserObjectPermission.objects.filter(user_id=granted.user_id).count() == 2
    tenancy_services.membership_remove(organization=org, actor=admin, membership=granted)
    assert not GoalUserObjectPermission.objects.filter(user_id=granted.user_id).exists()


def test_deleting_a_goal_deletes_its_grants(org, lead, secret, granted):
    services.goal_share(organization=org, actor=lead, goal=secret, member=granted, access="view")
    work_services.goal_delete(organization=org, actor=lead, goal=secret)
    assert not GoalUserObjectPermission.objects.exists()


def test_grants_never_cross_organizations(org, other_org, lead, outsider, secret, membership_of):
    stranger = membership_of(outsider, other_org)
    with pytest.raises(ValidationError):
        services.goal_share(
            organization=org, actor=lead, goal=secret, member=stranger, access="view"
        )
    # nor through the database: the grant's member must belong to the goal's organization
    permission = GoalUserObjectPermission._meta.get_field("permission").related_model.objects.get(
        codename="view_goal"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalUserObjectPermission.objects.create(
            organization=org, content_object=secret, user=outsider, permission=permission
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
