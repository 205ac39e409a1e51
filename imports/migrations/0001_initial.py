"""Imports: one row per uploaded file, a tenant table keyed (organization_id, id)."""

import django.db.models.deletion
import imports.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenancy', '0005_member_time_zone'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('token', models.CharField(max_length=32)),
                ('file', models.FileField(blank=True, max_length=200, upload_to=imports.models._upload_to)),
                ('filename', models.CharField(max_length=200)),
                ('size', models.PositiveBigIntegerField()),
                ('format', models.CharField(max_length=32)),
                ('format_chosen', models.BooleanField(default=False)),
                ('source', models.CharField(blank=True, max_length=16)),
                ('state', models.CharField(choices=[('queued', 'Reading the file'), ('ready', 'Dry run ready'), ('apply_queued', 'Applying'), ('applied', 'Applied'), ('failed', 'Failed'), ('cancelled', 'Discarded')], default='queued', max_length=16)),
                ('error', models.TextField(blank=True)),
                ('plan', models.JSONField(blank=True, default=dict)),
                ('mapping', models.JSONField(blank=True, default=dict)),
                ('result', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('applied_at', models.DateTimeField(blank=True, null=True)),
                ('applied_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'number'), name='importrun_org_number_key')],
            },
        ),
        migrations.RunSQL(
            """
            ALTER TABLE imports_importrun DROP CONSTRAINT imports_importrun_pkey;
            ALTER TABLE imports_importrun ADD PRIMARY KEY (organization_id, id);
            """,
            """
            ALTER TABLE imports_importrun DROP CONSTRAINT imports_importrun_pkey;
            ALTER TABLE imports_importrun ADD PRIMARY KEY (id);
            """,
        ),
    ]
