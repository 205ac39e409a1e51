"""Per-goal coverage figures kept by the database (traceability.models.GoalCoverage).

Statement-level triggers on work_task turn every insert, update and delete into deltas per
(organization, goal) and add them to the rows in the same transaction; a row-level trigger on
goals_goal recomputes a goal's stranded, kept and suspect counts when its status or last
material change moves (those depend on the goal as well as on the task). The triggers fire in
any session, also one with session_replication_role = replica (a bulk load that switches the
foreign-key triggers off), so no write path can leave a row behind.

Concurrency: a trigger first takes the rows it will change (creating missing ones), in goal
order, and only then reads the goals' status in a new statement. A task write and a goal change
on the same goal therefore serialize on the goal's row, and whichever comes second computes from
what the first committed. A single SQL function, traceability_goalcoverage_refresh, recomputes
an organization's rows from the tasks: the first fill below, and a repair.
"""

from django.db import migrations, models
import django.db.models.deletion
import django.db.models.expressions

from vindaris.lib.sql import composite_fk

LIVE = "('todo', 'in_progress', 'blocked')"

# One task row's contribution, seen with its goal as it stands (`c`: the changed rows with a
# `sign`, joined to goals_goal `g`).
_CLASSIFIED = f"""
    SELECT c.sign, c.organization_id, c.goal_id, c.estimate, c.status, c.updated_at,
           c.status IN {LIVE} AS live,
           COALESCE(g.status <> 'active', false) AS inactive,
           COALESCE(g.material_change_at > c.link_confirmed_at, false) AS suspect,
           c.kept_reason <> ''
             AND NOT COALESCE(g.material_change_at > c.link_confirmed_at, false) AS kept
      FROM changed c LEFT JOIN goals_goal g ON g.id = c.goal_id
     WHERE c.goal_id IS NULL OR g.id IS NOT NULL
"""

_CHANGED = {
    "inserted": """
        SELECT 1 AS sign, organization_id, goal_id, estimate, status, updated_at,
               link_confirmed_at, kept_reason FROM new_rows""",
    "deleted": """
        SELECT -1 AS sign, organization_id, goal_id, estimate, status, updated_at,
               link_confirmed_at, kept_reason FROM old_rows""",
    "updated": """
        SELECT 1 AS sign, organization_id, goal_id, estimate, status, updated_at,
               link_confirmed_at, kept_reason FROM new_rows
        UNION ALL
        SELECT -1, organization_id, goal_id, estimate, status, updated_at,
               link_confirmed_at, kept_reason FROM old_rows""",
}


# Add a group's deltas (`d`) to its row (`s`).
_ADD = ", ".join(
    f"{c} = s.{c} + d.{c}"
    for c in ("tasks", "live_tasks", "live_effort", "done_effort", "stranded", "kept", "suspect")
)
# The latest change stays the latest unless the task that made it left (moved away, deleted)
# and nothing newer came: then it is looked up again.
_KEEPS_LATEST = """(d.removed_at IS NULL OR d.removed_at < s.last_task_at
                       OR d.added_at >= s.last_task_at)"""


def _task_function(event: str) -> str:
    changed = _CHANGED[event]
    return f"""
CREATE FUNCTION traceability_goalcoverage_tasks_{event}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k record;
    d record;
BEGIN
    -- 1. Take the rows to change one by one in goal order (no deadlock between two statements
    --    touching the same goals), creating the missing ones.
    FOR k IN
        WITH changed AS ({changed})
        SELECT DISTINCT organization_id, goal_id FROM ({_CLASSIFIED}) c
         ORDER BY organization_id, goal_id NULLS FIRST
    LOOP
        INSERT INTO traceability_goalcoverage (organization_id, goal_id)
        VALUES (k.organization_id, k.goal_id)
        ON CONFLICT (organization_id, goal_id) DO NOTHING;
        IF k.goal_id IS NULL THEN
            PERFORM 1 FROM traceability_goalcoverage
              WHERE organization_id = k.organization_id AND goal_id IS NULL FOR UPDATE;
        ELSE
            PERFORM 1 FROM traceability_goalcoverage WHERE goal_id = k.goal_id FOR UPDATE;
        END IF;
    END LOOP;
    -- 2. In a new statement, so the goals' status is read after any change to them committed.
    FOR d IN
        WITH changed AS ({changed})
        SELECT organization_id, goal_id,
               sum(sign) AS tasks,
               COALESCE(sum(sign) FILTER (WHERE live), 0) AS live_tasks,
               COALESCE(sum(sign * estimate) FILTER (WHERE live), 0) AS live_effort,
               COALESCE(sum(sign * estimate) FILTER (WHERE status = 'done'), 0) AS done_effort,
               COALESCE(sum(sign) FILTER (WHERE live AND inactive AND NOT kept), 0) AS stranded,
               COALESCE(sum(sign) FILTER (WHERE live AND inactive AND kept), 0) AS kept,
               COALESCE(sum(sign) FILTER (WHERE live AND suspect), 0) AS suspect,
               max(updated_at) FILTER (WHERE sign > 0) AS added_at,
               max(updated_at) FILTER (WHERE sign < 0) AS removed_at
          FROM ({_CLASSIFIED}) c
         GROUP BY organization_id, goal_id
    LOOP
        IF d.goal_id IS NULL THEN
            UPDATE traceability_goalcoverage s SET {_ADD},
                   last_task_at = CASE WHEN {_KEEPS_LATEST} THEN GREATEST(s.last_task_at, d.added_at)
                       ELSE (SELECT max(t.updated_at) FROM work_task t
                              WHERE t.organization_id = d.organization_id AND t.goal_id IS NULL)
                   END
             WHERE s.organization_id = d.organization_id AND s.goal_id IS NULL;
        ELSE
            UPDATE traceability_goalcoverage s SET {_ADD},
                   last_task_at = CASE WHEN {_KEEPS_LATEST} THEN GREATEST(s.last_task_at, d.added_at)
                       ELSE (SELECT max(t.updated_at) FROM work_task t
                              WHERE t.organization_id = d.organization_id AND t.goal_id = d.goal_id)
                   END
             WHERE s.goal_id = d.goal_id;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
"""


_GOAL_FUNCTION = f"""
CREATE FUNCTION traceability_goalcoverage_goal_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Take the goal's row first (creating it: a task being added meanwhile waits for it), then
    -- count in a new statement, which sees every task write that committed before.
    INSERT INTO traceability_goalcoverage (organization_id, goal_id)
    VALUES (NEW.organization_id, NEW.id)
    ON CONFLICT (organization_id, goal_id) DO NOTHING;
    PERFORM 1 FROM traceability_goalcoverage
      WHERE organization_id = NEW.organization_id AND goal_id = NEW.id FOR UPDATE;
    UPDATE traceability_goalcoverage s
       SET stranded = x.stranded, kept = x.kept, suspect = x.suspect
      FROM (
        SELECT COALESCE(sum(1) FILTER (WHERE NEW.status <> 'active' AND NOT kept), 0)
                 AS stranded,
               COALESCE(sum(1) FILTER (WHERE NEW.status <> 'active' AND kept), 0) AS kept,
               COALESCE(sum(1) FILTER (WHERE suspect), 0) AS suspect
          FROM (
            SELECT COALESCE(NEW.material_change_at > t.link_confirmed_at, false) AS suspect,
                   t.kept_reason <> ''
                     AND NOT COALESCE(NEW.material_change_at > t.link_confirmed_at, false)
                     AS kept
              FROM work_task t
             WHERE t.organization_id = NEW.organization_id AND t.goal_id = NEW.id
               AND t.status IN {LIVE}
          ) t
      ) x
     WHERE s.organization_id = NEW.organization_id AND s.goal_id = NEW.id;
    RETURN NULL;
END
$$;
"""

# Outcome.progress in whole percent: from baseline to target, clamped, truncated.
PROGRESS = """
    CASE WHEN o.target = o.baseline THEN (CASE WHEN o.current = o.target THEN 100 ELSE 0 END)
         ELSE trunc(GREATEST(0, LEAST(1, (o.current - o.baseline) / (o.target - o.baseline)))
                    * 100)::integer
    END
"""

_OUTCOME_CHANGED = {
    "inserted": "SELECT goal_id FROM new_rows",
    "deleted": "SELECT goal_id FROM old_rows",
    "updated": "SELECT goal_id FROM new_rows UNION SELECT goal_id FROM old_rows",
}


def _outcome_function(event: str) -> str:
    return f"""
CREATE FUNCTION traceability_goalcoverage_outcomes_{event}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    -- Take the goals' rows in order (creating them), then count in new statements: a
    -- concurrent change to another outcome of the same goal waits, and is counted.
    FOR k IN
        SELECT DISTINCT g.organization_id, g.id FROM goals_goal g
         WHERE g.id IN ({_OUTCOME_CHANGED[event]})
         ORDER BY g.organization_id, g.id
    LOOP
        INSERT INTO traceability_goalcoverage (organization_id, goal_id)
        VALUES (k.organization_id, k.id)
        ON CONFLICT (organization_id, goal_id) DO NOTHING;
        PERFORM 1 FROM traceability_goalcoverage WHERE goal_id = k.id FOR UPDATE;
        UPDATE traceability_goalcoverage s
           SET outcomes = x.outcomes, progress_sum = x.progress_sum
          FROM (SELECT count(*) AS outcomes, COALESCE(sum({PROGRESS}), 0) AS progress_sum
                  FROM goals_outcome o WHERE o.goal_id = k.id) x
         WHERE s.goal_id = k.id;
    END LOOP;
    RETURN NULL;
END
$$;
"""


# An organization's rows recomputed from its tasks. Task writes and goal changes wait meanwhile
# (the locks), so nothing slips between the count and the write.
_REFRESH_FUNCTION = f"""
CREATE FUNCTION traceability_goalcoverage_refresh(org bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE work_task IN SHARE MODE;
    LOCK TABLE goals_goal IN SHARE MODE;
    LOCK TABLE goals_outcome IN SHARE MODE;
    DELETE FROM traceability_goalcoverage WHERE organization_id = org;
    INSERT INTO traceability_goalcoverage
        (organization_id, goal_id, tasks, live_tasks, live_effort, done_effort, stranded, kept,
         suspect, last_task_at, outcomes, progress_sum)
    SELECT org, c.goal_id, count(*) FILTER (WHERE c.task),
           count(*) FILTER (WHERE live),
           COALESCE(sum(estimate) FILTER (WHERE live), 0),
           COALESCE(sum(estimate) FILTER (WHERE status = 'done'), 0),
           count(*) FILTER (WHERE live AND inactive AND NOT kept),
           count(*) FILTER (WHERE live AND inactive AND kept),
           count(*) FILTER (WHERE live AND suspect),
           max(updated_at), COALESCE(sum(c.outcomes), 0), COALESCE(sum(c.progress_sum), 0)
      FROM (
        SELECT t.goal_id, true AS task, NULL::bigint AS outcomes, NULL::bigint AS progress_sum,
               t.estimate, t.status, t.updated_at, t.status IN {LIVE} AS live,
               COALESCE(g.status <> 'active', false) AS inactive,
               COALESCE(g.material_change_at > t.link_confirmed_at, false) AS suspect,
               t.kept_reason <> ''
                 AND NOT COALESCE(g.material_change_at > t.link_confirmed_at, false) AS kept
          FROM work_task t LEFT JOIN goals_goal g ON g.id = t.goal_id
         WHERE t.organization_id = org
        UNION ALL
        SELECT o.goal_id, false, count(*), sum({PROGRESS}), NULL, NULL, NULL, false, false,
               false, false
          FROM goals_outcome o WHERE o.organization_id = org GROUP BY o.goal_id
      ) c
     GROUP BY c.goal_id;
END
$$;
"""

_TRIGGERS = """
CREATE TRIGGER goalcoverage_tasks_inserted AFTER INSERT ON work_task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION traceability_goalcoverage_tasks_inserted();
CREATE TRIGGER goalcoverage_tasks_updated AFTER UPDATE ON work_task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION traceability_goalcoverage_tasks_updated();
CREATE TRIGGER goalcoverage_tasks_deleted AFTER DELETE ON work_task
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION traceability_goalcoverage_tasks_deleted();
CREATE TRIGGER goalcoverage_goal_changed AFTER UPDATE OF status, material_change_at ON goals_goal
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.material_change_at IS DISTINCT FROM NEW.material_change_at)
    EXECUTE FUNCTION traceability_goalcoverage_goal_changed();
CREATE TRIGGER goalcoverage_outcomes_inserted AFTER INSERT ON goals_outcome
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION traceability_goalcoverage_outcomes_inserted();
CREATE TRIGGER goalcoverage_outcomes_updated AFTER UPDATE ON goals_outcome
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION traceability_goalcoverage_outcomes_updated();
CREATE TRIGGER goalcoverage_outcomes_deleted AFTER DELETE ON goals_outcome
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION traceability_goalcoverage_outcomes_deleted();
ALTER TABLE goals_outcome ENABLE ALWAYS TRIGGER goalcoverage_outcomes_inserted;
ALTER TABLE goals_outcome ENABLE ALWAYS TRIGGER goalcoverage_outcomes_updated;
ALTER TABLE goals_outcome ENABLE ALWAYS TRIGGER goalcoverage_outcomes_deleted;
ALTER TABLE work_task ENABLE ALWAYS TRIGGER goalcoverage_tasks_inserted;
ALTER TABLE work_task ENABLE ALWAYS TRIGGER goalcoverage_tasks_updated;
ALTER TABLE work_task ENABLE ALWAYS TRIGGER goalcoverage_tasks_deleted;
ALTER TABLE goals_goal ENABLE ALWAYS TRIGGER goalcoverage_goal_changed;
"""

_DROP = """
DROP TRIGGER IF EXISTS goalcoverage_tasks_inserted ON work_task;
DROP TRIGGER IF EXISTS goalcoverage_tasks_updated ON work_task;
DROP TRIGGER IF EXISTS goalcoverage_tasks_deleted ON work_task;
DROP TRIGGER IF EXISTS goalcoverage_goal_changed ON goals_goal;
DROP TRIGGER IF EXISTS goalcoverage_outcomes_inserted ON goals_outcome;
DROP TRIGGER IF EXISTS goalcoverage_outcomes_updated ON goals_outcome;
DROP TRIGGER IF EXISTS goalcoverage_outcomes_deleted ON goals_outcome;
DROP FUNCTION IF EXISTS traceability_goalcoverage_outcomes_inserted();
DROP FUNCTION IF EXISTS traceability_goalcoverage_outcomes_updated();
DROP FUNCTION IF EXISTS traceability_goalcoverage_outcomes_deleted();
DROP FUNCTION IF EXISTS traceability_goalcoverage_tasks_inserted();
DROP FUNCTION IF EXISTS traceability_goalcoverage_tasks_updated();
DROP FUNCTION IF EXISTS traceability_goalcoverage_tasks_deleted();
DROP FUNCTION IF EXISTS traceability_goalcoverage_goal_changed();
DROP FUNCTION IF EXISTS traceability_goalcoverage_refresh(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0004_grant_composite_foreign_keys"),
        ("tenancy", "0002_sequence"),
        ("work", "0002_composite_foreign_keys"),
        ("traceability", "0002_composite_foreign_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="GoalCoverage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tasks", models.IntegerField(db_default=0)),
                ("live_tasks", models.IntegerField(db_default=0)),
                ("live_effort", models.BigIntegerField(db_default=0)),
                ("done_effort", models.BigIntegerField(db_default=0)),
                ("stranded", models.IntegerField(db_default=0)),
                ("kept", models.IntegerField(db_default=0)),
                ("suspect", models.IntegerField(db_default=0)),
                ("last_task_at", models.DateTimeField(blank=True, null=True)),
                ("outcomes", models.IntegerField(db_default=0)),
                ("progress_sum", models.IntegerField(db_default=0)),
                (
                    "goal",
                    models.OneToOneField(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="coverage",
                        to="goals.goal",
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
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "goal"),
                        name="goalcoverage_org_goal_key",
                        nulls_distinct=False,
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("done_effort__gte", 0),
                            ("kept__gte", 0),
                            ("live_effort__gte", 0),
                            ("live_tasks__gte", 0),
                            ("stranded__gte", 0),
                            ("suspect__gte", 0),
                            ("tasks__gte", models.F("live_tasks")),
                            (
                                "live_tasks__gte",
                                django.db.models.expressions.CombinedExpression(
                                    models.F("stranded"), "+", models.F("kept")
                                ),
                            ),
                        ),
                        name="goalcoverage_counts_sane",
                    ),
                ],
            },
        ),
        # The row goes with its goal, and never names another organization's goal.
        composite_fk(
            "traceability_goalcoverage",
            ("organization_id", "goal_id"),
            "goals_goal",
            ("organization_id", "id"),
            "goalcoverage_goal_same_org_fk",
            on_delete="CASCADE",
        ),
        # A goal's tasks in the trace, live first then newest (trees._tasks_page): its first
        # page read in order, however many tasks it has.
        migrations.RunSQL(
            "CREATE INDEX task_tree_order_idx ON work_task"
            f" (organization_id, goal_id, (status NOT IN {LIVE}), number DESC)",
            "DROP INDEX task_tree_order_idx",
        ),
        # The "what should we stop?" list: live work, largest effort first, walked in order
        # until enough of it sits on the goals to stop (selectors.stop_candidates).
        migrations.RunSQL(
            "CREATE INDEX task_live_effort_idx ON work_task"
            " (organization_id, estimate DESC, number DESC)"
            f" WHERE status IN {LIVE}",
            "DROP INDEX task_live_effort_idx",
        ),
        migrations.RunSQL(
            _task_function("inserted")
            + _task_function("updated")
            + _task_function("deleted")
            + _GOAL_FUNCTION
            + _outcome_function("inserted")
            + _outcome_function("updated")
            + _outcome_function("deleted")
            + _REFRESH_FUNCTION
            + _TRIGGERS
            + "SELECT traceability_goalcoverage_refresh(id) FROM tenancy_organization;",
            _DROP,
        ),
    ]
