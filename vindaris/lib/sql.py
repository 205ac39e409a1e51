"""Helpers for constraints Django cannot declare: composite foreign keys between tenant tables."""

from django.db import migrations


def composite_fk(
    table: str,
    columns: tuple[str, ...],
    target: str,
    target_columns: tuple[str, ...],
    name: str,
    *,
    on_delete: str = "NO ACTION",
) -> migrations.RunSQL:
    """A deferrable composite foreign key such as (organization_id, goal_id) -> goal.

    It guarantees in the database that a row never points at another organization's row.
    `on_delete="CASCADE"` makes the database delete the row with its target; `"SET NULL"`
    empties the referencing columns but organization_id (PostgreSQL 15's column list).
    """
    return migrations.RunSQL(
        composite_fk_sql(table, columns, target, target_columns, name, on_delete=on_delete),
        f"ALTER TABLE {table} DROP CONSTRAINT {name}",
    )


def composite_fk_sql(
    table: str,
    columns: tuple[str, ...],
    target: str,
    target_columns: tuple[str, ...],
    name: str,
    *,
    on_delete: str = "NO ACTION",
) -> str:
    if on_delete == "SET NULL":
        nulled = [c for c in columns if c != "organization_id"]
        action = f"SET NULL ({', '.join(nulled)})"
    elif on_delete in {"NO ACTION", "CASCADE"}:
        action = on_delete
    else:
        raise ValueError(f"Unsupported ON DELETE action: {on_delete}")
    cols = ", ".join(columns)
    tcols = ", ".join(target_columns)
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({cols}) "
        f"REFERENCES {target} ({tcols}) ON DELETE {action} DEFERRABLE INITIALLY DEFERRED"
    )
