from django.db import migrations, models


class Migration(migrations.Migration):
    """The goal page reads a goal's tasks in two ordered halves (live, then closed) and counts
    them by status from the index alone; see Task.Meta.indexes."""

    dependencies = [
        ("work", "0002_composite_foreign_keys"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="task",
            name="task_org_goal_status_idx",
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["organization", "goal", "-number"],
                include=("status", "estimate", "link_confirmed_at"),
                name="task_org_goal_number_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("status__in", ["todo", "in_progress", "blocked"])),
                fields=["organization", "goal", "-number"],
                include=("estimate", "link_confirmed_at", "outcome"),
                name="task_org_goal_live_idx",
            ),
        ),
    ]
