"""Roll-ups: the figures of whole subtrees, for many goals at once.

One recursive CTE walks down from every goal asked about and sums each subtree's per-goal
coverage rows (GoalCoverage: live work, effort, gaps and outcome progress, kept by the
database with every write), so the tree's root and every expansion run one query and read a
row per goal rather than its tasks, however large the organization is."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from goals.models import Goal
from updates import health as goal_health
from vindaris.tenancy.models import Membership, Organization
from work import gaps

from ..selectors import Hidden
from .base import (
    COVERAGE,
    GOAL,
    GOAL_COLUMNS,
    MAX_DEPTH,
    MEMBER_COLUMNS,
    MEMBERSHIP,
    PAGE_SIZE,
    USER,
    USER_COLUMNS,
    goal_with_owner,
)


@dataclass(frozen=True)
class Rollup:
    """Figures of a goal's whole subtree (the goal itself included)."""

    live_tasks: int = 0
    live_effort: int = 0
    done_effort: int = 0
    stranded: int = 0  # holding a stranded flag (not kept)
    kept: int = 0  # stranded work someone chose to keep, counted apart
    suspect: int = 0
    outcomes: int = 0
    progress_sum: int = 0
    starved: int = 0  # starved goals in the subtree, this one included
    is_starved: bool = False  # this goal itself
    health: goal_health.GoalHealth = goal_health.NO_HEALTH  # the goal's own (latest update)

    @property
    def done_share(self) -> int:
        """Percent of the effort that is done (cancelled work left out), as on the goal page."""
        total = self.live_effort + self.done_effort
        return round(100 * self.done_effort / total) if total else 0

    @property
    def outcome_progress(self) -> int | None:
        """Mean progress of the subtree's outcomes, 0–100; None without outcomes."""
        return round(self.progress_sum / self.outcomes) if self.outcomes else None

    @property
    def starved_below(self) -> int:
        return self.starved - int(self.is_starved)

    @property
    def has_gaps(self) -> bool:
        return bool(self.starved or self.stranded or self.suspect)


@dataclass(frozen=True)
class Ranked:
    """One row of a paginated, partitioned list: its position among its siblings."""

    id: int
    parent_id: int | None
    rn: int
    total: int
    pinned: bool


# A goal's own figures in a roll-up, from its GoalCoverage row `c` (none: no work, no outcomes).
_FIGURES = "live_tasks, live_effort, done_effort, stranded, suspect, outcomes, progress_sum, kept"
_FIGURES_OF_C = ", ".join(f"COALESCE(c.{f}, 0)" for f in _FIGURES.split(", "))
# A goal `g` and its coverage row `c`, both on the goal's organization.
_WITH_COVERAGE = (
    f"LEFT JOIN {COVERAGE} c ON c.organization_id = g.organization_id AND c.goal_id = g.id"
)


def rollups(
    organization: Organization,
    membership: Membership,
    *,
    anchors: tuple[str, dict[str, Any]],
    gaps_only: bool,
    pinned: Iterable[int],
    page: int,
    now: datetime,
) -> list[tuple[Ranked, Rollup, Goal]]:
    """Roll-ups of the anchor goals (those of the organization's goals `g` that the condition
    `anchors` keeps, with its named parameters), ranked among their siblings by priority then
    number; the rows of page `page` (pinned goals always come along), each with its goal
    (owner loaded), and the goal's own health (its latest update, stale or not). One query.

    Over what `membership` may see: hidden goals are neither anchors nor walked into, so their
    work counts nowhere (and covers nothing: a goal whose only live work is hidden is starved
    for this member). With `gaps_only`, only anchors whose subtree holds a gap take part
    (pinned ones too)."""
    hidden = Hidden.of(membership)
    anchors_sql, anchors_params = anchors
    offset = (page - 1) * PAGE_SIZE
    # `sub`: every goal of each anchor's subtree, with what the roll-up needs of it, read once
    # on the walk down: its parent, whether it is active and past the grace period (starved
    # unless covered), its own figures (its GoalCoverage row), and for the anchors their rank
    # among their siblings.
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        sub(anchor_id, id, parent_id, depth, starvable, priority, number, {_FIGURES}) AS (
            SELECT g.id, g.id, g.parent_id, 0, {gaps.starvable_sql("g")}, g.priority, g.number,
                   {_FIGURES_OF_C}
              FROM {GOAL} g {_WITH_COVERAGE}
             WHERE g.organization_id = %(org)s AND ({anchors_sql}){hidden.excludes("g.id")}
            UNION ALL
            SELECT s.anchor_id, g.id, g.parent_id, s.depth + 1, {gaps.starvable_sql("g")},
                   g.priority, g.number, {_FIGURES_OF_C}
              FROM sub s
              JOIN {GOAL} g ON g.parent_id = s.id AND g.organization_id = %(org)s
              {_WITH_COVERAGE}
             WHERE s.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        ),
        -- Starved goals of the subtrees: from those that could be (active, past the grace
        -- period, no live work of their own) down through goals without live work, looking
        -- for some (selectors.coverage_headline's walk).
        bare(candidate, id, live, depth) AS (
            SELECT DISTINCT s.id, s.id, false, 0 FROM sub s
             WHERE s.starvable AND s.live_tasks = 0
            UNION ALL
            SELECT b.candidate, g.id, {gaps.covers_sql("g", "c.live_tasks")}, b.depth + 1
              FROM bare b
              JOIN {GOAL} g ON g.parent_id = b.id AND g.organization_id = %(org)s
              {_WITH_COVERAGE}
             WHERE NOT b.live AND b.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        ),
        starved(id) AS (
            SELECT candidate FROM bare GROUP BY candidate HAVING NOT bool_or(live)
        ),
        rolled AS (
            SELECT anchor_id AS id,
                   COALESCE(sum(live_tasks), 0) AS live_tasks,
                   COALESCE(sum(live_effort), 0) AS live_effort,
                   COALESCE(sum(done_effort), 0) AS done_effort,
                   COALESCE(sum(stranded), 0) AS stranded,
                   COALESCE(sum(suspect), 0) AS suspect,
                   COALESCE(sum(outcomes), 0) AS outcomes,
                   COALESCE(sum(progress_sum), 0) AS progress_sum,
                   COALESCE(sum(kept), 0) AS kept,
                   count(*) FILTER (WHERE is_starved) AS starved,
                   bool_or(depth = 0 AND is_starved) AS is_starved
              FROM (SELECT s.*, st.id IS NOT NULL AS is_starved
                      FROM sub s LEFT JOIN starved st ON st.id = s.id) s
             GROUP BY anchor_id
        ),
        ranked AS (
            SELECT r.*, a.parent_id, a.id = ANY(%(pinned)s::bigint[]) AS pinned,
                   row_number() OVER (PARTITION BY a.parent_id ORDER BY a.priority, a.number)
                       AS rn,
                   count(*) OVER (PARTITION BY a.parent_id) AS total
              FROM rolled r JOIN sub a ON a.id = r.id AND a.depth = 0
             WHERE NOT %(gaps_only)s OR r.starved + r.stranded + r.suspect > 0
                   OR a.id = ANY(%(pinned)s::bigint[])
        )
        SELECT r.id, r.parent_id, r.rn, r.total, r.pinned,
               r.live_tasks, r.live_effort, r.done_effort, r.stranded, r.suspect, r.outcomes,
               r.progress_sum, r.starved, r.is_starved, r.kept,
               {goal_health.columns("g")},
               {GOAL_COLUMNS[1]}, {MEMBER_COLUMNS[1]}, {USER_COLUMNS[1]}
          FROM ranked r
          JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = r.id
          {goal_health.latest_join("g")}
          LEFT JOIN {MEMBERSHIP} m ON m.id = g.owner_id
          LEFT JOIN {USER} u ON u.id = m.user_id
         WHERE (r.rn > %(offset)s AND r.rn <= %(until)s) OR r.pinned
         ORDER BY r.parent_id NULLS FIRST, r.rn
    """  # noqa: S608 - table and column names from the models; values are parameters
    params = {
        **hidden.params,
        **anchors_params,
        "org": organization.pk,
        "starved_before": gaps.starved_before(organization=organization, now=now),
        "stale_before": goal_health.stale_before(organization, now),
        "pinned": sorted(set(pinned)),
        "gaps_only": gaps_only,
        "offset": offset,
        "until": offset + PAGE_SIZE,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        ranked = Ranked(id=row[0], parent_id=row[1], rn=row[2], total=row[3], pinned=row[4])
        rollup = Rollup(
            live_tasks=int(row[5]),
            live_effort=int(row[6]),
            done_effort=int(row[7]),
            stranded=int(row[8]),
            suspect=int(row[9]),
            outcomes=int(row[10]),
            progress_sum=int(row[11]),
            starved=int(row[12]),
            is_starved=bool(row[13]),
            kept=int(row[14]),
            health=goal_health.from_row(row[15:19]),
        )
        result.append((ranked, rollup, goal_with_owner(row[19:])))
    return result


def goal_rollups(
    *, organization: Organization, membership: Membership, goals: Iterable[Goal], now: datetime
) -> dict[int, Rollup]:
    """Roll-ups of the given goals over their whole subtrees, by goal id. One query."""
    ids = [g.pk for g in goals]
    rows = rollups(
        organization,
        membership,
        anchors=("g.id = ANY(%(goals)s::bigint[])", {"goals": ids}),
        gaps_only=False,
        pinned=ids,
        page=1,
        now=now,
    )
    return {ranked.id: rollup for ranked, rollup, _ in rows}
