"""Every write to goals, outcomes and check-ins. Material changes mark the goal's links suspect."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vindaris.lib.jobs import enqueue_reconcile
from vindaris.tenancy.models import Membership, Organization, User
from vindaris.tenancy.numbering import next_number

from . import selectors
from .models import CheckIn, Direction, Goal, GoalEvent, GoalStatus, Outcome, Priority

GOAL_FIELDS = {
    "title": "Title",
    "description": "Description",
    "parent": "Parent",
    "owner": "Owner",
    "priority": "Priority",
    "status": "Status",
    "start_date": "Start",
    "end_date": "End",
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


def goal_event_record(
    *, goal: Goal, actor: User | None, kind: str, changes: dict | None = None, summary: str = ""
) -> GoalEvent:
    return GoalEvent.objects.create(
        organization_id=goal.organization_id,
        goal=goal,
        actor=actor,
        kind=kind,
        changes=changes or {},
        summary=summary,
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
) -> Goal:
    """Create a goal with the next G-number and a "created" history row."""
    _check_same_org(organization, parent=parent, owner=owner)
    _check_period(start_date, end_date)
    now = timezone.now()
    goal = Goal.objects.create(
        organization=organization,
        number=next_number(organization, "goal"),
        title=title.strip(),
        description=description,
        parent=parent,
        owner=owner,
        priority=priority,
        status=status,
        start_date=start_date,
        end_date=end_date,
        activated_at=now if status == GoalStatus.ACTIVE else None,
        created_by=actor,
    )
    goal_event_record(goal=goal, actor=actor, kind=GoalEvent.Kind.CREATED, summary=goal.title)
    enqueue_reconcile(organization.pk)
    return goal


def _material_change(goal: Goal, old: dict[str, Any]) -> str:
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
    suspect (and leaving `active` strands its live work, which is derived from the status)."""
    goal = (
        Goal.objects.select_for_update(of=("self",))
        .select_related("owner__user", "parent")
        .get(organization=organization, pk=goal.pk)
    )
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown goal fields: {sorted(unknown)}")
    _check_same_org(organization, parent=fields.get("parent"), owner=fields.get("owner"))
    new_parent = fields.get("parent", goal.parent)
    if new_parent is not None and new_parent.pk in selectors.subtree_ids(goal=goal):
        raise ValidationError({"parent": "A goal cannot sit under itself or one of its sub-goals."})
    _check_period(fields.get("start_date", goal.start_date), fields.get("end_date", goal.end_date))

    old = {f: getattr(goal, f) for f in GOAL_FIELDS}
    before = {f: _display(goal, f) for f in GOAL_FIELDS}
    for f, value in fields.items():
        setattr(goal, f, value.strip() if f == "title" else value)
    changes = {
        GOAL_FIELDS[f]: [before[f], _display(goal, f)]
        for f in GOAL_FIELDS
        if getattr(goal, f) != old[f]
    }
    if not changes:
        return goal
    now = timezone.now()
    if goal.status == GoalStatus.ACTIVE and old["status"] != GoalStatus.ACTIVE:
        goal.activated_at = now
    reason = _material_change(goal, old)
    if reason:
        _mark_material_change(goal, reason, now)
    goal.save()
    goal_event_record(
        goal=goal, actor=actor, kind=GoalEvent.Kind.UPDATED, changes=changes, summary=reason
    )
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
) -> Outcome:
    """Add an outcome (key result) to a goal, with the next O-number."""
    _check_same_org(organization, goal=goal)
    _check_outcome_values(baseline, target, direction)
    outcome = Outcome.objects.create(
        organization=organization,
        goal=goal,
        number=next_number(organization, "outcome"),
        title=title.strip(),
        unit=unit,
        baseline=baseline,
        target=target,
        current=baseline if current is None else current,
        direction=direction,
        due_date=due_date,
    )
    goal_event_record(
        goal=goal, actor=actor, kind=GoalEvent.Kind.OUTCOME_ADDED, summary=f"{outcome.key} {title}"
    )
    return outcome


def _check_outcome_values(baseline: Decimal, target: Decimal, direction: str) -> None:
    if direction == Direction.INCREASE and target <= baseline:
        raise ValidationError({"target": "To increase, the target must be above the baseline."})
    if direction == Direction.DECREASE and target >= baseline:
        raise ValidationError({"target": "To decrease, the target must be below the baseline."})


@transaction.atomic
def outcome_update(
    *, organization: Organization, actor: User, outcome: Outcome, **fields: Any
) -> Outcome:
    """Change an outcome; a changed target is a material change of its goal."""
    outcome = Outcome.objects.select_for_update().get(organization=organization, pk=outcome.pk)
    unknown = set(fields) - set(OUTCOME_FIELDS)
    if unknown:
        raise TypeError(f"Unknown outcome fields: {sorted(unknown)}")
    before = {f: _display(outcome, f) for f in OUTCOME_FIELDS}
    old = {f: getattr(outcome, f) for f in OUTCOME_FIELDS}
    for f, value in fields.items():
        setattr(outcome, f, value)
    _check_outcome_values(outcome.baseline, outcome.target, outcome.direction)
    changes = {
        f"{outcome.key} {OUTCOME_FIELDS[f]}": [before[f], _display(outcome, f)]
        for f in OUTCOME_FIELDS
        if getattr(outcome, f) != old[f]
    }
    if not changes:
        return outcome
    outcome.save()
    goal = Goal.objects.select_for_update().get(pk=outcome.goal_id)
    reason = ""
    if outcome.target != old["target"]:
        reason = f"{outcome.key} target {before['target']} → {outcome.target}"
        _mark_material_change(goal, reason, timezone.now())
        goal.save(update_fields=["material_change_at", "material_change", "updated_at"])
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
    """Record a new value of an outcome; the outcome's current value follows the latest one."""
    outcome = Outcome.objects.select_for_update().get(organization=organization, pk=outcome.pk)
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
    goal_event_record(
        goal=outcome.goal,
        actor=actor,
        kind=GoalEvent.Kind.CHECK_IN,
        changes={f"{outcome.key} value": [str(check_in.previous_value), str(value)]},
        summary=note[:300],
    )
    return check_in


@transaction.atomic
def goal_delete_detached(*, organization: Organization, actor: User, goal: Goal) -> None:
    """Delete a goal whose work has already been detached (see work.services.goal_delete):
    its sub-goals move up to its parent; its outcomes and check-ins go with it."""
    goal = Goal.objects.select_for_update().get(organization=organization, pk=goal.pk)
    Goal.objects.filter(organization=organization, parent=goal).update(parent=goal.parent_id)
    goal.delete()
    enqueue_reconcile(organization.pk)
