"""Keys that distribute by organization (Citus, or any engine sharding by one column).

Every tenant table's primary key becomes (organization_id, id), every unique key includes
organization_id, and every foreign key between tenant tables is rebuilt as
(organization_id, x_id) -> target (organization_id, id), with the action the ORM used to carry
out row by row now done by the database:

- CASCADE where the row belongs to its target (an outcome to its goal, a flag to its task);
- SET NULL of the id column alone (PostgreSQL 15's column list: organization_id stays) where
  the row outlives its target (a task's outcome, a goal's parent or owner, history's goals);
- NO ACTION for a task's goal: work.services.goal_delete detaches the work first and writes
  its history, so a goal with work still under it cannot be deleted by accident.

Django keeps `id` as each model's primary key in its state (see vindaris.lib.tenant); the
app migrations before this one drop Django's single-column foreign keys and update the state.
Not reversible: going back would need every id unique on its own again, which nothing checks.
"""

from django.db import migrations
import django.db.models.deletion
import vindaris.lib.tenant

from vindaris.lib.sql import composite_fk_sql

# Tables that get the primary key (organization_id, id). tenancy_membership is a reference
# table on a distributed cluster (see vindaris.lib.distribution) but is keyed the same way, so
# that tenant tables' composite keys can point at it.
TABLES = (
    "tenancy_membership",
    "tenancy_invitation",
    "tenancy_sequence",
    "goals_goal",
    "goals_outcome",
    "goals_checkin",
    "goals_goalevent",
    "goals_goaluserobjectpermission",
    "work_task",
    "work_taskevent",
    "work_checkincredit",
    "traceability_flag",
    "traceability_snapshot",
    "traceability_goalcoverage",
    "traceability_digestsent",
)

ORG = "organization_id"

# (table, columns, target, target columns, name, ON DELETE)
FOREIGN_KEYS = (
    ("goals_goal", (ORG, "parent_id"), "goals_goal", (ORG, "id"),
     "goal_parent_same_org_fk", "SET NULL"),
    ("goals_goal", (ORG, "owner_id"), "tenancy_membership", (ORG, "id"),
     "goal_owner_same_org_fk", "SET NULL"),
    ("goals_outcome", (ORG, "goal_id"), "goals_goal", (ORG, "id"),
     "outcome_goal_same_org_fk", "CASCADE"),
    ("goals_checkin", (ORG, "outcome_id"), "goals_outcome", (ORG, "id"),
     "checkin_outcome_same_org_fk", "CASCADE"),
    ("goals_goalevent", (ORG, "goal_id"), "goals_goal", (ORG, "id"),
     "goalevent_goal_same_org_fk", "CASCADE"),
    ("goals_goaluserobjectpermission", (ORG, "content_object_id"), "goals_goal", (ORG, "id"),
     "goalgrant_goal_same_org_fk", "CASCADE"),
    ("goals_goaluserobjectpermission", (ORG, "user_id"), "tenancy_membership", (ORG, "user_id"),
     "goalgrant_member_fk", "CASCADE"),
    ("work_task", (ORG, "goal_id"), "goals_goal", (ORG, "id"),
     "task_goal_same_org_fk", "NO ACTION"),
    # A task's outcome belongs to the task's goal (and so to its organization).
    ("work_task", (ORG, "goal_id", "outcome_id"), "goals_outcome", (ORG, "goal_id", "id"),
     "task_outcome_of_its_goal_fk", "SET NULL"),
    ("work_task", (ORG, "assignee_id"), "tenancy_membership", (ORG, "id"),
     "task_assignee_same_org_fk", "SET NULL"),
    ("work_taskevent", (ORG, "task_id"), "work_task", (ORG, "id"),
     "taskevent_task_same_org_fk", "CASCADE"),
    ("work_taskevent", (ORG, "from_goal_id"), "goals_goal", (ORG, "id"),
     "taskevent_from_goal_same_org_fk", "SET NULL"),
    ("work_taskevent", (ORG, "to_goal_id"), "goals_goal", (ORG, "id"),
     "taskevent_to_goal_same_org_fk", "SET NULL"),
    ("work_checkincredit", (ORG, "check_in_id"), "goals_checkin", (ORG, "id"),
     "credit_checkin_same_org_fk", "CASCADE"),
    ("work_checkincredit", (ORG, "task_id"), "work_task", (ORG, "id"),
     "credit_task_same_org_fk", "CASCADE"),
    ("traceability_flag", (ORG, "task_id"), "work_task", (ORG, "id"),
     "flag_task_same_org_fk", "CASCADE"),
    ("traceability_flag", (ORG, "goal_id"), "goals_goal", (ORG, "id"),
     "flag_goal_same_org_fk", "CASCADE"),
    ("traceability_goalcoverage", (ORG, "goal_id"), "goals_goal", (ORG, "id"),
     "goalcoverage_goal_same_org_fk", "CASCADE"),
)

# Unique keys that gave way to the primary key, or that lacked organization_id.
_OLD_UNIQUE = (
    ("tenancy_membership", "membership_org_id_key"),
    ("goals_goal", "goal_org_id_key"),
    ("goals_outcome", "outcome_org_id_key"),
    ("goals_outcome", "outcome_goal_id_key"),
    ("goals_checkin", "checkin_org_id_key"),
    ("work_task", "task_org_id_key"),
)

_TABLE_LIST = ", ".join(f"'{t}'" for t in TABLES)

# Every foreign key that points at one of these tables goes first (the composite keys, and any
# single-column one left), so their unique indexes can be replaced.
_DROP_FOREIGN_KEYS = f"""
DO $$
DECLARE c record;
BEGIN
    FOR c IN
        SELECT con.conrelid::regclass AS tbl, con.conname
          FROM pg_constraint con
         WHERE con.contype = 'f' AND con.confrelid::regclass::text IN ({_TABLE_LIST})
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
    END LOOP;
END
$$;
"""

_REPLACE_PRIMARY_KEYS = f"""
DO $$
DECLARE c record;
BEGIN
    FOR c IN
        SELECT con.conrelid::regclass AS tbl, con.conname
          FROM pg_constraint con
         WHERE con.contype = 'p' AND con.conrelid::regclass::text IN ({_TABLE_LIST})
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
        EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (organization_id, id)', c.tbl);
    END LOOP;
END
$$;
"""

SQL = (
    _DROP_FOREIGN_KEYS
    + "".join(f"ALTER TABLE {t} DROP CONSTRAINT {name};\n" for t, name in _OLD_UNIQUE)
    + _REPLACE_PRIMARY_KEYS
    + "ALTER TABLE goals_outcome ADD CONSTRAINT outcome_org_goal_id_key"
    " UNIQUE (organization_id, goal_id, id);\n"
    + "".join(
        composite_fk_sql(t, cols, target, tcols, name, on_delete=action) + ";\n"
        for t, cols, target, tcols, name, action in FOREIGN_KEYS
    )
)


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0006_distribution_keys"),
        ("tenancy", "0003_distribution_keys"),
        ("traceability", "0005_row_level_coverage"),
        ("work", "0005_distribution_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="flag",
            name="goal",
            field=vindaris.lib.tenant.TenantForeignKey(
                blank=True, db_constraint=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name="flags",
                to="goals.goal",
            ),
        ),
        migrations.AlterField(
            model_name="flag",
            name="task",
            field=vindaris.lib.tenant.TenantForeignKey(
                blank=True, db_constraint=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name="flags",
                to="work.task",
            ),
        ),
        migrations.AlterField(
            model_name="goalcoverage",
            name="goal",
            field=vindaris.lib.tenant.TenantForeignKey(
                db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+", to="goals.goal",
            ),
        ),
        migrations.RunSQL(SQL, reverse_sql=None),
    ]
