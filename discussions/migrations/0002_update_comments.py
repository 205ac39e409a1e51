"""Comments on goal updates: a third target, deleted with its update by the database."""

import django.db.models.deletion
import vindaris.lib.tenant
from django.db import migrations, models

from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):

    dependencies = [
        ('discussions', '0001_initial'),
        ('updates', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='comment',
            name='comment_one_target',
        ),
        migrations.AddField(
            model_name='comment',
            name='update',
            field=vindaris.lib.tenant.TenantForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='updates.goalupdate'),
        ),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('parent__isnull', True), ('update__isnull', False)), fields=['organization', 'update', '-number'], name='comment_update_threads_idx'),
        ),
        migrations.AddConstraint(
            model_name='comment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('goal__isnull', False), ('task__isnull', True), ('update__isnull', True)), models.Q(('goal__isnull', True), ('task__isnull', False), ('update__isnull', True)), models.Q(('goal__isnull', True), ('task__isnull', True), ('update__isnull', False)), _connector='OR'), name='comment_one_target'),
        ),
        composite_fk(
            "discussions_comment", ("organization_id", "update_id"),
            "updates_goalupdate", ("organization_id", "id"), "comment_update_same_org_fk",
            on_delete="CASCADE",
        ),
    ]
