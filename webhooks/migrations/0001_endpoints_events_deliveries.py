"""Webhooks: endpoints, the events writes record (an outbox) and deliveries. Tenant tables like
the others: primary key (organization_id, id); an endpoint's member is a membership of the same
organization by the composite key (deleted with it: a removed admin's endpoints go); a delivery
points at its endpoint and its event the same way, and goes with either."""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
import uuid
import vindaris.lib.tenant
from vindaris.lib.sql import composite_fk
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenancy', '0005_member_time_zone'),
    ]

    operations = [
        migrations.CreateModel(
            name='Endpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('url', models.URLField(max_length=2000)),
                ('description', models.CharField(blank=True, max_length=200)),
                ('events', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=32), size=None)),
                ('active', models.BooleanField(default=True)),
                ('secret', models.CharField(max_length=64)),
                ('secret_rotated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('consecutive_failures', models.PositiveIntegerField(default=0)),
                ('disabled_at', models.DateTimeField(blank=True, null=True)),
                ('disabled_reason', models.CharField(blank=True, max_length=200)),
                ('member', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tenancy.membership')),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
            ],
        ),
        migrations.CreateModel(
            name='Event',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.UUIDField(default=uuid.uuid4)),
                ('type', models.CharField(choices=[('task.created', "A task was created (on a goal's page, captured, through the API or imported)"), ('task.updated', "A task's fields, status or link confirmation changed"), ('task.moved', 'A task moved to another goal'), ('goal.updated', "A goal's fields changed"), ('check_in.created', 'A check-in recorded a new value of an outcome'), ('flag.raised', 'A gap was flagged (orphaned, stranded, suspect or starved)'), ('flag.resolved', 'A flag was resolved')], max_length=32)),
                ('object_id', models.BigIntegerField()),
                ('occurred_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('dispatched_at', models.DateTimeField(blank=True, null=True)),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
            ],
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField()),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('succeeded', 'Delivered'), ('failed', 'Failed')], default='pending', max_length=12)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('lease_until', models.DateTimeField(blank=True, null=True)),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('status_code', models.PositiveIntegerField(blank=True, null=True)),
                ('duration_ms', models.PositiveIntegerField(blank=True, null=True)),
                ('response_excerpt', models.TextField(blank=True)),
                ('error', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
                ('endpoint', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='webhooks.endpoint')),
                ('event', vindaris.lib.tenant.TenantForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='webhooks.event')),
            ],
        ),
        migrations.AddConstraint(
            model_name='endpoint',
            constraint=models.UniqueConstraint(fields=('organization', 'number'), name='webhookendpoint_org_number_key'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('dispatched_at__isnull', True)), fields=['organization', 'id'], name='webhookevent_pending_idx'),
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.UniqueConstraint(fields=('organization', 'event_id'), name='webhookevent_org_event_id_key'),
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(fields=['organization', 'endpoint', '-id'], name='webhookdelivery_log_idx'),
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(condition=models.Q(('state__in', ['pending', 'sending'])), fields=['next_attempt_at'], name='webhookdelivery_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='delivery',
            constraint=models.UniqueConstraint(fields=('organization', 'endpoint', 'event'), name='webhookdelivery_once_key'),
        ),
        migrations.RunSQL(
            """
            ALTER TABLE webhooks_endpoint DROP CONSTRAINT webhooks_endpoint_pkey;
            ALTER TABLE webhooks_endpoint ADD PRIMARY KEY (organization_id, id);
            ALTER TABLE webhooks_event DROP CONSTRAINT webhooks_event_pkey;
            ALTER TABLE webhooks_event ADD PRIMARY KEY (organization_id, id);
            ALTER TABLE webhooks_delivery DROP CONSTRAINT webhooks_delivery_pkey;
            ALTER TABLE webhooks_delivery ADD PRIMARY KEY (organization_id, id);
            """,
            """
            ALTER TABLE webhooks_delivery DROP CONSTRAINT webhooks_delivery_pkey;
            ALTER TABLE webhooks_delivery ADD PRIMARY KEY (id);
            ALTER TABLE webhooks_event DROP CONSTRAINT webhooks_event_pkey;
            ALTER TABLE webhooks_event ADD PRIMARY KEY (id);
            ALTER TABLE webhooks_endpoint DROP CONSTRAINT webhooks_endpoint_pkey;
            ALTER TABLE webhooks_endpoint ADD PRIMARY KEY (id);
            """,
        ),
        composite_fk(
            "webhooks_endpoint",
            ("organization_id", "member_id"),
            "tenancy_membership",
            ("organization_id", "id"),
            "webhookendpoint_member_fk",
            on_delete="CASCADE",
        ),
        composite_fk(
            "webhooks_delivery",
            ("organization_id", "endpoint_id"),
            "webhooks_endpoint",
            ("organization_id", "id"),
            "webhookdelivery_endpoint_fk",
            on_delete="CASCADE",
        ),
        composite_fk(
            "webhooks_delivery",
            ("organization_id", "event_id"),
            "webhooks_event",
            ("organization_id", "id"),
            "webhookdelivery_event_fk",
            on_delete="CASCADE",
        ),
    ]
