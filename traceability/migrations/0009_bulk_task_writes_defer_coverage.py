"""A bulk write of one organization's tasks (an import: tens of thousands of rows) may defer
their per-goal coverage to one recount at its end, in its own transaction.

The task triggers of 0005 run a few statements per row; for 100,000 imported rows that is most
of the import's time. Here they skip the rows of the organization named by the transaction-local
setting `vindaris.coverage_deferred` (SET LOCAL, so it ends with the transaction, and only for
that organization: other organizations' writes, and this organization's writes in other
transactions, keep their triggers). The bulk writer then recounts the organization's rows with
traceability_goalcoverage_repair (0005) before it commits (imports.services.apply). The
functions are unchanged; only the triggers' WHEN conditions gain the check.
"""

import importlib

from django.db import migrations

_0005 = importlib.import_module("traceability.migrations.0005_row_level_coverage")

NOT_DEFERRED = (
    "current_setting('vindaris.coverage_deferred', true) IS DISTINCT FROM NEW.organization_id::text"
)


def _trigger(name: str, when: str | None) -> str:
    table, event, _, function = _0005.TRIGGERS[name]
    return (
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} AFTER {event} ON {table}\n    FOR EACH ROW"
        + (f"\n    WHEN ({when})" if when else "")
        + f"\n    EXECUTE FUNCTION traceability_goalcoverage_{function}();\n"
    )


DEFERRABLE = _trigger("goalcoverage_task_inserted", NOT_DEFERRED) + _trigger(
    "goalcoverage_task_updated", f"({_0005._UPDATE_MATTERS}) AND {NOT_DEFERRED}"
)
AS_IN_0005 = _trigger("goalcoverage_task_inserted", None) + _trigger(
    "goalcoverage_task_updated", _0005._UPDATE_MATTERS
)


class Migration(migrations.Migration):
    dependencies = [
        ("traceability", "0008_snapshot_scorecard"),
        ("work", "0006_external_keys"),
    ]

    operations = [migrations.RunSQL(DEFERRABLE, AS_IN_0005)]
