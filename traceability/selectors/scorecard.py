"""The strategy-led scorecard: the three properties of strategy-led work, measured week by week
in the organization's own weeks (Monday to Sunday in its time zone).

1. Goals and work in one system: the linked ratio (the last snapshot of each week; today's
   figure for the current week).
2. Work is created from goals: of the tasks created in the week, those that had a goal from
   the start (created on a goal page, or with a goal through the API, an import or quick add),
   those captured without one and linked later ("retrofitted"), and those still without one.
3. The connection persists: the open gaps (flags) at the end of each week, with the median
   number of days they had been open and how many had been open more than 14 days; and the
   material goal changes of the week (a priority lowered, a status or title changed, an
   outcome's target changed) that found live work under their goal, with the share of them
   "answered" within 7 days: each of those tasks confirmed, moved, kept, cancelled or finished
   within 7 days of the change. A change less than 7 days old is pending, not counted either
   way.

Over what the member may see: nothing under a goal hidden from them is counted or listed.

Reading twelve weeks of history costs seconds in a large organization, so the daily snapshot
records the scorecard as it stands (over everything, and without confidential work); pages and
the digest read the latest one (a member who does not see everything gets the one without
confidential work, like the trend), and compute it only when no recent snapshot has it."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection

from goals import visibility as goal_visibility
from goals.models import Goal, GoalEvent
from vindaris.lib.numbers import percent_label
from vindaris.tenancy.models import Membership, Organization
from vindaris.tenancy.zones import local_date, organization_tz, week_of
from work.models import Task, TaskEvent, TaskStatus

from ..models import Flag, Snapshot
from .coverage import Headline, coverage_trend
from .hidden import Hidden

GOAL, GOAL_EVENT = Goal._meta.db_table, GoalEvent._meta.db_table
TASK, TASK_EVENT, FLAG = Task._meta.db_table, TaskEvent._meta.db_table, Flag._meta.db_table

SCORECARD_WEEKS = 12
RETROFITTED_LISTED = 10
# A material change is answered when its live work was dealt with within this long.
ANSWER_WITHIN = timedelta(days=7)
# A gap open longer than this is old.
OLD_GAP_DAYS = 14
# What answers a suspect link, task by task (the goal-wide "confirm all links" answers all).
_ANSWERS = [TaskEvent.Kind.CONFIRMED, TaskEvent.Kind.MOVED, TaskEvent.Kind.KEPT]
_FINISHED = [TaskStatus.DONE, TaskStatus.CANCELLED]
_MATERIAL_KINDS = [GoalEvent.Kind.UPDATED, GoalEvent.Kind.OUTCOME_UPDATED]


@dataclass(frozen=True)
class ScoreWeek:
    """One week of the scorecard."""

    start: date  # the Monday
    current: bool  # the week now running (figures up to now)
    linked_ratio: float | None
    created_with_goal: int
    retrofitted: int
    unlinked: int
    open_gaps: int
    median_gap_days: float | None
    old_gaps: int
    changes: int  # material changes that found live work, at least 7 days old
    answered: int  # of them, answered within 7 days
    pending: int  # material changes with live work, less than 7 days old

    @property
    def created(self) -> int:
        return self.created_with_goal + self.retrofitted + self.unlinked

    @property
    def from_goals(self) -> float | None:
        """Share of the week's new work that had a goal from the start."""
        return self.created_with_goal / self.created if self.created else None

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.changes if self.changes else None

    @property
    def linked_label(self) -> str:
        return percent_label(self.linked_ratio)

    @property
    def from_goals_label(self) -> str:
        return percent_label(self.from_goals)

    @property
    def answered_label(self) -> str:
        return percent_label(self.answered_share)

    @property
    def median_label(self) -> str:
        return "—" if self.median_gap_days is None else f"{self.median_gap_days:.1f} days"


@dataclass(frozen=True)
class Retrofitted:
    """A task captured without a goal and linked to one later."""

    number: int
    title: str
    created_at: datetime
    linked_at: datetime
    goal_number: int | None
    goal_title: str

    @property
    def key(self) -> str:
        return f"T-{self.number}"

    @property
    def goal_key(self) -> str:
        return f"G-{self.goal_number}" if self.goal_number else ""


@dataclass(frozen=True)
class Scorecard:
    weeks: list[ScoreWeek]  # oldest first; the last is the current week
    retrofitted: list[Retrofitted]  # the latest linked first, over the whole window
    as_of: datetime  # when the figures were computed (a snapshot's time, or now)

    @property
    def current(self) -> ScoreWeek:
        return self.weeks[-1]

    @property
    def last_full(self) -> ScoreWeek | None:
        return self.weeks[-2] if len(self.weeks) > 1 else None


def _week_starts(organization: Organization, now: datetime, weeks: int) -> list[datetime]:
    """The starts of the last `weeks` weeks, oldest first, at midnight on Monday in the
    organization's zone."""
    monday = week_of(organization, now)
    zone = organization_tz(organization)
    return [
        datetime.combine(monday - timedelta(weeks=back), time.min, tzinfo=zone)
        for back in range(weeks - 1, -1, -1)
    ]


def scorecard_record(*, organization: Organization, hidden: Hidden, now: datetime) -> dict:
    """The scorecard's weeks as they stand at `now`, over what `hidden` leaves, as JSON for a
    snapshot (Snapshot.scorecard, Snapshot.public_scorecard). One query."""
    starts = _week_starts(organization, now, SCORECARD_WEEKS)
    return {
        "as_of": now.isoformat(),
        "starts": [start.date().isoformat() for start in starts],
        "rows": [list(row) for row in _weeks(organization, hidden, starts, now)],
    }


def _recorded(organization: Organization, field: str, now: datetime) -> dict | None:
    """The scorecard JSON (`field`) of the organization's snapshot of today or yesterday
    (its local dates), the latest; None without one."""
    today = local_date(organization, now)
    return (
        Snapshot.objects.filter(
            organization=organization,
            date__gte=today - timedelta(days=1),
            date__lte=today,
            **{f"{field}__isnull": False},
        )
        .order_by("-date")
        .values_list(field, flat=True)
        .first()
    )


def _from_record(record: dict) -> tuple[list[date], list[list[Any]], datetime]:
    return (
        [date.fromisoformat(d) for d in record["starts"]],
        record["rows"],
        datetime.fromisoformat(record["as_of"]),
    )


def scorecard(
    *,
    organization: Organization,
    viewer: Membership | None,
    headline: Headline,
    now: datetime,
) -> Scorecard:
    """The last twelve weeks of the scorecard as `viewer` may see them (`headline`: theirs,
    for the current week's linked ratio): the latest snapshot's record (the one without
    confidential work for a member who does not see everything), or, without a recent one,
    computed now over exactly what `viewer` may see. Two queries (three without a record)."""
    field = "scorecard" if goal_visibility.sees_everything(viewer) else "public_scorecard"
    record = _recorded(organization, field, now)
    if record is not None:
        starts, rows, as_of = _from_record(record)
    else:
        week_starts = _week_starts(organization, now, SCORECARD_WEEKS)
        starts = [start.date() for start in week_starts]
        rows = [list(row) for row in _weeks(organization, Hidden.of(viewer), week_starts, now)]
        as_of = now
    ratios = _weekly_linked_ratios(organization, viewer, headline, starts)
    return _scorecard(starts, rows, ratios, as_of)


def public_scorecard(*, organization: Organization, now: datetime) -> Scorecard:
    """The scorecard without any confidential goal's subtree, and without the linked ratio
    (every reader's own is beside it): what the weekly digest tells every member, whatever
    they may see. The latest snapshot's record, else computed now. One query."""
    record = _recorded(organization, "public_scorecard", now)
    if record is None:
        record = scorecard_record(
            organization=organization, hidden=Hidden.confidential(organization), now=now
        )
    starts, rows, as_of = _from_record(record)
    return _scorecard(starts, rows, [None] * len(starts), as_of)


def _weeks(
    organization: Organization, hidden: Hidden, starts: list[datetime], now: datetime
) -> list[tuple]:
    """One row per week from `starts` (the last running to `now`), over what `hidden` leaves:
    its index, the new work by how it got its goal, the open gaps' count, median age and old
    ones, the material changes counted, answered and pending; the last row also carries the
    latest retrofitted work."""
    ends = [*starts[1:], now]
    sql = f"""
        WITH {hidden.cte()}
        weeks(starts, ends, i) AS (
            SELECT * FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[])
                   WITH ORDINALITY
        ),
        created AS MATERIALIZED (
            SELECT t.id, t.number, t.title, t.created_at, t.goal_id,
                   EXISTS (SELECT 1 FROM {TASK_EVENT} c
                            WHERE c.organization_id = %(org)s AND c.task_id = t.id
                              AND c.kind = %(created)s AND c.to_goal_id IS NOT NULL)
                       AS with_goal,
                   (SELECT min(m.created_at) FROM {TASK_EVENT} m
                     WHERE m.organization_id = %(org)s AND m.task_id = t.id
                       AND m.kind = %(moved)s AND m.from_goal_id IS NULL
                       AND m.to_goal_id IS NOT NULL) AS linked_at
              FROM {TASK} t
             WHERE t.organization_id = %(org)s AND t.created_at >= %(window)s
                   AND t.created_at < %(now)s{hidden.excludes("t.goal_id", nullable=True)}
        ),
        made AS (
            SELECT w.i, count(c.id) FILTER (WHERE c.with_goal) AS with_goal,
                   count(c.id) FILTER (WHERE NOT c.with_goal AND c.linked_at IS NOT NULL)
                       AS retrofitted,
                   count(c.id) FILTER (WHERE NOT c.with_goal AND c.linked_at IS NULL)
                       AS unlinked
              FROM weeks w
              LEFT JOIN created c ON c.created_at >= w.starts AND c.created_at < w.ends
             GROUP BY w.i
        ),
        flags AS MATERIALIZED (
            SELECT f.raised_at, f.resolved_at FROM {FLAG} f
              LEFT JOIN {TASK} t ON t.organization_id = %(org)s AND t.id = f.task_id
             WHERE f.organization_id = %(org)s
               AND (f.resolved_at IS NULL OR f.resolved_at >= %(window)s)
               {hidden.excludes("COALESCE(f.goal_id, t.goal_id)", nullable=True)}
        ),
        ages AS (
            SELECT w.i, count(f.raised_at) AS open,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM w.ends - f.raised_at) / 86400) AS median,
                   count(f.raised_at) FILTER (
                       WHERE f.raised_at < w.ends - %(old)s * interval '1 day') AS old
              FROM weeks w
              LEFT JOIN flags f ON f.raised_at < w.ends
                               AND (f.resolved_at IS NULL OR f.resolved_at >= w.ends)
             GROUP BY w.i
        ),
        changes AS MATERIALIZED (
            SELECT e.id, e.goal_id, e.created_at AS at FROM {GOAL_EVENT} e
             WHERE e.organization_id = %(org)s AND e.kind = ANY(%(material)s)
               AND e.summary <> '' AND e.created_at >= %(window)s
               AND e.created_at < %(now)s{hidden.excludes("e.goal_id")}
        ),
        -- The work under each change's goal at the change: under it now and not moved since,
        -- or moved away from it since; created before the change and not finished by then.
        under AS (
            SELECT c.id AS change_id, c.goal_id, c.at, t.id AS task_id
              FROM changes c
              JOIN {TASK} t ON t.organization_id = %(org)s AND t.goal_id = c.goal_id
             WHERE t.created_at < c.at
               AND NOT EXISTS (SELECT 1 FROM {TASK_EVENT} m
                                WHERE m.organization_id = %(org)s AND m.task_id = t.id
                                  AND m.kind = %(moved)s AND m.created_at > c.at)
            UNION
            SELECT c.id, c.goal_id, c.at, m.task_id
              FROM changes c
              JOIN {TASK_EVENT} m ON m.organization_id = %(org)s AND m.from_goal_id = c.goal_id
                                 AND m.kind = %(moved)s AND m.created_at > c.at
        ),
        live_under AS (
            SELECT u.* FROM under u
             WHERE NOT EXISTS (SELECT 1 FROM {TASK_EVENT} s
                                WHERE s.organization_id = %(org)s AND s.task_id = u.task_id
                                  AND s.kind = %(status)s AND s.to_status = ANY(%(finished)s)
                                  AND s.created_at <= u.at)
        ),
        verdicts AS (
            SELECT u.change_id, min(u.at) AS at,
                   bool_and(
                       EXISTS (SELECT 1 FROM {TASK_EVENT} a
                                WHERE a.organization_id = %(org)s AND a.task_id = u.task_id
                                  AND a.created_at > u.at
                                  AND a.created_at <= u.at + %(within)s * interval '1 day'
                                  AND (a.kind = ANY(%(answers)s)
                                       OR (a.kind = %(status)s
                                           AND a.to_status = ANY(%(finished)s))))
                       OR EXISTS (SELECT 1 FROM {GOAL_EVENT} g
                                   WHERE g.organization_id = %(org)s AND g.goal_id = u.goal_id
                                     AND g.kind = %(confirmed_all)s AND g.created_at > u.at
                                     AND g.created_at <= u.at + %(within)s * interval '1 day')
                   ) AS answered
              FROM live_under u GROUP BY u.change_id
        ),
        answered AS (
            SELECT w.i,
                   count(v.change_id) FILTER (
                       WHERE v.at <= %(now)s - %(within)s * interval '1 day') AS changes,
                   count(v.change_id) FILTER (
                       WHERE v.answered AND v.at <= %(now)s - %(within)s * interval '1 day')
                       AS answered,
                   count(v.change_id) FILTER (
                       WHERE v.at > %(now)s - %(within)s * interval '1 day') AS pending
              FROM weeks w
              LEFT JOIN verdicts v ON v.at >= w.starts AND v.at < w.ends
             GROUP BY w.i
        )
        SELECT m.i, m.with_goal, m.retrofitted, m.unlinked, a.open, a.median, a.old,
               x.changes, x.answered, x.pending,
               (SELECT json_agg(json_build_array(r.number, r.title, r.created_at, r.linked_at,
                                                 g.number, g.title)
                                ORDER BY r.linked_at DESC, r.number DESC)
                  FROM (SELECT * FROM created c WHERE NOT c.with_goal
                                                  AND c.linked_at IS NOT NULL
                         ORDER BY c.linked_at DESC, c.number DESC LIMIT %(listed)s) r
                  LEFT JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = r.goal_id)
          FROM made m JOIN ages a ON a.i = m.i JOIN answered x ON x.i = m.i
         ORDER BY m.i
    """  # noqa: S608 - table names from the models; values are parameters
    params = {
        **hidden.params,
        "org": organization.pk,
        "starts": starts,
        "ends": ends,
        "window": starts[0],
        "now": now,
        "created": TaskEvent.Kind.CREATED,
        "moved": TaskEvent.Kind.MOVED,
        "status": TaskEvent.Kind.STATUS,
        "answers": [str(k) for k in _ANSWERS],
        "finished": [str(s) for s in _FINISHED],
        "material": [str(k) for k in _MATERIAL_KINDS],
        "confirmed_all": GoalEvent.Kind.LINKS_CONFIRMED,
        "within": ANSWER_WITHIN.days,
        "old": OLD_GAP_DAYS,
        "listed": RETROFITTED_LISTED,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scorecard(
    starts: list[date], rows: list[list[Any]], ratios: list[float | None], as_of: datetime
) -> Scorecard:
    score_weeks = [
        ScoreWeek(
            start=starts[i],
            current=i == len(starts) - 1,
            linked_ratio=ratios[i],
            created_with_goal=int(row[1]),
            retrofitted=int(row[2]),
            unlinked=int(row[3]),
            open_gaps=int(row[4]),
            median_gap_days=None if row[5] is None else float(row[5]),
            old_gaps=int(row[6]),
            changes=int(row[7]),
            answered=int(row[8]),
            pending=int(row[9]),
        )
        for i, row in enumerate(rows)
    ]
    listed = rows[-1][10] if rows else None
    return Scorecard(
        as_of=as_of,
        weeks=score_weeks,
        retrofitted=[
            Retrofitted(
                number=number,
                title=title,
                created_at=datetime.fromisoformat(created_at),
                linked_at=datetime.fromisoformat(linked_at),
                goal_number=goal_number,
                goal_title=goal_title or "",
            )
            for number, title, created_at, linked_at, goal_number, goal_title in listed or ()
        ],
    )


def _weekly_linked_ratios(
    organization: Organization,
    viewer: Membership | None,
    headline: Headline,
    starts: list[date],
) -> list[float | None]:
    """Each week's linked ratio: its last snapshot's (as `viewer` may see it: the public figure
    for those who do not see everything), today's for the current week. One query."""
    days = coverage_trend(
        organization=organization,
        viewer=viewer,
        start=starts[0],
        end=starts[-1] - timedelta(days=1),
    )
    ratios: list[float | None] = []
    for start in starts[:-1]:
        end = start + timedelta(days=7)
        in_week = [d.linked_ratio for d in days if start <= d.date < end]
        ratios.append(in_week[-1] if in_week else None)
    ratios.append(headline.linked_ratio)
    return ratios
