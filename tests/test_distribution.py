"""The schema distributes by organization as it is: every tenant table's primary key, unique
keys and foreign keys to other tenant tables lead with organization_id (what Citus needs of a
table distributed by organization_id, co-located with the others)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from vindaris.lib.distribution import REFERENCE_MODELS, reference_models, tenant_tables

pytestmark = pytest.mark.django_db

# Reference tables that are keyed like tenant tables all the same (tenant tables point at them).
KEYED_LIKE_TENANTS = {"tenancy_membership"}


def _constraints(kind: str) -> list[tuple[str, str, list[str], str | None, list[str]]]:
    """(table, name, columns, referenced table, referenced columns) of every constraint of
    this kind ('p', 'u' or 'f') in the public schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname,
                   ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                          ORDER BY k.i),
                   NULLIF(c.confrelid, 0)::regclass::text,
                   ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                           JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                          ORDER BY k.i)
              FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
             WHERE s.nspname = 'public' AND c.contype = %s
            """,
            [kind],
        )
        return cursor.fetchall()


def _unique_indexes() -> list[tuple[str, str, str]]:
    """(table, index, definition) of every unique index, constraint-backed or not."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid)
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class t ON t.oid = x.indrelid
              JOIN pg_namespace s ON s.oid = t.relnamespace
             WHERE s.nspname = 'public' AND x.indisunique
            """
        )
        return cursor.fetchall()


def test_the_tenant_tables_are_every_table_with_an_organization():
    tables = tenant_tables()
    assert {"goals_goal", "goals_outcome", "work_task", "traceability_goalcoverage"} <= tables
    assert "tenancy_membership" not in tables  # a reference table (vindaris.lib.distribution)
    assert {"tenancy.Membership"} == REFERENCE_MODELS
    reference = {m._meta.db_table for m in reference_models()}
    assert {"tenancy_user", "tenancy_organization", "django_session"} <= reference
    assert not tables & reference


def test_every_tenant_table_is_keyed_by_organization_and_id():
    keys = {table: columns for table, _, columns, _, _ in _constraints("p")}
    for table in tenant_tables() | KEYED_LIKE_TENANTS:
        assert keys.get(table) == ["organization_id", "id"], table


def test_every_unique_key_of_a_tenant_table_includes_the_organization():
    tables = tenant_tables()
    offending = [
        (table, name, definition)
        for table, name, definition in _unique_indexes()
        if table in tables and "organization_id" not in definition
    ]
    assert offending == []
    # and the indexes that back them lead with it, so each is one shard's
    leading = [
        (table, name)
        for table, name, definition in _unique_indexes()
        if table in tables and "(organization_id" not in definition
    ]
    assert leading == []


def test_every_foreign_key_between_tenant_tables_goes_through_the_organization():
    keyed = tenant_tables() | KEYED_LIKE_TENANTS
    between = [fk for fk in _constraints("f") if fk[0] in tenant_tables() and fk[3] in keyed]
    assert len(between) >= 15
    for table, name, columns, target, target_columns in between:
        assert columns[0] == "organization_id", (table, name)
        assert target_columns[0] == "organization_id", (table, name, target)
        assert len(columns) >= 2, (table, name)


def test_tenant_tables_point_at_non_tenant_tables_only_by_single_columns():
    """A key to a reference table (users, organizations) is fine on its own column."""
    tables = tenant_tables()
    keyed = tables | KEYED_LIKE_TENANTS
    to_reference = {
        target for table, _, _, target, _ in _constraints("f") if table in tables
    } - keyed
    assert to_reference <= {m._meta.db_table for m in reference_models()}


def test_the_distribution_sql_distributes_every_tenant_table_after_what_it_points_at():
    out = StringIO()
    call_command("distribution_sql", stdout=out)
    lines = out.getvalue().splitlines()
    distributed = [
        line.split("'")[1] for line in lines if line.startswith("SELECT create_distributed_table")
    ]
    reference = [
        line.split("'")[1] for line in lines if line.startswith("SELECT create_reference_table")
    ]
    assert sorted(distributed) == sorted(tenant_tables())
    assert distributed[0] == "goals_goal"
    assert all(
        "colocate_with => 'goals_goal'" in line
        for line in lines[1:]
        if "distributed_table" in line and "'goals_goal'," not in line
    )
    assert set(reference) == {m._meta.db_table for m in reference_models()} | {"django_migrations"}
    position = {table: i for i, table in enumerate(reference + distributed)}
    for table, _, _, target, _ in _constraints("f"):
        if target != table and table in position:
            assert position[target] < position[table], (table, target)
