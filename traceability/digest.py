"""The weekly digest of unlinked work: what each member is told, and how it is rendered.

Admins, leads and viewers get the organization-wide digest (viewers read everything in the
app, so they read it here too); planners get their own unlinked work: tasks they created or
are assigned. Building the digests of a whole organization takes a constant number of
queries, however many recipients there are.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from vindaris.lib.emails import render_templated_email
from vindaris.tenancy.models import Membership, Organization, Role

from . import selectors
from .clock import local_date, local_now, week_of
from .models import TASK_KINDS, Flag, FlagKind

# The digest goes out on the organization's digest day, from this local hour on.
DIGEST_HOUR = 8
# A flag raised this recently is "new this week".
NEW_WITHIN = timedelta(days=7)
# Items listed per section; the rest are counted ("and 12 more").
ITEMS_PER_SECTION = 20
UNSUBSCRIBE_SALT = "traceability.digest.unsubscribe"

ORGANIZATION_WIDE_ROLES = frozenset({Role.ADMIN, Role.LEAD, Role.VIEWER})

SECTIONS = {
    FlagKind.ORPHANED: ("Orphaned tasks", "Live work that serves no goal."),
    FlagKind.STRANDED: ("Stranded tasks", "Live work under a goal that is no longer active."),
    FlagKind.SUSPECT: (
        "Suspect links",
        "Live work whose goal changed since its link was last confirmed.",
    ),
    FlagKind.STARVED: ("Starved goals", "Active goals with no live work anywhere under them."),
}


@dataclass(frozen=True)
class DigestItem:
    key: str
    title: str
    url: str
    detail: str
    is_new: bool


@dataclass(frozen=True)
class DigestSection:
    kind: str
    label: str
    explanation: str
    total: int
    new: int
    items: tuple[DigestItem, ...]

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class Digest:
    organization: Organization
    membership: Membership
    week: date
    sections: tuple[DigestSection, ...]
    linked_ratio: float | None
    linked_ratio_week_ago: float | None

    @property
    def organization_wide(self) -> bool:
        return self.membership.role in ORGANIZATION_WIDE_ROLES

    @property
    def is_empty(self) -> bool:
        """Nothing to report: no open gap in this member's scope."""
        return not any(section.total for section in self.sections)

    @property
    def counts(self) -> str:
        return ", ".join(f"{section.total} {section.kind}" for section in self.sections)

    @property
    def linked_percent(self) -> int | None:
        return None if self.linked_ratio is None else round(100 * self.linked_ratio)

    @property
    def change_points(self) -> int | None:
        """Change of the linked ratio over the week, in percentage points."""
        if self.linked_ratio is None or self.linked_ratio_week_ago is None:
            return None
        return round(100 * self.linked_ratio) - round(100 * self.linked_ratio_week_ago)


def is_due(organization: Organization, now: datetime) -> bool:
    """Is it the organization's digest day, at or after the digest hour, in its timezone?"""
    local = local_now(organization, now)
    return local.weekday() == organization.digest_weekday and local.hour >= DIGEST_HOUR


def _org_url(organization: Organization, path: str) -> str:
    # Task and goal pages live at /o/<slug>/tasks/<n>/ and /o/<slug>/goals/<n>/ (DESIGN.md).
    return f"{settings.SITE_URL}/o/{organization.slug}/{path}"


def _item(organization: Organization, flag: Flag, new_since: datetime) -> DigestItem:
    is_new = flag.raised_at >= new_since
    if flag.task is not None:
        task, goal = flag.task, flag.task.goal
        if goal is None:
            detail = "no goal"
        elif flag.kind == FlagKind.SUSPECT and goal.material_change:
            detail = f"{goal.key} {goal.title}: {goal.material_change}"
        else:
            detail = f"{goal.key} {goal.title}, {goal.get_status_display().lower()}"
        return DigestItem(
            task.key, task.title, _org_url(organization, f"tasks/{task.number}/"), detail, is_new
        )
    goal = flag.goal
    assert goal is not None  # a starved flag names its goal (flag_names_task_or_goal)
    since = (
        f"active since {local_date(organization, goal.activated_at):%-d %b %Y}"
        if goal.activated_at
        else "active"
    )
    return DigestItem(
        goal.key, goal.title, _org_url(organization, f"goals/{goal.number}/"), since, is_new
    )


def _sections(
    organization: Organization, flags: Iterable[Flag], kinds: Sequence[str], new_since: datetime
) -> tuple[DigestSection, ...]:
    by_kind: dict[str, list[Flag]] = {kind: [] for kind in kinds}
    for flag in flags:
        if flag.kind in by_kind:
            by_kind[flag.kind].append(flag)
    sections = []
    for kind in kinds:
        # New ones first, then the most recent work (highest numbers) first.
        kind_flags = sorted(
            by_kind[kind],
            key=lambda f: (f.raised_at < new_since, -(f.task or f.goal).number),  # type: ignore[union-attr]
        )
        label, explanation = SECTIONS[FlagKind(kind)]
        sections.append(
            DigestSection(
                kind=kind,
                label=label,
                explanation=explanation,
                total=len(kind_flags),
                new=sum(1 for f in kind_flags if f.raised_at >= new_since),
                items=tuple(
                    _item(organization, f, new_since) for f in kind_flags[:ITEMS_PER_SECTION]
                ),
            )
        )
    return tuple(sections)


def _own_work(flags: Iterable[Flag], user_id: int) -> list[Flag]:
    """Task flags of tasks the user created or is assigned."""
    return [
        f
        for f in flags
        if f.task is not None
        and (
            f.task.created_by_id == user_id
            or (f.task.assignee is not None and f.task.assignee.user_id == user_id)
        )
    ]


def build_digests(
    *, organization: Organization, memberships: Sequence[Membership], now: datetime
) -> list[Digest]:
    """Each member's digest of the organization's open flags (reconcile them first). Three
    queries in all: the open flags, the linked effort now, the snapshot of a week ago."""
    flags = list(selectors.open_flags(organization=organization))
    linked_ratio = selectors.linked_ratio(organization=organization)
    week_ago = selectors.snapshot_on_or_before(
        organization=organization, day=local_date(organization, now) - timedelta(days=7)
    )
    ratio_week_ago = week_ago.linked_ratio if week_ago is not None else None
    week = week_of(organization, now)
    new_since = now - NEW_WITHIN
    all_kinds = [str(k) for k in FlagKind]
    task_kinds = [str(k) for k in TASK_KINDS]
    organization_wide = _sections(organization, flags, all_kinds, new_since)
    digests = []
    for membership in memberships:
        if membership.role in ORGANIZATION_WIDE_ROLES:
            sections = organization_wide
        else:
            sections = _sections(
                organization, _own_work(flags, membership.user_id), task_kinds, new_since
            )
        digests.append(
            Digest(
                organization=organization,
                membership=membership,
                week=week,
                sections=sections,
                linked_ratio=linked_ratio,
                linked_ratio_week_ago=ratio_week_ago,
            )
        )
    return digests


def unsubscribe_token(membership: Membership) -> str:
    """A signed token naming the membership (and its organization and user), for the
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
    """The link that stops this member's digest: a confirm page, or (for the List-Unsubscribe
    header) the one-click endpoint that mail clients POST to."""
    name = "digest_unsubscribe_one_click" if one_click else "digest_unsubscribe"
    path = reverse(name, args=[membership.organization.slug])
    return f"{settings.SITE_URL}{path}?{urlencode({'token': unsubscribe_token(membership)})}"


def render_digest(digest: Digest) -> EmailMultiAlternatives:
    """The digest email: subject with the counts, text and HTML parts, and one-click
    unsubscribe headers (RFC 2369 and RFC 8058)."""
    organization, membership = digest.organization, digest.membership
    return render_templated_email(
        "emails/digest",
        to=[membership.user.email],
        context={
            "digest": digest,
            "organization": organization,
            "member": membership,
            "organization_url": (
                f"{settings.SITE_URL}{reverse('org_home', args=[organization.slug])}"
            ),
            "preferences_url": (
                f"{settings.SITE_URL}{reverse('digest_preferences', args=[organization.slug])}"
            ),
            "unsubscribe_url": unsubscribe_url(membership),
        },
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url(membership, one_click=True)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
