"""Each measured page's floor: the same answers computed by hand-written SQL, without Django.

A floor is what the database must do at least to answer the page on today's schema: the rows
and figures the page shows, each fetched by one query written for it. The benchmark runs them
through psycopg beside the page, on the same data, and reports page time / floor time.

Every function takes a DB-API cursor (psycopg's, or Django's inside a test) and returns the
answers, so that tests can hold them against the app's own selectors. Like the app's, every
statement pins every tenant table to the organization, and the gap rules are work.gaps' own
fragments (imported when a floor runs: the module loads before Django is set up).
"""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

LIVE = ["todo", "in_progress", "blocked"]  # work.gaps.LIVE_STATUSES (a test holds them equal)
PAGE = 50  # rows the pages list before "show more" / "older tasks"
TREND_DAYS = 84  # the coverage trend: twelve weeks of daily snapshots
STOP_ITEMS = 10  # "what should we stop?" rows on the dashboard


@dataclass(frozen=True)
class Target:
    """What a scale's pages are measured on."""

    slug: str
    org_id: int
    user_id: int  # the lead the pages are requested as
    busiest_goal: int  # number of the goal with the most tasks
    expand_goal: int  # number of the top-level goal with the most work under it


def target(cur: Any, slug: str, lead_email: str) -> Target:
    cur.execute(
        """
        SELECT o.id, u.id FROM tenancy_organization o
          JOIN tenancy_membership m ON m.organization_id = o.id
          JOIN tenancy_user u ON u.id = m.user_id
         WHERE o.slug = %s AND u.email = %s
        """,
        [slug, lead_email],
    )
    org_id, user_id = cur.fetchone()
    cur.execute(
        """
        SELECT g.number FROM work_task t
          JOIN goals_goal g ON g.organization_id = t.organization_id AND g.id = t.goal_id
         WHERE t.organization_id = %s
         GROUP BY g.number ORDER BY count(*) DESC, g.number LIMIT 1
        """,
        [org_id],
    )
    busiest = cur.fetchone()[0]
    cur.execute(
        """
        WITH RECURSIVE tree(id, root_id) AS (
            SELECT id, id FROM goals_goal WHERE organization_id = %(org)s AND parent_id IS NULL
            UNION ALL
            SELECT g.id, t.root_id FROM goals_goal g JOIN tree t ON g.parent_id = t.id
             WHERE g.organization_id = %(org)s
        )
        SELECT r.number FROM tree
          JOIN work_task t ON t.organization_id = %(org)s AND t.goal_id = tree.id
          JOIN goals_goal r ON r.organization_id = %(org)s AND r.id = tree.root_id
         GROUP BY r.number ORDER BY count(*) DESC, r.number LIMIT 1
        """,
        {"org": org_id},
    )
    expand = cur.fetchone()[0]
    return Target(slug, org_id, user_id, busiest, expand)


def _membership(cur: Any, t: Target) -> tuple:
    cur.execute(
        """
        SELECT m.id, m.role, o.id, o.name, o.allow_goalless_work, o.starved_grace_days
          FROM tenancy_membership m JOIN tenancy_organization o ON o.id = m.organization_id
         WHERE o.slug = %s AND m.user_id = %s
        """,
        [t.slug, t.user_id],
    )
    return cur.fetchone()


def _goal_counts(cur: Any, t: Target, goal_id: int, status: str, changed_at: Any) -> dict:
    """The goal's live work, in all and by outcome, and its done work, each read from its
    partial index alone."""
    cur.execute(
        """
        SELECT outcome_id, GROUPING(outcome_id), count(*), COALESCE(sum(estimate), 0),
               count(*) FILTER (WHERE link_confirmed_at < %(changed_at)s),
               count(*) FILTER (WHERE kept_reason <> ''
                                  AND NOT COALESCE(link_confirmed_at < %(changed_at)s, false))
          FROM work_task
         WHERE organization_id = %(org)s AND goal_id = %(goal)s AND status = ANY(%(live)s)
         GROUP BY ROLLUP (outcome_id)
        """,
        {"org": t.org_id, "goal": goal_id, "live": LIVE, "changed_at": changed_at},
    )
    live = cur.fetchall()
    _, _, live_tasks, live_effort, suspect, kept = next(row for row in live if row[1])
    kept = kept if status != "active" else 0
    cur.execute(
        "SELECT count(*), COALESCE(sum(estimate), 0) FROM work_task"
        " WHERE organization_id = %s AND goal_id = %s AND status = 'done'",
        [t.org_id, goal_id],
    )
    done_tasks, done_effort = cur.fetchone()
    return {
        "live_tasks": live_tasks,
        "live_effort": live_effort,
        "done_tasks": done_tasks,
        "done_effort": done_effort,
        "suspect": suspect,
        "stranded": live_tasks - kept if status != "active" else 0,
        "kept": kept,
        "live_by_outcome": {row[0]: row[2] for row in live if not row[1] and row[0]},
    }


def goal_page(cur: Any, t: Target) -> dict[str, Any]:
    """The goal page of the busiest goal: the goal, its path, counts, first tasks (live first),
    outcomes with their live work, sub-goals with theirs, and history. (The task form's
    assignee is picked by search: the page lists no members.)"""
    _membership(cur, t)
    cur.execute(
        """
        SELECT g.id, g.number, g.title, g.description, g.status, g.priority, g.start_date,
               g.end_date, g.material_change_at, g.material_change, g.parent_id, u.name, u.email
          FROM goals_goal g
          LEFT JOIN tenancy_membership m ON m.id = g.owner_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
         WHERE g.organization_id = %s AND g.number = %s
        """,
        [t.org_id, t.busiest_goal],
    )
    goal = cur.fetchone()
    goal_id = goal[0]
    cur.execute(
        """
        WITH RECURSIVE up(id, parent_id, depth) AS (
            SELECT id, parent_id, 1 FROM goals_goal WHERE organization_id = %(org)s AND id = %(p)s
            UNION ALL
            SELECT g.id, g.parent_id, up.depth + 1 FROM goals_goal g
              JOIN up ON g.id = up.parent_id AND g.organization_id = %(org)s
        )
        SELECT g.number, g.title FROM up
          JOIN goals_goal g ON g.organization_id = %(org)s AND g.id = up.id
         ORDER BY up.depth DESC
        """,
        {"org": t.org_id, "p": goal[10]},
    )
    path = cur.fetchall()
    counts = _goal_counts(cur, t, goal_id, goal[4], goal[8])
    from work import gaps

    cur.execute(
        f"""
        SELECT t.number, t.title, t.status, t.estimate, t.due_date, t.kept_reason,
               t.link_confirmed_at, t.outcome_id, o.number, o.title, u.name, u.email
          FROM work_task t
          LEFT JOIN goals_outcome o ON o.organization_id = t.organization_id AND o.id = t.outcome_id
          LEFT JOIN tenancy_membership m ON m.id = t.assignee_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
         WHERE t.organization_id = %s AND t.goal_id = %s
         ORDER BY NOT {gaps.live_sql("t")}, t.number DESC
         LIMIT %s
        """,  # noqa: S608 - constant SQL
        [t.org_id, goal_id, PAGE + 1],
    )
    tasks = cur.fetchall()
    cur.execute(
        """
        SELECT o.id, o.number, o.title, o.unit, o.baseline, o.target, o.current, o.direction,
               o.due_date
          FROM goals_outcome o
         WHERE o.organization_id = %s AND o.goal_id = %s
         ORDER BY o.number
        """,
        [t.org_id, goal_id],
    )
    outcomes = cur.fetchall()
    live_by_outcome = counts["live_by_outcome"]
    cur.execute(
        """
        SELECT c.number, c.title, c.status, c.priority, u.name, u.email,
               count(t.id), COALESCE(sum(t.estimate), 0)
          FROM goals_goal c
          LEFT JOIN work_task t ON t.organization_id = c.organization_id AND t.goal_id = c.id
                               AND t.status = ANY(%s)
          LEFT JOIN tenancy_membership m ON m.id = c.owner_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
         WHERE c.organization_id = %s AND c.parent_id = %s
         GROUP BY c.organization_id, c.id, u.name, u.email ORDER BY c.priority, c.number
        """,
        [LIVE, t.org_id, goal_id],
    )
    children = cur.fetchall()
    cur.execute(
        """
        SELECT e.kind, e.changes, e.summary, e.created_at, u.name, u.email
          FROM goals_goalevent e LEFT JOIN tenancy_user u ON u.id = e.actor_id
         WHERE e.organization_id = %s AND e.goal_id = %s
         ORDER BY e.created_at DESC, e.id DESC LIMIT 50
        """,
        [t.org_id, goal_id],
    )
    history = cur.fetchall()
    return {
        "goal": goal,
        "path": [n for n, _ in path],
        "counts": counts,
        "tasks": [row[0] for row in tasks[:PAGE]],
        "more_tasks": len(tasks) > PAGE,
        "outcomes": {row[1]: live_by_outcome.get(row[0], 0) for row in outcomes},
        "children": {row[0]: (row[6], row[7]) for row in children},
        "history": len(history),
    }


def work_list(cur: Any, t: Target) -> dict[str, Any]:
    """The work list's first page: the newest tasks with goal and assignee. (Its filters and
    quick add pick goals and members by search: the page lists neither.)"""
    _membership(cur, t)
    cur.execute(
        """
        SELECT t.number, t.title, t.status, t.estimate, t.due_date, t.kept_reason,
               t.link_confirmed_at, g.number, g.title, g.status, g.material_change_at,
               u.name, u.email
          FROM work_task t
          LEFT JOIN goals_goal g ON g.organization_id = t.organization_id AND g.id = t.goal_id
          LEFT JOIN tenancy_membership m ON m.id = t.assignee_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
         WHERE t.organization_id = %s
         ORDER BY t.number DESC LIMIT %s
        """,
        [t.org_id, PAGE + 1],
    )
    tasks = cur.fetchall()
    return {
        "tasks": [row[0] for row in tasks[:PAGE]],
        "older": tasks[PAGE - 1][0] if len(tasks) > PAGE else None,
    }


def add_task(
    cur: Any,
    t: Target,
    *,
    atomic: Callable[[], AbstractContextManager[Any]] = nullcontext,
    title: str = "Call the three churned accounts",
) -> dict[str, Any]:
    """The inline add-task POST on the busiest goal: number, task and its history row written
    in one transaction; then the goal's new counts (the page answers with the new row and the
    counts only)."""
    _membership(cur, t)
    with atomic():
        cur.execute(
            "SELECT id, status, material_change_at FROM goals_goal"
            " WHERE organization_id = %s AND number = %s",
            [t.org_id, t.busiest_goal],
        )
        goal_id, status, changed_at = cur.fetchone()
        cur.execute(
            """
            INSERT INTO tenancy_sequence (organization_id, name, value) VALUES (%s, 'task', 1)
            ON CONFLICT (organization_id, name) DO UPDATE SET value = tenancy_sequence.value + 1
            RETURNING value
            """,
            [t.org_id],
        )
        number = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO work_task
                (organization_id, number, title, description, goal_id, outcome_id, status,
                 assignee_id, estimate, due_date, origin, link_confirmed_at, kept_reason,
                 created_by_id, created_at, updated_at)
            VALUES (%s, %s, %s, '', %s, NULL, 'todo', NULL, 1, NULL, 'goal_page', now(), '',
                    %s, now(), now())
            RETURNING id
            """,
            [t.org_id, number, title, goal_id, t.user_id],
        )
        task_id = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO work_taskevent
                (organization_id, task_id, actor_id, kind, to_goal_id, from_status, to_status,
                 reason, changes, created_at)
            VALUES (%s, %s, %s, 'created', %s, '', 'todo', '', '{}', now())
            """,
            [t.org_id, task_id, t.user_id, goal_id],
        )
    return {"number": number, "counts": _goal_counts(cur, t, goal_id, status, changed_at)}


# The per-goal coverage rows (traceability_goalcoverage), which the database keeps equal to an
# aggregate of each goal's tasks with every write: the least a page that shows per-goal or
# per-subtree figures must read. `figures` selects them for the goals of `{goals}`.
_FIGURES = """
    SELECT c.goal_id, c.live_tasks, c.live_effort, c.done_effort, c.stranded, c.kept, c.suspect,
           c.outcomes, c.progress_sum
      FROM traceability_goalcoverage c
     WHERE c.organization_id = %(org)s AND {goals}
"""

# The walk down from candidate goals in `bare(candidate, id, live)`, whose first rows the
# caller writes: through goals that do not cover it (active with live work) only; a candidate
# is starved when the walk met none.
_WALK_DOWN = """
        UNION ALL
        SELECT b.candidate, g.id, g.status = 'active' AND COALESCE(c.live_tasks, 0) > 0
          FROM bare b
          JOIN goals_goal g ON g.parent_id = b.id AND g.organization_id = %(org)s
          LEFT JOIN traceability_goalcoverage c
            ON c.organization_id = g.organization_id AND c.goal_id = g.id
         WHERE NOT b.live
    ),
    starved(goal_id) AS (
        SELECT candidate FROM bare GROUP BY candidate HAVING NOT bool_or(live)
    )
"""


def _starved(goals: str) -> str:
    """Starved goals among `goals`: active, past the grace period (work.gaps), with no live
    work of their own and none below, found by walking down from them only through goals
    without live work (a goal with some covers everything above it)."""
    from work import gaps

    return f"""
    bare(candidate, id, live) AS (
        SELECT g.id, g.id, false
          FROM goals_goal g
          LEFT JOIN traceability_goalcoverage c
            ON c.organization_id = g.organization_id AND c.goal_id = g.id
         WHERE g.organization_id = %(org)s AND {goals}
           AND {gaps.starvable_sql("g", before="%(activated_before)s")}
           AND COALESCE(c.live_tasks, 0) = 0
    {_WALK_DOWN}"""  # noqa: S608 - constant SQL; `goals` is constant SQL too


WEIGHTS = {1: 8, 2: 4, 3: 2, 4: 1}
_WEIGHT_SQL = "CASE g.priority WHEN 1 THEN 8 WHEN 2 THEN 4 WHEN 3 THEN 2 ELSE 1 END"


def _rollup_args(membership: tuple, t: Target, **more: int) -> dict[str, Any]:
    """The values of a roll-up query, written into its text: these recursive statements run
    often enough for psycopg to prepare them, and PostgreSQL's generic plan for them (blind to
    the organization) is a hundred times slower than the one for the values. The app's
    queries, bound client-side, are always planned for their values."""
    grace_days = int(membership[5])
    return {
        "org": int(t.org_id),
        "activated_before": f"now() - interval '{grace_days} days'",
        **{k: int(v) for k, v in more.items()},
    }


def coverage(cur: Any, t: Target, *, today: date | None = None) -> dict[str, Any]:
    """The coverage dashboard: the linked ratio and the gap counts (starved goals walked up
    from the per-goal rows), the twelve-week trend, the first page of active goals with their
    live work, share of effort against priority weight, done share, outcome progress, last
    activity and open gaps, and the first "what should we stop?" rows."""
    from work import gaps

    member = _membership(cur, t)
    args = _rollup_args(member, t)
    active = gaps.active_goal_sql("g")
    # One pass over the goals with their coverage rows: the headline's sums, the starved goals
    # (walked down from those without live work of their own) and the active goals' weight.
    cur.execute(
        f"""
        WITH RECURSIVE figures AS (
            SELECT g.id AS goal_id, COALESCE(c.live_tasks, 0) AS live_tasks,
                   COALESCE(c.live_effort, 0) AS live_effort,
                   COALESCE(c.stranded, 0) AS stranded, COALESCE(c.suspect, 0) AS suspect,
                   {active} AS active, {_WEIGHT_SQL} AS weight,
                   {gaps.starvable_sql("g", before="%(activated_before)s")} AS starvable
              FROM goals_goal g
              LEFT JOIN traceability_goalcoverage c
                ON c.organization_id = g.organization_id AND c.goal_id = g.id
             WHERE g.organization_id = %(org)s
            UNION ALL
            SELECT NULL, c.live_tasks, c.live_effort, c.stranded, c.suspect, false, 0, false
              FROM traceability_goalcoverage c
             WHERE c.organization_id = %(org)s AND c.goal_id IS NULL
        ),
        bare(candidate, id, live) AS (
            SELECT goal_id, goal_id, false FROM figures WHERE starvable AND live_tasks = 0
        {_WALK_DOWN}
        SELECT COALESCE(sum(live_effort), 0)::bigint,
               COALESCE(sum(live_effort) FILTER (WHERE active), 0)::bigint,
               COALESCE(sum(live_tasks) FILTER (WHERE goal_id IS NULL), 0)::bigint,
               COALESCE(sum(stranded), 0)::bigint, COALESCE(sum(suspect), 0)::bigint,
               ARRAY(SELECT goal_id FROM starved),
               count(*) FILTER (WHERE active)
          FROM figures
        """  # noqa: S608 - constant SQL and integers
        % args
    )
    (
        live_effort,
        linked_effort,
        orphaned,
        stranded,
        suspect,
        starved,
        active_goals,
    ) = cur.fetchone()
    # Effort against priority on the goal tree: each active goal's subtree effort (on active
    # goals) among its active siblings'; the first page in the tree order.
    funding_sql = f"""
        WITH RECURSIVE figures AS (
            SELECT g.id, g.parent_id, g.number, g.priority, {active} AS active,
                   {_WEIGHT_SQL} AS weight, COALESCE(c.live_effort, 0) AS live_effort,
                   COALESCE(c.live_tasks, 0) AS live_tasks
              FROM goals_goal g
              LEFT JOIN traceability_goalcoverage c
                ON c.organization_id = g.organization_id AND c.goal_id = g.id
             WHERE g.organization_id = %(org)s
        ),
        tree(id, path, sort_path) AS (
            SELECT id, ARRAY[id], ARRAY[priority * 10e12::bigint + number]
              FROM figures WHERE parent_id IS NULL
            UNION ALL
            SELECT f.id, t.path || f.id, t.sort_path || (f.priority * 10e12::bigint + f.number)
              FROM tree t JOIN figures f ON f.parent_id = t.id
        ),
        subtree(id, effort, live_tasks) AS (
            SELECT a.id, COALESCE(sum(f.live_effort) FILTER (WHERE f.active), 0)::bigint,
                   COALESCE(sum(f.live_tasks) FILTER (WHERE f.active), 0)::bigint
              FROM tree t JOIN figures f ON f.id = t.id CROSS JOIN LATERAL unnest(t.path) a(id)
             GROUP BY a.id
        ),
        fund AS (
            SELECT f.id, f.priority, f.weight, t.path, t.sort_path, s.effort, s.live_tasks,
                   (sum(s.effort) OVER (PARTITION BY f.parent_id))::bigint AS group_effort,
                   (sum(f.weight) OVER (PARTITION BY f.parent_id))::bigint AS group_weight
              FROM figures f JOIN tree t ON t.id = f.id JOIN subtree s ON s.id = f.id
             WHERE f.active
        )
    """  # noqa: S608 - constant SQL
    cur.execute(
        f"""{funding_sql}
        SELECT g.number, g.title, g.priority, u.name, u.email,
               fu.live_tasks, fu.effort, COALESCE(c.done_effort, 0),
               COALESCE(c.suspect, 0),
               c.progress_sum::float / NULLIF(c.outcomes, 0),
               greatest(g.updated_at, c.last_task_at,
                        (SELECT max(e.created_at) FROM goals_goalevent e
                          WHERE e.organization_id = g.organization_id AND e.goal_id = g.id)),
               g.id, fu.group_effort, fu.group_weight
          FROM fund fu
          JOIN goals_goal g ON g.organization_id = %(org)s AND g.id = fu.id
          LEFT JOIN traceability_goalcoverage c
            ON c.organization_id = g.organization_id AND c.goal_id = g.id
          LEFT JOIN tenancy_membership m ON m.id = g.owner_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
         ORDER BY fu.sort_path LIMIT %(page)s
        """,  # noqa: S608 - constant SQL
        {**args, "page": PAGE},
    )
    goals = cur.fetchall()
    today = today or date.today()
    cur.execute(
        """
        SELECT date, linked_ratio, orphaned, stranded, suspect, starved
          FROM traceability_snapshot
         WHERE organization_id = %s AND date > %s AND date <= %s ORDER BY date
        """,
        [t.org_id, today - timedelta(days=TREND_DAYS), today],
    )
    trend = cur.fetchall()
    # What to stop: live work on stranded goals, and on active goals under a P3/P4 goal that
    # gets more than one and a half times the share its weight implies among its siblings.
    cur.execute(
        f"""{funding_sql}
        SELECT g.id FROM goals_goal g
          JOIN traceability_goalcoverage c
            ON c.organization_id = g.organization_id AND c.goal_id = g.id
         WHERE g.organization_id = %(org)s AND {gaps.inactive_goal_sql("g")} AND c.stranded > 0
        UNION
        SELECT t.id FROM tree t JOIN figures f ON f.id = t.id
         WHERE f.active AND f.live_tasks > 0 AND EXISTS (
               SELECT 1 FROM fund o WHERE o.id = ANY(t.path) AND o.priority IN (3, 4)
                  AND 2 * o.effort * o.group_weight > 3 * o.weight * o.group_effort)
        """,  # noqa: S608 - constant SQL
        args,
    )
    stop_goals = [row[0] for row in cur.fetchall()]
    # On an active goal all its live work; on one that is not, what is not kept.
    cur.execute(
        f"""
        SELECT t.number, t.title, t.estimate, g.number, g.title, g.priority, g.status,
               c.live_effort, u.name, u.email
          FROM work_task t
          JOIN goals_goal g ON g.organization_id = t.organization_id AND g.id = t.goal_id
          JOIN traceability_goalcoverage c
            ON c.organization_id = g.organization_id AND c.goal_id = g.id
          LEFT JOIN tenancy_membership m ON m.id = t.assignee_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
         WHERE t.organization_id = %(org)s AND {gaps.live_sql("t")}
           AND t.goal_id = ANY(%(goals)s::bigint[])
           AND ({active} OR NOT {gaps.kept_choice_sql("t", "g")})
         ORDER BY t.estimate DESC, t.number DESC LIMIT %(limit)s
        """,  # noqa: S608 - constant SQL
        {**args, "goals": stop_goals, "limit": STOP_ITEMS + 1},
    )
    stop = cur.fetchall()
    return {
        "linked_ratio": linked_effort / live_effort if live_effort else None,
        "gaps": {
            "orphaned": orphaned,
            "stranded": stranded,
            "suspect": suspect,
            "starved": len(starved),
        },
        "trend_days": len(trend),
        "active_goals": active_goals,
        "goals_page": [
            {
                "number": r[0],
                "live_tasks": r[5],
                "live_effort": r[6],
                "share": r[6] / r[12] if r[12] else None,
                "implied": WEIGHTS[r[2]] / r[13],
                "open_gaps": r[8] + (r[11] in starved),
            }
            for r in goals
        ],
        "stop": [r[0] for r in stop[:STOP_ITEMS]],
    }


def trace_root(cur: Any, t: Target) -> dict[str, Any]:
    """The trace tree's roots (active top-level goals) with roll-ups over each whole subtree,
    summed from the per-goal rows: live tasks, live effort, done share, outcome progress and
    gap badges (starved goals walked up from the rows); and the "No goal" root."""
    member = _membership(cur, t)
    args = _rollup_args(member, t)
    sub = "goal_id IN (SELECT id FROM tree)"
    cur.execute(
        f"""
        WITH RECURSIVE tree(id, root_id) AS (
            SELECT id, id FROM goals_goal
             WHERE organization_id = %(org)s AND parent_id IS NULL AND status = 'active'
            UNION ALL
            SELECT g.id, tree.root_id FROM goals_goal g JOIN tree ON g.parent_id = tree.id
             WHERE g.organization_id = %(org)s
        ),
        figures AS ({_FIGURES.format(goals="c." + sub)}),
        {_starved("g.id IN (SELECT id FROM tree)")}
        SELECT r.number, r.title, r.status, r.priority, u.name,
               COALESCE(sum(f.live_tasks), 0)::bigint, COALESCE(sum(f.live_effort), 0)::bigint,
               COALESCE(sum(f.done_effort), 0), sum(f.progress_sum) / NULLIF(sum(f.outcomes), 0),
               count(x.goal_id), COALESCE(sum(f.stranded), 0), COALESCE(sum(f.suspect), 0)
          FROM tree
          JOIN goals_goal r ON r.organization_id = %(org)s AND r.id = tree.root_id
          LEFT JOIN tenancy_membership m ON m.id = r.owner_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
          LEFT JOIN figures f ON f.goal_id = tree.id
          LEFT JOIN starved x ON x.goal_id = tree.id
         GROUP BY r.organization_id, r.id, u.name ORDER BY r.priority, r.number
        """  # noqa: S608 - constant SQL and integers
        % args
    )
    roots = cur.fetchall()
    cur.execute(
        "SELECT live_tasks, live_effort, tasks FROM traceability_goalcoverage"
        " WHERE organization_id = %s AND goal_id IS NULL",
        [t.org_id],
    )
    orphaned = cur.fetchone() or (0, 0, 0)
    return {
        "roots": {r[0]: (r[5], r[6]) for r in roots},
        "orphaned": orphaned[0],
    }


def trace_expand(cur: Any, t: Target) -> dict[str, Any]:
    """One node of the trace tree opened: its sub-goals with roll-ups over their subtrees
    (summed from the per-goal rows), its outcomes with progress, and its first tasks (status,
    assignee, outcome)."""
    member = _membership(cur, t)
    cur.execute(
        "SELECT id FROM goals_goal WHERE organization_id = %s AND number = %s",
        [t.org_id, t.expand_goal],
    )
    node_id = cur.fetchone()[0]
    args = _rollup_args(member, t, node=node_id, limit=PAGE + 1)
    sub = "goal_id IN (SELECT id FROM sub)"
    cur.execute(
        f"""
        WITH RECURSIVE sub(id, child_id) AS (
            SELECT id, id FROM goals_goal WHERE organization_id = %(org)s AND parent_id = %(node)s
            UNION ALL
            SELECT g.id, sub.child_id FROM goals_goal g JOIN sub ON g.parent_id = sub.id
             WHERE g.organization_id = %(org)s
        ),
        figures AS ({_FIGURES.format(goals="c." + sub)}),
        {_starved("g.id IN (SELECT id FROM sub)")}
        SELECT c.number, c.title, c.status, c.priority, u.name,
               COALESCE(sum(f.live_tasks), 0)::bigint, COALESCE(sum(f.live_effort), 0)::bigint,
               COALESCE(sum(f.done_effort), 0), sum(f.progress_sum) / NULLIF(sum(f.outcomes), 0),
               count(x.goal_id), COALESCE(sum(f.stranded), 0), COALESCE(sum(f.suspect), 0)
          FROM sub
          JOIN goals_goal c ON c.organization_id = %(org)s AND c.id = sub.child_id
          LEFT JOIN tenancy_membership m ON m.id = c.owner_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
          LEFT JOIN figures f ON f.goal_id = sub.id
          LEFT JOIN starved x ON x.goal_id = sub.id
         GROUP BY c.organization_id, c.id, u.name ORDER BY c.priority, c.number LIMIT %(limit)s
        """  # noqa: S608 - constant SQL and integers
        % args
    )
    children = cur.fetchall()
    cur.execute(
        """
        SELECT number, title, unit, baseline, target, current, direction FROM goals_outcome
         WHERE organization_id = %s AND goal_id = %s ORDER BY number
        """,
        [t.org_id, node_id],
    )
    outcomes = cur.fetchall()
    cur.execute(
        """
        SELECT t.number, t.title, t.status, o.number, u.name, u.email
          FROM work_task t
          LEFT JOIN goals_outcome o ON o.organization_id = t.organization_id AND o.id = t.outcome_id
          LEFT JOIN tenancy_membership m ON m.id = t.assignee_id
          LEFT JOIN tenancy_user u ON u.id = m.user_id
         WHERE t.organization_id = %s AND t.goal_id = %s
         ORDER BY t.status <> ALL(%s), t.number DESC LIMIT %s
        """,
        [t.org_id, node_id, LIVE, PAGE + 1],
    )
    tasks = cur.fetchall()
    return {
        "children": {r[0]: (r[5], r[6]) for r in children[:PAGE]},
        "outcomes": len(outcomes),
        "tasks": [r[0] for r in tasks[:PAGE]],
    }


def reconcile(cur: Any, org_id: int, grace_days: int, now: Any) -> tuple[int, int]:
    """The reconciler's answers for one organization: how many flags it must raise and how many
    it must resolve. One pass over the live tasks, one walk up the goal tree, each compared with
    the open flags."""
    from work import gaps

    cur.execute(
        f"""
        WITH RECURSIVE live AS MATERIALIZED (
            SELECT t.id, t.goal_id, {gaps.orphaned_sql("t")} AS orphaned,
                   {gaps.stranded_open_sql("t", "g")} AS stranded,
                   {gaps.suspect_sql("t", "g")} AS suspect,
                   COALESCE(g.status = 'active', false) AS covers
              FROM work_task t
              LEFT JOIN goals_goal g ON g.organization_id = t.organization_id AND g.id = t.goal_id
             WHERE t.organization_id = %(org)s AND {gaps.live_sql("t")}
        ),
        should(kind, task_id) AS (
            SELECT 'orphaned', id FROM live WHERE orphaned
            UNION ALL
            SELECT 'stranded', id FROM live WHERE stranded
            UNION ALL
            SELECT 'suspect', id FROM live WHERE suspect
        ),
        open AS (
            SELECT kind, task_id, goal_id FROM traceability_flag
             WHERE organization_id = %(org)s AND resolved_at IS NULL
        ),
        covered(id) AS (
            SELECT DISTINCT goal_id FROM live WHERE goal_id IS NOT NULL AND covers
            UNION
            SELECT g.parent_id FROM goals_goal g JOIN covered c ON g.id = c.id
             WHERE g.organization_id = %(org)s AND g.parent_id IS NOT NULL
        ),
        starved(goal_id) AS (
            SELECT g.id FROM goals_goal g
             WHERE g.organization_id = %(org)s
               AND {gaps.starvable_sql("g", before="%(activated_before)s")}
               AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = g.id)
        )
        SELECT
          (SELECT count(*) FROM should s WHERE NOT EXISTS (
              SELECT 1 FROM open o WHERE o.kind = s.kind AND o.task_id = s.task_id))
          + (SELECT count(*) FROM starved s WHERE NOT EXISTS (
              SELECT 1 FROM open o WHERE o.kind = 'starved' AND o.goal_id = s.goal_id)),
          (SELECT count(*) FROM open o WHERE o.task_id IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM should s WHERE s.kind = o.kind AND s.task_id = o.task_id))
          + (SELECT count(*) FROM open o WHERE o.kind = 'starved' AND NOT EXISTS (
              SELECT 1 FROM starved s WHERE s.goal_id = o.goal_id))
        """,  # noqa: S608 - constant SQL
        {"org": org_id, "activated_before": now - timedelta(days=grace_days)},
    )
    raised, resolved = cur.fetchone()
    return raised, resolved


PAGES: dict[str, Callable[..., dict[str, Any]]] = {
    "coverage": coverage,
    "trace_root": trace_root,
    "trace_expand": trace_expand,
    "goal_page": goal_page,
    "work_list": work_list,
    "add_task": add_task,
}
