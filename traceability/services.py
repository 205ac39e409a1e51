"""Every write of the traceability app: flags (the reconciler), snapshots, digest settings and
the triage actions on the queues."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from goals import services as goal_services
from goals import visibility
from goals.models import Goal, GoalStatus, GoalUserObjectPermission
from notifications import services as notification_services
from notifications.models import Kind as NotificationKind
from vindaris.lib import events as outbox
from vindaris.tenancy.models import Membership, Organization, Role, User
from work import services as work_services
from work.models import Task, TaskEvent, TaskStatus

from . import digest, selectors
from .clock import local_date, week_of
from .models import DigestSent, Flag, FlagKind, Resolution, Snapshot

logger = logging.getLogger(__name__)

FLAG = Flag._meta.db_table
TASK = Task._meta.db_table
TASK_EVENT = TaskEvent._meta.db_table
# pg_advisory_xact_lock(class, key): reconciles of one organization run one at a time.
RECONCILE_LOCK_CLASS = 7301


@dataclass(frozen=True)
class ReconcileResult:
    raised: int
    resolved: int


def _resolution_sql() -> tuple[str, dict[str, Any]]:
    """Why an open task flag closes: the task is done or cancelled; else the latest event since
    the flag was raised that explains it (moved, kept, confirmed); else "resolved" (the
    condition went away by itself, e.g. the goal became active again)."""
    cases: list[str] = []
    params: dict[str, Any] = {}
    for kind, events in selectors.RESOLVING_EVENTS.items():
        cases.append(f"WHEN %({kind}_kind)s THEN %({kind}_events)s::varchar[]")
        params |= {f"{kind}_kind": str(kind), f"{kind}_events": list(events)}
    sql = f"""
        CASE
          WHEN t.status IN (%(done)s, %(cancelled)s) THEN t.status
          ELSE COALESCE((
            SELECT e.kind FROM {TASK_EVENT} e
             WHERE e.organization_id = f.organization_id AND e.task_id = f.task_id
               AND e.created_at >= f.raised_at
               AND e.kind = ANY(CASE f.kind {" ".join(cases)} END)
             ORDER BY e.created_at DESC, e.id DESC
             LIMIT 1
          ), %(resolved)s)
        END
    """  # noqa: S608 - table names from constants
    params |= {
        "done": str(TaskStatus.DONE),
        "cancelled": str(TaskStatus.CANCELLED),
        "resolved": str(Resolution.RESOLVED),
    }
    return sql, params


GOAL = Goal._meta.db_table
GRANT = GoalUserObjectPermission._meta.db_table
MEMBERSHIP = Membership._meta.db_table

# The goals above each task whose flag was just raised (its goal, that goal's parent, …): the
# assignee must see all of them to see the task (goals.visibility's rule).
_RAISED_ANCESTORS = f"""
    raised_up(task_id, goal_id) AS (
        SELECT rt.id, rt.goal_id FROM raised_tasks r
          JOIN {TASK} rt ON rt.organization_id = %(org)s AND rt.id = r.task_id
         WHERE rt.goal_id IS NOT NULL
        UNION
        SELECT ru.task_id, rg.parent_id FROM raised_up ru
          JOIN {GOAL} rg ON rg.organization_id = %(org)s AND rg.id = ru.goal_id
         WHERE rg.parent_id IS NOT NULL
    )
"""  # noqa: S608 - table names from constants

# Whom to tell of a task turning suspect or stranded: its assignee, if they may see it (admins
# and leads see everything; others not under a confidential goal they neither own nor hold a
# grant on).
_RAISED_NOTIFICATIONS = f"""
    SELECT t.assignee_id,
           CASE r.kind WHEN %(suspect_kind)s THEN %(notify_suspect)s ELSE %(notify_stranded)s END,
           CASE r.kind
             WHEN %(suspect_kind)s THEN
               'T-' || t.number || ' ' || t.title || ' is suspect: G-' || g.number || ' changed'
               || CASE WHEN g.material_change <> '' THEN ' (' || g.material_change || ')' ELSE ''
                  END
             ELSE 'T-' || t.number || ' ' || t.title || ' is stranded: G-' || g.number || ' is '
               || CASE g.status {{statuses}} ELSE g.status END
           END,
           %(task_path)s || t.number || '/'
      FROM raised_tasks r
      JOIN {TASK} t ON t.organization_id = %(org)s AND t.id = r.task_id
      JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = t.goal_id
      JOIN {MEMBERSHIP} am ON am.organization_id = %(org)s AND am.id = t.assignee_id
     WHERE r.kind IN (%(suspect_kind)s, %(stranded_kind)s)
       -- a goal leaving `active` makes its work stranded and suspect at once: told once
       AND NOT (r.kind = %(suspect_kind)s AND EXISTS (
             SELECT 1 FROM raised_tasks r2
              WHERE r2.task_id = r.task_id AND r2.kind = %(stranded_kind)s))
       AND (am.role IN (%(admin)s, %(lead)s) OR NOT EXISTS (
             SELECT 1 FROM raised_up ru
               JOIN {GOAL} a ON a.organization_id = %(org)s AND a.id = ru.goal_id
              WHERE ru.task_id = t.id AND a.confidential AND a.owner_id IS DISTINCT FROM am.id
                AND NOT EXISTS (
                    SELECT 1 FROM {GRANT} gp JOIN auth_permission p ON p.id = gp.permission_id
                     WHERE gp.organization_id = %(org)s AND gp.content_object_id = a.id
                       AND gp.user_id = am.user_id AND p.codename IN (%(view)s, %(change)s))))
"""  # noqa: S608 - table names from constants; values are parameters


def _raised_notifications(organization: Organization, now: datetime) -> tuple[str, dict[str, Any]]:
    """The reconcile's last part: the assignees of tasks whose suspect or stranded flag it
    raises are notified in the same statement (never twice: a flag is raised once)."""
    statuses = " ".join(
        f"WHEN '{value}' THEN '{label.lower()}'" for value, label in GoalStatus.choices
    )
    sql, params = notification_services.notify_from_sql(
        _RAISED_NOTIFICATIONS.replace("{statuses}", statuses),
        organization=organization,
        kinds=[NotificationKind.TASK_SUSPECT, NotificationKind.TASK_STRANDED],
        actor=None,
        now=now,
    )
    return sql, params | {
        "notify_suspect": str(NotificationKind.TASK_SUSPECT),
        "notify_stranded": str(NotificationKind.TASK_STRANDED),
        "suspect_kind": str(FlagKind.SUSPECT),
        "stranded_kind": str(FlagKind.STRANDED),
        "task_path": f"/o/{organization.slug}/tasks/",
        "admin": str(Role.ADMIN),
        "lead": str(Role.LEAD),
        "view": visibility.VIEW,
        "change": visibility.CHANGE,
    }


def _flag_events() -> str:
    """The reconcile's webhook events (vindaris.lib.events): each flag it raises or resolves,
    recorded in the same statement when an active endpoint wants that type."""
    rows = f"""
        SELECT '{outbox.FLAG_RAISED}', id FROM raised_tasks
        UNION ALL SELECT '{outbox.FLAG_RAISED}', id FROM raised_goals
        UNION ALL SELECT '{outbox.FLAG_RESOLVED}', id FROM resolved_tasks
        UNION ALL SELECT '{outbox.FLAG_RESOLVED}', id FROM resolved_goals
    """  # noqa: S608 - event types from constants
    insert = outbox.insert_sql(rows)
    return f",\n        flag_events AS ({insert})" if insert else ""


def _reconcile(organization: Organization, now: datetime) -> tuple[int, int]:
    """One statement: one pass over the live tasks (their gaps, and the goals their work
    covers), the open flags read once, then only the differences written: a flag raised for
    each gap without an open flag, and each open flag whose gap is gone resolved (with why).
    Open flags that still hold are not touched. The assignees of tasks whose suspect or
    stranded flag is raised are notified in the same statement, if they may see the task."""
    resolution_sql, resolution_params = _resolution_sql()
    should_sql = " UNION ALL ".join(
        f"SELECT %({kind}_kind)s::varchar, l.id FROM live l WHERE l.{kind}"  # noqa: S608 - kinds from constants
        for kind in selectors.TASK_FLAG_CONDITIONS
    )
    notify_sql, notify_params = _raised_notifications(organization, now)
    sql = f"""
        WITH RECURSIVE live AS MATERIALIZED ({selectors.task_gaps_sql()}),
        should(kind, task_id) AS ({should_sql}),
        starved(goal_id) AS ({selectors.starved_goals_sql(live_tasks="live")}),
        open AS MATERIALIZED (
            SELECT f.id, f.kind, f.task_id, f.goal_id FROM {FLAG} f
             WHERE f.organization_id = %(org)s AND f.resolved_at IS NULL
        ),
        raised_tasks AS (
            INSERT INTO {FLAG} (organization_id, kind, task_id, raised_at, resolution)
            SELECT %(org)s, s.kind, s.task_id, %(now)s, '' FROM should s
             WHERE NOT EXISTS (
                   SELECT 1 FROM open o WHERE o.kind = s.kind AND o.task_id = s.task_id
             )
            ON CONFLICT (organization_id, kind, task_id)
               WHERE resolved_at IS NULL AND task_id IS NOT NULL
            DO NOTHING
            RETURNING id, kind, task_id
        ),
        {_RAISED_ANCESTORS},
        notified AS ({notify_sql}),
        raised_goals AS (
            INSERT INTO {FLAG} (organization_id, kind, goal_id, raised_at, resolution)
            SELECT %(org)s, %(starved_kind)s, s.goal_id, %(now)s, '' FROM starved s
             WHERE NOT EXISTS (
                   SELECT 1 FROM open o WHERE o.kind = %(starved_kind)s AND o.goal_id = s.goal_id
             )
            ON CONFLICT (organization_id, kind, goal_id)
               WHERE resolved_at IS NULL AND goal_id IS NOT NULL
            DO NOTHING
            RETURNING id
        ),
        resolved_tasks AS (
            UPDATE {FLAG} f SET resolved_at = %(now)s, resolution = {resolution_sql}
              FROM open o JOIN {TASK} t ON t.organization_id = %(org)s AND t.id = o.task_id
             WHERE f.organization_id = %(org)s AND f.id = o.id AND o.task_id IS NOT NULL
               AND NOT EXISTS (
                   SELECT 1 FROM should s WHERE s.kind = o.kind AND s.task_id = o.task_id
               )
            RETURNING f.id
        ),
        resolved_goals AS (
            UPDATE {FLAG} f SET resolved_at = %(now)s, resolution = %(resolved)s
              FROM open o
             WHERE f.organization_id = %(org)s AND f.id = o.id AND o.kind = %(starved_kind)s
               AND o.goal_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM starved s WHERE s.goal_id = o.goal_id)
            RETURNING f.id
        ){_flag_events()}
        SELECT (SELECT count(*) FROM raised_tasks) + (SELECT count(*) FROM raised_goals),
               (SELECT count(*) FROM resolved_tasks) + (SELECT count(*) FROM resolved_goals),
               (SELECT count(*) FROM notified)
    """  # noqa: S608 - table names from constants; values are parameters
    params = {
        **selectors.starved_goals_params(organization=organization, now=now),
        **resolution_params,
        **{f"{kind}_kind": str(kind) for kind in selectors.TASK_FLAG_CONDITIONS},
        "starved_kind": str(FlagKind.STARVED),
        "now": now,
        **notify_params,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raised, resolved, _notified = cursor.fetchone()
    return raised, resolved


@transaction.atomic
def flags_reconcile(*, organization: Organization, now: datetime | None = None) -> ReconcileResult:
    """Make the organization's open flags exactly its current gaps: raise the missing ones,
    resolve those whose condition no longer holds (with why). Set-based: two statements (the
    lock, then the reconcile) whatever the number of tasks and goals. Idempotent: a second run
    changes nothing."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%(lock_class)s, %(key)s)",
            {"lock_class": RECONCILE_LOCK_CLASS, "key": organization.pk % 2_147_483_647},
        )
    raised, resolved = _reconcile(organization, now)
    return ReconcileResult(raised=raised, resolved=resolved)


# The scorecard's read of twelve weeks of history may take this long in a snapshot; beyond it
# (a plan gone wrong on tables without statistics) the snapshot is kept without one.
SCORECARD_TIMEOUT_MS = 60_000


def _scorecard_records(
    organization: Organization, now: datetime
) -> tuple[dict | None, dict | None]:
    """The scorecard over everything and without confidential work, for a snapshot; (None,
    None) when reading them took longer than SCORECARD_TIMEOUT_MS (logged): the coverage
    figures of the day matter more than the scorecard, which pages can compute."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [SCORECARD_TIMEOUT_MS])
            everything = selectors.scorecard_record(
                organization=organization, hidden=selectors.Hidden(), now=now
            )
            public = selectors.scorecard_record(
                organization=organization,
                hidden=selectors.Hidden.confidential(organization),
                now=now,
            )
            cursor.execute("SET LOCAL statement_timeout = DEFAULT")
    except OperationalError:
        logger.warning("The scorecard of organization %s took too long", organization.pk)
        return None, None
    return everything, public


@transaction.atomic
def snapshot_take(*, organization: Organization, now: datetime | None = None) -> Snapshot:
    """Record (or refresh) today's snapshot of the organization's coverage figures, and the same
    figures without any confidential goal's subtree (the trend of members who do not see
    everything), and the strategy-led scorecard both ways; "today" is the organization's local
    date. One row per organization per day."""
    now = now or timezone.now()
    figures = selectors.coverage_figures(organization=organization, now=now)
    everything, public = figures.everything, figures.public
    scorecard, public_scorecard = _scorecard_records(organization, now)
    snapshot, _ = Snapshot.objects.update_or_create(
        organization=organization,
        date=local_date(organization, now),
        defaults={
            "linked_effort": everything.linked_effort,
            "live_effort": everything.live_effort,
            "linked_ratio": everything.linked_ratio,
            "orphaned": everything.orphaned,
            "stranded": everything.stranded,
            "kept": everything.kept,
            "suspect": everything.suspect,
            "starved": everything.starved,
            "goal_effort": figures.goal_effort,
            "public_linked_effort": public.linked_effort,
            "public_live_effort": public.live_effort,
            "public_linked_ratio": public.linked_ratio,
            "public_stranded": public.stranded,
            "public_kept": public.kept,
            "public_suspect": public.suspect,
            "public_starved": public.starved,
            "scorecard": scorecard,
            "public_scorecard": public_scorecard,
            "taken_at": now,
        },
    )
    return snapshot


@transaction.atomic
def goal_coverage_refresh(*, organization: Organization) -> int:
    """Repair the organization's per-goal coverage rows (GoalCoverage) against a recount of its
    tasks and outcomes; return how many rows it fixed (0: they were exact).

    Database triggers keep those rows exact with every task write and goal change, whoever
    makes it; this is the repair for rows written with the triggers disabled (ALTER TABLE …
    DISABLE TRIGGER). It locks this organization's coverage rows only, and writes only those
    that differ: the organization's task writes and goal changes wait for it, other
    organizations' do not (traceability migration 0005)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT traceability_goalcoverage_repair(%(org)s)", {"org": organization.pk})
        return int(cursor.fetchone()[0])


@transaction.atomic
def digest_preference_set(
    *, organization: Organization, actor: User, membership: Membership, receive: bool
) -> Membership:
    """Opt a member in to (or out of) this organization's weekly digest. Only for oneself: the
    preferences page passes the request's membership, the unsubscribe link the member it was
    sent to (its signed token stands for that member)."""
    membership = Membership.objects.select_for_update().get(
        organization=organization, pk=membership.pk
    )
    if membership.user_id != actor.pk:
        raise PermissionDenied("Members change only their own digest preference.")
    opt_out = not receive
    if membership.digest_opt_out != opt_out:
        membership.digest_opt_out = opt_out
        membership.save(update_fields=["digest_opt_out"])
    return membership


def _digest_claim(
    organization: Organization, week: date, user_ids: list[int], now: datetime
) -> set[int]:
    """Write the sent-log rows of this week's digest for these users; return the ids claimed by
    this call (a row already there, from an earlier or a concurrent run, is not). One statement,
    committed before any email leaves: a digest is sent at most once."""
    if not user_ids:
        return set()
    table = DigestSent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (organization_id, user_id, week, sent_at)
            SELECT %(org)s, u.id, %(week)s, %(now)s FROM unnest(%(users)s::bigint[]) AS u(id)
            ON CONFLICT (organization_id, user_id, week) DO NOTHING
            RETURNING user_id
            """,  # noqa: S608 - table name from the model
            {"org": organization.pk, "week": week, "now": now, "users": user_ids},
        )
        return {row[0] for row in cursor.fetchall()}


@dataclass(frozen=True)
class DigestRun:
    sent: int
    failed: int


def digest_send_weekly(
    *, organization: Organization, week: date, now: datetime | None = None
) -> DigestRun:
    """Send this week's digest to every recipient who has not had it and has something to be
    told. Idempotent through the sent-log (organization, user, week): a re-run, a redelivered
    task or a second beat sends nothing twice. A failed send releases its sent-log row so the
    next run retries it. A constant number of queries whatever the number of recipients.

    Not one transaction on purpose: the sent-log rows commit before the emails leave, so a
    concurrent run finds them and skips those members."""
    now = now or timezone.now()
    if week_of(organization, now) != week:
        return DigestRun(sent=0, failed=0)  # a late redelivery: that week's digest is past
    recipients = selectors.digest_recipients(organization=organization, week=week)
    if not recipients:
        return DigestRun(sent=0, failed=0)
    flags_reconcile(organization=organization, now=now)
    digests = [
        d
        for d in digest.build_digests(organization=organization, memberships=recipients, now=now)
        if not d.is_empty
    ]
    claimed = _digest_claim(organization, week, [d.membership.user_id for d in digests], now)
    to_send = [d for d in digests if d.membership.user_id in claimed]
    failed: list[int] = []
    if to_send:
        # One connection for the whole batch (one SMTP session, one mail file).
        with get_connection() as email_connection:
            for d in to_send:
                message = digest.render_digest(d)
                message.connection = email_connection
                try:
                    message.send()
                except Exception:  # one bad address must not stop the others' digests
                    logger.exception("The digest to user %s failed", d.membership.user_id)
                    failed.append(d.membership.user_id)
    if failed:
        DigestSent.objects.filter(organization=organization, week=week, user_id__in=failed).delete()
    return DigestRun(sent=len(to_send) - len(failed), failed=len(failed))


def digest_for_member(
    *, organization: Organization, membership: Membership, now: datetime | None = None
) -> digest.Digest:
    """One member's digest as it would be sent now (flags reconciled first), whatever the
    sent-log and their preference say: for `manage.py send_digest`."""
    now = now or timezone.now()
    flags_reconcile(organization=organization, now=now)
    return digest.build_digests(organization=organization, memberships=[membership], now=now)[0]


# Triage: a lead's action on rows of a queue ---------------------------------------------------

# The history row's "why" when the lead gives none.
DEFAULT_REASONS = {
    "link": "linked from the orphaned queue",
    "move": "moved from the {kind} queue",
    "cancel": "cancelled from the {kind} queue",
    "confirm": "confirmed from the suspect queue",
}


@dataclass
class Applied:
    """What an action did: the selected rows, the keys of those acted on, and the keys of
    those no longer in the queue (left alone: someone else dealt with them meanwhile)."""

    rows: list[Any]
    keys: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def _reason(action: str, kind: str, given: str) -> str:
    given = (given or "").strip()
    return given or DEFAULT_REASONS.get(action, "").format(kind=kind)


# The task actions that need the goal the work should serve.
GOAL_ACTIONS = frozenset({"link", "move"})


def _act_on_task(
    organization: Organization, actor: User, task: Task, action: str, to_goal: Goal, reason: str
) -> None:
    if action in GOAL_ACTIONS:
        work_services.task_move(
            organization=organization, actor=actor, task=task, to_goal=to_goal, reason=reason
        )
    elif action == "cancel":
        work_services.task_set_status(
            organization=organization,
            actor=actor,
            task=task,
            status=TaskStatus.CANCELLED,
            reason=reason,
        )
    elif action == "keep":
        work_services.task_keep(organization=organization, actor=actor, task=task, reason=reason)
    elif action == "confirm":
        work_services.task_confirm_link(
            organization=organization, actor=actor, task=task, reason=reason
        )


@transaction.atomic
def triage_apply(
    *,
    organization: Organization,
    actor: User,
    membership: Membership,
    kind: str,
    action: str,
    rows: Sequence[Any],
    to_goal: Goal | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Applied:
    """One triage action of a queue (`kind`) on the selected tasks, or starved goals, through
    the goals and work services (which write the history rows): link or move to `to_goal`,
    cancel, keep or confirm a task; put a starved goal on hold. Rows no longer in the queue as
    `membership` sees it are left alone and reported as gone. All or nothing: a refusal on one
    row (e.g. moving work to the goal it already serves) leaves every selected row as it was."""
    applied = Applied(rows=list(rows))
    if action in GOAL_ACTIONS and to_goal is None:
        raise ValidationError("Choose the active goal this work should serve.")
    if kind == "starved":
        starved = selectors.coverage_headline(
            organization=organization, viewer=membership, now=now or timezone.now()
        ).starved_ids
        for goal in applied.rows:
            if goal.pk not in starved:
                applied.gone.append(goal.key)
                continue
            goal_services.goal_update(
                organization=organization, actor=actor, goal=goal, status=GoalStatus.ON_HOLD
            )
            applied.keys.append(goal.key)
        return applied
    in_queue = selectors.queue_membership(
        organization=organization,
        viewer=membership,
        kind=kind,
        numbers=[t.number for t in applied.rows],
    )
    why = _reason(action, kind, reason)
    for task in applied.rows:
        if task.number not in in_queue:
            applied.gone.append(task.key)
            continue
        _act_on_task(organization, actor, task, action, to_goal, why)  # type: ignore[arg-type]  # to_goal is checked above for the actions that need it
        applied.keys.append(task.key)
    return applied
