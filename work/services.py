"""Every write to tasks and their link history. Work is created from goals."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from goals import services as goal_services
from goals import visibility
from goals.models import CheckIn, Goal, GoalEvent, Outcome
from notifications import services as notification_services
from notifications.models import Kind as NotificationKind
from vindaris.lib import events as outbox
from vindaris.lib.jobs import enqueue_reconcile
from vindaris.tenancy.models import Membership, Organization, User
from vindaris.tenancy.numbering import next_number

from .models import LIVE_STATUSES, CheckInCredit, Origin, Task, TaskEvent, TaskStatus

TASK_FIELDS = {
    "title": "Title",
    "description": "Description",
    "outcome": "Outcome",
    "assignee": "Assignee",
    "estimate": "Estimate",
    "due_date": "Due",
}
REASON_MAX_LENGTH = 300


def _check_same_org(organization: Organization, **objs: Any) -> None:
    for name, obj in objs.items():
        if obj is not None and obj.organization_id != organization.pk:
            raise ValidationError({name: "Select a valid choice."})


def _check_outcome(goal: Goal | None, outcome: Outcome | None) -> None:
    if outcome is not None and (goal is None or outcome.goal_id != goal.pk):
        raise ValidationError({"outcome": "The outcome must belong to the task's goal."})


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the task a title."})
    return title


def _check_estimate(estimate: Any) -> None:
    if not isinstance(estimate, int) or estimate < 0:
        raise ValidationError({"estimate": "Effort is a whole number of points, 0 or more."})


def _check_reason(reason: str, *, required: str = "") -> str:
    """The reason stripped; `required` is the error when it is empty (when it must be given)."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": required})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX_LENGTH} characters."})
    return reason


def _display(task: Task, field: str) -> str:
    value = getattr(task, field)
    if value is None or value == "":
        return "—"
    if isinstance(value, Membership):
        return value.user.display_name
    if isinstance(value, Outcome):
        return value.key
    return str(value)


def _event(task: Task, actor: User | None, kind: str, **fields: Any) -> TaskEvent:
    return TaskEvent(
        organization_id=task.organization_id, task=task, actor=actor, kind=kind, **fields
    )


@transaction.atomic
def task_create(
    *,
    organization: Organization,
    actor: User,
    goal: Goal | None,
    title: str,
    origin: str = Origin.GOAL_PAGE,
    description: str = "",
    outcome: Outcome | None = None,
    assignee: Membership | None = None,
    estimate: int = 1,
    due_date: date | None = None,
    status: str = TaskStatus.TODO,
) -> Task:
    """Create a task under `goal` with the next T-number and a "created under" history row.

    Work without a goal (orphaned from birth) is only accepted outside the goal page, and only
    where the organization allows capturing it. Goal, outcome and assignee belong to
    `organization`; the outcome belongs to the goal."""
    _check_same_org(organization, goal=goal, outcome=outcome, assignee=assignee)
    if origin not in Origin.values:
        raise ValidationError({"origin": "Select a valid choice."})
    if goal is None and (origin == Origin.GOAL_PAGE or not organization.allow_goalless_work):
        raise ValidationError({"goal": "Choose the goal this work serves."})
    _check_outcome(goal, outcome)
    title = _check_title(title)
    _check_estimate(estimate)
    if status not in TaskStatus.values:
        raise ValidationError({"status": "Select a valid status."})
    task = Task.objects.create(
        organization=organization,
        number=next_number(organization, "task"),
        title=title,
        description=description,
        goal=goal,
        outcome=outcome,
        assignee=assignee,
        estimate=estimate,
        due_date=due_date,
        status=status,
        origin=origin,
        link_confirmed_at=timezone.now(),
        created_by=actor,
    )
    _event(task, actor, TaskEvent.Kind.CREATED, to_goal=goal, to_status=status).save()
    outbox.record(organization.pk, outbox.TASK_CREATED, task.pk)
    _notify_assigned(organization, actor, task)
    enqueue_reconcile(organization.pk)
    return task


def _notify_assigned(organization: Organization, actor: User, task: Task) -> None:
    """Tell the task's assignee it is theirs, unless they assigned it themselves or may not
    see it (work under a confidential goal hidden from them): one statement, and one more to
    check a planner's or viewer's sight of the goal."""
    assignee = task.assignee
    if assignee is None or assignee.user_id == actor.pk:
        return
    if not visibility.is_visible(task.goal, assignee):
        return
    notification_services.notify(
        organization=organization,
        recipients=[assignee],
        kind=NotificationKind.ASSIGNED,
        actor=actor,
        text=f"{actor.display_name} assigned you {task.key} {task.title}",
        path=f"/o/{organization.slug}/tasks/{task.number}/",
    )


def _locked(organization: Organization, task: Task) -> Task:
    """The organization's task, locked, display fields loaded; another organization's task is
    rejected like a missing one."""
    return goal_services.get_for_update(
        Task.objects.select_related("goal", "outcome", "assignee__user"),
        organization=organization,
        pk=task.pk,
        field="task",
    )


@transaction.atomic
def task_update(*, organization: Organization, actor: User, task: Task, **fields: Any) -> Task:
    """Edit a task's own fields (not its goal: see task_move; not its status: task_set_status),
    with an "edited" history row of old → new."""
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"Unknown task fields: {sorted(unknown)}")
    task = _locked(organization, task)
    _check_same_org(organization, outcome=fields.get("outcome"), assignee=fields.get("assignee"))
    _check_outcome(task.goal, fields.get("outcome", task.outcome))
    if "title" in fields:
        fields["title"] = _check_title(fields["title"])
    if "estimate" in fields:
        _check_estimate(fields["estimate"])
    before = {f: _display(task, f) for f in TASK_FIELDS}
    old = {f: getattr(task, f) for f in TASK_FIELDS}
    for f, value in fields.items():
        setattr(task, f, value)
    changed = [f for f in TASK_FIELDS if getattr(task, f) != old[f]]
    if changed:
        task.save(update_fields=[*changed, "updated_at"])
        changes = {TASK_FIELDS[f]: [before[f], _display(task, f)] for f in changed}
        _event(task, actor, TaskEvent.Kind.EDITED, changes=changes).save()
        outbox.record(organization.pk, outbox.TASK_UPDATED, task.pk)
        if "assignee" in changed:
            _notify_assigned(organization, actor, task)
    return task


@transaction.atomic
def task_move(
    *,
    organization: Organization,
    actor: User,
    task: Task,
    to_goal: Goal,
    reason: str,
    outcome: Outcome | None = None,
) -> Task:
    """Move a task to another goal, with a reason and a from → to history row. The new link
    counts as confirmed, a kept reason no longer applies, and the old goal's outcome is dropped
    (pass `outcome` to aim the task at one of the new goal's outcomes)."""
    task = _locked(organization, task)
    _check_same_org(organization, to_goal=to_goal, outcome=outcome)
    if to_goal is None:
        raise ValidationError({"to_goal": "Choose the goal this work should serve."})
    if to_goal.pk == task.goal_id:
        raise ValidationError({"to_goal": "The work already serves this goal."})
    reason = _check_reason(reason, required="Say why the work moves.")
    _check_outcome(to_goal, outcome)
    from_goal = task.goal
    task.goal = to_goal
    task.outcome = outcome
    task.link_confirmed_at = timezone.now()
    task.kept_reason = ""
    task.save(update_fields=["goal", "outcome", "link_confirmed_at", "kept_reason", "updated_at"])
    _event(
        task, actor, TaskEvent.Kind.MOVED, from_goal=from_goal, to_goal=to_goal, reason=reason
    ).save()
    outbox.record(organization.pk, outbox.TASK_MOVED, task.pk)
    enqueue_reconcile(organization.pk)
    return task


@transaction.atomic
def task_set_status(
    *, organization: Organization, actor: User, task: Task, status: str, reason: str = ""
) -> Task:
    """Change a task's status with a from → to history row (nothing when it does not change)."""
    task = _locked(organization, task)
    if status not in TaskStatus.values:
        raise ValidationError({"status": "Select a valid status."})
    reason = _check_reason(reason)
    if status == task.status:
        return task
    old = task.status
    task.status = status
    task.save(update_fields=["status", "updated_at"])
    _event(
        task, actor, TaskEvent.Kind.STATUS, from_status=old, to_status=status, reason=reason
    ).save()
    outbox.record(organization.pk, outbox.TASK_UPDATED, task.pk)
    enqueue_reconcile(organization.pk)
    return task


@transaction.atomic
def task_confirm_link(
    *, organization: Organization, actor: User, task: Task, reason: str = ""
) -> Task:
    """A planner stands behind the task's link to its goal again: it is no longer suspect.
    A reason given earlier to keep it on a stranded goal belonged to the goal as it was then,
    so it is cleared (keep the task again to give a new one)."""
    task = _locked(organization, task)
    if task.goal is None:
        raise ValidationError("Work without a goal has no link to confirm: link it to a goal.")
    reason = _check_reason(reason)
    task.link_confirmed_at = timezone.now()
    task.kept_reason = ""
    task.save(update_fields=["link_confirmed_at", "kept_reason", "updated_at"])
    _event(task, actor, TaskEvent.Kind.CONFIRMED, to_goal=task.goal, reason=reason).save()
    outbox.record(organization.pk, outbox.TASK_UPDATED, task.pk)
    enqueue_reconcile(organization.pk)
    return task


@transaction.atomic
def task_keep(*, organization: Organization, actor: User, task: Task, reason: str) -> Task:
    """Keep working on a stranded task, with a written reason; it shows as "kept" until its goal
    changes materially again (the link then turns suspect)."""
    task = _locked(organization, task)
    reason = _check_reason(reason, required="Say why this work continues.")
    if not task.is_stranded:
        raise ValidationError("Only live work on a goal that is not active can be kept.")
    task.kept_reason = reason
    task.link_confirmed_at = timezone.now()
    task.save(update_fields=["kept_reason", "link_confirmed_at", "updated_at"])
    _event(task, actor, TaskEvent.Kind.KEPT, to_goal=task.goal, reason=reason).save()
    outbox.record(organization.pk, outbox.TASK_UPDATED, task.pk)
    enqueue_reconcile(organization.pk)
    return task


@transaction.atomic
def goal_confirm_links(*, organization: Organization, actor: User, goal: Goal) -> int:
    """Confirm the links of every suspect live task of the goal at once (a history row each and
    one on the goal); return how many. Kept reasons of those tasks are cleared, as in
    task_confirm_link."""
    goal = goal_services.get_for_update(
        Goal.objects.all(), organization=organization, pk=goal.pk, field="goal"
    )
    if goal.material_change_at is None:
        return 0
    suspect = list(
        Task.objects.select_for_update()
        .filter(
            organization=organization,
            goal=goal,
            status__in=LIVE_STATUSES,
            link_confirmed_at__lt=goal.material_change_at,
        )
        .only("pk", "organization_id")
    )
    if not suspect:
        return 0
    now = timezone.now()
    Task.objects.filter(organization=organization, pk__in=[t.pk for t in suspect]).update(
        link_confirmed_at=now, kept_reason="", updated_at=now
    )
    TaskEvent.objects.bulk_create(
        [
            _event(t, actor, TaskEvent.Kind.CONFIRMED, to_goal=goal, reason="confirmed all")
            for t in suspect
        ]
    )
    outbox.record_many(organization.pk, outbox.TASK_UPDATED, [t.pk for t in suspect])
    goal_services.goal_event_record(
        goal=goal,
        actor=actor,
        kind=GoalEvent.Kind.LINKS_CONFIRMED,
        summary=f"confirmed {len(suspect)} suspect link{'s' if len(suspect) != 1 else ''}",
    )
    enqueue_reconcile(organization.pk)
    return len(suspect)


@transaction.atomic
def check_in_record(
    *,
    organization: Organization,
    actor: User,
    outcome: Outcome,
    value: Decimal,
    note: str = "",
    checked_on: date | None = None,
    credited_tasks: list[Task] | tuple[Task, ...] = (),
) -> CheckIn:
    """Record a check-in of an outcome of `organization`, crediting tasks of the outcome's goal
    for the move (checked against the database, not the objects passed in)."""
    outcome = goal_services.get_for_update(
        Outcome.objects.all(), organization=organization, pk=outcome.pk, field="outcome"
    )
    wanted = {t.pk for t in credited_tasks}
    credited = list(
        Task.objects.select_for_update().filter(
            organization=organization, goal_id=outcome.goal_id, pk__in=wanted
        )
    )
    if len(credited) != len(wanted):
        raise ValidationError({"credited_tasks": "Only tasks of this goal can be credited."})
    check_in = goal_services.check_in_create(
        organization=organization,
        actor=actor,
        outcome=outcome,
        value=value,
        note=note,
        checked_on=checked_on,
    )
    CheckInCredit.objects.bulk_create(
        [CheckInCredit(organization=organization, check_in=check_in, task=t) for t in credited]
    )
    return check_in


@transaction.atomic
def goal_delete(*, organization: Organization, actor: User, goal: Goal) -> int:
    """Delete a goal of `organization`. Its tasks become orphaned (a history row each), its
    sub-goals move up to its parent, its outcomes and check-ins go with it. Returns the number
    of orphaned live tasks."""
    goal = goal_services.get_for_update(
        Goal.objects.all(), organization=organization, pk=goal.pk, field="goal"
    )
    tasks = list(
        Task.objects.select_for_update()
        .filter(organization=organization, goal=goal)
        .only("pk", "organization_id", "status")
    )
    Task.objects.filter(organization=organization, pk__in=[t.pk for t in tasks]).update(
        goal=None, outcome=None, updated_at=timezone.now()
    )
    TaskEvent.objects.bulk_create(
        [
            _event(
                t, actor, TaskEvent.Kind.MOVED, from_goal=goal, reason=f"goal {goal.key} deleted"
            )
            for t in tasks
        ]
    )
    outbox.record_many(organization.pk, outbox.TASK_MOVED, [t.pk for t in tasks])
    goal_services.goal_delete_detached(organization=organization, actor=actor, goal=goal)
    return sum(1 for t in tasks if t.status in LIVE_STATUSES)


# Tasks created at once from a goal's page: at most this many in one go.
MAX_TASKS_AT_ONCE = 100
TITLE_MAX_LENGTH = Task._meta.get_field("title").max_length or 200


class TaskDraft(NamedTuple):
    """A task to create with others under one goal: its title and estimate."""

    title: str
    estimate: int = 1


@transaction.atomic
def task_create_many(
    *,
    organization: Organization,
    actor: User,
    goal: Goal,
    drafts: Sequence[TaskDraft],
    outcome: Outcome | None = None,
) -> list[Task]:
    """Create the drafts as tasks under `goal` (origin goal page), all or none, with consecutive
    T-numbers in the drafts' order and a "created under" history row each, as task_create
    does for one; `outcome`, one of the goal's, for all of them. A fixed number of statements
    however many drafts (at most MAX_TASKS_AT_ONCE)."""
    _check_same_org(organization, goal=goal, outcome=outcome)
    if goal is None:
        raise ValidationError({"goal": "Choose the goal this work serves."})
    _check_outcome(goal, outcome)
    if not drafts:
        raise ValidationError("Give at least one task to create.")
    if len(drafts) > MAX_TASKS_AT_ONCE:
        raise ValidationError(
            f"Create at most {MAX_TASKS_AT_ONCE} tasks at once ({len(drafts)} were given)."
        )
    checked = []
    for draft in drafts:
        title = _check_title(draft.title)
        if len(title) > TITLE_MAX_LENGTH:
            raise ValidationError(
                {"title": f"Keep each title to {TITLE_MAX_LENGTH} characters (“{title[:40]}…”)."}
            )
        _check_estimate(draft.estimate)
        checked.append(TaskDraft(title, draft.estimate))
    first = next_number(organization, "task", count=len(checked))
    now = timezone.now()
    tasks = Task.objects.bulk_create(
        [
            Task(
                organization=organization,
                number=first + i,
                title=draft.title,
                goal=goal,
                outcome=outcome,
                estimate=draft.estimate,
                status=TaskStatus.TODO,
                origin=Origin.GOAL_PAGE,
                link_confirmed_at=now,
                created_by=actor,
            )
            for i, draft in enumerate(checked)
        ]
    )
    TaskEvent.objects.bulk_create(
        [
            _event(task, actor, TaskEvent.Kind.CREATED, to_goal=goal, to_status=TaskStatus.TODO)
            for task in tasks
        ]
    )
    outbox.record_many(organization.pk, outbox.TASK_CREATED, [task.pk for task in tasks])
    enqueue_reconcile(organization.pk)
    return tasks


# Imported work: set-based, a fixed number of statements per batch --------------------------


class ImportedTask(NamedTuple):
    """A task to create from an imported row (values already checked by the importer)."""

    source: str  # the tool: "jira"
    external_key: str  # the tool's key: "PM-92"
    title: str
    description: str
    status: str
    estimate: int
    due_date: date | None
    assignee_id: int | None
    goal_id: int | None
    outcome_id: int | None


class ImportedChange(NamedTuple):
    """An imported task's new values for the fields a tool owns. `goal_id` is given only to link
    work that has no goal yet: a link someone made in Vindaris is never replaced."""

    task_id: int
    title: str
    description: str
    status: str
    estimate: int
    due_date: date | None
    assignee_id: int | None
    goal_id: int | None


# What a re-import may change on a task: the fields the tool owns. The link (goal, outcome,
# kept reason, confirmation) is Vindaris's own and never overwritten.
IMPORTED_FIELDS = ("title", "description", "status", "estimate", "due_date", "assignee_id")


def tasks_import(
    *,
    organization: Organization,
    actor: User | None,
    import_run_id: int,
    label: str,
    tasks: Sequence[ImportedTask],
) -> int:
    """Create `tasks` (origin import, consecutive T-numbers) with a history row each ("imported
    from Jira PM-92", `label` naming the tool). Four statements however many tasks: the
    importer checked goal, outcome and assignee belong to the organization (the composite keys
    refuse anything else). Returns the first T-number."""
    if not tasks:
        return 0
    first = next_number(organization, "task", count=len(tasks))
    now = timezone.now()
    created = Task.objects.bulk_create(
        [
            Task(
                organization=organization,
                number=first + i,
                title=row.title,
                description=row.description,
                status=row.status,
                estimate=row.estimate,
                due_date=row.due_date,
                assignee_id=row.assignee_id,
                goal_id=row.goal_id,
                outcome_id=row.outcome_id,
                origin=Origin.IMPORT,
                source=row.source,
                external_key=row.external_key,
                import_run_id=import_run_id,
                link_confirmed_at=now,
                created_by=actor,
            )
            for i, row in enumerate(tasks)
        ]
    )
    TaskEvent.objects.bulk_create(
        [
            TaskEvent(
                organization_id=organization.pk,
                task=task,
                actor=actor,
                kind=TaskEvent.Kind.CREATED,
                to_goal_id=task.goal_id,
                to_status=task.status,
                reason=f"imported from {label} {task.external_key}"[:300],
            )
            for task in created
        ]
    )
    outbox.record_select(
        organization.pk,
        outbox.TASK_CREATED,
        f"SELECT t.id FROM {Task._meta.db_table} t WHERE t.organization_id = %(org)s"  # noqa: S608 - table name from the model
        " AND t.number >= %(first)s AND t.number < %(end)s",
        {"first": first, "end": first + len(tasks)},
    )
    enqueue_reconcile(organization.pk)
    return first


def tasks_import_update(
    *,
    organization: Organization,
    actor: User | None,
    label: str,
    changes: Sequence[ImportedChange],
) -> None:
    """Apply a newer export's values to imported tasks, with a history row for each task that
    changed ("updated from Jira PM-92": old → new), and a status row where the status moved.
    A goal is set only on work that has none (linked by the import's mapping); the link then
    counts as confirmed now. A fixed number of statements however many tasks."""
    if not changes:
        return
    ids = [change.task_id for change in changes]
    current = {
        task.pk: task
        for task in Task.objects.filter(organization=organization, pk__in=ids).only(
            "id", "organization_id", "number", "goal_id", "external_key", *IMPORTED_FIELDS
        )
    }
    now = timezone.now()
    events: list[TaskEvent] = []
    changed: list[Task] = []
    for change in changes:
        task = current.get(change.task_id)
        if task is None:
            continue
        diff = {
            field: (_plain(getattr(task, field)), _plain(getattr(change, field)))
            for field in IMPORTED_FIELDS
            if getattr(task, field) != getattr(change, field)
        }
        link = change.goal_id is not None and task.goal_id is None
        if not diff and not link:
            continue
        reason = f"updated from {label} {task.external_key}"[:300]
        if "status" in diff:
            events.append(
                _event(
                    task,
                    actor,
                    TaskEvent.Kind.STATUS,
                    from_status=task.status,
                    to_status=change.status,
                    reason=reason,
                )
            )
        if link:
            events.append(
                _event(task, actor, TaskEvent.Kind.MOVED, to_goal_id=change.goal_id, reason=reason)
            )
            task.goal_id = change.goal_id
            task.link_confirmed_at = now
        if set(diff) - {"status"}:
            other = {field: list(values) for field, values in diff.items() if field != "status"}
            events.append(_event(task, actor, TaskEvent.Kind.EDITED, changes=other, reason=reason))
        for field in IMPORTED_FIELDS:
            setattr(task, field, getattr(change, field))
        task.updated_at = now
        changed.append(task)
    if changed:
        Task.objects.filter(organization=organization).bulk_update(
            changed, [*IMPORTED_FIELDS, "goal_id", "link_confirmed_at", "updated_at"]
        )
        TaskEvent.objects.bulk_create(events)
        outbox.record_many(organization.pk, outbox.TASK_UPDATED, [task.pk for task in changed])
        enqueue_reconcile(organization.pk)


def _plain(value: Any) -> Any:
    """A value as history keeps it in JSON."""
    return value.isoformat() if isinstance(value, date) else value
