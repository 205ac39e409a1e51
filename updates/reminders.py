"""The update reminder email: one per owner and cycle, listing the owner's stale active goals."""

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from vindaris.lib.emails import render_templated_email
from vindaris.tenancy.models import Membership
from vindaris.tenancy.zones import organization_tz, viewing_in

from .selectors import Reminder

# The reminder goes out on the first day of each update cycle, from this local hour on.
REMINDER_HOUR = 9
UNSUBSCRIBE_SALT = "updates.reminder.unsubscribe"


def _url(name: str, *args: object) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def unsubscribe_token(membership: Membership) -> str:
    """A signed token naming the membership (its organization and user too), for the reminder's
    one-click unsubscribe link. It does not expire: old emails' links keep working."""
    return signing.dumps(
        {"o": membership.organization_id, "m": membership.pk, "u": membership.user_id},
        salt=UNSUBSCRIBE_SALT,
    )


def read_unsubscribe_token(token: str) -> dict[str, int] | None:
    """The token's {"o", "m", "u"} ids, or None when it is malformed or tampered with."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in "omu"):
        return None
    return {k: data[k] for k in "omu"}


def unsubscribe_url(membership: Membership, *, one_click: bool = False) -> str:
    """The link that stops this member's reminders: a confirm page, or (for the
    List-Unsubscribe header) the one-click endpoint mail clients POST to (RFC 8058)."""
    name = "update_reminder_unsubscribe_one_click" if one_click else "update_reminder_unsubscribe"
    query = urlencode({"token": unsubscribe_token(membership)})
    return f"{_url(name, membership.organization.slug)}?{query}"


def render_reminder(reminder: Reminder, *, period: date) -> EmailMultiAlternatives:
    """The reminder: subject with the number of goals, text and HTML parts, each goal with
    the link to post its update, and the link to the member's reminder preference."""
    membership = reminder.membership
    organization = membership.organization
    preferences_url = _url("update_reminder_preferences", organization.slug)
    goals = [
        (goal, _url("update_create", organization.slug, goal.number)) for goal in reminder.goals
    ]
    with viewing_in(organization_tz(organization)):  # dates on the organization's calendar
        return render_templated_email(
            "emails/update_reminder",
            to=[membership.user.email],
            context={
                "organization": organization,
                "member": membership,
                "period": period,
                "goals": goals,
                "preferences_url": preferences_url,
                "unsubscribe_url": unsubscribe_url(membership),
                "organization_url": _url("org_home", organization.slug),
            },
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url(membership, one_click=True)}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )
