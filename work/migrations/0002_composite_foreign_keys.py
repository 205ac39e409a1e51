from django.db import migrations

from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0001_initial"),
        ("goals", "0002_composite_foreign_keys"),
    ]

    operations = [
        composite_fk(
            "work_task", ("organization_id", "goal_id"),
            "goals_goal", ("organization_id", "id"), "task_goal_same_org_fk",
        ),
        composite_fk(
            "work_task", ("organization_id", "outcome_id"),
            "goals_outcome", ("organization_id", "id"), "task_outcome_same_org_fk",
        ),
        # A task's outcome belongs to the task's goal.
        composite_fk(
            "work_task", ("goal_id", "outcome_id"),
            "goals_outcome", ("goal_id", "id"), "task_outcome_of_its_goal_fk",
        ),
        composite_fk(
            "work_task", ("organization_id", "assignee_id"),
            "tenancy_membership", ("organization_id", "id"), "task_assignee_same_org_fk",
        ),
        composite_fk(
            "work_taskevent", ("organization_id", "task_id"),
            "work_task", ("organization_id", "id"), "taskevent_task_same_org_fk",
        ),
        composite_fk(
            "work_checkincredit", ("organization_id", "check_in_id"),
            "goals_checkin", ("organization_id", "id"), "credit_checkin_same_org_fk",
        ),
        composite_fk(
            "work_checkincredit", ("organization_id", "task_id"),
            "work_task", ("organization_id", "id"), "credit_task_same_org_fk",
        ),
    ]
