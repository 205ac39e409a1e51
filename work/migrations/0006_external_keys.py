"""Imported work keeps its tool and key (unique per organization and tool) and the import that
created it: (organization_id, import_run_id) -> imports_importrun, emptied if the import goes."""

import django.db.models.deletion
import vindaris.lib.tenant
from django.conf import settings
from django.db import migrations, models

from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):

    dependencies = [
        ('goals', '0007_external_keys'),
        ('imports', '0001_initial'),
        ('tenancy', '0005_member_time_zone'),
        ('work', '0005_distribution_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='external_key',
            field=models.CharField(blank=True, db_default='', max_length=100),
        ),
        migrations.AddField(
            model_name='task',
            name='import_run',
            field=vindaris.lib.tenant.TenantForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='imports.importrun'),
        ),
        migrations.AddField(
            model_name='task',
            name='source',
            field=models.CharField(blank=True, db_default='', max_length=16),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('import_run__isnull', False)), fields=['organization', 'import_run', 'number'], name='task_org_import_idx'),
        ),
        migrations.AddConstraint(
            model_name='task',
            constraint=models.UniqueConstraint(condition=models.Q(('external_key', ''), _negated=True), fields=('organization', 'source', 'external_key'), name='task_org_external_key'),
        ),
        composite_fk(
            "work_task",
            ("organization_id", "import_run_id"),
            "imports_importrun",
            ("organization_id", "id"),
            "work_task_import_run_fk",
            on_delete="SET NULL",
        ),
    ]
