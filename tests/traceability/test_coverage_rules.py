"""The coverage triggers' functions, as installed in the database, count with the gap rules of
work.gaps as they stand now. A migration freezes the rules it installs; when a rule changes in
work.gaps, these tests fail until a new migration installs functions built from the new one."""

import re

import pytest
from django.db import connection

from work import gaps

pytestmark = pytest.mark.django_db

# The fragments each function must contain, over a task `t` and its goal `g`.
RULES = {
    "live": gaps.live_sql("t"),
    "stranded (open)": gaps.stranded_open_sql("t", "g"),
    "kept": gaps.kept_sql("t", "g"),
    "suspect": gaps.suspect_sql("t", "g"),
}
COUNTING_FUNCTIONS = (
    "traceability_goalcoverage_task_changed",  # a task's delta
    "traceability_goalcoverage_goal_changed",  # a goal's recount
    "traceability_goalcoverage_drift",  # the recount of the check
    "traceability_goalcoverage_repair",  # and of the repair
)
TENANT_TABLES = ("work_task", "goals_goal", "goals_outcome", "traceability_goalcoverage")


def _sources() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'traceability_goalcoverage%'"
        )
        return dict(cursor.fetchall())


def _triggers() -> list[tuple[str, str, str, bool, str]]:
    """(table, trigger, enabled, row level, definition) of the coverage triggers."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, t.tgname, t.tgenabled, (t.tgtype & 1) = 1,
                   pg_get_triggerdef(t.oid)
              FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             WHERE t.tgname LIKE 'goalcoverage%%' AND NOT t.tgisinternal
            """
        )
        return cursor.fetchall()


@pytest.mark.parametrize("function", COUNTING_FUNCTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_each_counting_function_holds_todays_rule(function, rule):
    source = _sources()[function]

    assert RULES[rule] in source, f"{function}: {rule} is not work.gaps' rule of today"


def test_the_triggers_are_row_level_fire_on_origin_writes_and_read_no_transition_table():
    triggers = _triggers()

    assert {(table, name) for table, name, *_ in triggers} == {
        ("work_task", "goalcoverage_task_inserted"),
        ("work_task", "goalcoverage_task_updated"),
        ("work_task", "goalcoverage_task_deleted"),
        ("goals_goal", "goalcoverage_goal_changed"),
        ("goals_outcome", "goalcoverage_outcome_inserted"),
        ("goals_outcome", "goalcoverage_outcome_updated"),
        ("goals_outcome", "goalcoverage_outcome_deleted"),
    }
    for _, name, enabled, row_level, definition in triggers:
        assert row_level, name
        # Not under session_replication_role = replica: a replicated row is counted where it
        # was written, not again where it is applied (a shard move brings the counts along).
        assert enabled == "O", name
        assert "REFERENCING" not in definition, name


def test_no_function_locks_a_table_or_reads_a_statement_tuplestore():
    for name, source in _sources().items():
        assert "LOCK TABLE" not in source.upper(), name
        assert "new_rows" not in source and "old_rows" not in source, name


def test_every_statement_pins_each_tenant_table_it_touches_to_an_organization():
    """In each statement of each function, every alias of a tenant table has an equality on
    its organization_id; a table named without an alias is an upsert's target, keyed by the
    organization and the goal."""
    mention = re.compile(
        r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(" + "|".join(TENANT_TABLES) + r")\b(?:\s+(\w+))?",
        re.IGNORECASE,
    )
    keywords = {"where", "set", "on", "using", "values", "select", "as"}
    checked = 0
    for name, source in _sources().items():
        for statement in source.split(";"):
            for table, alias in mention.findall(statement):
                checked += 1
                if not alias or alias.lower() in keywords:
                    assert "ON CONFLICT (organization_id, goal_id)" in statement, (name, table)
                    continue
                pinned = re.search(rf"\b{alias}\.organization_id\s*=", statement)
                assert pinned, f"{name}: {table} {alias} is not pinned in:{statement}"
    assert checked > 20
