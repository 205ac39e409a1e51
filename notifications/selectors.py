"""Every read of the notifications app, organization first."""

from collections.abc import Sequence

from django.db.models import Count, Q

from vindaris.lib.paging import NumberedPage
from vindaris.tenancy.models import Membership, Organization

from .models import DEFAULT_EMAIL_KINDS, GoalFollow, Notification, NotificationPreference

PER_PAGE = 25


def unread_count(*, organization: Organization, membership: Membership) -> int:
    """The bell: a member's unread notifications, ONE query on the partial index
    notification_unread_idx."""
    return Notification.objects.filter(
        organization=organization, recipient_id=membership.pk, read_at__isnull=True
    ).count()


def notification_page(
    *, organization: Organization, membership: Membership, page: int = 1
) -> tuple[NumberedPage, int]:
    """One page of a member's notifications, newest first (actor loaded), and the unread count:
    two queries whatever the page (the count and the unread count in one, the rows)."""
    rows = Notification.objects.filter(organization=organization, recipient_id=membership.pk)
    counts = rows.aggregate(total=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)))
    total, unread = counts["total"], counts["unread"]
    last = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), last)
    start = (page - 1) * PER_PAGE
    items = list(rows.select_related("actor").order_by("-id")[start : start + PER_PAGE])
    return NumberedPage(rows=items, total=total, number=page, per_page=PER_PAGE), unread


def notification_for_member(
    *, organization: Organization, membership: Membership, notification_id: int
) -> Notification | None:
    """The member's own notification with this id, or None (another member's, another
    organization's or a missing one alike)."""
    return Notification.objects.filter(
        organization=organization, recipient_id=membership.pk, pk=notification_id
    ).first()


def email_kinds(*, organization: Organization, membership: Membership) -> list[str]:
    """The kinds this member also gets by email (their choice, else the defaults)."""
    chosen = (
        NotificationPreference.objects.filter(organization=organization, member_id=membership.pk)
        .values_list("email_kinds", flat=True)
        .first()
    )
    return list(DEFAULT_EMAIL_KINDS) if chosen is None else list(chosen)


def is_following(*, organization: Organization, membership: Membership, goal_id: int) -> bool:
    return GoalFollow.objects.filter(
        organization=organization, goal_id=goal_id, member_id=membership.pk
    ).exists()


def follower_ids(*, organization: Organization, goal_ids: Sequence[int]) -> dict[int, list[int]]:
    """The members following each of these goals (goal id → membership ids): one query. Who of
    them may see a goal is the caller's to check."""
    followers: dict[int, list[int]] = {goal_id: [] for goal_id in goal_ids}
    rows = GoalFollow.objects.filter(organization=organization, goal_id__in=list(goal_ids))
    for goal_id, member_id in rows.order_by("goal_id", "member_id").values_list(
        "goal_id", "member_id"
    ):
        followers[goal_id].append(member_id)
    return followers


def membership_for_unsubscribe(
    *, organization_slug: str, o: int, m: int, u: int
) -> Membership | None:
    """The membership an unsubscribe token names, if it still exists and belongs to the
    organization of the URL. Organization and user loaded; one query."""
    return (
        Membership.objects.filter(
            pk=m, organization_id=o, user_id=u, organization__slug=organization_slug
        )
        .select_related("organization", "user")
        .first()
    )
