"""Every write to goals, outcomes and check-ins. Material changes mark the goal's links suspect."""

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from vindaris.lib import events as outbox
from vindaris.lib.jobs import enqueue_reconcile
from vindaris.tenancy.models import Membership, Organization, User
from vindaris.tenancy.numbering import next_number

from . import selectors
from .models import (
    CheckIn,
    Direction,
    Goal,
    GoalEvent,
    GoalStatus,
    GoalUserObjectPermission,
    Outcome,
    Priority,
)
from .visibility import CHANGE, VIEW

M = TypeVar("M", bound=Model)

GOAL_FIELDS = {
    "title": "Title",
    "description": "Description",
    "parent": "Parent",
    "owner": "Owner",
    "priority": "Priority",
    "status": "Status",
    "start_date": "Start",
    "end_date": "End",
    "confidential": "Confidential",
}
OUTCOME_FIELDS = {
    "title": "Title",
    "unit": "Unit",
    "baseline": "Baseline",
    "target": "Target",
    "direction": "Direction",
    "due_date": "Due",
}


def _display(obj: Any, field: str) -> str:
    value = getattr(obj, field)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "priority":
        return Priority(value).label
    if field == "status":
        return GoalStatus(value).label
    if field == "direction":
        return Direction(value).label
    if isinstance(value, Goal):
        return value.key
    if isinstance(value, Membership):
        return value.user.display_name
    return str(value)


def _check_same_org(organization: Organization, **objs: Any) -> None:
    for name, obj in objs.items():
        if obj is not None and obj.organization_id != organization.pk:
            raise ValidationError({name: "Select a valid choice."})


def _check_period(start_date: date | None, end_date: date | None) -> None:
    if start_date and end_date and end_date < start_date:
        raise ValidationError({"end_date": "The period must end on or after its start."})


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give it a title."})
    return title


def _check_priority(priority: Any) -> int:
    """The priority as a number; an unknown priority is an input error, not a 500."""
    try:
        value = int(priority)
    except (TypeError, ValueError):
        value = 0
    if value not in Priority.values:
        raise ValidationError({"priority": "Select a valid choice."})
    return value


def _check_status(status: Any) -> str:
    if status not in GoalStatus.values:
        raise ValidationError({"status": "Select a valid choice."})
    return str(status)


def check_outcome_values(baseline: Decimal, target: Decimal, direction: str) -> None:
    """A target that moves from the baseline the way `direction` says (the outcome's rule, also
    checked before a change is previewed)."""
    if direction not in Direction.values:
        raise ValidationError({"direction": "Select a valid choice."})
    if direction == Direction.INCREASE and target <= baseline:
        raise ValidationError({"target": "To increase, the target must be above the baseline."})
    if direction == Direction.DECREASE and target >= baseline:
        raise ValidationError({"target": "To decrease, the target must be below the baseline."})


def get_for_update(queryset: QuerySet[M], *, organization: Organization, pk: Any, field: str) -> M:
    """Lock and return the organization's row `pk` of `queryset`. Another organization's row is
    rejected exactly like a missing one: as an invalid choice of `field`, before any write.

    The lock is FOR NO KEY UPDATE: rows that reference this one (a task being added to the goal)
    are not held up, since no service changes a row's key."""
    row = (
        queryset.select_for_update(of=("self",), no_key=True)
        .filter(organization=organization, pk=pk)
        .first()
    )
    if row is None:
        raise ValidationError({field: "Select a valid choice."})
    return row


def _lock_goal_tree(organization: Organization) -> None:
    """Serialize re-parenting within an organization until the transaction ends: two moves that
    are each fine alone (A under B, B under A) must not both pass the cycle check."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('goals.goal_tree:' || %s, 0))",
            [organization.pk],
        )


def goal_event_record(
    *, goal: Goal, actor: User | None, kind: str, changes: dict | None = None, summary: str = ""
) -> GoalEvent:
    return GoalEvent.objects.create(
        organization_id=goal.organization_id,
        goal=goal,
        actor=actor,
        kind=kind,
        changes=changes or {},
        summary=summary[:300],
    )


@transaction.atomic
def goal_create(
    *,
    organization: Organization,
    actor: User,
    title: str,
    description: str = "",
    parent: Goal | None = None,
    owner: Membership | None = None,
    priority: int = Priority.P2,
    status: str = GoalStatus.DRAFT,
    start_date: date | None = None,
    end_date: date | None = None,
    confidential: bool = False,
    source: str = "",
    external_key: str = "",
) -> Goal:
    """Create a goal with the next G-number and a "created" history row. Parent and owner must
    belong to `organization`; the period must not end before it starts. An imported goal keeps
    the tool and key it came from (`source`, `external_key`)."""
    _check_same_org(organization, parent=parent, owner=owner)
    title = _check_title(title)
    priority = _check_priority(priority)
    status = _check_status(status)
    _check_period(start_date, end_date)
    now = timezone.now()
    goal = Goal.objects.create(
        organization=organization,
        number=next_number(organization, "goal"),
        title=title,
        description=description,
        parent=parent,
        owner=owner,
        priority=priority,
        status=status,
        start_date=start_date,
        end_date=end_date,
        confidential=confidential,
        activated_at=now if status == GoalStatus.ACTIVE else None,
        source=source,
        external_key=external_key,
        created_by=actor,
    )
    goal_event_record(goal=goal, actor=actor, kind=GoalEvent.Kind.CREATED, summary=goal.title)
    enqueue_reconcile(organization.pk)
    return goal


def material_change_reason(goal: Goal, old: dict[str, Any]) -> str:
    """Why the change is material for the goal's work, or "" when it is not."""
    reasons = []
    if goal.priority > old["priority"]:
        reasons.append(
            f"priority lowered {Priority(old['priority']).label} → {Priority(goal.priority).label}"
        )
    if goal.status != old["status"]:
        reasons.append(
            f"status {GoalStatus(old['status']).label} → {GoalStatus(goal.status).label}"
        )
    if goal.title != old["title"]:
        reasons.append("title changed")
    return "; ".join(reasons)


def _mark_material_change(goal: Goal, reason: str, now: Any) -> None:
    goal.material_change_at = now
    goal.material_change = reason[:200]


@transaction.atomic
def goal_update(*, organization: Organization, actor: User, goal: Goal, **fields: Any) -> Goal:
    """Change a goal's fields; record old → new; a material change makes its live work's links
    suspect (and leaving `active` strands its live work, which is derived from the status).
    The parent stays in the organization and never inside the goal's own subtree."""
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown goal fields: {sorted(unknown)}")
    if fields.get("parent") is not None:
        _lock_goal_tree(organization)  # before the row lock, so every mover takes them in order
    goal = get_for_update(
        Goal.objects.select_related("owner__user", "parent"),
        organization=organization,
        pk=goal.pk,
        field="goal",
    )
    _check_same_org(organization, parent=fields.get("parent"), owner=fields.get("owner"))
    if "title" in fields:
        fields["title"] = _check_title(fields["title"])
    if "priority" in fields:
        fields["priority"] = _check_priority(fields["priority"])
    if "status" in fields:
        fields["status"] = _check_status(fields["status"])
    new_parent = fields.get("parent", goal.parent)
    if new_parent is not None and new_parent.pk in selectors.subtree_ids(goal=goal):
        raise ValidationError({"parent": "A goal cannot sit under itself or one of its sub-goals."})
    _check_period(fields.get("start_date", goal.start_date), fields.get("end_date", goal.end_date))

    old = {f: getattr(goal, f) for f in GOAL_FIELDS}
    before = {f: _display(goal, f) for f in GOAL_FIELDS}
    for f, value in fields.items():
        setattr(goal, f, value)
    changed = [f for f in GOAL_FIELDS if getattr(goal, f) != old[f]]
    if not changed:
        return goal
    changes = {GOAL_FIELDS[f]: [before[f], _display(goal, f)] for f in changed}
    now = timezone.now()
    update_fields = [*changed, "updated_at"]
    if goal.status == GoalStatus.ACTIVE and old["status"] != GoalStatus.ACTIVE:
        goal.activated_at = now
        update_fields.append("activated_at")
    reason = material_change_reason(goal, old)
    if reason:
        _mark_material_change(goal, reason, now)
        update_fields += ["material_change_at", "material_change"]
    goal.save(update_fields=update_fields)
    goal_event_record(
        goal=goal, actor=actor, kind=GoalEvent.Kind.UPDATED, changes=changes, summary=reason
    )
    outbox.record(organization.pk, outbox.GOAL_UPDATED, goal.pk)
    enqueue_reconcile(organization.pk)
    return goal


@transaction.atomic
def outcome_create(
    *,
    organization: Organization,
    actor: User,
    goal: Goal,
    title: str,
    baseline: Decimal,
    target: Decimal,
    current: Decimal | None = None,
    unit: str = "",
    direction: str = Direction.INCREASE,
    due_date: date | None = None,
    source: str = "",
    external_key: str = "",
) -> Outcome:
    """Add an outcome (key result) to a goal of `organization`, with the next O-number; its
    current value starts at the baseline unless given. An imported outcome keeps the tool and
    key it came from."""
    _check_same_org(organization, goal=goal)
    title = _check_title(title)
    check_outcome_values(baseline, target, direction)
    outcome = Outcome.objects.create(
        organization=organization,
        goal=goal,
        number=next_number(organization, "outcome"),
        title=title,
        unit=unit,
        baseline=baseline,
        target=target,
        current=baseline if current is None else current,
        direction=direction,
        due_date=due_date,
        source=source,
        external_key=external_key,
    )
    goal_event_record(
        goal=goal, actor=actor, kind=GoalEvent.Kind.OUTCOME_ADDED, summary=f"{outcome.key} {title}"
    )
    return outcome


@transaction.atomic
def outcome_update(
    *, organization: Organization, actor: User, outcome: Outcome, **fields: Any
) -> Outcome:
    """Change an outcome; a changed target is a material change of its goal."""
    unknown = set(fields) - set(OUTCOME_FIELDS)
    if unknown:
        raise TypeError(f"Unknown outcome fields: {sorted(unknown)}")
    outcome = get_for_update(
        Outcome.objects.all(), organization=organization, pk=outcome.pk, field="outcome"
    )
    if "title" in fields:
        fields["title"] = _check_title(fields["title"])
    before = {f: _display(outcome, f) for f in OUTCOME_FIELDS}
    old = {f: getattr(outcome, f) for f in OUTCOME_FIELDS}
    for f, value in fields.items():
        setattr(outcome, f, value)
    check_outcome_values(outcome.baseline, outcome.target, outcome.direction)
    changed = [f for f in OUTCOME_FIELDS if getattr(outcome, f) != old[f]]
    if not changed:
        return outcome
    changes = {
        f"{outcome.key} {OUTCOME_FIELDS[f]}": [before[f], _display(outcome, f)] for f in changed
    }
    outcome.save(update_fields=[*changed, "updated_at"])
    goal = Goal.objects.select_for_update().get(organization=organization, pk=outcome.goal_id)
    reason = ""
    if "target" in changed:
        reason = f"{outcome.key} target {before['target']} → {outcome.target}"
        _mark_material_change(goal, reason, timezone.now())
        goal.save(update_fields=["material_change_at", "material_change", "updated_at"])
        outbox.record(organization.pk, outbox.GOAL_UPDATED, goal.pk)
        enqueue_reconcile(organization.pk)
    goal_event_record(
        goal=goal, actor=actor, kind=GoalEvent.Kind.OUTCOME_UPDATED, changes=changes, summary=reason
    )
    return outcome


@transaction.atomic
def check_in_create(
    *,
    organization: Organization,
    actor: User,
    outcome: Outcome,
    value: Decimal,
    note: str = "",
    checked_on: date | None = None,
) -> CheckIn:
    """Record a new value of an outcome of `organization`, keeping the value it replaces; the
    outcome's current value follows the newest check-in."""
    outcome = get_for_update(
        Outcome.objects.select_related("goal"),
        organization=organization,
        pk=outcome.pk,
        field="outcome",
    )
    check_in = CheckIn.objects.create(
        organization=organization,
        outcome=outcome,
        value=value,
        previous_value=outcome.current,
        note=note,
        author=actor,
        checked_on=checked_on or timezone.localdate(),
    )
    outcome.current = value
    outcome.save(update_fields=["current", "updated_at"])
    outbox.record(organization.pk, outbox.CHECK_IN_CREATED, check_in.pk)
    goal_event_record(
        goal=outcome.goal,
        actor=actor,
        kind=GoalEvent.Kind.CHECK_IN,
        changes={f"{outcome.key} value": [str(check_in.previous_value), str(value)]},
        summary=note,
    )
    return check_in


@transaction.atomic
def goal_delete_detached(*, organization: Organization, actor: User, goal: Goal) -> None:
    """Delete a goal whose work has already been detached (see work.services.goal_delete):
    its sub-goals move up to its parent (a history row each); its outcomes, check-ins and own
    history go with it."""
    goal = get_for_update(
        Goal.objects.select_related("parent"), organization=organization, pk=goal.pk, field="goal"
    )
    children = list(Goal.objects.select_for_update().filter(organization=organization, parent=goal))
    Goal.objects.filter(organization=organization, pk__in=[c.pk for c in children]).update(
        parent=goal.parent_id, updated_at=timezone.now()
    )
    new_parent = goal.parent.key if goal.parent else "—"
    GoalEvent.objects.bulk_create(
        [
            GoalEvent(
                organization_id=organization.pk,
                goal=child,
                actor=actor,
                kind=GoalEvent.Kind.UPDATED,
                changes={GOAL_FIELDS["parent"]: [goal.key, new_parent]},
                summary=f"parent {goal.key} deleted",
            )
            for child in children
        ]
    )
    goal.delete()
    enqueue_reconcile(organization.pk)


# Sharing -----------------------------------------------------------------------------------------

# What each level of access grants: "change" includes "view".
ACCESS_LEVELS = {"view": (VIEW,), "change": (VIEW, CHANGE)}


@transaction.atomic
def goal_share(
    *, organization: Organization, actor: User, goal: Goal, member: Membership, access: str
) -> None:
    """Grant `member` view or change on the goal (guardian object permissions), replacing what
    it had. Only members of the goal's organization; change only to planners and above (a
    viewer never edits). Recorded in the goal's history."""
    _check_same_org(organization, goal=goal, member=member)
    if access not in ACCESS_LEVELS:
        raise ValidationError({"access": "Choose view or change."})
    if access == "change" and not member.can_plan:
        raise ValidationError({"access": "Viewers can be given view only."})
    codenames = ACCESS_LEVELS[access]
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="goals", codename__in=(VIEW, CHANGE)
        )
    }
    grants = GoalUserObjectPermission.objects.filter(
        organization=organization, content_object=goal, user_id=member.user_id
    )
    had = set(grants.values_list("permission__codename", flat=True))
    if had == set(codenames):
        return
    # By permission id, not codename: a delete without a join stays one plain statement on the
    # organization's rows.
    grants.exclude(permission_id__in=[permissions[c].pk for c in codenames]).delete()
    GoalUserObjectPermission.objects.bulk_create(
        [
            GoalUserObjectPermission(
                organization=organization,
                content_object=goal,
                user_id=member.user_id,
                permission=permissions[codename],
            )
            for codename in codenames
            if codename not in had
        ]
    )
    goal_event_record(
        goal=goal,
        actor=actor,
        kind=GoalEvent.Kind.SHARED,
        summary=f"{member.user.display_name} can {access}",
    )


@transaction.atomic
def goal_unshare(
    *, organization: Organization, actor: User, goal: Goal, member: Membership
) -> None:
    """Revoke every grant `member` holds on the goal; it takes effect on the next request."""
    _check_same_org(organization, goal=goal, member=member)
    deleted, _ = GoalUserObjectPermission.objects.filter(
        organization=organization, content_object=goal, user_id=member.user_id
    ).delete()
    if deleted:
        goal_event_record(
            goal=goal,
            actor=actor,
            kind=GoalEvent.Kind.SHARED,
            summary=f"{member.user.display_name} no longer has access",
        )
