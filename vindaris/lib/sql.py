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
    `on_delete="CASCADE"` makes the database delete the row with its target.
    """
    if on_delete not in {"NO ACTION", "CASCADE"}:
        raise ValueError(f"Unsupported ON DELETE action: {on_delete}")
    cols = ", ".join(columns)
    tcols = ", ".join(target_columns)
    return migrations.RunSQL(
        f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({cols}) "
        f"REFERENCES {target} ({tcols}) ON DELETE {on_delete} DEFERRABLE INITIALLY DEFERRED",
        f"ALTER TABLE {table} DROP CONSTRAINT {name}",
    )
