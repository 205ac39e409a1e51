"""Jobs asked for by writes, kept until the dispatcher hands them to the broker (an outbox).
A tenant table like the others: primary key (organization_id, id)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0003_distribution_keys"),
        ("traceability", "0006_distribution_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task", models.CharField(max_length=100)),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "organization",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
            ],
            options={"abstract": False},
        ),
        migrations.RunSQL(
            """
            ALTER TABLE tenancy_jobrequest DROP CONSTRAINT tenancy_jobrequest_pkey;
            ALTER TABLE tenancy_jobrequest ADD PRIMARY KEY (organization_id, id);
            """,
            """
            ALTER TABLE tenancy_jobrequest DROP CONSTRAINT tenancy_jobrequest_pkey;
            ALTER TABLE tenancy_jobrequest ADD PRIMARY KEY (id);
            """,
        ),
    ]
