from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """The goal page reads a goal's done work (its done share) from an index of done tasks
    alone; built concurrently, so tasks can still be written meanwhile."""

    atomic = False

    dependencies = [
        ("work", "0003_goal_page_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="task",
            index=models.Index(
                condition=models.Q(status="done"),
                fields=["organization", "goal"],
                include=("estimate",),
                name="task_org_goal_done_idx",
            ),
        ),
    ]
