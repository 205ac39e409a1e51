"""Goal updates: how often the organization asks goal owners for one, and on which day its cycle
starts; a member's opt-out of the reminder."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0005_member_time_zone'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='update_reminder_opt_out',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='organization',
            name='update_cadence_weeks',
            field=models.PositiveSmallIntegerField(choices=[(1, 'Every week'), (2, 'Every two weeks'), (4, 'Every four weeks')], db_default=1, default=1),
        ),
        migrations.AddField(
            model_name='organization',
            name='update_weekday',
            field=models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')], db_default=4, default=4),
        ),
    ]
