"""Every write of the traceability app: flags (the reconciler), snapshots and digest settings."""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.db import connection, transaction
from django.utils import timezone

from vindaris.tenancy.models import Membership, Organization, User
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


def _resolution_sql() -> tuple[str, list]:
    """Why an open task flag closes: the task is done or cancelled; else the latest event since
    the flag was raised that explains it (moved, kept, confirmed); else "resolved" (the
    condition went away by itself, e.g. the goal became active again)."""
    cases, params = [], []
    for kind, events in selectors.RESOLVING_EVENTS.items():
        cases.append("WHEN %s THEN %s::varchar[]")
        params += [str(kind), list(events)]
    sql = f"""
        CASE
          WHEN t.status IN (%s, %s) THEN t.status
          ELSE COALESCE((
            SELECT e.kind FROM {TASK_EVENT} e
             WHERE e.organization_id = f.organization_id AND e.task_id = f.task_id
               AND e.created_at >= f.raised_at
               AND e.kind = ANY(CASE f.kind {" ".join(cases)} END)
             ORDER BY e.created_at DESC, e.id DESC
             LIMIT 1
          ), %s)
        END
    """  # noqa: S608 - table names from constants
    return sql, [str(TaskStatus.DONE), str(TaskStatus.CANCELLED), *params, str(Resolution.RESOLVED)]


def _reconcile(organization: Organization, now: datetime) -> tuple[int, int]:
    """One statement: one pass over the live tasks (their gaps, and the goals their work
    covers), the open flags read once, then only the differences written: a flag raised for
    each gap without an open flag, and each open flag whose gap is gone resolved (with why).
    Open flags that still hold are not touched."""
    gaps_sql, gaps_params = selectors.task_gaps_sql(organization_id=organization.pk)
    starved_sql, starved_params = selectors.starved_goals_sql(
        organization=organization, now=now, live_tasks="live"
    )
    resolution_sql, resolution_params = _resolution_sql()
    kinds = [str(kind) for kind in selectors.TASK_FLAG_CONDITIONS]
    should_sql = " UNION ALL ".join(
        f"SELECT %s::varchar, l.id FROM live l WHERE l.{kind}"  # noqa: S608 - kinds from constants
        for kind in kinds
    )
    sql = f"""
        WITH live AS MATERIALIZED ({gaps_sql}),
        should(kind, task_id) AS ({should_sql}),
        starved(goal_id) AS ({starved_sql}),
        open AS MATERIALIZED (
            SELECT f.id, f.kind, f.task_id, f.goal_id FROM {FLAG} f
             WHERE f.organization_id = %s AND f.resolved_at IS NULL
        ),
        raised_tasks AS (
            INSERT INTO {FLAG} (organization_id, kind, task_id, raised_at, resolution)
            SELECT %s, s.kind, s.task_id, %s, '' FROM should s
             WHERE NOT EXISTS (
                   SELECT 1 FROM open o WHERE o.kind = s.kind AND o.task_id = s.task_id
             )
            ON CONFLICT (organization_id, kind, task_id)
               WHERE resolved_at IS NULL AND task_id IS NOT NULL
            DO NOTHING
            RETURNING 1
        ),
        raised_goals AS (
            INSERT INTO {FLAG} (organization_id, kind, goal_id, raised_at, resolution)
            SELECT %s, %s, s.goal_id, %s, '' FROM starved s
             WHERE NOT EXISTS (
                   SELECT 1 FROM open o WHERE o.kind = %s AND o.goal_id = s.goal_id
             )
            ON CONFLICT (organization_id, kind, goal_id)
               WHERE resolved_at IS NULL AND goal_id IS NOT NULL
            DO NOTHING
            RETURNING 1
        ),
        resolved_tasks AS (
            UPDATE {FLAG} f SET resolved_at = %s, resolution = {resolution_sql}
              FROM open o JOIN {TASK} t ON t.organization_id = %s AND t.id = o.task_id
             WHERE f.id = o.id AND o.task_id IS NOT NULL
               AND NOT EXISTS (
                   SELECT 1 FROM should s WHERE s.kind = o.kind AND s.task_id = o.task_id
               )
            RETURNING 1
        ),
        resolved_goals AS (
            UPDATE {FLAG} f SET resolved_at = %s, resolution = %s
              FROM open o
             WHERE f.id = o.id AND o.kind = %s AND o.goal_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM starved s WHERE s.goal_id = o.goal_id)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM raised_tasks) + (SELECT count(*) FROM raised_goals),
               (SELECT count(*) FROM resolved_tasks) + (SELECT count(*) FROM resolved_goals)
    """  # noqa: S608 - table names from constants; values are parameters
    starved = str(FlagKind.STARVED)
    params = [
        *gaps_params,
        *kinds,
        *starved_params,
        organization.pk,
        organization.pk,
        now,
        organization.pk,
        starved,
        now,
        starved,
        now,
        *resolution_params,
        organization.pk,
        now,
        str(Resolution.RESOLVED),
        starved,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raised, resolved = cursor.fetchone()
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
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [RECONCILE_LOCK_CLASS, organization.pk % 2_147_483_647],
        )
    raised, resolved = _reconcile(organization, now)
    return ReconcileResult(raised=raised, resolved=resolved)


@transaction.atomic
def snapshot_take(*, organization: Organization, now: datetime | None = None) -> Snapshot:
    """Record (or refresh) today's snapshot of the organization's coverage figures, and the same
    figures without any confidential goal's subtree (the trend of members who do not see
    everything); "today" is the organization's local date. One row per organization per day."""
    now = now or timezone.now()
    figures = selectors.coverage_figures(organization=organization, now=now)
    everything, public = figures.everything, figures.public
    snapshot, _ = Snapshot.objects.update_or_create(
        organization=organization,
        date=local_date(organization, now),
        defaults={
            "linked_effort": everything.linked_effort,
            "live_effort": everything.live_effort,
            "linked_ratio": everything.linked_ratio,
            "orphaned": everything.orphaned,
            "stranded": everything.stranded,
            "suspect": everything.suspect,
            "starved": everything.starved,
            "goal_effort": figures.goal_effort,
            "public_linked_effort": public.linked_effort,
            "public_live_effort": public.live_effort,
            "public_linked_ratio": public.linked_ratio,
            "public_stranded": public.stranded,
            "public_suspect": public.suspect,
            "public_starved": public.starved,
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
        cursor.execute("SELECT traceability_goalcoverage_repair(%s)", [organization.pk])
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
            SELECT %s, u.id, %s, %s FROM unnest(%s::bigint[]) AS u(id)
            ON CONFLICT (organization_id, user_id, week) DO NOTHING
            RETURNING user_id
            """,  # noqa: S608 - table name from the model
            [organization.pk, week, now, user_ids],
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
