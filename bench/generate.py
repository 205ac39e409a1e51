"""Realistic organizations generated with set-based SQL, straight into the real tables.

`generate(cursor, specs)` writes every organization of `specs` at once: members and their users,
goals in four levels with per-organization numbers, outcomes with check-ins, tasks with a skewed
number per goal (30% live, 60% done, 10% cancelled; 2% with no goal), their history rows, and the
sequences so that new numbers continue after the generated ones. The data carries every gap:
live work on goals put on hold, achieved or abandoned (stranded), goals changed materially after
their work's links were confirmed (suspect), active leaf goals past the grace period with no work
(starved), and stranded work kept with a reason. Flags and snapshots come afterwards from the real
services (`finish`).

Run as a module (`python -m bench.generate`), it builds the benchmark database named by
DATABASE_URL: migrations, the S, M and L organizations and 200 small ones beside them, flags,
snapshots, then VACUUM ANALYZE.
"""

import hashlib
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Share of goals on each of the four levels (objectives, areas, team goals, initiatives).
LEVEL_SHARES = (0.01, 0.05, 0.24)
# One goal in LEAF_EMPTY_EVERY of the active leaves gets no work at all: starved once the grace
# period is over; one in RECENT_EVERY of the active goals became active two days ago.
LEAF_EMPTY_EVERY = 40
RECENT_EVERY = 120
TASK_NO_GOAL = 0.02
# Tasks per goal are skewed: the goal of rank k (of n) gets a share sqrt(k/n) - sqrt((k-1)/n).
SKEW_POWER = 2


@dataclass(frozen=True)
class OrgSpec:
    """The size of one generated organization."""

    slug: str
    name: str
    members: int
    goals: int
    outcomes: int
    tasks: int

    def levels(self) -> tuple[int, int, int, int]:
        """How many goals on each of the four levels."""
        roots = max(2 if self.goals >= 20 else 1, math.ceil(self.goals * LEVEL_SHARES[0]))
        second = max(1, math.ceil(self.goals * LEVEL_SHARES[1]))
        third = max(1, math.ceil(self.goals * LEVEL_SHARES[2]))
        fourth = self.goals - roots - second - third
        if fourth < 1:
            raise ValueError(f"{self.slug}: {self.goals} goals cannot fill four levels")
        return roots, second, third, fourth


SCALES: dict[str, OrgSpec] = {
    "S": OrgSpec("bench-s", "Bench S", members=10, goals=50, outcomes=100, tasks=2_000),
    "M": OrgSpec("bench-m", "Bench M", members=100, goals=500, outcomes=1_000, tasks=50_000),
    "L": OrgSpec(
        "bench-l", "Bench L", members=1_000, goals=5_000, outcomes=10_000, tasks=1_000_000
    ),
}


def small_orgs(count: int = 200) -> list[OrgSpec]:
    """Teams of 3 to 8 people with 6 to 21 goals and 20 to 300 tasks, beside the big ones."""
    return [
        OrgSpec(
            f"team-{i:03}",
            f"Team {i:03}",
            members=3 + i % 6,
            goals=6 + (i * 7) % 16,
            outcomes=6 + (i * 5) % 16,
            tasks=20 + (i * 37) % 281,
        )
        for i in range(1, count + 1)
    ]


def all_specs() -> list[OrgSpec]:
    return [*SCALES.values(), *small_orgs()]


def lead_email(slug: str) -> str:
    """The generated lead of an organization (member 2; member 1 is its admin)."""
    return member_email(slug, 2)


def member_email(slug: str, i: int) -> str:
    return f"{slug}-{i}@bench.example"


def fingerprint() -> str:
    """What the generated database depends on: this generator, every migration, and the week
    (the data is dated relative to the day it is made: grace periods, "new this week")."""
    digest = hashlib.sha256()
    sources = [Path(__file__), *sorted(ROOT.glob("*/migrations/*.py"))]
    sources += sorted(ROOT.glob("vindaris/*/migrations/*.py"))
    for path in sources:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    year, week, _ = datetime.now().isocalendar()
    digest.update(f"{year}-W{week}".encode())
    return digest.hexdigest()[:12]


_FIRST = [
    *("Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"),
    *("Kai", "Lia", "Max", "Nia", "Oli", "Pia", "Raj", "Sol", "Tom", "Uma"),
]
_LAST = [
    *("Adler", "Berg", "Costa", "Diaz", "Engel", "Fox", "Garcia", "Hall", "Ito", "Jones"),
    *("Kim", "Lund", "Moreau", "Novak", "Okafor", "Park", "Quinn", "Rossi", "Silva", "Tran"),
]
_GOAL_VERBS = [
    *("Grow", "Reduce", "Improve", "Launch", "Expand"),
    *("Retain", "Automate", "Simplify", "Secure", "Scale"),
]
_GOAL_OBJECTS = [
    "revenue",
    "churn",
    "onboarding",
    "the mobile app",
    "partner sales",
    "the support backlog",
    "the release cadence",
    "data quality",
    "checkout conversion",
    "the hiring pipeline",
    "infrastructure cost",
    "customer satisfaction",
]
_TASK_VERBS = [
    *("Draft", "Review", "Ship", "Fix", "Write", "Test"),
    *("Design", "Migrate", "Document", "Measure", "Interview", "Prototype"),
]
_TASK_OBJECTS = [
    "the pricing page",
    "the API client",
    "the onboarding email",
    "a dashboard filter",
    "the billing export",
    "the login flow",
    "the search index",
    "the release notes",
    "the data pipeline",
    "a support macro",
    "an A/B test",
    "the customer call notes",
]
_OUTCOMES = [
    "Weekly active users",
    "Net revenue retention",
    "Time to first value",
    "Support tickets per customer",
    "Checkout conversion",
    "Release lead time",
    "Churned accounts",
    "Qualified pipeline",
]
_UNITS = ["%", "users", "k€", "NPS", "days", "tickets"]


def _array(values: Iterable[str]) -> str:
    """A SQL array literal of constant words, for statements that also take parameters."""
    quoted = ("'" + v.replace("'", "''").replace("%", "%%") + "'" for v in values)
    return "(ARRAY[" + ", ".join(quoted) + "])"


def _statements(now: datetime) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, SQL, parameters) in order. Every statement works on all organizations of
    bench_spec at once."""
    p = {"now": now}
    first, last = _array(_FIRST), _array(_LAST)
    gverbs, gobjects = _array(_GOAL_VERBS), _array(_GOAL_OBJECTS)
    tverbs, tobjects = _array(_TASK_VERBS), _array(_TASK_OBJECTS)
    outcomes, units = _array(_OUTCOMES), _array(_UNITS)
    return [
        (
            "organizations",
            """
            INSERT INTO tenancy_organization
                (name, slug, timezone, digest_weekday, allow_goalless_work, starved_grace_days,
                 created_at)
            SELECT name, slug, 'UTC', 0, false, 7, %(now)s - interval '400 days'
              FROM bench_spec ORDER BY slug;
            UPDATE bench_spec s SET org_id = o.id FROM tenancy_organization o WHERE o.slug = s.slug;
            """,
            p,
        ),
        (
            "members",
            f"""
            CREATE TEMP TABLE bench_member AS
            SELECT org_id, slug, i,
                   CASE WHEN i = 1 THEN 'admin' WHEN i = 2 THEN 'lead' WHEN u < 0.05 THEN 'lead'
                        WHEN u < 0.60 THEN 'planner' ELSE 'viewer' END AS role,
                   {first}[1 + mod(i * 7 + org_id::int, 20)] || ' '
                     || {last}[1 + mod(i * 13 + i / 20, 20)] AS name,
                   slug || '-' || i || '@bench.example' AS email,
                   NULL::bigint AS user_id, NULL::bigint AS membership_id
              FROM (SELECT s.org_id, s.slug, i, random() AS u
                      FROM bench_spec s, generate_series(1, s.members) i) r;
            INSERT INTO tenancy_user
                (password, last_login, is_superuser, email, name, is_active, is_staff, date_joined)
            SELECT '!', NULL, false, email, name, true, false, %(now)s - interval '400 days'
              FROM bench_member ORDER BY org_id, i;
            UPDATE bench_member m SET user_id = u.id FROM tenancy_user u WHERE u.email = m.email;
            INSERT INTO tenancy_membership
                (role, digest_opt_out, created_at, organization_id, user_id)
            SELECT role, false, %(now)s - interval '400 days', org_id, user_id
              FROM bench_member ORDER BY org_id, i;
            UPDATE bench_member m SET membership_id = ms.id FROM tenancy_membership ms
             WHERE ms.organization_id = m.org_id AND ms.user_id = m.user_id;
            CREATE TEMP TABLE bench_people AS
            SELECT org_id,
                   array_agg(membership_id ORDER BY i) AS members,
                   array_agg(membership_id ORDER BY i)
                     FILTER (WHERE role IN ('admin', 'lead', 'planner')) AS owners,
                   array_agg(user_id ORDER BY i) FILTER (WHERE role IN ('lead', 'planner'))
                     AS creators,
                   min(user_id) FILTER (WHERE i = 1) AS admin_user
              FROM bench_member GROUP BY org_id;
            -- Per-row picks join these small tables (member i, creator k) rather than index
            -- into the arrays above, which would be detoasted for every one of a million rows.
            CREATE INDEX ON bench_member (org_id, i);
            CREATE TEMP TABLE bench_creator AS
            SELECT org_id, row_number() OVER (PARTITION BY org_id ORDER BY i) AS k, user_id
              FROM bench_member WHERE role IN ('lead', 'planner');
            CREATE INDEX ON bench_creator (org_id, k);
            UPDATE bench_spec s SET n_creators = (
                SELECT count(*) FROM bench_creator c WHERE c.org_id = s.org_id);
            ANALYZE bench_member;
            ANALYZE bench_creator;
            """,  # noqa: S608 - constant words and catalog names
            p,
        ),
        (
            "goal plan",
            """
            CREATE TEMP TABLE bench_goal AS
            WITH r AS (
                SELECT s.org_id, s.slug, s.n1, s.n2, s.n3, x AS number,
                       random() AS u_status, random() AS u_priority, random() AS u_owner,
                       random() AS u_days, random() AS u_change, random() AS u_change_days
                  FROM bench_spec s, generate_series(1, s.goals) x
            ), l AS (
                SELECT r.*,
                       CASE WHEN number <= n1 THEN 1 WHEN number <= n1 + n2 THEN 2
                            WHEN number <= n1 + n2 + n3 THEN 3 ELSE 4 END AS level
                  FROM r
            ), s AS (
                SELECT l.*,
                       CASE level WHEN 1 THEN NULL
                            WHEN 2 THEN 1 + mod(number - n1 - 1, n1)
                            WHEN 3 THEN n1 + 1 + mod(number - n1 - n2 - 1, n2)
                            ELSE n1 + n2 + 1 + mod(number - n1 - n2 - n3 - 1, n3) END
                         AS parent_number,
                       CASE WHEN level = 1 OR u_status < 0.92 THEN 'active'
                            WHEN u_status < 0.93 THEN 'draft'
                            WHEN u_status < 0.96 THEN 'on_hold'
                            WHEN u_status < 0.99 THEN 'achieved'
                            ELSE 'abandoned' END AS status,
                       CASE WHEN u_priority < 0.15 THEN 1 WHEN u_priority < 0.5 THEN 2
                            WHEN u_priority < 0.85 THEN 3 ELSE 4 END AS priority
                  FROM l
            )
            SELECT s.*,
                   status = 'active' AND level = 4 AND mod(number, %(leaf_empty)s) = 0 AS empty,
                   CASE WHEN status = 'draft' THEN NULL
                        WHEN status = 'active' AND mod(number, %(recent)s) = 0
                          THEN %(now)s - interval '2 days'
                        WHEN status = 'active' THEN %(now)s - (30 + u_days * 335) * interval '1 day'
                        ELSE %(now)s - (60 + u_days * 305) * interval '1 day' END AS activated_at,
                   CASE WHEN status IN ('on_hold', 'achieved', 'abandoned')
                          THEN %(now)s - (1 + u_change_days * 59) * interval '1 day'
                        WHEN status = 'active' AND u_change < 0.06 AND priority > 1
                          THEN %(now)s - (1 + u_change_days * 29) * interval '1 day'
                        END AS material_change_at,
                   NULL::bigint AS id, NULL::int AS rank_eligible, NULL::int AS rank_all
              FROM s;
            """,
            {**p, "leaf_empty": LEAF_EMPTY_EVERY, "recent": RECENT_EVERY},
        ),
        *[
            (
                f"goals, level {level}",
                f"""
                INSERT INTO goals_goal
                    (number, title, description, priority, status, start_date, end_date,
                     activated_at, material_change_at, material_change, created_at, updated_at,
                     created_by_id, organization_id, owner_id, parent_id, confidential)
                SELECT g.number,
                       {gverbs}[1 + mod(g.number, 10)] || ' '
                         || {gobjects}[1 + mod(g.number * 7, 12)]
                         || CASE g.level WHEN 1 THEN '' ELSE ' · ' || g.number END,
                       CASE WHEN g.level <= 2
                            THEN 'Why it matters, how we will know, and who is on it.' ELSE '' END,
                       g.priority, g.status,
                       CASE WHEN g.level = 1 THEN date_trunc('year', %(now)s)::date
                            ELSE (date_trunc('year', %(now)s)
                                  + mod(g.number, 4) * interval '3 months')::date END,
                       CASE WHEN g.level = 1
                              THEN (date_trunc('year', %(now)s) + interval '1 year - 1 day')::date
                            ELSE (date_trunc('year', %(now)s)
                                  + (mod(g.number, 4) + 1) * interval '3 months'
                                  - interval '1 day')::date END,
                       g.activated_at, g.material_change_at,
                       CASE WHEN g.material_change_at IS NULL THEN ''
                            WHEN g.status = 'on_hold' THEN 'status Active → On hold'
                            WHEN g.status = 'achieved' THEN 'status Active → Achieved'
                            WHEN g.status = 'abandoned' THEN 'status Active → Abandoned'
                            ELSE 'priority lowered P' || (g.priority - 1) || ' → P' || g.priority
                            END,
                       COALESCE(g.activated_at, %(now)s - g.u_days * interval '60 days')
                         - interval '1 day',
                       COALESCE(g.material_change_at, g.activated_at,
                                %(now)s - g.u_days * interval '60 days'),
                       pe.admin_user, g.org_id,
                       CASE WHEN g.u_owner < 0.95
                            THEN pe.owners[
                                   1 + floor(g.u_owner / 0.95 * cardinality(pe.owners))::int]
                            END,
                       parent.id,
                       -- about one team goal in a hundred is confidential (seen by leads)
                       g.level = 3 AND mod(g.number, 97) = 0
                  FROM bench_goal g
                  JOIN bench_people pe ON pe.org_id = g.org_id
                  LEFT JOIN goals_goal parent
                    ON parent.organization_id = g.org_id AND parent.number = g.parent_number
                 WHERE g.level = {level}
                 ORDER BY g.org_id, g.number;
                """,  # noqa: S608 - constant words and catalog names
                p,
            )
            for level in (1, 2, 3, 4)
        ],
        (
            "goal ranks",
            """
            UPDATE bench_goal b SET id = g.id FROM goals_goal g
             WHERE g.organization_id = b.org_id AND g.number = b.number;
            UPDATE bench_goal b SET rank_all = r.rank_all, rank_eligible = r.rank_eligible
              FROM (SELECT id,
                           row_number() OVER (PARTITION BY org_id ORDER BY md5(slug || number))
                             AS rank_all,
                           CASE WHEN level >= 2 AND NOT empty THEN
                             row_number() OVER (PARTITION BY org_id, level >= 2 AND NOT empty
                                                ORDER BY md5(number || slug)) END
                             AS rank_eligible
                      FROM bench_goal) r
             WHERE r.id = b.id;
            UPDATE bench_spec s SET n_eligible = (
                SELECT count(*) FROM bench_goal g WHERE g.org_id = s.org_id
                   AND g.rank_eligible IS NOT NULL);
            CREATE INDEX ON bench_goal (org_id, rank_eligible);
            CREATE INDEX ON bench_goal (org_id, rank_all);
            ANALYZE bench_goal;
            """,
            p,
        ),
        (
            "outcomes",
            f"""
            INSERT INTO goals_outcome
                (number, title, unit, baseline, target, current, direction, due_date, created_at,
                 updated_at, goal_id, organization_id)
            SELECT i, {outcomes}[1 + mod(i * 3, 8)], {units}[1 + mod(i, 6)], baseline,
                   target,
                   round(baseline + (target - baseline) * (u_current * 1.3 - 0.1)::numeric, 2),
                   direction, (date_trunc('year', %(now)s) + interval '1 year - 1 day')::date,
                   created_at, created_at + interval '1 day', goal_id, org_id
              FROM (SELECT r.*, g.id AS goal_id,
                           CASE WHEN u_direction < 0.8 THEN 'increase' ELSE 'decrease' END
                             AS direction,
                           CASE WHEN u_direction < 0.8 THEN baseline * 2
                                ELSE round(baseline / 2, 2) END AS target,
                           COALESCE(g.activated_at, %(now)s - interval '200 days') AS created_at
                      FROM (SELECT s.org_id, s.goals, i,
                                   round(100 + random() * 900)::numeric AS baseline,
                                   random() AS u_direction, random() AS u_current
                              FROM bench_spec s, generate_series(1, s.outcomes) i) r
                      JOIN bench_goal g
                        ON g.org_id = r.org_id AND g.rank_all = 1 + mod(r.i - 1, r.goals)) o
             ORDER BY org_id, i;
            CREATE TEMP TABLE bench_goal_outcomes AS
            SELECT goal_id, array_agg(id ORDER BY number) AS ids FROM goals_outcome
             WHERE organization_id IN (SELECT org_id FROM bench_spec) GROUP BY goal_id;
            CREATE INDEX ON bench_goal_outcomes (goal_id);
            ANALYZE bench_goal_outcomes;
            """,  # noqa: S608 - constant words and catalog names
            p,
        ),
        (
            "check-ins",
            """
            INSERT INTO goals_checkin
                (value, previous_value, note, checked_on, created_at, author_id, organization_id,
                 outcome_id)
            SELECT round(o.baseline + (o.current - o.baseline) * k / 3.0, 2),
                   round(o.baseline + (o.current - o.baseline) * (k - 1) / 3.0, 2),
                   CASE k WHEN 3 THEN 'On track after the last release.' ELSE '' END,
                   (%(now)s - (90 - k * 28) * interval '1 day')::date,
                   %(now)s - (90 - k * 28) * interval '1 day',
                   pe.creators[1], o.organization_id, o.id
              FROM goals_outcome o
              JOIN bench_people pe ON pe.org_id = o.organization_id,
                   generate_series(1, 3) k
             ORDER BY o.id, k;
            """,
            p,
        ),
        (
            "tasks",
            f"""
            INSERT INTO work_task
                (number, title, description, status, estimate, due_date, origin,
                 link_confirmed_at, kept_reason, created_at, updated_at, assignee_id,
                 created_by_id, goal_id, organization_id, outcome_id)
            SELECT n, {tverbs}[1 + mod(n, 12)] || ' ' || {tobjects}[1 + mod(n * 7 + n / 12, 12)],
                   '', status,
                   (ARRAY[1, 1, 2, 2, 3, 3, 5, 5, 8, 13])[1 + floor(u_est * 10)::int],
                   CASE WHEN u_due < 0.4
                        THEN (created_at + (7 + floor(u_due * 375)) * interval '1 day')::date END,
                   CASE WHEN goal_id IS NULL
                          THEN CASE WHEN u_origin < 0.5 THEN 'import' ELSE 'quick_add' END
                        WHEN u_origin < 0.9 THEN 'goal_page'
                        WHEN u_origin < 0.95 THEN 'quick_add' ELSE 'import' END,
                   CASE WHEN kept THEN greatest(created_at, material_change_at + interval '1 hour')
                        ELSE created_at END,
                   CASE WHEN kept THEN 'Committed to a customer; we finish it.' ELSE '' END,
                   created_at, least(%(now)s, created_at + u_updated * interval '30 days'),
                   assignee_id, created_by_id, goal_id, org_id,
                   CASE WHEN outcome_ids IS NOT NULL AND u_outcome < 0.4
                        THEN outcome_ids[1 + floor(u_outcome / 0.4 * cardinality(outcome_ids))::int]
                        END
              FROM (
                SELECT r.*, g.id AS goal_id, g.material_change_at, o.ids AS outcome_ids,
                       am.membership_id AS assignee_id, cr.user_id AS created_by_id,
                       CASE WHEN r.u_status < 0.15 THEN 'todo'
                            WHEN r.u_status < 0.25 THEN 'in_progress'
                            WHEN r.u_status < 0.30 THEN 'blocked'
                            WHEN r.u_status < 0.90 THEN 'done'
                            ELSE 'cancelled' END AS status,
                       r.u_status < 0.30 AND g.status <> 'active' AND r.u_kept < 0.05
                         AND g.material_change_at IS NOT NULL AS kept,
                       %(now)s - ((r.tasks - r.n)::float / r.tasks * 365) * interval '1 day'
                         - interval '1 hour' AS created_at
                  FROM (SELECT s.org_id, s.tasks, s.members, s.n_creators, s.n_eligible, n,
                               random() AS u_goal, random() AS u_no_goal, random() AS u_status,
                               random() AS u_outcome, random() AS u_assignee, random() AS u_kept,
                               random() AS u_est, random() AS u_due, random() AS u_origin,
                               random() AS u_updated
                          FROM bench_spec s, generate_series(1, s.tasks) n) r
                  LEFT JOIN bench_goal g
                    ON r.u_no_goal >= %(no_goal)s AND g.org_id = r.org_id
                   AND g.rank_eligible
                       = least(r.n_eligible,
                               1 + floor(r.n_eligible * power(r.u_goal, %(skew)s))::int)
                  LEFT JOIN bench_goal_outcomes o ON o.goal_id = g.id
                  LEFT JOIN bench_member am
                    ON r.u_assignee < 0.85 AND am.org_id = r.org_id
                   AND am.i = 1 + floor(r.u_assignee / 0.85 * r.members)::int
                  JOIN bench_creator cr
                    ON cr.org_id = r.org_id AND cr.k = 1 + floor(r.u_updated * r.n_creators)::int
              ) t
             ORDER BY org_id, n;
            """,  # noqa: S608 - constant words and catalog names
            {**p, "no_goal": TASK_NO_GOAL, "skew": SKEW_POWER},
        ),
        (
            "task history",
            """
            INSERT INTO work_taskevent
                (kind, from_status, to_status, reason, changes, created_at, actor_id,
                 from_goal_id, organization_id, task_id, to_goal_id)
            SELECT 'created', '', 'todo', '', '{}'::jsonb, t.created_at, t.created_by_id,
                   NULL::bigint, t.organization_id, t.id, t.goal_id
              FROM work_task t WHERE t.organization_id IN (SELECT org_id FROM bench_spec)
            UNION ALL
            SELECT 'status', 'in_progress', t.status, '', '{}'::jsonb, t.updated_at,
                   t.created_by_id, NULL::bigint, t.organization_id, t.id, NULL::bigint
              FROM work_task t WHERE t.organization_id IN (SELECT org_id FROM bench_spec)
               AND t.status IN ('done', 'cancelled')
            UNION ALL
            SELECT 'kept', '', '', t.kept_reason, '{}'::jsonb, t.link_confirmed_at,
                   t.created_by_id, NULL::bigint, t.organization_id, t.id, NULL::bigint
              FROM work_task t WHERE t.organization_id IN (SELECT org_id FROM bench_spec)
               AND t.kept_reason <> '';
            """,
            p,
        ),
        (
            "goal history",
            """
            INSERT INTO goals_goalevent
                (kind, changes, summary, created_at, actor_id, goal_id, organization_id)
            SELECT 'created', '{}'::jsonb, g.title, g.created_at, g.created_by_id, g.id,
                   g.organization_id
              FROM goals_goal g WHERE g.organization_id IN (SELECT org_id FROM bench_spec)
            UNION ALL
            SELECT 'updated',
                   CASE WHEN g.status = 'active'
                        THEN jsonb_build_object('Priority',
                               jsonb_build_array('P' || (g.priority - 1), 'P' || g.priority))
                        ELSE jsonb_build_object('Status', jsonb_build_array('Active',
                               initcap(replace(g.status, '_', ' ')))) END,
                   g.material_change, g.material_change_at, g.created_by_id, g.id,
                   g.organization_id
              FROM goals_goal g WHERE g.organization_id IN (SELECT org_id FROM bench_spec)
               AND g.material_change_at IS NOT NULL;
            """,
            p,
        ),
        (
            "sequences",
            """
            INSERT INTO tenancy_sequence (organization_id, name, value)
            SELECT org_id, 'goal', goals FROM bench_spec
            UNION ALL SELECT org_id, 'outcome', outcomes FROM bench_spec
            UNION ALL SELECT org_id, 'task', tasks FROM bench_spec;
            """,
            p,
        ),
    ]


_TEMP_TABLES = (
    "bench_spec",
    "bench_member",
    "bench_creator",
    "bench_people",
    "bench_goal",
    "bench_goal_outcomes",
)

# Every foreign key of the tables the generator writes, checked set-based when the row-by-row
# triggers were switched off for speed.
_CHECKED_TABLES = (
    "tenancy_membership",
    "goals_goal",
    "goals_outcome",
    "goals_checkin",
    "goals_goalevent",
    "work_task",
    "work_taskevent",
)


def foreign_key_violations(cursor: Any, org_ids: list[int]) -> list[str]:
    """Names of the foreign keys that some generated row breaks (one anti-join each)."""
    cursor.execute(
        """
        SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
               array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                     ORDER BY k.o)::text[],
               array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                     ORDER BY k.o)::text[]
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
         ORDER BY 1
        """,
        [list(_CHECKED_TABLES)],
    )
    broken = []
    for name, table, target, columns, target_columns in cursor.fetchall():
        present = " AND ".join(f"c.{col} IS NOT NULL" for col in columns)
        match = " AND ".join(
            f"p.{t} = c.{col}" for col, t in zip(columns, target_columns, strict=True)
        )
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} c WHERE c.organization_id = ANY(%s)"  # noqa: S608 - catalog names
            f" AND {present} AND NOT EXISTS (SELECT 1 FROM {target} p WHERE {match}))",
            [org_ids],
        )
        if cursor.fetchone()[0]:
            broken.append(name)
    return broken


# The big tables: their indexes that back no constraint are dropped before the bulk insert and
# created again, identical, afterwards (one sort each instead of a million random inserts).
_BULK_TABLES = ("work_task", "work_taskevent")


def _drop_plain_indexes(cursor: Any, tables: Sequence[str]) -> list[str]:
    """Drop the tables' indexes that no constraint uses; return their definitions."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i
         WHERE i.indrelid::regclass::text = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
         ORDER BY 1
        """,
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes]


def generate(
    cursor: Any,
    specs: Sequence[OrgSpec],
    *,
    now: datetime,
    seed: float = 0.42,
    fast: bool = False,
    log: Any = None,
) -> dict[str, int]:
    """Write the organizations of `specs` with all their data; return their ids by slug.

    `fast` switches off the row-by-row foreign key triggers for this session (superuser only)
    and checks every foreign key afterwards with one anti-join each; otherwise every constraint
    is checked as rows go in. Runs in the caller's transaction."""
    for spec in specs:
        spec.levels()  # refuses sizes that cannot fill four levels
    cursor.execute("SELECT setseed(%s)", [seed])
    for table in _TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    cursor.execute(
        """
        CREATE TEMP TABLE bench_spec (
            slug text PRIMARY KEY, name text, members int, goals int, outcomes int, tasks int,
            n1 int, n2 int, n3 int, org_id bigint, n_eligible int, n_creators int
        )
        """
    )
    levels = [spec.levels() for spec in specs]
    cursor.execute(
        """
        INSERT INTO bench_spec (slug, name, members, goals, outcomes, tasks, n1, n2, n3)
        SELECT * FROM unnest(%s::text[], %s::text[], %s::int[], %s::int[], %s::int[], %s::int[],
                             %s::int[], %s::int[], %s::int[])
        """,
        [
            [s.slug for s in specs],
            [s.name for s in specs],
            [s.members for s in specs],
            [s.goals for s in specs],
            [s.outcomes for s in specs],
            [s.tasks for s in specs],
            [lv[0] for lv in levels],
            [lv[1] for lv in levels],
            [lv[2] for lv in levels],
        ],
    )
    # Both settings end with the transaction, also when a statement fails.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if fast:
        cursor.execute("SET LOCAL session_replication_role = replica")
    rebuild: list[str] = []
    if fast:
        rebuild = _drop_plain_indexes(cursor, _BULK_TABLES)
        # Sorts of a million generated rows in memory; no JIT compilation for one-off statements.
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '512MB'")
        cursor.execute("SET LOCAL jit = off")
    for label, sql, params in _statements(now):
        started = time.perf_counter()
        cursor.execute(sql, params)
        if log:
            log(f"  {label}: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    for definition in rebuild:
        cursor.execute(definition)
    if rebuild and log:
        log(f"  {len(rebuild)} indexes rebuilt: {time.perf_counter() - started:.1f} s")
    if fast:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    cursor.execute("SELECT slug, org_id FROM bench_spec")
    ids = dict(cursor.fetchall())
    if fast:
        started = time.perf_counter()
        broken = foreign_key_violations(cursor, list(ids.values()))
        if broken:
            raise RuntimeError(f"generated rows break foreign keys: {', '.join(broken)}")
        if log:
            log(f"  foreign keys checked: {time.perf_counter() - started:.1f} s")
        # The coverage triggers stayed out too (traceability migration 0005): one recount per
        # organization.
        started = time.perf_counter()
        for org_id in sorted(ids.values()):
            cursor.execute("SELECT traceability_goalcoverage_repair(%s)", [org_id])
        if log:
            log(f"  coverage counted: {time.perf_counter() - started:.1f} s")
    for table in _TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    return ids


def finish(slugs: Sequence[str], *, now: datetime, history_days: int = 0) -> None:
    """Flags from the real reconciler and today's snapshot from the real service, for each
    organization; then `history_days` earlier daily snapshots (a gently moving copy of today's
    figures) so that the coverage trend has twelve weeks to draw."""
    from traceability import services
    from traceability.models import Snapshot
    from vindaris.tenancy.models import Organization

    for organization in Organization.objects.filter(slug__in=slugs).order_by("pk"):
        services.flags_reconcile(organization=organization, now=now)
        services.snapshot_take(organization=organization, now=now)
    if history_days:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Snapshot._meta.db_table}
                    (organization_id, date, linked_effort, live_effort, linked_ratio, orphaned,
                     stranded, suspect, starved, goal_effort, taken_at)
                SELECT s.organization_id, s.date - d,
                       round(s.linked_effort * f), s.live_effort,
                       CASE WHEN s.live_effort > 0
                            THEN round(s.linked_effort * f) / s.live_effort END,
                       round(s.orphaned / f), round(s.stranded / f), round(s.suspect / f),
                       s.starved, s.goal_effort, s.taken_at - d * interval '1 day'
                  FROM {Snapshot._meta.db_table} s
                  JOIN tenancy_organization o ON o.id = s.organization_id AND o.slug = ANY(%s),
                       generate_series(1, %s) d,
                       LATERAL (SELECT 1 - 0.002 * d - 0.01 * sin(d / 3.0) AS f) k
                """,  # noqa: S608 - table name from the model
                [list(slugs), history_days],
            )


def build() -> None:
    """Build the benchmark database of DATABASE_URL from nothing (it must be empty)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    def log(line: str) -> None:
        print(line, flush=True)

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"bench: migrated in {time.perf_counter() - started:.1f} s")
    now = timezone.now()
    specs = all_specs()
    step = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        generate(cursor, specs, now=now, fast=True, log=log)
    log(f"bench: generated {len(specs)} organizations in {time.perf_counter() - step:.1f} s")
    step = time.perf_counter()
    with connection.cursor() as cursor:
        # Statistics first, as a live database has them: the reconciler's and the snapshot's
        # set-based reads are planned on them.
        cursor.execute("ANALYZE")
    log(f"bench: analyze in {time.perf_counter() - step:.1f} s")
    step = time.perf_counter()
    with transaction.atomic():
        finish([s.slug for s in specs], now=now, history_days=83)
    log(f"bench: flags and snapshots in {time.perf_counter() - step:.1f} s")
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    log(f"bench: vacuum analyze in {time.perf_counter() - step:.1f} s")
    log(f"bench: database built in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    build()
    sys.exit(0)
