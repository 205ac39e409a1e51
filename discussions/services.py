"""Every write of comments: posting (a comment or a reply), editing within the edit window,
deleting (a tombstone stays), and the mentions and notifications they make.

Mentions are written `@` and the member's email address (the picker inserts it). Only members
of the organization who may see the comment's target are stored and notified: a mention of
anyone else stays plain text, and nothing tells its author whether that address belongs to a
member at all.
"""

import html
import re
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from notifications import services as notifications
from notifications.models import Kind
from vindaris.lib.markdown import render
from vindaris.tenancy.models import Membership, Organization
from vindaris.tenancy.numbering import next_number

from . import selectors
from .models import BODY_MAX_LENGTH, EDIT_WINDOW, Comment, Mention
from .selectors import Target

# `@` then an email address, not inside a word (so that "ann@acme.test" alone mentions nobody).
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
MAX_MENTIONS = 50
EXCERPT_CHARS = 120


def mentioned_emails(body: str) -> set[str]:
    """The addresses `body` mentions (lower case), at most MAX_MENTIONS."""
    found = {m.group(1).lower().rstrip(".") for m in MENTION.finditer(body)}
    return set(sorted(found)[:MAX_MENTIONS])


def can_edit(comment: Comment, member: Membership, now: datetime | None = None) -> bool:
    """Its author, while the edit window is open (it closes EDIT_WINDOW after posting)."""
    now = now or timezone.now()
    return (
        not comment.is_deleted
        and comment.author_id == member.pk
        and now < comment.created_at + EDIT_WINDOW
    )


def can_delete(comment: Comment, member: Membership) -> bool:
    """Its author and the organization's admins, at any time."""
    return not comment.is_deleted and (comment.author_id == member.pk or member.is_admin)


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError({"body": f"Keep it under {BODY_MAX_LENGTH} characters."})
    return body


def comment_path(comment: Comment) -> str:
    """Where the comment is read: its link, which opens its page of the discussion."""
    return reverse("comment_detail", args=[comment.organization.slug, comment.number])


def excerpt(body: str) -> str:
    """The comment as a line of plain text (its Markdown rendered, then its tags dropped):
    what a notification quotes. Plain text: pages and emails escape it like any text."""
    text = " ".join(html.unescape(strip_tags(render(body))).split())
    return Truncator(text).chars(EXCERPT_CHARS)


def _store_mentions(
    *, organization: Organization, comment: Comment, target: Target
) -> list[Membership]:
    """Make the comment's mention rows what its body says; return the members newly mentioned
    (members of the organization who may see the target, never anyone else)."""
    emails = mentioned_emails(comment.body)
    wanted = (
        list(
            selectors.members_seeing(organization=organization, target=target).filter(
                user__email__in=emails
            )
        )
        if emails
        else []
    )
    existing = set(
        Mention.objects.filter(organization=organization, comment=comment).values_list(
            "member_id", flat=True
        )
    )
    wanted_ids = {m.pk for m in wanted}
    gone = existing - wanted_ids
    if gone:
        Mention.objects.filter(
            organization=organization, comment=comment, member_id__in=gone
        ).delete()
    new = [m for m in wanted if m.pk not in existing]
    Mention.objects.bulk_create(
        [Mention(organization=organization, comment=comment, member=m) for m in new]
    )
    return new


def _notify(
    *,
    organization: Organization,
    comment: Comment,
    target: Target,
    actor: Membership,
    mentioned: list[Membership],
    thread_author_id: int | None,
) -> None:
    """Mentioned members hear of it as a mention; the thread's author of a reply (unless also
    mentioned, or the one replying). Every recipient may see the target."""
    who = actor.user.display_name
    about = f"{target.key} {target.title}"
    quote = excerpt(comment.body)
    path = comment_path(comment)
    if mentioned:
        notifications.notify(
            organization=organization,
            recipients=mentioned,
            kind=Kind.MENTION,
            actor=actor.user,
            text=f"{who} mentioned you on {about}: {quote}",
            path=path,
        )
    mentioned_ids = {m.pk for m in mentioned}
    if thread_author_id is None or thread_author_id in mentioned_ids:
        return
    seeing = selectors.members_seeing(organization=organization, target=target)
    if thread_author_id != actor.pk and seeing.filter(pk=thread_author_id).exists():
        notifications.notify(
            organization=organization,
            recipients=[thread_author_id],
            kind=Kind.REPLY,
            actor=actor.user,
            text=f"{who} replied to your comment on {about}: {quote}",
            path=path,
        )


@transaction.atomic
def comment_create(
    *,
    organization: Organization,
    author: Membership,
    target: Target,
    body: str,
    reply_to: Comment | None = None,
    now: datetime | None = None,
) -> Comment:
    """Post a comment on `target`, or a reply: a reply to a reply joins the thread of the
    top-level comment. Stores its mentions and notifies the mentioned members and the thread's
    author. The caller has checked that `author` may see the target."""
    if target.organization_id != organization.pk or author.organization_id != organization.pk:
        raise ValidationError("Comment inside one organization.")
    body = _clean_body(body)
    parent = None
    if reply_to is not None:
        if (
            reply_to.organization_id != organization.pk
            or Target.of(reply_to).filter != target.filter
        ):
            raise ValidationError("That comment is not in this discussion.")
        parent = reply_to.parent if reply_to.parent_id else reply_to
    comment = Comment.objects.create(
        organization=organization,
        number=next_number(organization, "comment"),
        parent=parent,
        author=author,
        body=body,
        created_at=now or timezone.now(),
        **target.filter,
    )
    comment.organization = organization
    mentioned = _store_mentions(organization=organization, comment=comment, target=target)
    _notify(
        organization=organization,
        comment=comment,
        target=target,
        actor=author,
        mentioned=mentioned,
        thread_author_id=parent.author_id if parent is not None else None,
    )
    return comment


@transaction.atomic
def comment_edit(
    *,
    organization: Organization,
    actor: Membership,
    comment: Comment,
    body: str,
    now: datetime | None = None,
) -> Comment:
    """Correct a comment: its author only, within EDIT_WINDOW of posting. Members it newly
    mentions are notified; those no longer named lose their mention (not their notification)."""
    now = now or timezone.now()
    if comment.organization_id != organization.pk or not can_edit(comment, actor, now):
        raise PermissionDenied("Only its author may edit a comment, and only for a while.")
    comment.body = _clean_body(body)
    comment.edited_at = now
    comment.save(update_fields=["body", "edited_at"])
    comment.organization = organization
    target = Target.of(comment)
    mentioned = _store_mentions(organization=organization, comment=comment, target=target)
    _notify(
        organization=organization,
        comment=comment,
        target=target,
        actor=actor,
        mentioned=mentioned,
        thread_author_id=None,
    )
    return comment


@transaction.atomic
def comment_delete(
    *,
    organization: Organization,
    actor: Membership,
    comment: Comment,
    now: datetime | None = None,
) -> Comment:
    """Delete a comment: its author or an admin. The row stays as a tombstone ("deleted by
    X", when) without its text or its mentions; its replies stay under it."""
    if comment.organization_id != organization.pk or not can_delete(comment, actor):
        raise PermissionDenied("Only its author or an admin may delete a comment.")
    comment.body = ""
    comment.deleted_at = now or timezone.now()
    comment.deleted_by = actor.user
    comment.save(update_fields=["body", "deleted_at", "deleted_by"])
    Mention.objects.filter(organization=organization, comment=comment).delete()
    return comment
