"""Snapshots also record the coverage figures without any confidential goal's subtree (the
trend of members who do not see everything). Snapshots of organizations that have no
confidential goal get those figures now: they are the same figures."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("traceability", "0003_goal_coverage"),
    ]

    operations = [
        migrations.AddField(
            model_name="snapshot",
            name="public_linked_effort",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="public_linked_ratio",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="public_live_effort",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="public_starved",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="public_stranded",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="public_suspect",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunSQL(
            """
            UPDATE traceability_snapshot s
               SET public_linked_effort = linked_effort, public_live_effort = live_effort,
                   public_linked_ratio = linked_ratio, public_stranded = stranded,
                   public_suspect = suspect, public_starved = starved
             WHERE NOT EXISTS (
                 SELECT 1 FROM goals_goal g
                  WHERE g.organization_id = s.organization_id AND g.confidential)
            """,
            migrations.RunSQL.noop,
        ),
    ]
