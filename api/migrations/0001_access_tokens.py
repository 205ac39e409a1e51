"""Personal access tokens of the API. A tenant table like the others: primary key
(organization_id, id), and its member a membership of the same organization, by the composite
key (organization_id, member_id), deleted with it: a removed member's tokens are gone."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import vindaris.lib.tenant
from vindaris.lib.sql import composite_fk


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenancy", "0005_member_time_zone"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("public_id", models.CharField(max_length=12)),
                ("secret_hash", models.CharField(max_length=64)),
                (
                    "access",
                    models.CharField(
                        choices=[("read", "Read only"), ("read_write", "Read and write")],
                        default="read",
                        max_length=12,
                    ),
                ),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "member",
                    vindaris.lib.tenant.TenantForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="tenancy.membership",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["organization", "member", "-created_at"],
                        name="accesstoken_member_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "public_id"), name="accesstoken_org_public_id_key"
                    )
                ],
            },
        ),
        migrations.RunSQL(
            """
            ALTER TABLE api_accesstoken DROP CONSTRAINT api_accesstoken_pkey;
            ALTER TABLE api_accesstoken ADD PRIMARY KEY (organization_id, id);
            """,
            """
            ALTER TABLE api_accesstoken DROP CONSTRAINT api_accesstoken_pkey;
            ALTER TABLE api_accesstoken ADD PRIMARY KEY (id);
            """,
        ),
        composite_fk(
            "api_accesstoken",
            ("organization_id", "member_id"),
            "tenancy_membership",
            ("organization_id", "id"),
            "accesstoken_member_fk",
            on_delete="CASCADE",
        ),
    ]
