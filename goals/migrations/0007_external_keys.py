"""Imported goals and outcomes keep the tool and key they came from, unique per organization
and tool."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('goals', '0006_distribution_keys'),
        ('tenancy', '0005_member_time_zone'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='goal',
            name='external_key',
            field=models.CharField(blank=True, db_default='', max_length=100),
        ),
        migrations.AddField(
            model_name='goal',
            name='source',
            field=models.CharField(blank=True, db_default='', max_length=16),
        ),
        migrations.AddField(
            model_name='outcome',
            name='external_key',
            field=models.CharField(blank=True, db_default='', max_length=100),
        ),
        migrations.AddField(
            model_name='outcome',
            name='source',
            field=models.CharField(blank=True, db_default='', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='goal',
            constraint=models.UniqueConstraint(condition=models.Q(('external_key', ''), _negated=True), fields=('organization', 'source', 'external_key'), name='goal_org_external_key'),
        ),
        migrations.AddConstraint(
            model_name='outcome',
            constraint=models.UniqueConstraint(condition=models.Q(('external_key', ''), _negated=True), fields=('organization', 'source', 'external_key'), name='outcome_org_external_key'),
        ),
    ]
