"""Comments and mentions: tenant tables keyed (organization_id, id), every reference to another
tenant table through the organization. A comment goes with its goal, task or thread; its author
leaving empties the author; a mention goes with its comment or its member."""

import django.db.models.deletion
import vindaris.lib.tenant
from django.conf import settings
from django.db import migrations, models

from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('goals', '0007_external_keys'),
        ('tenancy', '0005_member_time_zone'),
        ('work', '0006_external_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Comment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('body', models.TextField(blank=True, max_length=10000)),
                ('created_at', models.DateTimeField()),
                ('edited_at', models.DateTimeField(blank=True, null=True)),
                ('deleted_at', models.DateTimeField(blank=True, null=True)),
                ('author', vindaris.lib.tenant.TenantForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tenancy.membership')),
                ('deleted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('goal', vindaris.lib.tenant.TenantForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='goals.goal')),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
                ('parent', vindaris.lib.tenant.TenantForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='replies', to='discussions.comment')),
                ('task', vindaris.lib.tenant.TenantForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='work.task')),
            ],
        ),
        migrations.CreateModel(
            name='Mention',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('comment', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='mentions', to='discussions.comment')),
                ('member', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tenancy.membership')),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
            ],
        ),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('goal__isnull', False), ('parent__isnull', True)), fields=['organization', 'goal', '-number'], name='comment_goal_threads_idx'),
        ),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('parent__isnull', True), ('task__isnull', False)), fields=['organization', 'task', '-number'], name='comment_task_threads_idx'),
        ),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('parent__isnull', False)), fields=['organization', 'parent', 'number'], name='comment_replies_idx'),
        ),
        migrations.AddConstraint(
            model_name='comment',
            constraint=models.UniqueConstraint(fields=('organization', 'number'), name='comment_org_number_key'),
        ),
        migrations.AddConstraint(
            model_name='comment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('goal__isnull', False), ('task__isnull', True)), models.Q(('goal__isnull', True), ('task__isnull', False)), _connector='OR'), name='comment_one_target'),
        ),
        migrations.AddConstraint(
            model_name='comment',
            constraint=models.CheckConstraint(condition=models.Q(('deleted_at__isnull', True), ('body', ''), _connector='OR'), name='comment_tombstone_keeps_no_text'),
        ),
        migrations.AddConstraint(
            model_name='mention',
            constraint=models.UniqueConstraint(fields=('organization', 'comment', 'member'), name='mention_once'),
        ),
        migrations.RunSQL(
            """
            ALTER TABLE discussions_comment DROP CONSTRAINT discussions_comment_pkey;
            ALTER TABLE discussions_comment ADD PRIMARY KEY (organization_id, id);
            ALTER TABLE discussions_mention DROP CONSTRAINT discussions_mention_pkey;
            ALTER TABLE discussions_mention ADD PRIMARY KEY (organization_id, id);
            """,
            """
            ALTER TABLE discussions_mention DROP CONSTRAINT discussions_mention_pkey;
            ALTER TABLE discussions_mention ADD PRIMARY KEY (id);
            ALTER TABLE discussions_comment DROP CONSTRAINT discussions_comment_pkey;
            ALTER TABLE discussions_comment ADD PRIMARY KEY (id);
            """,
        ),
        composite_fk(
            "discussions_comment", ("organization_id", "goal_id"),
            "goals_goal", ("organization_id", "id"), "comment_goal_same_org_fk",
            on_delete="CASCADE",
        ),
        composite_fk(
            "discussions_comment", ("organization_id", "task_id"),
            "work_task", ("organization_id", "id"), "comment_task_same_org_fk",
            on_delete="CASCADE",
        ),
        composite_fk(
            "discussions_comment", ("organization_id", "parent_id"),
            "discussions_comment", ("organization_id", "id"), "comment_parent_same_org_fk",
            on_delete="CASCADE",
        ),
        composite_fk(
            "discussions_comment", ("organization_id", "author_id"),
            "tenancy_membership", ("organization_id", "id"), "comment_author_same_org_fk",
            on_delete="SET NULL",
        ),
        composite_fk(
            "discussions_mention", ("organization_id", "comment_id"),
            "discussions_comment", ("organization_id", "id"), "mention_comment_same_org_fk",
            on_delete="CASCADE",
        ),
        composite_fk(
            "discussions_mention", ("organization_id", "member_id"),
            "tenancy_membership", ("organization_id", "id"), "mention_member_same_org_fk",
            on_delete="CASCADE",
        ),
    ]
