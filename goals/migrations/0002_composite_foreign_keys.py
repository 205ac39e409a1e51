from django.db import migrations

from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0001_initial"),
        ("tenancy", "0002_sequence"),
    ]

    operations = [
        composite_fk(
            "goals_goal", ("organization_id", "parent_id"),
            "goals_goal", ("organization_id", "id"), "goal_parent_same_org_fk",
        ),
        composite_fk(
            "goals_goal", ("organization_id", "owner_id"),
            "tenancy_membership", ("organization_id", "id"), "goal_owner_same_org_fk",
        ),
        composite_fk(
            "goals_outcome", ("organization_id", "goal_id"),
            "goals_goal", ("organization_id", "id"), "outcome_goal_same_org_fk",
        ),
        composite_fk(
            "goals_checkin", ("organization_id", "outcome_id"),
            "goals_outcome", ("organization_id", "id"), "checkin_outcome_same_org_fk",
        ),
        composite_fk(
            "goals_goalevent", ("organization_id", "goal_id"),
            "goals_goal", ("organization_id", "id"), "goalevent_goal_same_org_fk",
        ),
    ]
