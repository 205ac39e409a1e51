"""The notification email: one per member per run, listing what happened since the last one,
with one-click unsubscribe by kind.

Unsubscribing works as the weekly digest's does (traceability.digest): a signed token naming
the membership (organization, membership, user) that does not expire, a confirm page for the
link in the body, and an RFC 8058 one-click endpoint in the List-Unsubscribe header. The token
here also names the kinds it stops: each kind's own link stops that kind, the header's stops
the kinds of that email."""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from vindaris.lib.emails import render_templated_email
from vindaris.tenancy import zones
from vindaris.tenancy.models import Membership, Organization

from .models import Kind, Notification

UNSUBSCRIBE_SALT = "notifications.email.unsubscribe"
# An email lists this many notifications at most; the rest are a link away.
LISTED = 20


@dataclass(frozen=True)
class Batch:
    """One member's email: their notifications, oldest first."""

    organization: Organization
    member: Membership
    notifications: list[Notification]
    total: int

    @property
    def kinds(self) -> list[str]:
        present = {n.kind for n in self.notifications}
        return [k for k in Kind.values if k in present]

    @property
    def more(self) -> int:
        return self.total - len(self.notifications)


def batches(*, organization: Organization, claimed: dict[int, list[int]]) -> list[Batch]:
    """The emails of a run: one per claimed member who is still active. Two queries."""
    members = {
        m.pk: m
        for m in Membership.objects.filter(
            organization=organization, pk__in=list(claimed), user__is_active=True
        ).select_related("user", "organization")
    }
    ids = [i for member_id in members for i in claimed[member_id]]
    rows: dict[int, list[Notification]] = {member_id: [] for member_id in members}
    for n in (
        Notification.objects.filter(organization=organization, pk__in=ids)
        .select_related("actor")
        .order_by("id")
    ):
        rows[n.recipient_id].append(n)
    return [
        Batch(
            organization=organization,
            member=members[member_id],
            notifications=found[-LISTED:],
            total=len(found),
        )
        for member_id, found in sorted(rows.items())
        if found
    ]


def unsubscribe_token(membership: Membership, kinds: Iterable[str]) -> str:
    """A signed token naming the membership and the kinds it stops. It does not expire: old
    emails' links keep working."""
    return signing.dumps(
        {
            "o": membership.organization_id,
            "m": membership.pk,
            "u": membership.user_id,
            "k": sorted(set(kinds)),
        },
        salt=UNSUBSCRIBE_SALT,
    )


def read_unsubscribe_token(token: str) -> tuple[dict[str, int], list[str]] | None:
    """The token's {"o", "m", "u"} ids and its kinds, or None when it is malformed or
    tampered with."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in "omu"):
        return None
    kinds = data.get("k")
    if not isinstance(kinds, list) or not kinds or not all(k in Kind.values for k in kinds):
        return None
    return {k: data[k] for k in "omu"}, kinds


def unsubscribe_url(
    membership: Membership, kinds: Iterable[str], *, one_click: bool = False
) -> str:
    """The link that stops these kinds of email for this member: a confirm page, or (for the
    List-Unsubscribe header) the one-click endpoint that mail clients POST to."""
    name = "notification_unsubscribe_one_click" if one_click else "notification_unsubscribe"
    path = reverse(name, args=[membership.organization.slug])
    token = unsubscribe_token(membership, kinds)
    return f"{settings.SITE_URL}{path}?{urlencode({'token': token})}"


def render(batch: Batch) -> EmailMultiAlternatives:
    """The email: subject with the count, text and HTML parts, an unsubscribe link per kind and
    one-click unsubscribe headers (RFC 2369 and RFC 8058) for the email's kinds."""
    organization, member = batch.organization, batch.member
    kinds = batch.kinds
    with zones.viewing_in(zones.member_tz(member)):
        return _render(batch, organization, member, kinds)


def _render(
    batch: Batch, organization: Organization, member: Membership, kinds: list[str]
) -> EmailMultiAlternatives:
    return render_templated_email(
        "emails/notifications",
        to=[member.user.email],
        context={
            "batch": batch,
            "organization": organization,
            "member": member,
            "items": [(n, f"{settings.SITE_URL}{n.path}") for n in batch.notifications],
            "list_url": (
                f"{settings.SITE_URL}{reverse('notification_list', args=[organization.slug])}"
            ),
            "preferences_url": (
                f"{settings.SITE_URL}"
                f"{reverse('notification_preferences', args=[organization.slug])}"
            ),
            "unsubscribe": [(Kind(k).label, unsubscribe_url(member, [k])) for k in kinds],
        },
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url(member, kinds, one_click=True)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
