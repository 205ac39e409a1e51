"""Every write of the updates app: posting a goal update (with its check-ins, telling the
goal's owner and followers), a member's reminder opt-out, and sending the reminders."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from goals import services as goal_services
from goals import visibility
from goals.models import Goal, Outcome
from notifications import services as notification_services
from vindaris.tenancy.models import Membership, Organization, User
from vindaris.tenancy.numbering import next_number

from . import health, reminders, selectors
from .models import GoalUpdate, GoalUpdateCheckIn, Health, ReminderSent

logger = logging.getLogger(__name__)

BODY_MAX = 10_000


@dataclass(frozen=True)
class CheckInValue:
    """A new value of one of the goal's outcomes, recorded with the update."""

    outcome: Outcome
    value: Decimal


def _check_health(value: str) -> str:
    if value not in Health.values:
        raise ValidationError({"health": "Select a valid choice."})
    return value


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"Keep it under {BODY_MAX} characters."})
    return body


def update_path(organization: Organization, update: GoalUpdate) -> str:
    return reverse("update_detail", args=[organization.slug, update.number])


@transaction.atomic
def update_post(
    *,
    organization: Organization,
    actor: User,
    member: Membership,
    goal: Goal,
    health: str,
    body: str = "",
    check_ins: Sequence[CheckInValue] = (),
    now: datetime | None = None,
) -> GoalUpdate:
    """Post an update on a goal of `organization`: its health, a Markdown text, and new values
    of the goal's outcomes (check-ins through goals.services, linked to the update). Only a
    member who may change the goal posts (its owner, an editor, leads and admins; never a
    viewer). The goal's owner and followers who may see it are notified."""
    if member.organization_id != organization.pk or member.user_id != actor.pk:
        raise PermissionDenied("Not a member of this organization.")
    if not member.can_plan:
        raise PermissionDenied("Viewers read updates; they do not post them.")
    goal = goal_services.get_for_update(
        Goal.objects.all(), organization=organization, pk=goal.pk, field="goal"
    )
    if not visibility.is_visible(goal, member) or not visibility.can_change(goal, member):
        raise PermissionDenied("Only the goal's owner or an editor posts updates.")
    update = GoalUpdate.objects.create(
        organization=organization,
        number=next_number(organization, "update"),
        goal=goal,
        author=actor,
        health=_check_health(health),
        body=_check_body(body),
        created_at=now or timezone.now(),
    )
    links = []
    for item in check_ins:
        if item.outcome.organization_id != organization.pk or item.outcome.goal_id != goal.pk:
            raise ValidationError({"check_ins": "Check in on this goal's outcomes only."})
        check_in = goal_services.check_in_create(
            organization=organization,
            actor=actor,
            outcome=item.outcome,
            value=item.value,
            note=f"With update {update.key}",
        )
        links.append(GoalUpdateCheckIn(organization=organization, update=update, check_in=check_in))
    GoalUpdateCheckIn.objects.bulk_create(links)
    recipients = selectors.update_audience(organization=organization, goal=goal)
    if recipients:
        notification_services.notify(
            organization=organization,
            recipients=recipients,
            kind="goal_update",
            actor=actor,
            text=(
                f"{actor.display_name} posted an update on {goal.key} {goal.title}: "
                f"{Health(update.health).label.lower()}"
            ),
            path=update_path(organization, update),
        )
    return update


@transaction.atomic
def reminder_preference_set(
    *, organization: Organization, member: Membership, opt_out: bool
) -> None:
    """A member's choice: no email asking for goal updates (`opt_out`), or the reminders."""
    Membership.objects.filter(organization=organization, pk=member.pk).update(
        update_reminder_opt_out=opt_out
    )
    member.update_reminder_opt_out = opt_out


# Reminders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRun:
    sent: int
    failed: int


def _claim(
    organization: Organization, period: date, member_ids: list[int], now: datetime
) -> set[int]:
    """Write the sent-log rows of these members for `period`; the ids whose row this run
    wrote (a concurrent run that wrote one first keeps it, and sends that email)."""
    if not member_ids:
        return set()
    table = ReminderSent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (organization_id, membership_id, period, sent_at)
            SELECT %(org)s, m, %(period)s, %(now)s FROM unnest(%(ids)s::bigint[]) AS m
            ON CONFLICT (organization_id, membership_id, period) DO NOTHING
            RETURNING membership_id
            """,  # noqa: S608 - table name from the model
            {"org": organization.pk, "period": period, "now": now, "ids": sorted(member_ids)},
        )
        return {row[0] for row in cursor.fetchall()}


def reminders_send(
    *, organization: Organization, period: date, now: datetime | None = None
) -> ReminderRun:
    """Email each owner of stale active goals (health.stale_before) one reminder listing them,
    once per update cycle `period` (its first day): idempotent through the sent-log
    (organization, member, period), so a re-run, a redelivered task or a second beat sends
    nothing twice; a failed send releases its row for the next run. Owners who opted out, and
    goals their owner may not see, are left out. A constant number of queries whatever the
    number of owners and goals.

    Not one transaction on purpose: the sent-log rows commit before the emails leave, so a
    concurrent run finds them and skips those owners."""
    now = now or timezone.now()
    if health.cycle_start(organization, now) != period:
        return ReminderRun(sent=0, failed=0)  # a late redelivery: that cycle's reminder is past
    due = selectors.reminders_due(organization=organization, period=period, now=now)
    if not due:
        return ReminderRun(sent=0, failed=0)
    claimed = _claim(organization, period, [r.membership.pk for r in due], now)
    to_send = [r for r in due if r.membership.pk in claimed]
    failed: list[int] = []
    if to_send:
        with get_connection() as email_connection:
            for reminder in to_send:
                message = reminders.render_reminder(reminder, period=period)
                message.connection = email_connection
                try:
                    message.send()
                except Exception:  # one bad address must not stop the others' reminders
                    logger.exception(
                        "The update reminder to member %s failed", reminder.membership.pk
                    )
                    failed.append(reminder.membership.pk)
    if failed:
        ReminderSent.objects.filter(
            organization=organization, period=period, membership_id__in=failed
        ).delete()
    return ReminderRun(sent=len(to_send) - len(failed), failed=len(failed))
