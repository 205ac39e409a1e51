from django.db import migrations

from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):
    dependencies = [
        ("traceability", "0001_initial"),
        ("work", "0002_composite_foreign_keys"),
        ("goals", "0002_composite_foreign_keys"),
    ]

    operations = [
        # A flag never names another organization's task or goal.
        composite_fk(
            "traceability_flag", ("organization_id", "task_id"),
            "work_task", ("organization_id", "id"), "flag_task_same_org_fk",
        ),
        composite_fk(
            "traceability_flag", ("organization_id", "goal_id"),
            "goals_goal", ("organization_id", "id"), "flag_goal_same_org_fk",
        ),
    ]
