"""Per-goal coverage kept by row-level triggers, every statement on one (organization, goal).

0003's task and outcome triggers were statement-level with transition tables, which a
distributed table's shards cannot run (Citus executes a trigger on the worker holding the
shard, where the statement's tuplestores do not exist), and some of their statements found a
coverage row or a goal's outcomes by goal alone; its repair locked three whole tables. Here:

Triggers (all FOR EACH ROW, enabled the ordinary way: they do not fire under
session_replication_role = replica, which is how logical replication applies rows, Citus's shard
moves included — a moved task's shard brings its goals' coverage rows along, and counting the task
again there would count it twice. A bulk load that sets replica, as the benchmark's does, repairs
the rows of its organizations afterwards):
- work_task, AFTER INSERT / UPDATE / DELETE (the update one only when a column the figures
  depend on changed: goal_id, status, estimate, link_confirmed_at, kept_reason, updated_at):
  OLD's contribution is taken off (organization, OLD.goal_id), NEW's added to
  (organization, NEW.goal_id); one statement when both are on the same row.
- goals_goal, AFTER UPDATE OF status, material_change_at (when one of them changed): the goal's
  stranded, kept and suspect counts recounted from its live tasks.
- goals_outcome, AFTER INSERT / UPDATE / DELETE: outcomes and progress_sum by deltas (an
  outcome's progress depends on its own row only).

Every statement in every function names its organization and goal: each table it reads or
writes carries `organization_id = <the row's organization>` (or joins one that does on
organization_id), plus the goal. The gap conditions are work.gaps' fragments as they are today,
frozen below (a migration must not change when the code does); tests/traceability/
test_coverage_rules.py fails when work.gaps no longer produces what the installed functions
contain, until a new migration installs the new rules.

Concurrency. A trigger first takes the coverage row it will change (creating it if missing,
ON CONFLICT DO NOTHING on the NULLS NOT DISTINCT key, then SELECT ... FOR UPDATE), and only
then, in a new statement, reads the goal's status and last material change. A task write and a
goal change on the same goal therefore serialize on the goal's coverage row, and whichever
comes second computes from what the first committed: the goal change recounts the goal's tasks
in a statement that sees the task write; the task write computes its delta under the goal's
committed status, the one the row was last counted with. A task moved between goals takes both
rows in a fixed order (organization, then goal id, the row without a goal first), so two
single-row writes never deadlock. What row-level triggers cannot do is order the rows of one
multi-row statement: a bulk UPDATE takes rows in the order it changes tasks, so two concurrent
bulk statements that touch the same goals in opposite orders can deadlock; PostgreSQL detects
it and aborts one of them (retry it). The services write one task at a time, or one goal's
tasks at a time.

Checks and repair, one organization at a time, locking nothing of another organization (both
recount with the same statement, built below):
- traceability_goalcoverage_drift(org): (goal_id, column, stored, expected) for every figure
  that differs from a recount of the organization's tasks and outcomes. Read-only, one
  statement and so one snapshot: a task write and its delta commit together, so concurrent
  writes never show as drift.
- traceability_goalcoverage_repair(org) returns the number of rows fixed. (1) It creates the
  missing rows of every goal with tasks or outcomes (waiting for a writer that is creating
  one), (2) locks the organization's rows FOR UPDATE in goal order, then (3) in a new
  statement recounts and writes only the rows that differ (insert, update, or delete a row
  that holds figures but has nothing to count). A task write that took a row before (2) is
  waited for and is in the recount; one that comes after has its change invisible to the
  recount and waits for the row, then adds its delta to the repaired figures. Either way the
  result is exact. Narrow case: a row created by a writer after (2) is not locked; (3) writes
  a row only if it still holds the figures the recount compared (re-checked on the latest
  version), so a concurrent delta is never overwritten; such a row, if it drifted, is left for
  the next run. No LOCK TABLE, no lock on another organization's rows: a transaction of
  another organization holding its tasks or coverage rows does not delay a repair.

The reverse restores 0003's functions and triggers (built by 0003's own module).
"""

import importlib
import textwrap

from django.db import migrations

# work.gaps at this migration, over a task `t` and its (LEFT JOINed) goal `g`: live_sql("t"),
# stranded_open_sql("t", "g"), kept_sql("t", "g"), suspect_sql("t", "g").
LIVE = "t.status IN ('todo', 'in_progress', 'blocked')"
STRANDED_OPEN = (
    "((t.status IN ('todo', 'in_progress', 'blocked') AND t.goal_id IS NOT NULL"
    " AND COALESCE(g.status <> 'active', false)) AND NOT (t.kept_reason <> ''"
    " AND NOT COALESCE(g.material_change_at > t.link_confirmed_at, false)))"
)
KEPT = (
    "((t.status IN ('todo', 'in_progress', 'blocked') AND t.goal_id IS NOT NULL"
    " AND COALESCE(g.status <> 'active', false)) AND (t.kept_reason <> ''"
    " AND NOT COALESCE(g.material_change_at > t.link_confirmed_at, false)))"
)
SUSPECT = (
    "(t.status IN ('todo', 'in_progress', 'blocked')"
    " AND COALESCE(g.material_change_at > t.link_confirmed_at, false))"
)
DONE = "t.status = 'done'"

# Outcome.progress in whole percent: from baseline to target, clamped, truncated (as in 0003).
PROGRESS = """
    CASE WHEN o.target = o.baseline THEN (CASE WHEN o.current = o.target THEN 100 ELSE 0 END)
         ELSE trunc(GREATEST(0, LEAST(1, (o.current - o.baseline) / (o.target - o.baseline)))
                    * 100)::integer
    END
"""

TASK_FIGURES = ("tasks", "live_tasks", "live_effort", "done_effort", "stranded", "kept", "suspect")
FIGURES = (*TASK_FIGURES, "last_task_at", "outcomes", "progress_sum")


# The functions are self-contained (no function calls another): on a distributed cluster each
# runs where its rows are, with nothing else to install there.


# plpgsql: take (k_org, k_goal)'s row, creating it if missing, and lock it; `taken` is false
# when the goal is not there (being deleted: its row goes with it, and its work's figures too).
_TAKE = """
        taken := NULL;
        WHILE taken IS NULL LOOP
            IF k_goal IS NULL THEN
                PERFORM 1 FROM traceability_goalcoverage s
                  WHERE s.organization_id = k_org AND s.goal_id IS NULL FOR UPDATE;
            ELSE
                PERFORM 1 FROM traceability_goalcoverage s
                  WHERE s.organization_id = k_org AND s.goal_id = k_goal FOR UPDATE;
            END IF;
            IF FOUND THEN
                taken := true;
            ELSIF k_goal IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM goals_goal g WHERE g.organization_id = k_org AND g.id = k_goal
            ) THEN
                taken := false;
            ELSE
                -- Waits for a writer creating the same row; the lock above then finds it.
                INSERT INTO traceability_goalcoverage (organization_id, goal_id)
                VALUES (k_org, k_goal)
                ON CONFLICT (organization_id, goal_id) DO NOTHING;
            END IF;
        END LOOP;"""

# The changed row's sides on the taken row (k_org, k_goal): OLD unless `side` is 'new', NEW
# unless it is 'old' (both: an update that stays on its row). A one-row subquery per side.
_SIDES = """(SELECT -1 AS sign, (OLD).* WHERE side <> 'new'
                UNION ALL
                SELECT 1 AS sign, (NEW).* WHERE side <> 'old')"""

_ADD = ",\n                   ".join(f"{c} = s.{c} + d.{c}" for c in TASK_FIGURES)
# The latest change stays the latest unless the task that made it left (moved away, deleted,
# or its updated_at went back) and nothing as new came: then it is looked up again.
_KEEPS_LATEST = (
    "(d.removed_at IS NULL OR d.removed_at <> s.last_task_at OR d.added_at >= s.last_task_at)"
)
_TASK_DELTA = f"""
        SELECT COALESCE(sum(t.sign), 0) AS tasks,
               COALESCE(sum(t.sign) FILTER (WHERE {LIVE}), 0) AS live_tasks,
               COALESCE(sum(t.sign * t.estimate) FILTER (WHERE {LIVE}), 0) AS live_effort,
               COALESCE(sum(t.sign * t.estimate) FILTER (WHERE {DONE}), 0) AS done_effort,
               COALESCE(sum(t.sign) FILTER (WHERE {STRANDED_OPEN}), 0) AS stranded,
               COALESCE(sum(t.sign) FILTER (WHERE {KEPT}), 0) AS kept,
               COALESCE(sum(t.sign) FILTER (WHERE {SUSPECT}), 0) AS suspect,
               max(t.updated_at) FILTER (WHERE t.sign > 0) AS added_at,
               max(t.updated_at) FILTER (WHERE t.sign < 0) AS removed_at
          FROM {_SIDES} t
          LEFT JOIN goals_goal g
            ON g.organization_id = t.organization_id AND g.id = t.goal_id
           AND g.organization_id = k_org"""


def _task_update(goal_is: str) -> str:
    delta = textwrap.indent(textwrap.dedent(_TASK_DELTA), " " * 16)
    return f"""
            UPDATE traceability_goalcoverage s
               SET {_ADD},
                   last_task_at = CASE WHEN {_KEEPS_LATEST}
                       THEN GREATEST(s.last_task_at, d.added_at)
                       ELSE (SELECT max(w.updated_at) FROM work_task w
                              WHERE w.organization_id = k_org AND w.goal_id {goal_is})
                   END
              FROM ({delta}) d
             WHERE s.organization_id = k_org AND s.goal_id {goal_is};"""


# A task's sides added to (or taken off) the row; it reads the goal as it now stands.
_TASK_APPLY = f"""
        IF k_goal IS NULL THEN{_task_update("IS NULL")}
        ELSE{_task_update("= k_goal")}
        END IF;"""

# An outcome's progress depends on its own row only: deltas, no goal read.
_OUTCOME_APPLY = f"""
        UPDATE traceability_goalcoverage s
           SET outcomes = s.outcomes + d.outcomes,
               progress_sum = s.progress_sum + d.progress_sum
          FROM (SELECT COALESCE(sum(o.sign), 0) AS outcomes,
                       COALESCE(sum(o.sign * {PROGRESS}), 0) AS progress_sum
                  FROM {_SIDES} o) d
         WHERE s.organization_id = k_org AND s.goal_id = k_goal;"""


def _row_function(name: str, apply: str) -> str:
    """The trigger function of a table whose rows count on (organization_id, goal_id)."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sides text[];  -- the rows to change, in the order they are taken: 'old', 'new', 'both'
    taken_sides text[] := '{{}}';
    side text;
    taken boolean;
    k_org bigint;
    k_goal bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        sides := ARRAY['new'];
    ELSIF TG_OP = 'DELETE' THEN
        sides := ARRAY['old'];
    ELSIF OLD.organization_id = NEW.organization_id
          AND OLD.goal_id IS NOT DISTINCT FROM NEW.goal_id THEN
        sides := ARRAY['both'];
    ELSIF OLD.organization_id < NEW.organization_id
          OR (OLD.organization_id = NEW.organization_id
              AND (OLD.goal_id IS NULL OR OLD.goal_id < NEW.goal_id)) THEN
        sides := ARRAY['old', 'new'];
    ELSE
        sides := ARRAY['new', 'old'];
    END IF;
    -- 1. Take the rows in that order (organization, goal, the row without a goal first): two
    --    moves between the same goals never deadlock.
    FOREACH side IN ARRAY sides LOOP
        IF side = 'new' THEN
            k_org := NEW.organization_id;
            k_goal := NEW.goal_id;
        ELSE
            k_org := OLD.organization_id;
            k_goal := OLD.goal_id;
        END IF;{_TAKE}
        IF taken THEN
            taken_sides := taken_sides || side;
        END IF;
    END LOOP;
    -- 2. In new statements, so the goals are read after any change to them committed.
    FOREACH side IN ARRAY taken_sides LOOP
        IF side = 'new' THEN
            k_org := NEW.organization_id;
            k_goal := NEW.goal_id;
        ELSE
            k_org := OLD.organization_id;
            k_goal := OLD.goal_id;
        END IF;{apply}
    END LOOP;
    RETURN NULL;
END
$$;
"""


_GOAL_FUNCTION = f"""
CREATE FUNCTION traceability_goalcoverage_goal_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    taken boolean;
    k_org bigint := NEW.organization_id;
    k_goal bigint := NEW.id;
BEGIN
    -- Take the goal's row first (creating it: a task being added meanwhile waits for it), then
    -- count in a new statement, which sees every task write that committed before.{_TAKE}
    UPDATE traceability_goalcoverage s
       SET stranded = x.stranded, kept = x.kept, suspect = x.suspect
      FROM (
        SELECT count(*) FILTER (WHERE {STRANDED_OPEN}) AS stranded,
               count(*) FILTER (WHERE {KEPT}) AS kept,
               count(*) FILTER (WHERE {SUSPECT}) AS suspect
          FROM work_task t
          LEFT JOIN goals_goal g
            ON g.organization_id = t.organization_id AND g.id = t.goal_id
         WHERE t.organization_id = NEW.organization_id AND t.goal_id = NEW.id
           AND {LIVE}
      ) x
     WHERE s.organization_id = NEW.organization_id AND s.goal_id = NEW.id;
    RETURN NULL;
END
$$;
"""


# What an organization's rows should hold, recounted from its tasks and outcomes (a goal with
# neither has no row); tasks of a goal that is not there (deleted in this transaction) count
# nowhere, as in the triggers. One statement: one snapshot.
_EXPECTED = f"""
    SELECT COALESCE(w.goal_id, p.goal_id) AS goal_id,
           COALESCE(w.tasks, 0) AS tasks, COALESCE(w.live_tasks, 0) AS live_tasks,
           COALESCE(w.live_effort, 0) AS live_effort, COALESCE(w.done_effort, 0) AS done_effort,
           COALESCE(w.stranded, 0) AS stranded, COALESCE(w.kept, 0) AS kept,
           COALESCE(w.suspect, 0) AS suspect, w.last_task_at,
           COALESCE(p.outcomes, 0) AS outcomes, COALESCE(p.progress_sum, 0) AS progress_sum
      FROM (
        SELECT t.goal_id,
               count(*)::integer AS tasks,
               (count(*) FILTER (WHERE {LIVE}))::integer AS live_tasks,
               COALESCE(sum(t.estimate) FILTER (WHERE {LIVE}), 0)::bigint AS live_effort,
               COALESCE(sum(t.estimate) FILTER (WHERE {DONE}), 0)::bigint AS done_effort,
               (count(*) FILTER (WHERE {STRANDED_OPEN}))::integer AS stranded,
               (count(*) FILTER (WHERE {KEPT}))::integer AS kept,
               (count(*) FILTER (WHERE {SUSPECT}))::integer AS suspect,
               max(t.updated_at) AS last_task_at
          FROM work_task t
          LEFT JOIN goals_goal g
            ON g.organization_id = t.organization_id AND g.id = t.goal_id
         WHERE t.organization_id = org AND (t.goal_id IS NULL OR g.id IS NOT NULL)
         GROUP BY t.goal_id
      ) w
      FULL JOIN (
        SELECT o.goal_id, count(*)::integer AS outcomes,
               COALESCE(sum({PROGRESS}), 0)::integer AS progress_sum
          FROM goals_outcome o
         WHERE o.organization_id = org
         GROUP BY o.goal_id
      ) p ON p.goal_id = w.goal_id"""

_ZERO = {c: "0" for c in FIGURES} | {"last_task_at": None}


def _or_zero(alias: str, c: str) -> str:
    return f"{alias}.{c}" if _ZERO[c] is None else f"COALESCE({alias}.{c}, {_ZERO[c]})"


_DRIFT_VALUES = ",\n            ".join(
    f"({i}, '{c}', {_or_zero('s', c)}::text, {_or_zero('e', c)}::text)"
    for i, c in enumerate(FIGURES, 1)
)

_DRIFT_FUNCTION = f"""
CREATE FUNCTION traceability_goalcoverage_drift(org bigint)
RETURNS TABLE (goal_id bigint, "column" text, stored text, expected text)
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(s.goal_id, e.goal_id), v.name, v.stored, v.expected
      FROM (SELECT c.* FROM traceability_goalcoverage c WHERE c.organization_id = org) s
      FULL JOIN ({_EXPECTED}
      ) e ON COALESCE(s.goal_id, 0) = COALESCE(e.goal_id, 0)
     CROSS JOIN LATERAL (VALUES
            {_DRIFT_VALUES}
     ) v (n, name, stored, expected)
     WHERE v.stored IS DISTINCT FROM v.expected
     ORDER BY COALESCE(s.goal_id, e.goal_id) NULLS FIRST, v.n
$$;
"""

_COLUMNS = ", ".join(FIGURES)
_STORED = ", ".join(f"s.{c} AS s_{c}" for c in FIGURES)
_RECOUNTED = ", ".join(f"{_or_zero('e', c)} AS {c}" for c in FIGURES)
_GUARD = (
    f"({', '.join(f'c.{c}' for c in FIGURES)})"
    f" IS NOT DISTINCT FROM ({', '.join(f'd.s_{c}' for c in FIGURES)})"
)

_REPAIR_FUNCTION = f"""
CREATE FUNCTION traceability_goalcoverage_repair(org bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    fixed integer;
BEGIN
    -- 1. The rows that should exist and do not, empty (a writer creating one is waited for).
    INSERT INTO traceability_goalcoverage (organization_id, goal_id)
    SELECT org, k.goal_id
      FROM (
        SELECT DISTINCT t.goal_id
          FROM work_task t
          LEFT JOIN goals_goal g
            ON g.organization_id = t.organization_id AND g.id = t.goal_id
         WHERE t.organization_id = org AND (t.goal_id IS NULL OR g.id IS NOT NULL)
        UNION
        SELECT o.goal_id FROM goals_outcome o WHERE o.organization_id = org
      ) k
    ON CONFLICT (organization_id, goal_id) DO NOTHING;
    -- 2. This organization's rows, locked in goal order (as the triggers take them).
    PERFORM 1 FROM traceability_goalcoverage s
      WHERE s.organization_id = org ORDER BY s.goal_id NULLS FIRST FOR UPDATE;
    -- 3. In a new statement: recount, and write only the rows that differ, each only if it
    --    still holds what was compared.
    WITH e AS (
        SELECT x.*, true AS present FROM ({_EXPECTED}
        ) x
    ), s AS (
        SELECT c.* FROM traceability_goalcoverage c WHERE c.organization_id = org
    ), d AS (
        SELECT s.id, COALESCE(s.goal_id, e.goal_id) AS goal_id, e.present IS NOT NULL AS present,
               {_STORED},
               {_RECOUNTED}
          FROM s FULL JOIN e ON COALESCE(s.goal_id, 0) = COALESCE(e.goal_id, 0)
         WHERE ({', '.join(f's.{c}' for c in FIGURES)})
               IS DISTINCT FROM ({', '.join(_or_zero('e', c) for c in FIGURES)})
    ), updated AS (
        UPDATE traceability_goalcoverage c
           SET {', '.join(f'{c} = d.{c}' for c in FIGURES)}
          FROM d
         WHERE c.organization_id = org AND c.id = d.id AND d.present
           AND {_GUARD}
        RETURNING 1
    ), deleted AS (
        DELETE FROM traceability_goalcoverage c
         USING d
         WHERE c.organization_id = org AND c.id = d.id AND NOT d.present
           AND {_GUARD}
        RETURNING 1
    ), inserted AS (
        INSERT INTO traceability_goalcoverage (organization_id, goal_id, {_COLUMNS})
        SELECT org, d.goal_id, {', '.join(f'd.{c}' for c in FIGURES)}
          FROM d
         WHERE d.id IS NULL
        ON CONFLICT (organization_id, goal_id) DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM deleted)
           + (SELECT count(*) FROM inserted)
      INTO fixed;
    RETURN fixed;
END
$$;
"""

_UPDATE_MATTERS = (
    "(OLD.organization_id, OLD.goal_id, OLD.status, OLD.estimate, OLD.link_confirmed_at,"
    " OLD.kept_reason, OLD.updated_at)"
    " IS DISTINCT FROM (NEW.organization_id, NEW.goal_id, NEW.status, NEW.estimate,"
    " NEW.link_confirmed_at, NEW.kept_reason, NEW.updated_at)"
)
_OUTCOME_MATTERS = (
    "(OLD.organization_id, OLD.goal_id, OLD.baseline, OLD.target, OLD.current)"
    " IS DISTINCT FROM (NEW.organization_id, NEW.goal_id, NEW.baseline, NEW.target, NEW.current)"
)

TRIGGERS = {
    # name: (table, event, WHEN, function)
    "goalcoverage_task_inserted": ("work_task", "INSERT", None, "task_changed"),
    "goalcoverage_task_updated": ("work_task", "UPDATE", _UPDATE_MATTERS, "task_changed"),
    "goalcoverage_task_deleted": ("work_task", "DELETE", None, "task_changed"),
    "goalcoverage_goal_changed": (
        "goals_goal",
        "UPDATE OF status, material_change_at",
        "OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.material_change_at IS DISTINCT FROM NEW.material_change_at",
        "goal_changed",
    ),
    "goalcoverage_outcome_inserted": ("goals_outcome", "INSERT", None, "outcome_changed"),
    "goalcoverage_outcome_updated": ("goals_outcome", "UPDATE", _OUTCOME_MATTERS, "outcome_changed"),
    "goalcoverage_outcome_deleted": ("goals_outcome", "DELETE", None, "outcome_changed"),
}

_TRIGGERS = "".join(
    f"CREATE TRIGGER {name} AFTER {event} ON {table}\n    FOR EACH ROW"
    + (f"\n    WHEN ({when})" if when else "")
    + f"\n    EXECUTE FUNCTION traceability_goalcoverage_{function}();\n"
    for name, (table, event, when, function) in TRIGGERS.items()
)

INSTALL = (
    _row_function("traceability_goalcoverage_task_changed", _TASK_APPLY)
    + _row_function("traceability_goalcoverage_outcome_changed", _OUTCOME_APPLY)
    + _GOAL_FUNCTION
    + _DRIFT_FUNCTION
    + _REPAIR_FUNCTION
    + _TRIGGERS
)

DROP = (
    "".join(
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        for name, (table, *_) in TRIGGERS.items()
    )
    + """
DROP FUNCTION IF EXISTS traceability_goalcoverage_task_changed();
DROP FUNCTION IF EXISTS traceability_goalcoverage_outcome_changed();
DROP FUNCTION IF EXISTS traceability_goalcoverage_goal_changed();
DROP FUNCTION IF EXISTS traceability_goalcoverage_repair(bigint);
DROP FUNCTION IF EXISTS traceability_goalcoverage_drift(bigint);
"""
)

_0003 = importlib.import_module("traceability.migrations.0003_goal_coverage")

RESTORE_0003 = (
    _0003._task_function("inserted")
    + _0003._task_function("updated")
    + _0003._task_function("deleted")
    + _0003._GOAL_FUNCTION
    + _0003._outcome_function("inserted")
    + _0003._outcome_function("updated")
    + _0003._outcome_function("deleted")
    + _0003._REFRESH_FUNCTION
    + _0003._TRIGGERS
)


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0005_confidential_default_in_the_database"),
        ("work", "0004_goal_done_index"),
        ("traceability", "0004_snapshot_public_figures"),
    ]

    operations = [
        migrations.RunSQL(
            # 0003's objects out, these in, and every organization's rows checked against a
            # recount under the new functions (they count the same, so nothing should change).
            _0003._DROP
            + INSTALL
            + "SELECT traceability_goalcoverage_repair(id) FROM tenancy_organization ORDER BY id;",
            DROP + RESTORE_0003,
        ),
    ]
