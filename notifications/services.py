"""Every write of the notifications app: notifying members (one statement for any number of
them), reading, email preferences, following goals, and the batched email job."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import connection, transaction
from django.utils import timezone

from vindaris.tenancy.models import Membership, Organization, User

from .models import DEFAULT_EMAIL_KINDS, GoalFollow, Kind, Notification, NotificationPreference

logger = logging.getLogger(__name__)

NOTIFICATION = Notification._meta.db_table
PREFERENCE = NotificationPreference._meta.db_table
MEMBERSHIP = Membership._meta.db_table
USER = User._meta.db_table

TEXT_MAX = Notification._meta.get_field("text").max_length or 300
PATH_MAX = Notification._meta.get_field("path").max_length or 300


@dataclass(frozen=True)
class Item:
    """One notification of a set-based `notify_each`: to whom, what, and where it lands."""

    recipient_id: int
    text: str
    path: str


def _kind(kind: str) -> str:
    if kind not in Kind.values:
        raise ValidationError(f"Unknown notification kind: {kind!r}")
    return str(kind)


def _path(organization: Organization, path: str) -> str:
    # Opening a notification redirects to its path: only pages of its own organization.
    prefix = f"/o/{organization.slug}/"
    if not path.startswith(prefix) or "//" in path or "\\" in path or len(path) > PATH_MAX:
        raise ValidationError(f"A notification's path must be a page under {prefix}")
    return path


def _text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def _recipient_ids(recipients: Iterable[Membership | int]) -> list[int]:
    ids = {r.pk if isinstance(r, Membership) else int(r) for r in recipients}
    return sorted(ids)


# The recipients: members of this organization only (whatever ids the caller passed), active
# users, never the actor; whether it also goes by email is the member's choice for the kind.
_INSERT = f"""
    INSERT INTO {NOTIFICATION}
        (organization_id, recipient_id, kind, actor_id, text, path, created_at, by_email)
    SELECT m.organization_id, m.id, %(kind)s, %(actor)s, x.text, x.path, %(now)s,
           COALESCE(%(kind)s = ANY(p.email_kinds), %(by_default)s)
      FROM unnest(%(ids)s::bigint[], %(texts)s::varchar[], %(paths)s::varchar[])
           AS x(member_id, text, path)
      JOIN {MEMBERSHIP} m ON m.id = x.member_id
      JOIN {USER} u ON u.id = m.user_id AND u.is_active
      LEFT JOIN {PREFERENCE} p ON p.organization_id = %(org)s AND p.member_id = m.id
     WHERE m.organization_id = %(org)s
       AND (%(actor)s::bigint IS NULL OR m.user_id <> %(actor)s::bigint)
"""  # noqa: S608 - table names from constants; values are parameters


def notify_each(
    *,
    organization: Organization,
    kind: str,
    actor: User | None,
    items: Sequence[Item],
    now: datetime | None = None,
) -> int:
    """Notify each item's recipient of its own text and path, in ONE statement however many
    there are. Recipients outside the organization, inactive users and the actor themself get
    nothing; confidentiality is the caller's: pass only members who may see what `path` shows.
    Returns the number of notifications made."""
    kind = _kind(kind)
    rows = [(item.recipient_id, _text(item.text), _path(organization, item.path)) for item in items]
    if not rows:
        return 0
    params: dict[str, Any] = {
        "org": organization.pk,
        "kind": kind,
        "actor": actor.pk if actor is not None else None,
        "now": now or timezone.now(),
        "by_default": kind in DEFAULT_EMAIL_KINDS,
        "ids": [r[0] for r in rows],
        "texts": [r[1] for r in rows],
        "paths": [r[2] for r in rows],
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        return cursor.rowcount


# Notifications from the caller's own SELECT: for jobs that find whom to tell in SQL (the
# reconciler's newly raised flags) and notify in the same statement.
_INSERT_FROM = f"""
    INSERT INTO {NOTIFICATION}
        (organization_id, recipient_id, kind, actor_id, text, path, created_at, by_email)
    SELECT m.organization_id, m.id, x.kind, %({{p}}actor)s, left(x.text, {TEXT_MAX}), x.path,
           %({{p}}now)s,
           COALESCE(x.kind = ANY(pr.email_kinds), x.kind = ANY(%({{p}}by_default)s::varchar[]))
      FROM ({{source}}) AS x(member_id, kind, text, path)
      JOIN {MEMBERSHIP} m ON m.id = x.member_id
      JOIN {USER} u ON u.id = m.user_id AND u.is_active
      LEFT JOIN {PREFERENCE} pr ON pr.organization_id = %({{p}}org)s AND pr.member_id = m.id
     WHERE m.organization_id = %({{p}}org)s
       AND x.kind = ANY(%({{p}}kinds)s::varchar[])
       AND starts_with(x.path, %({{p}}prefix)s) AND strpos(x.path, '//') = 0
       AND (%({{p}}actor)s::bigint IS NULL OR m.user_id <> %({{p}}actor)s::bigint)
    RETURNING 1
"""  # noqa: S608 - table names from constants; values are parameters


def notify_from_sql(
    source: str,
    *,
    organization: Organization,
    kinds: Sequence[str],
    actor: User | None,
    now: datetime,
    prefix: str = "notify_",
) -> tuple[str, dict[str, Any]]:
    """The statement that notifies what `source` selects: rows of (member id, kind, text, path),
    with its parameters (named `<prefix>…`), for the caller to run alone or as a
    data-modifying CTE of its own statement (`… notified AS (<sql>)`). The same rules as
    notify: members of the organization only, never the actor, only `kinds`, only paths of the
    organization; `source` selects only members who may see what the path shows."""
    sql = _INSERT_FROM.replace("{p}", prefix).replace("{source}", source)
    params: dict[str, Any] = {
        f"{prefix}org": organization.pk,
        f"{prefix}actor": actor.pk if actor is not None else None,
        f"{prefix}now": now,
        f"{prefix}kinds": [_kind(k) for k in kinds],
        f"{prefix}by_default": list(DEFAULT_EMAIL_KINDS),
        f"{prefix}prefix": f"/o/{organization.slug}/",
    }
    return sql, params


# (No transaction of its own: one statement is atomic, and callers notify inside theirs.)
def notify(
    *,
    organization: Organization,
    recipients: Iterable[Membership | int],
    kind: str,
    actor: User | None,
    text: str,
    path: str,
    now: datetime | None = None,
) -> int:
    """Tell these members (memberships or their ids) that `actor` did something: one
    notification each with the same text and path, in ONE statement. Never another
    organization's member, never the actor; the caller passes only members who may see the
    page at `path`. Returns the number of notifications made."""
    ids = _recipient_ids(recipients)
    return notify_each(
        organization=organization,
        kind=kind,
        actor=actor,
        items=[Item(recipient_id=i, text=text, path=path) for i in ids],
        now=now,
    )


# Reading ---------------------------------------------------------------------------------------


def notification_mark_read(
    *,
    organization: Organization,
    membership: Membership,
    notification_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Mark a member's own notifications read: these ids (others' ids are ignored), or every
    unread one when None. One statement; returns how many turned read."""
    rows = Notification.objects.filter(
        organization=organization, recipient_id=membership.pk, read_at__isnull=True
    )
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    return rows.update(read_at=now or timezone.now())


# Email preferences and unsubscribing -----------------------------------------------------------


@transaction.atomic
def email_kinds_set(
    *, organization: Organization, actor: User, membership: Membership, kinds: Iterable[str]
) -> list[str]:
    """Choose the kinds that also come to this member by email; only for oneself (the
    preferences page passes the request's membership, an unsubscribe link the member it was
    sent to). Notifications not emailed yet of the kinds left out are not emailed."""
    if membership.user_id != actor.pk or membership.organization_id != organization.pk:
        raise PermissionDenied("Members choose only their own emails.")
    chosen = [k for k in Kind.values if k in {_kind(k) for k in kinds}]
    NotificationPreference.objects.update_or_create(
        organization=organization, member=membership, defaults={"email_kinds": chosen}
    )
    Notification.objects.filter(
        organization=organization,
        recipient_id=membership.pk,
        by_email=True,
        emailed_at__isnull=True,
    ).exclude(kind__in=chosen).update(by_email=False)
    return chosen


def email_unsubscribe(
    *, organization: Organization, membership: Membership, kinds: Iterable[str]
) -> list[str]:
    """Stop these kinds coming by email to the member an unsubscribe link was sent to (its
    signed token stands for the member); the member's other choices stay."""
    from . import selectors

    left_out = {_kind(k) for k in kinds}
    current = selectors.email_kinds(organization=organization, membership=membership)
    return email_kinds_set(
        organization=organization,
        actor=membership.user,
        membership=membership,
        kinds=[k for k in current if k not in left_out],
    )


# Following goals -------------------------------------------------------------------------------


@transaction.atomic
def goal_follow_set(
    *, organization: Organization, membership: Membership, goal_id: int, follow: bool
) -> bool:
    """Follow (or stop following) a goal: its updates then notify the member as they notify its
    owner. The caller has checked the member may see the goal. Idempotent; returns `follow`."""
    if follow:
        GoalFollow.objects.get_or_create(
            organization=organization, goal_id=goal_id, member_id=membership.pk
        )
    else:
        GoalFollow.objects.filter(
            organization=organization, goal_id=goal_id, member_id=membership.pk
        ).delete()
    return follow


# The email job ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailRun:
    sent: int
    failed: int


# Claims every notification still to be emailed in the organization: marked emailed before any
# email leaves (it commits on its own), so a concurrent or later run never takes it again.
_CLAIM = f"""
    UPDATE {NOTIFICATION} n SET emailed_at = %(now)s
     WHERE n.organization_id = %(org)s AND n.by_email AND n.emailed_at IS NULL
    RETURNING n.id, n.recipient_id
"""  # noqa: S608 - table names from constants; values are parameters


def _claim(organization: Organization, now: datetime) -> dict[int, list[int]]:
    """Claim what is to be emailed: recipient id → notification ids. One statement."""
    claimed: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, {"org": organization.pk, "now": now})
        for notification_id, recipient_id in cursor.fetchall():
            claimed.setdefault(recipient_id, []).append(notification_id)
    return claimed


def notification_emails_send(
    *, organization: Organization, now: datetime | None = None
) -> EmailRun:
    """Email each member their notifications not emailed yet of the kinds they chose: ONE email
    per member per run, however many notifications. A notification is emailed at most once: a
    run claims (and commits) what it sends before sending, so a second or concurrent run finds
    nothing, and a worker that dies after the claim sends nothing twice (those stay in the
    app). A failed send releases its member's notifications for the next run. A constant
    number of queries whatever the number of members.

    Not one transaction on purpose: the claim commits before the emails leave."""
    from . import emails

    now = now or timezone.now()
    claimed = _claim(organization, now)
    if not claimed:
        return EmailRun(sent=0, failed=0)
    batches = emails.batches(organization=organization, claimed=claimed)
    failed: list[int] = []
    with get_connection() as email_connection:
        for batch in batches:
            message = emails.render(batch)
            message.connection = email_connection
            try:
                message.send()
            except Exception:  # one bad address must not stop the others' emails
                logger.exception("The notification email to member %s failed", batch.member.pk)
                failed.append(batch.member.pk)
    if failed:
        Notification.objects.filter(
            organization=organization,
            id__in=[i for member_id in failed for i in claimed[member_id]],
            emailed_at=now,
        ).update(emailed_at=None)
    return EmailRun(sent=len(batches) - len(failed), failed=len(failed))
