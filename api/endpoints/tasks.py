"""Work: /api/v1/o/<slug>/goals/<n>/tasks/ (work created under a goal, as on the goal's page),
/tasks/ (the list, and goal-less capture where the organization allows it), /tasks/<n>/…

Writes go through work.services, as the pages' do: a task's status, its move to another goal,
confirming its link, keeping it on a stranded goal."""

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from goals import selectors as goal_selectors
from vindaris.tenancy.models import Role
from work import services as work_services
from work.gaps import TaskGap
from work.models import Origin, Task, TaskStatus

from .. import lookups, paging, problems, schemas, selectors
from ..access import Actor, require
from ..lookups import Number, OrgSlug

router = Router(tags=["tasks"])


def _saved(actor: Actor, task: Task) -> schemas.Task:
    return schemas.task_out(task, slug=actor.organization.slug)


@router.post(
    "/goals/{goal_number}/tasks/",
    response={201: schemas.Task},
    summary="Create work under a goal",
)
def create_goal_task(
    request: HttpRequest, org_slug: OrgSlug, payload: schemas.TaskCreate, goal_number: Number
) -> Any:
    """Work is created from goals: the task serves the goal in the URL, as one added on the
    goal's page does (planners and above). Its origin is `api`."""
    actor = require(request, role=Role.PLANNER, write=True)
    goal = lookups.goal_or_404(actor, goal_number)
    outcome = lookups.outcome_of_goal(goal, payload.outcome, "outcome") if payload.outcome else None
    assignee = (
        lookups.member_named(actor, payload.assignee, "assignee") if payload.assignee else None
    )
    try:
        task = work_services.task_create(
            organization=actor.organization,
            actor=actor.user,
            goal=goal,
            title=payload.title,
            origin=Origin.API,
            description=payload.description,
            outcome=outcome,
            assignee=assignee,
            estimate=payload.estimate,
            due_date=payload.due_date,
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    return Status(201, _saved(actor, task))


@router.post("/tasks/", response={201: schemas.Task}, summary="Capture work without a goal")
def capture_task(request: HttpRequest, org_slug: OrgSlug, payload: schemas.TaskCapture) -> Any:
    """Work without a goal (orphaned until someone links it), only where the organization
    allows capturing it, as its quick add does; elsewhere 403: create it under its goal."""
    actor = require(request, role=Role.PLANNER, write=True)
    if not actor.organization.allow_goalless_work:
        raise problems.forbidden(
            "This organization does not capture work without a goal: create it under the goal "
            "it serves (POST …/goals/{number}/tasks/)."
        )
    assignee = (
        lookups.member_named(actor, payload.assignee, "assignee") if payload.assignee else None
    )
    try:
        task = work_services.task_create(
            organization=actor.organization,
            actor=actor.user,
            goal=None,
            title=payload.title,
            origin=Origin.API,
            description=payload.description,
            assignee=assignee,
            estimate=payload.estimate,
            due_date=payload.due_date,
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    return Status(201, _saved(actor, task))


class TaskFilters(Schema):
    gap: TaskGap | None = Field(
        None,
        description="orphaned, stranded (not kept), kept or suspect: as the queues list them.",
    )
    status: TaskStatus | Literal["live"] | None = Field(
        None, description="A status, or `live` for to do, in progress and blocked."
    )
    goal: schemas.GoalKey | None = Field(None, description="The goal's own tasks.")
    assignee: schemas.Email | None = Field(None, description="The assignee's email.")
    cursor: paging.Cursor = None
    limit: paging.Limit = paging.DEFAULT_LIMIT


@router.get("/tasks/", response=schemas.TaskPage, summary="List tasks")
def list_tasks(request: HttpRequest, org_slug: OrgSlug, filters: Query[TaskFilters]) -> Any:
    """The tasks the token's member may see, newest first, filtered by gap, status, goal and
    assignee."""
    actor = require(request)
    before = paging.decode(filters.cursor, "tasks")
    rows = selectors.tasks_page(
        organization=actor.organization,
        viewer=actor.membership,
        before=before,
        limit=filters.limit,
        gap=filters.gap or "",
        status=filters.status or "",
        goal=lookups.goal_named(actor, filters.goal, "goal") if filters.goal else None,
        assignee=(
            lookups.member_named(actor, filters.assignee, "assignee") if filters.assignee else None
        ),
    )
    items, cursor = paging.page(rows, filters.limit, "tasks", lambda t: t.number)
    return {"items": [_saved(actor, t) for t in items], "next_cursor": cursor}


@router.get("/tasks/{task_number}/", response=schemas.TaskDetail, summary="A task")
def get_task(request: HttpRequest, org_slug: OrgSlug, task_number: Number) -> Any:
    """The task and why it exists: its goal, that goal's parents up to the top, its outcome."""
    actor = require(request)
    task = lookups.task_or_404(actor, task_number)
    parents = list(reversed(goal_selectors.ancestors(goal=task.goal))) if task.goal else []
    return schemas.TaskDetail(
        **schemas.task_fields(task, slug=actor.organization.slug),
        why=schemas.Why(
            goal=schemas.goal_ref_out(task.goal) if task.goal else None,
            parents=[schemas.goal_ref_out(g) for g in parents],
            outcome=schemas.outcome_ref_out(task.outcome) if task.outcome else None,
        ),
    )


@router.post("/tasks/{task_number}/status/", response=schemas.Task, summary="Change status")
def set_task_status(
    request: HttpRequest, org_slug: OrgSlug, payload: schemas.TaskStatusChange, task_number: Number
) -> Any:
    actor = require(request, role=Role.PLANNER, write=True)
    task = lookups.task_or_404(actor, task_number)
    try:
        task = work_services.task_set_status(
            organization=actor.organization,
            actor=actor.user,
            task=task,
            status=payload.status,
            reason=payload.reason,
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    return _saved(actor, task)


@router.post("/tasks/{task_number}/move/", response=schemas.Task, summary="Move to a goal")
def move_task(
    request: HttpRequest, org_slug: OrgSlug, payload: schemas.TaskMove, task_number: Number
) -> Any:
    """Move the work to another goal the member may see, with a reason (and optionally onto
    one of that goal's outcomes): the new link counts as confirmed."""
    actor = require(request, role=Role.PLANNER, write=True)
    task = lookups.task_or_404(actor, task_number)
    to_goal = lookups.goal_named(actor, payload.to_goal, "to_goal")
    outcome = (
        lookups.outcome_of_goal(to_goal, payload.outcome, "outcome") if payload.outcome else None
    )
    try:
        task = work_services.task_move(
            organization=actor.organization,
            actor=actor.user,
            task=task,
            to_goal=to_goal,
            reason=payload.reason,
            outcome=outcome,
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    return _saved(actor, task)


@router.post("/tasks/{task_number}/confirm/", response=schemas.Task, summary="Confirm the link")
def confirm_task(
    request: HttpRequest, org_slug: OrgSlug, payload: schemas.TaskConfirm, task_number: Number
) -> Any:
    """Stand behind the task's link to its goal again: it is no longer suspect."""
    actor = require(request, role=Role.PLANNER, write=True)
    task = lookups.task_or_404(actor, task_number)
    try:
        task = work_services.task_confirm_link(
            organization=actor.organization, actor=actor.user, task=task, reason=payload.reason
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    return _saved(actor, task)


@router.post("/tasks/{task_number}/keep/", response=schemas.Task, summary="Keep stranded work")
def keep_task(
    request: HttpRequest, org_slug: OrgSlug, payload: schemas.TaskKeep, task_number: Number
) -> Any:
    """Keep working on a stranded task, with a written reason, until its goal changes again."""
    actor = require(request, role=Role.PLANNER, write=True)
    task = lookups.task_or_404(actor, task_number)
    try:
        task = work_services.task_keep(
            organization=actor.organization, actor=actor.user, task=task, reason=payload.reason
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    return _saved(actor, task)
