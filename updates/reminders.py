"""The update reminder email: one per owner and cycle, listing the owner's stale active goals."""

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from vindaris.lib.emails import render_templated_email
from vindaris.tenancy.zones import organization_tz, viewing_in

from .selectors import Reminder

# The reminder goes out on the first day of each update cycle, from this local hour on.
REMINDER_HOUR = 9


def _url(name: str, *args: object) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


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
                "organization_url": _url("org_home", organization.slug),
            },
            headers={
                "List-Unsubscribe": f"<{preferences_url}>",
                "Auto-Submitted": "auto-generated",
            },
        )
