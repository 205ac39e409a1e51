from django.db import migrations

from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):
    """A grant belongs to one organization: its goal and its member (a membership, found by
    (organization_id, user_id)) are both of that organization. Removing the member or deleting
    the goal deletes the grant in the database, so no stale grant can outlive either."""

    dependencies = [
        ("goals", "0003_confidential_goals_and_grants"),
        ("tenancy", "0002_sequence"),
    ]

    operations = [
        composite_fk(
            "goals_goaluserobjectpermission", ("organization_id", "content_object_id"),
            "goals_goal", ("organization_id", "id"), "goalgrant_goal_same_org_fk",
            on_delete="CASCADE",
        ),
        composite_fk(
            "goals_goaluserobjectpermission", ("organization_id", "user_id"),
            "tenancy_membership", ("organization_id", "user_id"), "goalgrant_member_fk",
            on_delete="CASCADE",
        ),
    ]
