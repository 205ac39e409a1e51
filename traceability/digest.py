"""The weekly digest of unlinked work: what each member is told, and how it is rendered.

Admins, leads and viewers get the organization-wide digest; planners get their own unlinked
work: tasks they created or are assigned. Either way a member is told only of what it may see
(goals.visibility): nothing under a confidential goal hidden from it is listed, counted or in
its linked ratio. Building the digests of a whole organization takes a constant number of
queries, however many recipients there are.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from goals.models import GoalStatus
from updates import selectors as update_selectors
from updates.models import Health
from vindaris.lib.emails import render_templated_email
from vindaris.tenancy.models import Membership, Organization, Role

from . import selectors
from .clock import local_date, local_now, week_of
from .models import TASK_KINDS, FlagKind

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
    FlagKind.STARVED: (
        "Starved goals",
        "Active goals with no live work on an active goal anywhere under them.",
    ),
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
class HealthSummary:
    """The goal updates part of a digest: how the active goals the reader may see are going
    (organization-wide digests), and the goals without a recent update (stale: a whole update
    cycle without one) — all of them organization-wide, the member's own otherwise."""

    on_track: int
    at_risk: int
    off_track: int
    no_update: int
    stale_total: int
    stale: tuple[DigestItem, ...]
    # At risk and off track goals, worst first (organization-wide digests)
    attention: tuple[DigestItem, ...]

    @property
    def stale_more(self) -> int:
        return self.stale_total - len(self.stale)

    @property
    def active(self) -> int:
        return self.on_track + self.at_risk + self.off_track + self.no_update


@dataclass(frozen=True)
class Digest:
    organization: Organization
    membership: Membership
    week: date
    sections: tuple[DigestSection, ...]
    linked_ratio: float | None
    linked_ratio_week_ago: float | None
    # Last week's strategy-led scorecard, and what the dashboard suggests stopping, both
    # without confidential work (organization-wide only)
    score: selectors.ScoreWeek | None = None
    stop: selectors.StopSummary | None = None
    health: HealthSummary | None = None

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


def _item(organization: Organization, flag: selectors.DigestFlag) -> DigestItem:
    is_new = flag.is_new
    if flag.task_number is not None:
        if flag.goal_number is None:
            detail = "no goal"
        elif flag.kind == FlagKind.SUSPECT and flag.material_change:
            detail = f"G-{flag.goal_number} {flag.goal_title}: {flag.material_change}"
        else:
            status = GoalStatus(flag.goal_status).label.lower()  # type: ignore[arg-type]  # a flag with a goal has its status
            detail = f"G-{flag.goal_number} {flag.goal_title}, {status}"
        return DigestItem(
            f"T-{flag.task_number}",
            flag.task_title or "",
            _org_url(organization, f"tasks/{flag.task_number}/"),
            detail,
            is_new,
        )
    since = (
        f"active since {local_date(organization, flag.activated_at):%-d %b %Y}"
        if flag.activated_at
        else "active"
    )
    return DigestItem(
        f"G-{flag.goal_number}",
        flag.goal_title or "",
        _org_url(organization, f"goals/{flag.goal_number}/"),
        since,
        is_new,
    )


def _health_item(organization: Organization, goal: update_selectors.ActiveGoalHealth) -> DigestItem:
    h = goal.health
    if h.updated_at is None:
        detail = "no update yet"
    else:
        when = local_date(organization, h.updated_at)
        detail = f"{h.label.lower()}, last update {when:%-d %b %Y}"
    return DigestItem(
        goal.key, goal.title, _org_url(organization, f"goals/{goal.number}/"), detail, False
    )


def _health_summary(
    organization: Organization,
    goals: Sequence[update_selectors.ActiveGoalHealth],
    *,
    organization_wide: bool,
) -> HealthSummary:
    """What a reader is told of the goals `goals` (those it may see; its own when not
    organization-wide)."""
    counts: dict[str, int] = {h: 0 for h in (*Health.values, "")}
    for goal in goals:
        counts[goal.health.health or ""] += 1
    stale = [g for g in goals if g.health.stale]
    worst: dict[str, int] = {Health.OFF_TRACK: 0, Health.AT_RISK: 1}
    attention = sorted(
        (g for g in goals if (g.health.health or "") in worst),
        key=lambda g: worst[g.health.health or ""],
    )
    return HealthSummary(
        on_track=counts[Health.ON_TRACK],
        at_risk=counts[Health.AT_RISK],
        off_track=counts[Health.OFF_TRACK],
        no_update=counts[""],
        stale_total=len(stale),
        stale=tuple(_health_item(organization, g) for g in stale[:ITEMS_PER_SECTION]),
        attention=(
            tuple(_health_item(organization, g) for g in attention[:ITEMS_PER_SECTION])
            if organization_wide
            else ()
        ),
    )


def _sections(
    counts: dict[str, selectors.DigestCount],
    kinds: Sequence[str],
    items: dict[int, DigestItem],
) -> tuple[DigestSection, ...]:
    sections = []
    for kind in kinds:
        count = counts.get(kind, selectors.DigestCount(total=0, new=0, flag_ids=()))
        label, explanation = SECTIONS[FlagKind(kind)]
        sections.append(
            DigestSection(
                kind=kind,
                label=label,
                explanation=explanation,
                total=count.total,
                new=count.new,
                items=tuple(items[flag_id] for flag_id in count.flag_ids),
            )
        )
    return tuple(sections)


def build_digests(
    *, organization: Organization, memberships: Sequence[Membership], now: datetime
) -> list[Digest]:
    """Each member's digest of the organization's open flags (reconcile them first), narrowed
    to what the member may see (goals.visibility): nothing under a hidden goal is listed,
    counted or part of the linked ratio. Members are grouped by what they may see, and SQL
    counts and picks each audience's items, so a constant number of queries builds any number
    of digests: the visibility classes, the sections with their items, the linked ratios, the
    active goals' health, and for the organization-wide digests last week's scorecard and what
    to stop (both without confidential work, so one serves every reader)."""
    new_since = now - NEW_WITHIN
    visibility = selectors.digest_visibility(organization=organization, memberships=memberships)
    content = selectors.digest_content(
        organization=organization,
        visibility=visibility,
        wide_classes=[
            visibility.class_of[m.pk] for m in memberships if m.role in ORGANIZATION_WIDE_ROLES
        ],
        own_work=[m for m in memberships if m.role not in ORGANIZATION_WIDE_ROLES],
        new_since=new_since,
        items=ITEMS_PER_SECTION,
    )
    items = {i: _item(organization, flag) for i, flag in content.flags.items()}
    ratios = selectors.digest_linked_ratios(
        organization=organization,
        visibility=visibility,
        classes=visibility.class_of.values(),
        week_ago=local_date(organization, now) - timedelta(days=7),
    )
    week = week_of(organization, now)
    score, stop = None, None
    if any(m.role in ORGANIZATION_WIDE_ROLES for m in memberships):
        score = selectors.public_scorecard(organization=organization, now=now).last_full
        overview = selectors.coverage_overview(
            organization=organization,
            viewer=None,
            now=now,
            hidden=selectors.Hidden.confidential(organization),
        )
        stop = selectors.stop_summary(organization=organization, overview=overview)
    all_kinds = [str(k) for k in FlagKind]
    task_kinds = [str(k) for k in TASK_KINDS]
    wide_sections: dict[int, tuple[DigestSection, ...]] = {}
    active_goals = update_selectors.active_goals_health(
        organization=organization, now=now, hidden=visibility.hidden_sql()
    )
    wide_health: dict[int, HealthSummary] = {}
    digests = []
    for membership in memberships:
        visibility_class = visibility.class_of[membership.pk]
        if membership.role in ORGANIZATION_WIDE_ROLES:
            if visibility_class not in wide_sections:
                wide_sections[visibility_class] = _sections(
                    content.counts.get(("class", visibility_class), {}), all_kinds, items
                )
            sections = wide_sections[visibility_class]
        else:
            sections = _sections(
                content.counts.get(("member", membership.pk), {}), task_kinds, items
            )
        seen = [g for g in active_goals if visibility_class not in g.hidden_from]
        if membership.role in ORGANIZATION_WIDE_ROLES:
            if visibility_class not in wide_health:
                wide_health[visibility_class] = _health_summary(
                    organization, seen, organization_wide=True
                )
            health = wide_health[visibility_class]
        else:
            health = _health_summary(
                organization,
                [g for g in seen if g.owner_id == membership.pk],
                organization_wide=False,
            )
        ratio = ratios[visibility_class]
        digests.append(
            Digest(
                organization=organization,
                membership=membership,
                week=week,
                sections=sections,
                linked_ratio=ratio.now,
                linked_ratio_week_ago=ratio.week_ago,
                score=score if membership.role in ORGANIZATION_WIDE_ROLES else None,
                stop=stop if membership.role in ORGANIZATION_WIDE_ROLES else None,
                health=health,
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
