"""Notifications, email preferences and goal follows: tenant tables keyed (organization_id, id),
their keys to members and goals through the organization."""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
import vindaris.lib.tenant
from django.conf import settings
from django.db import migrations, models

from vindaris.lib.sql import composite_fk

TABLES = (
    'notifications_notification',
    'notifications_notificationpreference',
    'notifications_goalfollow',
)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('goals', '0007_external_keys'),
        ('tenancy', '0005_member_time_zone'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='GoalFollow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('goal', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='goals.goal')),
                ('member', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tenancy.membership')),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'goal', 'member'), name='goalfollow_once')],
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('mention', 'Mentions of me'), ('reply', 'Replies to my comments'), ('goal_update', 'Updates on goals I own or follow'), ('assigned', 'Work assigned to me'), ('task_suspect', 'My work turning suspect'), ('task_stranded', 'My work turning stranded')], max_length=16)),
                ('text', models.CharField(max_length=300)),
                ('path', models.CharField(max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('by_email', models.BooleanField(default=False)),
                ('emailed_at', models.DateTimeField(blank=True, null=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
                ('recipient', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tenancy.membership')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('read_at__isnull', True)), fields=['organization', 'recipient'], name='notification_unread_idx'), models.Index(fields=['organization', 'recipient', '-id'], name='notification_recent_idx'), models.Index(condition=models.Q(('by_email', True), ('emailed_at__isnull', True)), fields=['organization', 'recipient', 'id'], name='notification_to_email_idx')],
            },
        ),
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email_kinds', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('mention', 'Mentions of me'), ('reply', 'Replies to my comments'), ('goal_update', 'Updates on goals I own or follow'), ('assigned', 'Work assigned to me'), ('task_suspect', 'My work turning suspect'), ('task_stranded', 'My work turning stranded')], max_length=16), default=list, size=None)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('member', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tenancy.membership')),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'member'), name='notificationpreference_one_per_member')],
            },
        ),
        *[
            migrations.RunSQL(
                f"""
                ALTER TABLE {table} DROP CONSTRAINT {table}_pkey;
                ALTER TABLE {table} ADD PRIMARY KEY (organization_id, id);
                """,
                f"""
                ALTER TABLE {table} DROP CONSTRAINT {table}_pkey;
                ALTER TABLE {table} ADD PRIMARY KEY (id);
                """,
            )
            for table in TABLES
        ],
        composite_fk(
            'notifications_notification', ('organization_id', 'recipient_id'),
            'tenancy_membership', ('organization_id', 'id'), 'notification_recipient_same_org_fk',
            on_delete='CASCADE',
        ),
        composite_fk(
            'notifications_notificationpreference', ('organization_id', 'member_id'),
            'tenancy_membership', ('organization_id', 'id'),
            'notificationpreference_member_same_org_fk', on_delete='CASCADE',
        ),
        composite_fk(
            'notifications_goalfollow', ('organization_id', 'goal_id'),
            'goals_goal', ('organization_id', 'id'), 'goalfollow_goal_same_org_fk',
            on_delete='CASCADE',
        ),
        composite_fk(
            'notifications_goalfollow', ('organization_id', 'member_id'),
            'tenancy_membership', ('organization_id', 'id'), 'goalfollow_member_same_org_fk',
            on_delete='CASCADE',
        ),
    ]
