"""Every write of the notifications app: notifying members (one statement for any number of
them), reading, email preferences, following goals, and the batched email job."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from vindaris.tenancy.models import Membership, Organization, User

from .models import DEFAULT_EMAIL_KINDS, Kind, Notification, NotificationPreference

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
