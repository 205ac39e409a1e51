"""Print the SQL that distributes this database on Citus, by organization.

    manage.py distribution_sql | psql "$COORDINATOR_URL"

Run it on the coordinator after `CREATE EXTENSION citus` and adding the workers, with the
application stopped (creating distributed tables copies the rows to the shards). Reference
tables come first (tenant tables' keys point at them), then the tenant tables, each after the
tables its foreign keys point at, all co-located with goals_goal.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import models

from vindaris.lib.distribution import DISTRIBUTION_COLUMN, reference_models, tenant_models

COLOCATE_WITH = "goals_goal"
# Tables Django keeps outside any model.
UNMODELLED_REFERENCE_TABLES = ("django_migrations",)
# Functions the coverage triggers call on the shards, and the repair, run next to the rows of
# the organization given as their first argument.
COLOCATED_FUNCTIONS = (
    "traceability_goalcoverage_drift(bigint)",
    "traceability_goalcoverage_repair(bigint)",
)


def _in_key_order(selected: list[type[models.Model]]) -> list[type[models.Model]]:
    """`selected` with every model after the models its foreign keys point at (self-references
    aside), otherwise in the given order."""
    chosen = set(selected)
    done: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model: type[models.Model]) -> None:
        if model in seen:
            return
        seen.add(model)
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is not None and target is not model and target in chosen:
                visit(target)
        done.append(model)

    for model in selected:
        visit(model)
    return done


def distribution_statements(database: str) -> list[str]:
    """The statements, in the order they must run."""
    statements = [
        "-- Triggers on distributed tables (the coverage figures) run on the shards.",
        f'ALTER DATABASE "{database}" SET citus.enable_unsafe_triggers = on;',
        "SET citus.enable_unsafe_triggers = on;",
        "BEGIN;",
    ]
    for table in UNMODELLED_REFERENCE_TABLES:
        statements.append(f"SELECT create_reference_table('{table}');")
    for model in _in_key_order(reference_models()):
        statements.append(f"SELECT create_reference_table('{model._meta.db_table}');")
    tenants = _in_key_order(tenant_models())
    first = next(m for m in tenants if m._meta.db_table == COLOCATE_WITH)
    ordered = [first, *(m for m in tenants if m is not first)]
    for model in _in_key_order(ordered):
        table = model._meta.db_table
        colocate = "" if table == COLOCATE_WITH else f", colocate_with => '{COLOCATE_WITH}'"
        statements.append(
            f"SELECT create_distributed_table('{table}', '{DISTRIBUTION_COLUMN}'{colocate});"
        )
    for function in COLOCATED_FUNCTIONS:
        statements.append(
            f"SELECT create_distributed_function('{function}', '$1',"
            f" colocate_with => '{COLOCATE_WITH}');"
        )
    statements.append("COMMIT;")
    return statements


class Command(BaseCommand):
    help = "Print the SQL that distributes this database on Citus by organization_id."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connection

        for statement in distribution_statements(connection.settings_dict["NAME"]):
            self.stdout.write(statement)
