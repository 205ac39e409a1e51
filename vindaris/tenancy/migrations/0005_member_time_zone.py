"""A member's own time zone (blank: the organization's), and the organization's zone checked
against the system's zone names rather than a choice list frozen in a migration."""

import vindaris.tenancy.zones
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0004_jobrequest'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='timezone',
            field=models.CharField(blank=True, db_default='', max_length=64, validators=[vindaris.tenancy.zones.validate_zone_or_blank]),
        ),
        migrations.AlterField(
            model_name='organization',
            name='timezone',
            field=models.CharField(default='UTC', max_length=64, validators=[vindaris.tenancy.zones.validate_zone]),
        ),
    ]
